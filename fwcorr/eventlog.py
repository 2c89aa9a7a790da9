"""Shared Windows event-log reader: EVTX, event XML, ECS JSON and Get-WinEvent JSON.

One normalised record shape for every container, so the firewall parser and the portproxy
harvester read the same events the same way. Results are memoised per (path, size, mtime).
"""

from __future__ import annotations

import bisect
import io
import json
import re
import struct
import warnings
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import evtx  # the maintained Rust EVTX parser (omerbenamram/pyevtx-rs)

from fwcorr.inputs import Source
from fwcorr.schema import EXCERPT_CHARS

EVTX_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
EVTX_HEADER_SIZE = 4096
EVTX_CHUNK_SIZE = 65536
CONTAINERS = ("evtx", "event_xml", "ecs_json", "winevent_json", "evtx_json")
_MEMO_SIZE = 8
MAX_CONSECUTIVE_ERRORS = 10_000


@dataclass(frozen=True)
class EventRecord:
    """One Windows event, normalised: every value in `data` is text (or None)."""

    event_id: int
    provider: str | None
    channel: str | None
    computer: str | None  # as logged (may be an FQDN)
    computer_short: str | None  # first label, for matching ("WEB01")
    ts: datetime  # timezone-aware UTC
    record_id: int | None
    data: dict[str, str | None]  # EventData (or UserData) name -> value
    ordinal: int  # 1-based position of the event in the container
    line: int | None  # 1-based physical line where the event starts; None for EVTX
    user_sid: str | None  # System/Security UserID if present


@dataclass
class EventReadResult:
    """All events of one file plus the units that could not be read."""

    container: str  # "evtx" | "event_xml" | "ecs_json" | "winevent_json" | "evtx_json"
    records: list[EventRecord] = field(default_factory=list)  # container order
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line|ordinal, why, text)
    units: int = 0  # events seen: records + rejects


class _BadEvent(ValueError):
    """An event that cannot be normalised (missing EventID, unreadable time, ...)."""


# ---------------------------------------------------------------- value normalisation


def _text(value: Any) -> str | None:
    """Any JSON/XML scalar as text: ints as decimal, bools lower-case, None kept."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict):
        for key in ("#text", "Value", "value"):
            if key in value:
                return _text(value[key])
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, list):
        return ",".join("" if v is None else (_text(v) or "") for v in value)
    return str(value)


def _int(value: Any, what: str) -> int:
    text = _text(value)
    if text is None or not text.strip():
        raise _BadEvent(f"missing {what}")
    text = text.strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise _BadEvent(f"{what} is not a number: {text[:40]!r}") from None


def _opt_int(value: Any) -> int | None:
    try:
        return _int(value, "number")
    except _BadEvent:
        return None


_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?(?:\s*UTC)?\s*$",
    re.IGNORECASE,
)
_MS_DATE = re.compile(r"^/?\\?/?Date\((-?\d+)([+-]\d{4})?\)\\?/?$")


def parse_time(value: Any) -> datetime:
    """Event time as aware UTC: ISO-8601 (any fraction length, Z/offset/none = UTC) or /Date(ms)/."""
    if isinstance(value, dict):
        for key in ("value", "Value", "SystemTime", "#text", "DateTime"):
            if key in value:
                return parse_time(value[key])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Epoch seconds (Velociraptor's SystemTime) or milliseconds: any ms value after 1973
        # exceeds 1e11, any seconds value before the year 5000 is below it.
        unit = "milliseconds" if abs(value) >= 1e11 else "seconds"
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(**{unit: value})
    text = _text(value)
    if not text:
        raise _BadEvent("missing time created")
    m = _MS_DATE.match(text.strip())
    if m:
        # /Date(ms)/ is milliseconds since the epoch in UTC; a trailing +hhmm is display only.
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(m.group(1)))
    m = _ISO.match(text)
    if not m:
        raise _BadEvent(f"unreadable time {text[:40]!r}")
    year, mon, day, hh, mm, ss = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = (m.group(8) or "Z").upper()
    try:
        ts = datetime(year, mon, day, hh, mm, ss, micro, tzinfo=UTC)
    except ValueError:
        raise _BadEvent(f"unreadable time {text[:40]!r}") from None
    if zone not in ("Z", "UTC"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        ts -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return ts


_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def short_name(computer: str | None) -> str | None:
    """First DNS label of a computer name ("WEB01.corp.example" -> "WEB01"); IPs kept whole."""
    if not computer:
        return None
    name = computer.strip()
    if _IPV4.match(name) or ":" in name:
        return name
    return name.split(".", 1)[0] or name


def _record(
    *,
    event_id: int,
    provider: Any,
    channel: Any,
    computer: Any,
    ts: datetime,
    record_id: int | None,
    data: dict[str, str | None],
    ordinal: int,
    line: int | None,
    user_sid: Any,
) -> EventRecord:
    comp = _text(computer)
    comp = comp.strip() if comp else None
    return EventRecord(
        event_id=event_id,
        provider=_text(provider) or None,
        channel=_text(channel) or None,
        computer=comp or None,
        computer_short=short_name(comp),
        ts=ts,
        record_id=record_id,
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=_text(user_sid) or None,
    )


def _excerpt(text: str) -> str:
    return text.strip()[:EXCERPT_CHARS]


# ---------------------------------------------------------------- sniffing


def _strip_prolog(text: str) -> str:
    """Drop BOM, whitespace, XML declaration and leading comments."""
    text = text.lstrip("\ufeff \t\r\n")
    while True:
        if text.startswith("<?"):
            end = text.find("?>")
            text = text[end + 2 :].lstrip() if end >= 0 else ""
        elif text.startswith("<!--"):
            end = text.find("-->")
            text = text[end + 3 :].lstrip() if end >= 0 else ""
        else:
            return text


def sniff_container(source: Source) -> str | None:
    """Which event container a file is, from its first bytes; None if it is not one."""
    head = source.head_bytes()
    if head.startswith(EVTX_MAGIC):
        return "evtx"
    if source.is_binary:
        return None
    text = _strip_prolog(source.head_text())
    if text.startswith("<Events") or re.match(r"<Event[\s>]", text):
        return "event_xml"
    if text[:1] in ("{", "["):
        if '"winlog"' in text or '"winlog.event_id"' in text:
            return "ecs_json"
        if '"System"' in text and re.search(r'"(?:Event|EventData|UserData)"\s*:', text):
            return "evtx_json"
        if re.search(r'"(?:Id|EventID)"\s*:', text) and re.search(
            r'"(?:TimeCreated|MachineName|ProviderName|RecordId|LogName)"\s*:', text
        ):
            return "winevent_json"
    return None


# ---------------------------------------------------------------- EVTX


def _chunk_heads(raw: bytes | None, path: str | None) -> list[tuple[bytes, int]]:
    """(first 128 bytes, bytes available) of every 64 KiB chunk slot after the file header."""
    heads: list[tuple[bytes, int]] = []
    if raw is not None:
        offset = EVTX_HEADER_SIZE
        while offset < len(raw):
            heads.append((raw[offset : offset + 128], min(EVTX_CHUNK_SIZE, len(raw) - offset)))
            offset += EVTX_CHUNK_SIZE
        return heads
    with open(path or "", "rb") as fh:
        total = fh.seek(0, 2)
        offset = EVTX_HEADER_SIZE
        while offset < total:
            fh.seek(offset)
            heads.append((fh.read(128), min(EVTX_CHUNK_SIZE, total - offset)))
            offset += EVTX_CHUNK_SIZE
    return heads


def _evtx_expected(
    raw: bytes | None, path: str | None
) -> list[tuple[int, tuple[int, int] | None, str]]:
    """Per chunk slot with content: (index, record-id range its header promises, problem note)."""
    chunks: list[tuple[int, tuple[int, int] | None, str]] = []
    for index, (head, avail) in enumerate(_chunk_heads(raw, path)):
        short = f"chunk {index} is incomplete ({avail} of {EVTX_CHUNK_SIZE} bytes"
        if not head.startswith(CHUNK_MAGIC):
            if head.strip(b"\x00"):  # all-zero slots are unused pre-allocated space
                note = short + ")" if avail < EVTX_CHUNK_SIZE else f"chunk {index} has no signature"
                chunks.append((index, None, note))
            continue
        if len(head) < 40:
            chunks.append((index, None, short + ")"))
            continue
        first_id, last_id = struct.unpack_from("<QQ", head, 24)
        span = (first_id, last_id) if 0 < first_id <= last_id < first_id + 1_000_000 else None
        note = f"{short}; records {first_id}-{last_id})" if avail < EVTX_CHUNK_SIZE else ""
        chunks.append((index, span, note or f"chunk {index}"))
    return chunks


_RECORD_NO = re.compile(r"record number (\d+)", re.IGNORECASE)


def _read_evtx(source: Source) -> EventReadResult:
    result = EventReadResult(container="evtx")
    compressed = source.compression is not None
    raw = source.read_bytes() if compressed else None
    try:
        if raw is not None:
            parser = evtx.PyEvtxParser(io.BytesIO(raw), number_of_threads=1)
        else:
            parser = evtx.PyEvtxParser(str(source.path), number_of_threads=1)
        chunks = _evtx_expected(raw, None if raw is not None else str(source.path))
    except (OSError, RuntimeError, ValueError) as exc:
        result.rejects.append((1, f"unreadable EVTX file: {exc}", ""))
        result.units = 1
        return result
    seen_ids: set[int] = set()
    ordinal = failing = 0
    iterator = parser.records_json()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except (RuntimeError, OSError, ValueError) as exc:
                ordinal += 1
                msg = str(exc)
                m = _RECORD_NO.search(msg)
                if m:
                    seen_ids.add(int(m.group(1)))
                result.rejects.append((ordinal, f"EVTX record not parsed: {msg[:300]}", ""))
                failing += 1
                if failing >= MAX_CONSECUTIVE_ERRORS:  # the rest of the file is unreadable
                    break
                continue
            ordinal += 1
            failing = 0
            rid = _opt_int(item.get("event_record_id"))
            if rid is not None:
                seen_ids.add(rid)
            try:
                doc = json.loads(item["data"])
                rec = _from_event_json(
                    doc, ordinal, None, fallback_ts=item.get("timestamp"), fallback_rid=rid
                )
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                result.rejects.append((ordinal, f"EVTX record unusable: {exc}", ""))
                continue
            result.records.append(rec)
    for _index, span, note in chunks:
        if span is None:
            ordinal += 1
            result.rejects.append((ordinal, f"EVTX truncated or corrupt: {note}", ""))
            continue
        for rid in range(span[0], span[1] + 1):
            if rid not in seen_ids:
                ordinal += 1
                reason = f"EVTX truncated or corrupt: record not recovered ({note})"
                result.rejects.append((ordinal, reason, f"EventRecordID {rid}"))
    result.units = len(result.records) + len(result.rejects)
    return result


def _attrs(node: Any) -> dict[str, Any]:
    if isinstance(node, dict):
        attrs = node.get("#attributes")
        if isinstance(attrs, dict):
            return attrs
        return {k.removeprefix("@"): v for k, v in node.items() if k.startswith("@")}
    return {}


def _json_data(section: Any) -> dict[str, str | None]:
    """EventData / UserData from the evtx JSON shape into name -> text."""
    out: dict[str, str | None] = {}
    if not isinstance(section, dict):
        if section not in (None, ""):
            out["Data1"] = _text(section)
        return out
    for key, value in section.items():
        if key == "#attributes" or key.startswith("@"):
            continue
        if key in ("Data", "#text"):
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict) and "#text" in item and isinstance(item["#text"], list):
                    for sub in item["#text"]:
                        out[f"Data{len(out) + 1}"] = _text(sub)
                    continue
                name = _attrs(item).get("Name")
                out[str(name) if name else f"Data{len(out) + 1}"] = _text(item)
            continue
        if key == "Binary":
            out["Binary"] = _text(value)
            continue
        out[key] = _text(value)
    return out


def _from_event_json(
    doc: dict[str, Any],
    ordinal: int,
    line: int | None,
    fallback_ts: Any = None,
    fallback_rid: int | None = None,
) -> EventRecord:
    """The `{"Event": {"System": ..., "EventData": ...}}` shape (evtx package, evtx_dump)."""
    event = doc.get("Event", doc)
    if not isinstance(event, dict):
        raise _BadEvent("Event is not an object")
    system = event.get("System")
    if not isinstance(system, dict):
        raise _BadEvent("event has no System section")
    provider = _sys_attr(system, "Provider", "Name")
    created = _sys_attr(system, "TimeCreated", "SystemTime")
    ts = parse_time(created if created is not None else fallback_ts)
    rid = _opt_int(system.get("EventRecordID"))
    data: dict[str, str | None]
    if "EventData" in event:
        data = _json_data(event.get("EventData"))
    elif isinstance(event.get("UserData"), dict):
        inner = [v for k, v in event["UserData"].items() if k != "#attributes"]
        data = _json_data(inner[0]) if inner else {}
    else:
        data = {}
    if event.get("Message") is not None and "Message" not in data:
        data["Message"] = _text(event["Message"])
    return _record(
        event_id=_int(system.get("EventID"), "EventID"),
        provider=provider,
        channel=system.get("Channel"),
        computer=system.get("Computer"),
        ts=ts,
        record_id=rid if rid is not None else fallback_rid,
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=_sys_attr(system, "Security", "UserID"),
    )


def _sys_attr(system: dict[str, Any], name: str, attr: str) -> Any:
    """An attribute of a System child in any JSON rendering: `#attributes` (evtx),
    `<name>_attributes` (evtx_dump --separate-json-attributes) or plain keys (Velociraptor)."""
    node = system.get(name)
    for holder in (_attrs(node), system.get(f"{name}_attributes"), node):
        if isinstance(holder, dict) and holder.get(attr) is not None:
            return holder[attr]
    return None


# ---------------------------------------------------------------- event XML

_EVENT_START = re.compile(r"<Event(?=[\s>/])")
_EVENT_END = "</Event>"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element, name: str) -> ET.Element | None:
    for sub in node:
        if _local(sub.tag) == name:
            return sub
    return None


def _from_xml(elem: ET.Element, ordinal: int, line: int) -> EventRecord:
    if _local(elem.tag) != "Event":
        raise _BadEvent(f"root element is <{_local(elem.tag)}>, not <Event>")
    system = _child(elem, "System")
    if system is None:
        raise _BadEvent("event has no System section")

    def sys_text(name: str) -> str | None:
        node = _child(system, name)
        return node.text.strip() if node is not None and node.text else None

    def sys_attr(name: str, attr: str) -> str | None:
        node = _child(system, name)
        return node.get(attr) if node is not None else None

    data: dict[str, str | None] = {}
    section = _child(elem, "EventData")
    if section is not None:
        for item in section:
            tag = _local(item.tag)
            if tag == "Data":
                name = item.get("Name") or f"Data{len(data) + 1}"
                data[name] = item.text or ""
            else:
                data[tag] = item.text or ""
    else:
        user = _child(elem, "UserData")
        if user is not None and len(user):
            for item in user[0]:
                data[_local(item.tag)] = item.text or ""
    rendering = _child(elem, "RenderingInfo")
    if rendering is not None and "Message" not in data:
        msg = _child(rendering, "Message")
        if msg is not None and msg.text:
            data["Message"] = msg.text
    return _record(
        event_id=_int(sys_text("EventID"), "EventID"),
        provider=sys_attr("Provider", "Name"),
        channel=sys_text("Channel"),
        computer=sys_text("Computer"),
        ts=parse_time(sys_attr("TimeCreated", "SystemTime")),
        record_id=_opt_int(sys_text("EventRecordID")),
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=sys_attr("Security", "UserID"),
    )


class _Lines:
    """Offset -> 1-based line number."""

    def __init__(self, text: str) -> None:
        self.breaks = [m.start() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> int:
        return bisect.bisect_left(self.breaks, offset) + 1


def _read_xml(source: Source) -> EventReadResult:
    text = source.text()
    result = EventReadResult(container="event_xml")
    lines = _Lines(text)
    starts = [m.start() for m in _EVENT_START.finditer(text)]
    ordinal = 0
    if starts:
        lead = _strip_prolog(text[: starts[0]])
        lead = re.sub(r"<Events\s*>|<!--.*?-->", "", lead, flags=re.DOTALL).strip()
        if lead:
            ordinal += 1
            where = lines.at(text.find(lead[:1]))
            result.rejects.append((where, "text outside any <Event> element", _excerpt(lead)))
    for index, start in enumerate(starts):
        stop = starts[index + 1] if index + 1 < len(starts) else len(text)
        chunk = text[start:stop]
        end = chunk.rfind(_EVENT_END)
        tail = ""
        if end >= 0:
            tail = chunk[end + len(_EVENT_END) :]
            chunk = chunk[: end + len(_EVENT_END)]
        ordinal += 1
        line = lines.at(start)
        try:
            if "<!DOCTYPE" in chunk or "<!ENTITY" in chunk:
                raise _BadEvent("DTD/entity declarations are not allowed in event XML")
            if end < 0:
                raise _BadEvent("no closing </Event> tag")
            rec = _from_xml(ET.fromstring(chunk), ordinal, line)
        except ET.ParseError as exc:
            result.rejects.append((line, f"malformed event XML: {exc}", _excerpt(chunk)))
        except _BadEvent as exc:
            result.rejects.append((line, f"unusable event: {exc}", _excerpt(chunk)))
        else:
            result.records.append(rec)
        junk = re.sub(r"</Events>|<!--.*?-->", "", tail, flags=re.DOTALL).strip()
        if junk:
            ordinal += 1
            where = lines.at(start + len(chunk) + tail.find(junk[:1]))
            result.rejects.append((where, "text outside any <Event> element", _excerpt(junk)))
    if not starts:
        body = _strip_prolog(text)
        body = re.sub(r"</?Events\s*/?>", "", body).strip()
        if body:
            result.rejects.append((1, "no <Event> element found", _excerpt(body)))
    result.units = len(result.records) + len(result.rejects)
    return result


# ---------------------------------------------------------------- JSON (ECS, Get-WinEvent, evtx_dump)


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
    data = {str(k): _text(v) for k, v in raw_data.items()} if isinstance(raw_data, dict) else {}
    if not data:
        prefix = "winlog.event_data."
        data = {k[len(prefix) :]: _text(v) for k, v in obj.items() if k.startswith(prefix)}
    event_id = _dig(obj, "winlog.event_id")
    if event_id is None:
        event_id = _dig(obj, "event.code")
    provider = _dig(obj, "winlog.provider_name") or _dig(obj, "event.provider")
    restore = list(_ECS_RESTORE)
    if provider and "sysmon" in str(provider).lower():
        restore += _ECS_RESTORE_SYSMON
    if _text(event_id) == "4688":
        restore += _ECS_RESTORE_4688
    for name, path in restore:
        if name not in data:
            value = _dig(obj, path)
            if isinstance(value, list):
                value = value[0] if value else None
            if value is not None:
                data[name] = _text(value)
    ts_value = obj.get("@timestamp")
    if ts_value is None:
        ts_value = _dig(obj, "winlog.time_created") or _dig(obj, "event.created")
    return _record(
        event_id=_int(event_id, "winlog.event_id"),
        provider=provider,
        channel=_dig(obj, "winlog.channel"),
        computer=_dig(obj, "winlog.computer_name") or _dig(obj, "host.name"),
        ts=parse_time(ts_value),
        record_id=_opt_int(_dig(obj, "winlog.record_id")),
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=_dig(obj, "winlog.user.identifier"),
    )


# EventData field order for Get-WinEvent exports, whose Properties carry values without names.
# Keyed by (provider, EventID, number of values): a layout is used only when the count matches
# (event versions add fields at the end or in the middle); otherwise values are Data1..DataN.
_SEC = "Microsoft-Windows-Security-Auditing"
_SYSMON = "Microsoft-Windows-Sysmon"
_WFP = (
    "ProcessID",
    "Application",
    "Direction",
    "SourceAddress",
    "SourcePort",
    "DestAddress",
    "DestPort",
    "Protocol",
    "FilterRTID",
    "LayerName",
    "LayerRTID",
    "RemoteUserID",
    "RemoteMachineID",
)
_4688 = (
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "NewProcessId",
    "NewProcessName",
    "TokenElevationType",
    "ProcessId",
    "CommandLine",
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetLogonId",
    "ParentProcessName",
    "MandatoryLabel",
)
_SYSMON1 = (
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "FileVersion",
    "Description",
    "Product",
    "Company",
    "CommandLine",
    "CurrentDirectory",
    "User",
    "LogonGuid",
    "LogonId",
    "TerminalSessionId",
    "IntegrityLevel",
    "Hashes",
    "ParentProcessGuid",
    "ParentProcessId",
    "ParentImage",
    "ParentCommandLine",
)
_SYSMON_REG = ("RuleName", "EventType", "UtcTime", "ProcessGuid", "ProcessId", "Image")
_FW = "Microsoft-Windows-Windows Firewall With Advanced Security"
# Rule events, in manifest order (the message's %4 ApplicationPath ... %22 ModifyingUser,
# %23 ModifyingApplication confirm the positions).
_FW_RULE = (
    "RuleId",
    "RuleName",
    "Origin",
    "ApplicationPath",
    "ServiceName",
    "Direction",
    "Protocol",
    "LocalPorts",
    "RemotePorts",
    "Action",
    "Profiles",
    "LocalAddresses",
    "RemoteAddresses",
    "RemoteMachineAuthorizationList",
    "RemoteUserAuthorizationList",
    "EmbeddedContext",
    "Flags",
    "Active",
    "EdgeTraversal",
    "LooseSourceMapped",
    "SecurityOptions",
    "ModifyingUser",
    "ModifyingApplication",
    "SchemaVersion",
    "RuleStatus",
    "LocalOnlyMapped",
)
_FW_DELETE = ("RuleId", "RuleName", "ModifyingUser", "ModifyingApplication")
PROPERTY_LAYOUTS: dict[tuple[str, int], tuple[tuple[str, ...], ...]] = {
    **{(_FW, eid): (_FW_RULE,) for eid in (2004, 2005)},
    **{(_FW, eid): ((*_FW_RULE, "ErrorCode"),) for eid in (2071, 2073)},
    **{(_FW, eid): ((*_FW_RULE, "PolicyAppId", "ErrorCode"),) for eid in (2097, 2099)},
    (_FW, 2006): (_FW_DELETE,),
    (_FW, 2052): ((*_FW_DELETE, "ErrorCode"),),
    **{(_SEC, eid): (("ProfileChanged", "RuleId", "RuleName"),) for eid in (4946, 4947, 4948)},
    (_SEC, 4950): (("ProfileChanged", "SettingType", "SettingValue"),),
    (_SEC, 5156): (_WFP, _WFP[:11]),
    (_SEC, 5157): (_WFP, _WFP[:11]),
    (_SEC, 4688): (_4688[:8], _4688[:9], _4688),  # event versions 0, 1, 2
    (_SYSMON, 1): (
        _SYSMON1,  # Sysmon 8-9
        (*_SYSMON1[:9], "OriginalFileName", *_SYSMON1[9:]),  # Sysmon 10+
        (*_SYSMON1[:9], "OriginalFileName", *_SYSMON1[9:], "ParentUser"),  # Sysmon 13.30+
    ),
    (_SYSMON, 12): ((*_SYSMON_REG, "TargetObject"), (*_SYSMON_REG, "TargetObject", "User")),
    (_SYSMON, 13): (
        (*_SYSMON_REG, "TargetObject", "Details"),
        (*_SYSMON_REG, "TargetObject", "Details", "User"),
    ),
    (_SYSMON, 14): (
        (*_SYSMON_REG, "TargetObject", "NewName"),
        (*_SYSMON_REG, "TargetObject", "NewName", "User"),
    ),
}


def property_names(provider: str | None, event_id: int, count: int) -> tuple[str, ...] | None:
    """The EventData names for `count` positional values, when the layout is known."""
    for names in PROPERTY_LAYOUTS.get((provider or "", event_id), ()):
        if len(names) == count:
            return names
    return None


def _from_winevent(obj: dict[str, Any], ordinal: int, line: int | None) -> EventRecord:
    event_id = obj.get("Id", obj.get("EventID", obj.get("EventId")))
    provider = obj.get("ProviderName") or obj.get("Provider") or obj.get("Source")
    eid = _int(event_id, "Id")
    data: dict[str, str | None] = {}
    named = obj.get("EventData")
    props = obj.get("Properties")
    if isinstance(named, dict):
        data = {str(k): _text(v) for k, v in named.items()}
    elif isinstance(props, dict):
        data = {str(k): _text(v) for k, v in props.items()}
    elif isinstance(props, list):
        values = [_text(p.get("Value") if isinstance(p, dict) else p) for p in props]
        names = property_names(_text(provider), eid, len(values))
        if names:
            data = dict(zip(names, values, strict=True))
        else:
            data = {f"Data{i}": v for i, v in enumerate(values, start=1)}
    message = obj.get("Message")
    if message is not None and "Message" not in data:
        data["Message"] = _text(message)
    user = obj.get("UserId")
    return _record(
        event_id=eid,
        provider=provider,
        channel=obj.get("LogName") or obj.get("ContainerLog") or obj.get("Channel"),
        computer=obj.get("MachineName") or obj.get("Computer"),
        ts=parse_time(obj.get("TimeCreated")),
        record_id=_opt_int(obj.get("RecordId", obj.get("RecordID"))),
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=_text(user.get("Value")) if isinstance(user, dict) else user,
    )


def _json_event(obj: Any, ordinal: int, line: int) -> tuple[str, EventRecord]:
    """Classify one JSON value and normalise it; raises _BadEvent when it is not an event."""
    if not isinstance(obj, dict):
        raise _BadEvent(f"JSON value is not an object ({type(obj).__name__})")
    if isinstance(obj.get("_source"), dict):  # an Elasticsearch hit
        obj = obj["_source"]
    if "winlog" in obj or "winlog.event_id" in obj:
        return "ecs_json", _from_ecs(obj, ordinal, line)
    if isinstance(obj.get("Event"), dict) and "System" in obj["Event"]:
        return "evtx_json", _from_event_json(obj, ordinal, line)
    if isinstance(obj.get("System"), dict):  # the same shape without the Event wrapper
        return "evtx_json", _from_event_json(obj, ordinal, line)
    if any(k in obj for k in ("Id", "EventID", "EventId")):
        return "winevent_json", _from_winevent(obj, ordinal, line)
    raise _BadEvent("JSON object is not a Windows event (no winlog, Event or Id)")


_WS = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


def _resync(text: str, start: int) -> int:
    """Offset of the next line that opens a value at the indentation of the one at `start`."""
    line_start = text.rfind("\n", 0, start) + 1
    indent = text[line_start:start]
    pattern = re.compile(r"\n" + re.escape(indent) + r"[{\[]" if indent.strip() == "" else r"\n{")
    m = pattern.search(text, start + 1)
    return m.start() + 1 + len(indent) if m else len(text)


def _read_json(source: Source, sniffed: str) -> EventReadResult:
    text = source.text()
    result = EventReadResult(container=sniffed)
    lines = _Lines(text)
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
            result.rejects.append((line, error, _excerpt(str(value))))
            continue
        try:
            kind, rec = _json_event(value, ordinal, line)
        except (_BadEvent, AttributeError, TypeError) as exc:
            shown = json.dumps(value, ensure_ascii=False)[:EXCERPT_CHARS]
            result.rejects.append((line, f"unusable event: {exc}", shown))
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        result.records.append(rec)
    if kinds:
        result.container = max(kinds, key=lambda k: kinds[k])
    result.units = len(result.records) + len(result.rejects)
    return result


# ---------------------------------------------------------------- entry point

_MEMO: OrderedDict[tuple[str, int, int], EventReadResult] = OrderedDict()


def read_events(source: Source) -> EventReadResult:
    """Read every event of an event-log file; memoised so several readers share one pass.

    Raises nothing for bad content: unreadable events become rejects. A file that is not an
    event container gives container "unknown" with one reject.
    """
    try:
        st = source.path.stat()
        key: tuple[str, int, int] | None = (str(source.path.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key is not None and key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    kind = sniff_container(source)
    if kind == "evtx":
        result = _read_evtx(source)
    elif kind == "event_xml":
        result = _read_xml(source)
    elif kind in ("ecs_json", "winevent_json", "evtx_json"):
        result = _read_json(source, kind)
    else:
        result = EventReadResult(
            container="unknown", rejects=[(1, "not a Windows event-log container", "")], units=1
        )
    if key is not None:
        _MEMO[key] = result
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return result
