"""The report in a real browser: headless Chromium renders it, shows the findings, runs nothing.

Chromium is required (Debian package `chromium`; `.ci/run` installs it). When it is missing the
test fails with a clear message instead of skipping, so CI can never pass without it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from fwcorr.report import write_report
from fwcorr.report.hostfiles import safe_stem

DATA = Path(__file__).parent / "data"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
)
PAYLOAD_HOST = "<script>document.title='PWNED'</script>"


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    pytest.fail(
        "headless Chromium not found: install the Debian package `chromium` "
        "(apt-get install -y chromium); .ci/run installs it"
    )


def run_chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case fixture plus the hostile fixture's payloads, rendered once."""
    out = tmp_path_factory.mktemp("browser")
    case = json.loads((DATA / "findings_case.json").read_text())
    xss = json.loads((DATA / "findings_xss.json").read_text())
    merged = {
        **case,
        "portproxies": case["portproxies"] + xss["portproxies"][:1],
        "rule_changes": case["rule_changes"] + xss["rule_changes"],
        "hosts": case["hosts"] + xss["hosts"][:1],
        "inputs": case["inputs"] + xss["inputs"][1:],
    }
    return write_report(merged, out)


def dump_dom(tmp: Path, page: Path) -> str:
    res = run_chromium(tmp, "--dump-dom", page.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    assert "<html" in res.stdout, res.stderr[-2000:]
    return res.stdout


def test_index_renders_findings_and_runs_no_payload(report: Path, tmp_path: Path) -> None:
    dom = dump_dom(tmp_path, report)
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title is not None and title.group(1) == "fwcorr case report"
    assert "PWNED" not in (title.group(1) if title else "")
    assert "data-pwned" not in re.sub(r"&lt;.*?&gt;", "", dom)  # only escaped text mentions it
    assert not re.search(r"<(img|script|iframe)\b", dom)
    assert not re.search(r"<svg[^>]*\sonload=", dom)
    text = re.sub(r"<[^>]+>", "", dom)
    assert "198.51.100.23:59816\u2192203.0.113.10:9443\u2192WEB01 (10.10.20.15:9999)" in text
    assert "tmp-nat-9443" in text
    assert "Unknown format (not parsed): notes/chain_of_custody.txt" in text
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom


def test_host_page_renders_and_runs_no_payload(report: Path, tmp_path: Path) -> None:
    page = report.parent / "hosts" / f"{safe_stem(PAYLOAD_HOST)}.html"
    dom = dump_dom(tmp_path, page)
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title is not None
    assert title.group(1) == "Host &lt;script&gt;document.title='PWNED'&lt;/script&gt;"
    assert "data-pwned=" not in dom.replace("setAttribute('data-pwned'", "")
    assert not re.search(r"<(img|script|iframe)\b", dom)
    assert "Recommended actions" in dom
    assert 'listenport=9999 connectaddress="&gt;&lt;script&gt;' in dom


@pytest.mark.parametrize("which", ["index", "host"])
def test_screenshot_not_blank(report: Path, tmp_path: Path, which: str) -> None:
    page = report if which == "index" else report.parent / "hosts" / f"{safe_stem('WEB01')}.html"
    png = tmp_path / f"{which}.png"
    res = run_chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", page.as_uri())
    assert res.returncode == 0 and png.is_file(), res.stderr[-2000:]
    with Image.open(png) as img:
        assert img.size == (1280, 2000)
        rgb = img.convert("RGB").resize((320, 500))
    raw = rgb.tobytes()
    pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
    colors = set(pixels)
    background = max(colors, key=pixels.count)
    ink = sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, background, strict=True)) > 60)
    assert len(colors) > 50, "screenshot has almost no colours: blank page?"
    assert ink / len(pixels) > 0.05, "screenshot is nearly all background"
    header = [rgb.getpixel((x, 3)) for x in range(0, 320, 20)]
    dark_blue = [p for p in header if p[2] > p[0] + 20 and p[0] < 60]  # the page header band
    assert len(dark_blue) >= len(header) - 3, header
