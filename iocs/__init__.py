"""Indicator harvesting (netsh portproxy evidence) and IOC files.

SOURCES is the explicit registry of evidence readers; each module has NAME, sniff(source) and
parse(source, ctx) -> ParseResult carrying `portproxy_events`.
"""

from __future__ import annotations

from types import ModuleType

SOURCES: dict[str, ModuleType] = {}
