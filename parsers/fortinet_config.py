"""FortiGate configuration-change events (type=event subtype=system) -> RULE_CHANGE rows.

Config lines are few (admin actions), so the per-row steps here (cfgattr, ui) run in Python over
just those rows; the file-wide extraction stays columnar.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import polars as pl

from fwcorr.schema import RULE_CHANGE, conform
from parsers.fortinet_maps import OPERATIONS, object_type

CFGATTR_MAX = 4096  # FortiOS field length for cfgattr; longer values are cut by the device
_ATTR_NAME = r"[A-Za-z0-9_.:\-]+"
# name[value] tokens written back to back; a value runs to the `]` that ends the field or that is
# followed by the next name[ token, so values may hold spaces and brackets.
_ATTR = re.compile(rf"({_ATTR_NAME})\[(.*?)\](?=(?:{_ATTR_NAME})\[|$)", re.DOTALL)
_UI = re.compile(r"^\s*([^()]*?)\s*(?:\(([^()]*)\))?\s*$")


def parse_cfgattr(text: str | None) -> tuple[list[dict[str, str | None]], bool]:
    """Attributes from a cfgattr value and whether it was cut short.

    `name[value]` gives new=value; `name[old->new]` (edits) gives old and new, where an empty
    side stays "" (set from / cleared to nothing) so it differs from "not an edit". A trailing token
    without its closing bracket (the device cuts cfgattr at 4096 characters) is dropped and the
    result marked truncated.
    """
    if not text:
        return [], False
    attrs: list[dict[str, str | None]] = []
    pos = 0
    for m in _ATTR.finditer(text):
        if m.start() != pos:
            break
        name, value = m.group(1), m.group(2)
        old: str | None
        new: str | None
        if "->" in value:
            old, new = value.split("->", 1)
        else:
            old, new = None, value
        attrs.append({"name": name, "old": old, "new": new})
        pos = m.end()
    truncated = pos != len(text) or len(text) >= CFGATTR_MAX
    return attrs, truncated


def parse_ui(ui: str | None) -> tuple[str | None, str | None]:
    """Client kind and IP from ui, e.g. "GUI(10.1.2.3)" -> ("GUI", "10.1.2.3"), "CLI" -> ("CLI", None)."""
    if not ui:
        return None, None
    m = _UI.match(ui)
    if not m:
        return ui, None
    kind = m.group(1) or None
    inner = (m.group(2) or "").strip() or None
    return kind, _canonical_ip(inner)


def _canonical_ip(text: str | None) -> str | None:
    """Canonical IP text (IPv6 compressed lower case, mapped IPv4 as IPv4); other text as is."""
    if not text:
        return text
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return addr.compressed


def _side(attrs: list[dict[str, str | None]], which: str) -> str | None:
    parts = [f"{a['name']}[{a[which]}]" for a in attrs if a[which] is not None]
    return "".join(parts) or None


def rule_changes(frame: pl.DataFrame, path: str) -> pl.DataFrame:
    """RULE_CHANGE rows from config-change candidates (columns: line, text, ts, device, keys)."""
    rows: list[dict[str, Any]] = []
    for r in frame.iter_rows(named=True):
        attrs, truncated = parse_cfgattr(r.get("cfgattr"))
        if r.get("cfgattr_cut"):
            truncated = True
        kind, client_ip = parse_ui(r.get("ui"))
        command = r.get("action")
        operation = OPERATIONS.get((command or "").lower(), "other")
        edits = operation == "modify"
        rows.append(
            {
                "ts": r["ts"],
                "vendor": "fortinet",
                "device": r.get("device"),
                "admin": r.get("user"),
                "client": kind,
                "client_ip": client_ip,
                "operation": operation,
                "command": command,
                "object_type": object_type(r.get("cfgpath")),
                "object_name": r.get("cfgobj"),
                "path": r.get("cfgpath"),
                "attributes": attrs,
                "before": _side(attrs, "old") if edits else None,
                "after": _side(attrs, "new"),
                "result": None,
                "transaction_id": r.get("cfgtid"),
                "ha_sync": (r.get("ui") or "").strip().lower().startswith("ha_daemon"),
                "truncated": truncated,
                "raw": r["text"],
                "src_file": path,
                "src_line": r["line"],
                "record_id": None,
            }
        )
    if not rows:
        return pl.DataFrame(schema=RULE_CHANGE)
    return conform(pl.DataFrame(rows, schema=RULE_CHANGE), RULE_CHANGE).collect()
