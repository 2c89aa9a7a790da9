"""Benchmark: IOC sweep of N connections (default 10 million) against 10,000 indicators.

Generates one Parquet file of CONNECTION rows (IPv4 + IPv6, NAT columns partly set) and an
indicator list (7,000 IPs, 1,000 CIDRs incl. 200 IPv6 and nested ones, 2,000 IP:port), then
runs, each in a fresh subprocess so peak RSS is per engine:

- polars: ``fwcorr.sweep.sweep(scan_parquet(...))`` sunk to Parquet with the streaming engine;
- duckdb: the equivalent SQL (distinct IPs -> 128-bit keys -> BETWEEN join on CIDR bounds, hash
  joins per IP column and per IP:port column, UNION ALL, ORDER BY) over the same Parquet file.

Both write the sorted hits (connection columns + conn_row, ioc_id, kind, matched column) to
Parquet and the hit counts must agree. Usage:
``python bench/bench_sweep.py [--rows 10000000] [--dir /tmp/fwcorr_bench]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from fwcorr.netutil import cidr_intervals
from fwcorr.schema import CONNECTION, IOC, conform

PORTS = [443, 80, 22, 3389, 8443, 9999, 445, 1433]


def _v4(n: int) -> str:
    return f"{n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def _pools(rng: random.Random) -> dict[str, list[str]]:
    ext = sorted({_v4(rng.randrange(0x0B000000, 0xDF000000)) for _ in range(300_000)})
    internal = sorted({_v4(0x0A000000 + rng.randrange(0, 1 << 24)) for _ in range(50_000)})
    v6 = sorted(
        {f"2001:db8:{rng.randrange(1 << 16):x}::{rng.randrange(1 << 16):x}" for _ in range(30_000)}
    )
    return {"ext": ext, "internal": internal, "v6": v6}


def _pick(pool: list[str], seed: int, n: int) -> pl.Expr:
    """Deterministic pseudo-random choice from `pool` per row (hash of the row index)."""
    series = pl.Series(pool, dtype=pl.String)
    idx = (pl.int_range(n, dtype=pl.UInt64).hash(seed) % len(pool)).cast(pl.UInt32)
    return pl.lit(series).gather(idx)


def generate(path: Path, rows: int, seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    pools = _pools(rng)
    r = pl.int_range(rows, dtype=pl.UInt64)
    u = lambda k: r.hash(seed * 100 + k) % 1000  # noqa: E731  (per-row pseudo-random 0..999)
    base = int(datetime(2024, 5, 1, tzinfo=UTC).timestamp() * 1_000_000)
    frame = pl.select(
        (pl.lit(base) + (r.hash(11) % (30 * 86400 * 1_000_000)).cast(pl.Int64))
        .cast(pl.Datetime("us", "UTC"))
        .alias("ts"),
        pl.lit("paloalto").alias("vendor"),
        pl.lit(pl.Series(["PA-EDGE", "PA-CORE", "FGT-1", "FGT-2"]))
        .gather(u(1) % 4)
        .alias("device"),
        pl.lit("allow").alias("action"),
        pl.lit("tcp").alias("protocol"),
        pl.when(u(2) < 900)
        .then(_pick(pools["ext"], 21, rows))
        .when(u(2) < 950)
        .then(_pick(pools["v6"], 22, rows))
        .otherwise(_pick(pools["internal"], 23, rows))
        .alias("src_ip"),
        (1024 + r.hash(12) % 60000).cast(pl.Int32).alias("src_port"),
        pl.when(u(3) < 950)
        .then(_pick(pools["internal"], 24, rows))
        .otherwise(_pick(pools["v6"], 25, rows))
        .alias("dst_ip"),
        pl.lit(pl.Series(PORTS, dtype=pl.Int32)).gather(u(4) % len(PORTS)).alias("dst_port"),
        pl.when(u(5) < 100).then(_pick(pools["ext"], 26, rows)).alias("nat_src_ip"),
        pl.when(u(6) < 300).then(_pick(pools["internal"], 27, rows)).alias("nat_dst_ip"),
        pl.when(u(6) < 300)
        .then(pl.lit(pl.Series(PORTS, dtype=pl.Int32)).gather(u(7) % len(PORTS)))
        .alias("nat_dst_port"),
        (r.hash(13) % 100_000).cast(pl.Int64).alias("bytes_out"),
        pl.lit("fw.log").alias("src_file"),
        (r + 1).cast(pl.Int64).alias("src_line"),
    )
    conform(frame, CONNECTION).collect().write_parquet(path, row_group_size=100_000)
    return pools


def indicators(pools: dict[str, list[str]], seed: int = 8) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []

    def add(kind: str, value: str, **cols: object) -> None:
        rows.append(
            {
                "id": f"{kind}:{value}",
                "kind": kind,
                "value": value,
                "role": "bench",
                "source": "bench",
            }
            | cols
        )

    for ip in rng.sample(pools["ext"], 5000) + rng.sample(pools["v6"], 500):
        add("ip", ip, ip=ip)
    while len(rows) < 7000:
        ip = _v4(rng.randrange(0xE0000000, 0xEFFFFFFF))  # multicast space: never in the data
        add("ip", ip, ip=ip)
    for ip in rng.sample(pools["ext"], 150):
        a, b = ip.split(".")[:2]
        add("cidr", f"{a}.{b}.0.0/16", cidr=f"{a}.{b}.0.0/16")
        for _ in range(2):  # nested /24s inside the /16
            c = f"{a}.{b}.{rng.randrange(256)}.0/24"
            add("cidr", c, cidr=c)
    for ip in rng.sample(pools["ext"], 250):
        c = ".".join(ip.split(".")[:3]) + ".0/24"
        add("cidr", c, cidr=c)
    for ip in rng.sample(pools["internal"], 100):
        c = ".".join(ip.split(".")[:3]) + f".{rng.randrange(16) * 16}/28"
        add("cidr", c, cidr=c)
    for ip in rng.sample(pools["v6"], 100):
        group = ip.split(":")[2]
        for c in (f"2001:db8:{group}::/48", f"2001:db8:{group}::/112"):
            add("cidr", c, cidr=c)
    for ip in rng.sample(pools["internal"], 2000):
        port = rng.choice(PORTS)
        add("ip_port", f"{ip}:{port}", ip=ip, port=port)
    frame = conform(pl.DataFrame(rows, infer_schema_length=None), IOC).collect()
    return frame.unique("id", keep="first", maintain_order=True)


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(cmd: list[str], env: dict[str, str], limit_mb: float) -> dict[str, float]:
    """Run one engine in a subprocess; kill it if its RSS exceeds limit_mb (shared machine)."""
    import psutil

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    watch = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            if watch.memory_info().rss / 2**20 > limit_mb:
                proc.kill()
                proc.wait()
                return {"killed_over_mb": limit_mb}
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"{cmd[2]} failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def run_polars(parquet: Path, iocs: Path, out: Path) -> dict[str, float]:
    from fwcorr.assets import build_assets
    from fwcorr.config import SiteConfig
    from fwcorr.sweep import sweep

    ioc_frame = pl.read_parquet(iocs)
    before, cpu0 = _peak_mb(), _cpu_s()
    t0 = time.perf_counter()
    plan = sweep(pl.scan_parquet(parquet), ioc_frame, build_assets(SiteConfig()))
    plan.sink_parquet(out, engine="streaming")
    seconds, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    hits = pl.scan_parquet(out).select(pl.len()).collect().item()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_rss_mb": _peak_mb(),
        "baseline_rss_mb": before,
        "hits": hits,
    }


_DUCK_MACROS = r"""
CREATE MACRO v4key(ip) AS (split_part(ip, '.', 1)::UHUGEINT * 16777216
    + split_part(ip, '.', 2)::UHUGEINT * 65536 + split_part(ip, '.', 3)::UHUGEINT * 256
    + split_part(ip, '.', 4)::UHUGEINT + 281470681743360);
CREATE MACRO v6groups(ip) AS (CASE WHEN contains(ip, '::') THEN list_concat(
    CASE WHEN split_part(ip, '::', 1) = '' THEN []::VARCHAR[]
         ELSE string_split(split_part(ip, '::', 1), ':') END,
    list_transform(range(8 - (CASE WHEN split_part(ip, '::', 1) = '' THEN 0
                                   ELSE len(string_split(split_part(ip, '::', 1), ':')) END)
                           - (CASE WHEN split_part(ip, '::', 2) = '' THEN 0
                                   ELSE len(string_split(split_part(ip, '::', 2), ':')) END)),
                   lambda x: '0'),
    CASE WHEN split_part(ip, '::', 2) = '' THEN []::VARCHAR[]
         ELSE string_split(split_part(ip, '::', 2), ':') END)
  ELSE string_split(ip, ':') END);
CREATE MACRO v6key(ip) AS list_reduce(
    list_transform(v6groups(ip), lambda g: ('0x' || g)::UHUGEINT), lambda a, b: a * 65536 + b);
CREATE MACRO ipkey(ip) AS CASE WHEN contains(ip, ':') THEN v6key(ip) ELSE v4key(ip) END;
"""

_DUCK_SQL = """
COPY (
WITH c AS (SELECT *, file_row_number AS conn_row FROM read_parquet('{parquet}', file_row_number = true)),
ips AS (SELECT DISTINCT ip FROM (
    SELECT src_ip AS ip FROM c UNION ALL SELECT dst_ip FROM c
    UNION ALL SELECT nat_src_ip FROM c UNION ALL SELECT nat_dst_ip FROM c) WHERE ip IS NOT NULL),
cm AS (SELECT k.ip, s.ioc_id FROM (SELECT ip, ipkey(ip) AS key FROM ips) k
       JOIN cidr s ON k.key BETWEEN s.lo AND s.hi),
bi AS (SELECT ip, ioc_id, 'ip' AS ioc_kind FROM exact
       UNION ALL SELECT ip, ioc_id, 'cidr' FROM cm),
hits AS (
    SELECT c.*, bi.ioc_id, bi.ioc_kind, 'src_ip' AS matched_column FROM c JOIN bi ON c.src_ip = bi.ip
    UNION ALL SELECT c.*, bi.ioc_id, bi.ioc_kind, 'dst_ip' FROM c JOIN bi ON c.dst_ip = bi.ip
    UNION ALL SELECT c.*, bi.ioc_id, bi.ioc_kind, 'nat_src_ip' FROM c JOIN bi ON c.nat_src_ip = bi.ip
    UNION ALL SELECT c.*, bi.ioc_id, bi.ioc_kind, 'nat_dst_ip' FROM c JOIN bi ON c.nat_dst_ip = bi.ip
    UNION ALL SELECT c.*, p.ioc_id, p.ioc_kind, 'dst_ip:dst_port' FROM c
        JOIN ports p ON c.dst_ip = p.ip AND c.dst_port = p.port
    UNION ALL SELECT c.*, p.ioc_id, p.ioc_kind, 'nat_dst_ip:nat_dst_port' FROM c
        JOIN ports p ON c.nat_dst_ip = p.ip AND c.nat_dst_port = p.port)
SELECT * FROM hits ORDER BY conn_row, ioc_id, matched_column
) TO '{out}' (FORMAT parquet)
"""


def run_duckdb(parquet: Path, iocs: Path, out: Path, threads: int) -> dict[str, float]:
    import duckdb

    ioc_frame = pl.read_parquet(iocs)
    exact = ioc_frame.filter(pl.col("kind") == "ip").select("ip", pl.col("id").alias("ioc_id"))
    ports = ioc_frame.filter(pl.col("kind") == "ip_port").select(
        "ip", "port", pl.col("id").alias("ioc_id"), pl.col("kind").alias("ioc_kind")
    )
    spans = [
        (str(a + (1 << 127)), str(b + (1 << 127)), row["id"])
        for row in ioc_frame.filter(pl.col("kind") == "cidr").iter_rows(named=True)
        for a, b in cidr_intervals(row["cidr"])
    ]
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(_DUCK_MACROS)
    con.execute("CREATE TABLE cidr (lo UHUGEINT, hi UHUGEINT, ioc_id VARCHAR)")
    con.executemany("INSERT INTO cidr VALUES (?::UHUGEINT, ?::UHUGEINT, ?)", spans)
    con.register("exact_df", exact.to_arrow())
    con.register("ports_df", ports.to_arrow())
    con.execute("CREATE TABLE exact AS SELECT * FROM exact_df")
    con.execute("CREATE TABLE ports AS SELECT * FROM ports_df")
    before, cpu0 = _peak_mb(), _cpu_s()
    t0 = time.perf_counter()
    con.execute(_DUCK_SQL.format(parquet=parquet, out=out))
    seconds, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    hits = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "peak_rss_mb": _peak_mb(),
        "baseline_rss_mb": before,
        "hits": hits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", default="all", choices=["all", "polars", "duckdb"])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/fwcorr_bench"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit-mb", type=float, default=12_000)
    parser.add_argument("--reuse", action="store_true", help="Reuse generated files.")
    args = parser.parse_args()
    data, iocs = args.dir / f"conns_{args.rows}.parquet", args.dir / "iocs.parquet"
    if args.mode == "polars":
        print(json.dumps(run_polars(data, iocs, args.dir / "hits_polars.parquet")))
        return
    if args.mode == "duckdb":
        print(json.dumps(run_duckdb(data, iocs, args.dir / "hits_duckdb.parquet", args.threads)))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if not (args.reuse and data.exists() and iocs.exists()):
        pools = generate(data, args.rows)
        indicators(pools).write_parquet(iocs)
    ioc_frame = pl.read_parquet(iocs)
    kinds = dict(ioc_frame.group_by("kind").len().iter_rows())
    print(
        f"data ready ({args.rows:,} connections) in {time.perf_counter() - t0:.1f}s; "
        f"{ioc_frame.height:,} indicators {kinds}; file {data.stat().st_size / 1e6:.0f} MB"
    )
    results = {}
    env = {**os.environ, "POLARS_MAX_THREADS": str(args.threads)}
    for mode in ("polars", "duckdb"):
        cmd = [
            sys.executable,
            __file__,
            mode,
            "--rows",
            str(args.rows),
            "--dir",
            str(args.dir),
            "--threads",
            str(args.threads),
        ]
        results[mode] = run_child(cmd, env, args.limit_mb)
        print(mode, json.dumps(results[mode]))
    if any("killed_over_mb" in r for r in results.values()):
        return
    same = pl.read_parquet(
        args.dir / "hits_polars.parquet", columns=["conn_row", "ioc_id", "matched_column"]
    )
    other = pl.read_parquet(
        args.dir / "hits_duckdb.parquet", columns=["conn_row", "ioc_id", "matched_column"]
    )
    print("hit sets equal:", same.sort(pl.all()).equals(other.cast(same.schema).sort(pl.all())))


if __name__ == "__main__":
    main()
