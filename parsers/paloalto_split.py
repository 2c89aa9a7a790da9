"""Split PAN-OS syslog lines into positional fields (`f0`, `f1`, ...) with polars' CSV reader.

Fast path: an uncompressed UTF-8 file without quotes, braces, NULs or blank lines is read
straight from disk (one row per physical line). Otherwise the decoded lines are classified:
quote-free lines and lines with balanced quotes go through the CSV reader in bulk (verified
row-for-row), and only brace-wrapped fields or lines the bulk reader disagrees with are split
by Python's csv module. A line with an odd number of quotes is a reject (cut mid-quote).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import polars as pl

from fwcorr.census import CENSUS_BYTES
from fwcorr.inputs import Source
from fwcorr.lines import read_lines
from parsers.paloalto_layout import NEEDS_ALL_FIELDS, PROJECT, TRAFFIC_PROJECT, WIDTH

FCOLS = [f"f{i}" for i in PROJECT]
_SCHEMA = {f"f{i}": pl.String for i in range(WIDTH)}
# Where a PAN-OS record starts inside a line: the FUTURE_USE "1" then receive time, serial, TYPE.
RECORD_START = re.compile(r"(?:^|(?<=\s))1,(?=[^,]*,[^,]*,[A-Z][A-Z0-9_-]{1,31},)")


@dataclass
class Split:
    """Candidate record rows (`line`, f-columns), plus what was settled while splitting."""

    fields: pl.DataFrame
    units: int
    blank: int = 0
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    lines: pl.DataFrame | None = None  # (line, text) when the text was read (general path)
    ends_with_newline: bool = True
    partial: bool = False  # fast read of TRAFFIC columns only (see complete_rows)
    confirm: bool = False  # fast read still to be confirmed by fast_path_ok


def _plain_utf8(source: Source) -> bool:
    """Uncompressed, non-empty, UTF-8 by its head: the reader can map the file directly."""
    return source.compression is None and source.encoding == "utf-8" and source.size > 0


def _head_plain(source: Source) -> bool:
    """No quote, brace or NUL in the first 64 KiB (the early answer of fast_path_ok)."""
    head = source.head_bytes()
    return not any(tok in head for tok in CENSUS_BYTES)


def fast_path_ok(source: Source) -> bool:
    """Plain UTF-8 file the CSV reader can take directly, one row per line: no quotes, braces
    or NULs anywhere (blank lines are fine: the reader keeps them as empty rows)."""
    return _plain_utf8(source) and not source.census().present


def _cols(project: tuple[int, ...]) -> list[str]:
    return [f"f{i}" for i in project]


def _empty(project: tuple[int, ...]) -> pl.DataFrame:
    return pl.DataFrame(schema={"line": pl.Int64, **dict.fromkeys(_cols(project), pl.String)})


def _csv(data: bytes | str, quote: str | None, project: tuple[int, ...]) -> pl.DataFrame:
    width = max(WIDTH, max(project) + 1)
    return pl.read_csv(
        data.encode() if isinstance(data, str) else data,
        has_header=False,
        quote_char=quote,
        schema={f"f{i}": pl.String for i in range(width)},
        columns=list(project),
        truncate_ragged_lines=True,
        missing_columns="insert",
        encoding="utf8-lossy",
        infer_schema=False,
    )


def read_fast(source: Source, project: tuple[int, ...] = TRAFFIC_PROJECT) -> Split | None:
    """Read fields straight from the file (see fast_path_ok); other PROJECT columns are null.

    None when the file is not valid UTF-8 after all (the caller takes the general path).
    """
    missing = [f"f{i}" for i in PROJECT if i not in project]
    plan = (
        pl.scan_csv(
            source.path,
            has_header=False,
            quote_char=None,
            schema=_SCHEMA,
            truncate_ragged_lines=True,
            missing_columns="insert",
            infer_schema=False,
        )
        .select(_cols(project))
        .with_row_index("line", offset=1)
        .with_columns(
            pl.col("line").cast(pl.Int64), *[pl.lit(None, pl.String).alias(c) for c in missing]
        )
        .select("line", *FCOLS)
    )
    try:
        frame = plan.collect()
    except pl.exceptions.ComputeError:  # invalid UTF-8 past the sniffed head
        return None
    with source.path.open("rb") as fh:
        fh.seek(max(source.size - 1, 0))
        last = fh.read(1)
    split = Split(fields=frame, units=frame.height, ends_with_newline=last == b"\n")
    split.partial = bool(missing)
    return split


def complete_rows(source: Source, split: Split, numbers: list[int]) -> None:
    """Re-split the given lines with every PROJECT column (after a partial fast read)."""
    if not numbers or not split.partial:
        return
    texts = fetch_lines(source, numbers, split)
    lines = pl.DataFrame(
        {"line": list(texts), "text": list(texts.values())},
        schema={"line": pl.Int64, "text": pl.String},
    )
    again = split_lines(lines)
    split.rejects.extend(again.rejects)
    redone = pl.Series(numbers, dtype=pl.Int64).implode()
    keep = (  # one in-memory plan: the fast read's columns need not share a chunk layout
        split.fields.lazy().filter(~pl.col("line").is_in(redone)).collect(engine="in-memory")
    )
    split.fields = pl.concat([keep, again.fields])  # not re-sorted: see in_line_order


def split_text(text: str) -> list[str | None]:
    """One line -> fields (RFC 4180 quotes; an unquoted `{...}` keeps its bare commas)."""
    row = next(csv.reader([text], strict=True), [])
    out: list[str] = []
    depth = 0
    for cell in row:
        if depth > 0:
            out[-1] += "," + cell
        else:
            out.append(cell)
        if depth > 0 or cell.startswith("{"):
            depth += cell.count("{") - cell.count("}")
            depth = max(depth, 0)
    return [c if c.strip() else None for c in out]


def _python_rows(
    lines: pl.DataFrame, project: tuple[int, ...]
) -> tuple[pl.DataFrame, list[tuple[int, str, str]]]:
    """Small-batch Python split for the lines the bulk reader can't take."""
    names = _cols(project)
    cols: dict[str, list[str | None]] = {c: [] for c in names}
    nums: list[int] = []
    bad: list[tuple[int, str, str]] = []
    for num, text in lines.select("line", "text").iter_rows():
        try:
            row = split_text(text)
        except csv.Error as exc:
            bad.append((num, f"malformed CSV quoting: {exc}", text))
            continue
        nums.append(num)
        for i, c in zip(project, names, strict=True):
            cols[c].append(row[i] if i < len(row) else None)
    frame = pl.DataFrame(
        {"line": nums, **cols}, schema={"line": pl.Int64, **dict.fromkeys(names, pl.String)}
    )
    return frame, bad


def _bulk(lines: pl.DataFrame, quote: str | None, project: tuple[int, ...]) -> pl.DataFrame | None:
    """CSV-read many lines at once; None if the reader does not give one row per line."""
    if lines.height == 0:
        return _empty(project)
    buf = io.BytesIO()
    lines.select("text").write_csv(buf, include_header=False, quote_style="never")
    try:
        got = _csv(buf.getvalue(), quote, project)
    except pl.exceptions.PolarsError:
        return None
    if got.height != lines.height:
        return None
    names = _cols(project)
    if quote is not None:  # a quoted empty field ("") is empty too
        got = got.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in names)
    return got.with_columns(lines.get_column("line")).select("line", *names)


def split_lines(lines: pl.DataFrame, project: tuple[int, ...] = PROJECT) -> Split:
    """General path over decoded (line, text) rows."""
    text = pl.col("text")
    marked = lines.with_columns(
        blank=text.str.strip_chars() == "",
        quotes=text.str.count_matches('"', literal=True),
        brace=text.str.contains("{", literal=True),
    )
    blank = int(marked.get_column("blank").sum())
    body = marked.filter(~pl.col("blank"))
    odd = body.filter(pl.col("quotes") % 2 == 1)
    rejects = [
        (n, "unterminated quote (record cut mid-field)", t)
        for n, t in odd.select("line", "text").iter_rows()
    ]
    even = body.filter(pl.col("quotes") % 2 == 0)
    plain = even.filter(~pl.col("brace") & (pl.col("quotes") == 0))
    quoted = even.filter(~pl.col("brace") & (pl.col("quotes") > 0))
    braced = even.filter(pl.col("brace"))
    parts = [_bulk(plain, None, project)]
    got = _bulk(quoted, '"', project)
    if got is None:
        braced = pl.concat([braced, quoted])
    else:
        parts.append(got)
    slow, bad = _python_rows(braced, project)
    parts.append(slow)
    frame = pl.concat([p for p in parts if p is not None])  # not re-sorted: see in_line_order
    return Split(fields=frame, units=lines.height, blank=blank, rejects=rejects + bad, lines=lines)


def split_source(source: Source) -> Split:
    """Fields of every line of a PAN-OS syslog file, read fast when the head looks plain.

    A fast split is provisional (`confirm` set): the caller checks fast_path_ok once the
    full-file census (hashed in the same pass, in a background thread) is in, and re-splits
    with split_general when a quote, brace or NUL turned up after the head.
    """
    if _plain_utf8(source) and _head_plain(source):
        head = source.head_bytes()
        mixed = any(f",{t},".encode() in head for t in NEEDS_ALL_FIELDS)
        split = read_fast(source, PROJECT if mixed else TRAFFIC_PROJECT)
        if split is not None:
            split.confirm = True
            return split
    return split_general(source)


def split_general(source: Source) -> Split:
    """Fields of every line via the decoded text (quotes, braces, odd bytes)."""
    data = source.text_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:  # binary junk inside a log: keep the line, replace the bytes
        data = data.decode("utf-8", errors="replace").encode("utf-8")
    split = split_lines(read_lines(data))
    split.ends_with_newline = data.endswith(b"\n")
    return split


def fetch_lines(source: Source, numbers: list[int], split: Split) -> dict[int, str]:
    """Text of a few physical lines (for excerpts and CONFIG raw), without re-reading if held."""
    if not numbers:
        return {}
    want = pl.Series("line", numbers, dtype=pl.Int64)
    if split.lines is not None:
        got = split.lines.filter(pl.col("line").is_in(want.implode()))
    else:
        try:
            got = (
                pl.scan_lines(source.path, name="text")
                .with_row_index("line", offset=1)
                .with_columns(pl.col("line").cast(pl.Int64))
                .filter(pl.col("line").is_in(want.implode()))
                .with_columns(pl.col("text").str.strip_suffix("\r"))
                .collect()
            )
        except pl.exceptions.ComputeError:  # invalid UTF-8 somewhere: slow, exact fallback
            return _fetch_slow(source, set(numbers))
    return dict(got.select("line", "text").iter_rows())


def _fetch_slow(source: Source, numbers: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    last = max(numbers)
    with source.path.open("rb") as fh:
        for num, raw in enumerate(fh, start=1):
            if num in numbers:
                out[num] = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
            if num >= last:
                break
    return out


def realign(texts: dict[int, str]) -> pl.DataFrame:
    """Re-split lines whose header hid the record start (commas in a header, odd prefixes)."""
    cols: dict[str, list[str | None]] = {c: [] for c in FCOLS}
    nums: list[int] = []
    for num, text in texts.items():
        m = RECORD_START.search(text)
        if m is None:
            continue
        try:
            row = split_text(text[m.start() :])
        except csv.Error:
            continue
        row[0] = text[: m.start()] + "1"
        nums.append(num)
        for i, c in zip(PROJECT, FCOLS, strict=True):
            cols[c].append(row[i] if i < len(row) else None)
    return pl.DataFrame(
        {"line": nums, **cols}, schema={"line": pl.Int64, **dict.fromkeys(FCOLS, pl.String)}
    )


def tidy(frame: pl.DataFrame, columns: list[str], force: bool = False) -> pl.DataFrame:
    """Strip surrounding whitespace (whitespace-only -> null), only in columns that have any."""
    present = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    if not present:
        return frame
    if force:
        dirty = present
    else:
        edge = frame.select(
            (pl.col(c).str.starts_with(" ") | pl.col(c).str.ends_with(" ")).any().alias(c)
            for c in present
        ).row(0)
        dirty = [c for c, flag in zip(present, edge, strict=True) if flag]
    if not dirty:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.strip_chars().str.len_bytes() > 0)
        .then(pl.col(c).str.strip_chars())
        .alias(c)
        for c in dirty
    )
