"""Captured `netsh interface portproxy show all|v4tov4|...` tables and `dump` output.

show: a section header per family ("Listen on ipv4:  Connect to ipv6:", localised, e.g.
zh-CN "侦听 ipv4:  连接到 ipv4:"), a column header, a dashes line, then rows split on whitespace
(long host names overflow the fixed widths). dump: `pushd interface portproxy` ... `popd` with
the `add` lines of every configured proxy. Both are snapshots: op "present", time = the capture
time if the file states one (a line like `Captured: 2024-03-01T10:00:00Z`), else null. Command
lines in a console capture (`C:\\>netsh interface portproxy add ...`) are static commands.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from iocs import common, events
from iocs.commandline import parse_command_line
from iocs.netsh import canonical_address, parse_words, resolve_context
from iocs.registry import Entry

NAME = "netsh_output"
_SECTION = re.compile(r"(?i)^\s*(?:#\s*)?\S.*?ipv([46])\s*[:：]\s+\S.*?ipv([46])\s*[:：]\s*$")
_DASHES = re.compile(r"^\s*(?:#\s*)?-{5,}\s+-{5,}\s+-{5,}\s+-{5,}\s*$")
_DUMP_HEAD = re.compile(r"(?im)^#={5,}\s*$")
_PUSHD = re.compile(r"(?i)^\s*pushd\s+(\S+)\s+(\S+)\s*$")
_CAPTURED = re.compile(
    r"(?i)^\s*#?\s*(?:captured|capture time|collected|collection time)\s*[:=]\s*(\S+(?:\s\S+)?)\s*$"
)
_PROMPT = re.compile(r"^\s*(?:[A-Za-z]:\\[^>]*>|PS [^>]*>|❯|\$|>)\s*(.*)$")


def sniff(source: Source) -> bool:
    if source.is_binary:
        return False
    lines = source.head_lines(200)
    if any(_DASHES.match(x) for x in lines) and any(_SECTION.match(x) for x in lines):
        return True
    text = "\n".join(lines)
    return bool(_DUMP_HEAD.search(text)) and any(
        (m := _PUSHD.match(x)) and resolve_context([m.group(1), m.group(2)]) for x in lines
    )


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    lines = common.lines(source)
    stats: dict[str, Any] = {}
    host = common.file_host(source, ctx, stats)
    capture_ts = None
    rows: list[dict[str, Any]] = []
    rejects: list[tuple[int, str, str]] = []
    records = 0
    family: str | None = None
    in_table = False
    in_dump = False
    kw = {"src_file": source.display}
    for line_no, text in lines.iter_rows():
        text = text or ""
        stripped = text.strip()
        m = _CAPTURED.match(text)
        if m and capture_ts is None:
            capture_ts, _ = common.parse_ts(m.group(1))
            continue
        sec = _SECTION.match(text)
        if sec:
            family, in_table = f"v{sec.group(1)}tov{sec.group(2)}", False
            continue
        if _DASHES.match(text):
            in_table = family is not None
            continue
        if in_table:
            body = re.sub(r"^\s*#\s?", "", text) if stripped.startswith("#") else text
            if not body.strip():
                in_table = False
                continue
            row = _show_row(body, family)
            if row is None:
                rejects.append((line_no, "show row: expected address port address port", text))
                continue
            rows.append(
                events.from_entry(
                    row,
                    op="present",
                    ts=capture_ts,
                    host=host,
                    user=None,
                    kind="netsh_show",
                    raw=text,
                    src_line=line_no,
                    **kw,
                )
            )
            records += 1
            continue
        p = _PUSHD.match(text)
        if p and resolve_context([p.group(1), p.group(2)]):
            in_dump = True
            continue
        if in_dump:
            if stripped.lower() == "popd":
                in_dump = False
                continue
            if not stripped or stripped.startswith("#"):
                continue
            cmd = parse_words(stripped.split(), in_context=True)
            if cmd is None or cmd.verb not in ("add", "set", "delete"):
                continue  # dump writes `reset` first so a replay starts clean
            verb = "present" if cmd.verb == "add" else cmd.verb
            row = events.from_command(
                replace(cmd, verb="add"),
                ts=capture_ts,
                logged_by=host,
                user=None,
                kind="netsh_dump",
                raw=text,
                src_line=line_no,
                **kw,
            )
            if row is not None:
                row["op"] = verb
                rows.append(row)
                records += 1
            continue
        pm = _PROMPT.match(text)
        if pm and "netsh" in pm.group(1).lower():
            found = [
                events.from_command(
                    c,
                    ts=None,
                    logged_by=host,
                    user=None,
                    kind="static",
                    raw=text,
                    src_line=line_no,
                    **kw,
                )
                for c in parse_command_line(pm.group(1))
            ]
            found = [r for r in found if r is not None]
            if found:
                rows.extend(found)
                records += 1
    return common.result(
        NAME, source, units=lines.height, rows=rows, records=records, rejects=rejects, stats=stats
    )


def _show_row(text: str, family: str | None) -> Entry | None:
    parts = text.split()
    if len(parts) != 4 or not parts[1].isdigit() or not parts[3].isdigit():
        return None
    lp, cp = int(parts[1]), int(parts[3])
    if not (1 <= lp <= 65535 and 1 <= cp <= 65535):
        return None
    la = canonical_address(parts[0]) or parts[0]
    ca = canonical_address(parts[2]) or parts[2]
    return Entry(family, la, lp, ca, cp, "tcp", True, None)
