"""CLI commands for the correlation engine: ``fwcorr sweep``, ``fwcorr trace``, ``fwcorr changes``.

Each takes evidence paths (files/folders, parsed here) or the output folder of ``fwcorr parse``
(connections.parquet, rule_changes.parquet, portproxy_events.parquet), ``--iocs FILE...``,
``--config``, ``--out`` and ``--format json|csv|parquet|table``. Exit status: 0 = nothing found,
1 = findings (hits / traces / high-severity changes), 2 = usage or input error.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import polars as pl

from fwcorr.assets import Assets, build_assets
from fwcorr.context import ParseContext
from fwcorr.errors import ConfigError
from fwcorr.output import write_table
from fwcorr.schema import CONNECTION, IOC, PORTPROXY, PORTPROXY_EVENT, RULE_CHANGE, empty

OUT_FORMATS = ("json", "csv", "parquet", "table")
_PARSED = {
    "connections": CONNECTION,
    "rule_changes": RULE_CHANGE,
    "portproxy_events": PORTPROXY_EVENT,
}


@dataclass
class Evidence:
    """Normalized tables from parsed parquet and/or freshly parsed evidence files."""

    connections: pl.LazyFrame
    rule_changes: pl.DataFrame
    portproxy_events: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


def _parsed_dir(path: Path) -> bool:
    return path.is_dir() and (path / "connections.parquet").is_file()


def load_evidence(paths: tuple[str, ...], ctx: ParseContext) -> Evidence:
    """Scan `fwcorr parse` output folders; parse every other path through the runner."""
    from fwcorr.runner import parse_inputs

    scans: dict[str, list[pl.LazyFrame]] = {name: [] for name in _PARSED}
    raw = []
    for item in paths:
        p = Path(item)
        if _parsed_dir(p):
            for name in _PARSED:
                if (p / f"{name}.parquet").is_file():
                    scans[name].append(pl.scan_parquet(p / f"{name}.parquet"))
        elif p.is_file() and p.suffix == ".parquet" and p.stem in _PARSED:
            scans[p.stem].append(pl.scan_parquet(p))
        else:
            raw.append(item)
    warnings: list[str] = []
    if raw:
        run = parse_inputs(raw, ctx)
        scans["connections"].append(run.connections.lazy())
        scans["rule_changes"].append(run.rule_changes.lazy())
        scans["portproxy_events"].append(run.portproxy_events.lazy())
        warnings += run.warnings
    frames = {
        name: pl.concat(parts, how="vertical_relaxed") if parts else empty(schema).lazy()
        for name, (schema, parts) in ((n, (s, scans[n])) for n, s in _PARSED.items())
    }
    return Evidence(
        connections=frames["connections"],
        rule_changes=frames["rule_changes"].collect(),
        portproxy_events=frames["portproxy_events"].collect(),
        warnings=warnings,
    )


def harvested_proxies(events: pl.DataFrame, ctx: ParseContext) -> tuple[pl.DataFrame, list[str]]:
    """PORTPROXY table from the harvester's timeline (iocs.timeline), when it is available."""
    if events.is_empty():
        return empty(PORTPROXY), []
    try:
        from iocs import timeline
    except ImportError:
        return empty(PORTPROXY), ["port-proxy timeline not available; no proxies harvested"]
    return timeline.build(events, ctx.config).table, []


def load_iocs(files: tuple[str, ...]) -> tuple[pl.DataFrame, list[str]]:
    """IOC frame from --iocs files (iocs.iocfiles), with one warning per rejected entry."""
    if not files:
        return empty(IOC), []
    try:
        from iocs import iocfiles
    except ImportError as exc:
        raise ConfigError("IOC file loader (iocs.iocfiles) is not available") from exc
    frames, warnings = [], []
    for path in files:
        frame, rejects = iocfiles.load(path)
        frames.append(frame)
        warnings += [
            f"{r['path']}:{r['line']}: IOC rejected: {r['reason']}"
            for r in rejects.iter_rows(named=True)
        ]
    return pl.concat(frames, how="vertical_relaxed"), warnings


def _assets(ctx: ParseContext, ev: Evidence) -> Assets:
    return build_assets(ctx.config, ev.connections, ev.portproxy_events)


def emit(
    payload: dict[str, Any], frame: pl.DataFrame, fmt: str, out: str | None, name: str
) -> None:
    """Write JSON (payload) or the frame as csv/parquet/table, to --out or stdout."""
    if fmt == "json":
        text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    elif fmt == "table":
        with pl.Config(tbl_rows=200, tbl_cols=20, fmt_str_lengths=60, tbl_width_chars=200):
            text = str(frame) + "\n"
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    else:
        if not out:
            raise ConfigError(f"--format {fmt} needs --out")
        target = Path(out)
        if target.is_dir():
            target = target / name
        written = write_table(frame, target, fmt)
        click.echo(f"wrote {frame.height} rows -> {written}", err=True)


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        click.echo(f"warning: {w}", err=True)


def evidence_options(func):  # type: ignore[no-untyped-def]
    """--config/--tz/--host as `fwcorr parse` has them (kept here: fwcorr.cli imports this)."""
    func = click.option(
        "--config", "config", type=click.Path(dir_okay=False), help="Site config YAML."
    )(func)
    func = click.option(
        "--tz", "tz", multiple=True, metavar="DEVICE=ZONE", help="Time zone of a device or host."
    )(func)
    return click.option(
        "--host",
        "host",
        metavar="NAME",
        help="Host/device the files belong to when records don't say.",
    )(func)


def build_context(config: str | None, tz: tuple[str, ...], host: str | None) -> ParseContext:
    from fwcorr.cli import build_context as build

    return build(config, tz, host)


def set_exit_code(code: int) -> None:
    from fwcorr.cli import set_exit_code as set_code

    set_code(code)


def common_options(func):  # type: ignore[no-untyped-def]
    """Options shared by the engine commands."""
    func = click.option(
        "--format", "fmt", type=click.Choice(OUT_FORMATS), default="json", show_default=True
    )(func)
    func = click.option("--out", "out", type=click.Path(), help="Output file (or folder).")(func)
    func = click.option(
        "--iocs",
        "ioc_files",
        multiple=True,
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="IOC file (text, CSV or STIX 2.1); repeatable.",
    )(func)
    return evidence_options(func)


@click.command("sweep")
@click.argument("paths", nargs=-1, required=True)
@common_options
def sweep_cmd(
    paths: tuple[str, ...],
    ioc_files: tuple[str, ...],
    out: str | None,
    fmt: str,
    config: str | None,
    tz: tuple[str, ...],
    host: str | None,
) -> None:
    """Sweep connections for indicators (IOC files plus harvested port proxies)."""
    from fwcorr.sweep import ioc_warnings, iocs_from_portproxies, summarize, sweep

    ctx = build_context(config, tz, host)
    ev = load_evidence(paths, ctx)
    proxies, warnings = harvested_proxies(ev.portproxy_events, ctx)
    iocs, ioc_warn = load_iocs(ioc_files)
    iocs = pl.concat([iocs, iocs_from_portproxies(proxies)], how="vertical_relaxed").unique(
        "id", keep="first", maintain_order=True
    )
    assets = _assets(ctx, ev)
    hits = sweep(ev.connections, iocs, assets).collect(engine="streaming")
    summary = summarize(hits)
    _warn(ev.warnings + warnings + ioc_warn + ioc_warnings(iocs, assets))
    table = pl.DataFrame(summary) if summary else pl.DataFrame({"ioc_id": [], "hits": []})
    emit(
        {"schema_version": 1, "hits_summary": summary},
        hits if fmt in ("csv", "parquet") else table,
        fmt,
        out,
        "hits",
    )
    click.echo(f"{hits.height} hits for {len(summary)} of {iocs.height} indicators", err=True)
    set_exit_code(1 if summary else 0)


@click.command("trace")
@click.argument("paths", nargs=-1, required=True)
@common_options
@click.option(
    "--min-relay-pairs",
    type=int,
    default=3,
    show_default=True,
    help="Pairs needed to report an unknown relay.",
)
def trace_cmd(
    paths: tuple[str, ...],
    ioc_files: tuple[str, ...],
    out: str | None,
    fmt: str,
    config: str | None,
    tz: tuple[str, ...],
    host: str | None,
    min_relay_pairs: int,
) -> None:
    """Trace sessions relayed through port proxies and find unknown relays."""
    from fwcorr.trace import trace

    ctx = build_context(config, tz, host)
    ev = load_evidence(paths, ctx)
    proxies, warnings = harvested_proxies(ev.portproxy_events, ctx)
    _warn(ev.warnings + warnings)
    result = trace(
        ev.connections, proxies, _assets(ctx, ev), ctx.config, min_relay_pairs=min_relay_pairs
    )
    payload = {
        "schema_version": 1,
        "traces": result.traces,
        "suspected_proxies": result.suspected_proxies,
    }
    frame = result.frame if result.frame.height else pl.DataFrame({"id": []})
    if fmt == "table" and result.traces:
        frame = frame.select(
            "id",
            "origin_ip",
            "entry_ip",
            "entry_port",
            pl.col("hops").list.eval(pl.element().struct.field("host")).list.join(">").alias("via"),
            "target_ip",
            "target_port",
            "start",
            "confidence",
        )
    emit(payload, frame, fmt, out, "traces")
    click.echo(
        f"{len(result.traces)} traces, {len(result.suspected_proxies)} suspected unknown relays",
        err=True,
    )
    set_exit_code(1 if result.traces or result.suspected_proxies else 0)


@click.command("changes")
@click.argument("paths", nargs=-1, required=True)
@common_options
def changes_cmd(
    paths: tuple[str, ...],
    ioc_files: tuple[str, ...],
    out: str | None,
    fmt: str,
    config: str | None,
    tz: tuple[str, ...],
    host: str | None,
) -> None:
    """Triage firewall rule, NAT/VIP and host-firewall changes (severity and reasons)."""
    from fwcorr.changes import to_contract, triage

    ctx = build_context(config, tz, host)
    ev = load_evidence(paths, ctx)
    proxies, warnings = harvested_proxies(ev.portproxy_events, ctx)
    iocs, ioc_warn = load_iocs(ioc_files)
    _warn(ev.warnings + warnings + ioc_warn)
    frame = triage(ev.rule_changes, ev.connections, proxies, iocs, _assets(ctx, ev), ctx.config)
    rows = to_contract(frame)
    view = frame
    if fmt == "table":
        view = frame.select(
            "ts",
            "device",
            "admin",
            "operation",
            "object_type",
            "object_name",
            "severity",
            pl.col("reasons").list.join("; "),
            "use_count",
        )
    emit({"schema_version": 1, "rule_changes": rows}, view, fmt, out, "rule_changes")
    high = sum(1 for r in rows if r["severity"] == "high")
    click.echo(f"{len(rows)} rule changes, {high} high severity", err=True)
    set_exit_code(1 if high else 0)
