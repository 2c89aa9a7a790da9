"""Steps shared by the PAN-OS syslog and Web-export paths: device, zone, mapping, counting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from fwcorr.schema import CONNECTION, EXCERPT_CHARS, REJECT, RULE_CHANGE, conform
from parsers.paloalto_config import to_rule_changes
from parsers.paloalto_split import tidy
from parsers.paloalto_time import TZ_SOURCES
from parsers.paloalto_traffic import to_connections

NAME = "paloalto"


@dataclass
class Pending:
    """Named-field frames per log type, plus rows already settled, for one file."""

    traffic: list[pl.DataFrame] = field(default_factory=list)
    threat: list[pl.DataFrame] = field(default_factory=list)
    config: list[pl.DataFrame] = field(default_factory=list)
    other_types: dict[str, int] = field(default_factory=dict)
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    excerpts: dict[int, str] = field(default_factory=dict)  # known texts of rejected lines
    non_records: int = 0


def in_line_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in line order. Splitting appends re-split rows (THREAT/CONFIG after a fast TRAFFIC
    read, realigned headers, quoted lines) instead of sorting the wide frame of all fields;
    each log type's own, narrower frame is sorted here, and only when it needs it."""
    return frame if frame.get_column("line").is_sorted() else frame.sort("line")


def resolve_device(frame: pl.DataFrame, ctx: ParseContext, source: Source) -> pl.DataFrame:
    """device = device_name field, else serial via site config, else header host, else file host."""
    fallback, _ = ctx.host_for(source)
    serials = {d.serial: d.name for d in ctx.config.devices.values() if d.serial}
    parts = []
    frame = tidy(frame, ["device_name", "serial"])
    if "device_name" in frame.columns:
        parts.append(pl.col("device_name"))
    if serials and "serial" in frame.columns:
        parts.append(pl.col("serial").replace_strict(serials, default=None))
    if "hdr_host" in frame.columns:
        parts.append(pl.col("hdr_host"))
    parts.append(pl.lit(fallback, pl.String))
    named = frame.get_column("device_name") if "device_name" in frame.columns else None
    if named is not None and named.null_count() == 0:  # the usual case: no copy
        frame = frame.with_columns(named.alias("device"))
    else:
        frame = frame.with_columns(pl.coalesce(parts).alias("device"))
    zones: dict[str, str] = {}
    if ctx.device_tz or any(d.timezone for d in ctx.config.devices.values()):
        devices = frame.get_column("device").unique().drop_nulls().to_list()
        zones = {d: z for d in devices if (z := ctx.zone_for_device(d)[0])}
    zone = (
        pl.col("device").replace_strict(zones, default=None, return_dtype=pl.String)
        if zones
        else pl.lit(None, pl.String)
    )
    if "hdr_offset" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Int32).alias("hdr_offset"))
    return frame.with_columns(zone.alias("zone"))


def _zones(frames: list[pl.DataFrame]) -> list[str]:
    out: set[str] = set()
    for f in frames:
        out.update(z for z in f.get_column("zone").unique().to_list() if z)
    return sorted(out)


def finish(
    pending: Pending,
    ctx: ParseContext,
    source: Source,
    units: int,
    texts: Callable[[list[int]], dict[int, str]],
    *,
    require_elapsed: bool,
    stats: dict[str, Any],
) -> ParseResult:
    """Map, gather rejects with excerpts, count, and warn about UTC fallbacks."""
    result = ParseResult(format=NAME, units=units)
    cfg = ctx.config
    conns, changes, tz_rows = [], [], []
    by_type: dict[str, int] = dict(pending.other_types)
    rejects = list(pending.rejects)
    for log_type, frames in (("TRAFFIC", pending.traffic), ("THREAT", pending.threat)):
        for frame in frames:
            frame = resolve_device(frame, ctx, source)
            good, bad = to_connections(
                frame,
                cfg,
                _zones([frame]),
                require_elapsed=require_elapsed and log_type == "TRAFFIC",
                log_type=log_type,
            )
            rejects.extend(bad.iter_rows())
            if good.height:
                by_type[log_type] = by_type.get(log_type, 0) + good.height
                tz_rows.append(good.select("device", pl.col("__tzsrc").alias("tz")))
                conns.append(
                    good.with_columns(
                        pl.lit(source.display).alias("src_file"), pl.col("line").alias("src_line")
                    )
                )
    for frame in pending.config:
        frame = resolve_device(frame, ctx, source)
        if frame.height and (
            "raw" not in frame.columns or frame.get_column("raw").null_count() == frame.height
        ):
            got = texts(frame.get_column("line").to_list())
            frame = frame.with_columns(
                pl.col("line")
                .replace_strict(got, default=None, return_dtype=pl.String)
                .alias("raw")
            )
        good, bad = to_rule_changes(frame, _zones([frame]))
        rejects.extend(bad.iter_rows())
        if good.height:
            by_type["CONFIG"] = by_type.get("CONFIG", 0) + good.height
            tz_rows.append(good.select("device", pl.col("__tzsrc").alias("tz")))
            changes.append(good.with_columns(pl.lit(source.display).alias("src_file")))
    if conns:
        result.connections = conform(pl.concat(conns, how="diagonal_relaxed"), CONNECTION).collect(
            engine="in-memory"  # the streaming engine would copy every passed-through column
        )
    if changes:
        result.rule_changes = conform(
            pl.concat(changes, how="diagonal_relaxed"), RULE_CHANGE
        ).collect()
    if rejects:
        lines = sorted({n for n, _ in rejects} - set(pending.excerpts))
        got = {**texts(lines), **pending.excerpts}
        rows = sorted(rejects)
        result.rejects = pl.DataFrame(
            {
                "path": [source.display] * len(rows),
                "line": [n for n, _ in rows],
                "reason": [r for _, r in rows],
                "excerpt": [(got.get(n) or "")[:EXCERPT_CHARS] for n, _ in rows],
            },
            schema=REJECT,
        )
    result.non_records = pending.non_records
    result.records = sum(by_type.values())
    stats["by_type"] = dict(sorted(by_type.items()))
    if tz_rows:
        tz = pl.concat(tz_rows)
        counts = dict(tz.group_by("tz").len().sort("tz").iter_rows())
        stats["tz_source"] = {TZ_SOURCES[k]: v for k, v in counts.items()}
        utc = (
            tz.filter(pl.col("tz") == TZ_SOURCES.index("utc"))
            .get_column("device")
            .unique()
            .sort(nulls_last=True)
        )
        for dev in utc.to_list():
            result.warnings.append(
                f"device {dev or '(unknown)'}: no time zone known, times taken as UTC "
                f"(give --tz {dev or 'DEVICE'}=ZONE or a timezone in the site config)"
            )
    devices = set()
    for f in (result.connections, result.rule_changes):
        devices.update(d for d in f.get_column("device").unique().to_list() if d)
    stats["devices"] = sorted(devices)
    stats["file_host"], stats["host_source"] = ctx.host_for(source)
    result.stats = stats
    return result
