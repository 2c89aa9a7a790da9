"""A plain text file of command lines (EDR export, script, `netsh -f` file, analyst notes).

Each line may start with an ISO-8601 time (then the command is a process observation, kind
"process"); lines without one are "static" evidence with no time. `pushd interface portproxy`
blocks make the lines inside context-relative, as netsh runs them.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from iocs import common, events
from iocs.commandline import parse_script

NAME = "cmdlines"
_SNIFF = re.compile(
    r"(?im)(?:\bnetsh(?:\.exe)?\"?\s+(?:-\w\s+\S+\s+)*i\w*\s+p\w*\s)|(?:^\s*pushd\s+i\w*\s+p\w*\s*$)"
)
# lines worth handing to the grammar; everything else is a non-record
_CANDIDATE = r"(?i)netsh|^\s*(?:pushd|popd)\b|^\s*[a-z]+\s+v[46]|^\s*r[a-z]*\s*$"
_TS_PREFIX = (
    r"^\s*(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?)"
    r"[\s,;|\t]+"
)


def sniff(source: Source) -> bool:
    if source.is_binary:
        return False
    return bool(_SNIFF.search(source.head_text()))


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    lines = common.lines(source)
    stats: dict[str, Any] = {}
    host = common.file_host(source, ctx, stats)
    cand = lines.filter(pl.col("text").str.contains(_CANDIDATE)).with_columns(
        pl.col("text").str.extract(_TS_PREFIX, 1).alias("ts_text"),
        pl.col("text").str.replace(_TS_PREFIX, "").alias("cmd"),
    )
    stamps = {
        row["line"]: row["ts_text"] for row in cand.select("line", "ts_text").iter_rows(named=True)
    }
    rows: list[dict[str, Any]] = []
    warned = False
    hit_lines: set[int] = set()
    raw_of = dict(zip(cand["line"].to_list(), cand["text"].to_list(), strict=True))
    for line_no, cmd in parse_script(
        zip(cand["line"].to_list(), cand["cmd"].to_list(), strict=True)
    ):
        ts, zoned = common.parse_ts(stamps.get(line_no))
        warned = warned or (ts is not None and not zoned)
        row = events.from_command(
            cmd,
            ts=ts,
            logged_by=host,
            user=None,
            kind="process" if ts is not None else "static",
            raw=raw_of[line_no],
            src_file=source.display,
            src_line=line_no,
        )
        if row is not None:
            rows.append(row)
            hit_lines.add(line_no)
    warnings = ["times without a zone taken as UTC"] if warned else []
    return common.result(
        NAME,
        source,
        units=lines.height,
        rows=rows,
        records=len(hit_lines),
        rejects=[],
        warnings=warnings,
        stats=stats,
    )
