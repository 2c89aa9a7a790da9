"""PAN-OS Web UI CSV export (Monitor > Logs > Export to CSV): header row + quoted CSV rows.

Columns are matched by an alias table of display and internal names; a field the header does
not name is taken from its syslog position when the export keeps the syslog column order.
"""

from __future__ import annotations

import csv

import polars as pl

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from fwcorr.lines import read_lines
from parsers.paloalto_common import Pending, finish, in_line_order
from parsers.paloalto_layout import ALIAS_INDEX, CONFIG, THREAT, TRAFFIC, norm_name
from parsers.paloalto_split import split_lines


def _cells(line: str) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return []


def is_export_header(line: str) -> bool:
    """A header row naming Receive Time and the serial number or log type."""
    names = {norm_name(c) for c in _cells(line.lstrip("\ufeff"))}
    return "receivetime" in names and bool(names & {"serial", "serialnumber", "type"})


def column_map(header: list[str], positions: dict[str, int]) -> dict[str, int]:
    """Field key -> column index: by alias first, then by syslog position when it lines up."""
    found: dict[str, int] = {}
    for idx, cell in enumerate(header):
        key = ALIAS_INDEX.get(norm_name(cell))
        if key is not None and key not in found:
            found[key] = idx
    taken = set(found.values())
    aligned = found.get("receive_time") == positions.get("receive_time", 1)
    if aligned:
        for key, pos in positions.items():
            if key not in found and pos < len(header) and pos not in taken:
                found[key] = pos
    return found


def _log_type(mapping: dict[str, int]) -> str:
    if "cmd" in mapping and "path" in mapping:
        return "CONFIG"
    return "TRAFFIC"


def parse_export(source: Source, ctx: ParseContext) -> ParseResult:
    """Parse a Web UI CSV export (one header row, then one record per line)."""
    lines = read_lines(source)
    body = lines.filter(pl.col("text").str.strip_chars() != "")
    header_line, header_text = body.row(0)
    header = _cells(header_text.lstrip("\ufeff"))
    pending = Pending(non_records=lines.height - body.height + 1)
    rows = body.filter(pl.col("line") != header_line)
    project = tuple(range(len(header)))
    split = split_lines(rows, project)
    for num, reason, text in split.rejects:
        pending.rejects.append((num, reason))
        pending.excerpts[num] = text
    pending.non_records += split.blank
    fields = split.fields
    base = column_map(header, TRAFFIC)
    default = _log_type(base)
    type_col = f"f{base['type']}" if "type" in base else None
    log_type = (
        pl.col(type_col).str.strip_chars().str.to_uppercase().fill_null(default)
        if type_col
        else pl.lit(default)
    )
    fields = fields.with_columns(__type=log_type)
    for t, positions in (("TRAFFIC", TRAFFIC), ("THREAT", THREAT), ("CONFIG", CONFIG)):
        part = fields.filter(pl.col("__type") == t)
        if part.height == 0:
            continue
        mapping = column_map(header, positions)
        named = part.select(
            "line",
            *[pl.col(f"f{i}").alias(k) for k, i in mapping.items()],
        )
        named = in_line_order(named)
        if t == "CONFIG":
            named = named.join(rows.rename({"text": "raw"}), on="line", how="left")
            pending.config.append(named)
        else:
            getattr(pending, t.lower()).append(named)
    others = fields.filter(~pl.col("__type").is_in(["TRAFFIC", "THREAT", "CONFIG"]))
    for t, n in others.group_by("__type").len().iter_rows():
        pending.other_types[t] = n

    def texts(numbers: list[int]) -> dict[int, str]:
        got = lines.filter(pl.col("line").is_in(numbers))
        return dict(got.iter_rows())

    stats = {"layout": "web_export", "columns": len(header)}
    return finish(pending, ctx, source, lines.height, texts, require_elapsed=False, stats=stats)
