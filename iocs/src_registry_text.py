"""Registry captures as text: `reg query HKLM\\...\\PortProxy /s` output and `.reg` exports.

Both are snapshots of the PortProxy key: every value is a proxy present at capture time (op
"present", ts null: neither format records when it was taken). `.reg` files are usually
UTF-16 LE with a BOM; the input layer decodes them.
"""

from __future__ import annotations

import re
from typing import Any

from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from iocs import common, events, registry

_REG_HEADER = re.compile(r"^(?:Windows Registry Editor Version [\d.]+|REGEDIT4)\s*$")
_REG_KEY = re.compile(r"^\[(-?)(.+)\]\s*$")
_REG_VALUE = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(-)|(\S.*))\s*$')
_Q_KEY = re.compile(r"(?i)^(HKEY_[A-Z_]+|HKLM|HKCU|HKU|HKCR|HKCC)\\\S.*$")
_Q_VALUE = re.compile(r"^\s+(.*?)\s{2,}(REG_[A-Z_0-9]+)\s{2,}(.*?)\s*$")
_Q_VALUE_EMPTY = re.compile(r"^\s+(.*?)\s{2,}(REG_[A-Z_0-9]+)\s*$")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def sniff_regfile(source: Source) -> bool:
    lines = [x for x in source.head_lines(5) if x.strip()]
    return bool(lines) and bool(_REG_HEADER.match(lines[0].strip()))


def sniff_regquery(source: Source) -> bool:
    if source.is_binary:
        return False
    lines = [x for x in source.head_lines(50) if x.strip()]
    for i, line in enumerate(lines[:-1]):
        key = registry.parse_key(line) if _Q_KEY.match(line) and '"' not in line else None
        if key is not None and key.value_name is None:
            nxt = lines[i + 1]
            if _Q_VALUE.match(nxt) or _Q_KEY.match(nxt):
                return True
    return False


def parse_regfile(source: Source, ctx: ParseContext) -> ParseResult:
    lines = common.lines(source)
    stats: dict[str, Any] = {}
    host = common.file_host(source, ctx, stats)
    rows: list[dict[str, Any]] = []
    rejects: list[tuple[int, str, str]] = []
    key: registry.PortProxyKey | None = None
    for line_no, text in lines.iter_rows():
        text = text or ""
        km = _REG_KEY.match(text.strip())
        if km:
            key = registry.parse_key(km.group(2)) if not km.group(1) else None
            continue
        if key is None or not key.family or not key.protocol or key.value_name:
            continue
        if not text.strip() or text.startswith(";"):
            continue
        vm = _REG_VALUE.match(text.strip())
        if not vm or vm.group(3) or vm.group(4):
            if vm and vm.group(3):
                continue  # "name"=- removes a value on import; not a present proxy
            rejects.append((line_no, "PortProxy value is not a string value", text))
            continue
        e = registry.entry(key.family, key.protocol, _unescape(vm.group(1)), _unescape(vm.group(2)))
        rows.append(_present(e, host, text, source, line_no))
    return common.result(
        "regfile",
        source,
        units=lines.height,
        rows=rows,
        records=len(rows),
        rejects=rejects,
        stats=stats,
    )


def _present(e: Any, host: str | None, text: str, source: Source, line_no: int) -> dict[str, Any]:
    """A registry snapshot entry: the proxy was present when the export was taken."""
    return events.from_entry(
        e,
        op="present",
        ts=None,
        host=host,
        user=None,
        kind="registry",
        raw=text,
        src_file=source.display,
        src_line=line_no,
    )


def parse_regquery(source: Source, ctx: ParseContext) -> ParseResult:
    lines = common.lines(source)
    stats: dict[str, Any] = {}
    host = common.file_host(source, ctx, stats)
    rows: list[dict[str, Any]] = []
    rejects: list[tuple[int, str, str]] = []
    key: registry.PortProxyKey | None = None
    for line_no, text in lines.iter_rows():
        text = text or ""
        if _Q_KEY.match(text.strip()):
            key = registry.parse_key(text.strip())
            continue
        if key is None or not key.family or not key.protocol or key.value_name:
            continue
        if not text.strip():
            continue
        vm = _Q_VALUE.match(text)
        if not vm:
            if _Q_VALUE_EMPTY.match(text):
                rejects.append((line_no, "PortProxy value has no data", text))
            else:
                rejects.append((line_no, "not a reg query value line", text))
            continue
        if vm.group(2) != "REG_SZ":
            rejects.append((line_no, f"PortProxy value of type {vm.group(2)}", text))
            continue
        e = registry.entry(key.family, key.protocol, vm.group(1).strip(), vm.group(3))
        rows.append(_present(e, host, text, source, line_no))
    return common.result(
        "reg_query",
        source,
        units=lines.height,
        rows=rows,
        records=len(rows),
        rejects=rejects,
        stats=stats,
    )
