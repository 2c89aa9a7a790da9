"""IOC files a responder brings: plain text, CSV with a header, STIX 2.1 bundles.

Text: one IP, CIDR, IP:port, `[v6]:port` or `HOST:port` per line; `#`, `//` and `;` comments;
defanged dots (`[.]`) accepted. CSV: a header with a value column (value, indicator, ioc, ip,
address, observable), optionally port, role. STIX 2.1: indicator patterns on ipv4-addr:value,
ipv6-addr:value and network-traffic (dst_ref.value, dst_port); an IP AND a dst_port in one
observation give an ip_port. Addresses are validated with netaddr; a bad entry is a reject with
its line number and the rest still load.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import netaddr
import polars as pl

from fwcorr.context import reject_frame
from fwcorr.errors import InputError
from fwcorr.inputs import Source
from iocs.indicators import frame, ip_port_value

_HOST = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$")
_VALUE_COLUMNS = ("value", "indicator", "ioc", "ip", "address", "observable", "ip_address")
_COMPARISON = re.compile(
    r"([a-z0-9-]+:[A-Za-z0-9_.\[\]*]+)\s*(=|IN)\s*('(?:[^'\\]|\\.)*'|\d+|\((?:[^)']|'(?:[^'\\]|\\.)*')*\))"
)


class BadEntry(ValueError):
    """An IOC entry that is not an IP, CIDR, IP:port or HOST:port."""


def _canon_ip(text: str) -> str:
    ip = netaddr.IPAddress(text)
    if ip.version == 6 and ip.is_ipv4_mapped():
        return str(ip.ipv4())
    return str(ip)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise BadEntry(f"bad port {text!r}")
    return int(text)


def parse_entry(text: str, role: str, source: str) -> dict[str, Any]:
    """One indicator from its text form; raises BadEntry."""
    v = text.strip().replace("[.]", ".").replace("(.)", ".")
    if not v:
        raise BadEntry("empty value")
    try:
        m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d+)", v)
        if m:
            ip = _canon_ip(m.group(1))
            port = _port(m.group(2))
            return _row("ip_port", ip_port_value(ip, port), role, source, ip=ip, port=port)
        if "/" in v:
            net = netaddr.IPNetwork(v, expand_partial=False)
            if net.size == 1:
                ip = _canon_ip(str(net.ip))
                return _row("ip", ip, role, source, ip=ip)
            return _row("cidr", str(net.cidr), role, source, cidr=str(net.cidr))
        if v.count(":") == 1:
            left, right = v.split(":")
            port = _port(right)
            if re.fullmatch(r"[0-9.]+", left):
                ip = _canon_ip(left)
                return _row("ip_port", ip_port_value(ip, port), role, source, ip=ip, port=port)
            if _HOST.match(left):
                return _row("port_on_host", f"{left}:{port}", role, source, host=left, port=port)
            raise BadEntry(f"not an address: {left!r}")
        if re.fullmatch(r"[0-9.]+", v) or ":" in v:
            ip = _canon_ip(v)
            return _row("ip", ip, role, source, ip=ip)
    except (netaddr.AddrFormatError, ValueError, TypeError) as exc:
        if isinstance(exc, BadEntry):
            raise
        raise BadEntry(f"not an IP, CIDR or IP:port: {v!r}") from exc
    raise BadEntry(f"not an IP, CIDR or IP:port: {v!r}")


def _row(kind: str, value: str, role: str, source: str, **cols: Any) -> dict[str, Any]:
    return {
        "id": f"{kind}:{value}",
        "kind": kind,
        "value": value,
        "role": role,
        "source": source,
        **cols,
    }


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["id"], r)
    return list(seen.values())


def load_text(text: str, source: str) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    """Rows and (line, reason, text) rejects from a plain-text IOC list."""
    rows, rejects = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        body = re.split(r"\s#|\s//", line, maxsplit=1)[0].strip()
        if not body or body.startswith(("#", "//", ";")):
            continue
        try:
            rows.append(parse_entry(body, "ioc_file", source))
        except BadEntry as exc:
            rejects.append((n, str(exc), line))
    return rows, rejects


def load_csv(text: str, source: str) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    """Rows and rejects from a CSV with a header naming a value column."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    col = next((header.index(c) for c in _VALUE_COLUMNS if c in header), None)
    if col is None:
        raise InputError(f"IOC CSV needs one of the columns {', '.join(_VALUE_COLUMNS)}", source)
    port_col = header.index("port") if "port" in header else None
    role_col = header.index("role") if "role" in header else None
    rows, rejects = [], []
    for n, rec in enumerate(reader, start=2):
        if not any(c.strip() for c in rec):
            continue
        try:
            value = rec[col].strip()
            if port_col is not None and port_col < len(rec) and rec[port_col].strip():
                port = rec[port_col].strip()
                value = f"[{value}]:{port}" if ":" in value else f"{value}:{port}"
            role = rec[role_col].strip() if role_col is not None and role_col < len(rec) else ""
            rows.append(parse_entry(value, role or "ioc_file", source))
        except (BadEntry, IndexError) as exc:
            reason = str(exc) if isinstance(exc, BadEntry) else "missing value column"
            rejects.append((n, reason, ",".join(rec)))
    return rows, rejects


def _values(literal: str) -> list[str]:
    if literal.startswith("("):
        return [m.replace("\\'", "'") for m in re.findall(r"'((?:[^'\\]|\\.)*)'", literal)]
    return [literal[1:-1].replace("\\'", "'") if literal.startswith("'") else literal]


def pattern_rows(pattern: str, role: str, source: str) -> list[dict[str, Any]]:
    """Indicators in one STIX pattern; raises BadEntry when it names nothing usable."""
    rows: list[dict[str, Any]] = []
    observations = re.findall(r"\[([^\[\]]*(?:\[\*\][^\[\]]*)*)\]", pattern)
    for obs in observations:
        ips: list[str] = []
        ports: list[str] = []
        for path, _op, literal in _COMPARISON.findall(obs):
            path = path.lower()
            if path in ("ipv4-addr:value", "ipv6-addr:value") or path.endswith("_ref.value"):
                ips.extend(_values(literal))
            elif path == "network-traffic:dst_port":
                ports.extend(_values(literal))
        joined_and = " OR " not in obs
        if ips and ports and joined_and:
            for ip in ips:
                for port in ports:
                    rows.append(
                        parse_entry(f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}", role, source)
                    )
        else:
            rows.extend(parse_entry(ip, role, source) for ip in ips)
    if not rows:
        raise BadEntry("pattern has no ipv4-addr/ipv6-addr/network-traffic address")
    return rows


def load_stix(text: str, source: str) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    """Rows and rejects from a STIX 2.1 bundle (line = where the indicator's id appears)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", source, exc.lineno) from exc
    objects = doc.get("objects") if isinstance(doc, dict) else None
    if not isinstance(objects, list):
        raise InputError("not a STIX bundle (no objects list)", source)
    rows, rejects = [], []
    for i, obj in enumerate(objects, start=1):
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        ident = str(obj.get("id", ""))
        pos = text.find(ident) if ident else -1
        line = text.count("\n", 0, pos) + 1 if pos >= 0 else i
        if obj.get("pattern_type", "stix") != "stix":
            rejects.append((line, f"pattern_type {obj.get('pattern_type')} not supported", ident))
            continue
        try:
            rows.extend(pattern_rows(str(obj.get("pattern", "")), "ioc_file", source))
        except BadEntry as exc:
            rejects.append((line, str(exc), str(obj.get("pattern", ""))))
    return rows, rejects


def detect(text: str) -> str:
    """stix, csv or text, from the content."""
    head = text.lstrip()[:4096]
    if head.startswith("{") and ('"objects"' in head or '"bundle"' in head):
        return "stix"
    first = head.splitlines()[0].strip().lower() if head else ""
    if "," in first and any(c.strip() in _VALUE_COLUMNS for c in first.split(",")):
        return "csv"
    return "text"


def load(path: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(IOC frame, REJECT frame) from an IOC file of any supported kind."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such IOC file", str(path))
    src = Source(path=p, display=str(path))
    text = src.text()
    kind = detect(text)
    loader = {"stix": load_stix, "csv": load_csv, "text": load_text}[kind]
    rows, rejects = loader(text, str(path))
    return frame(_dedupe(rows)), reject_frame(str(path), rejects)
