"""EVTX files through the `evtx` package, with truncation accounted from the chunk headers."""

from __future__ import annotations

import io
import json
import re
import struct
import warnings

import evtx  # the maintained Rust EVTX parser (omerbenamram/pyevtx-rs)

from fwcorr.eventlog.evtxjson import from_event_json
from fwcorr.eventlog.record import EventReadResult, opt_int
from fwcorr.inputs import Source

EVTX_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
EVTX_HEADER_SIZE = 4096
EVTX_CHUNK_SIZE = 65536
MAX_CONSECUTIVE_ERRORS = 10_000


def _chunk_heads(raw: bytes | None, path: str | None) -> list[tuple[bytes, int]]:
    """(first 128 bytes, bytes available) of every 64 KiB chunk slot after the file header."""
    heads: list[tuple[bytes, int]] = []
    if raw is not None:
        offset = EVTX_HEADER_SIZE
        while offset < len(raw):
            heads.append((raw[offset : offset + 128], min(EVTX_CHUNK_SIZE, len(raw) - offset)))
            offset += EVTX_CHUNK_SIZE
        return heads
    with open(path or "", "rb") as fh:
        total = fh.seek(0, 2)
        offset = EVTX_HEADER_SIZE
        while offset < total:
            fh.seek(offset)
            heads.append((fh.read(128), min(EVTX_CHUNK_SIZE, total - offset)))
            offset += EVTX_CHUNK_SIZE
    return heads


def _evtx_expected(
    raw: bytes | None, path: str | None
) -> list[tuple[int, tuple[int, int] | None, str]]:
    """Per chunk slot with content: (index, record-id range its header promises, problem note)."""
    chunks: list[tuple[int, tuple[int, int] | None, str]] = []
    for index, (head, avail) in enumerate(_chunk_heads(raw, path)):
        short = f"chunk {index} is incomplete ({avail} of {EVTX_CHUNK_SIZE} bytes"
        if not head.startswith(CHUNK_MAGIC):
            if head.strip(b"\x00"):  # all-zero slots are unused pre-allocated space
                note = short + ")" if avail < EVTX_CHUNK_SIZE else f"chunk {index} has no signature"
                chunks.append((index, None, note))
            continue
        if len(head) < 40:
            chunks.append((index, None, short + ")"))
            continue
        first_id, last_id = struct.unpack_from("<QQ", head, 24)
        span = (first_id, last_id) if 0 < first_id <= last_id < first_id + 1_000_000 else None
        note = f"{short}; records {first_id}-{last_id})" if avail < EVTX_CHUNK_SIZE else ""
        chunks.append((index, span, note or f"chunk {index}"))
    return chunks


_RECORD_NO = re.compile(r"record number (\d+)", re.IGNORECASE)


def read_evtx(source: Source) -> EventReadResult:
    result = EventReadResult(container="evtx")
    compressed = source.compression is not None
    raw = source.read_bytes() if compressed else None
    try:
        if raw is not None:
            parser = evtx.PyEvtxParser(io.BytesIO(raw), number_of_threads=1)
        else:
            parser = evtx.PyEvtxParser(str(source.path), number_of_threads=1)
        chunks = _evtx_expected(raw, None if raw is not None else str(source.path))
    except (OSError, RuntimeError, ValueError) as exc:
        result.rejects.append((1, f"unreadable EVTX file: {exc}", ""))
        result.units = 1
        return result
    seen_ids: set[int] = set()
    ordinal = failing = 0
    iterator = parser.records_json()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except (RuntimeError, OSError, ValueError) as exc:
                ordinal += 1
                msg = str(exc)
                m = _RECORD_NO.search(msg)
                if m:
                    seen_ids.add(int(m.group(1)))
                result.rejects.append((ordinal, f"EVTX record not parsed: {msg[:300]}", ""))
                failing += 1
                if failing >= MAX_CONSECUTIVE_ERRORS:  # the rest of the file is unreadable
                    break
                continue
            ordinal += 1
            failing = 0
            rid = opt_int(item.get("event_record_id"))
            if rid is not None:
                seen_ids.add(rid)
            try:
                doc = json.loads(item["data"])
                rec = from_event_json(
                    doc, ordinal, None, fallback_ts=item.get("timestamp"), fallback_rid=rid
                )
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                result.rejects.append((ordinal, f"EVTX record unusable: {exc}", ""))
                continue
            result.records.append(rec)
    for _index, span, note in chunks:
        if span is None:
            ordinal += 1
            result.rejects.append((ordinal, f"EVTX truncated or corrupt: {note}", ""))
            continue
        for rid in range(span[0], span[1] + 1):
            if rid not in seen_ids:
                ordinal += 1
                reason = f"EVTX truncated or corrupt: record not recovered ({note})"
                result.rejects.append((ordinal, reason, f"EventRecordID {rid}"))
    result.units = len(result.records) + len(result.rejects)
    return result
