"""Site configuration (YAML, safe_load only), validated with errors naming key and file."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import netaddr
import yaml

from fwcorr.errors import ConfigError
from fwcorr.timez import normalize_zone

DEFAULT_INTERNAL = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class DeviceConfig:
    name: str
    serial: str | None = None
    timezone: str | None = None
    perimeter: bool = False
    untrusted_zones: list[str] = field(default_factory=list)
    untrusted_interfaces: list[str] = field(default_factory=list)


@dataclass
class HostConfig:
    name: str
    ips: list[str] = field(default_factory=list)
    timezone: str | None = None


@dataclass
class ChangeWindow:
    days: list[str]
    start: str
    end: str
    timezone: str = "UTC"


@dataclass
class TraceConfig:
    max_lag_s: float = 5.0
    byte_tolerance: float = 0.10
    slack_s: float = 300.0


@dataclass
class SiteConfig:
    path: str | None = None
    internal_networks: list[str] = field(default_factory=lambda: list(DEFAULT_INTERNAL))
    devices: dict[str, DeviceConfig] = field(default_factory=dict)
    hosts: dict[str, HostConfig] = field(default_factory=dict)
    admin_allowlist: list[str] = field(default_factory=list)
    portproxy_allowlist: list[dict[str, Any]] = field(default_factory=list)
    change_windows: list[ChangeWindow] = field(default_factory=list)
    trace: TraceConfig = field(default_factory=TraceConfig)
    asset_sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (host, ip) -> origin

    def device_zone(self, device: str | None) -> str | None:
        dev = self.devices.get(device or "")
        return dev.timezone if dev else None

    def host_zone(self, host: str | None) -> str | None:
        cfg = self.find_host(host)
        return cfg.timezone if cfg else None

    def device_by_serial(self, serial: str | None) -> str | None:
        for dev in self.devices.values():
            if serial and dev.serial == serial:
                return dev.name
        return None

    def find_host(self, host: str | None) -> HostConfig | None:
        """Case-insensitive host lookup that also matches an FQDN's short name."""
        if not host:
            return None
        want = host.lower()
        short = want.split(".", 1)[0]
        for name, cfg in self.hosts.items():
            low = name.lower()
            if low in (want, short) or low.split(".", 1)[0] == short:
                return cfg
        return None


def _check_keys(mapping: Any, allowed: set[str], where: str, path: str) -> dict[str, Any]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise ConfigError(f"{where} must be a mapping", path)
    unknown = sorted(set(map(str, mapping)) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key {where + '.' if where != '(top)' else ''}{unknown[0]}", path
        )
    return mapping


def _str_list(value: Any, where: str, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list", path)
    return [str(v) for v in value]


def _ip(value: str, where: str, path: str) -> str:
    try:
        return str(netaddr.IPAddress(value.strip()))
    except (netaddr.AddrFormatError, ValueError) as exc:
        raise ConfigError(f"{where}: invalid IP address {value!r}", path) from exc


def _zone(value: Any, where: str, path: str) -> str | None:
    if value is None:
        return None
    try:
        return normalize_zone(str(value), where)
    except ConfigError as exc:
        raise ConfigError(exc.message, path) from exc


def load_config(path: str | Path | None) -> SiteConfig:
    """Load and validate a site config; None gives the defaults."""
    if path is None:
        return SiteConfig()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror or exc}", str(p)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", str(p)) from exc
    return config_from_dict(data or {}, str(p))


def config_from_dict(data: Any, path: str = "<config>") -> SiteConfig:
    top = _check_keys(
        data,
        {
            "internal_networks",
            "devices",
            "hosts",
            "assets_csv",
            "allowlist",
            "change_windows",
            "trace",
        },
        "(top)",
        path,
    )
    cfg = SiteConfig(path=path)
    if "internal_networks" in top:
        nets = []
        for net in _str_list(top["internal_networks"], "internal_networks", path):
            try:
                nets.append(str(netaddr.IPNetwork(net).cidr))
            except (netaddr.AddrFormatError, ValueError) as exc:
                raise ConfigError(f"internal_networks: invalid network {net!r}", path) from exc
        cfg.internal_networks = nets
    devices = _check_keys(
        top.get("devices"), set(map(str, top.get("devices") or {})), "devices", path
    )
    for name, body in devices.items():
        where = f"devices.{name}"
        b = _check_keys(
            body or {},
            {"serial", "timezone", "perimeter", "untrusted_zones", "untrusted_interfaces"},
            where,
            path,
        )
        cfg.devices[str(name)] = DeviceConfig(
            name=str(name),
            serial=str(b["serial"]) if b.get("serial") is not None else None,
            timezone=_zone(b.get("timezone"), f"{where}.timezone", path),
            perimeter=bool(b.get("perimeter", False)),
            untrusted_zones=_str_list(b.get("untrusted_zones"), f"{where}.untrusted_zones", path),
            untrusted_interfaces=_str_list(
                b.get("untrusted_interfaces"), f"{where}.untrusted_interfaces", path
            ),
        )
    hosts = _check_keys(top.get("hosts"), set(map(str, top.get("hosts") or {})), "hosts", path)
    for name, body in hosts.items():
        where = f"hosts.{name}"
        b = _check_keys(body or {}, {"ips", "timezone"}, where, path)
        ips = [_ip(v, f"{where}.ips", path) for v in _str_list(b.get("ips"), f"{where}.ips", path)]
        cfg.hosts[str(name)] = HostConfig(
            str(name), ips, _zone(b.get("timezone"), f"{where}.timezone", path)
        )
    if top.get("assets_csv"):
        _load_assets(cfg, Path(path).parent / str(top["assets_csv"]), path)
    allow = _check_keys(top.get("allowlist"), {"admins", "portproxies"}, "allowlist", path)
    cfg.admin_allowlist = _str_list(allow.get("admins"), "allowlist.admins", path)
    for i, item in enumerate(allow.get("portproxies") or []):
        entry = _check_keys(
            item,
            {"host", "listen_port", "connect_address", "connect_port"},
            f"allowlist.portproxies[{i}]",
            path,
        )
        if "host" not in entry or "listen_port" not in entry:
            raise ConfigError(f"allowlist.portproxies[{i}] needs host and listen_port", path)
        cfg.portproxy_allowlist.append(dict(entry))
    for i, item in enumerate(top.get("change_windows") or []):
        where = f"change_windows[{i}]"
        w = _check_keys(item, {"days", "start", "end", "timezone"}, where, path)
        days = [d.lower()[:3] for d in _str_list(w.get("days", list(_DAYS)), f"{where}.days", path)]
        if any(d not in _DAYS for d in days):
            raise ConfigError(f"{where}.days: use mon..sun", path)
        cfg.change_windows.append(
            ChangeWindow(
                days,
                str(w.get("start", "00:00")),
                str(w.get("end", "23:59")),
                _zone(w.get("timezone", "UTC"), f"{where}.timezone", path) or "UTC",
            )
        )
    tr = _check_keys(top.get("trace"), {"max_lag_s", "byte_tolerance", "slack_s"}, "trace", path)
    try:
        cfg.trace = TraceConfig(
            max_lag_s=float(tr.get("max_lag_s", 5.0)),
            byte_tolerance=float(tr.get("byte_tolerance", 0.10)),
            slack_s=float(tr.get("slack_s", 300.0)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"trace: values must be numbers ({exc})", path) from exc
    return cfg


def _load_assets(cfg: SiteConfig, csv_path: Path, path: str) -> None:
    try:
        with csv_path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"host", "ip"} <= set(reader.fieldnames):
                raise ConfigError("assets_csv needs columns host,ip", str(csv_path))
            for n, row in enumerate(reader, start=2):
                host = (row.get("host") or "").strip()
                if not host:
                    raise ConfigError("empty host", str(csv_path), n)
                ip = _ip(row.get("ip") or "", f"{csv_path}:{n}", path)
                entry = cfg.find_host(host) or cfg.hosts.setdefault(host, HostConfig(host))
                if ip not in entry.ips:
                    entry.ips.append(ip)
                    cfg.asset_sources[(entry.name, ip)] = f"assets_csv {csv_path}:{n}"
    except OSError as exc:
        raise ConfigError(f"cannot read assets_csv: {exc.strerror or exc}", str(csv_path)) from exc
