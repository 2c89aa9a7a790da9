"""End to end: PAN-OS and FortiGate config-change logs through the real parsers into triage."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fwcorr.assets import build_assets
from fwcorr.changes import to_contract, triage
from fwcorr.config import config_from_dict
from fwcorr.context import ParseContext
from fwcorr.runner import parse_inputs
from fwcorr.schema import IOC, PORTPROXY

PAN = (
    "<14>May  4 03:00:00 PA-EDGE 1,2024/05/04 03:00:00,013101009876,CONFIG,0,2816,"
    "2024/05/04 03:00:00,10.1.9.9,,set,admin,Web,Succeeded, vsys  vsys1 rulebase nat rules  "
    "inbound-9999,7286123782408765490,0x0,0,0,0,0,,PA-EDGE,0,,0,2024-05-04T03:00:00.000+00:00,,"
    '"inbound-9999 9b1c2d3e-0000-4000-8000-000000000001 { destination-translation { '
    "translated-port 9999; translated-address 10.1.1.10; } to [ untrust ]; from [ untrust ]; "
    'source [ any ]; destination [ 203.0.113.10 ]; service service-https; } "\n'
)
FGT_HEAD = (
    'devname="FGT-EDGE" devid="FGT60F0000000001" tz="+0000" logid="0100044547" type="event" '
    'subtype="system" level="information" vd="root" logdesc="Object attribute configured" '
    'user="admin"'
)
FGT = "".join(
    f"date=2024-05-04 time=03:0{m}:00 {FGT_HEAD} eventtime={1714791600 + 60 * m}000000000 "
    f'ui="GUI({ui})" action="{action}" cfgtid={m} cfgpath="{path}" cfgobj="{obj}" '
    f'cfgattr="{attr}" msg="{action} {path} {obj}"\n'
    for m, ui, action, path, obj, attr in [
        (1, "198.51.100.66", "Add", "firewall.vip", "vip-rdp",
         "extip[203.0.113.20]mappedip[10.1.2.20]extintf[wan1]portforward[enable]"
         "extport[33389]mappedport[3389]"),
        (2, "10.1.9.9", "Add", "firewall.policy", "12",
         "name[rdp-in]srcintf[wan1]dstintf[internal]srcaddr[all]dstaddr[vip-rdp]"
         "action[accept]schedule[always]service[RDP]"),
        (3, "10.1.9.9", "Edit", "firewall.policy", "7", "comments[old note->new note]"),
    ]
)  # fmt: skip


def test_parsed_config_changes_are_triaged(tmp_path: Path) -> None:
    (tmp_path / "pan.log").write_text(PAN)
    (tmp_path / "fgt.log").write_text(FGT)
    config = config_from_dict(
        {
            "hosts": {"WS01": {"ips": ["10.1.1.10"]}},
            "devices": {"FGT-EDGE": {"perimeter": True, "untrusted_interfaces": ["wan1"]}},
        }
    )
    run = parse_inputs([str(tmp_path / "pan.log"), str(tmp_path / "fgt.log")],
                       ParseContext(config=config))  # fmt: skip
    frame = triage(run.rule_changes, run.connections, pl.DataFrame(schema=PORTPROXY),
                   pl.DataFrame(schema=IOC), build_assets(config), config)  # fmt: skip
    got = [(r["object_name"], r["severity"], r["reasons"], r["evidence"]["line"])
           for r in to_contract(frame)]  # fmt: skip
    assert got == [
        ("inbound-9999", "high", ["NAT rule maps 203.0.113.10 to internal 10.1.1.10:9999"], 1),
        ("vip-rdp", "high", ["VIP (port forward) maps 203.0.113.20 to internal 10.1.2.20:3389",
                             "change made from external client IP 198.51.100.66"], 1),
        ("12", "high", ["permits traffic from untrusted zone wan1 to internal vip-rdp"], 2),
        ("7", "low", ["routine edit (comments)"], 3),
    ]  # fmt: skip
