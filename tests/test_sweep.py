"""IOC sweep on constructed tables: exact hits, CIDR nesting, IPv6, NAT columns, summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal

from fwcorr.assets import build_assets
from fwcorr.config import config_from_dict
from fwcorr.schema import CONNECTION, IOC, PORTPROXY, conform
from fwcorr.sweep import ioc_warnings, iocs_from_portproxies, summarize, sweep

T = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
CONFIG = config_from_dict({"hosts": {"WS01": {"ips": ["10.1.1.10", "2001:db8:10::10"]}}})
ASSETS = build_assets(CONFIG)


def conns(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = [{"action": "allow", "src_file": "fw.log", "src_line": n} | r for n, r in
            enumerate(rows, start=1)]  # fmt: skip
    return conform(pl.DataFrame(full, infer_schema_length=None), CONNECTION).collect()


def iocs(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = [{"role": "ioc_file", "source": "iocs.txt"} | r for r in rows]
    return conform(pl.DataFrame(full, infer_schema_length=None), IOC).collect()


CONNS = conns(
    [
        # 1: inbound at the perimeter, DNAT to WS01:9999
        {"ts": T, "device": "PA-EDGE", "src_ip": "198.51.100.7", "src_port": 50001,
         "dst_ip": "203.0.113.10", "dst_port": 443, "nat_dst_ip": "10.1.1.10",
         "nat_dst_port": 9999},
        # 2: WS01 relays to 10.1.2.20:8443
        {"ts": T + timedelta(seconds=1), "device": "FG-CORE", "src_ip": "10.1.1.10",
         "src_port": 60001, "dst_ip": "10.1.2.20", "dst_port": 8443},
        # 3: IPv6 client to WS01's v6 address
        {"ts": T + timedelta(seconds=5), "device": "FG-CORE", "src_ip": "2001:db8:ffff::77",
         "src_port": 40000, "dst_ip": "2001:db8:10::10", "dst_port": 9999},
        # 4: unrelated
        {"ts": T + timedelta(seconds=9), "device": "FG-CORE", "src_ip": "192.168.7.7",
         "src_port": 40001, "dst_ip": "192.168.7.8", "dst_port": 80},
    ]
)  # fmt: skip

IOCS = iocs(
    [
        {"id": "ip:198.51.100.7", "kind": "ip", "value": "198.51.100.7", "ip": "198.51.100.7"},
        {"id": "cidr:198.51.100.0/24", "kind": "cidr", "value": "198.51.100.0/24"},
        {"id": "cidr:198.51.0.0/16", "kind": "cidr", "value": "198.51.0.0/16"},  # nests the /24
        {"id": "cidr:10.1.1.0/24", "kind": "cidr", "value": "10.1.1.0/24"},
        {"id": "cidr:2001:db8:ff00::/40", "kind": "cidr", "value": "2001:db8:ff00::/40"},
        {"id": "ip_port:10.1.2.20:8443", "kind": "ip_port", "value": "10.1.2.20:8443"},
        {"id": "ip_port:10.1.1.10:9999", "kind": "ip_port", "value": "10.1.1.10:9999"},
        {"id": "port_on_host:WS01:9999", "kind": "port_on_host", "value": "WS01:9999",
         "host": "WS01", "port": 9999},
        {"id": "ip:2001:db8::dead", "kind": "ip", "value": "2001:DB8:0::DEAD"},  # no hit
    ]
)  # fmt: skip


def test_sweep_hits_every_kind_column_and_nested_cidr() -> None:
    hits = sweep(CONNS, IOCS, ASSETS).collect(engine="streaming")
    expected = pl.DataFrame(
        {
            "conn_row": [0, 0, 0, 0, 0, 0, 1, 1, 2, 2],
            "ioc_id": [
                "cidr:10.1.1.0/24", "cidr:198.51.0.0/16", "cidr:198.51.100.0/24",
                "ip:198.51.100.7", "ip_port:10.1.1.10:9999", "port_on_host:WS01:9999",
                "cidr:10.1.1.0/24", "ip_port:10.1.2.20:8443",
                "cidr:2001:db8:ff00::/40", "port_on_host:WS01:9999",
            ],
            "ioc_kind": ["cidr", "cidr", "cidr", "ip", "ip_port", "port_on_host",
                         "cidr", "ip_port", "cidr", "port_on_host"],
            "matched_column": [
                "nat_dst_ip", "src_ip", "src_ip", "src_ip", "nat_dst_ip:nat_dst_port",
                "nat_dst_ip:nat_dst_port", "src_ip", "dst_ip:dst_port", "src_ip",
                "dst_ip:dst_port",
            ],
        },
        schema_overrides={"conn_row": pl.UInt32},
    )  # fmt: skip
    assert_frame_equal(hits.select("conn_row", "ioc_id", "ioc_kind", "matched_column"), expected)
    # connection columns ride along unchanged
    assert hits.columns[1:-3] == list(CONNECTION.names())
    assert hits.row(0, named=True)["src_line"] == 1


def test_summary_contract_shape() -> None:
    summary = summarize(sweep(CONNS, IOCS, ASSETS))
    by_id = {s["ioc_id"]: s for s in summary}
    assert [s["ioc_id"] for s in summary] == sorted(by_id)
    assert by_id["cidr:10.1.1.0/24"] == {
        "ioc_id": "cidr:10.1.1.0/24",
        "hits": 2,
        "first_seen": "2024-05-01T10:00:00Z",
        "last_seen": "2024-05-01T10:00:01Z",
        "devices": ["FG-CORE", "PA-EDGE"],
        "peers": ["10.1.2.20", "198.51.100.7"],
    }
    assert by_id["port_on_host:WS01:9999"]["peers"] == ["198.51.100.7", "2001:db8:ffff::77"]
    assert "ip:2001:db8::dead" not in by_id


def test_warnings_for_unusable_indicators() -> None:
    bad = iocs(
        [
            {"id": "x1", "kind": "ip", "value": "10.0.0.300"},
            {"id": "x2", "kind": "cidr", "value": "10.0.0.0/33"},
            {"id": "x3", "kind": "port_on_host", "value": "NOPE:80", "host": "NOPE", "port": 80},
            {"id": "x4", "kind": "domain", "value": "evil.example"},
        ]
    )
    assert ioc_warnings(bad, ASSETS) == [
        "IOC x1: not an IP address: '10.0.0.300'",
        "IOC x2: not a CIDR: '10.0.0.0/33'",
        "IOC x3: no known IPs for host 'NOPE'; not swept",
        "IOC x4: unknown kind 'domain'",
    ]
    assert sweep(CONNS, bad, ASSETS).collect().height == 0


def test_iocs_from_portproxies() -> None:
    table = conform(
        pl.DataFrame(
            [{"proxy_id": "p1", "host": "WS01", "listen_port": 9999,
              "connect_address": "2001:db8::5", "connect_port": 3389}]
        ),
        PORTPROXY,
    ).collect()  # fmt: skip
    got = iocs_from_portproxies(table).select("id", "kind", "ip", "port", "host").to_dicts()
    assert got == [
        {"id": "ip_port:[2001:db8::5]:3389", "kind": "ip_port", "ip": "2001:db8::5",
         "port": 3389, "host": None},
        {"id": "port_on_host:WS01:9999", "kind": "port_on_host", "ip": None, "port": 9999,
         "host": "WS01"},
    ]  # fmt: skip


def test_ip_indicator_matches_any_text_form_of_the_address() -> None:
    table = conns(
        [
            {"ts": T, "device": "FW", "src_ip": "2001:0DB8:0000::DEAD", "dst_ip": "10.0.0.1"},
            {"ts": T, "device": "FW", "src_ip": "::ffff:198.51.100.7", "dst_ip": "10.0.0.1"},
            {"ts": T, "device": "FW", "src_ip": "2001:db8::beef", "dst_ip": "10.0.0.1"},
        ]
    )
    hits = sweep(table, IOCS, ASSETS).collect()
    assert hits.select("conn_row", "ioc_id", "ioc_kind").rows() == [
        (0, "ip:2001:db8::dead", "ip"),
        (1, "cidr:198.51.0.0/16", "cidr"),
        (1, "cidr:198.51.100.0/24", "cidr"),
        (1, "ip:198.51.100.7", "ip"),
    ]
