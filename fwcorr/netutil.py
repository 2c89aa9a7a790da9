"""Vectorised IP helpers: canonical IP text -> integer columns, so CIDR tests are integer joins.

Approach: every address lives in one 128-bit space. IPv6 is taken as is; IPv4 is placed at its
IPv4-mapped position ``::ffff:a.b.c.d`` (so ``10.0.0.0/8`` is ``::ffff:10.0.0.0/104``). The 128 bits
are kept as two ``UInt64`` halves (``hi``, ``lo``) and, for sorting and as-of joins, as one
sortable ``Int128`` key ``(hi - 2**63) * 2**64 + lo`` (the unsigned order shifted into the signed
range). A CIDR is the closed key interval [first, last], so containment is an integer range test
and a set of (possibly nested) CIDRs becomes a sorted list of disjoint segments for ``join_asof``.

Parsing is pure polars expressions (split/extract/to_integer), never Python per row. Invalid text
gives null keys. Public API: ``ip_halves``, ``ip_key``, ``is_ipv6_text``, ``cidr_bounds``,
``networks_contain``, ``canonical_ip``, ``MAPPED_V4``.
"""

from __future__ import annotations

import ipaddress

import polars as pl

MAPPED_V4 = 0xFFFF_0000_0000  # lo half of ::ffff:0.0.0.0
_SHIFT = 2**63
_V4 = r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})"


def _v4_int(text: pl.Expr) -> pl.Expr:
    """Dotted quad -> UInt64 (0..2**32-1), null when not a valid IPv4 address."""
    parts = text.str.extract_groups(f"^{_V4}$")
    octets = [parts.struct.field(str(i + 1)).cast(pl.UInt64, strict=False) for i in range(4)]
    ok = pl.all_horizontal([o <= 255 for o in octets])
    value = octets[0] * (1 << 24) + octets[1] * (1 << 16) + octets[2] * (1 << 8) + octets[3]
    return pl.when(ok).then(value)


def _v6_halves(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """IPv6 text (compressed, full, embedded IPv4 tail, %zone) -> (hi, lo) UInt64, null if invalid."""
    t = text.str.to_lowercase().str.replace(r"%.*$", "")
    tail = t.str.extract(r"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$")
    tail_v = pl.when(tail.is_null()).then(pl.lit(0, pl.UInt64)).otherwise(_v4_int(tail))
    body = t.str.replace(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$", "0:0")
    has_gap = body.str.contains("::", literal=True)
    halves = body.str.split("::")
    left = pl.when(has_gap).then(halves.list.get(0, null_on_oob=True)).otherwise(body)
    right = pl.when(has_gap).then(halves.list.get(1, null_on_oob=True)).otherwise(pl.lit(""))
    n_left = pl.when(left == "").then(0).otherwise(left.str.count_matches(":").cast(pl.Int64) + 1)
    n_right = (
        pl.when(right == "").then(0).otherwise(right.str.count_matches(":").cast(pl.Int64) + 1)
    )
    missing = (8 - n_left - n_right).clip(0, 8)
    middle = pl.lit("0").repeat_by(missing).list.join(":")
    full = pl.concat_str(
        [
            pl.when(left != "").then(left),
            pl.when(has_gap & (missing > 0)).then(middle),
            pl.when(right != "").then(right),
        ],
        separator=":",
        ignore_nulls=True,
    )
    groups = full.str.split(":")
    valid = (
        t.str.contains(r"^[0-9a-f:.]+$")
        & ~t.str.contains(":::", literal=True)
        & (t.str.count_matches("::") <= 1)
        & tail_v.is_not_null()
        & (groups.list.len() == 8)
        & (~has_gap | (missing > 0))
        & full.str.contains(r"^([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$")
    )
    g = [
        groups.list.get(i, null_on_oob=True).str.to_integer(base=16, strict=False) for i in range(8)
    ]
    g = [x.cast(pl.UInt64) for x in g]
    hi = g[0] * (1 << 48) + g[1] * (1 << 32) + g[2] * (1 << 16) + g[3]
    lo = g[4] * (1 << 48) + g[5] * (1 << 32) + g[6] * (1 << 16) + g[7] + tail_v
    return pl.when(valid).then(hi), pl.when(valid).then(lo)


def is_ipv6_text(text: pl.Expr) -> pl.Expr:
    """True where the text is written as IPv6 (contains a colon)."""
    return text.str.contains(":", literal=True)


def ip_halves(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(hi, lo) UInt64 halves of the 128-bit address; IPv4 at its ::ffff:0:0/96 position."""
    v4 = _v4_int(text)
    hi6, lo6 = _v6_halves(text)
    six = is_ipv6_text(text)
    hi = pl.when(six).then(hi6).otherwise(pl.when(v4.is_not_null()).then(pl.lit(0, pl.UInt64)))
    lo = pl.when(six).then(lo6).otherwise(v4 + MAPPED_V4)
    return hi.cast(pl.UInt64), lo.cast(pl.UInt64)


def key_from_halves(hi: pl.Expr, lo: pl.Expr) -> pl.Expr:
    """Sortable Int128 key preserving unsigned 128-bit order."""
    return (hi.cast(pl.Int128) - _SHIFT) * (1 << 64) + lo.cast(pl.Int128)


def ip_key(text: pl.Expr) -> pl.Expr:
    """Sortable Int128 key of an IP text column (null when not an IP)."""
    hi, lo = ip_halves(text)
    return key_from_halves(hi, lo)


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
