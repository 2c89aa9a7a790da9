"""Helpers shared by the evidence readers: results, host attribution, times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from fwcorr.context import ParseContext, ParseResult, reject_frame
from fwcorr.inputs import Source
from fwcorr.lines import read_lines
from iocs import events

_TS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def parse_ts(text: str | None) -> tuple[datetime | None, bool]:
    """(aware UTC time, had an explicit zone) from ISO-8601-ish text; (None, False) if unreadable.

    Text without a zone is taken as UTC (callers warn about it).
    """
    if not text:
        return None, False
    m = _TS.match(text.strip())
    if not m:
        return None, False
    y, mo, d, hh, mm, ss = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    try:
        ts = datetime(y, mo, d, hh, mm, ss, micro, tzinfo=UTC)
    except ValueError:
        return None, False
    zone = (m.group(8) or "").upper()
    if zone and zone not in ("Z", "UTC"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        ts -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return ts, bool(zone)


def file_host(source: Source, ctx: ParseContext, stats: dict[str, Any]) -> str | None:
    """Host for a capture/export whose records don't name one (--host, config, folder)."""
    host, rule = ctx.host_for(source)
    stats["host"] = host
    stats["host_source"] = rule
    return host


def result(
    fmt: str,
    source: Source,
    *,
    units: int,
    rows: list[dict[str, Any]],
    records: int,
    rejects: list[tuple[int, str, str]],
    unit_kind: str = "lines",
    warnings: list[str] | None = None,
    stats: dict[str, Any] | None = None,
) -> ParseResult:
    """ParseResult whose counts reconcile: non_records = units - records - rejects."""
    res = ParseResult(format=fmt, units=units, unit_kind=unit_kind)
    res.records = records
    res.rejects = reject_frame(source.display, rejects)
    res.non_records = units - records - len(rejects)
    res.portproxy_events = events.frame(rows)
    res.warnings = list(warnings or [])
    res.stats = dict(stats or {})
    res.stats["portproxy_events"] = len(rows)
    return res


def lines(source: Source) -> pl.DataFrame:
    """read_lines, tolerating invalid UTF-8 (bad bytes become U+FFFD instead of failing the file)."""
    try:
        return read_lines(source)
    except pl.exceptions.ComputeError:
        return read_lines(source.text().encode("utf-8"))
