"""fwcorr.netutil keys (used by the sweep's interval join) against Python's ipaddress module."""

from __future__ import annotations

import ipaddress

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fwcorr.netutil import MAPPED_V4, cidr_intervals, ip_key


def reference(text: str) -> int | None:
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    value = MAPPED_V4 + int(addr) if addr.version == 4 else int(addr)
    return value - (1 << 127)


def forms(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[str]:
    if addr.version == 4:
        return [str(addr)]
    return [str(addr), addr.exploded, str(addr).upper(), f"{addr}%eth0"]


v4 = st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address)
v6 = st.one_of(
    st.integers(0, 2**128 - 1),
    st.integers(0, 2**16 - 1).map(lambda x: x << 112),  # long zero runs
    st.integers(0, 2**32 - 1).map(lambda x: MAPPED_V4 + x),  # ::ffff:a.b.c.d
).map(ipaddress.IPv6Address)


@settings(max_examples=60, deadline=None)
@given(addrs=st.lists(st.one_of(v4, v6), min_size=1, max_size=20))
def test_keys_match_ipaddress(addrs: list) -> None:
    texts = [t for a in addrs for t in forms(a)]
    got = pl.DataFrame({"ip": texts}).select(ip_key(pl.col("ip"))).to_series().to_list()
    assert got == [reference(t) for t in texts]


def test_invalid_text_has_no_key() -> None:
    bad = ["", "1.2.3", "1.2.3.256", "1.2.3.4.5", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::",
           "g::1", ":::", "1.2.3.4/24", " 1.2.3.4", None]  # fmt: skip
    got = pl.DataFrame({"ip": bad}, schema={"ip": pl.String}).select(ip_key(pl.col("ip")))
    assert got.to_series().to_list() == [None] * len(bad)


def test_ipv6_network_spanning_the_mapped_block_excludes_ipv4() -> None:
    first = MAPPED_V4 - (1 << 127)
    last = MAPPED_V4 + 0xFFFF_FFFF - (1 << 127)
    assert cidr_intervals("::/0") == [(-(1 << 127), first - 1), (last + 1, (1 << 127) - 1)]
    assert cidr_intervals("::ffff:0:0/96") == [(first, last)]
    assert cidr_intervals("10.0.0.0/8") == [(first + (10 << 24), first + (11 << 24) - 1)]
    assert cidr_intervals("not/a/net") == []
