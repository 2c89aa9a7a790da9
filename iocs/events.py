"""Build PORTPROXY_EVENT rows (one per netsh command, registry operation or snapshot line)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from fwcorr.schema import EXCERPT_CHARS, PORTPROXY_EVENT, conform
from iocs.netsh import NetshCommand
from iocs.registry import Entry

RAW_CHARS = 4 * EXCERPT_CHARS


def from_command(
    cmd: NetshCommand,
    *,
    ts: datetime | None,
    logged_by: str | None,
    user: str | None,
    kind: str,
    raw: str,
    src_file: str,
    src_line: int | None,
    record_id: int | None = None,
    process: str | None = None,
    parent_process: str | None = None,
) -> dict[str, Any] | None:
    """A row for a state-changing netsh command (add/set/delete/reset); None for show/dump/help."""
    if cmd.verb not in ("add", "set", "delete", "reset"):
        return None
    return {
        "ts": ts,
        "host": cmd.host or logged_by,
        "logged_by": logged_by,
        "user": user,
        "op": cmd.verb,
        "family": cmd.family,
        "listen_address": cmd.listen_address,
        "listen_port": cmd.listen_port,
        "connect_address": cmd.connect_address,
        "connect_port": cmd.connect_port,
        "protocol": cmd.protocol,
        "valid": cmd.valid,
        "invalid_reason": cmd.invalid_reason,
        "evidence_kind": kind,
        "remote_via": cmd.remote_via,
        "process": process,
        "parent_process": parent_process,
        "raw": raw[:RAW_CHARS],
        "src_file": src_file,
        "src_line": src_line,
        "record_id": record_id,
    }


def from_entry(
    e: Entry,
    *,
    op: str,
    ts: datetime | None,
    host: str | None,
    user: str | None,
    kind: str,
    raw: str,
    src_file: str,
    src_line: int | None,
    record_id: int | None = None,
    process: str | None = None,
) -> dict[str, Any]:
    """A row for a registry value operation or a snapshot line (op set|delete|present)."""
    return {
        "ts": ts,
        "host": host,
        "logged_by": host,
        "user": user,
        "op": op,
        "family": e.family,
        "listen_address": e.listen_address,
        "listen_port": e.listen_port,
        "connect_address": e.connect_address,
        "connect_port": e.connect_port,
        "protocol": e.protocol,
        "valid": e.valid,
        "invalid_reason": e.invalid_reason,
        "evidence_kind": kind,
        "remote_via": None,
        "process": process,
        "parent_process": None,
        "raw": raw[:RAW_CHARS],
        "src_file": src_file,
        "src_line": src_line,
        "record_id": record_id,
    }


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """PORTPROXY_EVENT frame from row dicts (small: one row per piece of evidence)."""
    if not rows:
        return pl.DataFrame(schema=PORTPROXY_EVENT)
    full = [{name: row.get(name) for name in PORTPROXY_EVENT} for row in rows]
    return conform(pl.DataFrame(full, schema=PORTPROXY_EVENT), PORTPROXY_EVENT).collect()
