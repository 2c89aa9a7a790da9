"""PAN-OS TRAFFIC (and THREAT) rows -> CONNECTION, with a reject reason per bad row.

Input: a frame of named PAN-OS fields (keys of paloalto_layout.TRAFFIC, as text) plus `line`,
`device`, `zone` (configured zone of the device), `hdr_offset` and `log_type`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from fwcorr.config import SiteConfig
from parsers.paloalto_ip import V4, canonical, non_ipv4, other_forms
from parsers.paloalto_split import tidy
from parsers.paloalto_time import PANOS_TIME, offsets_for, shift, to_utc, tz_source

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


def _spellings() -> dict[str, str]:
    """Common raw spellings -> normalised action, so the hot path is one lookup."""
    out = {}
    for key, value in _ACTIONS.items():
        for variant in (key, key.replace("-", " "), key.upper(), key.title()):
            out[variant] = value
    out["drop ICMP"] = "drop"
    return out


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


_KNOWN_ACTIONS = _spellings()


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


def _checks(require_elapsed: bool, log_type: str) -> list[tuple[pl.Expr, pl.Expr]]:
    """(is-bad flag, reason text) pairs in reporting order; flags use the __-prefixed casts."""
    out: list[tuple[pl.Expr, pl.Expr]] = []
    if require_elapsed:
        out.append(
            (
                pl.col("elapsed").is_null(),
                pl.lit(f"truncated {log_type} record (fewer than 37 fields)"),
            )
        )
    out.append(
        (
            pl.col("__local").is_null(),
            pl.concat_str(
                [pl.lit("unparseable time: "), pl.col("time_generated").fill_null("(missing)")]
            ),
        )
    )
    out.append(
        (
            pl.col("__ts").is_null(),
            pl.concat_str(
                [
                    pl.lit("local time does not exist in the device zone (DST gap): "),
                    pl.coalesce(pl.col("start"), pl.col("time_generated")),
                ]
            ),
        )
    )
    label = {"src": "src_ip", "dst": "dst_ip", "natsrc": "nat_src_ip", "natdst": "nat_dst_ip"}
    for name, text in label.items():
        raw = pl.col(name)
        bad = pl.col(f"{name}_ip").is_null()
        if name.startswith("nat"):
            bad = bad & raw.is_not_null()
        out.append((bad, pl.concat_str([pl.lit(f"invalid {text}: "), raw.fill_null("(missing)")])))
    for name in _PORTS:
        val = pl.col(f"__{name}")
        bad = pl.col(name).is_not_null() & (val.is_null() | (val < 0) | (val > 65535))
        out.append(
            (
                bad,
                pl.concat_str([pl.lit(f"port out of range or non-numeric: {name}="), pl.col(name)]),
            )
        )
    for name in _NUMERIC:
        bad = pl.col(name).is_not_null() & pl.col(f"__{name}").is_null()
        out.append((bad, pl.concat_str([pl.lit(f"non-numeric {name}: "), pl.col(name)])))
    return out


_TEXT = (
    "subtype", "rule", "srcuser", "app", "vsys", "from", "to", "inbound_if", "outbound_if",
    "sessionid", "proto", "action", "session_end_reason", "rule_uuid",
)  # fmt: skip


_IPS = ("src", "dst", "natsrc", "natdst")


@dataclass
class Survey:
    """Data-dependent choices for one frame, from one aggregate pass."""

    actions: dict[str, str | None]  # raw action -> normalised, for the values present
    others: dict[str, str | None]  # non-IPv4 address text -> canonical (other_forms)
    dirty: list[str]  # text columns with padding to strip
    protocols: list[str]  # distinct protocol texts
    offsets: pl.Expr  # each record's own UTC offset (high-resolution timestamp), minutes
    every_offset: bool  # no record lacks one

    def action(self) -> pl.Expr:
        """Normalised action; the column itself when every value is already normal."""
        if all(k == v for k, v in self.actions.items()):
            return pl.col("action")
        return pl.col("action").replace_strict(self.actions, default=None, return_dtype=pl.String)

    def protocol(self) -> pl.Expr:
        """Lower-case protocol; the column itself when it already is."""
        if all(p == p.lower() for p in self.protocols):
            return pl.col("proto")
        return pl.col("proto").str.to_lowercase()


def _survey(frame: pl.DataFrame, text_cols: list[str]) -> Survey:
    """One pass for the data-dependent choices (see Survey)."""
    edge = [
        (pl.col(c).str.starts_with(" ") | pl.col(c).str.ends_with(" ")).any().alias(f"__edge_{c}")
        for c in text_cols
    ]
    offsets = offsets_for(frame, "high_res_timestamp")
    got = frame.select(
        offsets.is_not_null().all().alias("__every_offset"),
        pl.col("action").drop_nulls().unique().implode().alias("__actions"),
        pl.col("proto").drop_nulls().unique().implode().alias("__protos"),
        pl.all_horizontal(_all_ipv4(c) for c in _IPS).alias("__v4"),
        *edge,
    ).row(0, named=True)
    actions = {  # keyed by the text as read and as stripped (padded columns are tidied next)
        key: _KNOWN_ACTIONS.get(raw) or normalise_action(raw)
        for raw in got["__actions"]
        for key in {raw, raw.strip()}
        if key
    }
    dirty = [c for c in text_cols if got[f"__edge_{c}"]]
    others = {} if got["__v4"] else other_forms(frame.select(non_ipv4(list(_IPS))).item().to_list())
    protos = list(got["__protos"])
    return Survey(actions, others, dirty, protos, offsets, bool(got["__every_offset"]))


def _all_ipv4(column: str) -> pl.Expr:
    """Aggregate: every value of `column` is a dotted quad (NAT's 0.0.0.0 checked by equality)."""
    col = pl.col(column)
    rest = col.filter(col != "0.0.0.0") if column.startswith("nat") else col.drop_nulls()
    return rest.str.contains(V4).all()


def to_connections(
    frame: pl.DataFrame,
    cfg: SiteConfig,
    zones: list[str],
    *,
    require_elapsed: bool,
    log_type: str,
    exact: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(good rows mapped to CONNECTION columns, bad rows with `line` and `reason`).

    Validity flags are computed for every row; reason texts only for the (few) bad rows. Numbers
    and addresses are first read as written; rows that fail are retried with every field
    stripped of surrounding whitespace (`exact`), so padding costs nothing on clean files.
    """
    keys = [
        "subtype", "time_generated", "src", "dst", "natsrc", "natdst", "rule", "srcuser", "app",
        "vsys", "from", "to", "inbound_if", "outbound_if", "sessionid", "repeatcnt", "sport",
        "dport", "natsport", "natdport", "proto", "action", "bytes_sent", "bytes_received",
        "packets", "start", "elapsed", "session_end_reason", "rule_uuid", "high_res_timestamp",
    ]  # fmt: skip
    raw = _ensure(frame, keys)
    frame = tidy(raw, keys, force=True) if exact else raw
    survey = _survey(frame, [] if exact else list(_TEXT))
    frame = tidy(frame, survey.dirty, force=True) if survey.dirty else frame
    start_naive = pl.col("start").str.strptime(pl.Datetime("us"), PANOS_TIME, strict=False)
    gen_naive = pl.col("time_generated").str.strptime(pl.Datetime("us"), PANOS_TIME, strict=False)
    zone, hdr_off = pl.col("zone"), pl.col("hdr_offset")
    checks = _checks(require_elapsed, log_type)
    lf = frame.lazy().with_columns(
        **{f"{c}_ip": canonical(c, survey.others) for c in _IPS},
        __off=survey.offsets,
        __start=start_naive,
        # TRAFFIC always carries a start time: the generated time is only parsed for the rows
        # that fail without it (the exact retry), saving a pass over every row
        __local=pl.coalesce(start_naive, gen_naive)
        if exact or log_type != "TRAFFIC"
        else start_naive,
        **{f"__{n}": pl.col(n).cast(pl.Int64, strict=False) for n in (*_PORTS, *_NUMERIC)},
    )
    if survey.every_offset:  # every record carries its own offset: nothing else to consult
        lf = lf.with_columns(
            __ts=shift(pl.col("__local"), pl.col("__off")), __tzsrc=pl.lit(0, pl.Int8)
        )
    else:
        lf = lf.with_columns(
            __ts=to_utc(pl.col("__local"), pl.col("__off"), zone, hdr_off, zones),
            __tzsrc=tz_source(pl.col("__off"), zone, hdr_off),
        )
    bad = pl.DataFrame(schema={"line": pl.Int64, "reason": pl.String})
    if exact:  # the few rows that failed the fast pass: reasons for those still bad
        reason = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
        for flag, text in checks:
            reason = reason.when(flag).then(text)
        flagged = lf.with_columns(__reason=reason.otherwise(None)).collect()
        bad = flagged.filter(pl.col("__reason").is_not_null()).select(
            "line", pl.col("__reason").alias("reason")
        )
        lf = flagged.lazy().with_columns(__bad=pl.col("__reason").is_not_null())
    else:
        bad_any = pl.any_horizontal([flag for flag, _ in checks]).fill_null(True)
        lf = lf.with_columns(__bad=bad_any)
    elapsed = pl.col("__elapsed")
    nat = {"natsrc_ip": "nat_src_ip", "natdst_ip": "nat_dst_ip"}
    out = lf.select(
        "line",
        "__bad",
        "__tzsrc",
        pl.col("__ts").alias("ts"),
        pl.when(pl.col("__start").is_not_null() & (pl.col("subtype") != "start"))
        .then(pl.col("__ts") + pl.duration(seconds=elapsed))
        .alias("ts_end"),
        pl.lit("paloalto").alias("vendor"),
        "device",
        pl.lit(log_type.lower()).alias("log_type"),
        survey.action().alias("action"),
        survey.protocol().alias("protocol"),
        pl.col("src_ip"),
        pl.col("__sport").alias("src_port"),
        pl.col("dst_ip"),
        pl.col("__dport").alias("dst_port"),
        *[
            pl.when(~pl.col(c).is_in(["0.0.0.0", "::"])).then(pl.col(c)).alias(new)
            for c, new in nat.items()
        ],
        pl.when(pl.col("__natsport") != 0).then(pl.col("__natsport")).alias("nat_src_port"),
        pl.when(pl.col("__natdport") != 0).then(pl.col("__natdport")).alias("nat_dst_port"),
        _direction(cfg).alias("direction"),
        pl.col("rule"),
        pl.col("rule_uuid").alias("rule_id"),
        pl.col("__bytes_sent").alias("bytes_out"),
        pl.col("__bytes_received").alias("bytes_in"),
        pl.col("__packets").alias("packets"),
        elapsed.cast(pl.Float64).alias("duration_s"),
        pl.col("sessionid").alias("session_id"),
        pl.col("from").alias("src_zone"),
        pl.col("to").alias("dst_zone"),
        pl.col("inbound_if").alias("src_intf"),
        pl.col("outbound_if").alias("dst_intf"),
        pl.col("app"),
        pl.col("srcuser").alias("user"),
        pl.col("rule_uuid"),
        pl.col("vsys"),
        pl.col("session_end_reason").alias("end_reason"),
        pl.col("__repeatcnt").alias("repeat_count"),
    )
    done = out.collect(engine="in-memory")  # streaming would copy the passed-through columns
    flags = done.get_column("__bad")
    if not flags.any():
        return done.drop("__bad"), bad
    good = done.filter(~flags).drop("__bad")
    if exact:
        return good, bad
    again = raw.filter(pl.col("line").is_in(done.filter(flags).get_column("line").implode()))
    retried, bad = to_connections(
        again, cfg, zones, require_elapsed=require_elapsed, log_type=log_type, exact=True
    )
    return pl.concat([good, retried]).sort("line"), bad
