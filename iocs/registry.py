"""PortProxy registry keys and values: `...\\Services\\PortProxy\\<family>\\tcp\\<addr>/<port>`.

Windows stores each proxy as a REG_SZ value named `<listenaddress>/<listenport>` with data
`<connectaddress>/<connectport>` under HKLM\\SYSTEM\\<ControlSet>\\Services\\PortProxy\\<family>\\tcp.
Key spellings vary by tool: HKLM\\System, HKEY_LOCAL_MACHINE\\SYSTEM, \\REGISTRY\\MACHINE\\SYSTEM,
ControlSet001, an offline hive mounted under another name; case varies too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iocs.netsh import FAMILIES, canonical_address

# Path from the control set down; the hive prefix before it is free-form.
_KEY = re.compile(
    r"(?i)(?:^|\\)(?:CurrentControlSet|ControlSet\d+)\\services\\portproxy"
    r"(?:\\(?P<family>[^\\]+))?(?:\\(?P<proto>[^\\]+))?(?:\\(?P<value>.+))?$"
)


@dataclass(frozen=True)
class PortProxyKey:
    """What a registry path under PortProxy names: the family/protocol key and maybe a value."""

    family: str | None
    protocol: str | None
    value_name: str | None


def parse_key(path: str) -> PortProxyKey | None:
    """The PortProxy part of a registry path (key, or key plus value name); None if elsewhere."""
    m = _KEY.search(path.strip().rstrip("\\"))
    if not m:
        return None
    family = (m.group("family") or "").lower() or None
    proto = (m.group("proto") or "").lower() or None
    return PortProxyKey(family, proto, m.group("value"))


@dataclass(frozen=True)
class Entry:
    """One decoded PortProxy value (any field may be None when the text was unusable)."""

    family: str | None
    listen_address: str | None
    listen_port: int | None
    connect_address: str | None
    connect_port: int | None
    protocol: str | None
    valid: bool
    invalid_reason: str | None


def _split(text: str) -> tuple[str | None, int | None]:
    """`addr/port` (also `addr:port` as some tools render it) -> (address, port)."""
    t = text.strip().strip('"')
    sep = "/" if "/" in t else ":"
    addr, _, port = t.rpartition(sep)
    if not addr or not port.isdigit() or not 1 <= int(port) <= 65535:
        return None, None
    if addr.startswith("[") and addr.endswith("]"):
        addr = addr[1:-1]
    canon = canonical_address(addr)
    return (canon if canon is not None else addr), int(port)


def entry(family: str | None, protocol: str | None, name: str, data: str | None) -> Entry:
    """Decode a value name `<listenaddr>/<listenport>` and its data `<connectaddr>/<connectport>`."""
    reasons = []
    fam = family if family in FAMILIES else None
    if fam is None:
        reasons.append(f"unknown family key: {family}")
    la, lp = _split(name)
    if lp is None:
        reasons.append(f"bad value name: {name}")
    ca: str | None = None
    cp: int | None = None
    if data is not None:
        ca, cp = _split(data)
        if cp is None:
            reasons.append(f"bad value data: {data}")
    proto = (protocol or "tcp").lower()
    if proto != "tcp":
        reasons.append(f"unsupported protocol: {proto}")
    reason = "; ".join(reasons) or None
    return Entry(fam, la, lp, ca, cp, proto, reason is None, reason)
