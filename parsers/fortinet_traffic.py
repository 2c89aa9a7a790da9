"""FortiGate traffic logs (type=traffic) -> CONNECTION rows, all as column expressions."""

from __future__ import annotations

import polars as pl

from fwcorr.schema import CONNECTION, conform
from parsers.fortinet_kv import canonical_ip
from parsers.fortinet_maps import ACTIONS, ICMP_PROTOS, PROTO_NAMES, SESSION_END

PORT_KEYS = ("srcport", "dstport", "transport", "tranport")
COUNT_KEYS = ("sentbyte", "rcvdbyte", "sentpkt", "rcvdpkt", "duration", "policyid")
IP_KEYS = ("srcip", "dstip", "transip", "tranip")
# forward-path subtypes (4.3 used allowed/violation)
FORWARD_SUBTYPES = ["forward", "multicast", "allowed", "violation"]


def _int(key: str) -> pl.Expr:
    return pl.col(key).str.to_integer(strict=False)


def checks(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(good rows with canonical IPs, bad rows with a `_reason`), validating every typed key.

    Conditions are evaluated for every row; reason text is built only for the failing rows.
    """
    rules: list[tuple[pl.Expr, pl.Expr]] = [
        (pl.col("ts_event").is_null(), pl.lit("no usable time (eventtime/date/time)")),
        (pl.col("srcip").is_null(), pl.lit("missing srcip (truncated line?)")),
        (pl.col("dstip").is_null(), pl.lit("missing dstip (truncated line?)")),
    ]
    canon: dict[str, pl.Series] = {}
    flags: dict[str, pl.Series] = {}
    for key in IP_KEYS:
        canon[key], flags[f"_{key}_ok"] = canonical_ip(frame.get_column(key))
        rules.append((~pl.col(f"_{key}_ok"), pl.lit(f"invalid {key}: ") + pl.col(key)))
    for key in PORT_KEYS:
        rules.append(
            (
                pl.col(key).is_not_null() & ~pl.col(key).str.contains(r"^[0-9]{1,5}$"),
                pl.lit(f"non-numeric {key}: ") + pl.col(key),
            )
        )
        rules.append((_int(key) > 65535, pl.lit(f"{key} out of range: ") + pl.col(key)))
    for key in COUNT_KEYS:
        rules.append(
            (
                pl.col(key).is_not_null() & ~pl.col(key).str.contains(r"^[0-9]{1,19}$"),
                pl.lit(f"non-numeric {key}: ") + pl.col(key),
            )
        )
    flagged = frame.with_columns(**flags).with_columns(
        pl.any_horizontal([cond.fill_null(False) for cond, _ in rules]).alias("_bad")
    )
    bad = flagged.filter(pl.col("_bad"))
    if bad.height:
        # reasons quote the raw text, so they are built before canonical IPs are swapped in
        bad = bad.with_columns(
            pl.coalesce([pl.when(cond.fill_null(False)).then(text) for cond, text in rules]).alias(
                "_reason"
            )
        )
    good = frame.with_columns(**canon)
    if bad.height:
        good = good.filter(~flagged.get_column("_bad"))
    return good, bad


def connections(frame: pl.DataFrame, path: str, untrusted: dict[str, list[str]]) -> pl.DataFrame:
    """CONNECTION rows from checked traffic rows (columns: line, ts_event, device, keys)."""
    proto = pl.col("proto").replace_strict(
        list(PROTO_NAMES), list(PROTO_NAMES.values()), default=pl.col("proto")
    )
    is_icmp = proto.is_in(list(ICMP_PROTOS))
    action_raw = pl.col("action").str.to_lowercase()
    duration = _int("duration")
    session_end = action_raw.is_in(list(SESSION_END)) & duration.is_not_null()
    ts_end = pl.when(session_end).then(pl.col("ts_event"))
    ts = (
        pl.when(session_end)
        .then(pl.col("ts_event") - pl.duration(seconds=duration))
        .otherwise(pl.col("ts_event"))
    )
    disp = pl.col("trandisp").str.to_lowercase()
    has_snat = disp.str.contains("snat").fill_null(
        pl.col("transip").is_not_null() & pl.col("trandisp").is_null()
    )
    has_dnat = disp.str.contains("dnat").fill_null(
        pl.col("tranip").is_not_null() & pl.col("trandisp").is_null()
    )
    unset_ip = ["0.0.0.0", "::"]
    nat_src_ip = pl.when(has_snat & ~pl.col("transip").is_in(unset_ip)).then(pl.col("transip"))
    nat_dst_ip = pl.when(has_dnat & ~pl.col("tranip").is_in(unset_ip)).then(pl.col("tranip"))
    nat_src_port = pl.when(nat_src_ip.is_not_null() & ~is_icmp).then(_int("transport"))
    nat_dst_port = pl.when(nat_dst_ip.is_not_null() & ~is_icmp).then(_int("tranport"))

    subtype = pl.col("subtype").str.to_lowercase()
    src_out = pl.col("srcintfrole").str.to_lowercase() == "wan"
    dst_out = pl.col("dstintfrole").str.to_lowercase() == "wan"
    if untrusted:
        devs = list(untrusted)
        src_cfg = pl.lit(False)
        dst_cfg = pl.lit(False)
        for dev in devs:
            names = untrusted[dev]
            src_cfg = src_cfg | ((pl.col("device") == dev) & pl.col("srcintf").is_in(names))
            dst_cfg = dst_cfg | ((pl.col("device") == dev) & pl.col("dstintf").is_in(names))
        configured = pl.col("device").is_in(devs)
        src_out = pl.when(configured).then(src_cfg).otherwise(src_out)
        dst_out = pl.when(configured).then(dst_cfg).otherwise(dst_out)
    src_out = src_out.fill_null(False)
    dst_out = dst_out.fill_null(False)
    direction = (
        pl.when(subtype == "local")
        .then(pl.lit("local"))
        .when(src_out & ~dst_out)
        .then(pl.lit("inbound"))
        .when(dst_out & ~src_out)
        .then(pl.lit("outbound"))
        .when(subtype.is_in(FORWARD_SUBTYPES) | subtype.is_null())
        .then(pl.lit("forward"))
        .otherwise(pl.lit("unknown"))
    )
    # policy 0 on a blocked forward session is FortiGate's implicit deny; on local-in traffic it
    # is the built-in local-in handling, so no rule name is invented there
    blocked = action_raw.replace_strict(ACTIONS, default="other").is_in(["deny", "drop"])
    implicit = (pl.col("policyid") == "0") & (subtype != "local") & blocked
    rule = pl.coalesce(
        pl.col("policyname"), pl.when(implicit.fill_null(False)).then(pl.lit("implicit-deny"))
    )
    sent_pkt, rcvd_pkt = _int("sentpkt"), _int("rcvdpkt")
    packets = pl.when(sent_pkt.is_null() & rcvd_pkt.is_null()).then(None)
    packets = packets.otherwise(sent_pkt.fill_null(0) + rcvd_pkt.fill_null(0))

    out = frame.lazy().select(
        ts.alias("ts"),
        ts_end.alias("ts_end"),
        pl.lit("fortinet").alias("vendor"),
        pl.col("device"),
        pl.lit("traffic").alias("log_type"),
        action_raw.replace_strict(ACTIONS, default="other").alias("action"),
        proto.alias("protocol"),
        pl.col("srcip").alias("src_ip"),
        pl.when(~is_icmp).then(_int("srcport")).alias("src_port"),
        pl.col("dstip").alias("dst_ip"),
        pl.when(~is_icmp).then(_int("dstport")).alias("dst_port"),
        nat_src_ip.alias("nat_src_ip"),
        nat_src_port.alias("nat_src_port"),
        nat_dst_ip.alias("nat_dst_ip"),
        nat_dst_port.alias("nat_dst_port"),
        direction.alias("direction"),
        rule.alias("rule"),
        pl.col("policyid").alias("rule_id"),
        _int("sentbyte").alias("bytes_out"),
        _int("rcvdbyte").alias("bytes_in"),
        packets.alias("packets"),
        duration.cast(pl.Float64).alias("duration_s"),
        pl.col("sessionid").alias("session_id"),
        pl.col("srcintf").alias("src_intf"),
        pl.col("dstintf").alias("dst_intf"),
        pl.coalesce(pl.col("app"), pl.col("service")).alias("app"),
        pl.col("user"),
        pl.col("poluuid").alias("rule_uuid"),
        pl.col("vd").alias("vsys"),
        pl.col("action").alias("end_reason"),
        pl.lit(path).alias("src_file"),
        pl.col("line").alias("src_line"),
    )
    return conform(out, CONNECTION).collect()
