"""Canonical IP text from polars expressions agrees with the standard library."""

from __future__ import annotations

import ipaddress

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.paloalto_ip import canonical_columns


def _expected(text: str) -> str | None:
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


_SPELLINGS = st.sampled_from(["compressed", "exploded", "upper", "mapped_dotted"])


@settings(max_examples=60, deadline=None)
@given(addrs=st.lists(st.tuples(st.ip_addresses(), _SPELLINGS), min_size=1, max_size=20))
def test_canonical_text_matches_ipaddress(addrs) -> None:
    texts = []
    for addr, how in addrs:
        if how == "exploded":
            texts.append(addr.exploded)
        elif how == "upper":
            texts.append(addr.compressed.upper())
        elif how == "mapped_dotted" and addr.version == 4:
            texts.append(f"::ffff:{addr}")
        else:
            texts.append(addr.compressed)
    got = canonical_columns(pl.DataFrame({"ip": texts}), ["ip"]).get_column("ip_ip").to_list()
    assert got == [_expected(t) for t in texts]


def test_invalid_addresses_are_null() -> None:
    texts = ["999.1.1.1", "010.1.1.1", "1::2::3", "12345::1", "gggg::1", "1.2.3.4::", "", None]
    got = canonical_columns(pl.DataFrame({"ip": texts}), ["ip"]).get_column("ip_ip").to_list()
    assert got == [None] * len(texts)
