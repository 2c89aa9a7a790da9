"""Names the command line validates against, kept apart so that starting the CLI stays light
(the registries they mirror are checked against them by the tests)."""

from __future__ import annotations

# Table formats of `fwcorr parse --format` (fwcorr.output.write_table).
FORMATS = ("parquet", "csv", "jsonl")

# Keys of parsers.PARSERS, in registry order.
VENDORS = ("paloalto", "fortinet", "windows")
