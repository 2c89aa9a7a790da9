"""Velociraptor `Windows.Registry.PortProxy` results (JSON lines, a JSON array, or CSV).

Columns: FullPath, ProxyType, Protocol, Listening (`addr:port`), Destination (`addr:port`),
ModifiedTime (last write of the family key), Type; hunts add Fqdn/ClientId. Every row is a
present proxy; ts = ModifiedTime (a value still present existed when its key was last written).
"""

from __future__ import annotations

from typing import Any

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from iocs import common, events, registry, tabular

NAME = "velociraptor"


def sniff(source: Source) -> bool:
    """JSON rows or a CSV export (GUI download) with the artifact's columns."""
    kind = tabular.head_kind(source)
    head = source.head_text()
    if kind == "json":
        return '"ProxyType"' in head and ('"Listening"' in head or '"Destination"' in head)
    if kind == "csv":
        columns = {c.strip().strip('"') for c in head.splitlines()[0].split(",")}
        return {"ProxyType", "Destination"} <= columns
    return False


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    table = tabular.load(source)
    stats: dict[str, Any] = {}
    fallback = None
    rows: list[dict[str, Any]] = []
    rejects = list(table.rejects)
    for line, row in table.rows:
        path = str(row.get("FullPath") or row.get("OSPath") or "")
        key = registry.parse_key(path) if path else None
        family = (key.family if key else None) or str(row.get("ProxyType") or "").lower() or None
        proto = (key.protocol if key else None) or str(row.get("Protocol") or "").lower() or None
        name = key.value_name if key and key.value_name else str(row.get("Listening") or "")
        dest = row.get("Destination")
        if not name or dest is None:
            rejects.append((line, "row without Listening/Destination", str(row)[:200]))
            continue
        host = row.get("Fqdn") or row.get("Hostname")
        if not host:
            fallback = fallback or common.file_host(source, ctx, stats)
            host = fallback
        ts, _ = common.parse_ts(str(row.get("ModifiedTime") or ""))
        e = registry.entry(family, proto, name, str(dest))
        rows.append(
            events.from_entry(
                e,
                op="present",
                ts=ts,
                host=host,
                user=None,
                kind="registry",
                raw=f"{path or name} = {dest}",
                src_file=source.display,
                src_line=line,
            )
        )
    return common.result(
        NAME,
        source,
        units=table.units,
        rows=rows,
        records=len(rows),
        rejects=rejects,
        unit_kind=table.unit_kind,
        stats=stats,
    )
