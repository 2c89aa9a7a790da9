"""`fwcorr harvest` and `fwcorr iocs export`: port-proxy timeline and indicators from evidence."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import click
import yaml

from fwcorr.config import load_config
from fwcorr.context import ParseContext
from fwcorr.output import neutralise_formulas
from iocs import export, indicators, timeline
from iocs.harvest import collect, document

HARVEST_FORMATS = ("json", "csv", "yaml", "table")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def _clean(value: Any) -> str:
    """Terminal-safe text: log content may carry escape sequences."""
    return _CONTROL.sub("?", "" if value is None else str(value))


def _context(config: str | None, host: str | None) -> ParseContext:
    return ParseContext(config=load_config(config), host=host)


def render(doc: dict[str, Any], fmt: str) -> str:
    """The harvest document in one of HARVEST_FORMATS."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if fmt == "csv":
        return _csv(doc["portproxies"])
    return _table(doc)


_PROXY_CSV_COLUMNS = (
    "proxy_id",
    "host",
    "host_ips",
    "family",
    "listen_address",
    "listen_port",
    "connect_address",
    "connect_port",
    "first_seen",
    "removed_at",
    "risk",
    "risk_reasons",
    "operations",
    "evidence",
)


def _csv(proxies: list[dict[str, Any]]) -> str:
    """Port proxies as CSV with a fixed column set (header even when there are none)."""
    return _flat_csv(proxies, _PROXY_CSV_COLUMNS)


def _flat_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] | None = None) -> str:
    """Rows of dicts as CSV (nested values as JSON), spreadsheet formulas neutralised."""
    import polars as pl

    if not rows and not columns:
        return ""
    cols = list(columns or rows[0])
    flat = [
        {
            c: (json.dumps(r.get(c)) if isinstance(r.get(c), (list, dict)) else r.get(c))
            for c in cols
        }
        for r in rows
    ]
    frame = pl.DataFrame(flat, schema={c: pl.String for c in cols}, strict=False)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    writer.writerows(neutralise_formulas(frame).rows())
    return buf.getvalue()


def _table(doc: dict[str, Any]) -> str:
    lines = [f"port proxies: {len(doc['portproxies'])}"]
    for p in doc["portproxies"]:
        state = f"removed {p['removed_at']}" if p["removed_at"] else "active"
        lines.append(
            f"  [{p['risk']}] {_clean(p['host'])} {p['family']} "
            f"{_clean(p['listen_address'])}:{p['listen_port']} -> "
            f"{_clean(p['connect_address'])}:{p['connect_port']}  "
            f"first seen {p['first_seen'] or 'unknown'}, {state}"
        )
        for op in p["operations"]:
            lines.append(
                f"      {op['ts'] or 'undated':<27} {op['op']:<7} {_clean(op['user'] or '')}"
            )
        for reason in p["risk_reasons"]:
            lines.append(f"      - {_clean(reason)}")
        lines.append(f"      evidence: {len(p['evidence'])} item(s)")
    lines.append(f"attempts (invalid commands): {len(doc['attempts'])}")
    for a in doc["attempts"]:
        ev = a["evidence"]
        lines.append(
            f"  {a['ts'] or 'undated'} {_clean(a['host'])} {a['op']}: {_clean(a['reason'])}"
            f"  ({_clean(ev['path'])}:{ev['line']})"
        )
    lines.append(f"indicators: {len(doc['iocs'])}")
    for i in doc["iocs"]:
        lines.append(f"  {i['kind']:<13} {_clean(i['value']):<40} {i['role']}")
    return "\n".join(lines) + "\n"


def _write(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@click.command("harvest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write to FILE, not stdout.")
@click.option(
    "--format", "fmt", type=click.Choice(HARVEST_FORMATS), default="json", show_default=True
)
@click.option("--host", "host", metavar="NAME", help="Host of files whose evidence doesn't say.")
@click.option("--config", "config", type=click.Path(dir_okay=False), help="Site config YAML.")
def harvest_cmd(
    paths: tuple[str, ...], out: str | None, fmt: str, host: str | None, config: str | None
) -> None:
    """Harvest netsh portproxy evidence: proxies per host, invalid attempts, indicators."""
    ctx = _context(config, host)
    got = collect(list(paths), ctx)
    doc = document(got.events, ctx)
    _write(render(doc, fmt), out)
    if fmt == "csv" and out:
        # CSV holds one table: attempts and indicators go beside the proxies file
        base = Path(out)
        _write(_flat_csv(doc["attempts"]), str(base.with_name(base.stem + ".attempts.csv")))
        _write(_flat_csv(doc["iocs"]), str(base.with_name(base.stem + ".iocs.csv")))
    formats: dict[str, int] = {}
    for entry in got.inputs:
        formats[entry["format"]] = formats.get(entry["format"], 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(formats.items()))
    click.echo(
        f"{len(got.inputs)} file(s) ({summary}); {got.events.height} port-proxy event(s), "
        f"{got.rejects.height} rejected line(s)",
        err=True,
    )
    for entry in got.inputs:
        for w in entry.get("warnings") or []:
            click.echo(f"warning: {_clean(entry['path'])}: {_clean(w)}", err=True)


@click.group("iocs")
def iocs_group() -> None:
    """Indicator utilities."""


@iocs_group.command("export")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(tuple(export.EXPORTERS)), default="stix", show_default=True
)
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write to FILE, not stdout.")
@click.option("--host", "host", metavar="NAME", help="Host of files whose evidence doesn't say.")
@click.option("--config", "config", type=click.Path(dir_okay=False), help="Site config YAML.")
def export_cmd(
    paths: tuple[str, ...], fmt: str, out: str | None, host: str | None, config: str | None
) -> None:
    """Export the indicators harvested from PATHS as STIX 2.1, CSV or plain text."""
    ctx = _context(config, host)
    got = collect(list(paths), ctx)
    iocs = indicators.from_harvest(timeline.build(got.events, ctx.config))
    _write(export.EXPORTERS[fmt](iocs), out)
