"""Property: the vectorised sweep equals a naive per-row, per-indicator Python reference."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fwcorr.assets import build_assets
from fwcorr.config import config_from_dict
from fwcorr.schema import CONNECTION, IOC, conform
from fwcorr.sweep import sweep

POOL = [
    "10.0.0.1", "10.0.0.2", "10.0.1.1", "10.200.3.4", "192.168.1.1", "198.51.100.7",
    "203.0.113.9", "0.0.0.0", "255.255.255.255", "2001:db8::1", "2001:db8::2",
    "2001:db8:1::1", "fd00::1", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
]  # fmt: skip
PORTS = [22, 443, 3389, 9999]
HOSTS = {"WS01": ["10.0.0.1", "2001:db8::1"], "SRV02": ["10.0.1.1"]}
ASSETS = build_assets(config_from_dict({"hosts": {h: {"ips": ips} for h, ips in HOSTS.items()}}))

maybe_ip = st.one_of(st.none(), st.sampled_from(POOL))
connection = st.fixed_dictionaries(
    {
        "src_ip": st.sampled_from(POOL),
        "dst_ip": st.sampled_from(POOL),
        "dst_port": st.sampled_from(PORTS),
        "nat_src_ip": maybe_ip,
        "nat_dst_ip": maybe_ip,
        "nat_dst_port": st.one_of(st.none(), st.sampled_from(PORTS)),
    }
)


@st.composite
def indicator(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["ip", "cidr", "ip_port", "port_on_host"]))
    ip = draw(st.sampled_from(POOL))
    port = draw(st.sampled_from(PORTS))
    if kind == "ip":
        return {"kind": kind, "value": ip, "ip": ip}
    if kind == "cidr":
        width = 32 if ":" not in ip else 128
        plen = draw(st.integers(0, width))
        net = ipaddress.ip_network(f"{ip}/{plen}", strict=False)
        return {"kind": kind, "value": str(net), "cidr": str(net)}
    if kind == "ip_port":
        return {"kind": kind, "value": f"{ip}:{port}", "ip": ip, "port": port}
    host = draw(st.sampled_from(sorted(HOSTS)))
    return {"kind": kind, "value": f"{host}:{port}", "host": host, "port": port}


def reference(conns: list[dict[str, Any]], iocs: list[dict[str, Any]]) -> set[tuple]:
    """Naive matcher: every row x every indicator, with Python's ipaddress module."""
    out = set()
    for row_no, c in enumerate(conns):
        for i in iocs:
            if i["kind"] in ("ip", "cidr"):
                for col in ("src_ip", "dst_ip", "nat_src_ip", "nat_dst_ip"):
                    if c[col] is None:
                        continue
                    addr = ipaddress.ip_address(c[col])
                    if i["kind"] == "ip":
                        hit = addr == ipaddress.ip_address(i["ip"])
                    else:
                        net = ipaddress.ip_network(i["cidr"])
                        hit = addr.version == net.version and addr in net
                    if hit:
                        out.add((row_no, i["id"], col))
            else:
                ips = [i["ip"]] if i["kind"] == "ip_port" else HOSTS[i["host"]]
                for ip_col, port_col in (("dst_ip", "dst_port"), ("nat_dst_ip", "nat_dst_port")):
                    if c[ip_col] in ips and c[port_col] == i["port"]:
                        out.add((row_no, i["id"], f"{ip_col}:{port_col}"))
    return out


@settings(max_examples=80, deadline=None)
@given(conns=st.lists(connection, max_size=12), iocs=st.lists(indicator(), max_size=10))
def test_sweep_equals_naive_reference(conns: list[dict], iocs: list[dict]) -> None:
    for n, ioc in enumerate(iocs):
        ioc["id"] = f"i{n}"
    ts = datetime(2024, 5, 1, tzinfo=UTC)
    frame = conform(
        pl.DataFrame([c | {"ts": ts} for c in conns], schema_overrides={"ts": pl.Datetime("us", "UTC")})
        if conns else pl.DataFrame(),
        CONNECTION,
    ).collect()  # fmt: skip
    ioc_frame = conform(pl.DataFrame(iocs) if iocs else pl.DataFrame(), IOC).collect()
    hits = sweep(frame, ioc_frame, ASSETS).collect(engine="streaming")
    got = set(hits.select("conn_row", "ioc_id", "matched_column").iter_rows())
    assert got == reference(conns, iocs)
    assert hits.height == len(got)  # no duplicate rows
