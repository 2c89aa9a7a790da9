"""Port-proxy evidence in Windows event logs: Sysmon 1 / Security 4688 command lines and Sysmon
12/13/14 registry events on the PortProxy key. Reads through fwcorr.eventlog (EVTX, event XML,
ECS JSON, Get-WinEvent JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fwcorr.context import ParseContext, ParseResult
from fwcorr.eventlog import EventRecord, read_events, sniff_container
from fwcorr.inputs import Source
from iocs import common, events, registry
from iocs.commandline import parse_command_line

NAME = "eventlog"
PROCESS_EVENTS = {1, 4688}
REGISTRY_EVENTS = {12, 13, 14}


def sniff(source: Source) -> bool:
    """Any Windows event-log container (the events themselves are filtered in parse)."""
    return sniff_container(source) is not None


def _user(ev: EventRecord) -> str | None:
    d = ev.data
    if d.get("User"):
        return d["User"]
    name = d.get("SubjectUserName")
    if not name or name == "-":
        return None
    dom = d.get("SubjectDomainName")
    return f"{dom}\\{name}" if dom and dom != "-" else name


def _ts(ev: EventRecord) -> datetime:
    """Sysmon's UtcTime (when it happened) when present, else TimeCreated."""
    ts, _ = common.parse_ts(ev.data.get("UtcTime"))
    return ts or ev.ts


def _is_sysmon(ev: EventRecord) -> bool:
    return "sysmon" in (ev.provider or "").lower() or "sysmon" in (ev.channel or "").lower()


def event_rows(ev: EventRecord, src: str, fallback_host: str | None) -> list[dict[str, Any]]:
    """PORTPROXY_EVENT rows for one event (empty when it is not port-proxy evidence)."""
    host = ev.computer or fallback_host
    line = ev.line if ev.line is not None else ev.ordinal
    d = ev.data
    if ev.event_id in PROCESS_EVENTS and (ev.event_id == 4688 or _is_sysmon(ev)):
        cmdline = d.get("CommandLine") or ""
        out = []
        for cmd in parse_command_line(cmdline):
            row = events.from_command(
                cmd,
                ts=_ts(ev),
                logged_by=host,
                user=_user(ev),
                kind="process",
                raw=cmdline,
                src_file=src,
                src_line=line,
                record_id=ev.record_id,
                process=d.get("Image") or d.get("NewProcessName"),
                parent_process=d.get("ParentImage") or d.get("ParentProcessName"),
            )
            if row is not None:
                out.append(row)
        return out
    if ev.event_id in REGISTRY_EVENTS and _is_sysmon(ev):
        target = d.get("TargetObject") or ""
        key = registry.parse_key(target)
        if key is None:
            return []
        etype = (d.get("EventType") or "").strip()
        raw = f"{etype} {target}" + (f" = {d['Details']}" if d.get("Details") else "")
        if d.get("NewName"):
            raw += f" -> {d['NewName']}"
        common_kw = dict(
            ts=_ts(ev),
            host=host,
            user=_user(ev),
            kind="registry",
            raw=raw,
            src_file=src,
            src_line=line,
            record_id=ev.record_id,
            process=d.get("Image"),
        )
        if etype in ("SetValue", "DeleteValue") and key.value_name:
            op = "set" if etype == "SetValue" else "delete"
            data = d.get("Details") if op == "set" else None
            entry = registry.entry(key.family, key.protocol, key.value_name, data)
            return [events.from_entry(entry, op=op, **common_kw)]  # type: ignore[arg-type]
        if etype in ("DeleteKey", "RenameKey") and not key.value_name:
            # the family/protocol key (or PortProxy itself) vanished: its proxies are gone
            entry = registry.Entry(key.family, None, None, None, None, "tcp", True, None)
            return [events.from_entry(entry, op="reset", **common_kw)]  # type: ignore[arg-type]
    return []


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    read = read_events(source)
    stats: dict[str, Any] = {"container": read.container}
    fallback = None
    if any(ev.computer is None for ev in read.records):
        fallback = common.file_host(source, ctx, stats)
    rows: list[dict[str, Any]] = []
    blind = 0  # netsh.exe started but the command line was not logged
    for ev in read.records:
        if ev.event_id in PROCESS_EVENTS or ev.event_id in REGISTRY_EVENTS:
            rows.extend(event_rows(ev, source.display, fallback))
            image = ev.data.get("NewProcessName") or ev.data.get("Image") or ""
            if ev.event_id in PROCESS_EVENTS and not (ev.data.get("CommandLine") or "").strip():
                blind += image.lower().replace("/", "\\").endswith("\\netsh.exe")
    warnings = []
    if blind:
        warnings.append(
            f"{blind} netsh.exe process event(s) without a command line "
            "(process command-line auditing is off); port-proxy commands may be missing"
        )
        stats["netsh_without_command_line"] = blind
    return common.result(
        read.container,
        source,
        units=read.units,
        rows=rows,
        records=len(read.records),
        rejects=read.rejects,
        unit_kind="events",
        warnings=warnings,
        stats=stats,
    )
