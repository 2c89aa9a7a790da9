"""Benchmark: the FortiGate parser vs a pure-Python per-line regex/dict parser of the same fields.

Generates a deterministic FortiGate 7.x traffic log (default 2,000,000 lines), then runs each
contender in its own fresh process and times the whole process (interpreter start, imports, parse,
writing the result as Arrow IPC): `parsers.fortinet.parse` (columnar, polars) and a
straightforward per-line Python parser producing the same typed fields (one compiled regex ->
dict per line, first key wins). A second Python reference builds the dict with the faster
`dict(reversed(findall))` idiom. Outputs are checked equal; MB/s and lines/s are reported.

    .venv/bin/python bench/bench_fortinet.py --lines 2000000
    .venv/bin/python bench/bench_fortinet.py --workdir /work/bench/fg --repeat 3 \
        --only fwcorr --only python

`--workdir` keeps the generated log (and the outputs) there and reuses the log while the line
count is unchanged; `--repeat N` runs the contenders N times, interleaved so the machine's load
hits each alike, and reports every run (with its own ratios and output check). The log is read
once, untimed, before each contender, so none of them pays for reading it back from disk.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from parsers import fortinet
from parsers.fortinet_maps import ACTIONS, PROTO_NAMES, SESSION_END

_ACTIONS = ("close", "close", "close", "timeout", "accept", "server-rst", "client-rst", "deny")


def generate(path: Path, lines: int, seed: int = 7) -> int:
    """Write `lines` realistic 7.x traffic lines (forward/local, snat/dnat/noop, tcp/udp/icmp)."""
    rnd = random.Random(seed)
    base = 1_709_630_130_000_000_000
    with path.open("w", encoding="utf-8") as fh:
        for i in range(lines):
            et = base + i * 1_000_003_117
            proto = rnd.choice((6, 6, 6, 17, 17, 1))
            action = rnd.choice(_ACTIONS)
            sport = rnd.randrange(1024, 65535)
            dport = rnd.choice((443, 443, 80, 53, 22, 3389, 8443))
            src = f"10.{rnd.randrange(1, 8)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
            nat = rnd.random()
            if nat < 0.7:
                dst = f"203.0.113.{rnd.randrange(1, 255)}"
                natkv = f'trandisp="snat" transip=198.51.100.10 transport={sport}'
                intf = 'srcintf="port2" srcintfrole="lan" dstintf="wan1" dstintfrole="wan"'
            elif nat < 0.85:
                src = f"192.0.2.{rnd.randrange(1, 255)}"
                dst = "198.51.100.20"
                natkv = f'trandisp="dnat" tranip=10.1.1.20 tranport={dport}'
                intf = 'srcintf="wan1" srcintfrole="wan" dstintf="port2" dstintfrole="lan"'
            else:
                dst = f"10.9.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
                natkv = 'trandisp="noop"'
                intf = 'srcintf="port2" srcintfrole="lan" dstintf="port3" dstintfrole="dmz"'
            dur = 0 if action == "deny" else rnd.randrange(1, 3600)
            fh.write(
                f'<189>date=2024-03-05 time=10:15:30 devname="FGT-EDGE-01" '
                f'devid="FG100FTK19000001" eventtime={et} tz="+0100" logid="0000000013" '
                f'type="traffic" subtype="forward" level="notice" vd="root" srcip={src} '
                f"srcport={sport} {intf} dstip={dst} dstport={dport} "
                f'srccountry="Reserved" dstcountry="United States" sessionid={1000 + i} '
                f'proto={proto} action="{action}" policyid={rnd.randrange(0, 60)} '
                f'policytype="policy" poluuid="5d2c4a0e-1f1b-51ee-8f0a-8d5c0b6e7a11" '
                f'policyname="LAN to Internet" service="HTTPS" {natkv} appcat="unscanned" '
                f"duration={dur} sentbyte={rnd.randrange(10**7)} rcvdbyte={rnd.randrange(10**8)} "
                f"sentpkt={rnd.randrange(10**4)} rcvdpkt={rnd.randrange(10**4)}\n"
            )
    return path.stat().st_size


_PAIR = re.compile(r'([A-Za-z0-9_\-]+)=("(?:[^"\\]|\\.)*"|[^\s,"]*)')
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _num(v: str | None) -> int | None:
    return int(v) if v is not None and v.isdigit() else None


_USED = (
    "eventtime",
    "action",
    "duration",
    "proto",
    "trandisp",
    "sentpkt",
    "rcvdpkt",
    "devname",
    "srcip",
    "srcport",
    "dstip",
    "dstport",
    "transip",
    "transport",
    "tranip",
    "tranport",
    "policyname",
    "policyid",
    "sentbyte",
    "rcvdbyte",
    "sessionid",
    "srcintf",
    "dstintf",
    "poluuid",
)


def _dict_loop(line: str) -> dict[str, str | None]:
    """The plain way: every pair in order, first key wins, each value cleaned."""
    d: dict[str, str | None] = {}
    for k, v in _PAIR.findall(line):
        if k not in d:
            v = v.strip('"')
            d[k] = v if v not in ("", "N/A") else None
    return d


def _dict_reversed(line: str) -> dict[str, str | None]:
    """The quick idiom: one dict() call (reversed, so the first key wins); clean used keys only."""
    raw = dict(reversed(_PAIR.findall(line)))
    return {k: (None if (v := raw[k].strip('"')) in ("", "N/A") else v) for k in _USED if k in raw}


# every column the baseline computes
_COMPARED = (
    "ts",
    "ts_end",
    "device",
    "action",
    "protocol",
    "src_ip",
    "src_port",
    "dst_ip",
    "dst_port",
    "nat_src_ip",
    "nat_src_port",
    "nat_dst_ip",
    "nat_dst_port",
    "rule",
    "rule_id",
    "bytes_out",
    "bytes_in",
    "packets",
    "duration_s",
    "session_id",
    "src_intf",
    "dst_intf",
    "rule_uuid",
    "src_line",
)


def python_parse(path: Path, quick: bool = False) -> pl.DataFrame:
    """Per-line regex -> dict (first key wins) -> the same typed fields, then one frame."""
    to_dict = _dict_reversed if quick else _dict_loop
    cols: dict[str, list] = {k: [] for k in _COMPARED}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            d = to_dict(line)
            et = d.get("eventtime") or "0"
            us = int(et) // 1000 if len(et) > 16 else int(et) * 10 ** (16 - len(et))
            t = _EPOCH + timedelta(microseconds=us)
            action = (d.get("action") or "").lower()
            dur = _num(d.get("duration"))
            end = action in SESSION_END and dur is not None
            proto = PROTO_NAMES.get(d.get("proto") or "", d.get("proto"))
            icmp = proto in ("icmp", "ipv6-icmp")
            disp = d.get("trandisp") or ""
            snat, dnat = "snat" in disp, "dnat" in disp
            sp, rp = _num(d.get("sentpkt")), _num(d.get("rcvdpkt"))
            cols["ts"].append(t - timedelta(seconds=dur) if end else t)
            cols["ts_end"].append(t if end else None)
            cols["device"].append(d.get("devname"))
            cols["action"].append(ACTIONS.get(action, "other"))
            cols["protocol"].append(proto)
            cols["src_ip"].append(d.get("srcip"))
            cols["src_port"].append(None if icmp else _num(d.get("srcport")))
            cols["dst_ip"].append(d.get("dstip"))
            cols["dst_port"].append(None if icmp else _num(d.get("dstport")))
            cols["nat_src_ip"].append(d.get("transip") if snat else None)
            cols["nat_src_port"].append(_num(d.get("transport")) if snat and not icmp else None)
            cols["nat_dst_ip"].append(d.get("tranip") if dnat else None)
            cols["nat_dst_port"].append(_num(d.get("tranport")) if dnat and not icmp else None)
            cols["rule"].append(d.get("policyname"))
            cols["rule_id"].append(d.get("policyid"))
            cols["bytes_out"].append(_num(d.get("sentbyte")))
            cols["bytes_in"].append(_num(d.get("rcvdbyte")))
            cols["packets"].append(None if sp is None and rp is None else (sp or 0) + (rp or 0))
            cols["duration_s"].append(float(dur) if dur is not None else None)
            cols["session_id"].append(d.get("sessionid"))
            cols["src_intf"].append(d.get("srcintf"))
            cols["dst_intf"].append(d.get("dstintf"))
            cols["rule_uuid"].append(d.get("poluuid"))
            cols["src_line"].append(n)
    return pl.DataFrame(cols)


_CONTENDERS = ("fwcorr", "python", "python_quick")


def child(kind: str, path: Path, out: Path) -> None:
    """Run one contender in this process; write its rows (Arrow IPC) and its own timings."""
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "fwcorr":
        result = fortinet.parse(Source(path=path, display=str(path)), ParseContext())
        frame = result.connections
        extra = {"records": result.records, "rejected": result.rejected}
    else:
        frame = python_parse(path, quick=kind == "python_quick")
        extra = {"records": frame.height, "rejected": 0}
    parse_s, parse_cpu = time.perf_counter() - t0, time.process_time() - c0
    # both contenders write the same compared columns, so the output step costs them alike
    frame.select(_COMPARED).write_ipc(out, compression="uncompressed")
    print(json.dumps({"parse_s": parse_s, "parse_cpu_s": parse_cpu, **extra}))


def run(kind: str, path: Path, out: Path) -> dict:
    """Whole-process wall clock, CPU and peak RSS of one contender in a fresh interpreter."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, str(path), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    stdout = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{kind} failed with exit code {proc.returncode}")
    inner = json.loads(stdout.strip().splitlines()[-1])
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        **inner,
    }


def same_rows(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    """Equal on the compared columns, after casting to the baseline's types."""
    return a.cast(b.schema).equals(b)


def _warm(path: Path) -> None:
    """Read the log once, untimed, so each contender starts with it in the page cache (on a
    shared machine it can be evicted between runs, and the contender after that paid the disk)."""
    with path.open("rb") as fh:
        while fh.read(64 << 20):
            pass


def _measure(kinds: list[str], path: Path, outs: dict[str, Path], mb: float, lines: int) -> dict:
    """One run of each contender (in order) with its ratios and the output check."""
    report: dict = {"load_avg_before": list(os.getloadavg())}
    for kind in kinds:
        _warm(path)
        r = run(kind, path, outs[kind])
        report[kind] = {
            "wall_s": round(r["wall_s"], 2),
            "cpu_s": round(r["cpu_s"], 2),
            "parse_s": round(r["parse_s"], 2),
            "parse_cpu_s": round(r["parse_cpu_s"], 2),
            "mb_s": round(mb / r["wall_s"], 1),
            "lines_s": round(lines / r["wall_s"]),
            "peak_rss_mb": round(r["peak_rss_mb"]),
            "records": r["records"],
            "rejected": r["rejected"],
            "load_avg_after": os.getloadavg()[0],
        }
    frames = {k: pl.read_ipc(outs[k]) for k in kinds}
    if "fwcorr" in kinds:
        for ref in ("python", "python_quick"):
            if ref in kinds:
                fw, py = report["fwcorr"], report[ref]
                report[f"speedup_vs_{ref}"] = {
                    "wall": round(py["wall_s"] / fw["wall_s"], 2),
                    "cpu": round(py["cpu_s"] / fw["cpu_s"], 2),
                    "parse_wall": round(py["parse_s"] / fw["parse_s"], 2),
                }
                report[f"outputs_equal_{ref}"] = same_rows(frames["fwcorr"], frames[ref])
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--keep", type=Path, help="write the generated log here (else a temp file)")
    ap.add_argument(
        "--workdir", type=Path, help="keep the log and outputs here; reuse the log if it fits"
    )
    ap.add_argument("--repeat", type=int, default=1, help="interleaved runs, each reported")
    ap.add_argument("--child", nargs=3, metavar=("KIND", "LOG", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument(
        "--only", choices=_CONTENDERS, action="append", help="run only these contenders"
    )
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    kinds = args.only or list(_CONTENDERS)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        path = args.keep or work / f"fortigate_traffic_{args.lines}.log"
        stamp = path.with_name(path.name + ".generated")
        t0 = time.perf_counter()
        reuse = args.workdir is not None and args.keep is None and path.exists()
        if reuse and stamp.exists() and stamp.read_text() == str(path.stat().st_size):
            size, gen_s = path.stat().st_size, None
        else:
            size = generate(path, args.lines)
            gen_s = round(time.perf_counter() - t0, 2)
            stamp.write_text(str(size))
        mb = size / 1e6
        report: dict = {
            "log": str(path),
            "lines": args.lines,
            "megabytes": round(mb, 1),
            "generate_s": gen_s,
            "runs": [],
        }
        outs = {k: work / f"{k}.arrow" for k in kinds}
        for _ in range(args.repeat):
            report["runs"].append(_measure(kinds, path, outs, mb, args.lines))
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
