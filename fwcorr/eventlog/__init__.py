"""Shared Windows event-log reader: EVTX, event XML, ECS JSON, Get-WinEvent JSON, evtx JSON.

One normalised record shape for every container, so the firewall parser and the portproxy
harvester read the same events the same way. Results are memoised per (path, size, mtime).
"""

from __future__ import annotations

import re
from collections import OrderedDict

from fwcorr.eventlog.evtxfile import EVTX_MAGIC, read_evtx
from fwcorr.eventlog.jsonstream import read_json
from fwcorr.eventlog.record import (
    EventReadResult,
    EventRecord,
    parse_time,
    short_name,
)
from fwcorr.eventlog.xmlstream import read_xml, strip_prolog
from fwcorr.inputs import Source

__all__ = [
    "CONTAINERS",
    "EventReadResult",
    "EventRecord",
    "parse_time",
    "read_events",
    "short_name",
    "sniff_container",
]

CONTAINERS = ("evtx", "event_xml", "ecs_json", "winevent_json", "evtx_json")
_MEMO_SIZE = 8


def sniff_container(source: Source) -> str | None:
    """Which event container a file is, from its first bytes; None if it is not one."""
    head = source.head_bytes()
    if head.startswith(EVTX_MAGIC):
        return "evtx"
    if source.is_binary:
        return None
    text = strip_prolog(source.head_text())
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
        result = read_evtx(source)
    elif kind == "event_xml":
        result = read_xml(source)
    elif kind in ("ecs_json", "winevent_json", "evtx_json"):
        result = read_json(source, kind)
    else:
        result = EventReadResult(
            container="unknown", rejects=[(1, "not a Windows event-log container", "")], units=1
        )
    if key is not None:
        _MEMO[key] = result
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return result
