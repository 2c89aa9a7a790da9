"""Time-zone specs: IANA names and fixed offsets, normalised for polars."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime

from fwcorr.errors import ConfigError

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def parse_offset(spec: str) -> str | None:
    """Return a fixed offset ("+08:00") for specs like "+0800", "-07:00", "UTC+2:00"; else None."""
    m = _OFFSET.match(spec.strip())
    if not m:
        return None
    sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    return f"{sign}{hours:02d}:{minutes:02d}"


def normalize_zone(spec: str, where: str = "time zone") -> str:
    """Validate an IANA zone or fixed offset; return a name polars accepts."""
    text = str(spec).strip()
    if text.upper() in {"UTC", "Z", "GMT"}:
        return "UTC"
    offset = parse_offset(text)
    if offset is not None:
        return offset
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown {where} {text!r} (use an IANA name or an offset like +08:00)"
        ) from exc
    return text


def iso_z(ts: datetime | None) -> str | None:
    """ISO-8601 UTC with a Z suffix (microseconds only when present), for engine output."""
    if ts is None:
        return None
    text = ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if ts.microsecond:
        text += f".{ts.microsecond:06d}".rstrip("0")
    return text + "Z"
