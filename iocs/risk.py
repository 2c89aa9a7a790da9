"""Port-proxy risk: how exposed a proxy is and why (reasons for every level)."""

from __future__ import annotations

import functools
from typing import Any

import netaddr

from fwcorr.config import SiteConfig

_SERVICE_USERS = ("system", "local service", "network service", "localsystem")
_WSL = netaddr.IPNetwork("172.16.0.0/12")
_WILDCARD = {"*", "0.0.0.0", "::"}


@functools.lru_cache(maxsize=4096)
def host_key(host: str | None) -> str:
    """Grouping key for a host: lower-case short name (an IP stays whole)."""
    if not host:
        return ""
    h = host.strip().lower()
    try:
        netaddr.IPAddress(h)
        return h
    except (netaddr.AddrFormatError, ValueError):
        return h.split(".", 1)[0]


@functools.lru_cache(maxsize=4096)
def parse_ip(text: str | None) -> netaddr.IPAddress | None:
    """An IP address, or None for host names, `*` and junk."""
    if not text:
        return None
    try:
        return netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError):
        return None


def host_ips(host: str, listen_address: str | None, config: SiteConfig) -> list[str]:
    """IPs known for a host: config hosts/assets, the host name itself if it is an IP, and a
    specific (non-wildcard, non-loopback) listen address."""
    ips: list[str] = []
    cfg = config.find_host(host)
    if cfg is not None:
        ips.extend(cfg.ips)
    for cand in (host, listen_address):
        ip = parse_ip(cand)
        if ip is not None and not ip.is_loopback() and str(ip) not in ("0.0.0.0", "::"):
            ips.append(str(ip))
    return list(dict.fromkeys(ips))


@functools.lru_cache(maxsize=64)
def _networks(cidrs: tuple[str, ...]) -> list[netaddr.IPNetwork]:
    return [netaddr.IPNetwork(n) for n in cidrs]


def _service_user(user: str | None) -> bool:
    if not user:
        return False
    low = user.lower().rsplit("\\", 1)[-1]
    return low in _SERVICE_USERS or low.endswith("$")


def assess(
    host: str,
    listen: tuple[str | None, int | None],
    connect: tuple[str | None, int | None],
    users: list[str],
    vias: list[str],
    ips: list[str],
    config: SiteConfig,
) -> tuple[str, list[str]]:
    """Risk of a proxy (high|medium|low) and the reasons; every level has its reasons.

    users: accounts that created or changed it; vias: remote-execution methods used;
    ips: the host's own addresses (a target among them is not "another internal host").
    """
    la, lp = listen
    ca, cp = connect
    internal = _networks(tuple(config.internal_networks))
    high: list[str] = []
    low: list[str] = []
    medium: list[str] = []
    lip, cip = parse_ip(la), parse_ip(ca)
    exposed = la in _WILDCARD or (lip is not None and not lip.is_loopback())
    loop_listen = (lip is not None and lip.is_loopback()) or (la or "").lower() == "localhost"
    loop_target = (cip is not None and cip.is_loopback()) or (ca or "").lower() == "localhost"
    target_internal = cip is not None and any(cip in n for n in internal) and str(cip) not in ips
    interactive = bool(users) and not any(_service_user(u) for u in users)
    wsl = cip is not None and cip in _WSL and lp == cp
    if any(_allowed(entry, host, lp, ca, cp) for entry in config.portproxy_allowlist):
        return "low", ["allowlisted in the site config"]
    if vias:
        high.append(f"created via remote execution ({', '.join(vias)})")
    svc = sorted({u for u in users if _service_user(u)})
    if svc:
        high.append(f"created by a service/machine account ({', '.join(svc)})")
    where = "all addresses" if la in _WILDCARD else la
    if exposed and wsl and interactive:
        low.append(
            f"WSL/Hyper-V vEthernet-style target {ca} (172.16.0.0/12) on the same port, "
            "created by an interactive user"
        )
    elif exposed and wsl and not users:
        medium.append(
            f"WSL/Hyper-V vEthernet-style target {ca} (172.16.0.0/12) on the same port; "
            "the creating account is unknown"
        )
    elif exposed and target_internal:
        high.append(
            f"listens on {where} (reachable beyond the host) and relays to internal host {ca}"
        )
    elif exposed and cip is not None and not loop_target and not any(cip in n for n in internal):
        high.append(f"listens on {where} and relays to external address {ca}")
    if loop_target:
        low.append(f"relays to loopback {ca}")
    if loop_listen and not loop_target:
        medium.append(f"listens on loopback only; relays to {ca}:{cp}")
    if cip is None and not loop_target and ca:
        medium.append(f"relays to host name {ca} (resolved when a connection arrives)")
    if exposed and not high and not low and not medium:
        medium.append(f"listens on {where}; relays to {ca}:{cp}")
    if high:
        return "high", high + low + medium
    if low and not medium:
        return "low", low
    if low and medium:
        return "medium", medium + low
    return "medium", medium or [f"relays {la}:{lp} to {ca}:{cp}"]


def _allowed(
    entry: dict[str, Any], host: str, lp: int | None, ca: str | None, cp: int | None
) -> bool:
    """Whether a config allowlist entry (host + listen_port [+ connect]) covers this proxy."""
    try:
        port = int(entry.get("listen_port", -1))
        cport = entry.get("connect_port")
        cport = int(cport) if cport is not None else None
    except (TypeError, ValueError):
        return False
    return (
        host_key(str(entry.get("host"))) == host_key(host)
        and port == lp
        and entry.get("connect_address") in (None, ca)
        and cport in (None, cp)
    )
