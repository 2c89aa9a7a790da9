"""Benchmark `fwcorr hunt` on a generated example case (`--scale N`): wall time and peak RSS.

Usage: python bench/bench_hunt.py --scale 400 [--work bench/data/hunt]
Generates the case (if absent), runs `fwcorr hunt` as a separate process, and prints a Markdown
row with input size, time, throughput and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=int, default=400)
    ap.add_argument("--work", type=Path, default=REPO / "bench" / "data" / "hunt")
    args = ap.parse_args()
    case = args.work / f"case-{args.scale}"
    out = args.work / f"out-{args.scale}"
    if not case.exists():
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(REPO / "examples" / "make_case.py"),
                "--out",
                str(case),
                "--scale",
                str(args.scale),
            ],
            check=True,
        )
        print(f"generated {case} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    size = _size(case)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fwcorr",
            "hunt",
            str(case),
            "--config",
            str(case / "site.yaml"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"hunt failed ({proc.returncode}): {proc.stderr}")
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    findings = json.loads((out / "findings.json").read_text())
    t = findings["totals"]
    print(proc.stdout)
    print("| scale | input | records | connections | traces | wall s | MB/s | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.scale} | {size / 1e6:,.0f} MB | {t['records']:,} | {t['connections']:,} | "
        f"{len(findings['traces'])} | {wall:.1f} | {size / 1e6 / wall:.1f} | {rss_mb:,.0f} MB |"
    )


if __name__ == "__main__":
    main()
