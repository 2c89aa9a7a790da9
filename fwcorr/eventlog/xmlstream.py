"""Event XML exports (`<Events><Event>...`, a bare `<Event>` stream): one event per chunk, so a
malformed event is one reject and its neighbours survive."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fwcorr.eventlog.record import (
    BadEvent,
    EventReadResult,
    EventRecord,
    LineIndex,
    excerpt,
    make_record,
    opt_int,
    parse_time,
    to_int,
)
from fwcorr.inputs import Source


def strip_prolog(text: str) -> str:
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
        raise BadEvent(f"root element is <{_local(elem.tag)}>, not <Event>")
    system = _child(elem, "System")
    if system is None:
        raise BadEvent("event has no System section")

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
    return make_record(
        event_id=to_int(sys_text("EventID"), "EventID"),
        provider=sys_attr("Provider", "Name"),
        channel=sys_text("Channel"),
        computer=sys_text("Computer"),
        ts=parse_time(sys_attr("TimeCreated", "SystemTime")),
        record_id=opt_int(sys_text("EventRecordID")),
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=sys_attr("Security", "UserID"),
    )


def read_xml(source: Source) -> EventReadResult:
    text = source.text()
    result = EventReadResult(container="event_xml")
    lines = LineIndex(text)
    starts = [m.start() for m in _EVENT_START.finditer(text)]
    ordinal = 0
    if starts:
        lead = strip_prolog(text[: starts[0]])
        lead = re.sub(r"<Events\s*>|<!--.*?-->", "", lead, flags=re.DOTALL).strip()
        if lead:
            ordinal += 1
            where = lines.at(text.find(lead[:1]))
            result.rejects.append((where, "text outside any <Event> element", excerpt(lead)))
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
                raise BadEvent("DTD/entity declarations are not allowed in event XML")
            if end < 0:
                raise BadEvent("no closing </Event> tag")
            rec = _from_xml(ET.fromstring(chunk), ordinal, line)
        except ET.ParseError as exc:
            result.rejects.append((line, f"malformed event XML: {exc}", excerpt(chunk)))
        except BadEvent as exc:
            result.rejects.append((line, f"unusable event: {exc}", excerpt(chunk)))
        else:
            result.records.append(rec)
        junk = re.sub(r"</Events>|<!--.*?-->", "", tail, flags=re.DOTALL).strip()
        if junk:
            ordinal += 1
            where = lines.at(start + len(chunk) + tail.find(junk[:1]))
            result.rejects.append((where, "text outside any <Event> element", excerpt(junk)))
    if not starts:
        body = strip_prolog(text)
        body = re.sub(r"</?Events\s*/?>", "", body).strip()
        if body:
            result.rejects.append((1, "no <Event> element found", excerpt(body)))
    result.units = len(result.records) + len(result.rejects)
    return result
