"""Benchmark: trace relayed sessions over N legs (default 1 million) and a 2x run for scaling.

Generates sessions through 1,000 port proxies (half entering through a perimeter DNAT): each
session is an inbound leg (client -> proxy host:9999) and an outbound leg (proxy host ->
target:3389) 0.1-2 s later with bytes within 3 %. Every run happens in a fresh subprocess and
reports wall time of ``fwcorr.trace.trace`` (legs, pairing, chains, CONTRACT dicts and relay
discovery over all connections), peak RSS and the number of traces.
Usage: ``python bench/bench_trace.py [--legs 1000000] [--dir /tmp/fwcorr_bench]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from fwcorr.schema import CONNECTION, PORTPROXY, conform

PROXIES = 1000
BASE = datetime(2024, 5, 1, tzinfo=UTC)


def _ip(prefix: str, k: pl.Expr) -> pl.Expr:
    return pl.format(prefix + ".{}.{}", (k // 256).cast(pl.String), (k % 256).cast(pl.String))


def generate(path: Path, legs: int) -> None:
    n = legs // 2
    s = pl.int_range(n, dtype=pl.UInt64)
    k = (s.hash(1) % PROXIES).cast(pl.Int64)
    start_us = int(BASE.timestamp() * 1_000_000)
    t = (pl.lit(start_us) + (s.hash(2) % (30 * 86400 * 1_000_000)).cast(pl.Int64)).cast(
        pl.Datetime("us", "UTC")
    )
    lag = pl.duration(microseconds=(100_000 + s.hash(3) % 1_900_000).cast(pl.Int64))
    nbytes = (1000 + s.hash(4) % 1_000_000).cast(pl.Int64)
    perimeter = (s.hash(5) % 2) == 0
    client = pl.format(
        "198.51.{}.{}", (s.hash(6) % 256).cast(pl.String), (s.hash(7) % 256).cast(pl.String)
    )
    host = _ip("10.2", k)
    common = {
        "vendor": pl.lit("paloalto"),
        "action": pl.lit("allow"),
        "protocol": pl.lit("tcp"),
        "src_file": pl.lit("fw.log"),
    }
    inbound = pl.select(
        t.alias("ts"),
        (t + pl.duration(seconds=30)).alias("ts_end"),
        pl.when(perimeter).then(pl.lit("PA-EDGE")).otherwise(pl.lit("FW-CORE")).alias("device"),
        client.alias("src_ip"),
        (1024 + s.hash(8) % 60000).cast(pl.Int32).alias("src_port"),
        pl.when(perimeter).then(pl.lit("203.0.113.10")).otherwise(host).alias("dst_ip"),
        pl.when(perimeter).then(pl.lit(443)).otherwise(pl.lit(9999)).alias("dst_port"),
        pl.when(perimeter).then(host).alias("nat_dst_ip"),
        pl.when(perimeter).then(pl.lit(9999)).alias("nat_dst_port"),
        nbytes.alias("bytes_out"),
        **common,
    )
    outbound = pl.select(
        (t + lag).alias("ts"),
        (t + lag + pl.duration(seconds=29)).alias("ts_end"),
        pl.lit("FW-CORE").alias("device"),
        host.alias("src_ip"),
        (1024 + s.hash(9) % 60000).cast(pl.Int32).alias("src_port"),
        _ip("10.3", k).alias("dst_ip"),
        pl.lit(3389).alias("dst_port"),
        (nbytes * (1000 + s.hash(10) % 30).cast(pl.Int64) // 1000).alias("bytes_out"),
        **common,
    )
    frame = pl.concat([inbound, outbound], how="diagonal").sort("ts")
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1).alias("src_line"))
    conform(frame, CONNECTION).collect().write_parquet(path)


def proxies() -> pl.DataFrame:
    rows = [
        {
            "proxy_id": f"H{k}:9999",
            "host": f"H{k}",
            "host_ips": [f"10.2.{k // 256}.{k % 256}"],
            "family": "v4tov4",
            "listen_address": "0.0.0.0",
            "listen_port": 9999,
            "connect_address": f"10.3.{k // 256}.{k % 256}",
            "connect_port": 3389,
            "first_seen": BASE - timedelta(days=1),
            "removed_at": None,
            "capture_only": False,
        }
        for k in range(PROXIES)
    ]
    return conform(pl.DataFrame(rows), PORTPROXY).collect()


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(path: Path) -> dict[str, float]:
    from fwcorr.assets import build_assets
    from fwcorr.config import SiteConfig
    from fwcorr.trace import trace

    conns = pl.read_parquet(path)
    table = proxies()
    config = SiteConfig()
    before, cpu0 = _peak_mb(), _cpu_s()
    t0 = time.perf_counter()
    result = trace(conns, table, build_assets(config), config)
    seconds, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    t1 = time.perf_counter()
    n_traces = len(result.traces)  # CONTRACT dicts (Python objects), timed separately
    dict_seconds = time.perf_counter() - t1
    return {
        "legs": conns.height,
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_rss_mb": _peak_mb(),
        "rss_after_load_mb": before,
        "to_dicts_seconds": dict_seconds,
        "traces": n_traces,
        "suspected": len(result.suspected_proxies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", default="all", choices=["all", "run"])
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/fwcorr_bench"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.mode == "run":
        print(json.dumps(run(args.dir / f"legs_{args.legs}.parquet")))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    results = []
    for legs in (args.legs, 2 * args.legs):
        path = args.dir / f"legs_{legs}.parquet"
        generate(path, legs)
        cmd = [sys.executable, __file__, "run", "--legs", str(legs), "--dir", str(args.dir)]
        env = {**os.environ, "POLARS_MAX_THREADS": str(args.threads)}
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(results[-1])
    wall = results[1]["seconds"] / results[0]["seconds"]
    cpu = results[1]["cpu_s"] / results[0]["cpu_s"]
    print(f"2x legs -> {wall:.2f}x wall time, {cpu:.2f}x CPU time")


if __name__ == "__main__":
    main()
