"""Vectorised IP helpers: canonical IP text -> integer columns, so CIDR tests are integer joins.

Approach: every address lives in one 128-bit space. IPv6 is taken as is; IPv4 is placed at its
IPv4-mapped position ``::ffff:a.b.c.d`` (so ``10.0.0.0/8`` is ``::ffff:10.0.0.0/104``). The 128 bits
are kept as two ``UInt64`` halves (``hi``, ``lo``) and, for sorting and as-of joins, as one
sortable ``Int128`` key ``(hi - 2**63) * 2**64 + lo`` (the unsigned order shifted into the signed
range). A CIDR is the closed key interval [first, last], so containment is an integer range test
and a set of (possibly nested) CIDRs becomes a sorted list of disjoint segments for ``join_asof``.

Parsing is pure polars expressions (split/extract/to_integer), never Python per row. Invalid text
gives null keys. Public API: ``halves_frame``, ``key_series``, ``ip_key``, ``is_ipv6_text``, ``cidr_bounds``,
``networks_contain``, ``canonical_ip``, ``MAPPED_V4``.
"""

from __future__ import annotations

import ipaddress

import polars as pl

MAPPED_V4 = 0xFFFF_0000_0000  # lo half of ::ffff:0.0.0.0
_SHIFT = 2**63
_V4 = r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})"


def _v4_int(text: pl.Expr) -> pl.Expr:
    """Dotted quad -> UInt64 (0..2**32-1), null when not a valid IPv4 address."""
    parts = text.str.splitn(".", 4)
    octets = [
        parts.struct.field(f"field_{i}").cast(pl.UInt8, strict=False).cast(pl.UInt64)
        for i in range(4)
    ]
    value = octets[0] * (1 << 24) + octets[1] * (1 << 16) + octets[2] * (1 << 8) + octets[3]
    return pl.when(text.str.contains(f"^{_V4}$")).then(value)


_ZEROS = {i: ":".join(["0"] * i) for i in range(9)}
_DOTTED_TAIL = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$"


def _v6_stages(col: str) -> list[list[pl.Expr]]:
    """Staged expressions (each stage reads the previous stage's columns) for IPv6 text in `col`.

    Stages keep the expression tree linear: every intermediate is computed once.
    """
    t, body, gap = pl.col("_t"), pl.col("_body"), pl.col("_gap")
    left, right, missing = pl.col("_left"), pl.col("_right"), pl.col("_missing")
    tail = t.str.extract(f"({_DOTTED_TAIL})")

    def count(part: pl.Expr) -> pl.Expr:
        return pl.when(part == "").then(0).otherwise(part.str.count_matches(":").cast(pl.Int64) + 1)

    groups = pl.col("_full").str.split(":")
    return [
        [
            pl.when(pl.col(col).str.contains(":", literal=True))
            .then(pl.col(col).str.to_lowercase().str.replace(r"%.*$", ""))
            .alias("_t")
        ],
        [
            pl.when(tail.is_null())
            .then(pl.lit(0, pl.UInt64))
            .otherwise(_v4_int(tail))
            .alias("_tail"),
            t.str.replace(_DOTTED_TAIL, "0:0").alias("_body"),
            (
                t.str.contains(r"^[0-9a-f:.]+$")
                & ~t.str.contains(":::", literal=True)
                & (t.str.count_matches("::") <= 1)
            ).alias("_chars_ok"),
        ],
        [
            body.str.contains("::", literal=True).alias("_gap"),
            body.str.split("::").alias("_halves"),
        ],
        [
            pl.when(gap)
            .then(pl.col("_halves").list.get(0, null_on_oob=True))
            .otherwise(body)
            .alias("_left"),
            pl.when(gap)
            .then(pl.col("_halves").list.get(1, null_on_oob=True))
            .otherwise(pl.lit(""))
            .alias("_right"),
        ],
        [(8 - count(left) - count(right)).clip(0, 8).alias("_missing")],
        [
            pl.concat_str(
                [
                    pl.when(left != "").then(left),
                    pl.when(gap & (missing > 0)).then(
                        missing.replace_strict(_ZEROS, return_dtype=pl.String)
                    ),
                    pl.when(right != "").then(right),
                ],
                separator=":",
                ignore_nulls=True,
            ).alias("_full"),
        ],
        [
            (
                pl.col("_chars_ok")
                & pl.col("_tail").is_not_null()
                & (~gap | (missing > 0))
                & pl.col("_full").str.contains(r"^([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$")
            ).alias("_ok"),
            *[
                groups.list.get(i, null_on_oob=True)
                .str.to_integer(base=16, strict=False)
                .cast(pl.UInt64)
                .alias(f"_g{i}")
                for i in range(8)
            ],
        ],
        [
            pl.when(pl.col("_ok"))
            .then(sum(pl.col(f"_g{i}") * (1 << (16 * (3 - i))) for i in range(4)))
            .alias("_hi6"),
            pl.when(pl.col("_ok"))
            .then(
                sum(pl.col(f"_g{i}") * (1 << (16 * (7 - i))) for i in range(4, 8)) + pl.col("_tail")
            )
            .alias("_lo6"),
        ],
    ]


def is_ipv6_text(text: pl.Expr) -> pl.Expr:
    """True where the text is written as IPv6 (contains a colon)."""
    return text.str.contains(":", literal=True)


def halves_frame(frame: pl.DataFrame | pl.LazyFrame, col: str) -> pl.LazyFrame:
    """Add UInt64 ``_hi``/``_lo`` (IPv4 at ::ffff:0:0/96) and Int128 ``_key`` for IP text `col`.

    IPv4 and IPv6 rows are parsed separately (row order is not kept).
    """
    lf = frame.lazy()
    names = lf.collect_schema().names()
    six = is_ipv6_text(pl.col(col)).fill_null(False)
    v4 = lf.filter(~six).with_columns(
        pl.lit(0, pl.UInt64).alias("_hi"), (_v4_int(pl.col(col)) + MAPPED_V4).alias("_lo")
    )
    v4 = v4.with_columns(pl.when(pl.col("_lo").is_not_null()).then(pl.col("_hi")).alias("_hi"))
    v6 = lf.filter(six)
    for stage in _v6_stages(col):
        v6 = v6.with_columns(stage)
    v6 = v6.with_columns(pl.col("_hi6").alias("_hi"), pl.col("_lo6").alias("_lo"))
    out = pl.concat([v4.select(*names, "_hi", "_lo"), v6.select(*names, "_hi", "_lo")])
    return out.with_columns(key_from_halves(pl.col("_hi"), pl.col("_lo")).alias("_key"))


def key_series(values: pl.Series) -> pl.Series:
    """Int128 keys for a Series of IP text, computed once per distinct value (vectorised)."""
    distinct = values.unique().drop_nulls().to_frame("ip")
    keys = halves_frame(distinct, "ip").select("ip", "_key").collect()
    joined = values.to_frame("ip").join(keys, on="ip", how="left", maintain_order="left")
    return joined.get_column("_key").alias(values.name)


def key_from_halves(hi: pl.Expr, lo: pl.Expr) -> pl.Expr:
    """Sortable Int128 key preserving unsigned 128-bit order."""
    return (hi.cast(pl.Int128) - _SHIFT) * (1 << 64) + lo.cast(pl.Int128)


def ip_key(text: pl.Expr) -> pl.Expr:
    """Sortable Int128 key of an IP text column (null when not an IP); one parse per distinct IP."""
    return text.map_batches(key_series, return_dtype=pl.Int128, is_elementwise=True)


def int_key(value: int) -> int:
    """The Int128 key of an unsigned 128-bit integer (Python side, for small lists)."""
    return value - (1 << 127)


def _addr128(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int:
    if addr.version == 4:
        return MAPPED_V4 + int(addr)
    return int(addr)


def cidr_bounds(cidr: str) -> tuple[int, int] | None:
    """Inclusive [first, last] Int128 keys of a CIDR (host bits ignored); None if invalid."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    first = _addr128(net.network_address)
    return int_key(first), int_key(first + net.num_addresses - 1)


_MAPPED_FIRST = int_key(MAPPED_V4)
_MAPPED_LAST = int_key(MAPPED_V4 + 0xFFFF_FFFF)


def cidr_intervals(cidr: str) -> list[tuple[int, int]]:
    """Key intervals of a CIDR. An IPv6 network that spans the IPv4-mapped block (``::/0``,
    ``::/64``...) excludes it: IPv4 addresses are written as IPv4 and are not in IPv6 networks."""
    bounds = cidr_bounds(cidr)
    if bounds is None:
        return []
    first, last = bounds
    if ":" not in cidr or not (first <= _MAPPED_FIRST and last >= _MAPPED_LAST):
        return [bounds]
    if (first, last) == (_MAPPED_FIRST, _MAPPED_LAST):
        return [bounds]  # ::ffff:0:0/96 written as IPv6 means all of IPv4
    parts = [(first, _MAPPED_FIRST - 1), (_MAPPED_LAST + 1, last)]
    return [(a, b) for a, b in parts if a <= b]


def networks_contain(text: pl.Expr, networks: list[str]) -> pl.Expr:
    """Boolean expression: the IP text lies in any of `networks` (a short list, e.g. internal)."""
    key = ip_key(text)
    tests = [key.is_between(a, b) for n in networks for a, b in cidr_intervals(n)]
    if not tests:
        return pl.lit(False)
    return pl.any_horizontal(tests).fill_null(False)


def canonical_ip(value: str | None) -> str | None:
    """Canonical text of one address (IPv6 compressed lower-case, mapped IPv4 as IPv4)."""
    if value is None:
        return None
    try:
        addr = ipaddress.ip_address(value.strip().split("%", 1)[0])
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


ANY_ADDRESSES = frozenset({"", "*", "0.0.0.0", "::", "any", "0:0:0:0:0:0:0:0"})
