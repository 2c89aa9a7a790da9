"""The example-case generator: determinism, exact formats, consistent legs, and the parsers' view."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest

from fwcorr.config import load_config
from fwcorr.context import ParseContext
from fwcorr.runner import ParseRun, parse_inputs

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
COMMITTED = EXAMPLES / "case"


def _load_generator():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location("make_case", EXAMPLES / "make_case.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_case"] = module
    spec.loader.exec_module(module)
    return module


make_case = _load_generator()


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "case"
    make_case.generate(out, seed=7, scale=1)
    return out


@pytest.fixture(scope="module")
def truth(generated: Path) -> dict:
    return json.loads((generated / "ground_truth.json").read_text())


@pytest.fixture(scope="module")
def parsed(generated: Path) -> ParseRun:
    ctx = ParseContext(config=load_config(generated / "site.yaml"))
    return parse_inputs([str(generated)], ctx, progress=False)


def test_deterministic_and_committed_case_current(generated: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    make_case.generate(again, seed=7, scale=1)
    assert _files(again) == _files(generated)
    assert _files(COMMITTED) == _files(generated), "regenerate: python examples/make_case.py"
    other = tmp_path / "other"
    make_case.generate(other, seed=8, scale=1)
    assert (
        _files(other)["firewalls/pa-edge-01.log"] != _files(generated)["firewalls/pa-edge-01.log"]
    )


def test_default_case_small(generated: Path) -> None:
    size = sum(len(b) for b in _files(generated).values())
    assert 1_000_000 < size < 5_000_000


def test_scale_grows_background_only(tmp_path: Path, truth: dict) -> None:
    out = tmp_path / "s3"
    big = make_case.generate(out, seed=7, scale=3)
    lines = (out / "firewalls/pa-edge-01.log").read_bytes().count(b"\n")
    assert lines == 3 * 2500 + 13  # background + planted (sessions, config, malformed)
    assert {k: v for k, v in big.items() if k not in ("malformed", "scale")} == {
        k: v for k, v in truth.items() if k not in ("malformed", "scale")
    }


def _pa_lines(root: Path) -> list[str]:
    return (root / "firewalls/pa-edge-01.log").read_text().splitlines()


def test_panos_traffic_lines_have_115_fields(generated: Path, truth: dict) -> None:
    bad = {m["line"] for m in truth["malformed"] if m["path"] == "firewalls/pa-edge-01.log"}
    assert len(bad) == 2
    counts: dict[str, set[int]] = {}
    for n, line in enumerate(_pa_lines(generated), 1):
        if n in bad:
            continue
        month, _day, clock, device, payload = line.split(None, 4)
        assert (device, month) == ("PA-EDGE-01", "Feb") and len(clock) == 8
        fields = next(csv.reader(io.StringIO(payload)))
        counts.setdefault(fields[3], set()).add(len(fields))
        if fields[3] == "TRAFFIC":
            hrt = datetime.fromisoformat(fields[102])
            assert hrt.utcoffset() is not None and hrt.utcoffset().total_seconds() == -5 * 3600
            assert fields[52] == "PA-EDGE-01" and fields[2] == "013201004711"
    assert counts == {"TRAFFIC": {115}, "CONFIG": {26, 28}}


def test_fortigate_and_pfirewall_shapes(generated: Path, truth: dict) -> None:
    fg = (generated / "firewalls/fg-core-01.log").read_text().splitlines()
    bad = {m["line"] for m in truth["malformed"] if m["path"] == "firewalls/fg-core-01.log"}
    for n, line in enumerate(fg, 1):
        if n in bad:
            continue
        assert ' tz="-0500" ' in line and " eventtime=" in line and ' devname="FG-CORE-01" ' in line
    dnat = [line for line in fg if 'trandisp="dnat"' in line]
    assert len(dnat) == 3 and all("tranip=10.10.30.22 tranport=8080" in x for x in dnat)
    pfw = generated / "hosts/APP02/Windows/System32/LogFiles/Firewall/pfirewall.log"
    raw = pfw.read_bytes()
    assert raw.startswith(b"#Version: 1.5\r\n#Software: Microsoft Windows Firewall\r\n")
    for path, width in (("APP02", 17), ("WEB01", 18), ("DB01", 18)):
        text = (
            generated / f"hosts/{path}/Windows/System32/LogFiles/Firewall/pfirewall.log"
        ).read_text()
        lines = [x for x in text.splitlines() if x and not x.startswith("#")]
        widths = {len(x.split(" ")) for x in lines}
        assert widths <= {width, 6}, (path, widths)


def test_legs_consistent(truth: dict) -> None:
    assert [s["chain"] for s in truth["sessions"]] == ["A"] * 4 + ["B"] * 3
    for s in truth["sessions"]:
        starts = [datetime.fromisoformat(leg["start"].replace("Z", "+00:00")) for leg in s["legs"]]
        lags = [(b - a).total_seconds() for a, b in pairwise(starts)]
        assert all(0.05 <= lag <= 2.0 for lag in lags), lags
        assert len(s["hops"]) == len(s["legs"]) - 1


EXPECTED_FORMATS = {
    "firewalls/pa-edge-01.log": "paloalto",
    "firewalls/fg-core-01.log": "fortinet",
    "hosts/APP02/EventLogs/Microsoft-Windows-Sysmon%4Operational.xml": "event_xml",
    "hosts/APP02/EventLogs/Security.xml": "event_xml",
    "hosts/WEB01/EventLogs/Microsoft-Windows-Sysmon%4Operational.xml": "event_xml",
    "hosts/WEB01/EventLogs/Security.xml": "event_xml",
    "hosts/APP03/EventLogs/winlogbeat-app03.ndjson": "ecs_json",
    "hosts/DEV01/EventLogs/winlogbeat-dev01.ndjson": "ecs_json",
    "hosts/APP02/netsh/portproxy_show_all.txt": "netsh_output",
    **{
        f"hosts/{h}/Windows/System32/LogFiles/Firewall/pfirewall.log": "windows_pfirewall"
        for h in ("APP02", "APP03", "DB01", "WEB01")
    },
    "notes/chain_of_custody.txt": "unknown",
    "ground_truth.json": "unknown",
    "site.yaml": "unknown",
}


def test_parsers_route_every_file(parsed: ParseRun, generated: Path) -> None:
    got = {str(Path(i.path).relative_to(generated)): i.format for i in parsed.inputs}
    assert got == EXPECTED_FORMATS
    for i in parsed.inputs:
        assert i.records + i.non_records + i.rejected == i.units, i.path


def test_rejects_are_exactly_the_planted_malformed_lines(parsed: ParseRun, generated: Path) -> None:
    got = sorted(
        (str(Path(p).relative_to(generated)), line)
        for p, line in parsed.rejects.select("path", "line").iter_rows()
    )
    truth = json.loads((generated / "ground_truth.json").read_text())
    assert got == sorted((m["path"], m["line"]) for m in truth["malformed"])


def test_planted_records_parsed_in_utc(parsed: ParseRun, truth: dict) -> None:
    conns = parsed.connections
    for s in truth["sessions"]:
        start = datetime.fromisoformat(s["start"].replace("Z", "+00:00"))
        hit = conns.filter(
            (pl.col("src_ip") == s["origin_ip"])
            & (pl.col("src_port") == s["origin_port"])
            & (pl.col("device") == s["entry_device"])
        )
        assert hit.height == 1, s
        row = hit.row(0, named=True)
        assert row["ts"] == start
        assert (row["dst_ip"], row["dst_port"]) == (s["entry_ip"], s["entry_port"])
        first = s["hops"][0]
        assert (row["nat_dst_ip"], row["nat_dst_port"]) == (
            first["listen_ip"],
            first["listen_port"],
        )
        assert (row["bytes_out"], row["bytes_in"]) == (
            s["legs"][0]["bytes_out"],
            s["legs"][0]["bytes_in"],
        )
    changes = parsed.rule_changes
    for rc in truth["rule_changes"]:
        hit = changes.filter(
            (pl.col("device") == rc["device"]) & (pl.col("object_name") == rc["object_name"])
        )
        assert hit.height == 1, rc
        assert hit["ts"][0] == datetime.fromisoformat(rc["ts"].replace("Z", "+00:00"))
        assert hit["object_type"][0] == rc["object_type"]


def test_planted_proxies_harvestable(parsed: ParseRun, truth: dict) -> None:
    ev = parsed.portproxy_events.filter(pl.col("op") == "add")
    for pp in truth["portproxies"]:
        hit = ev.filter(
            (pl.col("listen_port") == pp["listen_port"])
            & (pl.col("connect_address") == pp["connect_address"])
            & (pl.col("connect_port") == pp["connect_port"])
        )
        assert hit.height >= 1, pp
