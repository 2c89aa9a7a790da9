"""IOC sweep: match every connection against every indicator, as one lazy polars plan.

Public API:
- ``sweep(connections, iocs, assets) -> pl.LazyFrame`` of hits: the connection columns plus
  ``conn_row`` (0-based position of the connection in the input), ``ioc_id``, ``ioc_kind`` and
  ``matched_column`` (src_ip, dst_ip, nat_src_ip, nat_dst_ip, dst_ip:dst_port or
  nat_dst_ip:nat_dst_port). One row per (connection, indicator, matched column).
- ``summarize(hits) -> list[dict]``: the CONTRACT ``hits_summary`` rows, sorted by ioc_id.
- ``ioc_warnings(iocs, assets) -> list[str]``: indicators that cannot match (bad text, unknown host).
- ``iocs_from_portproxies(table) -> pl.DataFrame``: IOC rows for harvested proxies.

How: IP and CIDR indicators are resolved once per *distinct* IP of the data: they become key
intervals (an IP is a one-address interval, so any text form of it matches; CIDRs may nest and
overlap), flattened into disjoint key segments each carrying every covering indicator, and the
distinct IPs' Int128 keys (fwcorr.netutil) are as-of joined to the segments — a sorted
interval join, O(n log m). The
resulting IP -> indicators table (collected: it is small) and the IP:port table are then
left-joined to each probe column of a narrow projection in one streaming pass; only the
matching rows are joined back to the full connection columns.
No Python per row and no loop per indicator over the data.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from fwcorr.assets import Assets
from fwcorr.netutil import canonical_ip, cidr_intervals, ip_key
from fwcorr.schema import IOC
from fwcorr.timez import iso_z as iso

IP_COLUMNS = ("src_ip", "dst_ip", "nat_src_ip", "nat_dst_ip")
PORT_COLUMNS = (("dst_ip", "dst_port"), ("nat_dst_ip", "nat_dst_port"))
_IP_MATCH = pl.Schema({"_ip": pl.String, "ioc_id": pl.String})
_PORT_MATCH = pl.Schema(
    {"_ip": pl.String, "_port": pl.Int32, "ioc_id": pl.String, "ioc_kind": pl.String}
)
_SEGMENTS = pl.Schema({"_start": pl.Int128, "_end": pl.Int128, "_ids": pl.List(pl.String)})
_IP_PORT_TEXT = re.compile(r"^\[?(?P<ip>[0-9A-Fa-f:.]+?)\]?:(?P<port>\d{1,5})$")


def _ioc_rows(iocs: pl.DataFrame) -> list[dict[str, Any]]:
    frame = iocs.select([c for c in IOC.names() if c in iocs.columns])
    return frame.unique("id", keep="first", maintain_order=True).to_dicts()


def _ip_of(row: dict[str, Any]) -> str | None:
    if row.get("ip"):
        return canonical_ip(row["ip"])
    if row["kind"] == "ip":
        return canonical_ip(row.get("value"))
    match = _IP_PORT_TEXT.match(str(row.get("value") or "").strip())
    return canonical_ip(match.group("ip")) if match else None


def _port_of(row: dict[str, Any]) -> int | None:
    if row.get("port") is not None:
        return int(row["port"])
    match = re.search(r":(\d{1,5})$", str(row.get("value") or ""))
    return int(match.group(1)) if match else None


def _host_of(row: dict[str, Any]) -> str | None:
    if row.get("host"):
        return str(row["host"])
    value = str(row.get("value") or "")
    return value.rsplit(":", 1)[0] if ":" in value else None


def _tables(
    iocs: pl.DataFrame, assets: Assets
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[str]]:
    """Split the (small) indicator list into address-interval segments (IPs as one-address
    intervals, so any text form of the same address matches) and IP:port tables."""
    kinds, ports, cidrs, problems = [], [], [], []
    for row in _ioc_rows(iocs):
        kind, ioc_id = str(row.get("kind") or "").lower(), row["id"]
        if kind == "ip":
            ip = _ip_of(row)
            if ip is None:
                problems.append(f"IOC {ioc_id}: not an IP address: {row.get('value')!r}")
                continue
            single = cidr_intervals(f"{ip}/{128 if ':' in ip else 32}")
            cidrs.extend((first, last, ioc_id) for first, last in single)
            kinds.append({"ioc_id": ioc_id, "ioc_kind": kind})
        elif kind == "cidr":
            intervals = cidr_intervals(str(row.get("cidr") or row.get("value") or ""))
            if not intervals:
                problems.append(f"IOC {ioc_id}: not a CIDR: {row.get('value')!r}")
                continue
            cidrs.extend((first, last, ioc_id) for first, last in intervals)
            kinds.append({"ioc_id": ioc_id, "ioc_kind": kind})
        elif kind == "ip_port":
            ip, port = _ip_of(row), _port_of(row)
            if ip is None or port is None:
                problems.append(f"IOC {ioc_id}: not IP:port: {row.get('value')!r}")
                continue
            ports.append({"_ip": ip, "_port": port, "ioc_id": ioc_id, "ioc_kind": kind})
        elif kind == "port_on_host":
            host, port = _host_of(row), _port_of(row)
            ips = assets.host_ips(host)
            if port is None or not ips:
                problems.append(f"IOC {ioc_id}: no known IPs for host {host!r}; not swept")
                continue
            ports.extend(
                {"_ip": ip, "_port": port, "ioc_id": ioc_id, "ioc_kind": kind} for ip in ips
            )
        else:
            problems.append(f"IOC {ioc_id}: unknown kind {kind!r}")
    kinds_df = pl.DataFrame(kinds, schema={"ioc_id": pl.String, "ioc_kind": pl.String})
    ports_df = pl.DataFrame(ports, schema=_PORT_MATCH).unique(maintain_order=True)
    return kinds_df, cidr_segments(cidrs), ports_df, problems


def cidr_segments(cidrs: list[tuple[int, int, str]]) -> pl.DataFrame:
    """Flatten (first, last, id) key intervals into disjoint segments listing every cover.

    A sweep line over the interval end points of the (small) indicator list; nested and
    overlapping CIDRs each appear in the segments they cover.
    """
    events: dict[int, tuple[list[str], list[str]]] = {}
    for first, last, ioc_id in cidrs:
        events.setdefault(first, ([], []))[0].append(ioc_id)
        events.setdefault(last + 1, ([], []))[1].append(ioc_id)
    active: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    points = sorted(events)
    for i, point in enumerate(points):
        starts, ends = events[point]
        for ioc_id in ends:
            active[ioc_id] -= 1
            if not active[ioc_id]:
                del active[ioc_id]
        for ioc_id in starts:
            active[ioc_id] = active.get(ioc_id, 0) + 1
        if active and i + 1 < len(points):
            rows.append({"_start": point, "_end": points[i + 1] - 1, "_ids": sorted(active)})
    return pl.DataFrame(rows, schema=_SEGMENTS)


def _cidr_matches(lf: pl.LazyFrame, segments: pl.DataFrame) -> pl.LazyFrame:
    """Distinct IPs of the data inside any indicator interval -> (ip text, ioc_id)."""
    if segments.is_empty():
        return pl.LazyFrame(schema=_IP_MATCH)
    distinct = pl.concat(
        [lf.select(pl.col(c).alias("_ip")).unique() for c in IP_COLUMNS], how="vertical"
    ).unique()
    return (
        distinct.with_columns(ip_key(pl.col("_ip")).alias("_key"))
        .filter(pl.col("_key").is_not_null())
        .sort("_key")
        .join_asof(segments.lazy(), left_on="_key", right_on="_start", strategy="backward")
        .filter(pl.col("_key") <= pl.col("_end"))
        .select("_ip", pl.col("_ids").alias("ioc_id"))
        .explode("ioc_id")
    )


def _grouped(table: pl.DataFrame, keys: list[str], column: str, tag: str) -> pl.LazyFrame:
    """Key -> list of {ioc_id, ioc_kind, matched_column} for one probe column (small table)."""
    return (
        table.group_by(keys)
        .agg(pl.struct("ioc_id", "ioc_kind", pl.lit(column).alias("matched_column")).alias(tag))
        .lazy()
    )


def sweep(
    connections: pl.LazyFrame | pl.DataFrame, iocs: pl.DataFrame, assets: Assets
) -> pl.LazyFrame:
    """Hits of every connection against every indicator (lazy; collect with the streaming engine).

    Two streaming passes over narrow projections run here: the distinct IPs (for the CIDR
    join) and the key columns probed by a left hash join per column against small
    key -> matches tables; the matching rows become a small (conn_row, match) table. The
    returned plan joins it back to the full connection rows and sorts.
    """
    kinds, segments, ports, _ = _tables(iocs, assets)
    lf = connections.lazy().with_row_index("conn_row")
    names = lf.collect_schema().names()
    by_ip = (
        _cidr_matches(connections.lazy(), segments)
        .collect(engine="streaming")
        .join(kinds, on="ioc_id", how="left")
        .select("_ip", "ioc_id", "ioc_kind")
    )
    probes: list[tuple[list[str], pl.DataFrame, list[str], str]] = [
        ([col], by_ip, ["_ip"], col) for col in IP_COLUMNS
    ]
    if ports.height:
        probes += [
            ([ip, port], ports, ["_ip", "_port"], f"{ip}:{port}") for ip, port in PORT_COLUMNS
        ]
    tags = [f"_m{i}" for i in range(len(probes))]
    narrow = lf.select("conn_row", *IP_COLUMNS, *(port for _, port in PORT_COLUMNS))
    for (left, table, right, column), tag in zip(probes, tags, strict=True):
        if table.height:
            narrow = narrow.join(
                _grouped(table, right, column, tag), left_on=left, right_on=right, how="left"
            )
        else:
            narrow = narrow.with_columns(pl.lit(None).alias(tag))
    match = pl.List(
        pl.Struct({"ioc_id": pl.String, "ioc_kind": pl.String, "matched_column": pl.String})
    )
    none = pl.lit([], dtype=match)
    matches = (
        narrow.filter(pl.any_horizontal([pl.col(t).is_not_null() for t in tags]))
        .select(
            "conn_row",
            pl.concat_list([pl.col(t).cast(match).fill_null(none) for t in tags]).alias("_m"),
        )
        .explode("_m")
        .unnest("_m")
        .collect(engine="streaming")
    )
    wanted = matches.get_column("conn_row").unique()  # filter first: the full rows stream by
    return (
        lf.filter(pl.col("conn_row").is_in(wanted.implode()))
        .join(matches.lazy(), on="conn_row", how="inner")
        .select(*names, "ioc_id", "ioc_kind", "matched_column")
        .sort("conn_row", "ioc_id", "matched_column")
    )


def ioc_warnings(iocs: pl.DataFrame, assets: Assets) -> list[str]:
    """Indicators the sweep cannot use, with the reason (so nothing is dropped silently)."""
    return _tables(iocs, assets)[3]


def _peer() -> pl.Expr:
    """The other side of a hit: the destination for source-side matches, else the source."""
    src_side = pl.col("matched_column").str.starts_with("src") | pl.col(
        "matched_column"
    ).str.starts_with("nat_src")
    return pl.when(src_side).then(pl.col("dst_ip")).otherwise(pl.col("src_ip"))


def summarize(hits: pl.LazyFrame | pl.DataFrame) -> list[dict[str, Any]]:
    """Per-indicator summary in the CONTRACT ``hits_summary`` shape, sorted by ioc_id."""
    lf = hits.lazy()
    count = (
        pl.col("conn_row").n_unique()
        if "conn_row" in lf.collect_schema().names()
        else pl.struct("src_file", "src_line", "ts", "src_ip", "dst_ip").n_unique()
    )
    frame = (
        lf.with_columns(_peer().alias("_peer"))
        .group_by("ioc_id")
        .agg(
            count.alias("hits"),
            pl.col("ts").min().alias("first_seen"),
            pl.col("ts").max().alias("last_seen"),
            pl.col("device").drop_nulls().unique().sort().alias("devices"),
            pl.col("_peer").drop_nulls().unique().sort().alias("peers"),
        )
        .sort("ioc_id")
        .collect()
    )
    return [
        {
            "ioc_id": row["ioc_id"],
            "hits": int(row["hits"]),
            "first_seen": iso(row["first_seen"]),
            "last_seen": iso(row["last_seen"]),
            "devices": row["devices"],
            "peers": row["peers"],
        }
        for row in frame.iter_rows(named=True)
    ]


def iocs_from_portproxies(table: pl.DataFrame) -> pl.DataFrame:
    """IOC rows for harvested proxies: connect IP:port and the listen port on the proxy host."""
    rows = []
    for proxy in (
        table.select("host", "listen_port", "connect_address", "connect_port")
        .unique(maintain_order=True)
        .iter_rows(named=True)
    ):
        ip = canonical_ip(proxy["connect_address"])
        if ip is not None and proxy["connect_port"] is not None:
            value = (
                f"[{ip}]:{proxy['connect_port']}" if ":" in ip else f"{ip}:{proxy['connect_port']}"
            )
            rows.append(
                {
                    "id": f"ip_port:{value}",
                    "kind": "ip_port",
                    "value": value,
                    "role": "portproxy_connect",
                    "source": "harvest",
                    "ip": ip,
                    "port": proxy["connect_port"],
                }
            )
        if proxy["host"] and proxy["listen_port"] is not None:
            value = f"{proxy['host']}:{proxy['listen_port']}"
            rows.append(
                {
                    "id": f"port_on_host:{value}",
                    "kind": "port_on_host",
                    "value": value,
                    "role": "portproxy_listen",
                    "source": "harvest",
                    "host": proxy["host"],
                    "port": proxy["listen_port"],
                }
            )
    frame = pl.DataFrame(rows, schema={k: IOC[k] for k in IOC.names()}, strict=False)
    return frame.unique("id", keep="first", maintain_order=True)
