"""Canonical IP text for PAN-OS columns: dotted quads checked by one regex over the column, the
few distinct other values (IPv6, padded or invalid text) by netutil.canonical_ip; invalid text
becomes null."""

from __future__ import annotations

import polars as pl

from fwcorr.netutil import canonical_ip

_OCT = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
V4 = rf"^{_OCT}(?:\.{_OCT}){{3}}$"


def non_ipv4(columns: list[str]) -> pl.Expr:
    """Aggregate: the distinct non-empty values of `columns` that are not canonical IPv4."""
    return (
        pl.concat([pl.col(c).filter(~pl.col(c).str.contains(V4)) for c in columns])
        .drop_nulls()
        .unique()
        .implode()
    )


def other_forms(values: list[str]) -> dict[str, str | None]:
    """Canonical text (None when invalid) for the few distinct values that are not dotted
    quads, one `netutil.canonical_ip` call each (IPv6 compressed, mapped IPv4 as IPv4)."""
    return {value: canonical_ip(value) for value in values}


def canonical(column: str, others: dict[str, str | None]) -> pl.Expr:
    """Expression: canonical IP text of `column`, given other_forms() of every value in it that
    is not a dotted quad (non_ipv4); the dotted quads pass through without another check."""
    col = pl.col(column)
    if not others:
        return col
    fixed = col.replace_strict(others, default=None, return_dtype=pl.String)
    return pl.when(col.is_in(list(others))).then(fixed).otherwise(col)


def canonical_columns(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Add `<col>_ip`: the canonical form of each IP text column (null when invalid or empty)."""
    present = [c for c in columns if c in frame.columns]
    if not present:
        return frame
    others = other_forms(frame.select(non_ipv4(present)).item().to_list())
    return frame.with_columns(canonical(c, others).alias(f"{c}_ip") for c in present)
