"""`fwcorr hunt`: parse, harvest, sweep, trace and triage a case; write findings and reports."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from tqdm import tqdm

from fwcorr import __version__
from fwcorr.context import ParseContext
from fwcorr.output import write_parquet
from fwcorr.runner import ParseRun, iso, parse_inputs
from fwcorr.schema import IOC

SCHEMA_VERSION = 1
_RANK = {"high": 3, "medium": 2, "low": 1, "none": 0, "info": 0}


@dataclass
class HuntResult:
    findings: dict[str, Any]
    exit_code: int
    out_dir: Path
    report: Path | None = None
    lines: list[str] = field(default_factory=list)


def _stage(bar: tqdm, name: str) -> None:
    bar.set_description(name)
    bar.update(1)


def run_hunt(
    paths: list[str],
    out_dir: Path,
    ctx: ParseContext,
    ioc_files: list[str] | None = None,
    progress: bool | None = None,
) -> HuntResult:
    """Run every stage over the case and write the CONTRACT outputs into `out_dir`."""
    from fwcorr import assets as assets_mod
    from fwcorr import changes, sweep, trace
    from iocs import indicators, iocfiles, timeline

    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=7, desc="hunt", unit="stage", disable=not show, file=sys.stderr)
    run = parse_inputs(paths, ctx, progress=show)
    _stage(bar, "harvest")
    harvest = timeline.build(run.portproxy_events, ctx.config)
    ioc_frames = [indicators.from_harvest(harvest)]
    rejects = [run.rejects]
    for path in ioc_files or []:
        frame, bad = iocfiles.load(path)
        ioc_frames.append(frame)
        rejects.append(bad)
    ioc_table = pl.concat([f.select(IOC.names()).cast(dict(IOC)) for f in ioc_frames]).unique(
        subset=["id"], keep="first", maintain_order=True
    )
    _stage(bar, "assets")
    assets = assets_mod.build_assets(ctx.config, run.connections, run.portproxy_events)
    _stage(bar, "sweep")
    hits = sweep.sweep(run.connections.lazy(), ioc_table, assets).collect()
    _stage(bar, "trace")
    traced = trace.trace(run.connections, harvest.table, assets, ctx.config)
    _stage(bar, "changes")
    triaged = changes.triage(
        run.rule_changes, run.connections, harvest.table, ioc_table, assets, ctx.config
    )
    _stage(bar, "findings")
    findings = build_findings(
        run,
        harvest,
        ioc_table,
        hits,
        sweep.summarize(hits),
        traced,
        changes.to_contract(triaged),
        assets,
        ctx.config,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_outputs(out_dir, run, harvest, hits, triaged, traced, pl.concat(rejects), findings)
    _stage(bar, "report")
    from fwcorr.report import write_report

    extras = {
        "legs": traced.legs,
        "suspected_proxies": traced.suspected_proxies,
        "attempts": harvest.attempts,
    }
    report = write_report(findings, out_dir, extras)
    bar.close()
    code = 1 if has_high(findings) else 0
    return HuntResult(findings, code, out_dir, report, summary_lines(findings, out_dir, report))


def has_high(findings: dict[str, Any]) -> bool:
    """High-severity findings: a high-risk proxy, a trace, a high rule change or a highly exposed host."""
    return (
        any(p.get("risk") == "high" for p in findings["portproxies"])
        or bool(findings["traces"])
        or any(c.get("severity") == "high" for c in findings["rule_changes"])
        or any(h.get("exposure") == "high" for h in findings["hosts"])
    )


def _canonical_host(name: str, assets: Any, config: Any) -> str:
    """The configured spelling of a host (FQDN or IP as logged -> WEB01), else the name itself."""
    known = config.find_host(name)
    if known is not None:
        return known.name
    return assets.host_for_ip(name) or name


def _input_entries(run: ParseRun, assets: Any, config: Any) -> list[dict[str, Any]]:
    """CONTRACT `inputs`, extended with counts, devices, warnings and evidence gaps."""
    named: list[pl.DataFrame] = [
        frame.select("src_file", pl.col("device").alias("name"))
        for frame in (run.connections, run.rule_changes)
        if frame.height
    ]
    if run.portproxy_events.height:
        named.append(
            run.portproxy_events.select("src_file", pl.coalesce("logged_by", "host").alias("name"))
        )
    devices: dict[str, list[str]] = {}
    if named:
        grouped = (
            pl.concat(named).drop_nulls().unique().group_by("src_file").agg(pl.col("name").sort())
        )
        for path, names in grouped.iter_rows():
            devices[path] = sorted({_canonical_host(n, assets, config) for n in names})
    entries = []
    for i in sorted(run.inputs, key=lambda item: item.path):
        entries.append(
            {
                "path": i.path,
                "sha256": i.sha256,
                "bytes": i.bytes,
                "format": i.format,
                "records": i.records,
                "rejected": i.rejected,
                "first_ts": i.first_ts,
                "last_ts": i.last_ts,
                "units": i.units,
                "unit_kind": i.unit_kind,
                "non_records": i.non_records,
                "connections": i.connections,
                "rule_changes": i.rule_changes,
                "portproxy_events": i.portproxy_events,
                "devices": devices.get(i.path, []),
                "device": ", ".join(devices.get(i.path, [])) or None,
                "events_lost": int(i.stats.get("events_lost", 0) or 0),
                "warnings": sorted(i.warnings),
            }
        )
    return entries


def _inbound_exposure(
    connections: pl.DataFrame, ips: list[str], assets: Any
) -> list[dict[str, Any]]:
    """Ports of a host reached from untrusted (external) sources: by whom, when, bytes."""
    if not ips or not connections.height:
        return []
    dst_ip = pl.coalesce("nat_dst_ip", "dst_ip")
    dst_port = pl.coalesce("nat_dst_port", "dst_port")
    frame = (
        connections.lazy()
        .filter(
            (pl.col("action") == "allow") & dst_ip.is_in(ips) & assets.is_external(pl.col("src_ip"))
        )
        .group_by(dst_port.alias("port"))
        .agg(
            pl.len().alias("sessions"),
            pl.col("src_ip").n_unique().alias("sources"),
            pl.col("src_ip").unique().sort().head(10).alias("top_sources"),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
            pl.col("bytes_out").sum().alias("bytes_out"),
            pl.col("bytes_in").sum().alias("bytes_in"),
            pl.col("device").unique().sort().alias("devices"),
        )
        .sort("port")
        .collect()
    )
    return [
        {
            "port": r["port"],
            "sessions": r["sessions"],
            "sources": r["sources"],
            "peers": r["top_sources"],
            "first": iso(r["first"]),
            "last": iso(r["last"]),
            "bytes_out": r["bytes_out"],
            "bytes_in": r["bytes_in"],
            "bytes": (r["bytes_out"] or 0) + (r["bytes_in"] or 0),
            "devices": r["devices"],
        }
        for r in frame.iter_rows(named=True)
    ]


def _host_entries(
    run: ParseRun,
    portproxies: list[dict[str, Any]],
    traces: list[dict[str, Any]],
    changes: list[dict[str, Any]],
    hits: pl.DataFrame,
    assets: Any,
    config: Any,
) -> list[dict[str, Any]]:
    """CONTRACT `hosts`: every known Windows host/asset with its exposure, highest first."""
    names: dict[str, str] = {}
    for name in [
        *config.hosts,
        *(p["host"] for p in portproxies),
        *(h["host"] for t in traces for h in t["hops"]),
    ]:
        names.setdefault(name.lower(), name)
    for t in traces:
        owner = assets.host_for_ip(t["target_ip"])
        if owner:
            names.setdefault(owner.lower(), owner)
    entries = []
    for key in sorted(names):
        host = names[key]
        ips = sorted(
            set(assets.host_ips(host))
            | {ip for p in portproxies if p["host"] == host for ip in p.get("host_ips", [])}
        )
        proxies = [p for p in portproxies if p["host"].lower() == key]
        through = [
            t
            for t in traces
            if any(h["host"].lower() == key for h in t["hops"]) or t["target_ip"] in ips
        ]
        exposing = [
            c
            for c in changes
            if c["severity"] in ("high", "medium")
            and (
                any(ip in (c.get("targets") or []) for ip in ips)
                or any(ip in reason for ip in ips for reason in c["reasons"])
            )
        ]
        ioc_hits = 0
        if ips and hits.height:
            ioc_hits = int(
                hits.filter(
                    pl.any_horizontal(
                        pl.col(c).is_in(ips) for c in ("src_ip", "dst_ip", "nat_dst_ip")
                    )
                ).height
            )
        level = "none"
        if (
            any(p["risk"] == "high" for p in proxies)
            or through
            or any(c["severity"] == "high" for c in exposing)
        ):
            level = "high"
        elif any(p["risk"] == "medium" for p in proxies) or exposing or ioc_hits:
            level = "medium"
        elif proxies:
            level = "low"
        entries.append(
            {
                "host": host,
                "ips": ips,
                "exposure": level,
                "portproxies": len(proxies),
                "traces": len(through),
                "rule_changes": len(exposing),
                "ioc_hits": ioc_hits,
                "inbound": _inbound_exposure(run.connections, ips, assets),
            }
        )
    entries.sort(
        key=lambda e: (-_RANK[e["exposure"]], -e["traces"], -e["portproxies"], e["host"].lower())
    )
    return entries


def build_findings(
    run: ParseRun,
    harvest: Any,
    ioc_table: pl.DataFrame,
    hits: pl.DataFrame,
    hits_summary: list[dict[str, Any]],
    traced: Any,
    changes: list[dict[str, Any]],
    assets: Any,
    config: Any,
) -> dict[str, Any]:
    """The CONTRACT findings.json document (deterministic apart from generated_at)."""
    from iocs import indicators

    traces = traced.traces
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "fwcorr", "version": __version__},
        "generated_at": iso(datetime.now(UTC).replace(microsecond=0)),
        "inputs": _input_entries(run, assets, config),
        "portproxies": harvest.portproxies,
        "attempts": harvest.attempts,
        "iocs": indicators.to_contract(ioc_table),
        "hits_summary": hits_summary,
        "traces": traces,
        "suspected_proxies": traced.suspected_proxies,
        "rule_changes": changes,
        "hosts": _host_entries(run, harvest.portproxies, traces, changes, hits, assets, config),
        "assets": [
            {"host": h, "ip": ip, "source": src}
            for h, ip, src in assets.mappings.select("host", "ip", "source").iter_rows()
        ],
        "totals": {
            "inputs": len(run.inputs),
            "records": sum(i.records for i in run.inputs),
            "rejected": sum(i.rejected for i in run.inputs),
            "connections": run.connections.height,
            "rule_changes": run.rule_changes.height,
            "portproxy_events": run.portproxy_events.height,
            "events_lost": sum(int(i.stats.get("events_lost", 0) or 0) for i in run.inputs),
        },
    }


def write_outputs(
    out_dir: Path,
    run: ParseRun,
    harvest: Any,
    hits: pl.DataFrame,
    triaged: pl.DataFrame,
    traced: Any,
    rejects: pl.DataFrame,
    findings: dict[str, Any],
) -> None:
    """findings.json, the parquet tables and rejects.jsonl."""
    (out_dir / "findings.json").write_text(
        json.dumps(findings, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    write_parquet(run.connections, out_dir / "connections.parquet")
    write_parquet(triaged, out_dir / "rule_changes.parquet")  # reasons: List(String) already
    write_parquet(hits, out_dir / "hits.parquet")
    write_parquet(harvest.table, out_dir / "portproxies.parquet")
    write_parquet(run.portproxy_events, out_dir / "portproxy_events.parquet")
    write_parquet(traced.frame, out_dir / "traces.parquet")
    rejects.sort("path", "line").write_ndjson(out_dir / "rejects.jsonl")


def summary_lines(findings: dict[str, Any], out_dir: Path, report: Path | None) -> list[str]:
    """The final human summary printed on stdout."""
    formats: dict[str, int] = {}
    for i in findings["inputs"]:
        formats[i["format"]] = formats.get(i["format"], 0) + 1
    t = findings["totals"]
    high_changes = sum(1 for c in findings["rule_changes"] if c["severity"] == "high")
    high_proxies = sum(1 for p in findings["portproxies"] if p["risk"] == "high")
    lines = [
        f"inputs: {t['inputs']} file(s) — "
        + ", ".join(f"{k}: {v}" for k, v in sorted(formats.items())),
        f"records: {t['records']}, rejected: {t['rejected']}, events lost (logger gaps): {t['events_lost']}",
        f"port proxies: {len(findings['portproxies'])} ({high_proxies} high risk), "
        f"invalid attempts: {len(findings['attempts'])}",
        f"IOC hits: {sum(h['hits'] for h in findings['hits_summary'])} across {len(findings['hits_summary'])} indicator(s)",
        f"traces: {len(findings['traces'])} relayed session(s); suspected unknown proxies: {len(findings['suspected_proxies'])}",
        f"rule changes: {len(findings['rule_changes'])} ({high_changes} high severity)",
        "hosts by exposure: "
        + (
            ", ".join(
                f"{h['host']}={h['exposure']}" for h in findings["hosts"] if h["exposure"] != "none"
            )
            or "none exposed"
        ),
        f"findings: {out_dir / 'findings.json'}",
    ]
    if report is not None:
        lines.append(f"report: {report}")
    return lines
