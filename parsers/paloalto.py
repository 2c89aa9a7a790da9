"""Palo Alto PAN-OS logs (syslog CSV in any framing, Web UI CSV export) -> CONNECTION/RULE_CHANGE.

Framing: BSD syslog (with/without PRI, with/without host), RFC 5424, a relay's RFC 3339 prefix
and host, or bare CSV. The record starts at the FUTURE_USE `1,`; the header before it gives a
fallback host and, for RFC 5424, the device's UTC offset. Fields are mapped by position
(paloalto_layout); see docs/formats/paloalto.md for versions and settings.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

import polars as pl

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from parsers import paloalto_export
from parsers.paloalto_common import NAME, Pending, finish, in_line_order
from parsers.paloalto_config import layout_columns
from parsers.paloalto_layout import (
    CONFIG,
    CONFIG_INLINE_SHIFT,
    NEEDS_ALL_FIELDS,
    THREAT,
    TRAFFIC,
    TYPES,
)
from parsers.paloalto_split import (
    Split,
    complete_rows,
    fast_path_ok,
    fetch_lines,
    realign,
    split_general,
    split_source,
    split_text,
)
from parsers.paloalto_time import offsets_for, parse_headers

__all__ = ["NAME", "parse", "sniff"]

_SNIFF = re.compile(
    r"(?:^|\s)1,[^,]*,[^,]*,(?:TRAFFIC|THREAT|CONFIG|SYSTEM|HIPMATCH|HIP-MATCH|USERID|"
    r"GLOBALPROTECT|AUTHENTICATION|DECRYPTION|TUNNEL|IPTAG|CORRELATION|GTP|SCTP|START),"
)
_TYPE_RE = r"^[A-Z][A-Z0-9_-]{1,31}$"
# Lines syslog daemons write between forwarded messages: recognised, not records.
_NOISE = re.compile(
    r"last message repeated \d+ times|-- MARK --|message repeated \d+ times|rsyslogd: "
)


def sniff(source: Source) -> bool:
    """PAN-OS syslog CSV records or a Web UI export header in the first lines."""
    if source.is_binary:
        return False
    lines = source.head_lines(40)
    if any(paloalto_export.is_export_header(ln) for ln in lines[:3]):
        return True
    return any(_SNIFF.search(ln) for ln in lines)


def _named(frame: pl.DataFrame, positions: dict[str, int], headers: Headers) -> pl.DataFrame:
    """One log type's rows with fields named by `positions`, plus the header columns."""
    named = frame.select(
        "line",
        "f0",
        *[
            (pl.col(f"f{p}") if f"f{p}" in frame.columns else pl.lit(None, pl.String)).alias(k)
            for k, p in positions.items()
        ],
    )
    return headers.attach(named).drop("f0")


def _starts_record() -> pl.Expr:
    """The first field ends with the FUTURE_USE `1` (alone, or after a syslog header)."""
    f0 = pl.col("f0")
    return (f0 == "1") | f0.str.ends_with(" 1") | f0.str.ends_with("\t1")


def _all_traffic(split: Split) -> bool:
    """Every row is a TRAFFIC record start and nothing was rejected while splitting."""
    if split.rejects or split.fields.height == 0:
        return False
    every = ((pl.col("f3") == "TRAFFIC") & _starts_record()).fill_null(False).all()
    return bool(split.fields.select(every).item())


def _shape(split: Split, source: Source, pending: Pending) -> pl.DataFrame:
    """Rows that are PAN-OS records (realigning odd headers); the rest settled in `pending`."""
    fields = split.fields
    f0, f3 = pl.col("f0"), pl.col("f3")
    start = _starts_record()
    if not split.rejects and fields.select((start & f3.is_in(TYPES)).fill_null(False).all()).item():
        return fields  # every row starts a record of a known type (the usual case)
    fields = fields.with_columns(__ok=(start & f3.is_in(TYPES)).fill_null(False))
    odd = fields.filter(~pl.col("__ok"))
    if odd.height:  # other/unknown type names: the regex only runs on the few such rows
        fields = fields.with_columns(
            __ok=pl.col("__ok") | (start & f3.str.contains(_TYPE_RE)).fill_null(False)
        )
        odd = fields.filter(~pl.col("__ok"))
    if odd.height:
        empty = (f0.is_null() | (f0.str.strip_chars() == "")) & pl.col("f1").is_null()
        pending.non_records += int(odd.select(empty.sum()).item())
        odd = odd.filter(~empty)
    fields = fields.filter(pl.col("__ok")).drop("__ok") if odd.height else fields.drop("__ok")
    if odd.height:
        texts = fetch_lines(source, odd.get_column("line").to_list(), split)
        fixed = realign(texts).filter(pl.col("f3").str.contains(_TYPE_RE).fill_null(False))
        fields = pl.concat([fields, fixed])  # line order is restored per log type (in_line_order)
        done = set(fixed.get_column("line").to_list())
        for num, text in sorted(texts.items()):
            if num in done:
                continue
            if _NOISE.search(text):
                pending.non_records += 1
            else:
                pending.rejects.append((num, "not a PAN-OS record"))
                pending.excerpts[num] = text
    for num, reason, text in split.rejects:
        pending.rejects.append((num, reason))
        pending.excerpts[num] = text
    return fields


def _header_needed(fields: pl.DataFrame) -> bool:
    """Whether any record may fall back on its syslog header: THREAT/CONFIG rows, or TRAFFIC
    rows without a device name or without an offset in the high-resolution timestamp."""
    name, stamp = f"f{TRAFFIC['device_name']}", f"f{TRAFFIC['high_res_timestamp']}"
    if name not in fields.columns or stamp not in fields.columns:
        return True
    f3, dev = pl.col("f3"), pl.col(name)
    traffic_ok = (
        (f3 == "TRAFFIC")
        & dev.is_not_null()
        & ~dev.str.starts_with(" ")
        & offsets_for(fields, stamp).is_not_null()
    )
    other = f3.is_in(["TRAFFIC", "THREAT", "CONFIG"]).not_()
    return not fields.select((traffic_ok | other).fill_null(False).all()).item()


@dataclass
class Headers:
    """hdr_host / hdr_offset from the syslog headers: one value for every row, or by header."""

    host: str | None = None
    offset: int | None = None
    table: pl.DataFrame | None = None  # f0, hdr_host, hdr_offset (headers that differ)

    def attach(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` (with its f0 column) plus hdr_host and hdr_offset."""
        if self.table is None:
            return frame.with_columns(
                pl.lit(self.host, pl.String).alias("hdr_host"),
                pl.lit(self.offset, pl.Int32).alias("hdr_offset"),
            )
        return frame.join(self.table, on="f0", how="left", maintain_order="left")


def _headers(fields: pl.DataFrame) -> Headers:
    """What the syslog headers before the records say (nothing when no record needs them:
    their device name and offset are in the record). Attached per log type, to narrow frames."""
    if not _header_needed(fields):
        return Headers()
    firsts = fields.get_column("f0").unique()
    table = parse_headers(firsts.str.strip_suffix("1")).with_columns(
        (pl.col("header") + "1").alias("f0")
    )
    if table.select(pl.col("hdr_host").n_unique(), pl.col("hdr_offset").n_unique()).row(0) == (
        1,
        1,
    ):
        row = table.row(0, named=True)
        return Headers(host=row["hdr_host"], offset=row["hdr_offset"])
    return Headers(table=table.select("f0", "hdr_host", pl.col("hdr_offset").cast(pl.Int32)))


def _truncated_last(
    split: Split, source: Source, fields: pl.DataFrame, pending: Pending
) -> pl.DataFrame:
    """Reject the last line when it has no newline and fewer fields than its neighbours."""
    if split.ends_with_newline or split.units == 0 or fields.height == 0:
        return fields
    last = split.units
    tail = fields.filter(pl.col("line") == last)
    if tail.height == 0:
        return fields
    texts = fetch_lines(source, list(range(max(1, last - 5), last + 1)), split)
    counts = {}
    for num, text in texts.items():
        try:
            counts[num] = len(split_text(text))
        except csv.Error:  # not comparable
            continue
    last_type = tail.get_column("f3").item()
    types = dict(fields.filter(pl.col("line") >= last - 5).select("line", "f3").iter_rows())
    peers = [c for n, c in counts.items() if n != last and types.get(n) == last_type]
    if last in counts and peers and counts[last] < max(peers):
        pending.rejects.append(
            (
                last,
                f"truncated last line ({counts[last]} of {max(peers)} fields, no newline at end of file)",
            )
        )
        pending.excerpts[last] = texts[last]
        return fields.filter(pl.col("line") != last)
    return fields


def _check_other_types(fields: pl.DataFrame, pending: Pending) -> pl.DataFrame:
    """Types only counted (SYSTEM, ...) must at least carry a generated time; a record cut
    inside its type name (`TRAFF`) fails this and is rejected rather than counted."""
    other = ~pl.col("f3").is_in(["TRAFFIC", "THREAT", "CONFIG"])
    if not fields.select(other.any()).item():
        return fields
    timed = pl.col("f6").str.contains(r"^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2} [0-9:]{7,8}$")
    bad = fields.filter(other & ~timed.fill_null(False))
    for num, kind in bad.select("line", "f3").iter_rows():
        pending.rejects.append((num, f"truncated or malformed {kind} record (no generated time)"))
    if bad.height == 0:
        return fields
    return fields.filter(~(other & ~timed.fill_null(False)))


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    """Parse one PAN-OS log file."""
    if source.size == 0:
        return ParseResult(format=NAME)
    head = [ln for ln in source.head_lines(5) if ln.strip()]
    if head and paloalto_export.is_export_header(head[0]):
        return paloalto_export.parse_export(source, ctx)
    split = split_source(source)
    result = _parse_split(split, source, ctx)
    if split.confirm and not fast_path_ok(source):  # quotes/braces/NUL past the head
        result = _parse_split(split_general(source), source, ctx)
    return result


def _parse_split(split: Split, source: Source, ctx: ParseContext) -> ParseResult:
    """Shape, classify and map the split lines of one file."""
    pending = Pending(non_records=split.blank)
    if _all_traffic(split):  # the usual file: one check settles shape, types and counts
        fields = _truncated_last(split, source, split.fields, pending)
        counts = {"TRAFFIC": fields.height}
    else:
        if split.partial:  # THREAT/CONFIG rows need columns the fast TRAFFIC read skipped
            need = split.fields.filter(pl.col("f3").is_in(NEEDS_ALL_FIELDS)).get_column("line")
            complete_rows(source, split, need.to_list())
        fields = _shape(split, source, pending)
        fields = _truncated_last(split, source, fields, pending)
        fields = _check_other_types(fields, pending)
        counts = dict(fields.group_by("f3").len().iter_rows())
    headers = _headers(fields)
    types = fields.get_column("f3")
    for t, n in counts.items():
        if t not in ("TRAFFIC", "THREAT", "CONFIG"):
            pending.other_types[t] = n

    def rows(t: str, columns: list[str] | None = None) -> pl.DataFrame:
        """The rows of type `t`, narrowed to `columns` first. In one in-memory plan: the wide
        frame's columns need not share a chunk layout (re-split rows are appended), and eager
        selects and filters would first re-align every column."""
        plan = fields.lazy()
        if columns is not None:
            plan = plan.select(list(dict.fromkeys(c for c in columns if c in fields.columns)))
        if counts.get(t, 0) != types.len():
            plan = plan.filter(pl.col("f3") == t)
        return plan.collect(engine="in-memory")

    def named(t: str, positions: dict[str, int]) -> pl.DataFrame:
        columns = ["line", "f0", "f3", *(f"f{p}" for p in sorted(set(positions.values())))]
        return in_line_order(_named(rows(t, columns), positions, headers))

    if counts.get("TRAFFIC"):
        pending.traffic.append(named("TRAFFIC", TRAFFIC))
    if counts.get("THREAT"):
        pending.threat.append(named("THREAT", THREAT))
    if counts.get("CONFIG"):
        cfg = in_line_order(headers.attach(rows("CONFIG")))
        if split.lines is not None:
            cfg = cfg.join(split.lines.rename({"text": "raw"}), on="line", how="left")
        pending.config.append(layout_columns(cfg, CONFIG, CONFIG_INLINE_SHIFT))

    def texts(numbers: list[int]) -> dict[int, str]:
        return fetch_lines(source, numbers, split)

    stats = {"fast_path": split.lines is None}
    return finish(pending, ctx, source, split.units, texts, require_elapsed=True, stats=stats)
