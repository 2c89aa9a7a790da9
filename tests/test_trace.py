"""Trace engine on small constructed tables with exact expected traces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fwcorr.assets import build_assets
from fwcorr.config import config_from_dict
from fwcorr.schema import CONNECTION, PORTPROXY, conform
from fwcorr.trace import trace

T = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
CONFIG = config_from_dict(
    {
        "hosts": {
            "WS01": {"ips": ["10.1.1.10"]},
            "SRV02": {"ips": ["10.1.2.20"]},
            "DB03": {"ips": ["10.1.3.30"]},
            "WEB6": {"ips": ["10.1.4.5", "2001:db8:10::5"]},
        },
        "devices": {"PA-EDGE": {"perimeter": True, "untrusted_zones": ["untrust"]}},
    }
)


def at(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def conns(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """CONNECTION frame from partial rows; src_line defaults to the row number."""
    full = []
    for n, row in enumerate(rows, start=1):
        base = {"action": "allow", "protocol": "tcp", "src_file": "case/log.txt", "src_line": n}
        full.append(base | row)
    frame = pl.DataFrame(full, infer_schema_length=None, strict=False)
    return conform(frame, CONNECTION).collect()


def proxies(rows: list[dict[str, Any]]) -> pl.DataFrame:
    base = {"family": "v4tov4", "listen_address": "0.0.0.0", "capture_only": False, "risk": "high"}
    frame = pl.DataFrame([base | r for r in rows], infer_schema_length=None, strict=False)
    return conform(frame, PORTPROXY).collect()


PROXY_A = {
    "proxy_id": "WS01:9999",
    "host": "WS01",
    "host_ips": ["10.1.1.10"],
    "listen_port": 9999,
    "connect_address": "10.1.2.20",
    "connect_port": 8443,
    "first_seen": at(-3600),
    "removed_at": at(3600),
}
PROXY_B = {
    "proxy_id": "SRV02:8443",
    "host": "SRV02",
    "host_ips": [],
    "listen_port": 8443,
    "connect_address": "DB03",  # a hostname, resolved through the asset map
    "connect_port": 3389,
    "first_seen": at(-3600),
    "removed_at": None,
}

# Perimeter PA-EDGE NATs 203.0.113.10:443 -> WS01 10.1.1.10:9999; FG-CORE is internal.
EDGE = {"device": "PA-EDGE", "vendor": "paloalto", "src_zone": "untrust", "dst_zone": "trust"}
CORE = {"device": "FG-CORE", "vendor": "fortinet"}
HOSTLOG = {"device": "WS01", "vendor": "windows", "src_file": "WS01/pfirewall.log"}
CHAIN_ROWS = [
    # 1: session 1 enters at the perimeter (DNAT), seen again by WS01's own log (duplicate leg)
    EDGE | {"ts": at(0), "ts_end": at(60), "src_ip": "198.51.100.7", "src_port": 50001,
            "dst_ip": "203.0.113.10", "dst_port": 443, "nat_dst_ip": "10.1.1.10",
            "nat_dst_port": 9999, "bytes_out": 5000, "bytes_in": 90000},
    HOSTLOG | {"ts": at(0.4), "src_ip": "198.51.100.7", "src_port": 50001,
               "dst_ip": "10.1.1.10", "dst_port": 9999, "direction": "inbound", "src_line": 11},
    # 3-4: WS01 relays to SRV02:8443 (seen by FG-CORE and by WS01's log)
    CORE | {"ts": at(1), "ts_end": at(59), "src_ip": "10.1.1.10", "src_port": 60001,
            "dst_ip": "10.1.2.20", "dst_port": 8443, "bytes_out": 5100, "bytes_in": 89000},
    HOSTLOG | {"ts": at(1.2), "src_ip": "10.1.1.10", "src_port": 60001, "dst_ip": "10.1.2.20",
               "dst_port": 8443, "direction": "outbound", "src_line": 12},
    # 5: SRV02 relays to DB03:3389 (second hop)
    CORE | {"ts": at(2), "ts_end": at(58), "src_ip": "10.1.2.20", "src_port": 61000,
            "dst_ip": "10.1.3.30", "dst_port": 3389, "bytes_out": 5050, "bytes_in": 88000},
    # 6: decoy: the admin's own RDP to the same target, just after (not from a proxy host)
    CORE | {"ts": at(2.5), "src_ip": "10.1.1.50", "src_port": 55000, "dst_ip": "10.1.3.30",
            "dst_port": 3389, "bytes_out": 5040},
    # 7: decoy: RDP from SRV02 itself to DB03 with no inbound leg before it
    CORE | {"ts": at(600), "src_ip": "10.1.2.20", "src_port": 61500, "dst_ip": "10.1.3.30",
            "dst_port": 3389, "bytes_out": 4000},
    # 8-9: blocked inbound at the perimeter, then an (unrelated) outbound from WS01
    EDGE | {"ts": at(300), "action": "deny", "src_ip": "198.51.100.8", "src_port": 50002,
            "dst_ip": "203.0.113.10", "dst_port": 443, "nat_dst_ip": "10.1.1.10",
            "nat_dst_port": 9999, "bytes_out": 100},
    # 9: proxy A still active: one more relayed session (single hop: SRV02 does not relay it)
    EDGE | {"ts": at(3000), "ts_end": at(3010), "src_ip": "198.51.100.9", "src_port": 50003,
            "dst_ip": "203.0.113.10", "dst_port": 443, "nat_dst_ip": "10.1.1.10",
            "nat_dst_port": 9999, "bytes_out": 700, "bytes_in": 1200},
    CORE | {"ts": at(3001), "ts_end": at(3009), "src_ip": "10.1.1.10", "src_port": 60002,
            "dst_ip": "10.1.2.20", "dst_port": 8443, "bytes_out": 700, "bytes_in": 1200},
    # 11-12: proxy A deleted at +3600: a session after that is not a trace
    EDGE | {"ts": at(3700), "src_ip": "198.51.100.9", "src_port": 50004,
            "dst_ip": "203.0.113.10", "dst_port": 443, "nat_dst_ip": "10.1.1.10",
            "nat_dst_port": 9999, "bytes_out": 800},
    CORE | {"ts": at(3701), "src_ip": "10.1.1.10", "src_port": 60003, "dst_ip": "10.1.2.20",
            "dst_port": 8443, "bytes_out": 800},
]  # fmt: skip


def run_chain() -> Any:
    table = conns(CHAIN_ROWS)
    assets = build_assets(CONFIG)
    return trace(table, proxies([PROXY_A, PROXY_B]), assets, CONFIG)


def test_two_hop_chain_with_perimeter_nat_and_duplicate_legs() -> None:
    result = run_chain()
    hop_a = {"host": "WS01", "listen_ip": "10.1.1.10", "listen_port": 9999,
             "connect_ip": "10.1.2.20", "connect_port": 8443}  # fmt: skip
    hop_b = {"host": "SRV02", "listen_ip": "10.1.2.20", "listen_port": 8443,
             "connect_ip": "10.1.3.30", "connect_port": 3389}  # fmt: skip
    first, second = result.traces
    assert {k: v for k, v in first.items() if k not in ("id", "confidence")} == {
        "origin_ip": "198.51.100.7",
        "origin_port": 50001,
        "entry_ip": "203.0.113.10",
        "entry_port": 443,
        "hops": [hop_a, hop_b],
        "target_ip": "10.1.3.30",
        "target_port": 3389,
        "start": "2024-05-01T10:00:00Z",
        "end": "2024-05-01T10:01:00Z",
        "bytes_in": 90000,
        "bytes_out": 5000,
        "evidence": [
            {"path": "WS01/pfirewall.log", "line": 11},
            {"path": "WS01/pfirewall.log", "line": 12},
            {"path": "case/log.txt", "line": 1},
            {"path": "case/log.txt", "line": 3},
            {"path": "case/log.txt", "line": 5},
        ],
    }
    assert {k: v for k, v in second.items() if k not in ("id", "confidence")} == {
        "origin_ip": "198.51.100.9",
        "origin_port": 50003,
        "entry_ip": "203.0.113.10",
        "entry_port": 443,
        "hops": [hop_a],
        "target_ip": "10.1.2.20",
        "target_port": 8443,
        "start": "2024-05-01T10:50:00Z",
        "end": "2024-05-01T10:50:10Z",
        "bytes_in": 1200,
        "bytes_out": 700,
        "evidence": [{"path": "case/log.txt", "line": 9}, {"path": "case/log.txt", "line": 10}],
    }
    # hop A: lag 1 s of 5 s -> 0.8; bytes 5000 vs 5100 (1.96 % of a 10 % tolerance) -> 0.902;
    # outbound inside the inbound's duration -> 1: 0.4*0.8 + 0.4*0.902 + 0.2*1 = 0.881 (hop B:
    # 0.900); a trace takes its weakest hop.
    assert first["confidence"] == pytest.approx(0.881)
    assert second["confidence"] == pytest.approx(0.92)
    assert first["id"].startswith("tr-") and first["id"] != second["id"]
    assert run_chain().traces == result.traces  # ids and order are deterministic


def test_legs_frame_excludes_decoys_blocked_and_post_removal_sessions() -> None:
    legs = run_chain().legs
    expected = pl.DataFrame(
        {
            "proxy_id": ["SRV02:8443"] * 5 + ["WS01:9999"] * 4,
            "leg": ["inbound", "outbound", "outbound", "inbound", "inbound",
                    "inbound", "outbound", "inbound", "outbound"],
            "ts": [at(1), at(2), at(600), at(3001), at(3701), at(0), at(1), at(3000), at(3001)],
            "bytes": [5100, 5050, 4000, 700, 800, 5000, 5100, 700, 700],
            "paired": [True, True, False, False, False, True, True, True, True],
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    # Not legs at all: the admin's RDP (row 6), the blocked session (row 8), and WS01's
    # sessions after its proxy was deleted (rows 11-12; row 12 is only SRV02's inbound).
    assert_frame_equal(legs, expected)


def test_ipv6_v6tov4_proxy_pairs_by_bytes_among_concurrent_sessions() -> None:
    # A capture-only v6tov4 proxy on WEB6 (seen in `netsh interface portproxy show all` at +0).
    proxy = {
        "proxy_id": "WEB6:8080",
        "host": "WEB6",
        "host_ips": ["2001:db8:10::5"],
        "family": "v6tov4",
        "listen_address": "::",
        "listen_port": 8080,
        "connect_address": "10.1.3.30",
        "connect_port": 1433,
        "first_seen": at(0),
        "removed_at": None,
        "capture_only": True,
    }
    rows = [
        # two clients connect at the same second; bytes decide which outbound is whose
        CORE | {"ts": at(-20), "src_ip": "2001:db8:ffff::77", "src_port": 40000,
                "dst_ip": "2001:db8:10::5", "dst_port": 8080, "bytes_out": 1200},
        CORE | {"ts": at(-20), "src_ip": "2001:db8:ffff::88", "src_port": 40001,
                "dst_ip": "2001:db8:10::5", "dst_port": 8080, "bytes_out": 50000},
        CORE | {"ts": at(-19.5), "src_ip": "10.1.4.5", "src_port": 50501,
                "dst_ip": "10.1.3.30", "dst_port": 1433, "bytes_out": 50500},
        CORE | {"ts": at(-19.2), "src_ip": "10.1.4.5", "src_port": 50500,
                "dst_ip": "10.1.3.30", "dst_port": 1433, "bytes_out": 1180},
        # before the capture minus the 300 s slack: not in the active period
        CORE | {"ts": at(-400), "src_ip": "2001:db8:ffff::77", "src_port": 40002,
                "dst_ip": "2001:db8:10::5", "dst_port": 8080, "bytes_out": 900},
        CORE | {"ts": at(-399), "src_ip": "10.1.4.5", "src_port": 50502,
                "dst_ip": "10.1.3.30", "dst_port": 1433, "bytes_out": 900},
    ]  # fmt: skip
    result = trace(conns(rows), proxies([proxy]), build_assets(CONFIG), CONFIG)
    got = [
        (t["origin_ip"], t["hops"][0]["listen_ip"], t["target_ip"], t["bytes_out"],
         [e["line"] for e in t["evidence"]])
        for t in result.traces
    ]  # fmt: skip
    assert got == [
        ("2001:db8:ffff::77", "2001:db8:10::5", "10.1.3.30", 1200, [1, 4]),
        ("2001:db8:ffff::88", "2001:db8:10::5", "10.1.3.30", 50000, [2, 3]),
    ]


def test_relay_discovery_reports_unknown_proxy_with_repeated_pairs() -> None:
    rows = []
    for i in range(3):  # 10.1.5.5 relays 7777 -> 10.1.3.30:445 three times (no indicator)
        t0 = 1000 * i
        rows += [
            CORE | {"ts": at(t0), "src_ip": f"198.51.100.{20 + i}", "src_port": 41000 + i,
                    "dst_ip": "10.1.5.5", "dst_port": 7777, "bytes_out": 3000 + i},
            CORE | {"ts": at(t0 + 0.5), "src_ip": "10.1.5.5", "src_port": 52000 + i,
                    "dst_ip": "10.1.3.30", "dst_port": 445, "bytes_out": 3010 + i},
        ]  # fmt: skip
    for i in range(2):  # only twice: below the minimum of 3
        rows += [
            CORE | {"ts": at(5000 + 100 * i), "src_ip": "198.51.100.30", "src_port": 42000 + i,
                    "dst_ip": "10.1.6.6", "dst_port": 8888, "bytes_out": 500},
            CORE | {"ts": at(5001 + 100 * i), "src_ip": "10.1.6.6", "src_port": 53000 + i,
                    "dst_ip": "10.1.3.30", "dst_port": 1433, "bytes_out": 500},
        ]  # fmt: skip
    result = trace(conns(rows), proxies([]), build_assets(CONFIG), CONFIG)
    assert result.traces == []
    assert result.suspected_proxies == [
        {
            "host": None,
            "host_ip": "10.1.5.5",
            "listen_port": 7777,
            "connect_ip": "10.1.3.30",
            "connect_port": 445,
            "pairs": 3,
            "bytes_matched": 3,
            "first_seen": "2024-05-01T10:00:00Z",
            "last_seen": "2024-05-01T10:33:20Z",
            "median_lag_s": 0.5,
            "origins": ["198.51.100.20", "198.51.100.21", "198.51.100.22"],
            "approved": False,
            "evidence": [{"path": "case/log.txt", "line": n} for n in range(1, 7)],
        }
    ]


def test_known_proxy_is_not_reported_as_suspected_but_found_without_it() -> None:
    rows = []
    for i in range(3):
        rows += [
            CORE | {"ts": at(100 * i), "src_ip": "198.51.100.7", "src_port": 50010 + i,
                    "dst_ip": "10.1.1.10", "dst_port": 9999, "bytes_out": 400},
            CORE | {"ts": at(100 * i + 2), "src_ip": "10.1.1.10", "src_port": 60010 + i,
                    "dst_ip": "10.1.2.20", "dst_port": 8443, "bytes_out": 400},
        ]  # fmt: skip
    assets = build_assets(CONFIG)
    known = trace(conns(rows), proxies([PROXY_A]), assets, CONFIG)
    assert (len(known.traces), known.suspected_proxies) == (3, [])
    unknown = trace(conns(rows), proxies([]), assets, CONFIG).suspected_proxies
    assert [(s["host"], s["listen_port"], s["connect_ip"], s["pairs"]) for s in unknown] == [
        ("WS01", 9999, "10.1.2.20", 3)
    ]


def test_specific_listen_address_only_matches_that_address() -> None:
    config = config_from_dict({"hosts": {"WS01": {"ips": ["10.1.1.10", "10.1.1.11"]}}})
    proxy = PROXY_A | {"listen_address": "10.1.1.11", "removed_at": None}
    rows = [
        # to the other address of the same host: not the proxy's listen side
        CORE | {"ts": at(0), "src_ip": "198.51.100.7", "src_port": 50001, "dst_ip": "10.1.1.10",
                "dst_port": 9999, "bytes_out": 100},
        CORE | {"ts": at(1), "src_ip": "10.1.1.10", "src_port": 60001, "dst_ip": "10.1.2.20",
                "dst_port": 8443, "bytes_out": 100},
        # to the listen address
        CORE | {"ts": at(100), "src_ip": "198.51.100.7", "src_port": 50002,
                "dst_ip": "10.1.1.11", "dst_port": 9999, "bytes_out": 200},
        CORE | {"ts": at(101), "src_ip": "10.1.1.10", "src_port": 60002, "dst_ip": "10.1.2.20",
                "dst_port": 8443, "bytes_out": 200},
    ]  # fmt: skip
    result = trace(conns(rows), proxies([proxy]), build_assets(config), config)
    assert [(t["origin_port"], t["hops"][0]["listen_ip"]) for t in result.traces] == [
        (50002, "10.1.1.11")
    ]
