"""Command-line interface. Errors become one-line messages and exit code 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fwcorr import __version__
from fwcorr.errors import ConfigError, FwcorrError, InputError
from fwcorr.inputs import census_ahead
from fwcorr.names import FORMATS, VENDORS

if TYPE_CHECKING:
    from fwcorr.context import ParseContext
    from fwcorr.runner import ParseRun

# Commands whose modules load only when used: name -> (module, attribute).
_LAZY = {
    "harvest": ("fwcorr.cli_harvest", "harvest_cmd"),
    "iocs": ("fwcorr.cli_harvest", "iocs_group"),
    "sweep": ("fwcorr.cli_engine", "sweep_cmd"),
    "trace": ("fwcorr.cli_engine", "trace_cmd"),
    "changes": ("fwcorr.cli_engine", "changes_cmd"),
}


def build_context(
    config: str | None, tz: tuple[str, ...] = (), host: str | None = None
) -> ParseContext:
    """ParseContext from the common options (--config, --tz DEVICE=ZONE, --host)."""
    from fwcorr.config import load_config
    from fwcorr.context import ParseContext
    from fwcorr.timez import normalize_zone

    ctx = ParseContext(config=load_config(config), host=host)
    for item in tz:
        name, sep, zone = item.partition("=")
        if not sep or not name.strip() or not zone.strip():
            raise ConfigError(f"--tz expects DEVICE=ZONE, got {item!r}")
        ctx.device_tz[name.strip()] = normalize_zone(zone, f"--tz zone for {name.strip()}")
    return ctx


def check_out_dir(out: Path, inputs: tuple[str, ...]) -> None:
    """Refuse to write into an evidence directory (forensic hygiene)."""
    target = out.resolve()
    for raw in inputs:
        src = Path(raw).resolve()
        base = src if src.is_dir() else src.parent
        if src.is_dir() and (target == base or base in target.parents):
            raise InputError(
                "output directory is inside the evidence; choose another --out", str(out)
            )


def summary_dict(run: ParseRun) -> dict:
    inputs = [i.to_dict() for i in run.inputs]
    totals = {
        k: sum(i[k] for i in inputs)
        for k in (
            "units",
            "records",
            "non_records",
            "rejected",
            "connections",
            "rule_changes",
            "portproxy_events",
        )
    }
    by_format: dict[str, int] = {}
    for i in inputs:
        by_format[i["format"]] = by_format.get(i["format"], 0) + 1
    return {
        "tool": {"name": "fwcorr", "version": __version__},
        "inputs": inputs,
        "totals": totals,
        "formats": by_format,
        "warnings": run.warnings,
    }


def evidence_options(func):  # type: ignore[no-untyped-def]
    """Options shared by commands that read evidence."""
    func = click.option(
        "--config", "config", type=click.Path(dir_okay=False), help="Site config YAML."
    )(func)
    func = click.option(
        "--tz", "tz", multiple=True, metavar="DEVICE=ZONE", help="Time zone of a device or host."
    )(func)
    func = click.option(
        "--host",
        "host",
        metavar="NAME",
        help="Host/device the files belong to when records don't say.",
    )(func)
    return func


class _LazyGroup(click.Group):
    """A group that imports a command's module only when that command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY and cmd_name not in self.commands:
            import importlib

            module, attr = _LAZY[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fwcorr")
def cli() -> None:
    """fwcorr: firewall-log and port-proxy correlation for incident response."""


@cli.command("parse")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="parquet", show_default=True)
@click.option("--vendor", type=click.Choice(["auto", *VENDORS]), default="auto", show_default=True)
@evidence_options
def parse_cmd(
    paths: tuple[str, ...],
    out: str,
    fmt: str,
    vendor: str,
    config: str | None,
    tz: tuple[str, ...],
    host: str | None,
) -> None:
    """Parse firewall logs into normalized tables (connections, rule changes, rejects, summary)."""
    out_dir = Path(out)
    check_out_dir(out_dir, paths)
    census_ahead(list(paths))  # hashing overlaps loading the parsers
    from fwcorr.output import write_table
    from fwcorr.runner import parse_inputs

    ctx = build_context(config, tz, host)
    run = parse_inputs(list(paths), ctx, vendor)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_table(run.connections, out_dir / "connections", fmt)
    write_table(run.rule_changes, out_dir / "rule_changes", fmt)
    if run.portproxy_events.height:
        write_table(run.portproxy_events, out_dir / "portproxy_events", fmt)
    run.rejects.write_ndjson(out_dir / "rejects.jsonl")
    summary = summary_dict(run)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    t = summary["totals"]
    click.echo(
        f"{len(run.inputs)} files: {t['units']} lines/events, {t['records']} records, "
        f"{t['non_records']} non-records, {t['rejected']} rejected; "
        f"{t['connections']} connections, {t['rule_changes']} rule changes -> {out_dir}"
    )
    for fmt_name, count in sorted(summary["formats"].items()):
        click.echo(f"  {fmt_name}: {count} file(s)")
    for warning in run.warnings:
        click.echo(f"warning: {warning}", err=True)


@cli.command("hunt")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory."
)
@click.option(
    "--iocs",
    "ioc_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="IOC file (text, CSV or STIX 2.1); repeatable.",
)
@evidence_options
def hunt_cmd(
    paths: tuple[str, ...],
    out: str,
    ioc_files: tuple[str, ...],
    config: str | None,
    tz: tuple[str, ...],
    host: str | None,
) -> None:
    """Run the whole case: parse, harvest, sweep, trace, triage changes, write findings and report.

    Exit status: 0 = no high-severity findings, 1 = high-severity findings, 2 = usage/input error.
    """
    out_dir = Path(out)
    check_out_dir(out_dir, paths)
    census_ahead(list(paths))  # hashing overlaps loading the engine
    from fwcorr.hunt import run_hunt

    ctx = build_context(config, tz, host)
    for item in ioc_files:
        if not Path(item).is_file():
            raise InputError("no such IOC file", item)
    result = run_hunt(list(paths), out_dir, ctx, list(ioc_files))
    for line in result.lines:
        click.echo(line)
    set_exit_code(result.exit_code)


def main() -> None:
    """Console entry point: map FwcorrError to exit code 2 without a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except FwcorrError as exc:
        click.echo(f"fwcorr: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(_exit_code)


_exit_code = 0


def set_exit_code(code: int) -> None:
    """Commands that report findings set the process exit code (0 or 1)."""
    global _exit_code
    _exit_code = code
