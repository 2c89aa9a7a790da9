"""Indicators (fwcorr.schema.IOC) from harvested port proxies, for the engine's sweep.

ip_port for each connect target (`10.1.1.20:8443`, `[2001:db8::5]:443`), port_on_host for each
listen side (`WS01:9999`), ip for every non-wildcard, non-loopback listen or connect address.
Ids are `<kind>:<value>`, so the same indicator from several proxies is one row whose role lists
every role it plays.
"""

from __future__ import annotations

from typing import Any

import netaddr
import polars as pl

from fwcorr.schema import IOC, conform
from iocs.timeline import Harvest


def ip_port_value(ip: str, port: int) -> str:
    """Canonical `ip:port` text (IPv6 in brackets)."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _ip(text: str | None) -> str | None:
    if not text or text in ("*", "0.0.0.0", "::"):
        return None
    try:
        ip = netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError):
        return None
    if ip.is_loopback() or (ip.is_ipv4_mapped() and ip.ipv4().is_loopback()):
        return None
    return str(ip)


def rows_from_proxies(
    proxies: list[dict[str, Any]], source: str = "harvest"
) -> list[dict[str, Any]]:
    """IOC row dicts for contract `portproxies` records, merged by id."""
    found: dict[str, dict[str, Any]] = {}

    def add(kind: str, value: str, role: str, **cols: Any) -> None:
        ident = f"{kind}:{value}"
        row = found.get(ident)
        if row is None:
            found[ident] = {
                "id": ident,
                "kind": kind,
                "value": value,
                "role": role,
                "source": source,
                **cols,
            }
        elif role not in row["role"].split(","):
            row["role"] = ",".join(sorted([*row["role"].split(","), role]))

    for p in proxies:
        cip = _ip(p.get("connect_address"))
        if cip is not None and p.get("connect_port"):
            add(
                "ip_port",
                ip_port_value(cip, p["connect_port"]),
                "portproxy_connect",
                ip=cip,
                port=p["connect_port"],
            )
        if cip is not None:
            add("ip", cip, "portproxy_connect", ip=cip)
        if p.get("host") and p.get("listen_port"):
            add(
                "port_on_host",
                f"{p['host']}:{p['listen_port']}",
                "portproxy_listen",
                host=p["host"],
                port=p["listen_port"],
            )
        lip = _ip(p.get("listen_address"))
        if lip is not None:
            add("ip", lip, "portproxy_listen", ip=lip)
    return sorted(found.values(), key=lambda r: r["id"])


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """IOC frame from row dicts."""
    if not rows:
        return pl.DataFrame(schema=IOC)
    full = [{k: r.get(k) for k in IOC} for r in rows]
    return conform(pl.DataFrame(full, schema=IOC), IOC).collect()


def from_harvest(harvest: Harvest) -> pl.DataFrame:
    """IOC frame (fwcorr.schema.IOC) for every proxy in a harvest."""
    return frame(rows_from_proxies(harvest.portproxies))


def to_contract(iocs: pl.DataFrame) -> list[dict[str, Any]]:
    """The contract's `iocs` list: id, kind, value, role, source."""
    return iocs.select("id", "kind", "value", "role", "source").to_dicts()
