"""Read a decoded text file as a polars frame of (line number, text)."""

from __future__ import annotations

import io

import polars as pl

from fwcorr.inputs import Source


def _scan(data: bytes) -> pl.DataFrame:
    frame = pl.scan_lines(io.BytesIO(data), name="text").with_row_index("line", offset=1)
    return frame.select(
        pl.col("line").cast(pl.Int64),
        pl.col("text").str.strip_suffix("\r"),
    ).collect()


def read_lines(source: Source | bytes) -> pl.DataFrame:
    """Frame `line` (1-based physical line, Int64) and `text` (String, trailing CR removed).

    Invalid UTF-8 never fails the file: bad bytes become U+FFFD and the lines still count.
    """
    data = source if isinstance(source, bytes) else source.text_bytes()
    if not data:
        return pl.DataFrame(schema={"line": pl.Int64, "text": pl.String})
    try:
        return _scan(data)
    except pl.exceptions.ComputeError:
        return _scan(data.decode("utf-8", errors="replace").encode("utf-8"))
