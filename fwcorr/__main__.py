"""`python -m fwcorr` runs the CLI."""

from __future__ import annotations

from fwcorr.cli import main

main()
