"""Fortinet FortiGate logs (key=value syslog, disk / FortiAnalyzer exports, CSV, JSON, CEF) ->
CONNECTION and RULE_CHANGE.

Keys are pulled out with one anchored regex per needed key over the whole file (polars), so key
order, quoting style (5.x bare, 6.x/7.x quoted), relay headers and repeated keys (first wins) do not
matter. Lines that follow one of the file's dominant key layouts get the same values faster from
`fortinet_fast` (quote-split short columns, one regex per key run). Traffic becomes CONNECTION;
configuration events become RULE_CHANGE; every other line is a counted non-record or a reject
with a reason.
"""

from __future__ import annotations

import codecs
import mmap
import os
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from fwcorr.context import ParseContext, ParseResult, reject_expr
from fwcorr.errors import InputError
from fwcorr.inputs import Source
from fwcorr.lines import read_lines
from fwcorr.schema import CONNECTION, REJECT, RULE_CHANGE, TS
from parsers import fortinet_fast as fast
from parsers import fortinet_kv as kv
from parsers.fortinet_config import CFGATTR_MAX, rule_changes
from parsers.fortinet_maps import (
    CEF_ALIASES,
    CONFIG_KEYS,
    CONFIG_LOGIDS,
    LEGACY_ALIASES,
    TIME_KEYS,
    TRAFFIC_KEYS,
)
from parsers.fortinet_traffic import checks, connections

NAME = "fortinet"
BODY = "_body"  # the line with JSON rewritten to key=value; "text" stays as read
CHUNK_BYTES = (
    64 << 20
)  # pieces of about this size (cut at line ends); bigger ones cost more per line
CHUNK_WORKERS = 3  # a third piece fills the cores while the others are in GIL-bound steps

# One head line is enough when it carries FortiGate's own key set (PAN-OS CSV, Windows pfirewall
# and EVTX text never contain these key=value pairs).
_SNIFF_KV = re.compile(
    r"""(?:^|[\s,>{])"?(?:logid|log_id)"?[=:]\s*"?\d{1,10}"?(?=[\s,}]|$)"""
    r"""(?=.*(?:^|[\s,>{])"?(?:type|subtype|devname|devid|date)"?[=:])"""
)
_SNIFF_DATE = re.compile(
    r"(?:^|[\s,>])date=\d{4}[-/]\d\d[-/]\d\d[\s,]+time=\d\d:\d\d:\d\d[\s,]"
    r".*(?:^|[\s,])(?:devname|devid)=",
)
_SNIFF_CEF = re.compile(r"CEF:\s*\d+\|Fortinet\|Forti(?:gate|Gate)", re.IGNORECASE)
_SNIFF_HEADER = re.compile(kv.HEADER)
_SNIFF_START = re.compile(r'(?:<\d{1,3}>)?(?:[A-Za-z_]+=|\{\s*"|CEF:)')
_CEF = r"CEF:\s*\d+\|"
_JSON = r'^(?:<\d{1,3}>)?(?:[^={]*\s)?\{\s*"'


def sniff(source: Source) -> bool:
    """Claim files whose head has FortiGate key=value (or JSON / CEF) log lines."""
    try:
        lines = source.head_lines(30)
    except InputError:  # unreadable heads are reported by the runner, not claimed
        return False
    for line in lines:
        # the log body must start the line (after syslog / relay framing), so text that merely
        # quotes FortiGate lines (JSON exports of parsed events, reports) is not claimed
        body = _SNIFF_HEADER.sub("", line, count=1)
        if not _SNIFF_START.match(body):
            continue
        if _SNIFF_CEF.match(body) or _SNIFF_DATE.search(body) or _SNIFF_KV.search(body):
            return True
    return False


@dataclass
class _State:
    """Per-file tallies gathered across chunks."""

    by_type: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    devices: set[str] = field(default_factory=set)
    no_zone: set[str] = field(default_factory=set)
    broken_quotes: int = 0
    cef_lines: int = 0
    non_records: int = 0
    conns: list[pl.DataFrame] = field(default_factory=list)
    changes: list[pl.DataFrame] = field(default_factory=list)
    rejects: list[pl.DataFrame] = field(default_factory=list)


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    """Parse one FortiGate log file into normalized tables."""
    with _Pieces(source) as pieces:

        def work(span: tuple[int, int]) -> tuple[int, _State]:
            # each piece owns its buffers: frames sliced from one whole-file frame kept every
            # string column pointing into gigabyte buffers, which polars kept re-scanning
            piece = pieces.read(span)
            part = _State()
            if not piece:  # only NUL bytes after the last line end
                return 0, part
            chunk = _read(piece)
            _parse_chunk(chunk, _fields(piece, chunk), source, ctx, part)
            return chunk.height, part

        # pieces in flight keep both cores busy through each piece's single-threaded steps;
        # per-piece states are merged in file order
        if len(pieces.spans) > 1:
            with ThreadPoolExecutor(CHUNK_WORKERS) as pool:
                parts = list(pool.map(work, pieces.spans))
        else:
            parts = [work(span) for span in pieces.spans]
    state, units = _merge(parts)
    result = ParseResult(format=NAME, units=units)
    result.connections = pl.concat(state.conns) if state.conns else pl.DataFrame(schema=CONNECTION)
    result.rule_changes = (
        pl.concat(state.changes) if state.changes else pl.DataFrame(schema=RULE_CHANGE)
    )
    result.rejects = pl.concat(state.rejects) if state.rejects else pl.DataFrame(schema=REJECT)
    result.records = result.connections.height + result.rule_changes.height
    for table in (result.connections, result.rule_changes):
        state.devices.update(table.get_column("device").drop_nulls().unique().to_list())
    result.non_records = state.non_records
    for dev in sorted(state.no_zone):
        state.warnings.append(f"device {dev}: no time zone known, times taken as UTC")
    if state.broken_quotes:
        state.warnings.append(
            f"{state.broken_quotes} line(s) with an unterminated quote, read up to the break"
        )
    result.warnings = state.warnings
    result.stats = {
        "by_type": dict(sorted(state.by_type.items())),
        "devices": sorted(state.devices),
        "broken_quotes": state.broken_quotes,
        "cef_lines": state.cef_lines,
    }
    return result


def _spans(data: bytes | mmap.mmap, size: int) -> list[tuple[int, int]]:
    """(start, end) of pieces of `data` cut after a newline about every `size` bytes."""
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(data):
        cut = data.find(b"\n", start + size)
        end = len(data) if cut < 0 else cut + 1
        spans.append((start, end))
        start = end
    return spans


class _Pieces:
    """The file's text in pieces of about CHUNK_BYTES, cut after a newline.

    An uncompressed UTF-8 file is read piece by piece straight from disk (cut points found in a
    memory map), so no whole-file copy is made and reading overlaps parsing; each piece gets the
    same treatment `Source.text_bytes` gives the whole text (BOM dropped, NUL bytes removed).
    Other files (compressed, UTF-16) are decoded whole and cut into pieces.
    """

    def __init__(self, source: Source) -> None:
        self._source = source
        self._fd: int | None = None
        self._data = b""
        self._bom = False
        self.spans: list[tuple[int, int]] = []
        if source.compression is None and source.encoding in ("utf-8", "utf-8-sig"):
            try:
                self._fd = os.open(source.path, os.O_RDONLY)
                size = os.fstat(self._fd).st_size
                if size:
                    with mmap.mmap(self._fd, size, access=mmap.ACCESS_READ) as mm:
                        self.spans = _spans(mm, CHUNK_BYTES)
                        self._bom = mm[:3] == codecs.BOM_UTF8
                return
            except (OSError, ValueError):  # not mappable (a pipe, a special file): read whole
                self.close()
        self._data = source.text_bytes()
        self.spans = _spans(self._data, CHUNK_BYTES)

    def read(self, span: tuple[int, int]) -> bytes:
        """The text of one span (file offsets of the raw file, or of the decoded text)."""
        if self._fd is None:
            data = self._data
            return data if span == (0, len(data)) else data[span[0] : span[1]]
        start, end = span
        try:
            piece = os.pread(self._fd, end - start, start)
        except OSError as exc:
            raise InputError(f"cannot read: {exc}", self._source.display) from exc
        if len(piece) != end - start:
            raise InputError("cannot read: file changed while being read", self._source.display)
        if start == 0 and self._bom and self._source.encoding == "utf-8-sig":
            piece = piece[3:]
        return piece.replace(b"\x00", b"") if b"\x00" in piece else piece

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> _Pieces:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read(piece: bytes) -> pl.DataFrame:
    """`read_lines` of a piece plus `_cef` (a CEF record), skipping its carriage-return pass (a
    copy of every line) when the piece has none."""
    cef = pl.col("text").str.contains(_CEF).alias("_cef")
    if b"\r" not in piece:
        try:
            # one chunk per column: the reader's ~130 chunks never line up with the quote split's,
            # and every later expression over columns of both would first re-align them
            return (
                pl.scan_lines(piece, name="text")
                .with_row_index("line", offset=1)
                .select(pl.col("line").cast(pl.Int64), "text", cef)
                .collect()
                .rechunk()
            )
        except pl.exceptions.ComputeError:  # invalid UTF-8: read_lines repairs it
            pass
    return read_lines(piece).with_columns(cef).rechunk()


def _merge(parts: list[tuple[int, _State]]) -> tuple[_State, int]:
    """One file state from per-piece states (in file order), line numbers made file-wide."""
    state = _State()
    units = 0
    for height, part in parts:
        state.by_type.update(part.by_type)
        state.warnings.extend(part.warnings)
        state.devices |= part.devices
        state.no_zone |= part.no_zone
        state.broken_quotes += part.broken_quotes
        state.cef_lines += part.cef_lines
        state.non_records += part.non_records
        if units:  # Series arithmetic: an expression would first align the frames' chunks
            part.conns = [_shift(f, "src_line", units) for f in part.conns]
            part.changes = [_shift(f, "src_line", units) for f in part.changes]
            part.rejects = [_shift(f, "line", units) for f in part.rejects]
        state.conns.extend(part.conns)
        state.changes.extend(part.changes)
        state.rejects.extend(part.rejects)
        units += height
    return state, units


def _shift(frame: pl.DataFrame, column: str, by: int) -> pl.DataFrame:
    return frame.with_columns(frame.get_column(column) + by)


@dataclass
class _Fields:
    """Lines split at quotes, with the key layouts found in a sample of them."""

    frame: pl.DataFrame
    layouts: list[fast.Layout]


def _fields(raw: bytes, lines: pl.DataFrame) -> _Fields | None:
    """Quote-split fields for the fast path, or None when no layout dominates / lines differ."""
    found = fast.layouts(lines.get_column("text"))
    if not found:
        return None
    frame = fast.split_fields(raw, max(lay.width for lay in found))
    if frame is None or frame.height != lines.height:
        return None
    return _Fields(frame.rechunk(), found)  # one chunk per column, like the lines


def _fast_keys(
    frame: pl.DataFrame, fields: _Fields | None
) -> tuple[pl.DataFrame, pl.Series] | None:
    """(TRAFFIC_KEYS values, rows a layout took) from the fast path; CEF lines stay out."""
    if fields is None:
        return None
    return fast.extract(
        fields.frame,
        frame.get_column("text"),
        fields.layouts,
        TRAFFIC_KEYS,
        ~frame.get_column("_cef"),
    )


def _rest_flags(
    frame: pl.DataFrame, fast_keys: tuple[pl.DataFrame, pl.Series] | None
) -> list[pl.Series]:
    """`_blank` and `_json`, scanned only on lines the fast path left (it takes neither kind)."""
    flags = [
        pl.col("text").str.contains(r"^\s*$").alias("_blank"),
        pl.col("text").str.contains(_JSON).alias("_json"),
    ]
    if fast_keys is None:
        return frame.select(flags).get_columns()
    rest = ~fast_keys[1]
    none = pl.repeat(False, frame.height, eager=True)
    if not rest.any():
        return [none.alias("_blank"), none.alias("_json")]
    where = frame.get_column("_i").filter(rest)
    sub = frame.filter(rest).select(flags)
    return [none.alias(name).scatter(where, sub.get_column(name)) for name in sub.columns]


def _traffic_keys(
    frame: pl.DataFrame, fast_keys: tuple[pl.DataFrame, pl.Series] | None
) -> pl.DataFrame:
    """TRAFFIC_KEYS columns: from the layout fast path where a row fits one, else per-key regex."""
    if fast_keys is None:
        return kv.add_values(frame, TRAFFIC_KEYS, BODY)
    values, matched = fast_keys
    rest = ~matched
    if rest.any():  # rows no layout took: per-key regex, written over their fast-path values
        where = frame.get_column("_i").filter(rest)
        sub = kv.add_values(frame.filter(rest).select(BODY), TRAFFIC_KEYS, BODY)
        values = pl.DataFrame(
            [values.get_column(k).scatter(where, sub.get_column(k)) for k in TRAFFIC_KEYS]
        )
    return pl.concat([frame, values], how="horizontal")


def _with_keys(frame: pl.DataFrame, keys: tuple[str, ...], mask: pl.Series | None) -> pl.DataFrame:
    """Add cleaned key columns, extracting only on rows where `mask` holds (others stay null)."""
    keys = tuple(k for k in keys if k not in frame.columns)
    if not keys:
        return frame
    if mask is None or mask.all():
        return kv.add_values(frame, keys, BODY)
    if not mask.any():
        return frame.with_columns([pl.lit(None, pl.String).alias(k) for k in keys])
    sub = kv.add_values(frame.filter(mask).select("_i", BODY), keys, BODY).drop(BODY)
    return frame.join(sub, on="_i", how="left")


def _fill_aliases(
    frame: pl.DataFrame, aliases: dict[str, tuple[str, ...]], need: pl.Series
) -> pl.DataFrame:
    """Fill empty canonical keys from alias keys, scanning only the rows in `need`."""
    if not need.any():
        return frame
    sub = frame.filter(need).select(
        "_i",
        *[
            pl.coalesce([kv.raw_value(a, BODY) for a in names]).alias(f"_alias_{key}")
            for key, names in aliases.items()
        ],
    )
    sub = sub.with_columns([kv.clean(pl.col(c)).alias(c) for c in sub.columns if c != "_i"])
    have = set(frame.columns)
    frame = frame.join(sub, on="_i", how="left")
    return frame.with_columns(
        [
            (
                pl.coalesce(pl.col(k), pl.col(f"_alias_{k}"))
                if k in have
                else pl.col(f"_alias_{k}")
            ).alias(k)
            for k in aliases
        ]
    ).drop([f"_alias_{k}" for k in aliases])


def _devices(frame: pl.DataFrame, source: Source, ctx: ParseContext) -> pl.Series:
    """Device per row: devname, a configured serial, --host, relay header host, devid, folder."""
    serials = frame.get_column("devid").drop_nulls().unique().to_list()
    by_serial = {s: ctx.config.device_by_serial(s) for s in serials}
    by_serial = {k: v for k, v in by_serial.items() if v}
    host, rule = ctx.host_for(source)
    option = host if rule == "option" else None
    fallback = host if rule != "option" else None
    serial_name = (
        pl.col("devid").replace_strict(by_serial, default=None, return_dtype=pl.String)
        if by_serial
        else pl.lit(None, pl.String)
    )
    dev = frame.select(
        pl.coalesce(
            pl.col("devname"),
            serial_name,
            pl.lit(option, pl.String),
            pl.col("_host"),
            pl.col("devid"),
            pl.lit(fallback, pl.String),
        )
    ).to_series()
    return dev


def _times(frame: pl.DataFrame, ctx: ParseContext, state: _State) -> pl.DataFrame:
    """ts_event: eventtime; else date+time with tz, or with the offset of the device's own RFC 5424
    header; else FortiAnalyzer dtime (UTC) or timestamp; else date+time in the device's configured
    zone; else UTC (with a warning)."""
    frame = frame.with_columns(kv.from_epoch(pl.col("eventtime")).alias("ts_event"))
    need = frame.select(pl.col("ts_event").is_null() & pl.col("_kv")).to_series()
    if not need.any():
        return frame.with_columns(pl.col("ts_event").cast(TS))
    frame = _with_keys(frame, TIME_KEYS, need)
    dtime = pl.col(BODY).str.extract(kv.DTIME, 1)
    local = kv.local_time(pl.col("date"), pl.col("time"))
    offset = kv.tz_offset_minutes(pl.col("tz"))
    frame = frame.with_columns(
        pl.coalesce(
            pl.col("ts_event"),
            kv.local_with_offset(local, offset),
            pl.when(need).then(
                kv.local_with_offset(local, kv.header_offset_minutes(pl.col("text")))
            ),
            pl.when(need).then(kv.local_with_offset(kv.local_time(dtime, pl.lit("")), pl.lit(0))),
            kv.from_epoch(pl.col("timestamp")),
        )
        .cast(TS)
        .alias("ts_event"),
        local.alias("_local"),
    )
    left = frame.filter(pl.col("ts_event").is_null() & pl.col("_local").is_not_null())
    if left.height:
        zoned = []
        for dev in left.get_column("device").unique().to_list():
            zone, _ = ctx.zone_for_device(dev)
            if zone is None:
                state.no_zone.add(dev or "(unknown device)")
                zone = "UTC"
            part = left.filter(pl.col("device").eq_missing(dev)).select(
                "_i",
                pl.col("_local")
                .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
                .dt.convert_time_zone("UTC")
                .cast(TS)
                .alias("_zoned"),
            )
            zoned.append(part)
        frame = frame.join(pl.concat(zoned), on="_i", how="left").with_columns(
            pl.coalesce(pl.col("ts_event"), pl.col("_zoned")).alias("ts_event")
        )
    return frame


def _parse_chunk(
    chunk: pl.DataFrame,
    fields: _Fields | None,
    source: Source,
    ctx: ParseContext,
    state: _State,
) -> None:
    path = source.display
    frame = chunk.with_row_index("_i")
    fast_keys = _fast_keys(frame, fields)
    frame = frame.with_columns(_rest_flags(frame, fast_keys))
    is_cef, is_json = frame.get_column("_cef"), frame.get_column("_json")
    body = pl.col("text")
    if is_json.any():
        body = pl.when(pl.col("_json")).then(kv.json_to_kv()).otherwise(body)
    if is_cef.any():
        body = pl.when(pl.col("_cef")).then(kv.cef_to_kv()).otherwise(body)
        state.cef_lines += int(is_cef.sum())
    frame = frame.with_columns(body.alias(BODY), (~pl.col("_blank")).alias("_kv"))
    frame = _traffic_keys(frame, fast_keys)
    # 4.3 lines lack the current logid / address keys altogether
    legacy = pl.col("logid").is_null() | (pl.col("srcip").is_null() & pl.col("dstip").is_null())
    frame = _fill_aliases(
        frame, LEGACY_ALIASES, frame.select(legacy & pl.col("_kv") & ~pl.col("_cef")).to_series()
    )
    if is_cef.any():
        frame = _fill_aliases(frame, {**CEF_ALIASES, "_cat": ("cat",)}, is_cef)
        cat = pl.col("_cat").str.to_lowercase().str.split_exact(":", 1)
        frame = frame.with_columns(
            pl.coalesce(pl.col("type"), cat.struct.field("field_0")).alias("type"),
            pl.coalesce(pl.col("subtype"), cat.struct.field("field_1")).alias("subtype"),
        )
    logid_type = (
        pl.when(pl.col("logid").str.contains(r"^[0-9]{10}$"))
        .then(
            pl.col("logid")
            .str.slice(0, 2)
            .replace_strict({"00": "traffic", "01": "event"}, default="utm")
        )
        .otherwise(None)
    )
    frame = frame.with_columns(
        pl.coalesce(pl.col("type").str.to_lowercase(), logid_type).alias("type"),
        pl.col("subtype").str.to_lowercase(),
        kv.header_host(frame).alias("_host"),
    )
    frame = frame.with_columns(_devices(frame, source, ctx).alias("device"))
    frame = _times(frame, ctx, state)

    kind = (
        pl.when(pl.col("_blank"))
        .then(pl.lit("blank"))
        .when(pl.col("type") == "traffic")
        .then(pl.lit("traffic"))
        .when((pl.col("type") == "event") & (pl.col("subtype") == "system"))
        .then(pl.lit("system"))
        .when(pl.col("type").is_not_null())
        .then(pl.lit("other"))
        .otherwise(pl.lit("garbage"))
    )
    frame = frame.with_columns(kind.alias("_kind"))
    # counts per (kind, type, subtype) first, labels for the few groups after
    kinds: Counter[str] = Counter()
    for k, typ, sub, n in frame.group_by("_kind", "type", "subtype").len().iter_rows():
        kinds[k] += n
        state.by_type[k if k in ("blank", "garbage") else f"{typ}:{sub or '-'}"] += n

    rejects: list[pl.DataFrame] = []
    odd_quotes = pl.col("text").str.count_matches('"', literal=True) % 2 == 1
    if kinds["garbage"]:
        garbage = frame.filter(pl.col("_kind") == "garbage")
        rejects.append(
            garbage.select(
                reject_expr(
                    path,
                    pl.col("line"),
                    pl.lit("not a FortiGate log line (no type/logid key)"),
                    pl.col("text"),
                )
            )
        )
    state.non_records += kinds["blank"] + kinds["other"]

    if kinds["traffic"]:
        whole = kinds["traffic"] == frame.height
        traffic = frame if whole else frame.filter(pl.col("_kind") == "traffic")
        good, bad = checks(traffic)
        if bad.height:
            state.broken_quotes += bad.select(odd_quotes.sum()).item()
            rejects.append(
                bad.select(reject_expr(path, pl.col("line"), pl.col("_reason"), pl.col("text")))
            )
        untrusted = {
            name: dev.untrusted_interfaces
            for name, dev in ctx.config.devices.items()
            if dev.untrusted_interfaces
        }
        state.conns.append(connections(good, path, untrusted))

    if kinds["system"]:
        system = frame.filter(pl.col("_kind") == "system")
        system = kv.add_values(system, [k for k in CONFIG_KEYS if k not in system.columns], BODY)
        is_change = pl.col("logid").is_in(list(CONFIG_LOGIDS)) | pl.col("cfgpath").is_not_null()
        changes = system.filter(is_change).with_columns(odd_quotes.alias("_badquote"))
        state.broken_quotes += changes.get_column("_badquote").sum()
        state.non_records += system.height - changes.height
        if changes.height:
            changes = changes.with_columns(
                pl.col("_badquote").alias("cfgattr_cut")
                | (pl.col("cfgattr").str.len_chars() >= CFGATTR_MAX).fill_null(False),
                pl.col("ts_event").alias("ts"),
            )
            no_ts = changes.filter(pl.col("ts").is_null())
            if no_ts.height:
                rejects.append(
                    no_ts.select(
                        reject_expr(
                            path,
                            pl.col("line"),
                            pl.lit("no usable time (eventtime/date/time)"),
                            pl.col("text"),
                        )
                    )
                )
            state.changes.append(rule_changes(changes.filter(pl.col("ts").is_not_null()), path))
    state.rejects.extend(rejects)
