"""End to end: PAN-OS TRAFFIC (perimeter DNAT) + the proxy host's pfirewall.log into trace."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from fwcorr.assets import build_assets
from fwcorr.config import config_from_dict
from fwcorr.context import ParseContext
from fwcorr.runner import parse_inputs
from fwcorr.schema import PORTPROXY, conform
from fwcorr.trace import trace

# PAN-OS 10.x TRAFFIC end log: 198.51.100.7:50001 -> 203.0.113.10:443, DNAT to 10.1.1.10:9999.
PAN = (
    "1,2024/05/01 10:01:00,013101009876,TRAFFIC,end,2816,2024/05/01 10:01:00,198.51.100.7,"
    "203.0.113.10,0.0.0.0,10.1.1.10,in-9999,,,ssl,vsys1,untrust,trust,ethernet1/1,ethernet1/2,"
    "fwd,2024/05/01 10:01:00,1001,1,50001,443,0,9999,0x400000,tcp,allow,95000,5000,90000,80,"
    "2024/05/01 10:00:00,60,any,,7286123782408766774,0x0,United States,10.0.0.0-10.255.255.255,,"
    "40,40,tcp-fin,0,0,0,0,,PA-EDGE,from-policy,,,0,,0,,N/A,0,0,0,0"
    + "," * 25
    + "2024-05-01T10:01:00.000+00:00\n"
)
PFIREWALL = """#Version: 1.5
#Software: Microsoft Windows Firewall
#Time Format: Local
#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path
2024-05-01 10:00:00 ALLOW TCP 198.51.100.7 10.1.1.10 50001 9999 0 - - - - - - - RECEIVE
2024-05-01 10:00:01 ALLOW TCP 10.1.1.10 10.1.2.20 60001 8443 0 - - - - - - - SEND
2024-05-01 10:05:00 ALLOW TCP 10.1.1.10 10.1.2.20 60002 8443 0 - - - - - - - SEND
"""


def test_trace_from_parsed_perimeter_and_host_logs(tmp_path: Path) -> None:
    (tmp_path / "WS01").mkdir()
    (tmp_path / "pan.log").write_text(PAN)
    (tmp_path / "WS01" / "pfirewall.log").write_text(PFIREWALL.replace("\n", "\r\n"))
    config = config_from_dict(
        {"hosts": {"WS01": {"ips": ["10.1.1.10"], "timezone": "UTC"}},
         "devices": {"PA-EDGE": {"timezone": "UTC", "perimeter": True}}}
    )  # fmt: skip
    run = parse_inputs([str(tmp_path)], ParseContext(config=config))
    assert sorted((i.format, i.records, i.rejected) for i in run.inputs) == [
        ("paloalto", 1, 0),
        ("windows_pfirewall", 3, 0),
    ]
    proxy = conform(
        pl.DataFrame(
            [{"proxy_id": "WS01:9999", "host": "WS01", "listen_address": "0.0.0.0",
              "listen_port": 9999, "connect_address": "10.1.2.20", "connect_port": 8443,
              "first_seen": datetime(2024, 5, 1, 9, 0, tzinfo=UTC)}]
        ),
        PORTPROXY,
    ).collect()  # fmt: skip
    result = trace(run.connections, proxy, build_assets(config, run.connections), config)
    (got,) = result.traces
    host_log = str(tmp_path / "WS01" / "pfirewall.log")
    assert {k: v for k, v in got.items() if k not in ("id", "confidence")} == {
        "origin_ip": "198.51.100.7", "origin_port": 50001,
        "entry_ip": "203.0.113.10", "entry_port": 443,
        "hops": [{"host": "WS01", "listen_ip": "10.1.1.10", "listen_port": 9999,
                  "connect_ip": "10.1.2.20", "connect_port": 8443}],
        "target_ip": "10.1.2.20", "target_port": 8443,
        "start": "2024-05-01T10:00:00Z", "end": "2024-05-01T10:01:00Z",
        "bytes_in": 90000, "bytes_out": 5000,
        "evidence": [{"path": host_log, "line": 5}, {"path": host_log, "line": 6},
                     {"path": str(tmp_path / "pan.log"), "line": 1}],
    }  # fmt: skip
