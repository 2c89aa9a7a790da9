"""fortinet parser (placeholder until implemented)."""

from __future__ import annotations

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source

NAME = "fortinet"


def sniff(source: Source) -> bool:
    """Whether this parser claims the file."""
    return False


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    """Parse one file into normalized tables."""
    return ParseResult(format=NAME)
