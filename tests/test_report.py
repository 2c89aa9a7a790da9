"""Report rendering: exact content from fixture findings, escaping, safe host file names."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fwcorr.report import write_report
from fwcorr.report.hostfiles import assign_names, safe_stem
from fwcorr.report.html import CSP
from fwcorr.report.markdown import md

DATA = Path(__file__).parent / "data"
ARROW = "\u2192"


class _Text(HTMLParser):
    """Visible text of a page, with the text of each table row and list item collected."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.rows: list[str] = []
        self.items: list[str] = []
        self._row: list[str] | None = None
        self._li: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "title", "svg"):
            self._skip += 1
        if tag == "tr":
            self._row = []
        if tag == "li":
            self._li = []
        if tag in ("td", "th") and self._row is not None:
            self._row.append("|")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "svg"):
            self._skip -= 1
        if tag == "tr" and self._row is not None:
            self.rows.append("".join(self._row).strip("|"))
            self._row = None
        if tag == "li" and self._li is not None:
            self.items.append("".join(self._li))
            self._li = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data)
        if self._row is not None:
            self._row.append(data)
        if self._li is not None:
            self._li.append(data)


def parse(path: Path) -> _Text:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture
def case_report(tmp_path: Path) -> Path:
    findings = json.loads((DATA / "findings_case.json").read_text())
    return write_report(findings, tmp_path)


@pytest.fixture
def xss_report(tmp_path: Path) -> Path:
    findings = json.loads((DATA / "findings_xss.json").read_text())
    return write_report(findings, tmp_path)


def test_files_written(case_report: Path, tmp_path: Path) -> None:
    assert case_report == tmp_path / "report" / "index.html"
    names = sorted(p.name for p in (tmp_path / "report" / "hosts").iterdir())
    stems = assign_names(["APP02", "DB01", "DEV01", "WEB01"])
    assert names == sorted(f"{s}.{ext}" for s in stems.values() for ext in ("html", "json"))
    assert (tmp_path / "report" / "findings.md").is_file()


def test_index_trace_paths_and_cards(case_report: Path) -> None:
    page = parse(case_report)
    path1 = ARROW.join(
        [
            "198.51.100.23:59816",
            "203.0.113.10:9443",
            "WEB01 (10.10.20.15:9999)",
            "APP02 (10.10.30.21:50100)",
            "10.10.40.5:1433",
        ]
    )
    trace_rows = [r for r in page.rows if r.startswith("T000")]
    assert trace_rows == [
        f"T0001|2026-02-03 09:30:12Z|{path1}|2|97,088|3,462,019|0.93|"
        "firewalls/pa-edge-01.log:311firewalls/fg-core-01.log:177",
        "T0002|2026-02-04 14:05:40Z|"
        + path1.replace("59816", "58180")
        + "|2|144,176|910,955|0.90|firewalls/pa-edge-01.log:597",
    ]
    text = " ".join(page.parts)
    for card in (
        "5 evidence files",
        "4,299 records parsed",
        "4 lines rejected",
        "3 port proxies",
        "2 traced relayed sessions",
        "1 high-severity rule changes",
        "3 hosts exposed (high/medium)",
    ):
        n, label = card.split(" ", 1)
        assert f"{n} {label}" in text.replace("  ", " ")


def test_index_inventory_gaps_and_ranges(case_report: Path) -> None:
    page = parse(case_report)
    assert page.items[:6] == [
        "1 rejected line(s) in firewalls/fg-core-01.log (see rejects.jsonl)",
        "2 rejected line(s) in firewalls/pa-edge-01.log (see rejects.jsonl)",
        "1 rejected line(s) in hosts/DB01/Windows/System32/LogFiles/Firewall/pfirewall.log "
        "(see rejects.jsonl)",
        "37 event(s) lost by the logger in "
        "hosts/DB01/Windows/System32/LogFiles/Firewall/pfirewall.log",
        "Warning for hosts/DB01/Windows/System32/LogFiles/Firewall/pfirewall.log: host DB01: "
        "local time taken as America/New_York (site config)",
        "Unknown format (not parsed): notes/chain_of_custody.txt",
    ]
    assert "PA-EDGE-01|2026-02-02 00:03:04Z|2026-02-12 17:58:00Z" in page.rows
    assert "notes/chain_of_custody.txt|unknown||0|0|\u2014|\u2014|230|555555555555" in page.rows


def test_index_changes_and_host_ranking(case_report: Path) -> None:
    page = parse(case_report)
    high = [r for r in page.rows if "tmp-nat-9443" in r]
    assert high == [
        "2026-02-03 08:41:07Z|high|PA-EDGE-01|adminWeb|add|nat_rule|tmp-nat-9443|"
        "exposes 203.0.113.10:9443 -> 10.10.20.15:9999outside change windowadmin not allowlisted|"
        "4 session(s), 6,342,000 bytes2026-02-03 09:30:12Z \u2014 2026-02-09 03:40:27Zpeers: "
        "198.51.100.23|firewalls/pa-edge-01.log:298"
    ]
    ranked = [r for r in page.rows if re.match(r"^(WEB01|APP02|DB01|DEV01)\|10\.", r)]
    assert ranked == [
        "WEB01|10.10.20.15|high|1|2|1|8",
        "APP02|10.10.30.21|high|1|2|0|8",
        "DB01|10.10.40.5|medium|0|2|0|0",
        "DEV01|10.10.50.31|low|1|0|0|0",
    ]


def test_host_page_and_json(case_report: Path) -> None:
    stem = assign_names(["WEB01"])["WEB01"]
    page = parse(case_report.parent / "hosts" / f"{stem}.html")
    assert (
        "process|hosts/WEB01/EventLogs/Microsoft-Windows-Sysmon%4Operational.xml:4|"
        "netsh  i p a v l=9999 listena=0.0.0.0 connectp=50100 c=10.10.30.21"
    ) in page.rows
    assert "9999|198.51.100.23|2|2026-02-03 09:30:12Z|2026-02-04 14:05:40Z|4,614,238" in page.rows
    data = json.loads((case_report.parent / "hosts" / f"{stem}.json").read_text())
    assert data["exposure"] == "high"
    assert [t["id"] for t in data["traces"]] == ["T0001", "T0002"]
    assert [r["object_name"] for r in data["rule_changes"]] == ["tmp-nat-9443"]
    assert data["recommended_actions"] == [
        "Confirm the registry value HKLM\\SYSTEM\\CurrentControlSet\\Services\\PortProxy\\"
        "v4tov4\\tcp\\0.0.0.0/9999 is gone and look for re-creation",
        "Reset credentials and review the logons of: CORP\\svc_backup",
        "Block and hunt for the relay origins at the perimeter: 198.51.100.23",
        "Review and revert nat_rule 'tmp-nat-9443' on PA-EDGE-01 (changed by admin at "
        "2026-02-03T08:41:07Z)",
        "Investigate the IOC hits listed above for lateral movement from this host",
        "Preserve the host's event logs and firewall logs before remediation",
    ]
    app02 = json.loads(
        (case_report.parent / "hosts" / f"{assign_names(['APP02'])['APP02']}.json").read_text()
    )
    assert app02["recommended_actions"][0] == (
        "Remove the active port proxy: netsh interface portproxy delete v4tov4 "
        "listenport=50100 listenaddress=0.0.0.0"
    )


def test_markdown_summary(case_report: Path) -> None:
    text = (case_report.parent / "findings.md").read_text()
    assert (
        "- 2026-02-03T09:30:12Z: `198.51.100.23:59816 -> 203.0.113.10:9443 -> WEB01 "
        "(10.10.20.15:9999) -> APP02 (10.10.30.21:50100) -> 10.10.40.5:1433` (confidence 0.93)"
    ) in text.splitlines()
    assert (
        "| WEB01 | `0.0.0.0:9999` | `10.10.30.21:50100` | 2026-02-03T08:12:40Z | 2026-02-10T06:03:18Z | high |"
        in text
    )
    assert "- Evidence files: 5 (1 of unknown format), records: 4299, rejected lines: 4" in text


def test_self_contained_with_csp(case_report: Path) -> None:
    for page in [case_report, *sorted((case_report.parent / "hosts").glob("*.html"))]:
        html = page.read_text()
        assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in html
        assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        assert "<script" not in html.lower()
        urls = set(re.findall(r"https?://[^\"' <)]+", html))
        assert urls <= {"http://www.w3.org/2000/svg"}
        assert not re.search(r"\s(src|srcset|action|formaction)=", html)


PAYLOADS = (
    "<script>document.title='PWNED'</script>",
    '"><img src=x onerror="document.title=\'PWNED\'">',
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<b onmouseover=alert(1)>",
    'tmp-nat"><img src=x onerror=alert(1)>',
)


def test_payloads_escaped_everywhere(xss_report: Path) -> None:
    pages = [xss_report, *sorted((xss_report.parent / "hosts").glob("*.html"))]
    for page in pages:
        html = page.read_text()
        for bad in ("<script", "<img", "<svg onload", "<iframe", "<b onmouseover"):
            assert bad not in html, (page.name, bad)
    index = xss_report.read_text()
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in index
    assert "tmp-nat&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in index
    text = " ".join(parse(xss_report).parts)
    assert 'tmp-nat"><img src=x onerror=alert(1)>' in text  # shown as text, intact
    host = xss_report.parent / "hosts" / f"{safe_stem(PAYLOADS[0])}.html"
    shown = " ".join(parse(host).parts)
    assert (
        "connectaddress=\"><script>document.body.setAttribute('data-pwned','1')</script>" in shown
    )


def test_svg_text_escaped(xss_report: Path) -> None:
    svgs = re.findall(r"<svg.*?</svg>", xss_report.read_text(), flags=re.S)
    assert len(svgs) == 2  # timeline + flow diagram
    for svg in svgs:
        assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in svgs[1]


def test_hostile_host_names_become_safe_files(xss_report: Path) -> None:
    hosts_dir = xss_report.parent / "hosts"
    names = sorted(p.name for p in hosts_dir.iterdir())
    assert names == sorted(
        f"{s}.{ext}"
        for s in (
            safe_stem("../../etc/passwd"),
            safe_stem("con"),
            safe_stem(PAYLOADS[0]),
        )
        for ext in ("html", "json")
    )
    for p in hosts_dir.iterdir():
        assert p.resolve().parent == hosts_dir.resolve()
    assert safe_stem("../../etc/passwd").startswith("etc_passwd-")
    assert safe_stem("CON").startswith("host_CON-")
    assert safe_stem("com1.example").startswith("host_com1_example-")
    assert safe_stem("nul") != safe_stem("NUL")


def test_sanitised_collisions_stay_apart() -> None:
    names = assign_names(["WEB/01", "WEB:01", "WEB 01", "web01", "WEB01"])
    assert len(set(v.lower() for v in names.values())) == 5
    assert all(v.startswith(("WEB_01-", "web01-", "WEB01-")) for v in names.values())
    assert assign_names(["WEB/01", "WEB:01"]) == assign_names(["WEB:01", "WEB/01"])


@given(st.text(max_size=80))
def test_safe_stem_property(name: str) -> None:
    stem = safe_stem(name)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,57}-[0-9a-f]{8}", stem)
    assert stem.split("-")[0].lower().split("_")[0] not in {"con", "prn", "aux", "nul"}
    assert stem == safe_stem(name)


def test_markdown_escapes_html() -> None:
    assert md("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert(1)\\>"
    assert md("a|b\nc") == "a\\|b c"
