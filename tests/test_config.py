"""Site config: defaults, validation errors naming key and file, assets_csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwcorr.config import DEFAULT_INTERNAL, config_from_dict, load_config
from fwcorr.errors import ConfigError


def test_defaults() -> None:
    cfg = load_config(None)
    assert cfg.internal_networks == list(DEFAULT_INTERNAL)
    assert (cfg.trace.max_lag_s, cfg.trace.byte_tolerance, cfg.trace.slack_s) == (5.0, 0.1, 300.0)


def test_full_config(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(
        """
internal_networks: [10.0.0.0/8, 2001:db8:10::/48]
devices:
  PA-EDGE-01: {serial: "013101009876", timezone: America/New_York, perimeter: true,
               untrusted_zones: [untrust], untrusted_interfaces: [wan1]}
hosts:
  WS01: {ips: [10.1.1.10], timezone: "+08:00"}
allowlist:
  admins: [alice]
  portproxies: [{host: DEV01, listen_port: 3000}]
change_windows:
  - {days: [Sat], start: "22:00", end: "23:59", timezone: UTC}
trace: {max_lag_s: 3, byte_tolerance: 0.2}
"""
    )
    cfg = load_config(tmp_path / "site.yaml")
    assert cfg.internal_networks == ["10.0.0.0/8", "2001:db8:10::/48"]
    dev = cfg.devices["PA-EDGE-01"]
    assert (dev.perimeter, dev.untrusted_zones, dev.untrusted_interfaces) == (
        True, ["untrust"], ["wan1"])  # fmt: skip
    assert cfg.device_by_serial("013101009876") == "PA-EDGE-01"
    assert cfg.find_host("ws01.corp.example").ips == ["10.1.1.10"]
    assert cfg.host_zone("WS01") == "+08:00"
    assert cfg.admin_allowlist == ["alice"]
    assert cfg.portproxy_allowlist == [{"host": "DEV01", "listen_port": 3000}]
    assert [(w.days, w.start, w.end) for w in cfg.change_windows] == [(["sat"], "22:00", "23:59")]
    assert (cfg.trace.max_lag_s, cfg.trace.byte_tolerance) == (3.0, 0.2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colour": 1}, "unknown key colour"),
        ({"devices": {"FW": {"zone": "x"}}}, "unknown key devices.FW.zone"),
        ({"hosts": {"WS01": {"ips": ["10.0.0.300"]}}}, "hosts.WS01.ips: invalid IP address"),
        ({"internal_networks": ["10.0.0.0/40"]}, "internal_networks: invalid network"),
        ({"change_windows": [{"days": ["funday"]}]}, r"change_windows\[0\].days: use mon..sun"),
        ({"trace": {"max_lag_s": "soon"}}, "trace: values must be numbers"),
        ({"allowlist": {"portproxies": [{"host": "X"}]}}, "needs host and listen_port"),
        ({"hosts": {"WS01": {"timezone": "Mars/Base"}}}, "unknown hosts.WS01.timezone"),
    ],
)
def test_errors_name_key_and_file(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=f"^site.yaml: .*{message}"):
        config_from_dict(data, "site.yaml")


def test_assets_csv_errors(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("name,address\nWS01,10.0.0.1\n")
    (tmp_path / "site.yaml").write_text("assets_csv: a.csv\n")
    with pytest.raises(ConfigError, match=r"a\.csv: assets_csv needs columns host,ip"):
        load_config(tmp_path / "site.yaml")
    (tmp_path / "site.yaml").write_text("assets_csv: missing.csv\n")
    with pytest.raises(ConfigError, match="cannot read assets_csv"):
        load_config(tmp_path / "site.yaml")
    (tmp_path / "site.yaml").write_text("hosts: [1, 2]\n")
    with pytest.raises(ConfigError, match="hosts must be a mapping"):
        load_config(tmp_path / "site.yaml")
