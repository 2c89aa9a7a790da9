"""Windows Firewall evidence: pfirewall.log and event logs (EVTX, event XML, ECS/Get-WinEvent JSON)."""

from __future__ import annotations

from fwcorr.context import ParseContext, ParseResult, reject_frame
from fwcorr.eventlog import read_events, sniff_container
from fwcorr.inputs import Source
from parsers import pfirewall, winevent

NAME = "windows"


def sniff(source: Source) -> bool:
    """A pfirewall.log or any Windows event-log container."""
    return pfirewall.sniff(source) or sniff_container(source) is not None


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    """Dispatch to the pfirewall parser or the event-log reader and firewall/WFP mapping."""
    if sniff_container(source) is None and pfirewall.sniff(source):
        return pfirewall.parse(source, ctx)
    events = read_events(source)
    result = ParseResult(format=events.container, unit_kind="events")
    result.units = events.units
    result.records = len(events.records)
    result.rejects = reject_frame(source.display, events.rejects)
    computers = sorted({r.computer for r in events.records if r.computer})
    fallback, rule = (None, None)
    if any(r.computer is None for r in events.records):
        fallback, rule = ctx.host_for(source)
        result.stats.update({"host": fallback, "host_source": rule})
    result.connections, result.rule_changes, stats = winevent.map_events(
        events, source.display, fallback
    )
    result.stats.update(stats)
    result.stats["container"] = events.container
    result.stats["computers"] = computers
    if events.rejects:
        result.warnings.append(f"{len(events.rejects)} event(s) could not be read")
    return result
