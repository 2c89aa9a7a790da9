"""Columnar line rendering for the example-case generator: templates of literals and columns.

A template is a list of tokens: a plain `str` is copied verbatim, a `Col("name")` takes that
column of the frame. Rendering is one `pl.concat_str` per template, so millions of lines cost
seconds, not minutes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

US = 1_000_000


@dataclass(frozen=True)
class Col:
    """A template slot filled from a frame column (cast to text)."""

    name: str


Token = str | Col


def join(sep: str, tokens: list[Token]) -> list[Token]:
    """Tokens separated by `sep` (literal), adjacent literals merged."""
    out: list[Token] = []
    for i, tok in enumerate(tokens):
        if i:
            out.append(sep)
        out.append(tok)
    return merge(out)


def merge(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for tok in tokens:
        if isinstance(tok, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + tok
        elif tok != "":
            out.append(tok)
    return out


def render(tokens: list[Token], frame: pl.DataFrame) -> pl.Series:
    """One line per row of `frame`."""
    exprs = [
        pl.lit(t, dtype=pl.String) if isinstance(t, str) else pl.col(t.name).cast(pl.String)
        for t in tokens
    ]
    return frame.select(pl.concat_str(exprs, ignore_nulls=False).alias("line"))["line"]


def ts_col(name: str, micros: list[int]) -> pl.Series:
    """UTC timestamps from epoch microseconds."""
    return pl.Series(name, micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))


def fmt(expr: pl.Expr, zone: str, pattern: str) -> pl.Expr:
    """Format a UTC datetime expression in a device's local zone."""
    return expr.dt.convert_time_zone(zone).dt.strftime(pattern)


def epoch_us(text: str) -> int:
    """ISO-8601 UTC text ("2026-02-03T08:20:11Z" or with fraction) -> epoch microseconds."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(dt.astimezone(UTC).timestamp()) * US + dt.microsecond


def iso(us: int) -> str:
    """Epoch microseconds -> ISO-8601 UTC with Z (milliseconds kept only when non-zero)."""
    dt = datetime.fromtimestamp(us // US, UTC)
    frac = us % US
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac:06d}Z" if frac else f"{base}Z"


def ints(rng: random.Random, lo: int, hi: int, n: int) -> list[int]:
    """n integers in [lo, hi)."""
    span = hi - lo
    return [lo + int(r * span) for r in (rng.random() for _ in range(n))]


def picks(rng: random.Random, items: list, n: int, weights: list[float] | None = None) -> list:
    return rng.choices(items, weights=weights, k=n)
