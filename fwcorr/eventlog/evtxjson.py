"""The evtx JSON event shape (`{"Event": {"System": ..., "EventData": ...}}`), as the `evtx`
package, `evtx_dump` and Velociraptor's `parse_evtx()` (without the Event wrapper) write it."""

from __future__ import annotations

from typing import Any

from fwcorr.eventlog.record import (
    BadEvent,
    EventRecord,
    as_text,
    make_record,
    opt_int,
    parse_time,
    to_int,
)


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
            out["Data1"] = as_text(section)
        return out
    for key, value in section.items():
        if key == "#attributes" or key.startswith("@"):
            continue
        if key in ("Data", "#text"):
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict) and "#text" in item and isinstance(item["#text"], list):
                    for sub in item["#text"]:
                        out[f"Data{len(out) + 1}"] = as_text(sub)
                    continue
                name = _attrs(item).get("Name")
                out[str(name) if name else f"Data{len(out) + 1}"] = as_text(item)
            continue
        if key == "Binary":
            out["Binary"] = as_text(value)
            continue
        out[key] = as_text(value)
    return out


def from_event_json(
    doc: dict[str, Any],
    ordinal: int,
    line: int | None,
    fallback_ts: Any = None,
    fallback_rid: int | None = None,
) -> EventRecord:
    """The `{"Event": {"System": ..., "EventData": ...}}` shape (evtx package, evtx_dump)."""
    event = doc.get("Event", doc)
    if not isinstance(event, dict):
        raise BadEvent("Event is not an object")
    system = event.get("System")
    if not isinstance(system, dict):
        raise BadEvent("event has no System section")
    provider = _sys_attr(system, "Provider", "Name")
    created = _sys_attr(system, "TimeCreated", "SystemTime")
    ts = parse_time(created if created is not None else fallback_ts)
    rid = opt_int(system.get("EventRecordID"))
    data: dict[str, str | None]
    if "EventData" in event:
        data = _json_data(event.get("EventData"))
    elif isinstance(event.get("UserData"), dict):
        inner = [v for k, v in event["UserData"].items() if k != "#attributes"]
        data = _json_data(inner[0]) if inner else {}
    else:
        data = {}
    if event.get("Message") is not None and "Message" not in data:
        data["Message"] = as_text(event["Message"])
    return make_record(
        event_id=to_int(system.get("EventID"), "EventID"),
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
