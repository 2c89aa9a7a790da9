"""Normalized tables: the contract between parsers and the engine, declared once."""

from __future__ import annotations

import polars as pl

TS = pl.Datetime("us", "UTC")

CONNECTION = pl.Schema(
    {
        "ts": TS,
        "ts_end": TS,
        "vendor": pl.String,
        "device": pl.String,
        "log_type": pl.String,
        "action": pl.String,  # allow|deny|drop|reset|other
        "protocol": pl.String,  # tcp|udp|icmp|ipv6-icmp|... or the IANA number as text
        "src_ip": pl.String,
        "src_port": pl.Int32,
        "dst_ip": pl.String,
        "dst_port": pl.Int32,
        "nat_src_ip": pl.String,
        "nat_src_port": pl.Int32,
        "nat_dst_ip": pl.String,
        "nat_dst_port": pl.Int32,
        "direction": pl.String,  # inbound|outbound|forward|local|unknown
        "rule": pl.String,
        "rule_id": pl.String,
        "bytes_out": pl.Int64,  # client -> server
        "bytes_in": pl.Int64,  # server -> client
        "packets": pl.Int64,
        "duration_s": pl.Float64,
        "session_id": pl.String,
        "src_zone": pl.String,
        "dst_zone": pl.String,
        "src_intf": pl.String,
        "dst_intf": pl.String,
        "app": pl.String,
        "user": pl.String,
        # additions beyond DESIGN.md
        "rule_uuid": pl.String,
        "vsys": pl.String,
        "end_reason": pl.String,
        "repeat_count": pl.Int64,
        "process": pl.String,
        "pid": pl.Int64,
        "src_file": pl.String,
        "src_line": pl.Int64,
        "record_id": pl.Int64,
    }
)

ATTRIBUTE = pl.Struct({"name": pl.String, "old": pl.String, "new": pl.String})

RULE_CHANGE = pl.Schema(
    {
        "ts": TS,
        "vendor": pl.String,
        "device": pl.String,
        "admin": pl.String,
        "client": pl.String,  # Web|CLI|XML API|Panorama|GUI|ssh|jsconsole|...
        "client_ip": pl.String,
        "operation": pl.String,  # add|modify|delete|move|rename|other
        "command": pl.String,  # the vendor's own verb (set, edit, Add, 2004, ...)
        "object_type": pl.String,
        "object_name": pl.String,
        "path": pl.String,  # vendor configuration path (PAN-OS path, FortiGate cfgpath)
        "attributes": pl.List(ATTRIBUTE),  # name + value (new) or old -> new
        "before": pl.String,
        "after": pl.String,
        "result": pl.String,
        "transaction_id": pl.String,
        "ha_sync": pl.Boolean,
        "truncated": pl.Boolean,
        "raw": pl.String,
        "src_file": pl.String,
        "src_line": pl.Int64,
        "record_id": pl.Int64,
    }
)

PORTPROXY_EVENT = pl.Schema(
    {
        "ts": TS,
        "host": pl.String,  # host the proxy lives on
        "logged_by": pl.String,  # host whose evidence recorded it (differs on remote execution)
        "user": pl.String,
        "op": pl.String,  # add|set|delete|reset|present
        "family": pl.String,  # v4tov4|v4tov6|v6tov4|v6tov6
        "listen_address": pl.String,
        "listen_port": pl.Int32,
        "connect_address": pl.String,
        "connect_port": pl.Int32,
        "protocol": pl.String,
        "valid": pl.Boolean,
        "invalid_reason": pl.String,
        "evidence_kind": pl.String,  # process|registry|netsh_show|netsh_dump|static
        "remote_via": pl.String,  # wmic|netsh -r|psexec|invoke-command|null
        "process": pl.String,
        "parent_process": pl.String,
        "raw": pl.String,
        "src_file": pl.String,
        "src_line": pl.Int64,
        "record_id": pl.Int64,
    }
)

REJECT = pl.Schema(
    {
        "path": pl.String,
        "line": pl.Int64,
        "reason": pl.String,
        "excerpt": pl.String,
    }
)

EXCERPT_CHARS = 200


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame of the given schema."""
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame | pl.LazyFrame, schema: pl.Schema) -> pl.LazyFrame:
    """Select and cast to `schema`, adding missing columns as nulls (extra columns dropped)."""
    lf = frame.lazy()
    have = lf.collect_schema()
    return lf.select(
        [
            (pl.col(name) if name in have else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


# Indicators the engine sweeps for (harvested or loaded from IOC files).
IOC = pl.Schema(
    {
        "id": pl.String,  # stable id, e.g. "ip_port:10.1.1.20:8443"
        "kind": pl.String,  # ip|cidr|ip_port|port_on_host
        "value": pl.String,  # canonical text: "10.1.1.20", "10.0.0.0/8", "10.1.1.20:8443", "WS01:9999"
        "role": pl.String,  # e.g. portproxy_connect, portproxy_listen, ioc_file
        "source": pl.String,  # where it came from (file path, "harvest")
        "ip": pl.String,  # for ip and ip_port
        "cidr": pl.String,  # for cidr
        "port": pl.Int32,  # for ip_port and port_on_host
        "host": pl.String,  # for port_on_host
    }
)

# Harvested port proxies, one row per (host, family, listen address, listen port) active period.
PORTPROXY = pl.Schema(
    {
        "proxy_id": pl.String,
        "host": pl.String,
        "host_ips": pl.List(pl.String),
        "family": pl.String,
        "listen_address": pl.String,
        "listen_port": pl.Int32,
        "connect_address": pl.String,
        "connect_port": pl.Int32,
        "first_seen": TS,
        "removed_at": TS,
        "capture_only": pl.Boolean,  # known only from a snapshot (show/reg query/.reg)
        "risk": pl.String,
    }
)
