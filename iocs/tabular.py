"""Rows of exported tables (JSON array, {"Results": [...]}, JSON lines, CSV with a header)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from fwcorr.inputs import Source


@dataclass
class Rows:
    """Rows of a table export with the counts that reconcile for it."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line/row no, row)
    units: int = 0
    unit_kind: str = "lines"
    rejects: list[tuple[int, str, str]] = field(default_factory=list)


def head_kind(source: Source) -> str | None:
    """ "json" or "csv" from the first characters; None for anything else."""
    if source.is_binary:
        return None
    text = source.head_text().lstrip()
    if text[:1] in ("[", "{"):
        return "json"
    return "csv" if "," in (text.splitlines() or [""])[0] else None


def load(source: Source, filter_regex: str | None = None) -> Rows:
    """All rows; with `filter_regex`, CSV rows are pre-filtered in polars on any column."""
    text = source.text()
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        return _json(text)
    return _csv(source, filter_regex)


def _json(text: str) -> Rows:
    out = Rows()
    stripped = text.strip()
    try:
        doc = json.loads(stripped)
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("Results"), list):
        doc = doc["Results"]
    if isinstance(doc, list):
        out.unit_kind, out.units = "rows", len(doc)
        for i, item in enumerate(doc, start=1):
            if isinstance(item, dict):
                out.rows.append((i, item))
            else:
                out.rejects.append((i, "row is not a JSON object", json.dumps(item)[:200]))
        return out
    if isinstance(doc, dict):
        out.unit_kind, out.units = "rows", 1
        out.rows.append((1, doc))
        return out
    lines = text.splitlines()
    out.units = len(lines)
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            out.rejects.append((i, f"invalid JSON: {exc.msg}", line))
            continue
        if isinstance(item, dict):
            out.rows.append((i, item))
        else:
            out.rejects.append((i, "line is not a JSON object", line))
    return out


def _csv(source: Source, filter_regex: str | None) -> Rows:
    out = Rows(unit_kind="rows")
    try:
        frame = pl.read_csv(
            io.BytesIO(source.text_bytes()),
            infer_schema=False,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        out.units = 1
        out.rejects.append((1, f"unreadable CSV: {exc}".splitlines()[0], ""))
        return out
    out.units = frame.height + 1  # the header row is a non-record
    frame = frame.with_row_index("_row", offset=2)
    if filter_regex is not None and frame.width > 1:
        frame = frame.filter(
            pl.any_horizontal(
                pl.col(c).fill_null("").str.contains(filter_regex) for c in frame.columns[1:]
            )
        )
    for row in frame.iter_rows(named=True):
        out.rows.append((int(row.pop("_row")), row))
    return out
