"""Windows event-log records -> CONNECTION (WFP 5156/5157) and RULE_CHANGE (firewall events).

Input comes from fwcorr.eventlog (any container); every event is counted by EventID, and the
ones that carry firewall evidence become rows.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import polars as pl

from fwcorr.eventlog import EventReadResult, EventRecord
from fwcorr.schema import ATTRIBUTE, CONNECTION, RULE_CHANGE, TS, conform

FIREWALL_PROVIDER = "Microsoft-Windows-Windows Firewall With Advanced Security"
SECURITY_PROVIDER = "Microsoft-Windows-Security-Auditing"

# IANA protocol numbers (as text) -> the names used in CONNECTION.protocol.
IANA_PROTOCOLS: dict[str, str] = {
    "0": "hopopt",
    "1": "icmp",
    "2": "igmp",
    "4": "ipv4",
    "6": "tcp",
    "17": "udp",
    "41": "ipv6",
    "43": "ipv6-route",
    "44": "ipv6-frag",
    "47": "gre",
    "50": "esp",
    "51": "ah",
    "58": "ipv6-icmp",
    "89": "ospf",
    "103": "pim",
    "112": "vrrp",
    "132": "sctp",
}

# Firewall channel EventIDs -> (operation, object_type).
FIREWALL_EVENTS: dict[int, tuple[str, str]] = {
    2004: ("add", "host_firewall_rule"),
    2071: ("add", "host_firewall_rule"),
    2097: ("add", "host_firewall_rule"),
    2005: ("modify", "host_firewall_rule"),
    2073: ("modify", "host_firewall_rule"),
    2099: ("modify", "host_firewall_rule"),
    2006: ("delete", "host_firewall_rule"),
    2052: ("delete", "host_firewall_rule"),
    2033: ("delete", "host_firewall_rule"),  # all rules deleted
    2059: ("delete", "host_firewall_rule"),  # all rules deleted
    2002: ("modify", "other"),  # a firewall setting changed
    2003: ("modify", "other"),  # a per-profile setting changed
    2082: ("modify", "other"),
    2083: ("modify", "other"),
    2008: ("modify", "other"),  # Group Policy settings changed
}
ALL_RULES = (2033, 2059)
# Security log (Audit MPSSVC Rule-Level Policy Change) -> operation, object_type.
SECURITY_EVENTS: dict[int, tuple[str, str]] = {
    4946: ("add", "host_firewall_rule"),
    4947: ("modify", "host_firewall_rule"),
    4948: ("delete", "host_firewall_rule"),
    4950: ("modify", "other"),
}
COUNTED_ONLY = (4954,)  # GP settings applied: counted, not reported
WFP_EVENTS = {5156: "allow", 5157: "deny"}
WFP_DIRECTION = {
    "%%14592": "inbound",
    "%%14593": "outbound",
    "%%14594": "forward",
    "inbound": "inbound",
    "outbound": "outbound",
}

ACTION = {"2": "block", "3": "allow"}
DIRECTION = {"1": "inbound", "2": "outbound"}
ORIGIN = {"1": "local", "2": "group_policy"}
PROFILE_BITS = ((1, "domain"), (2, "private"), (4, "public"))
# Rule fields carried as attributes, in this order (decoded where a table exists).
RULE_FIELDS = (
    "RuleId",
    "Action",
    "Direction",
    "Protocol",
    "LocalPorts",
    "RemotePorts",
    "LocalAddresses",
    "RemoteAddresses",
    "ApplicationPath",
    "ServiceName",
    "Profiles",
    "Origin",
    "Active",
    "EdgeTraversal",
    "ProfileChanged",
)
SETTING_FIELDS = (
    "Profiles",
    "ProfileChanged",
    "SettingType",
    "SettingValue",
    "SettingValueDisplay",
    "SettingValueString",
    "Origin",
    "GroupPolicyApplied",
)


def _protocol(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value.strip() == "256":
        return "any"
    return IANA_PROTOCOLS.get(value.strip(), value.strip().lower())


def _profiles(value: str | None) -> str | None:
    mask = _int(value)
    if mask is None:
        return value or None
    if mask == 0x7FFFFFFF:
        return "all"
    names = [name for bit, name in PROFILE_BITS if mask & bit]
    return ",".join(names) if names else str(mask)


def decode(name: str, value: str | None) -> str | None:
    """A firewall rule field as a responder reads it (Action 3 -> allow, Profiles 6 -> ...)."""
    if value is None:
        return None
    if name == "Action":
        return ACTION.get(value, value)
    if name == "Direction":
        return DIRECTION.get(value, WFP_DIRECTION.get(value.lower(), value))
    if name == "Protocol":
        return _protocol(value)
    if name == "Profiles":
        return _profiles(value)
    if name == "Origin":
        return ORIGIN.get(value, value)
    if name == "Active":
        return {"0": "disabled", "1": "enabled"}.get(value, value)
    return value


def _attributes(data: dict[str, str | None], names: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for name in names:
        value = data.get(name)
        if value is None or value == "":
            continue
        out.append({"name": name, "old": None, "new": decode(name, value)})
    return out


def _is_firewall(rec: EventRecord) -> bool:
    provider = (rec.provider or "").lower()
    channel = (rec.channel or "").lower()
    return provider == FIREWALL_PROVIDER.lower() or channel.startswith(FIREWALL_PROVIDER.lower())


def _raw(rec: EventRecord) -> str:
    return json.dumps({"EventID": rec.event_id, **rec.data}, ensure_ascii=False)


def _unmap_v4(addr: str | None) -> str | None:
    if addr and addr.lower().startswith("::ffff:") and "." in addr:
        return addr[7:]
    return addr or None


def _int(value: str | None) -> int | None:
    """Decimal or 0x-hex text as int; anything else None."""
    text = (value or "").strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def _where(rec: EventRecord) -> int:
    return rec.line if rec.line is not None else rec.ordinal


def _rule_change(rec: EventRecord, path: str, op: str, obj: str) -> dict[str, Any]:
    data = rec.data
    if rec.event_id in ALL_RULES:
        name: str | None = "(all rules)"
    elif obj == "host_firewall_rule":
        name = data.get("RuleName") or data.get("RuleId")
    elif rec.event_id == 2008:
        name = "group_policy"
    else:
        name = data.get("SettingType") or "setting"
    names = RULE_FIELDS if obj == "host_firewall_rule" else SETTING_FIELDS
    attrs = _attributes(data, names)
    error = data.get("ErrorCode")
    return {
        "ts": rec.ts,
        "vendor": "windows",
        "device": rec.computer,
        # The event's own UserID is the firewall service (LOCAL SERVICE), not the actor.
        "admin": data.get("ModifyingUser") or None,
        "client": data.get("ModifyingApplication"),
        "operation": op,
        "command": str(rec.event_id),
        "object_type": obj,
        "object_name": name,
        "attributes": attrs,
        "after": (
            json.dumps({a["name"]: a["new"] for a in attrs}, ensure_ascii=False)
            if op != "delete" and attrs
            else None
        ),
        "result": "success" if error in (None, "", "0") else f"error {error}",
        "raw": _raw(rec),
        "src_file": path,
        "src_line": _where(rec),
        "record_id": rec.record_id,
    }


def _connection(rec: EventRecord, path: str) -> dict[str, Any]:
    data = rec.data
    direction = WFP_DIRECTION.get((data.get("Direction") or "").strip().lower(), "unknown")
    local = (_unmap_v4(data.get("SourceAddress")), _int(data.get("SourcePort")))
    remote = (_unmap_v4(data.get("DestAddress")), _int(data.get("DestPort")))
    # Source* is always the local side: for inbound traffic the remote end is the client.
    src, dst = (remote, local) if direction == "inbound" else (local, remote)
    pid = data.get("ProcessID") if "ProcessID" in data else data.get("ProcessId")
    return {
        "ts": rec.ts,
        "vendor": "windows",
        "device": rec.computer,
        "log_type": "wfp",
        "action": WFP_EVENTS[rec.event_id],
        "protocol": _protocol(data.get("Protocol")),
        "src_ip": src[0],
        "src_port": src[1],
        "dst_ip": dst[0],
        "dst_port": dst[1],
        "direction": direction,
        "rule_id": data.get("FilterRTID") or None,
        "process": data.get("Application") or None,
        "pid": _int(pid),
        "src_file": path,
        "src_line": _where(rec),
        "record_id": rec.record_id,
    }


_CONN_IN = {
    "ts": TS,
    "vendor": pl.String,
    "device": pl.String,
    "log_type": pl.String,
    "action": pl.String,
    "protocol": pl.String,
    "src_ip": pl.String,
    "src_port": pl.Int64,
    "dst_ip": pl.String,
    "dst_port": pl.Int64,
    "direction": pl.String,
    "rule_id": pl.String,
    "process": pl.String,
    "pid": pl.Int64,
    "src_file": pl.String,
    "src_line": pl.Int64,
    "record_id": pl.Int64,
}
_CHANGE_IN = {
    "ts": TS,
    "vendor": pl.String,
    "device": pl.String,
    "admin": pl.String,
    "client": pl.String,
    "operation": pl.String,
    "command": pl.String,
    "object_type": pl.String,
    "object_name": pl.String,
    "attributes": pl.List(ATTRIBUTE),
    "after": pl.String,
    "result": pl.String,
    "raw": pl.String,
    "src_file": pl.String,
    "src_line": pl.Int64,
    "record_id": pl.Int64,
}


def map_events(
    events: EventReadResult, path: str, fallback_host: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """CONNECTION and RULE_CHANGE frames plus stats (by_event_id, mapped counts).

    `device` is the event's Computer; `fallback_host` fills it only where an event names none.
    """
    conns: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    by_id: Counter[int] = Counter()
    for rec in events.records:
        by_id[rec.event_id] += 1
        if _is_firewall(rec) and rec.event_id in FIREWALL_EVENTS:
            op, obj = FIREWALL_EVENTS[rec.event_id]
            changes.append(_rule_change(rec, path, op, obj))
        elif rec.provider == SECURITY_PROVIDER or (rec.channel or "").lower() == "security":
            if rec.event_id in SECURITY_EVENTS:
                op, obj = SECURITY_EVENTS[rec.event_id]
                changes.append(_rule_change(rec, path, op, obj))
            elif rec.event_id in WFP_EVENTS:
                conns.append(_connection(rec, path))
    conn_frame = pl.DataFrame(conns, schema=_CONN_IN, orient="row") if conns else None
    change_frame = pl.DataFrame(changes, schema=_CHANGE_IN, orient="row") if changes else None
    connections = conform(
        conn_frame if conn_frame is not None else pl.DataFrame(schema=_CONN_IN), CONNECTION
    ).collect()
    rule_changes = conform(
        change_frame if change_frame is not None else pl.DataFrame(schema=_CHANGE_IN),
        RULE_CHANGE,
    ).collect()
    if fallback_host is not None:
        connections = connections.with_columns(pl.col("device").fill_null(fallback_host))
        rule_changes = rule_changes.with_columns(pl.col("device").fill_null(fallback_host))
    # Order ties by record id: stable sort on (ts, record_id), nulls last.
    connections = connections.sort(["ts", "record_id"], nulls_last=True, maintain_order=True)
    rule_changes = rule_changes.sort(["ts", "record_id"], nulls_last=True, maintain_order=True)
    stats = {
        "by_event_id": {str(k): v for k, v in sorted(by_id.items())},
        "wfp_connections": connections.height,
        "rule_changes": rule_changes.height,
        "counted_only": {str(k): by_id[k] for k in COUNTED_ONLY if by_id[k]},
    }
    return connections, rule_changes, stats
