"""Canonical IP text as polars expressions: IPv4 dotted quad, IPv6 compressed lower-case
(RFC 5952), IPv4-mapped IPv6 written as IPv4; invalid text becomes null."""

from __future__ import annotations

import polars as pl

_OCT = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
V4 = rf"^{_OCT}(?:\.{_OCT}){{3}}$"
_V4_TAIL = rf"{_OCT}(?:\.{_OCT}){{3}}$"
_HEX = "0123456789abcdef"


def ipv4(text: pl.Expr) -> pl.Expr:
    """The text when it is a canonical dotted quad, else null."""
    return pl.when(text.str.contains(V4)).then(text)


def _hex(value: pl.Expr) -> pl.Expr:
    """0..65535 -> lower-case hex without leading zeros."""
    nibbles = [(value // (16**k)) % 16 for k in (3, 2, 1, 0)]
    digits = pl.concat_str([pl.lit(_HEX).str.slice(n, 1) for n in nibbles])
    return pl.when(value == 0).then(pl.lit("0")).otherwise(digits.str.strip_chars_start("0"))


def _groups(text: pl.Expr) -> tuple[list[pl.Expr], pl.Expr]:
    """IPv6 text -> eight UInt32 group values and a validity flag."""
    t = text.str.to_lowercase().str.replace(r"%.*$", "")
    tail = t.str.extract(f"({_V4_TAIL})", 1)
    octs = tail.str.split(".")
    body = pl.when(tail.is_not_null()).then(t.str.replace(_V4_TAIL, "0:0")).otherwise(t)
    gap = body.str.contains("::", literal=True)
    halves = body.str.split("::")
    left = pl.when(gap).then(halves.list.get(0, null_on_oob=True)).otherwise(body)
    right = pl.when(gap).then(halves.list.get(1, null_on_oob=True)).otherwise(pl.lit(""))
    n_left = pl.when(left == "").then(0).otherwise(left.str.count_matches(":") + 1)
    n_right = pl.when(right == "").then(0).otherwise(right.str.count_matches(":") + 1)
    missing = 8 - n_left - n_right
    middle = pl.lit("0").repeat_by(missing.clip(lower_bound=0)).list.join(":")
    full = pl.concat_str(
        [
            pl.when(left != "").then(left),
            pl.when(gap & (missing > 0)).then(middle),
            pl.when(right != "").then(right),
        ],
        separator=":",
        ignore_nulls=True,
    )
    parts = full.str.split(":")
    valid = (
        t.str.contains(r"^[0-9a-f:.]+$")
        & (t.str.count_matches("::", literal=True) <= 1)
        & ~t.str.contains(":::", literal=True)
        & full.str.contains(r"^(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$")
        & (~gap | (missing > 0))
        & (tail.is_not_null() | ~t.str.contains(".", literal=True))
    )
    groups = [
        parts.list.get(i, null_on_oob=True).str.to_integer(base=16, strict=False).cast(pl.UInt32)
        for i in range(8)
    ]
    o = [octs.list.get(i, null_on_oob=True).cast(pl.UInt32, strict=False) for i in range(4)]
    groups[6] = pl.when(tail.is_not_null()).then(o[0] * 256 + o[1]).otherwise(groups[6])
    groups[7] = pl.when(tail.is_not_null()).then(o[2] * 256 + o[3]).otherwise(groups[7])
    return groups, valid.fill_null(False)


def ipv6(text: pl.Expr) -> pl.Expr:
    """IPv6 text -> RFC 5952 text (mapped IPv4 as dotted quad); null when invalid."""
    g, valid = _groups(text)
    mapped = pl.all_horizontal([x == 0 for x in g[:5]]) & (g[5] == 0xFFFF)
    dotted = pl.concat_str(
        [(g[i] // 256 if hi else g[i] % 256).cast(pl.String) for i in (6, 7) for hi in (1, 0)],
        separator=".",
    )
    # Longest run (>= 2) of zero groups, first on ties: (start, length).
    start: pl.Expr = pl.lit(None, pl.Int32)
    length: pl.Expr = pl.lit(None, pl.Int32)
    runs = [(n, s) for n in range(8, 1, -1) for s in range(0, 9 - n)]
    cond_start = pl.when(pl.lit(False)).then(pl.lit(None, pl.Int32))
    cond_len = pl.when(pl.lit(False)).then(pl.lit(None, pl.Int32))
    for n, s in runs:
        hit = pl.all_horizontal([g[i] == 0 for i in range(s, s + n)])
        cond_start = cond_start.when(hit).then(pl.lit(s, pl.Int32))
        cond_len = cond_len.when(hit).then(pl.lit(n, pl.Int32))
    start, length = cond_start.otherwise(None), cond_len.otherwise(None)
    hexes = pl.concat_list([_hex(x) for x in g])
    plain = hexes.list.join(":")
    head = hexes.list.slice(0, start).list.join(":")
    rest = hexes.list.slice(start + length, 8).list.join(":")
    compressed = pl.concat_str([head, pl.lit("::"), rest])
    text6 = pl.when(start.is_null()).then(plain).otherwise(compressed)
    return pl.when(~valid).then(None).when(mapped).then(dotted).otherwise(text6)


def canonical_columns(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Add `<col>_ip`: the canonical form of each IP text column (null when invalid or empty).

    IPv4 is checked in place; the few distinct other values (IPv6, or invalid) are canonicalised
    once and looked up.
    """
    present = [c for c in columns if c in frame.columns]
    if not present:
        return frame
    out = frame.with_columns(ipv4(pl.col(c)).alias(f"{c}_ip") for c in present)
    rest = out.select(
        pl.concat(
            [
                pl.col(c).filter(pl.col(f"{c}_ip").is_null() & pl.col(c).is_not_null())
                for c in present
            ]
        )
        .unique()
        .alias("raw")
    )
    if rest.height == 0:
        return out
    table = rest.with_columns(ipv6(pl.col("raw")).alias("canon")).drop_nulls("canon")
    mapping = dict(zip(table.get_column("raw"), table.get_column("canon"), strict=True))
    if not mapping:
        return out
    return out.with_columns(
        pl.coalesce(
            pl.col(f"{c}_ip"),
            pl.col(c).replace_strict(mapping, default=None, return_dtype=pl.String),
        ).alias(f"{c}_ip")
        for c in present
    )
