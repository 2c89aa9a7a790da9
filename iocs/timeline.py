"""Port-proxy timeline: from PORTPROXY_EVENT rows to the proxies each host had and when.

Per (host, family, listen address, listen port) the operations are ordered by time, then record
id (Sysmon writes SetValue and DeleteValue in the same millisecond). add/set create or modify,
delete ends, reset ends every proxy of the host (or of one family when a family key vanished),
and snapshots (show, dump, reg query, .reg, Velociraptor) prove presence. The same operation
seen several ways (cmd.exe wrapper, netsh.exe child, registry write) is merged into one
operation carrying all its evidence.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from fwcorr.config import SiteConfig
from fwcorr.schema import PORTPROXY, PORTPROXY_EVENT, conform
from fwcorr.timez import iso_z
from iocs.risk import assess, host_ips, host_key, parse_ip

WRAPPER_WINDOW = timedelta(seconds=10)  # cmd.exe /c netsh ... and its netsh.exe child
REGISTRY_WINDOW = timedelta(seconds=60)  # a netsh process and the registry write it caused
SAME_PROCESS_WINDOW = timedelta(seconds=2)  # one process creation in two logs
MERGE_SLACK = WRAPPER_WINDOW + SAME_PROCESS_WINDOW
CREATE = {"add", "set"}


@dataclass
class Harvest:
    """What the harvest found: contract records, the engine table, and invalid attempts."""

    portproxies: list[dict[str, Any]]
    table: pl.DataFrame  # fwcorr.schema.PORTPROXY
    attempts: list[dict[str, Any]]
    events: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PORTPROXY_EVENT))


@dataclass(eq=False)
class _Op:
    ts: datetime | None
    op: str
    key: tuple[str | None, str | None, int | None]  # family, listen address, listen port
    connect: tuple[str | None, int | None]
    user: str | None
    kind: str
    process: str | None
    remote_via: str | None
    logged_by: str | None
    record_id: int | None
    order: tuple[Any, ...]
    evidence: list[dict[str, Any]]
    local: bool = True  # logged on the host the proxy lives on
    merged: bool = False


@dataclass(eq=False)
class _Period:
    host: str
    key: tuple[str | None, str | None, int | None]
    connect: tuple[str | None, int | None]
    first_seen: datetime | None
    removed_at: datetime | None = None
    closed: bool = False
    ops: list[_Op] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


iso = iso_z  # one ISO-8601 Z formatter for all output


def _evidence(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": row["evidence_kind"],
        "path": row["src_file"],
        "line": row["src_line"],
        "raw": row["raw"],
    }


def _image(path: str | None) -> str:
    return (path or "").replace("/", "\\").rsplit("\\", 1)[-1].lower()


def build(events: pl.DataFrame, config: SiteConfig | None = None) -> Harvest:
    """The port-proxy timeline of every host in `events` (a PORTPROXY_EVENT frame)."""
    config = config or SiteConfig()
    ev = conform(events, PORTPROXY_EVENT).collect()
    attempts = [_attempt(r) for r in ev.filter(~pl.col("valid").fill_null(False)).to_dicts()]
    valid = ev.filter(pl.col("valid").fill_null(False)).to_dicts()
    names: dict[str, dict[str, int]] = {}
    by_host: dict[str, list[_Op]] = {}
    by_ip = {ip: h.name for h in config.hosts.values() for ip in h.ips}
    for row in valid:
        if parse_ip(row["host"]) is not None and str(parse_ip(row["host"])) in by_ip:
            row["host"] = by_ip[str(parse_ip(row["host"]))]  # remote execution named the host by IP
        hk = host_key(row["host"])
        cfg = config.find_host(row["host"])
        display = cfg.name if cfg is not None else (row["host"] or "unknown")
        names.setdefault(hk, {}).setdefault(display, 0)
        names[hk][display] += 1
        by_host.setdefault(hk, []).append(_to_op(row))
    periods: list[_Period] = []
    for hk, ops in by_host.items():
        display = max(names[hk].items(), key=lambda kv: (kv[1], kv[0]))[0]
        ops = _merge_duplicates(ops)
        periods.extend(_replay(display, ops))
    records = [_record(p, config) for p in periods]
    records.sort(
        key=lambda r: (
            r["host"].lower(),
            r["first_seen"] is None,
            r["first_seen"] or "",
            r["listen_port"] or 0,
        )
    )
    table = _table(records)
    for r in records:
        r.pop("_first_dt")
        r.pop("_removed_dt")
    return Harvest(records, table, attempts, ev)


def _to_op(row: dict[str, Any]) -> _Op:
    ts = row["ts"]
    return _Op(
        ts=ts,
        op=row["op"],
        key=(row["family"], row["listen_address"], row["listen_port"]),
        connect=(row["connect_address"], row["connect_port"]),
        user=row["user"],
        kind=row["evidence_kind"],
        process=row["process"],
        remote_via=row["remote_via"],
        logged_by=row["logged_by"],
        record_id=row["record_id"],
        order=(
            ts is None,
            ts or datetime.min,
            row["src_file"] or "",
            row["record_id"] if row["record_id"] is not None else -1,
            row["src_line"] or 0,
        ),
        evidence=[_evidence(row)],
        local=host_key(row["logged_by"]) in ("", host_key(row["host"])),
    )


def _same_effect(a: _Op, b: _Op) -> bool:
    if a.key != b.key:
        return False
    if a.op in CREATE or a.op == "present":
        return b.op in CREATE and (a.connect == b.connect)
    return a.op == b.op


def _absorb(into: _Op, other: _Op, prefer_verb: bool) -> None:
    """Merge `other` into `into`.

    A registry write dates the operation (it is when the change took effect; a process start can
    precede it by seconds, and parallel netsh processes can finish in another order). Without
    one, the earliest process evidence logged on the proxy's own host dates it, and a remote
    launcher only when nothing else does.
    """
    into.evidence.extend(other.evidence)
    better = other.local and not into.local
    same = other.local == into.local
    if (
        into.kind != "registry"
        and other.ts is not None
        and (into.ts is None or better or (same and other.ts < into.ts))
    ):
        into.ts = other.ts
        into.order = (False, other.ts, *into.order[2:])
    into.local = into.local or other.local
    if prefer_verb and other.op in CREATE and into.op in CREATE:
        into.op = other.op
    into.user = into.user or other.user
    into.remote_via = into.remote_via or other.remote_via
    other.merged = True


@dataclass
class _Sorted:
    """Candidates ordered by time with their stamps taken once (merges move a process earlier
    by at most MERGE_SLACK, which the search window allows for)."""

    ops: list[_Op]
    stamps: list[datetime]

    @classmethod
    def of(cls, ops: list[_Op]) -> _Sorted:
        ordered = sorted(ops, key=lambda o: o.ts)  # type: ignore[arg-type, return-value]
        return cls(ordered, [o.ts for o in ordered])  # type: ignore[misc]


def _nearest(op: _Op, cands: _Sorted, window: timedelta) -> _Op | None:
    """The unmerged candidate with the same effect closest in time."""
    if op.ts is None:
        return None
    lo = bisect.bisect_left(cands.stamps, op.ts - window - MERGE_SLACK)
    hi = bisect.bisect_right(cands.stamps, op.ts + window + MERGE_SLACK)
    best: _Op | None = None
    best_dt: timedelta | None = None
    for c in cands.ops[lo:hi]:
        if c.merged or c is op or c.ts is None or not _same_effect(op, c):
            continue
        dt = abs(c.ts - op.ts)
        if dt <= window and (best_dt is None or dt < best_dt):
            best, best_dt = c, dt
    return best


def _merge_duplicates(ops: list[_Op]) -> list[_Op]:
    """One operation per action: cmd.exe wrapper -> netsh.exe child -> registry write."""
    by_key: dict[tuple[Any, ...], list[_Op]] = {}
    for o in sorted(ops, key=lambda o: o.order):
        by_key.setdefault(o.key, []).append(o)
    for group in by_key.values():
        _merge_key(group)
    return sorted((o for o in ops if not o.merged), key=lambda o: o.order)


def _merge_key(ops: list[_Op]) -> None:
    """Merge duplicates among the time-ordered operations of one proxy key."""
    procs = [o for o in ops if o.ts is not None and o.kind == "process" and o.op != "reset"]
    direct_by_host: dict[str | None, list[_Op]] = {}
    wrappers: list[_Op] = []
    for o in procs:
        if _image(o.process) in ("netsh.exe", "netsh"):
            direct_by_host.setdefault(o.logged_by, []).append(o)
        else:
            wrappers.append(o)
    direct = {h: _Sorted.of(v) for h, v in direct_by_host.items()}
    for w in wrappers:
        if w.logged_by in direct:
            target = _nearest(w, direct[w.logged_by], WRAPPER_WINDOW)
            if target is not None:
                _absorb(target, w, prefer_verb=False)
    # the same process creation logged twice (Security 4688 and Sysmon 1, or two exports)
    for i, a in enumerate(procs):
        for b in procs[i + 1 :]:
            if b.ts - a.ts > SAME_PROCESS_WINDOW + MERGE_SLACK:  # type: ignore[operator]
                break
            if (
                not a.merged
                and not b.merged
                and a.logged_by == b.logged_by
                and a.op == b.op
                and a.evidence[0]["path"] != b.evidence[0]["path"]
                and abs(b.ts - a.ts) <= SAME_PROCESS_WINDOW  # type: ignore[operator]
                and _same_effect(a, b)
            ):
                _absorb(a, b, prefer_verb=False)
    regs = _Sorted.of(
        [o for o in ops if o.ts is not None and o.kind == "registry" and o.op in ("set", "delete")]
    )
    for p in procs:
        if not p.merged:
            target = _nearest(p, regs, REGISTRY_WINDOW)
            if target is not None:
                _absorb(target, p, prefer_verb=True)


def _replay(host: str, ops: list[_Op]) -> list[_Period]:
    active: dict[tuple[Any, ...], _Period] = {}
    history: dict[tuple[Any, ...], list[_Period]] = {}
    pending: dict[tuple[Any, ...], list[_Op]] = {}
    out: list[_Period] = []

    def open_period(op: _Op, ts: datetime | None) -> _Period:
        p = _Period(host, op.key, op.connect, ts)
        p.ops.extend(pending.pop(op.key, []))
        active[op.key] = p
        history.setdefault(op.key, []).append(p)
        out.append(p)
        return p

    def close(p: _Period, ts: datetime | None) -> None:
        p.removed_at, p.closed = ts, True
        active.pop(p.key, None)

    for op in ops:
        if op.op == "reset":
            for p in list(active.values()):
                if op.key[0] is None or p.key[0] == op.key[0]:
                    p.ops.append(op)
                    close(p, op.ts)
            continue
        cur = active.get(op.key)
        last = history.get(op.key, [None])[-1]
        if op.op in CREATE:
            known = cur or last
            if op.op == "set" and op.connect[0] is None and known is not None:
                op.connect = (known.connect[0], op.connect[1])  # set without connectaddress
            if cur is not None and cur.connect == op.connect:
                cur.ops.append(op)
            elif op.ts is None and last is not None and last.connect == op.connect:
                last.ops.append(op)  # an undated command matching a known proxy
            else:
                if cur is not None:
                    close(cur, op.ts)
                open_period(op, op.ts).ops.append(op)
        elif op.op == "delete":
            if cur is not None:
                cur.ops.append(op)
                close(cur, op.ts)
            elif last is not None:
                last.ops.append(op)
            else:
                pending.setdefault(op.key, []).append(op)
        elif op.op == "present":
            if cur is not None and cur.connect == op.connect:
                cur.evidence.extend(op.evidence)
            elif cur is None and last is not None and last.connect == op.connect and op.ts is None:
                last.evidence.extend(op.evidence)
            else:
                if cur is not None:
                    close(cur, op.ts)
                open_period(op, op.ts).evidence.extend(op.evidence)
    return out


def _attempt(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "ts": iso(row["ts"]),
        "host": row["host"],
        "logged_by": row["logged_by"],
        "user": row["user"],
        "op": row["op"],
        "family": row["family"],
        "listen_address": row["listen_address"],
        "listen_port": row["listen_port"],
        "connect_address": row["connect_address"],
        "connect_port": row["connect_port"],
        "remote_via": row["remote_via"],
        "reason": row["invalid_reason"],
        "evidence": _evidence(row),
    }


def _record(p: _Period, config: SiteConfig) -> dict[str, Any]:
    family, la, lp = p.key
    ca, cp = p.connect
    ips = host_ips(p.host, la, config)
    risk, reasons = assess(
        p.host,
        (la, lp),
        (ca, cp),
        [o.user for o in p.ops if o.user],
        sorted({o.remote_via for o in p.ops if o.remote_via}),
        ips,
        config,
    )
    evidence: list[dict[str, Any]] = []
    for o in p.ops:
        evidence.extend(o.evidence)
    evidence.extend(p.evidence)
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for e in evidence:
        k = (e["kind"], e["path"], e["line"], e["raw"])
        if k not in seen:
            seen.add(k)
            unique.append(e)
    unique.sort(key=lambda e: (e["path"] or "", e["line"] or 0, e["kind"]))
    ident = "|".join(str(x) for x in (p.host.lower(), family, la, lp, ca, cp, iso(p.first_seen)))
    creates = [o for o in p.ops if o.op in CREATE]
    return {
        "proxy_id": "pp-" + hashlib.sha1(ident.encode()).hexdigest()[:12],
        "host": p.host,
        "host_ips": ips,
        "family": family,
        "listen_address": la,
        "listen_port": lp,
        "connect_address": ca,
        "connect_port": cp,
        "first_seen": iso(p.first_seen),
        "removed_at": iso(p.removed_at),
        "capture_only": not creates,
        "operations": [{"ts": iso(o.ts), "op": o.op, "user": o.user} for o in p.ops],
        "evidence": unique,
        "risk": risk,
        "risk_reasons": reasons,
        "remote_via": sorted({o.remote_via for o in p.ops if o.remote_via}) or None,
        "_first_dt": p.first_seen,
        "_removed_dt": p.removed_at,
    }


def _table(records: list[dict[str, Any]]) -> pl.DataFrame:
    if not records:
        return pl.DataFrame(schema=PORTPROXY)
    frame = pl.DataFrame(
        {
            "proxy_id": [r["proxy_id"] for r in records],
            "host": [r["host"] for r in records],
            "host_ips": [r["host_ips"] for r in records],
            "family": [r["family"] for r in records],
            "listen_address": [r["listen_address"] for r in records],
            "listen_port": [r["listen_port"] for r in records],
            "connect_address": [r["connect_address"] for r in records],
            "connect_port": [r["connect_port"] for r in records],
            "first_seen": [r["_first_dt"] for r in records],
            "removed_at": [r["_removed_dt"] for r in records],
            "capture_only": [r["capture_only"] for r in records],
            "risk": [r["risk"] for r in records],
        },
        schema_overrides={
            "host_ips": pl.List(pl.String),
            "first_seen": pl.Datetime("us", "UTC"),
            "removed_at": pl.Datetime("us", "UTC"),
        },
    )
    return conform(frame, PORTPROXY).collect()
