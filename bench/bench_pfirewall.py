"""Benchmark: the pfirewall.log parser on a generated multi-million-line log.

Writes a deterministic 18-field (Windows 10/11, with pid) pfirewall.log with a logging restart
(repeated header) every 500,000 lines and an INFO-EVENTS-LOST line every 100,000, then times
`parsers.pfirewall.parse` (read, split, header segments, zone conversion, conform) and, for
context, a bare polars split of the same bytes. Prints a Markdown table (lines/s, MB/s).
Usage: python bench/bench_pfirewall.py [--lines 2000000] [--workdir DIR] [--repeat 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl

from fwcorr.config import config_from_dict
from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from fwcorr.lines import read_lines
from parsers import pfirewall

HEADER = (
    "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n"
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
    "tcpack tcpwin icmptype icmpcode info path pid\n"
)
RESTART_EVERY = 500_000
LOST_EVERY = 100_000


def generate(path: Path, n: int) -> None:
    """n data lines, deterministic: mixed ALLOW/DROP, TCP/UDP/ICMP, SEND/RECEIVE, IPv4/IPv6."""
    i = pl.int_range(0, n, dtype=pl.Int64, eager=True).alias("i")
    h = (i * 2654435761) % 4294967291
    secs = pl.lit(1_773_446_400, pl.Int64) + i // 25
    frame = pl.DataFrame({"i": i, "h": h}).with_columns(secs.alias("s"))
    h_ = pl.col("h")
    proto = (
        pl.when(h_ % 20 == 0)
        .then(pl.lit("ICMP"))
        .when(h_ % 3 == 0)
        .then(pl.lit("UDP"))
        .otherwise(pl.lit("TCP"))
    )
    send = h_ % 2 == 0
    local = pl.concat_str(pl.lit("10.1."), ((h_ // 7) % 250).cast(pl.String), pl.lit(".20"))
    remote = (
        pl.when(h_ % 50 == 1)
        .then(pl.concat_str(pl.lit("2001:db8::"), (h_ % 9999).cast(pl.String)))
        .otherwise(pl.concat_str(pl.lit("203.0.113."), ((h_ // 11) % 254 + 1).cast(pl.String)))
    )
    is_icmp = h_ % 20 == 0
    eph = (49152 + h_ % 16000).cast(pl.String)
    svc = pl.lit(["443", "445", "3389", "9999", "53"]).list.get((h_ // 13) % 5)
    line = pl.concat_str(
        pl.from_epoch("s", time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S"),
        pl.when(h_ % 4 == 0).then(pl.lit("DROP")).otherwise(pl.lit("ALLOW")),
        proto,
        pl.when(send).then(local).otherwise(remote),
        pl.when(send).then(remote).otherwise(local),
        pl.when(is_icmp).then(pl.lit("-")).otherwise(eph),
        pl.when(is_icmp).then(pl.lit("-")).otherwise(svc),
        (h_ % 1500).cast(pl.String),
        pl.lit("- 0 0 0"),
        pl.when(is_icmp).then(pl.lit("8 0")).otherwise(pl.lit("- -")),
        pl.lit("-"),
        pl.when(send).then(pl.lit("SEND")).otherwise(pl.lit("RECEIVE")),
        (h_ % 9000 + 4).cast(pl.String),
        separator=" ",
    )
    lost = pl.concat_str(
        pl.from_epoch("s", time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S"),
        pl.lit("INFO-EVENTS-LOST - - - - - - - - - - - - 17 - -"),
        separator=" ",
    )
    body = frame.select(
        pl.when((pl.col("i") % LOST_EVERY == 0) & (pl.col("i") > 0))
        .then(lost)
        .otherwise(line)
        .alias("text"),
        (pl.col("i") % RESTART_EVERY == 0).alias("restart"),
    )
    with path.open("w", encoding="utf-8", newline="\r\n") as fh:
        for start in range(0, n, RESTART_EVERY):
            fh.write(HEADER)
            chunk = body.slice(start, RESTART_EVERY).get_column("text")
            fh.write("\n".join(chunk.to_list()))
            fh.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_pfw_"))
    host_dir = work / "WEB01"
    host_dir.mkdir(parents=True, exist_ok=True)
    path = host_dir / "pfirewall.log"
    t0 = time.perf_counter()
    generate(path, args.lines)
    gen_s = time.perf_counter() - t0
    size_mb = path.stat().st_size / 1e6
    ctx = ParseContext(config=config_from_dict({"hosts": {"WEB01": {"timezone": "+01:00"}}}))
    rows = []
    for _ in range(args.repeat):
        source = Source(path=path, display=str(path), root=work)
        t0 = time.perf_counter()
        frame = read_lines(source).with_columns(pl.col("text").str.split(" ").alias("parts"))
        base_s = time.perf_counter() - t0
        del frame
        source = Source(path=path, display=str(path), root=work)
        t0 = time.perf_counter()
        result = pfirewall.parse(source, ctx)
        parse_s = time.perf_counter() - t0
        rows.append((base_s, parse_s, result))
    units = rows[-1][2].units
    print(f"file: {path} ({size_mb:.1f} MB, {units:,} lines; generated in {gen_s:.1f} s)")
    res = rows[-1][2]
    print(
        f"records {res.records:,}, non-records {res.non_records:,}, rejected {res.rejected:,}, "
        f"events_lost {res.stats['events_lost']:,}"
    )
    print()
    print("| contender | seconds | lines/s | MB/s |")
    print("|---|---:|---:|---:|")
    for name, idx in (("bare polars read + split", 0), ("pfirewall.parse (full)", 1)):
        best = min(r[idx] for r in rows)
        print(f"| {name} | {best:.2f} | {units / best:,.0f} | {size_mb / best:,.1f} |")


if __name__ == "__main__":
    main()
