"""Microsoft Defender for Endpoint advanced-hunting exports (CSV or JSON):
DeviceProcessEvents (ProcessCommandLine) and DeviceRegistryEvents (PortProxy values)."""

from __future__ import annotations

import re
from typing import Any

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from iocs import common, events, registry, tabular
from iocs.commandline import parse_command_line

NAME = "mde"
_SNIFF_CSV = re.compile(
    r"^\ufeff?(?=.*\bTimestamp\b)(?=.*\bDeviceName\b)(?=.*\b(?:ProcessCommandLine|RegistryKey)\b)"
)
_SNIFF_JSON = re.compile(r'"DeviceName"\s*:')
_KEEP = r"(?i)netsh|portproxy"
_REG_OPS = {
    "RegistryValueSet": "set",
    "RegistryValueDeleted": "delete",
    "RegistryKeyDeleted": "reset",
}


def sniff(source: Source) -> bool:
    kind = tabular.head_kind(source)
    head = source.head_text() if kind else ""
    if kind == "csv":
        return bool(_SNIFF_CSV.match(head.splitlines()[0]))
    if kind == "json":
        return bool(_SNIFF_JSON.search(head)) and (
            '"ProcessCommandLine"' in head or '"RegistryKey"' in head
        )
    return False


def _user(row: dict[str, Any], prefix: str) -> str | None:
    name = row.get(f"{prefix}AccountName")
    dom = row.get(f"{prefix}AccountDomain")
    if not name:
        return None
    return f"{dom}\\{name}" if dom else str(name)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    table = tabular.load(source, _KEEP)
    stats: dict[str, Any] = {}
    fallback = None
    rows: list[dict[str, Any]] = []
    rejects = list(table.rejects)
    records = 0
    for line, row in table.rows:
        blob = " ".join(str(v) for v in row.values() if v is not None).lower()
        if "netsh" not in blob and "portproxy" not in blob:
            continue
        ts, _ = common.parse_ts(str(row.get("Timestamp") or ""))
        if ts is None:
            rejects.append((line, "unreadable Timestamp", str(row.get("Timestamp"))))
            continue
        host = row.get("DeviceName")
        if not host:
            fallback = fallback or common.file_host(source, ctx, stats)
            host = fallback
        found: list[dict[str, Any]] = []
        if row.get("ProcessCommandLine"):
            cmdline = str(row["ProcessCommandLine"])
            for cmd in parse_command_line(cmdline):
                r = events.from_command(
                    cmd,
                    ts=ts,
                    logged_by=host,
                    user=_user(row, ""),
                    kind="process",
                    raw=cmdline,
                    src_file=source.display,
                    src_line=line,
                    record_id=_int(row.get("ReportId")),
                    process=row.get("FileName"),
                    parent_process=row.get("InitiatingProcessFileName"),
                )
                if r is not None:
                    found.append(r)
        elif row.get("RegistryKey"):
            key = registry.parse_key(str(row["RegistryKey"]))
            op = _REG_OPS.get(str(row.get("ActionType") or ""))
            if key is not None and op is not None:
                kw: dict[str, Any] = dict(
                    ts=ts,
                    host=host,
                    user=_user(row, "InitiatingProcess"),
                    kind="registry",
                    src_file=source.display,
                    src_line=line,
                    record_id=_int(row.get("ReportId")),
                    process=row.get("InitiatingProcessFileName"),
                )
                name = row.get("RegistryValueName") or row.get("PreviousRegistryValueName")
                raw = f"{row.get('ActionType')} {row['RegistryKey']}\\{name or ''}"
                if op == "reset":
                    e = registry.Entry(key.family, None, None, None, None, "tcp", True, None)
                    found.append(events.from_entry(e, op="reset", raw=raw, **kw))
                elif name and key.family and key.protocol:
                    data = row.get("RegistryValueData") if op == "set" else None
                    e = registry.entry(key.family, key.protocol, str(name), data)
                    found.append(events.from_entry(e, op=op, raw=f"{raw} = {data or ''}", **kw))
        if found:
            rows.extend(found)
            records += 1
    # rows filtered out before the loop are non-records (other processes / registry keys)
    return common.result(
        NAME,
        source,
        units=table.units,
        rows=rows,
        records=records,
        rejects=rejects,
        unit_kind=table.unit_kind,
        stats=stats,
    )
