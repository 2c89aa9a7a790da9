"""Benchmark: `fwcorr parse` vs a bare polars CSV scan vs the Python csv module on PAN-OS TRAFFIC.

Generates a deterministic file of 115-field PAN-OS 10.x TRAFFIC lines with BSD syslog headers,
then runs each contender as a separate process that also writes Parquet, and prints a Markdown
table (MB/s, lines/s). Usage: python bench/bench_paloalto.py [--lines 2000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

# 0-based positions read by every contender (the fields fwcorr maps for a TRAFFIC connection).
COLUMNS = (
    0,
    1,
    2,
    3,
    4,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    14,
    15,
    16,
    17,
    18,
    19,
    22,
    23,
    24,
    25,
    26,
    27,
    29,
    30,
    32,
    33,
    34,
    35,
    36,
    46,
    52,
    65,
    102,
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def generate(path: Path, n: int) -> None:
    """Write n deterministic 115-field TRAFFIC lines (BSD header, 10.x layout, +08:00 device)."""
    i = pl.int_range(0, n, dtype=pl.Int64, eager=False)
    h = (i * 2654435761) % 4294967291
    start = pl.lit(1_700_000_000, pl.Int64) + i // 40
    elapsed = h % 120
    gen = start + elapsed

    def stamp(sec: pl.Expr) -> pl.Expr:
        return pl.from_epoch(sec, time_unit="s").dt.strftime("%Y/%m/%d %H:%M:%S")

    def octet(e: pl.Expr) -> pl.Expr:
        return e.cast(pl.String)

    src = pl.concat_str([pl.lit("10.1."), octet((h // 256) % 250), pl.lit("."), octet(h % 250 + 1)])
    dst = pl.concat_str([pl.lit("203.0.113."), octet((h // 8) % 254 + 1)])
    nat_src = pl.when(h % 3 == 0).then(pl.lit("198.51.100.7")).otherwise(pl.lit("0.0.0.0"))
    nat_port = pl.when(h % 3 == 0).then(octet(1024 + h % 60000)).otherwise(pl.lit("0"))
    action = pl.when(h % 10 == 0).then(pl.lit("deny")).otherwise(pl.lit("allow"))
    bytes_sent = h % 100000
    bytes_recv = (h // 16) % 500000
    header = pl.concat_str(
        [
            pl.lit("<14>"),
            pl.from_epoch(gen, time_unit="s").dt.strftime("%b %e %H:%M:%S"),
            pl.lit(" PA-5220-EDGE 1"),
        ]
    )
    fields: list[pl.Expr] = [
        header,
        stamp(gen),
        pl.lit("013201001234"),
        pl.lit("TRAFFIC"),
        pl.lit("end"),
        pl.lit("2561"),
        stamp(gen),
        src,
        dst,
        nat_src,
        pl.lit("0.0.0.0"),
        pl.lit("allow-outbound-web"),
        pl.lit("corp\\user") + octet(h % 500),
        pl.lit(""),
        pl.lit("ssl"),
        pl.lit("vsys1"),
        pl.lit("trust"),
        pl.lit("untrust"),
        pl.lit("ethernet1/2"),
        pl.lit("ethernet1/1"),
        pl.lit("fwd-siem"),
        stamp(gen),
        octet(h % 900000 + 1000),
        pl.lit("1"),
        octet(1024 + (h // 32) % 60000),
        pl.lit("443"),
        nat_port,
        pl.lit("0"),
        pl.lit("0x400053"),
        pl.lit("tcp"),
        action,
        octet(bytes_sent + bytes_recv),
        octet(bytes_sent),
        octet(bytes_recv),
        octet(h % 900 + 2),
        stamp(start),
        octet(elapsed),
        pl.lit("computer-and-internet-info"),
        pl.lit("0"),
        octet(7_000_000_000_000_000 + i),
        pl.lit("0x8000000000000000"),
        pl.lit("10.0.0.0-10.255.255.255"),
        pl.lit("United States"),
        pl.lit("0"),
        octet(h % 450 + 1),
        octet(h % 450 + 1),
        pl.lit("tcp-fin"),
        pl.lit("0"),
        pl.lit("0"),
        pl.lit("0"),
        pl.lit("0"),
        pl.lit(""),
        pl.lit("PA-5220-EDGE"),
        pl.lit("from-policy"),
    ]
    fields += [pl.lit("")] * 2 + [pl.lit("0"), pl.lit("")] + [pl.lit("0")] * 2 + [pl.lit("N/A")]
    fields += [pl.lit("0")] * 4  # 61..64 sctp
    fields += [pl.lit("3f8a1b2c-4d5e-4f60-8a7b-9c0d1e2f3a4b"), pl.lit("0"), pl.lit("0")]  # 65..67
    fields += [pl.lit("")] * (102 - len(fields))
    fields.append(
        pl.concat_str(
            [
                pl.from_epoch(gen * 1000 + h % 1000, time_unit="ms").dt.strftime(
                    "%Y-%m-%dT%H:%M:%S%.3f"
                ),
                pl.lit("+08:00"),
            ]
        )
    )
    fields += [pl.lit(""), pl.lit(""), pl.lit("encrypted-tunnel"), pl.lit("networking")]
    fields += [pl.lit("browser-based"), pl.lit("4"), pl.lit("used-by-malware"), pl.lit("")]
    fields += [pl.lit("ssl"), pl.lit("no"), pl.lit("no"), pl.lit("0")]
    assert len(fields) == 115, len(fields)
    frame = pl.select(pl.concat_str(fields, separator=",").alias("line"))
    frame.write_csv(path, include_header=False, quote_style="never")


POLARS_SCRIPT = """
import sys, polars as pl
cols = [int(c) for c in sys.argv[3].split(",")]
lf = pl.scan_csv(sys.argv[1], has_header=False, infer_schema=False, truncate_ragged_lines=True,
                 schema={f"column_{i + 1}": pl.String for i in range(115)})
lf.select([f"column_{c + 1}" for c in cols]).collect().write_parquet(sys.argv[2])
"""

PYCSV_SCRIPT = """
import csv, sys, polars as pl
cols = [int(c) for c in sys.argv[3].split(",")]
out = {c: [] for c in cols}
with open(sys.argv[1], newline="", encoding="utf-8") as fh:
    for row in csv.reader(fh):
        for c in cols:
            out[c].append(row[c] if c < len(row) else None)
pl.DataFrame({f"column_{c + 1}": v for c, v in out.items()}).write_parquet(sys.argv[2])
"""


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+sys) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--skip-pycsv", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="runs per contender (best is kept)")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_paloalto_"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "PA-5220-EDGE" / "traffic.log"
    data.parent.mkdir(exist_ok=True)
    stamp = work / "generated.txt"
    if not data.exists() or not stamp.exists() or stamp.read_text() != str(args.lines):
        generate(data, args.lines)
        stamp.write_text(str(args.lines))
    size = data.stat().st_size
    cols = ",".join(map(str, COLUMNS))
    py = sys.executable
    fwcorr = [py, "-c", "from fwcorr.cli import main; main()", "parse", str(data)]
    fwcorr += ["--out", str(work / "out"), "--vendor", "paloalto"]
    pl_cmd = [py, "-c", POLARS_SCRIPT, str(data), str(work / "pl.parquet"), cols]
    contenders = {"fwcorr parse": fwcorr, "polars scan_csv + select": pl_cmd}
    if not args.skip_pycsv:
        contenders["python csv module"] = [
            *(py, "-c", PYCSV_SCRIPT, str(data), str(work / "py.parquet"), cols)
        ]
    results: dict[str, tuple[float, float]] = {}
    load = os.getloadavg()
    for _ in range(args.repeat):  # interleaved, so machine load hits every contender alike
        for name, cmd in contenders.items():
            got = run(cmd)
            results[name] = min(got, results.get(name, got))
    summary = json.loads((work / "out" / "summary.json").read_text())
    print(f"file: {data} ({size / 1e6:.0f} MB, {args.lines} lines, {len(COLUMNS)} columns read)")
    print(f"fwcorr totals: {summary['totals']}")
    print(f"best of {args.repeat} run(s) each; load average at start: {load}")
    print("| contender | wall s | CPU s | MB/s | lines/s |")
    print("|---|---:|---:|---:|---:|")
    for name, (secs, cpu) in results.items():
        mbs, lps = size / 1e6 / secs, args.lines / secs
        print(f"| {name} | {secs:.2f} | {cpu:.2f} | {mbs:.0f} | {lps:,.0f} |")
    base, mine = results["polars scan_csv + select"], results["fwcorr parse"]
    print(f"\nfwcorr parse throughput = {base[0] / mine[0]:.0%} of the bare polars scan (wall)")
    print(f"fwcorr parse CPU cost = {mine[1] / base[1]:.2f}x the bare polars scan's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
