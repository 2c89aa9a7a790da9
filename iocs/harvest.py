"""Run the evidence readers over files and directories and build the port-proxy harvest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

import iocs
from fwcorr.context import ParseContext, ParseResult, reject_frame
from fwcorr.errors import FwcorrError, InputError
from fwcorr.inputs import Source, iter_sources
from fwcorr.schema import PORTPROXY_EVENT, REJECT
from iocs import indicators, timeline


@dataclass
class Collected:
    """Every file looked at, what read it, and the port-proxy events found."""

    inputs: list[dict[str, Any]] = field(default_factory=list)
    events: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PORTPROXY_EVENT))
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT))


def read_source(source: Source, ctx: ParseContext) -> ParseResult | None:
    """The first evidence reader that claims the file parses it; None when none does."""
    try:
        if source.size == 0:
            return None
        for module in iocs.SOURCES.values():
            if module.sniff(source):
                return module.parse(source, ctx)
    except FwcorrError as exc:
        res = ParseResult(format="error", units=1)
        res.rejects = reject_frame(source.display, [(exc.line or 0, exc.message, "")])
        return res
    return None


def collect(paths: list[str], ctx: ParseContext) -> Collected:
    """Walk `paths`, sniff every file with iocs.SOURCES and gather PORTPROXY_EVENT rows."""
    sources = list(iter_sources(paths))
    if not sources:
        raise InputError("no input files found", ", ".join(map(str, paths)))
    out = Collected()
    frames, rejects = [], []
    for source in sources:
        res = read_source(source, ctx)
        entry: dict[str, Any] = {
            "path": source.display,
            "format": "other",
        }  # not port-proxy evidence
        if res is not None:
            entry.update(
                format=res.format,
                units=res.units,
                unit_kind=res.unit_kind,
                records=res.records,
                non_records=res.non_records,
                rejected=res.rejected,
                portproxy_events=res.portproxy_events.height,
                host_source=res.stats.get("host_source"),
                warnings=res.warnings,
            )
            frames.append(res.portproxy_events)
            rejects.append(res.rejects)
        out.inputs.append(entry)
    if frames:
        out.events = pl.concat(frames, how="vertical")
    if rejects:
        out.rejects = pl.concat(rejects, how="vertical")
    return out


def document(events: pl.DataFrame, ctx: ParseContext) -> dict[str, Any]:
    """The harvest document: {"portproxies", "attempts", "iocs"} (contract shapes)."""
    harvest = timeline.build(events, ctx.config)
    return {
        "portproxies": harvest.portproxies,
        "attempts": harvest.attempts,
        "iocs": indicators.to_contract(indicators.from_harvest(harvest)),
    }
