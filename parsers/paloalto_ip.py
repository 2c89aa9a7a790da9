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


def ipv6(values: pl.Series) -> pl.Series:
    """IPv6 texts -> RFC 5952 text (mapped IPv4 as dotted quad); null when invalid.

    Built in stages over named columns so each expression stays small (one nested expression
    for all of this takes polars seconds to plan).
    """
    c = pl.col
    f = pl.DataFrame({"raw": values}).with_columns(
        t=c("raw").str.strip_chars().str.to_lowercase().str.replace(r"%.*$", "")
    )
    f = f.with_columns(tail=c("t").str.extract(f"({_V4_TAIL})", 1))
    f = f.with_columns(
        body=pl.when(c("tail").is_not_null())
        .then(c("t").str.replace(_V4_TAIL, "0:0"))
        .otherwise(c("t")),
        octs=c("tail").str.split("."),
    )
    f = f.with_columns(
        gap=c("body").str.contains("::", literal=True), halves=c("body").str.split("::")
    )
    f = f.with_columns(
        left=pl.when(c("gap")).then(c("halves").list.get(0, null_on_oob=True)).otherwise(c("body")),
        right=pl.when(c("gap"))
        .then(c("halves").list.get(1, null_on_oob=True))
        .otherwise(pl.lit("")),
    )
    f = f.with_columns(
        n_left=pl.when(c("left") == "").then(0).otherwise(c("left").str.count_matches(":") + 1),
        n_right=pl.when(c("right") == "").then(0).otherwise(c("right").str.count_matches(":") + 1),
    ).with_columns(missing=8 - c("n_left") - c("n_right"))
    f = f.with_columns(
        full=pl.concat_str(
            [
                pl.when(c("left") != "").then(c("left")),
                pl.when(c("gap") & (c("missing") > 0)).then(
                    pl.lit("0").repeat_by(c("missing").clip(lower_bound=0)).list.join(":")
                ),
                pl.when(c("right") != "").then(c("right")),
            ],
            separator=":",
            ignore_nulls=True,
        )
    )
    f = f.with_columns(
        parts=c("full").str.split(":"),
        valid=(
            c("t").str.contains(r"^[0-9a-f:.]+$")
            & (c("t").str.count_matches("::", literal=True) <= 1)
            & ~c("t").str.contains(":::", literal=True)
            & c("full").str.contains(r"^(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$")
            & (~c("gap") | (c("missing") > 0))
            & (c("tail").is_not_null() | ~c("t").str.contains(".", literal=True))
        ).fill_null(False),
    )
    f = f.with_columns(
        *[
            c("parts")
            .list.get(i, null_on_oob=True)
            .str.to_integer(base=16, strict=False)
            .cast(pl.UInt32)
            .alias(f"g{i}")
            for i in range(8)
        ],
        *[
            c("octs").list.get(i, null_on_oob=True).cast(pl.UInt32, strict=False).alias(f"o{i}")
            for i in range(4)
        ],
    )
    f = f.with_columns(
        g6=pl.when(c("tail").is_not_null()).then(c("o0") * 256 + c("o1")).otherwise(c("g6")),
        g7=pl.when(c("tail").is_not_null()).then(c("o2") * 256 + c("o3")).otherwise(c("g7")),
    )
    g = [c(f"g{i}") for i in range(8)]
    start = pl.when(pl.lit(False)).then(pl.lit(None, pl.Int32))
    length = pl.when(pl.lit(False)).then(pl.lit(None, pl.Int32))
    for n in range(8, 1, -1):  # longest run of zero groups (>= 2), first on ties
        for s0 in range(0, 9 - n):
            hit = pl.all_horizontal([g[i] == 0 for i in range(s0, s0 + n)])
            start = start.when(hit).then(pl.lit(s0, pl.Int32))
            length = length.when(hit).then(pl.lit(n, pl.Int32))
    f = f.with_columns(
        start=start.otherwise(None),
        length=length.otherwise(None),
        mapped=pl.all_horizontal([x == 0 for x in g[:5]]) & (g[5] == 0xFFFF),
        hexes=pl.concat_list([_hex(x) for x in g]),
        dotted=pl.concat_str(
            [(g[i] // 256 if hi else g[i] % 256).cast(pl.String) for i in (6, 7) for hi in (1, 0)],
            separator=".",
        ),
    )
    f = f.with_columns(
        text6=pl.when(c("start").is_null())
        .then(c("hexes").list.join(":"))
        .otherwise(
            pl.concat_str(
                [
                    c("hexes").list.slice(0, c("start")).list.join(":"),
                    pl.lit("::"),
                    c("hexes").list.slice(c("start") + c("length"), 8).list.join(":"),
                ]
            )
        )
    )
    out = f.select(
        pl.when(~c("valid")).then(None).when(c("mapped")).then(c("dotted")).otherwise(c("text6"))
    )
    return out.to_series().alias("canon")


def non_ipv4(columns: list[str]) -> pl.Expr:
    """Aggregate: the distinct non-empty values of `columns` that are not canonical IPv4."""
    return (
        pl.concat([pl.col(c).filter(~pl.col(c).str.contains(V4)) for c in columns])
        .drop_nulls()
        .unique()
        .implode()
    )


def other_forms(values: list[str]) -> dict[str, str | None]:
    """Canonical text (None when invalid) for the few values that are not dotted quads."""
    if not values:
        return {}
    table = pl.DataFrame({"raw": values}, schema={"raw": pl.String})
    table = table.with_columns(ipv6(table.get_column("raw")))
    return dict(zip(table.get_column("raw"), table.get_column("canon"), strict=True))


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
