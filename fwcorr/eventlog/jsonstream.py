"""JSON event streams: Winlogbeat/Elastic Agent ECS documents, Get-WinEvent | ConvertTo-Json,
evtx-style JSON; one value per line, pretty-printed values, or one array."""

from __future__ import annotations

import json
import re
from typing import Any

from fwcorr.eventlog.evtxjson import from_event_json
from fwcorr.eventlog.layouts import property_names
from fwcorr.eventlog.record import (
    BadEvent,
    EventReadResult,
    EventRecord,
    LineIndex,
    as_text,
    excerpt,
    make_record,
    opt_int,
    parse_time,
    to_int,
)
from fwcorr.inputs import Source
from fwcorr.schema import EXCERPT_CHARS


def _dig(obj: dict[str, Any], dotted: str) -> Any:
    """obj["a"]["b"] or a flattened obj["a.b"]; None when absent."""
    if dotted in obj:
        return obj[dotted]
    node: Any = obj
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# Winlogbeat's ingest pipelines move some EventData fields into ECS fields; restore them
# (only when absent) so readers find the Windows names in every container.
_ECS_RESTORE: tuple[tuple[str, str], ...] = (
    ("CommandLine", "process.command_line"),
    ("TargetObject", "registry.path"),
    ("Details", "registry.data.strings"),
)
_ECS_RESTORE_SYSMON: tuple[tuple[str, str], ...] = (
    ("ParentCommandLine", "process.parent.command_line"),
    ("ParentImage", "process.parent.executable"),
    ("ParentProcessGuid", "process.parent.entity_id"),
    ("ProcessGuid", "process.entity_id"),
    ("Image", "process.executable"),
    ("ProcessId", "process.pid"),
    ("ParentProcessId", "process.parent.pid"),
    ("CurrentDirectory", "process.working_directory"),
)
_ECS_RESTORE_4688: tuple[tuple[str, str], ...] = (
    ("NewProcessName", "process.executable"),
    ("NewProcessId", "process.pid"),
    ("ParentProcessName", "process.parent.executable"),
)


def _from_ecs(obj: dict[str, Any], ordinal: int, line: int | None) -> EventRecord:
    raw_data = _dig(obj, "winlog.event_data")
    if raw_data is None:
        raw_data = _dig(obj, "winlog.user_data")
    data = {str(k): as_text(v) for k, v in raw_data.items()} if isinstance(raw_data, dict) else {}
    if not data:
        prefix = "winlog.event_data."
        data = {k[len(prefix) :]: as_text(v) for k, v in obj.items() if k.startswith(prefix)}
    event_id = _dig(obj, "winlog.event_id")
    if event_id is None:
        event_id = _dig(obj, "event.code")
    provider = _dig(obj, "winlog.provider_name") or _dig(obj, "event.provider")
    restore = list(_ECS_RESTORE)
    if provider and "sysmon" in str(provider).lower():
        restore += _ECS_RESTORE_SYSMON
    if as_text(event_id) == "4688":
        restore += _ECS_RESTORE_4688
    for name, path in restore:
        if name not in data:
            value = _dig(obj, path)
            if isinstance(value, list):
                value = value[0] if value else None
            if value is not None:
                data[name] = as_text(value)
    ts_value = obj.get("@timestamp")
    if ts_value is None:
        ts_value = _dig(obj, "winlog.time_created") or _dig(obj, "event.created")
    return make_record(
        event_id=to_int(event_id, "winlog.event_id"),
        provider=provider,
        channel=_dig(obj, "winlog.channel"),
        computer=_dig(obj, "winlog.computer_name") or _dig(obj, "host.name"),
        ts=parse_time(ts_value),
        record_id=opt_int(_dig(obj, "winlog.record_id")),
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=_dig(obj, "winlog.user.identifier"),
    )


def _from_winevent(obj: dict[str, Any], ordinal: int, line: int | None) -> EventRecord:
    event_id = obj.get("Id", obj.get("EventID", obj.get("EventId")))
    provider = obj.get("ProviderName") or obj.get("Provider") or obj.get("Source")
    eid = to_int(event_id, "Id")
    data: dict[str, str | None] = {}
    named = obj.get("EventData")
    props = obj.get("Properties")
    if isinstance(named, dict):
        data = {str(k): as_text(v) for k, v in named.items()}
    elif isinstance(props, dict):
        data = {str(k): as_text(v) for k, v in props.items()}
    elif isinstance(props, list):
        values = [as_text(p.get("Value") if isinstance(p, dict) else p) for p in props]
        names = property_names(as_text(provider), eid, len(values))
        if names:
            data = dict(zip(names, values, strict=True))
        else:
            data = {f"Data{i}": v for i, v in enumerate(values, start=1)}
    message = obj.get("Message")
    if message is not None and "Message" not in data:
        data["Message"] = as_text(message)
    user = obj.get("UserId")
    return make_record(
        event_id=eid,
        provider=provider,
        channel=obj.get("LogName") or obj.get("ContainerLog") or obj.get("Channel"),
        computer=obj.get("MachineName") or obj.get("Computer"),
        ts=parse_time(obj.get("TimeCreated")),
        record_id=opt_int(obj.get("RecordId", obj.get("RecordID"))),
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=as_text(user.get("Value")) if isinstance(user, dict) else user,
    )


def _json_event(obj: Any, ordinal: int, line: int) -> tuple[str, EventRecord]:
    """Classify one JSON value and normalise it; raises BadEvent when it is not an event."""
    if not isinstance(obj, dict):
        raise BadEvent(f"JSON value is not an object ({type(obj).__name__})")
    if isinstance(obj.get("_source"), dict):  # an Elasticsearch hit
        obj = obj["_source"]
    if "winlog" in obj or "winlog.event_id" in obj:
        return "ecs_json", _from_ecs(obj, ordinal, line)
    if isinstance(obj.get("Event"), dict) and "System" in obj["Event"]:
        return "evtx_json", from_event_json(obj, ordinal, line)
    if isinstance(obj.get("System"), dict):  # the same shape without the Event wrapper
        return "evtx_json", from_event_json(obj, ordinal, line)
    if any(k in obj for k in ("Id", "EventID", "EventId")):
        return "winevent_json", _from_winevent(obj, ordinal, line)
    raise BadEvent("JSON object is not a Windows event (no winlog, Event or Id)")


_WS = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


def _resync(text: str, start: int) -> int:
    """Offset of the next line that opens a value at the indentation of the one at `start`."""
    line_start = text.rfind("\n", 0, start) + 1
    indent = text[line_start:start]
    pattern = re.compile(r"\n" + re.escape(indent) + r"[{\[]" if indent.strip() == "" else r"\n{")
    m = pattern.search(text, start + 1)
    return m.start() + 1 + len(indent) if m else len(text)


def read_json(source: Source, sniffed: str) -> EventReadResult:
    text = source.text()
    result = EventReadResult(container=sniffed)
    lines = LineIndex(text)
    values: list[tuple[int, Any, str | None]] = []  # (offset, value, decode error)
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    in_array = text.startswith("[", pos)
    if in_array:
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    while pos < len(text):
        if in_array and text.startswith("]", pos):
            in_array = False
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            continue
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            nxt = _resync(text, pos)
            values.append((pos, text[pos:nxt], f"malformed JSON: {msg}"))
            pos = _WS.match(text, nxt).end()  # type: ignore[union-attr]
            continue
        values.append((pos, value, None))
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if in_array and text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    kinds: dict[str, int] = {}
    for ordinal, (offset, value, error) in enumerate(values, start=1):
        line = lines.at(offset)
        if error is not None:
            result.rejects.append((line, error, excerpt(str(value))))
            continue
        try:
            kind, rec = _json_event(value, ordinal, line)
        except (BadEvent, AttributeError, TypeError) as exc:
            shown = json.dumps(value, ensure_ascii=False)[:EXCERPT_CHARS]
            result.rejects.append((line, f"unusable event: {exc}", shown))
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        result.records.append(rec)
    if kinds:
        result.container = max(kinds, key=lambda k: kinds[k])
    result.units = len(result.records) + len(result.rejects)
    return result
