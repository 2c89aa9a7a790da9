"""Vendor log parsers, registered explicitly. Each module has NAME, sniff(source), parse(source, ctx)."""

from __future__ import annotations

from types import ModuleType

from parsers import fortinet, paloalto, windows

# Order matters: the first parser whose sniff() claims a file parses it.
PARSERS: dict[str, ModuleType] = {
    "paloalto": paloalto,
    "fortinet": fortinet,
    "windows": windows,
}
