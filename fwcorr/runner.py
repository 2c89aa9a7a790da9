"""Route every input file to its parser and/or harvester and gather the normalized tables."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Any

import polars as pl
from tqdm import tqdm

import iocs
import parsers
from fwcorr import census
from fwcorr.context import ParseContext, ParseResult, reject_frame
from fwcorr.errors import FwcorrError, InputError
from fwcorr.inputs import Source, iter_sources
from fwcorr.schema import CONNECTION, PORTPROXY_EVENT, REJECT, RULE_CHANGE, empty
from fwcorr.timez import iso_z


@dataclass
class InputSummary:
    """Per-file inventory entry: identity, routing and reconciled counts."""

    path: str
    sha256: str
    bytes: int
    format: str
    units: int = 0
    unit_kind: str = "lines"
    records: int = 0
    non_records: int = 0
    rejected: int = 0
    connections: int = 0
    rule_changes: int = 0
    portproxy_events: int = 0
    first_ts: str | None = None
    last_ts: str | None = None
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """As a dict, with `lines` (text files) or `events` (event logs) naming the units."""
        out = asdict(self)
        out["lines" if self.unit_kind == "lines" else "events"] = self.units
        return out


@dataclass
class ParseRun:
    inputs: list[InputSummary] = field(default_factory=list)
    connections: pl.DataFrame = field(default_factory=lambda: empty(CONNECTION))
    rule_changes: pl.DataFrame = field(default_factory=lambda: empty(RULE_CHANGE))
    portproxy_events: pl.DataFrame = field(default_factory=lambda: empty(PORTPROXY_EVENT))
    rejects: pl.DataFrame = field(default_factory=lambda: empty(REJECT))

    @property
    def warnings(self) -> list[str]:
        return [f"{i.path}: {w}" for i in self.inputs for w in i.warnings]


iso = iso_z  # one ISO-8601 Z formatter for all output


def _claim(
    registry: Mapping[str, ModuleType], source: Source, only: str | None
) -> ModuleType | None:
    for name in registry:
        if only not in (None, "auto", name):
            continue
        module = registry[name]
        if module.sniff(source):
            return module
    return None


def _digest(source: Source) -> str:
    try:
        return source.sha256
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source.display) from exc


def parse_source(
    source: Source, ctx: ParseContext, vendor: str | None = None
) -> tuple[InputSummary, ParseResult]:
    """Parse one file while its SHA-256 is computed alongside: by the background census when
    census_ahead started one (asked for only after parsing, so it keeps its low priority), else
    in a second thread here (hashing releases the GIL)."""
    if census.started(source.path):
        summary, result = _parse_source(source, ctx, vendor)
        summary.sha256 = _digest(source)
        return summary, result
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_digest, source)
        summary, result = _parse_source(source, ctx, vendor)
        summary.sha256 = digest.result()
    return summary, result


def _parse_source(
    source: Source, ctx: ParseContext, vendor: str | None = None
) -> tuple[InputSummary, ParseResult]:
    """Parse one file; a failure becomes a reject for that file, never an abort of the run."""
    summary = InputSummary(path=source.display, sha256="", bytes=source.size, format="unknown")
    result = ParseResult(format="unknown")
    parser: ModuleType | None = None
    try:
        if source.size == 0:
            summary.format = "empty"
            return summary, result
        parser = _claim(parsers.PARSERS, source, vendor)
        harvester = _claim(iocs.SOURCES, source, None) if vendor in (None, "auto") else None
        if parser is not None:
            result = parser.parse(source, ctx)
            if harvester is not None:
                extra = harvester.parse(source, ctx)
                result.portproxy_events = pl.concat(
                    [result.portproxy_events, extra.portproxy_events]
                )
                result.warnings.extend(extra.warnings)
        elif harvester is not None:
            result = harvester.parse(source, ctx)
        else:
            summary.format = "unknown"
            summary.stats["binary"] = source.is_binary
            return summary, result
    except FwcorrError as exc:
        result = ParseResult(format=summary.format if parser is None else parser.NAME)
        result.rejects = reject_frame(
            source.display, [(exc.line or 0, f"file not parsed: {exc.message}", "")]
        )
    summary.format = result.format
    summary.units, summary.unit_kind = result.units, result.unit_kind
    summary.records, summary.non_records, summary.rejected = (
        result.records,
        result.non_records,
        result.rejected,
    )
    summary.connections = result.connections.height
    summary.rule_changes = result.rule_changes.height
    summary.portproxy_events = result.portproxy_events.height
    summary.warnings = list(dict.fromkeys(result.warnings))
    summary.stats = dict(result.stats)
    stamps = [
        s
        for s in (
            result.connections.get_column("ts"),
            result.rule_changes.get_column("ts"),
            result.portproxy_events.get_column("ts"),
        )
        if s.len() and s.null_count() < s.len()
    ]
    if stamps:
        summary.first_ts = iso(min(s.min() for s in stamps))  # type: ignore[type-var]
        summary.last_ts = iso(max(s.max() for s in stamps))  # type: ignore[type-var]
    return summary, result


def parse_inputs(
    paths: list[str], ctx: ParseContext, vendor: str | None = None, progress: bool | None = None
) -> ParseRun:
    """Walk, sniff and parse everything under `paths`."""
    sources = list(iter_sources(paths))
    if not sources:
        raise InputError("no input files found", ", ".join(map(str, paths)))
    show = sys.stderr.isatty() if progress is None else progress
    run = ParseRun()
    conns, changes, events, rejects = [], [], [], []
    for source in tqdm(sources, desc="parse", unit="file", disable=not show, file=sys.stderr):
        summary, result = parse_source(source, ctx, vendor)
        run.inputs.append(summary)
        conns.append(result.connections)
        changes.append(result.rule_changes)
        events.append(result.portproxy_events)
        rejects.append(result.rejects)
    run.connections = pl.concat(conns, how="vertical") if conns else run.connections
    run.rule_changes = pl.concat(changes, how="vertical") if changes else run.rule_changes
    run.portproxy_events = pl.concat(events, how="vertical") if events else run.portproxy_events
    run.rejects = pl.concat(rejects, how="vertical") if rejects else run.rejects
    return run
