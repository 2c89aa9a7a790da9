"""Asset map: configured, CSV and inferred host/IP mappings, each with its source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from fwcorr.assets import build_assets
from fwcorr.config import config_from_dict, load_config
from fwcorr.schema import CONNECTION, PORTPROXY_EVENT, conform

T = datetime(2024, 5, 1, tzinfo=UTC)


def test_config_csv_and_inferred_mappings_with_sources(tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text("host,ip\nSRV02,10.1.2.20\nWS01,10.1.1.10\n")
    cfg_file = tmp_path / "site.yaml"
    cfg_file.write_text("hosts:\n  WS01:\n    ips: [10.1.1.10]\nassets_csv: assets.csv\n")
    config = load_config(cfg_file)
    host_log = conform(
        pl.DataFrame(
            {
                "ts": [T] * 4,
                "vendor": ["windows"] * 4,
                "device": ["ws03.corp.example", "ws03.corp.example", "ws03.corp.example", "WS01"],
                "direction": ["outbound", "inbound", "inbound", "outbound"],
                "src_ip": ["10.1.1.30", "198.51.100.7", "10.1.1.5", "10.1.1.10"],
                "dst_ip": ["10.1.2.20", "10.1.1.30", "255.255.255.255", "10.1.2.20"],
                "src_file": ["WS03/pfirewall.log"] * 3 + ["WS01/pfirewall.log"],
            }
        ),
        CONNECTION,
    )
    events = conform(
        pl.DataFrame(
            {
                "host": ["SRV02", "SRV02"],
                "listen_address": ["192.168.50.2", "0.0.0.0"],
                "listen_port": [8443, 9999],
                "valid": [True, True],
                "src_file": ["SRV02/Security.evtx"] * 2,
                "src_line": [17, 18],
            }
        ),
        PORTPROXY_EVENT,
    ).collect()
    config.hosts["WS03"] = config.hosts["WS01"].__class__("WS03")
    assets = build_assets(config, connections=host_log, portproxy_events=events)
    expected = pl.DataFrame(
        {
            "host": ["SRV02", "SRV02", "WS01", "WS03"],
            "ip": ["10.1.2.20", "192.168.50.2", "10.1.1.10", "10.1.1.30"],
            "source": [
                f"assets_csv {tmp_path / 'assets.csv'}:2",
                "portproxy listenaddress SRV02/Security.evtx:17",
                "config",
                "host log WS03/pfirewall.log",
            ],
        }
    )
    assert_frame_equal(assets.mappings, expected)
    assert assets.host_ips("srv02.corp.example") == ["10.1.2.20", "192.168.50.2"]
    assert assets.host_for_ip("10.1.1.30") == "WS03"
    assert assets.host_for_ip("10.9.9.9") is None


def test_is_internal_defaults_and_ipv6() -> None:
    assets = build_assets(config_from_dict({}))
    frame = pl.DataFrame({"ip": ["10.2.3.4", "172.31.0.1", "172.32.0.1", "fd12::1", "2001:db8::1",
                                 "::ffff:192.168.1.1", None, "junk"]})  # fmt: skip
    got = frame.select(
        assets.is_internal(pl.col("ip")).alias("int"), assets.is_external(pl.col("ip")).alias("ext")
    )
    assert got.get_column("int").to_list() == [True, True, False, True, False, True, False, False]
    assert got.get_column("ext").to_list() == [False, False, True, False, True, False, False, False]
