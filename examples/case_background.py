"""Benign background traffic for the example case, built column-wise (millions of lines fast).

Each generator takes (rng, n, lo_us, hi_us) and returns a frame (ts: Int64 epoch micros used for
ordering, line: String). Randomness is Python's seeded `random` (stable across library versions);
the string assembly and time formatting are polars expressions.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import polars as pl
from case_formats import fg_traffic_tokens, pa_traffic_tokens, pfirewall_tokens
from case_render import US, fmt, ints, picks, render

PA_NAME, PA_SERIAL, PA_ZONE = "PA-EDGE-01", "013201004711", "America/New_York"
FG_NAME, FG_DEVID, FG_TZ, FG_ZONE, FG_RELAY = (
    "FG-CORE-01", "FG100FTK21004567", "-0500", "-05:00", "10.10.0.2",
)  # fmt: skip

# Background lines per --scale unit, by top-level folder (pfirewall: per host file).
BG_PER_SCALE = {"pa": 2500, "fg": 1500, "pfirewall": 250}

_PA_EMPTY = {
    name: ""
    for name in (
        "src_uuid", "dst_uuid", "policy_id", "link_switches", "sdwan_cluster",
        "sdwan_device_type", "sdwan_cluster_type", "sdwan_site", "dynusergroup", "xff",
        "src_category", "src_profile", "src_model", "src_vendor", "src_osfamily",
        "src_osversion", "src_host", "src_mac", "dst_category", "dst_profile", "dst_model",
        "dst_vendor", "dst_osfamily", "dst_osversion", "dst_host", "dst_mac", "container_id",
        "pod_namespace", "pod_name", "src_edl", "dst_edl", "hostid", "user_serial", "src_dag",
        "dst_dag", "nssai_sst", "nssai_sd",
    )
}  # fmt: skip

_PA_KINDS = {
    "out": {
        "subtype": "end", "action": "allow", "rule": "users-web-out", "from": "trust",
        "to": "untrust", "inbound_if": "ethernet1/3", "outbound_if": "ethernet1/1",
        "natdst": "0.0.0.0", "natdport": "0", "flags": "0x400053", "srcloc": "10.0.0.0-10.255.255.255",
        "dstloc": "United States", "rule_uuid": "3e5b1d7c-60a2-4f19-8c3e-d1a7b9f20c44",
        "subcategory_of_app": "encrypted-tunnel", "category_of_app": "networking",
        "technology_of_app": "browser-based", "risk_of_app": "4",
    },
    "in": {
        "subtype": "end", "action": "allow", "rule": "web-dmz-in", "from": "untrust", "to": "dmz",
        "inbound_if": "ethernet1/1", "outbound_if": "ethernet1/2", "natsrc": "0.0.0.0",
        "natsport": "0", "natdst": "10.10.20.15", "natdport": "443", "dport": "443",
        "dst": "203.0.113.10", "flags": "0x400053", "srcloc": "United States",
        "dstloc": "United States", "rule_uuid": "b8c4e2a1-77d3-4a5e-9f06-1c2d3e4f5a6b",
        "app": "ssl", "subcategory_of_app": "encrypted-tunnel", "category_of_app": "networking",
        "technology_of_app": "browser-based", "risk_of_app": "4",
    },
    "deny": {
        "action": "drop", "rule": "interzone-default", "from": "untrust", "to": "dmz",
        "inbound_if": "ethernet1/1", "outbound_if": "", "natsrc": "0.0.0.0", "natsport": "0",
        "natdst": "0.0.0.0", "natdport": "0", "flags": "0x0", "srcloc": "United States",
        "dstloc": "United States", "rule_uuid": "", "app": "not-applicable",
        "session_end_reason": "policy-deny", "elapsed": "0", "bytes_received": "0",
        "pkts_received": "0", "subcategory_of_app": "", "category_of_app": "",
        "technology_of_app": "", "risk_of_app": "0",
    },
}  # fmt: skip

_PA_TOKENS = {
    kind: pa_traffic_tokens(PA_NAME, PA_SERIAL, {**_PA_EMPTY, **fixed})
    for kind, fixed in _PA_KINDS.items()
}


def _times_pa(frame: pl.DataFrame) -> pl.DataFrame:
    end = pl.col("ts").cast(pl.Datetime("us", "UTC"))
    start = (pl.col("ts") - pl.col("elapsed").cast(pl.Int64) * US).cast(pl.Datetime("us", "UTC"))
    return frame.with_columns(
        syslog_ts=fmt(end, PA_ZONE, "%b %e %H:%M:%S"),
        receive_time=fmt(end, PA_ZONE, "%Y/%m/%d %H:%M:%S"),
        time_generated=fmt(end, PA_ZONE, "%Y/%m/%d %H:%M:%S"),
        start=fmt(start, PA_ZONE, "%Y/%m/%d %H:%M:%S"),
        high_res_timestamp=fmt(end, PA_ZONE, "%Y-%m-%dT%H:%M:%S%.3f%:z"),
        seqno=pl.col("ts") // 1000 + 7_300_000_000_000_000,
    )


def _ip(prefix: str, octets: list[int]) -> pl.Series:
    return pl.Series([f"{prefix}{o}" for o in octets], dtype=pl.String)


def pa_background(rng: random.Random, n: int, lo: int, hi: int) -> pl.DataFrame:
    """Outbound web (SNAT), inbound web to the DMZ (DNAT), and dropped internet scans."""
    kinds = picks(rng, ["out", "in", "deny"], n, [55, 25, 20])
    counts = {k: kinds.count(k) for k in _PA_KINDS}
    frames = []
    for kind, k in counts.items():
        if not k:
            continue
        elapsed = ints(rng, 1, 600, k) if kind != "deny" else [0] * k
        sent = ints(rng, 400, 60_000, k) if kind != "deny" else picks(rng, [60, 66, 74], k)
        rcvd = ints(rng, 900, 2_500_000, k) if kind != "deny" else [0] * k
        cols: dict[str, object] = {
            "ts": ints(rng, lo, hi, k),
            "elapsed": elapsed,
            "sessionid": ints(rng, 10_000, 999_999, k),
            "sport": ints(rng, 1025, 65_535, k),
            "bytes_sent": sent,
            "bytes_received": rcvd,
        }
        if kind == "out":
            cols |= {
                "src": _ip("10.10.50.", ints(rng, 20, 251, k)),
                "dst": _ip("192.0.2.", ints(rng, 1, 255, k)),
                "natsrc": ["203.0.113.2"] * k,
                "natsport": ints(rng, 1025, 65_535, k),
                "dport": picks(rng, [443, 443, 443, 80], k),
                "app": picks(rng, ["ssl", "web-browsing", "ms-update", "google-base"], k),
            }
        elif kind == "in":
            cols |= {
                "src": _ip("192.0.2.", ints(rng, 1, 255, k)),
            }
        else:
            cols |= {
                "src": _ip("198.51.100.", ints(rng, 120, 255, k)),
                "dst": _ip("203.0.113.", ints(rng, 10, 15, k)),
                "dport": picks(rng, [22, 23, 25, 445, 1433, 3389, 5900, 8080, 8443], k),
                "subtype": picks(rng, ["drop", "deny"], k, [3, 1]),
            }
        frame = pl.DataFrame(cols)
        frame = frame.with_columns(
            bytes=pl.col("bytes_sent") + pl.col("bytes_received"),
            pkts_sent=(pl.col("bytes_sent") // 900).clip(1),
            pkts_received=pl.col("bytes_received") // 1300
            if kind != "deny"
            else pl.lit(0, pl.Int64),
        ).with_columns(packets=pl.col("pkts_sent") + pl.col("pkts_received"))
        if kind != "deny":
            frame = frame.with_columns(
                session_end_reason=pl.when(pl.col("elapsed") > 500)
                .then(pl.lit("aged-out"))
                .otherwise(pl.lit("tcp-fin"))
            )
        frame = _times_pa(frame)
        frames.append(frame.select("ts", render(_PA_TOKENS[kind], frame).alias("line")))
    return pl.concat(frames) if frames else pl.DataFrame(schema={"ts": pl.Int64, "line": pl.String})


_FG_POLICIES = [
    # (weight, src prefix, src range, dst ip, dport, service, intfs, roles, policy id, name, uuid)
    (30, "10.10.50.", (20, 251), "10.10.30.5", 389, "LDAP", ("users", "servers"), 15, "users-to-dc"),
    (20, "10.10.50.", (20, 251), "10.10.30.21", 8443, "HTTPS", ("users", "servers"), 16, "users-to-app"),
    (15, "10.10.20.", (15, 16), "10.10.30.21", 8443, "HTTPS", ("dmz", "servers"), 11, "web-to-app-api"),
    (15, "10.10.30.", (21, 23), "10.10.40.5", 1433, "MS-SQL", ("servers", "db"), 20, "app-to-db-sql"),
    (10, "10.10.50.", (20, 251), "10.10.30.22", 443, "HTTPS", ("users", "servers"), 16, "users-to-app"),
    (10, "10.10.50.", (20, 251), "10.10.40.5", 1433, "MS-SQL", ("users", "db"), 0, ""),
]  # fmt: skip
_ROLES = {"users": "lan", "servers": "lan", "dmz": "dmz", "db": "lan"}
_FG_TOK = fg_traffic_tokens(FG_NAME, FG_DEVID, FG_TZ, FG_RELAY)
_FG_DENY = fg_traffic_tokens(FG_NAME, FG_DEVID, FG_TZ, FG_RELAY, deny=True)


def fg_background(rng: random.Random, n: int, lo: int, hi: int) -> pl.DataFrame:
    """Internal segment traffic through the core FortiGate, incl. implicit-deny hits."""
    which = picks(rng, list(range(len(_FG_POLICIES))), n, [p[0] for p in _FG_POLICIES])
    frames = []
    for idx, pol in enumerate(_FG_POLICIES):
        k = which.count(idx)
        if not k:
            continue
        _, prefix, (a, b), dst, dport, svc, intfs, pid, pname = pol
        deny = pid == 0
        dur = [0] * k if deny else ints(rng, 1, 900, k)
        frame = pl.DataFrame(
            {
                "ts": ints(rng, lo, hi, k),
                "duration": dur,
                "srcip": _ip(prefix, ints(rng, a, b, k)),
                "srcport": ints(rng, 49_152, 65_535, k),
                "sessionid": ints(rng, 1_000_000, 9_999_999, k),
                "sentbyte": [0] * k if deny else ints(rng, 300, 80_000, k),
                "rcvdbyte": [0] * k if deny else ints(rng, 500, 900_000, k),
                "ns": ints(rng, 0, 999, k),
            }
        )
        end = pl.col("ts").cast(pl.Datetime("us", "UTC"))
        frame = frame.with_columns(
            syslog_ts=fmt(end + pl.duration(milliseconds=37), "UTC", "%Y-%m-%dT%H:%M:%S%.6f+00:00"),
            date=fmt(end, FG_ZONE, "%Y-%m-%d"),
            time=fmt(end, FG_ZONE, "%H:%M:%S"),
            eventtime=pl.col("ts") * 1000 + pl.col("ns"),
            logid=pl.lit("0000000013"),
            subtype=pl.lit("forward"),
            level=pl.lit("warning" if deny else "notice"),
            srcintf=pl.lit(intfs[0]),
            srcintfrole=pl.lit(_ROLES[intfs[0]]),
            dstip=pl.lit(dst),
            dstport=pl.lit(dport),
            dstintf=pl.lit(intfs[1]),
            dstintfrole=pl.lit(_ROLES[intfs[1]]),
            srccountry=pl.lit("Reserved"),
            action=pl.lit("deny" if deny else "close"),
            policyid=pl.lit(pid),
            poluuid=pl.lit(f"{pid:08x}-9c3d-51ef-0000-00000000{pid:04x}"),
            policyname=pl.lit(pname),
            service=pl.lit(svc),
            trandisp=pl.lit("noop"),
            sentpkt=(pl.col("sentbyte") // 900).clip(1),
            rcvdpkt=pl.col("rcvdbyte") // 1300,
        )
        frames.append(
            frame.select("ts", render(_FG_DENY if deny else _FG_TOK, frame).alias("line"))
        )
    return pl.concat(frames) if frames else pl.DataFrame(schema={"ts": pl.Int64, "line": pl.String})


_PFW = {
    # host: list of (weight, action, proto, src prefix, src range, dst, dport, path, pid)
    "WEB01": [
        (50, "ALLOW", "TCP", "192.0.2.", (1, 255), "10.10.20.15", 443, "RECEIVE", 4),
        (20, "ALLOW", "TCP", "10.10.20.", (15, 16), "10.10.30.21", 8443, "SEND", 3312),
        (20, "ALLOW", "UDP", "10.10.20.", (15, 16), "10.10.30.5", 53, "SEND", 1520),
        (10, "DROP", "TCP", "10.10.50.", (20, 251), "10.10.20.15", 445, "RECEIVE", 0),
    ],
    "APP02": [
        (50, "ALLOW", "TCP", "10.10.50.", (20, 251), "10.10.30.21", 8443, "RECEIVE", 4),
        (30, "ALLOW", "TCP", "10.10.30.", (21, 22), "10.10.40.5", 1433, "SEND", 2980),
        (20, "ALLOW", "UDP", "10.10.30.", (21, 22), "10.10.30.5", 53, "SEND", 1384),
    ],
    "APP03": [
        (50, "ALLOW", "TCP", "10.10.50.", (20, 251), "10.10.30.22", 443, "RECEIVE", 4),
        (30, "ALLOW", "TCP", "10.10.30.", (22, 23), "10.10.40.5", 1433, "SEND", 3660),
        (20, "DROP", "TCP", "10.10.50.", (20, 251), "10.10.30.22", 135, "RECEIVE", 0),
    ],
    "DB01": [
        (60, "ALLOW", "TCP", "10.10.30.", (21, 23), "10.10.40.5", 1433, "RECEIVE", 2816),
        (25, "ALLOW", "UDP", "10.10.40.", (5, 6), "10.10.30.5", 53, "SEND", 1492),
        (15, "DROP", "TCP", "10.10.50.", (20, 251), "10.10.40.5", 1433, "RECEIVE", 0),
    ],
}  # fmt: skip


def pfw_background(
    host: str, hosts: dict[str, str], zone: str, with_pid: bool
) -> Callable[[random.Random, int, int, int], pl.DataFrame]:
    """Per-host pfirewall.log background in the host's local time."""
    tokens = pfirewall_tokens(with_pid)
    rows = _PFW[host]

    def gen(rng: random.Random, n: int, lo: int, hi: int) -> pl.DataFrame:
        which = picks(rng, list(range(len(rows))), n, [r[0] for r in rows])
        frames = []
        for idx, (_, action, proto, prefix, (a, b), dst, dport, path, pid) in enumerate(rows):
            k = which.count(idx)
            if not k:
                continue
            src = _ip(prefix, ints(rng, a, b, k))
            sport = ints(rng, 49_152, 65_535, k)
            if path == "SEND":  # the host is the source: our address, ephemeral port
                src = pl.Series([f"{prefix}{a}"] * k)
            frame = pl.DataFrame(
                {"ts": [t - t % US for t in ints(rng, lo, hi, k)], "src": src, "sport": sport}
            )
            t = pl.col("ts").cast(pl.Datetime("us", "UTC"))
            frame = frame.with_columns(
                date=fmt(t, zone, "%Y-%m-%d"),
                time=fmt(t, zone, "%H:%M:%S"),
                action=pl.lit(action),
                protocol=pl.lit(proto),
                dst=pl.lit(dst),
                dport=pl.lit(dport),
                size=pl.lit(0 if action == "ALLOW" else 52),
                path=pl.lit(path),
                pid=pl.lit(pid),
            )
            frames.append(frame.select("ts", render(tokens, frame).alias("line")))
        return (
            pl.concat(frames)
            if frames
            else pl.DataFrame(schema={"ts": pl.Int64, "line": pl.String})
        )

    _ = hosts
    return gen
