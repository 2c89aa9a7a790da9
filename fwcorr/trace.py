"""Trace traffic relayed through port proxies: inbound leg -> proxy host -> outbound leg, chained.

Public API:
- ``trace(connections, portproxies, assets, config, *, dedup_s=2.0, min_relay_pairs=3,
  discover=True)``
  -> ``TraceResult`` with ``.traces`` (CONTRACT ``traces`` dicts, sorted by start; ``.frame``
  holds the same rows as a polars frame),
  ``.suspected_proxies`` (relays found without indicators, with evidence), ``.legs`` (proxy_id,
  leg inbound|outbound, ts, bytes, paired: for charts) and ``.pairs`` (one row per paired
  inbound/outbound leg: proxy_id, in_ts, out_ts, lag_s, confidence, ...).

Method (all polars plans; Python only per proxy and to hash each emitted trace's id):
1. Proxy active periods are [first_seen - slack, removed_at) (no removal: open-ended; a proxy
   known only from a capture is thus active at least from the capture time minus slack).
2. Allowed connections whose post-NAT destination (nat_dst_* when set, else dst_*) is a listen
   key of a proxy (its specific listen address, or any IP of its host, and the listen port) are
   inbound legs; connections from any host IP to the resolved connect address:port are outbound
   legs. Both are hash joins on small key tables, then filtered to the active period.
3. Records of one session seen by several devices (perimeter, internal firewall, host log) are
   merged into one leg: same proxy and same inner 5-tuple (post-NAT source/destination) within
   ``dedup_s`` of each other. The leg keeps every record as evidence and takes the perimeter's
   pre-NAT destination as the public entry point.
4. Pairing is an equi-join on (proxy, time bucket of width max_lag) against the outbound
   bucket and the next one, filtered to 0 <= lag <= max_lag and byte agreement (inbound
   client->proxy bytes_out vs outbound proxy->target bytes_out) where both are known. Like
   ``join_asof`` it is linear for bounded session density, but it lets byte counts choose among
   concurrent candidates. Matching is one-to-one (mutual best, a few rounds).
5. Chains: when a pair's outbound leg is another pair's inbound leg (they share a connection
   record), the trace continues through the next proxy.
6. Relay discovery joins inbound and outbound sessions of every internal IP the same way and
   reports fixed (listen port -> connect ip:port) pairs seen ``min_relay_pairs`` times or more.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from fwcorr.assets import Assets
from fwcorr.config import SiteConfig
from fwcorr.netutil import ANY_ADDRESSES, canonical_ip
from fwcorr.schema import TS
from fwcorr.timez import iso_z as iso

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
_PROXY = pl.Schema(
    {
        "proxy_id": pl.String,
        "host": pl.String,
        "listen_port": pl.Int32,
        "connect_port": pl.Int32,
        "active_start": TS,
        "active_end": TS,
    }
)
_LISTEN = pl.Schema({"proxy_id": pl.String, "_lip": pl.String, "_lport": pl.Int32})
_CONNECT = pl.Schema(
    {"proxy_id": pl.String, "_hip": pl.String, "_cip": pl.String, "_cport": pl.Int32}
)
_EVIDENCE = pl.struct(pl.col("src_file").alias("path"), pl.col("src_line").alias("line"))


@dataclass
class TraceResult:
    """Traces (CONTRACT shape), suspected unknown proxies, and frames for charts/tests.

    ``frame`` holds the traces as a polars frame with the CONTRACT columns; ``traces`` converts
    it to dicts on first access (the conversion is the costly part for very many traces).
    """

    frame: pl.DataFrame = field(default_factory=pl.DataFrame)
    suspected_proxies: list[dict[str, Any]] = field(default_factory=list)
    legs: pl.DataFrame = field(default_factory=pl.DataFrame)
    pairs: pl.DataFrame = field(default_factory=pl.DataFrame)
    _dicts: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def traces(self) -> list[dict[str, Any]]:
        if self._dicts is None:
            self._dicts = self.frame.to_dicts() if self.frame.height else []
        return self._dicts


def _ips_for(address: str | None, assets: Assets) -> list[str]:
    """An IP as given, or a hostname resolved through the asset map."""
    if not address:
        return []
    canon = canonical_ip(address)
    if canon is not None:
        return [canon]
    return assets.host_ips(address)


def _proxy_tables(
    portproxies: pl.DataFrame, assets: Assets, config: SiteConfig
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Per-proxy active period, listen keys and (host IP, connect IP, port) keys (small)."""
    slack = timedelta(seconds=config.trace.slack_s)
    proxies, listen, connect = [], [], []
    for p in portproxies.iter_rows(named=True):  # one row per harvested proxy
        if p["listen_port"] is None or p["connect_port"] is None or p["first_seen"] is None:
            continue
        host_ips = sorted(
            {ip for ip in (canonical_ip(x) for x in p.get("host_ips") or []) if ip}
            | set(assets.host_ips(p["host"]))
        )
        addr = (p["listen_address"] or "").strip().lower()
        lips = host_ips if addr in ANY_ADDRESSES else _ips_for(addr, assets)
        proxies.append(
            {
                "proxy_id": p["proxy_id"],
                "host": p["host"],
                "listen_port": p["listen_port"],
                "connect_port": p["connect_port"],
                "active_start": p["first_seen"] - slack,
                "active_end": p["removed_at"] or FAR_FUTURE,
            }
        )
        listen += [
            {"proxy_id": p["proxy_id"], "_lip": ip, "_lport": p["listen_port"]} for ip in lips
        ]
        connect += [
            {"proxy_id": p["proxy_id"], "_hip": hip, "_cip": cip, "_cport": p["connect_port"]}
            for hip in host_ips
            for cip in _ips_for(p["connect_address"], assets)
        ]
    return (
        pl.DataFrame(proxies, schema=_PROXY),
        pl.DataFrame(listen, schema=_LISTEN).unique(),
        pl.DataFrame(connect, schema=_CONNECT).unique(),
    )


def _prepared(connections: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Allowed sessions with post-NAT (inner) endpoints and a row id.

    Host logs carry no session byte totals (pfirewall.log ``size`` is one packet's size), so
    their byte columns are not used for byte agreement.
    """
    host_log = pl.col("vendor") == "windows"
    return (
        connections.lazy()
        .with_row_index("_row")
        .filter(pl.col("action") == "allow")
        .with_columns(
            pl.coalesce("nat_dst_ip", "dst_ip").alias("_pd_ip"),
            pl.coalesce("nat_dst_port", "dst_port").alias("_pd_port"),
            pl.coalesce("nat_src_ip", "src_ip").alias("_ps_ip"),
            pl.coalesce("nat_src_port", "src_port").alias("_ps_port"),
            pl.when(~host_log.fill_null(False)).then(pl.col("bytes_out")).alias("bytes_out"),
            pl.when(~host_log.fill_null(False)).then(pl.col("bytes_in")).alias("bytes_in"),
        )
    )


def _cluster(lf: pl.LazyFrame, keys: list[str], dedup_s: float) -> pl.LazyFrame:
    """Number records of one session (same keys, start times within dedup_s) as one leg."""
    gap = pl.duration(microseconds=int(dedup_s * 1_000_000))
    changed = pl.any_horizontal([pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys])
    new = (changed | ((pl.col("ts") - pl.col("ts").shift(1)) > gap)).fill_null(True)
    return lf.sort([*keys, "ts"]).with_columns(new.cum_sum().alias("_leg"))


def _leg_aggs(with_evidence: bool = True) -> list[pl.Expr]:
    snat = pl.col("nat_src_ip").is_null().cast(pl.Int8)  # records with source NAT first
    dnat = pl.col("nat_dst_ip").is_not_null() & (
        (pl.col("nat_dst_ip") != pl.col("dst_ip"))
        | (pl.col("nat_dst_port").is_not_null() & (pl.col("nat_dst_port") != pl.col("dst_port")))
    )
    return [
        pl.col("ts").min().alias("ts"),
        pl.col("ts_end").max().alias("ts_end"),
        pl.col("bytes_out").max().alias("bytes_out"),
        pl.col("bytes_in").max().alias("bytes_in"),
        pl.col("src_ip").sort_by(snat, "ts").first().alias("origin_ip"),
        pl.col("src_port").sort_by(snat, "ts").first().alias("origin_port"),
        pl.col("dst_ip").filter(dnat).first().alias("entry_ip"),
        pl.col("dst_port").filter(dnat).first().alias("entry_port"),
        pl.col("_pd_ip").first().alias("listen_ip"),
        pl.col("_pd_port").first().alias("listen_port_seen"),
        pl.col("dst_ip").first().alias("to_ip"),
        pl.col("dst_port").first().alias("to_port"),
        *([_EVIDENCE.alias("evidence")] if with_evidence else []),
        pl.col("_row").alias("rows"),
    ]


def _merge_legs(
    lf: pl.LazyFrame,
    keys: list[str],
    by: str,
    dedup_s: float,
    with_evidence: bool = True,
) -> pl.LazyFrame:
    """One row per session (records merged across devices) with all evidence and row ids.

    ``leg_id`` is an integer, unique within one call.
    """
    return (
        _cluster(lf, keys, dedup_s)
        .group_by("_leg")
        .agg(pl.col(by).first(), *_leg_aggs(with_evidence))
        .rename({"_leg": "leg_id"})
    )


def _legs(
    prepared: pl.LazyFrame,
    proxies: pl.DataFrame,
    listen: pl.DataFrame,
    connect: pl.DataFrame,
    max_lag_s: float,
    dedup_s: float,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Inbound and outbound legs per proxy, inside the active period, deduplicated."""
    period = proxies.lazy().select("proxy_id", "active_start", "active_end")
    lag = pl.duration(microseconds=int(max_lag_s * 1_000_000))
    inbound = (
        prepared.join(listen.lazy(), left_on=["_pd_ip", "_pd_port"], right_on=["_lip", "_lport"])
        .join(period, on="proxy_id")
        .filter((pl.col("ts") >= pl.col("active_start")) & (pl.col("ts") < pl.col("active_end")))
    )
    outbound = (
        prepared.join(
            connect.lazy(),
            left_on=["src_ip", "dst_ip", "dst_port"],
            right_on=["_hip", "_cip", "_cport"],
        )
        .join(period, on="proxy_id")
        .filter(
            (pl.col("ts") >= pl.col("active_start")) & (pl.col("ts") < pl.col("active_end") + lag)
        )
    )
    in_keys = ["proxy_id", "_ps_ip", "_ps_port", "_pd_ip", "_pd_port"]
    out_keys = ["proxy_id", "src_ip", "src_port", "dst_ip", "dst_port"]
    legs_in = _merge_legs(inbound, in_keys, "proxy_id", dedup_s)
    legs_out = _merge_legs(outbound, out_keys, "proxy_id", dedup_s)
    return legs_in.collect(), legs_out.collect()


def _epoch_us(col: str) -> pl.Expr:
    return pl.col(col).dt.epoch("us")


def candidate_pairs(
    left: pl.LazyFrame, right: pl.LazyFrame, by: str, max_lag_s: float, byte_tolerance: float
) -> pl.LazyFrame:
    """Pairs (left leg, right leg) with the right starting 0..max_lag_s after the left, scored.

    Both frames carry ``by``, ``leg_id``, ``ts``, ``ts_end``, ``bytes_out``; right columns get the
    suffix ``_out``. The bucketed equi-join keeps this linear in the number of legs.
    """
    width = max(int(max_lag_s * 1_000_000), 1)
    lhs = left.with_columns(
        pl.concat_list(_epoch_us("ts") // width, _epoch_us("ts") // width + 1).alias("_bucket")
    ).explode("_bucket")
    rhs = right.with_columns((_epoch_us("ts") // width).alias("_bucket"))
    joined = lhs.join(rhs, on=[by, "_bucket"], suffix="_out")
    lag = (pl.col("ts_out") - pl.col("ts")).dt.total_microseconds() / 1_000_000
    both = pl.col("bytes_out").is_not_null() & pl.col("bytes_out_out").is_not_null()
    rel = (pl.col("bytes_out") - pl.col("bytes_out_out")).abs() / pl.max_horizontal(
        pl.col("bytes_out"), pl.col("bytes_out_out"), pl.lit(1)
    )
    overlap_end = pl.min_horizontal("ts_end", "ts_end_out")
    overlap = (overlap_end - pl.col("ts_out")).dt.total_microseconds() / pl.max_horizontal(
        (pl.col("ts_end_out") - pl.col("ts_out")).dt.total_microseconds(), pl.lit(1)
    )
    dur_score = (
        pl.when(pl.col("ts_end").is_not_null() & pl.col("ts_end_out").is_not_null())
        .then(overlap.clip(0.0, 1.0))
        .otherwise(0.5)
    )
    tol = max(byte_tolerance, 1e-9)
    byte_score = pl.when(both).then((1 - rel / tol).clip(0.0, 1.0) * 0.5 + 0.5).otherwise(0.5)
    lag_score = (1 - pl.col("lag_s") / max(max_lag_s, 1e-9)).clip(0.0, 1.0)
    return (
        joined.with_columns(lag.alias("lag_s"), rel.alias("_rel"), both.alias("_both"))
        .filter((pl.col("lag_s") >= 0) & (pl.col("lag_s") <= max_lag_s))
        .filter(~pl.col("_both") | (pl.col("_rel") <= byte_tolerance))
        .with_columns(
            (0.4 * lag_score + 0.4 * byte_score + 0.2 * dur_score).round(3).alias("confidence")
        )
        .drop("_bucket", "_rel", "_both")
    )


def one_to_one(candidates: pl.DataFrame, rounds: int = 4) -> pl.DataFrame:
    """Keep mutually best candidates (by confidence, then lag) so each leg is used once."""
    order = [pl.col("confidence"), pl.col("lag_s"), pl.col("leg_id"), pl.col("leg_id_out")]
    chosen = []
    rest = candidates
    for _ in range(rounds):  # a few rounds over the whole frame, not per row
        if rest.is_empty():
            break
        ranked = rest.sort(order, descending=[True, False, False, False])
        best_in = ranked.unique("leg_id", keep="first", maintain_order=True)
        best = best_in.unique("leg_id_out", keep="first", maintain_order=True)
        chosen.append(best)
        rest = rest.join(best.select("leg_id"), on="leg_id", how="anti").join(
            best.select("leg_id_out"), on="leg_id_out", how="anti"
        )
    if not chosen:
        return candidates.clear()
    return pl.concat(chosen, how="vertical")


def _chains(pairs: pl.DataFrame, max_hops: int) -> pl.DataFrame:
    """(chain, position, pair_id): follow pairs whose outbound leg is another pair's inbound."""
    outs = pairs.select("pair_id", pl.col("rows_out").alias("_r")).explode("_r")
    ins = pairs.select(pl.col("pair_id").alias("next_id"), pl.col("rows").alias("_r")).explode("_r")
    links = (
        outs.join(ins, on="_r")
        .filter(pl.col("pair_id") != pl.col("next_id"))
        .select("pair_id", "next_id")
        .unique()
        .sort("pair_id", "next_id")
        .unique("pair_id", keep="first", maintain_order=True)
    )
    heads = pairs.join(links.select(pl.col("next_id").alias("pair_id")), on="pair_id", how="anti")
    current = heads.select(pl.col("pair_id").alias("chain"), "pair_id").with_columns(
        pl.lit(0, pl.Int32).alias("pos")
    )
    steps = [current]
    for depth in range(1, max_hops):  # one join per hop level
        current = (
            current.join(links, on="pair_id")
            .select("chain", pl.col("next_id").alias("pair_id"))
            .with_columns(pl.lit(depth, pl.Int32).alias("pos"))
        )
        if current.is_empty():
            break
        steps.append(current)
    return pl.concat(steps, how="vertical")


def _trace_id(key: str) -> str:
    return "tr-" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]


def _iso_expr(col: str) -> pl.Expr:
    """ISO-8601 UTC text with Z, fraction only when non-zero (same as fwcorr.timez.iso_z)."""
    text = pl.col(col).dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ")
    return text.str.replace(r"\.?0+Z$", "Z")


def _trace_frame(chains: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """CONTRACT trace rows as a frame; all assembly in polars, Python only hashes the id."""
    rows = chains.join(pairs, on="pair_id").sort("chain", "pos")
    hop = pl.struct(
        "host",
        "listen_ip",
        pl.col("listen_port_seen").alias("listen_port"),
        pl.col("to_ip_out").alias("connect_ip"),
        pl.col("to_port_out").alias("connect_port"),
    )
    grouped = rows.group_by("chain", maintain_order=True).agg(
        pl.col("proxy_id").first().alias("_head"),
        pl.col("origin_ip").first(),
        pl.col("origin_port").first(),
        pl.col("entry_ip").first(),
        pl.col("entry_port").first(),
        hop.alias("hops"),
        pl.col("to_ip_out").last().alias("target_ip"),
        pl.col("to_port_out").last().alias("target_port"),
        pl.col("ts").first().alias("start"),
        pl.max_horizontal("ts_end", "ts_end_out").max().alias("end"),
        pl.coalesce(pl.col("bytes_in").first(), pl.col("bytes_in_out").last()).alias("bytes_in"),
        pl.coalesce(pl.col("bytes_out").first(), pl.col("bytes_out_out").last()).alias("bytes_out"),
        pl.col("confidence").min().cast(pl.Float64),
    )
    evidence = (
        rows.select("chain", pl.concat_list("evidence", "evidence_out").alias("_e"))
        .explode("_e")
        .unnest("_e")
        .drop_nulls("path")
        .unique()
        .sort("chain", "path", "line")
        .group_by("chain", maintain_order=True)
        .agg(pl.struct("path", "line").alias("evidence"))
    )
    frame = (
        grouped.join(evidence, on="chain", how="left")
        .sort("start", "origin_ip", "chain", nulls_last=True)
        .with_columns(
            _iso_expr("start").alias("_start_text"),
            _iso_expr("end").alias("end"),
            pl.format(
                "{}|{}|{}|{}",
                "_head",
                pl.col("start").dt.to_string("%Y-%m-%dT%H:%M:%S%.6f"),
                pl.col("origin_ip").fill_null("None"),
                pl.col("origin_port").cast(pl.String).fill_null("None"),
            ).alias("_key"),
        )
    )
    keys = frame.get_column("_key").to_list()
    ids = [_trace_id(k) for k in keys]  # sha1 per emitted trace: the only Python step
    out = frame.select(
        pl.Series("id", ids, dtype=pl.String),
        "origin_ip",
        "origin_port",
        "entry_ip",
        "entry_port",
        "hops",
        "target_ip",
        "target_port",
        pl.col("_start_text").alias("start"),
        "end",
        "bytes_in",
        "bytes_out",
        "confidence",
        pl.col("evidence").fill_null([]),
    )
    return out


def trace(
    connections: pl.LazyFrame | pl.DataFrame,
    portproxies: pl.DataFrame,
    assets: Assets,
    config: SiteConfig,
    *,
    dedup_s: float = 2.0,
    min_relay_pairs: int = 3,
    max_hops: int = 8,
    discover: bool = True,
) -> TraceResult:
    """Reconstruct relayed sessions through the harvested proxies, plus unknown-relay discovery."""
    tcfg = config.trace
    prepared = _prepared(connections)
    proxies, listen, connect = _proxy_tables(portproxies, assets, config)
    legs_in, legs_out = _legs(prepared, proxies, listen, connect, tcfg.max_lag_s, dedup_s)
    cands = candidate_pairs(
        legs_in.lazy(), legs_out.lazy(), "proxy_id", tcfg.max_lag_s, tcfg.byte_tolerance
    ).collect()
    pairs = one_to_one(cands).join(proxies.select("proxy_id", "host"), on="proxy_id", how="left")
    pairs = pairs.sort("ts", "proxy_id", "leg_id").with_row_index("pair_id")
    chains = _chains(pairs, max_hops) if pairs.height else pl.DataFrame()
    frame = _trace_frame(chains, pairs) if pairs.height else pl.DataFrame()
    legs = pl.concat(
        [
            legs_in.select(
                "proxy_id",
                pl.lit("inbound").alias("leg"),
                "ts",
                pl.col("bytes_out").alias("bytes"),
                pl.col("leg_id").is_in(pairs.get_column("leg_id").implode()).alias("paired"),
            ),
            legs_out.select(
                "proxy_id",
                pl.lit("outbound").alias("leg"),
                "ts",
                pl.col("bytes_out").alias("bytes"),
                pl.col("leg_id").is_in(pairs.get_column("leg_id_out").implode()).alias("paired"),
            ),
        ],
        how="vertical",
    ).sort("proxy_id", "ts", "leg")
    pair_view = pairs.select(
        "proxy_id",
        pl.col("ts").alias("in_ts"),
        pl.col("ts_out").alias("out_ts"),
        "lag_s",
        "confidence",
        pl.col("bytes_out").alias("in_bytes"),
        pl.col("bytes_out_out").alias("out_bytes"),
        "leg_id",
        "leg_id_out",
    )
    suspected = (
        discover_relays(
            prepared, assets, config, listen, min_pairs=min_relay_pairs, dedup_s=dedup_s
        )
        if discover
        else []
    )
    return TraceResult(frame=frame, suspected_proxies=suspected, legs=legs, pairs=pair_view)


def discover_relays(
    prepared: pl.LazyFrame,
    assets: Assets,
    config: SiteConfig,
    known_listen: pl.DataFrame,
    *,
    min_pairs: int = 3,
    dedup_s: float = 2.0,
) -> list[dict[str, Any]]:
    """Internal hosts repeatedly relaying inbound sessions on a fixed port pair (no indicators)."""
    tcfg = config.trace
    inbound = prepared.filter(assets.is_internal(pl.col("_pd_ip"))).with_columns(
        pl.col("_pd_ip").alias("host_ip")
    )
    outbound = prepared.filter(assets.is_internal(pl.col("src_ip"))).with_columns(
        pl.col("src_ip").alias("host_ip")
    )
    in_keys = ["_ps_ip", "_ps_port", "_pd_ip", "_pd_port"]
    out_keys = ["src_ip", "src_port", "dst_ip", "dst_port"]
    # Evidence is looked up by row id for the few reported relays only.
    legs_in = _merge_legs(inbound, in_keys, "host_ip", dedup_s, with_evidence=False)
    legs_out = _merge_legs(outbound, out_keys, "host_ip", dedup_s, with_evidence=False)
    cands = (
        candidate_pairs(legs_in, legs_out, "host_ip", tcfg.max_lag_s, tcfg.byte_tolerance)
        .filter(
            (pl.col("to_ip_out") != pl.col("origin_ip"))
            & ~(
                (pl.col("to_ip_out") == pl.col("listen_ip"))
                & (pl.col("to_port_out") == pl.col("listen_port_seen"))
            )
        )
        .collect()
    )
    pairs = one_to_one(cands)
    known = known_listen.select(
        pl.col("_lip").alias("host_ip"), pl.col("_lport").alias("listen_port_seen")
    ).unique()
    both = pl.col("bytes_out").is_not_null() & pl.col("bytes_out_out").is_not_null()
    groups = (
        pairs.join(known, on=["host_ip", "listen_port_seen"], how="anti")
        .sort("ts")
        .group_by("host_ip", "listen_port_seen", "to_ip_out", "to_port_out")
        .agg(
            pl.len().alias("pairs"),
            both.sum().alias("bytes_matched"),
            pl.col("ts").min().alias("first_seen"),
            pl.col("ts").max().alias("last_seen"),
            pl.col("lag_s").median().alias("median_lag_s"),
            pl.col("origin_ip").unique().sort().head(20).alias("origins"),
            pl.concat_list("rows", "rows_out")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .head(50)
            .alias("_rows"),
        )
        .filter(pl.col("pairs") >= min_pairs)
        .sort("host_ip", "listen_port_seen", "to_ip_out", "to_port_out")
    )
    needed = groups.get_column("_rows").explode().drop_nulls().unique()
    where = {
        row: (path or "", line or 0)
        for row, path, line in prepared.filter(pl.col("_row").is_in(needed.implode()))
        .select("_row", "src_file", "src_line")
        .collect()
        .iter_rows()  # at most 50 rows per reported relay
    }
    approved = {(str(a["host"]).lower(), int(a["listen_port"])) for a in config.portproxy_allowlist}
    out = []
    for r in groups.iter_rows(named=True):  # one per suspected relay
        host = assets.host_for_ip(r["host_ip"])
        out.append(
            {
                "host": host,
                "host_ip": r["host_ip"],
                "listen_port": r["listen_port_seen"],
                "connect_ip": r["to_ip_out"],
                "connect_port": r["to_port_out"],
                "pairs": int(r["pairs"]),
                "bytes_matched": int(r["bytes_matched"]),
                "first_seen": iso(r["first_seen"]),
                "last_seen": iso(r["last_seen"]),
                "median_lag_s": round(float(r["median_lag_s"]), 3),
                "origins": r["origins"],
                "approved": (str(host).lower(), r["listen_port_seen"]) in approved,
                "evidence": [
                    {"path": p, "line": n} for p, n in sorted({where[x] for x in r["_rows"]})
                ],
            }
        )
    return out
