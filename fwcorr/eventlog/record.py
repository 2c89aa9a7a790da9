"""The normalised event record and the value/time helpers every container reader shares."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fwcorr.schema import EXCERPT_CHARS


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


class BadEvent(ValueError):
    """An event that cannot be normalised (missing EventID, unreadable time, ...)."""


# ---------------------------------------------------------------- value normalisation


def as_text(value: Any) -> str | None:
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
                return as_text(value[key])
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, list):
        return ",".join("" if v is None else (as_text(v) or "") for v in value)
    return str(value)


def to_int(value: Any, what: str) -> int:
    text = as_text(value)
    if text is None or not text.strip():
        raise BadEvent(f"missing {what}")
    text = text.strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise BadEvent(f"{what} is not a number: {text[:40]!r}") from None


def opt_int(value: Any) -> int | None:
    try:
        return to_int(value, "number")
    except BadEvent:
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
    text = as_text(value)
    if not text:
        raise BadEvent("missing time created")
    m = _MS_DATE.match(text.strip())
    if m:
        # /Date(ms)/ is milliseconds since the epoch in UTC; a trailing +hhmm is display only.
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(m.group(1)))
    m = _ISO.match(text)
    if not m:
        raise BadEvent(f"unreadable time {text[:40]!r}")
    year, mon, day, hh, mm, ss = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = (m.group(8) or "Z").upper()
    try:
        ts = datetime(year, mon, day, hh, mm, ss, micro, tzinfo=UTC)
    except ValueError:
        raise BadEvent(f"unreadable time {text[:40]!r}") from None
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


def make_record(
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
    comp = as_text(computer)
    comp = comp.strip() if comp else None
    return EventRecord(
        event_id=event_id,
        provider=as_text(provider) or None,
        channel=as_text(channel) or None,
        computer=comp or None,
        computer_short=short_name(comp),
        ts=ts,
        record_id=record_id,
        data=data,
        ordinal=ordinal,
        line=line,
        user_sid=as_text(user_sid) or None,
    )


def excerpt(text: str) -> str:
    return text.strip()[:EXCERPT_CHARS]


class LineIndex:
    """Offset -> 1-based line number."""

    def __init__(self, text: str) -> None:
        self.breaks = [m.start() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> int:
        return bisect.bisect_left(self.breaks, offset) + 1
