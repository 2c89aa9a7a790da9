"""`fwcorr parse` on a folder mixing PAN-OS and FortiGate files routes each to its parser."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from fwcorr.cli import cli

DATA = Path(__file__).parent / "data" / "fortinet"

# PAN-OS 10.x TRAFFIC record as sent over syslog (BSD header, then the CSV fields).
PANOS_TRAFFIC = (
    "<14>Mar  5 10:30:00 PA-VM-01 1,2024/03/05 10:30:00,013101009876,TRAFFIC,end,2561,"
    "2024/03/05 10:30:00,10.1.1.10,203.0.113.50,198.51.100.10,203.0.113.50,allow-web,,,ssl,"
    "vsys1,trust,untrust,ethernet1/2,ethernet1/1,Log-Forwarding,2024/03/05 10:30:00,12345,1,"
    "51544,443,51544,443,0x400019,tcp,allow,5000,2000,3000,20,2024/03/05 10:29:50,10,any,,"
    "7300000000000000001,0x8000000000000000,10.0.0.0-10.255.255.255,United States,,10,10,"
    "tcp-fin,0,0,0,0,,PA-VM-01,from-policy,,,0,,0,,N/A,0,0,0,0,"
    "a8b7c6d5-1111-2222-3333-444455556666,0,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
)


def test_parse_mixed_folder_routes_each_file(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "pa-edge.log").write_text(PANOS_TRAFFIC)
    shutil.copy(DATA / "traffic_7x.log", case / "fgt-traffic.log")
    shutil.copy(DATA / "config_changes.log", case / "fgt-config.txt")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["parse", str(case), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    formats = {Path(i["path"]).name: i["format"] for i in summary["inputs"]}
    assert formats == {
        "fgt-config.txt": "fortinet",
        "fgt-traffic.log": "fortinet",
        "pa-edge.log": "paloalto",
    }
    counts = {
        Path(i["path"]).name: (i["units"], i["records"], i["non_records"], i["rejected"])
        for i in summary["inputs"]
        if i["format"] == "fortinet"
    }
    assert counts == {"fgt-config.txt": (9, 7, 2, 0), "fgt-traffic.log": (7, 7, 0, 0)}
    stamps = {Path(i["path"]).name: (i["first_ts"], i["last_ts"]) for i in summary["inputs"]}
    assert stamps["fgt-traffic.log"] == ("2024-03-05T09:13:25.123456Z", "2024-03-05T09:22:00Z")
