"""CLI: fwcorr trace with port proxies harvested from parsed portproxy events (iocs.timeline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from fwcorr.cli import cli
from fwcorr.schema import CONNECTION, PORTPROXY_EVENT, conform

T = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
RAW = "netsh interface portproxy add v4tov4 listenport=9999 listenaddress=0.0.0.0 connectport=8443 connectaddress=10.1.2.20"


def test_trace_cli_with_harvested_proxy(tmp_path: Path) -> None:
    pytest.importorskip("iocs.timeline")
    parsed = tmp_path / "parsed"
    parsed.mkdir()
    event = {"ts": T - timedelta(hours=1), "host": "WS01", "user": "CORP\\it", "op": "add",
             "family": "v4tov4", "listen_address": "0.0.0.0", "listen_port": 9999,
             "connect_address": "10.1.2.20", "connect_port": 8443, "protocol": "tcp",
             "valid": True, "evidence_kind": "process", "raw": RAW,
             "src_file": "WS01/Security.evtx", "src_line": 3}  # fmt: skip
    conform(pl.DataFrame([event]), PORTPROXY_EVENT).collect().write_parquet(
        parsed / "portproxy_events.parquet"
    )
    rows = [
        {"ts": T, "device": "PA-EDGE", "action": "allow", "src_ip": "198.51.100.7",
         "src_port": 50001, "dst_ip": "203.0.113.10", "dst_port": 443,
         "nat_dst_ip": "10.1.1.10", "nat_dst_port": 9999, "bytes_out": 500,
         "src_file": "pa.log", "src_line": 1},
        {"ts": T + timedelta(seconds=1), "device": "PA-EDGE", "action": "allow",
         "src_ip": "10.1.1.10", "src_port": 60001, "dst_ip": "10.1.2.20", "dst_port": 8443,
         "bytes_out": 505, "src_file": "pa.log", "src_line": 2},
    ]  # fmt: skip
    conform(pl.DataFrame(rows), CONNECTION).collect().write_parquet(parsed / "connections.parquet")
    (tmp_path / "site.yaml").write_text("hosts:\n  WS01: {ips: [10.1.1.10]}\n")
    res = CliRunner().invoke(cli, ["trace", str(parsed), "--config", str(tmp_path / "site.yaml")])
    assert res.exit_code == 0, res.output
    (trace,) = json.loads(res.stdout)["traces"]
    assert (trace["origin_ip"], trace["entry_ip"], trace["entry_port"]) == (
        "198.51.100.7", "203.0.113.10", 443)  # fmt: skip
    assert trace["hops"] == [
        {"host": "WS01", "listen_ip": "10.1.1.10", "listen_port": 9999,
         "connect_ip": "10.1.2.20", "connect_port": 8443}
    ]  # fmt: skip
    assert trace["evidence"] == [{"path": "pa.log", "line": 1}, {"path": "pa.log", "line": 2}]
    res = CliRunner().invoke(cli, ["trace", str(parsed), "--format", "table",
                                   "--config", str(tmp_path / "site.yaml")])  # fmt: skip
    assert "WS01" in res.stdout and "198.51.100.7" in res.stdout
