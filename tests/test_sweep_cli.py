"""CLI: fwcorr sweep / trace / changes over a `fwcorr parse`-style parquet folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from fwcorr.cli import cli
from fwcorr.schema import CONNECTION, RULE_CHANGE, conform

T = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def case(tmp_path: Path) -> Path:
    parsed = tmp_path / "parsed"
    parsed.mkdir()
    rows = [
        {"ts": T, "device": "PA-EDGE", "action": "allow", "src_ip": "198.51.100.7",
         "src_port": 50001, "dst_ip": "203.0.113.10", "dst_port": 443,
         "nat_dst_ip": "10.1.1.10", "nat_dst_port": 9999, "rule": "in-9999", "bytes_out": 500,
         "src_file": "pa.log", "src_line": 1},
        {"ts": T + timedelta(seconds=1), "device": "PA-EDGE", "action": "allow",
         "src_ip": "10.1.1.10", "src_port": 60001, "dst_ip": "10.1.2.20", "dst_port": 8443,
         "bytes_out": 505, "src_file": "pa.log", "src_line": 2},
    ]  # fmt: skip
    conform(pl.DataFrame(rows), CONNECTION).collect().write_parquet(parsed / "connections.parquet")
    change = {"ts": T - timedelta(minutes=5), "vendor": "paloalto", "device": "PA-EDGE",
              "admin": "admin", "client_ip": "198.51.100.99", "operation": "add",
              "object_type": "security_rule", "object_name": "in-9999", "src_file": "cfg.log",
              "src_line": 7}  # fmt: skip
    conform(pl.DataFrame([change]), RULE_CHANGE).collect().write_parquet(
        parsed / "rule_changes.parquet"
    )
    (tmp_path / "iocs.txt").write_text("# case indicators\n198.51.100.0/24\n10.1.2.20:8443\n")
    return tmp_path


def test_sweep_json_summary(case: Path) -> None:
    pytest.importorskip("iocs.iocfiles")
    res = CliRunner().invoke(cli, ["sweep", str(case / "parsed"), "--iocs", str(case / "iocs.txt")])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)["hits_summary"]
    assert [(s["ioc_id"].split(":", 1)[0], s["hits"], s["peers"]) for s in summary] == [
        ("cidr", 1, ["203.0.113.10"]),
        ("ip_port", 1, ["10.1.1.10"]),
    ]
    assert "2 hits for 2 of 2 indicators" in res.stderr


def test_sweep_parquet_needs_out_and_writes_hits(case: Path) -> None:
    pytest.importorskip("iocs.iocfiles")
    args = ["sweep", str(case / "parsed"), "--iocs", str(case / "iocs.txt"), "--format", "parquet"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code != 0 and "needs --out" in str(res.exception)
    res = CliRunner().invoke(cli, [*args, "--out", str(case / "hits")])
    assert res.exit_code == 0, res.output
    hits = pl.read_parquet(case / "hits.parquet")
    assert hits.select("src_line", "matched_column").rows() == [
        (1, "src_ip"),
        (2, "dst_ip:dst_port"),
    ]


def test_trace_and_changes_commands(case: Path) -> None:
    res = CliRunner().invoke(cli, ["trace", str(case / "parsed")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"schema_version": 1, "traces": [], "suspected_proxies": []}
    res = CliRunner().invoke(cli, ["changes", str(case / "parsed"), "--format", "table"])
    assert res.exit_code == 0, res.output
    assert "change made from external client IP 198.51.100.99" in res.stdout
    res = CliRunner().invoke(cli, ["changes", str(case / "parsed")])
    (row,) = json.loads(res.stdout)["rule_changes"]
    assert (row["severity"], row["use_count"], row["first_use"]) == (
        "high",
        1,
        "2024-05-01T10:00:00Z",
    )
