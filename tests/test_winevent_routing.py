"""`fwcorr parse` on a mixed case directory routes Windows evidence to the windows formats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

import parsers
from fwcorr.cli import cli
from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from parsers import windows
from tests.conftest import corpus_file

DATA = Path(__file__).parent / "data" / "windows"
WINDOWS_FORMATS = {"windows_pfirewall", "evtx", "event_xml", "ecs_json", "winevent_json"}
PANOS = (
    "<14>Mar 14 09:15:03 PA-EDGE-01 1,2026/03/14 09:15:03,013101009876,TRAFFIC,end,2561,"
    "2026/03/14 09:15:03,203.0.113.45,198.51.100.10,203.0.113.45,10.1.1.20,allow-9999,,,"
    "incomplete,vsys1,untrust,trust,ethernet1/1,ethernet1/2,log-fwd,2026/03/14 09:15:03,12345,"
    "1,61001,9999,61001,9999,0x400064,tcp,allow,74,74,0,1,2026/03/14 09:15:01,0,any,,7321,0x0,"
    "United States,10.0.0.0-10.255.255.255,,1,0,aged-out,0,0,0,0,,PA-EDGE-01,from-policy,,,0,,0,,"
    "N/A,0,0,0,0\n"
)
FORTIGATE = (
    '<189>date=2026-03-14 time=09:15:03 devname="FGT-EDGE" devid="FGT60F0000000001" '
    'eventtime=1773479703123456789 tz="+0000" logid="0000000013" type="traffic" '
    'subtype="forward" level="notice" vd="root" srcip=203.0.113.45 srcport=61001 '
    'srcintf="wan1" srcintfrole="wan" dstip=10.1.1.20 dstport=9999 dstintf="internal" '
    'dstintfrole="lan" sessionid=123456 proto=6 action="close" policyid=7 policytype="policy" '
    'service="tcp/9999" trandisp="noop" duration=12 sentbyte=1200 rcvdbyte=3400 sentpkt=10 '
    "rcvdpkt=12\n"
)


def test_mixed_case_directory(tmp_path: Path) -> None:
    case = tmp_path / "case"
    (case / "WEB01").mkdir(parents=True)
    (case / "perimeter").mkdir()
    shutil.copy(DATA / "WEB01" / "pfirewall.log", case / "WEB01" / "pfirewall.log")
    shutil.copy(DATA / "firewall_rules.xml", case / "WEB01" / "Firewall.xml")
    shutil.copy(DATA / "firewall_rules_ecs.ndjson", case / "WEB01" / "winlogbeat.ndjson")
    shutil.copy(DATA / "security_wfp.xml", case / "WEB01" / "security.xml")
    (case / "perimeter" / "pan.log").write_text(PANOS)
    (case / "perimeter" / "fgt.log").write_text(FORTIGATE)
    (case / "notes.txt").write_text("collected by IR team\n")
    out = tmp_path / "out"
    run = CliRunner().invoke(cli, ["parse", str(case), "--out", str(out), "--format", "csv"])
    assert run.exit_code == 0, run.output
    summary = json.loads((out / "summary.json").read_text())
    formats = {Path(i["path"]).relative_to(case).as_posix(): i for i in summary["inputs"]}
    assert {name: i["format"] for name, i in formats.items() if name.startswith("WEB01/")} == {
        "WEB01/Firewall.xml": "event_xml",
        "WEB01/pfirewall.log": "windows_pfirewall",
        "WEB01/security.xml": "event_xml",
        "WEB01/winlogbeat.ndjson": "ecs_json",
    }
    pf = formats["WEB01/pfirewall.log"]
    assert (pf["units"], pf["records"], pf["non_records"], pf["rejected"]) == (16, 8, 6, 2)
    assert pf["stats"]["events_lost"] == 12
    assert pf["stats"]["host"] == "WEB01"
    assert formats["WEB01/winlogbeat.ndjson"]["rule_changes"] == 8
    assert formats["WEB01/security.xml"]["connections"] == 5
    # Perimeter logs go to their vendor parser, never to the Windows parser.
    for name, vendor in (("perimeter/pan.log", "paloalto"), ("perimeter/fgt.log", "fortinet")):
        assert parsers.PARSERS[vendor].sniff(Source(path=case / name, display=name))
        assert formats[name]["format"] == vendor
        assert formats[name]["connections"] == 1
    assert formats["notes.txt"]["format"] == "unknown"
    for entry in summary["inputs"]:
        assert entry["units"] == entry["records"] + entry["non_records"] + entry["rejected"]


def test_corpus_containers_are_claimed() -> None:
    for folder, name in (
        ("evtx", "DE_RDP_Tunnel_5156.evtx"),
        ("portproxy", "msdocs_event_4688_example.xml"),
        ("portproxy", "elastic_beats_security_4688_ecs_golden.json"),
        ("windows", "plaso_windows_firewall.log"),
    ):
        path = corpus_file(folder, name)
        source = Source(path=path, display=name)
        assert windows.sniff(source), name
        result = windows.parse(source, ParseContext(host="H"))
        assert result.units == result.records + result.non_records + result.rejected
    for folder, name in (
        ("paloalto", "test-panw-panos-config-sample.log"),
        ("fortinet", "test-fortinet-7-6.log"),
    ):
        assert not windows.sniff(Source(path=corpus_file(folder, name), display=name)), name
