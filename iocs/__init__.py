"""Indicator harvesting (netsh portproxy evidence) and IOC files.

SOURCES is the explicit registry of evidence readers; each module has NAME, sniff(source) and
parse(source, ctx) -> ParseResult carrying `portproxy_events`.
"""

from __future__ import annotations

from types import ModuleType

from iocs import (
    src_cmdlines,
    src_eventlog,
    src_mde,
    src_netsh_output,
    src_regfile,
    src_regquery,
    src_velociraptor,
)

# Order matters: the first reader whose sniff() claims a file harvests it (most specific first).
SOURCES: dict[str, ModuleType] = {
    "velociraptor": src_velociraptor,
    "mde": src_mde,
    "eventlog": src_eventlog,
    "regfile": src_regfile,
    "reg_query": src_regquery,
    "netsh_output": src_netsh_output,
    "cmdlines": src_cmdlines,
}
