"""PAN-OS TRAFFIC (and THREAT) rows -> CONNECTION, with a reject reason per bad row.

Input: a frame of named PAN-OS fields (keys of paloalto_layout.TRAFFIC, as text) plus `line`,
`device`, `zone` (configured zone of the device), `hdr_offset` and `log_type`.
"""

from __future__ import annotations

import re

import polars as pl

from fwcorr.config import SiteConfig
from parsers.paloalto_ip import canonical_columns
from parsers.paloalto_time import PANOS_TIME, record_offset, to_utc, tz_source

_NUMERIC = ("repeatcnt", "bytes_sent", "bytes_received", "packets", "elapsed")
_PORTS = ("sport", "dport", "natsport", "natdport")
_ACTIONS = {
    "allow": "allow",
    "alert": "allow",
    "continue": "allow",
    "override": "allow",
    "deny": "deny",
    "block": "deny",
    "drop": "drop",
    "drop-icmp": "drop",
    "drop-all": "drop",
    "drop-all-packets": "drop",
    "random-drop": "drop",
    "reset-both": "reset",
    "reset-client": "reset",
    "reset-server": "reset",
}


def normalise_action(raw: str | None) -> str | None:
    """PAN-OS action spelling (any case, spaces/underscores/hyphens) -> allow|deny|drop|reset|other."""
    if raw is None or not raw.strip():
        return None
    key = re.sub(r"[\s_-]+", "-", raw.strip().lower())
    if key in _ACTIONS:
        return _ACTIONS[key]
    if key.startswith("block"):
        return "deny"
    if key.startswith("reset"):
        return "reset"
    if key.startswith("drop"):
        return "drop"
    return "other"


def _txt(name: str) -> pl.Expr:
    """Field text with surrounding whitespace removed; empty -> null."""
    s = pl.col(name).str.strip_chars()
    return pl.when(s.str.len_bytes() > 0).then(s)


def _int(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().cast(pl.Int64, strict=False)


def _ensure(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    missing = [n for n in names if n not in frame.columns]
    return frame.with_columns(pl.lit(None, pl.String).alias(n) for n in missing)


def _direction(cfg: SiteConfig) -> pl.Expr:
    """inbound/outbound/forward from the devices' untrusted zones and interfaces; else unknown."""
    pairs_z = [f"{d.name}\x1f{z}" for d in cfg.devices.values() for z in d.untrusted_zones]
    pairs_i = [f"{d.name}\x1f{i}" for d in cfg.devices.values() for i in d.untrusted_interfaces]
    known = [d.name for d in cfg.devices.values() if d.untrusted_zones or d.untrusted_interfaces]
    if not known:
        return pl.lit("unknown")
    dev = pl.col("device")

    def untrusted(zone: str, intf: str) -> pl.Expr:
        z = pl.concat_str([dev, pl.lit("\x1f"), pl.col(zone)]).is_in(pairs_z)
        i = pl.concat_str([dev, pl.lit("\x1f"), pl.col(intf)]).is_in(pairs_i)
        return (z.fill_null(False) | i.fill_null(False)).fill_null(False)

    src_u, dst_u = untrusted("from", "inbound_if"), untrusted("to", "outbound_if")
    return (
        pl.when(~dev.is_in(known).fill_null(False))
        .then(pl.lit("unknown"))
        .when(src_u & ~dst_u)
        .then(pl.lit("inbound"))
        .when(~src_u & dst_u)
        .then(pl.lit("outbound"))
        .otherwise(pl.lit("forward"))
    )


def _reason(require_elapsed: bool, log_type: str) -> pl.Expr:
    """First problem of a row, or null when the row is a good connection."""
    chain = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    if require_elapsed:
        chain = chain.when(pl.col("elapsed").is_null()).then(
            pl.lit(f"truncated {log_type} record (fewer than 37 fields)")
        )
    chain = chain.when(pl.col("__ts").is_null()).then(
        pl.concat_str(
            [pl.lit("unparseable time: "), pl.col("time_generated").fill_null("(missing)")]
        )
    )
    for name in ("src", "dst", "natsrc", "natdst"):
        label = {"src": "src_ip", "dst": "dst_ip", "natsrc": "nat_src_ip", "natdst": "nat_dst_ip"}
        raw = pl.col(name)
        bad = pl.col(f"{name}_ip").is_null() & (
            raw.is_not_null() if name.startswith("nat") else pl.lit(True)
        )
        chain = chain.when(bad).then(
            pl.concat_str([pl.lit(f"invalid {label[name]}: "), raw.fill_null("(missing)")])
        )
    for name in _PORTS:
        val = _int(name)
        bad = pl.col(name).is_not_null() & (val.is_null() | (val < 0) | (val > 65535))
        chain = chain.when(bad).then(
            pl.concat_str([pl.lit(f"port out of range or non-numeric: {name}="), pl.col(name)])
        )
    for name in _NUMERIC:
        bad = pl.col(name).is_not_null() & _int(name).is_null()
        chain = chain.when(bad).then(pl.concat_str([pl.lit(f"non-numeric {name}: "), pl.col(name)]))
    return chain.otherwise(None)


def to_connections(
    frame: pl.DataFrame, cfg: SiteConfig, zones: list[str], *, require_elapsed: bool, log_type: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(good rows mapped to CONNECTION columns, bad rows with `line` and `reason`)."""
    keys = [
        "subtype", "time_generated", "src", "dst", "natsrc", "natdst", "rule", "srcuser", "app",
        "vsys", "from", "to", "inbound_if", "outbound_if", "sessionid", "repeatcnt", "sport",
        "dport", "natsport", "natdport", "proto", "action", "bytes_sent", "bytes_received",
        "packets", "start", "elapsed", "session_end_reason", "rule_uuid", "high_res_timestamp",
    ]  # fmt: skip
    frame = _ensure(frame, keys)
    frame = frame.with_columns(
        pl.col(n).str.strip_chars().replace("", None) for n in (*_PORTS, *_NUMERIC)
    )
    frame = canonical_columns(frame, ["src", "dst", "natsrc", "natdst"])
    actions = frame.get_column("action").unique().to_list()
    amap = {a: normalise_action(a) for a in actions if a is not None}
    start_naive = pl.col("start").str.strptime(pl.Datetime("us"), PANOS_TIME, strict=False)
    gen_naive = pl.col("time_generated").str.strptime(pl.Datetime("us"), PANOS_TIME, strict=False)
    rec_off = record_offset(pl.col("high_res_timestamp"))
    zone, hdr_off = pl.col("zone"), pl.col("hdr_offset")
    local = pl.coalesce(start_naive, gen_naive)
    elapsed = _int("elapsed")
    nat_ip = {"natsrc_ip", "natdst_ip"}
    lf = frame.lazy().with_columns(
        __ts=to_utc(local, rec_off, zone, hdr_off, zones),
        __tzsrc=tz_source(rec_off, zone, hdr_off),
        __has_start=start_naive.is_not_null(),
    )
    lf = lf.with_columns(__reason=_reason(require_elapsed, log_type))
    out = lf.select(
        "line",
        "__reason",
        "__tzsrc",
        pl.col("__ts").alias("ts"),
        pl.when(
            pl.col("__has_start") & elapsed.is_not_null() & (pl.col("subtype") != "start")
        )
        .then(pl.col("__ts") + pl.duration(seconds=elapsed))
        .alias("ts_end"),
        pl.lit("paloalto").alias("vendor"),
        "device",
        pl.lit(log_type.lower()).alias("log_type"),
        pl.col("action").replace_strict(amap, default=None, return_dtype=pl.String),
        _txt("proto").str.to_lowercase().alias("protocol"),
        pl.col("src_ip"),
        _int("sport").alias("src_port"),
        pl.col("dst_ip"),
        _int("dport").alias("dst_port"),
        *[
            pl.when(~pl.col(c).is_in(["0.0.0.0", "::"])).then(pl.col(c)).alias(c)
            for c in sorted(nat_ip)
        ],
        pl.when(_int("natsport") != 0).then(_int("natsport")).alias("nat_src_port"),
        pl.when(_int("natdport") != 0).then(_int("natdport")).alias("nat_dst_port"),
        _direction(cfg).alias("direction"),
        _txt("rule").alias("rule"),
        _txt("rule_uuid").alias("rule_id"),
        _int("bytes_sent").alias("bytes_out"),
        _int("bytes_received").alias("bytes_in"),
        _int("packets").alias("packets"),
        elapsed.cast(pl.Float64).alias("duration_s"),
        _txt("sessionid").alias("session_id"),
        _txt("from").alias("src_zone"),
        _txt("to").alias("dst_zone"),
        _txt("inbound_if").alias("src_intf"),
        _txt("outbound_if").alias("dst_intf"),
        _txt("app").alias("app"),
        _txt("srcuser").alias("user"),
        _txt("rule_uuid").alias("rule_uuid"),
        _txt("vsys").alias("vsys"),
        _txt("session_end_reason").alias("end_reason"),
        _int("repeatcnt").alias("repeat_count"),
    ).rename({"natsrc_ip": "nat_src_ip", "natdst_ip": "nat_dst_ip"})
    done = out.collect()
    bad = done.filter(pl.col("__reason").is_not_null()).select(
        "line", pl.col("__reason").alias("reason")
    )
    good = done.filter(pl.col("__reason").is_null()).drop("__reason")
    return good, bad
