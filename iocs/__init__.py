"""Indicator harvesting (netsh portproxy evidence) and IOC files.

SOURCES is the explicit registry of evidence readers; each module has NAME, sniff(source) and
parse(source, ctx) -> ParseResult carrying `portproxy_events`.
"""

from __future__ import annotations

from fwcorr.registry import ModuleRegistry

# Order matters: the first reader whose sniff() claims a file harvests it (most specific first).
SOURCES = ModuleRegistry(
    {
        "velociraptor": "iocs.src_velociraptor",
        "mde": "iocs.src_mde",
        "eventlog": "iocs.src_eventlog",
        "regfile": "iocs.src_regfile",
        "reg_query": "iocs.src_regquery",
        "netsh_output": "iocs.src_netsh_output",
        "cmdlines": "iocs.src_cmdlines",
    }
)
