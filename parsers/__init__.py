"""Vendor log parsers, registered explicitly. Each module has NAME, sniff(source), parse(source, ctx)."""

from __future__ import annotations

from fwcorr.registry import ModuleRegistry

# Order matters: the first parser whose sniff() claims a file parses it.
PARSERS = ModuleRegistry(
    {
        "paloalto": "parsers.paloalto",
        "fortinet": "parsers.fortinet",
        "windows": "parsers.windows",
    }
)
