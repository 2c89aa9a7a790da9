"""Windows Firewall `pfirewall.log` (W3C-style): columns from each `#Fields:` header, vectorised."""

from __future__ import annotations

import re

import polars as pl

from fwcorr.context import ParseContext, ParseResult, reject_expr
from fwcorr.inputs import Source
from fwcorr.lines import read_lines
from fwcorr.schema import CONNECTION, REJECT, TS, conform
from parsers.winevent import IANA_PROTOCOLS

FORMAT = "windows_pfirewall"
# The v1.5 layout (17 fields); Windows 10 1709+/11 append `pid`.
DEFAULT_FIELDS = (
    "date",
    "time",
    "action",
    "protocol",
    "src-ip",
    "dst-ip",
    "src-port",
    "dst-port",
    "size",
    "tcpflags",
    "tcpsyn",
    "tcpack",
    "tcpwin",
    "icmptype",
    "icmpcode",
    "info",
    "path",
)
# Columns the parser reads; any other header field is carried in the split but unused.
USED = ("date", "time", "action", "protocol", "src-ip", "dst-ip", "src-port", "dst-port")
USED += ("size", "info", "path", "pid")
NUMERIC = ("src-port", "dst-port", "size", "pid")
ACTIONS = {
    "ALLOW": "allow",
    "DROP": "drop",
    "OPEN": "allow",  # XP SP2: an outbound connection was opened
    "OPEN-INBOUND": "allow",  # XP SP2: an inbound connection was accepted
    "CLOSE": "other",  # XP SP2: a connection was closed (end_reason "close")
}
LOST = "INFO-EVENTS-LOST"
PATHS = {"SEND": "outbound", "RECEIVE": "inbound", "FORWARD": "forward", "UNKNOWN": "unknown"}
_HEAD = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (?:ALLOW|DROP|OPEN|CLOSE|INFO-)")
_IP = r"^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z]+)?)$"


def sniff(source: Source) -> bool:
    """A pfirewall.log: the firewall's W3C header, or data lines in its layout."""
    lines = [ln.strip() for ln in source.head_lines(40)]
    if any(ln.startswith("#Software: Microsoft Windows Firewall") for ln in lines):
        return True
    if any(ln.startswith("#Fields:") and "src-ip" in ln and "path" in ln for ln in lines):
        return True
    data = [ln for ln in lines if ln and not ln.startswith("#")]
    return bool(data) and all(_HEAD.match(ln) for ln in data[:5])


def _segments(headers: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """One row per header segment: time format and the position of each used column."""
    notes: list[str] = []
    rows: list[dict[str, object]] = []
    time_format = "local"
    fields = DEFAULT_FIELDS
    where = 0  # line of the #Fields header in force (0 = none, default layout)
    seg = 0

    def emit() -> None:
        row: dict[str, object] = {"seg": seg, "fmt": time_format, "nfields": len(fields)}
        row["fields_line"] = where
        for name in USED:
            row[f"pos:{name}"] = fields.index(name) if name in fields else None
        rows.append(row)

    emit()
    for line, text in headers.iter_rows():
        key, _, value = text[1:].partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "time format":
            time_format = "utc" if value.lower() == "utc" else "local"
        elif text.startswith("#Fields:"):  # the same test that numbers the segments
            seg += 1
            fields = tuple(value.lower().split())
            where = line
            missing = [f for f in ("date", "time", "action", "src-ip", "dst-ip") if f not in fields]
            if missing:
                notes.append(f"#Fields at line {line} lacks {', '.join(missing)}")
            emit()
    schema = {"seg": pl.Int64, "fmt": pl.String, "nfields": pl.Int64, "fields_line": pl.Int64}
    schema |= {f"pos:{name}": pl.Int64 for name in USED}
    return pl.DataFrame(rows, schema=schema, orient="row"), notes


def parse(source: Source, ctx: ParseContext) -> ParseResult:
    """Parse one pfirewall.log into CONNECTION rows; INFO-EVENTS-LOST are counted non-records."""
    result = ParseResult(format=FORMAT, unit_kind="lines")
    lines = read_lines(source)
    result.units = lines.height
    host, host_rule = ctx.host_for(source)
    zone, zone_rule = ctx.zone_for_host(host)
    result.stats.update({"host": host, "host_source": host_rule})
    if host is None:
        result.warnings.append("no host known for this pfirewall.log (use --host or a folder)")

    lines = lines.with_columns(
        pl.col("text").str.strip_chars(" \t"),
    ).with_columns(
        is_header=pl.col("text").str.starts_with("#"),
        is_blank=pl.col("text") == "",
        seg=pl.col("text").str.starts_with("#Fields:").cum_sum().cast(pl.Int64),
    )
    segments, notes = _segments(lines.filter(pl.col("is_header")).select("line", "text"))
    result.warnings.extend(notes)
    non_records = lines.filter(pl.col("is_header") | pl.col("is_blank")).height
    data_lf = (
        lines.lazy()
        .filter(~pl.col("is_header") & ~pl.col("is_blank"))
        .join(segments.lazy(), on="seg", how="left", maintain_order="left")
        .with_columns(pl.col("text").str.split(" ").alias("parts"))
        .with_columns(
            pl.col("parts").list.len().cast(pl.Int64).alias("n"),
            *[
                pl.col("parts")
                .list.get(pl.col(f"pos:{name}"), null_on_oob=True)
                .replace("-", None)
                .alias(name)
                for name in USED
            ],
        )
        .drop("parts")
    )
    local = zone or "UTC"
    naive = pl.concat_str("date", "time", separator=" ").str.strptime(
        pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False
    )
    data_lf = data_lf.with_columns(
        naive.alias("naive"),
        pl.col("action").str.to_uppercase().alias("action_raw"),
    ).with_columns(
        pl.when(pl.col("fmt") == "utc")
        .then(pl.col("naive").dt.replace_time_zone("UTC"))
        .otherwise(
            pl.col("naive")
            .dt.replace_time_zone(local, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
        )
        .cast(TS)
        .alias("ts"),
    )
    # Classify with cheap integer codes over every line; build reason text for rejects only.
    lost = pl.col("action_raw") == LOST
    checks: list[tuple[pl.Expr, pl.Expr | None]] = [
        (
            pl.col("n") != pl.col("nfields"),
            pl.format(
                "expected {} fields (#Fields at line {}), found {}",
                pl.col("nfields"),
                pl.col("fields_line"),
                pl.col("n"),
            ),
        ),
        (
            pl.col("naive").is_null(),
            pl.format("unreadable timestamp '{} {}'", _show("date"), _show("time")),
        ),
        (
            pl.col("ts").is_null(),
            pl.format("local time '{} {}' does not exist in {}", "date", "time", pl.lit(local)),
        ),
        (
            lost & pl.col("info").cast(pl.Int64, strict=False).is_null(),
            pl.format("INFO-EVENTS-LOST without a numeric count '{}'", _show("info")),
        ),
        (lost, None),  # a valid INFO-EVENTS-LOST line: a non-record, not a reject
        (
            pl.col("action_raw").is_in(list(ACTIONS)).fill_null(False).not_(),
            pl.format("unknown action '{}'", _show("action")),
        ),
        (
            pl.col("src-ip").str.contains(_IP).fill_null(False).not_()
            | pl.col("dst-ip").str.contains(_IP).fill_null(False).not_(),
            pl.format("bad address '{}' -> '{}'", _show("src-ip"), _show("dst-ip")),
        ),
        *[
            (
                pl.col(name).is_not_null() & pl.col(name).cast(pl.Int64, strict=False).is_null(),
                pl.format("bad {} value '{}'", pl.lit(name), pl.col(name)),
            )
            for name in NUMERIC
        ],
    ]
    lost_code = next(i for i, (_c, text) in enumerate(checks, start=1) if text is None)
    code = pl.lit(0, pl.Int8)
    for index, (cond, _text) in reversed(list(enumerate(checks, start=1))):
        code = pl.when(cond).then(pl.lit(index, pl.Int8)).otherwise(code)
    data = data_lf.with_columns(code.alias("code")).collect()
    reason = pl.lit(None, pl.String)
    for index, (_cond, text) in enumerate(checks, start=1):
        if text is not None:
            reason = pl.when(pl.col("code") == index).then(text).otherwise(reason)
    rejects = data.filter((pl.col("code") > 0) & (pl.col("code") != lost_code))
    result.rejects = rejects.select(
        reject_expr(source.display, pl.col("line"), reason, pl.col("text"))
    ).cast(REJECT)  # type: ignore[arg-type]
    lost_rows = data.filter(pl.col("code") == lost_code)
    events_lost = int(lost_rows.get_column("info").cast(pl.Int64).sum() or 0)
    flows = data.lazy().filter(pl.col("code") == 0)
    result.connections = conform(_connections(flows, host, source.display), CONNECTION).collect()
    result.records = result.connections.height
    result.non_records = non_records + lost_rows.height
    used_segments = data.get_column("seg").unique().to_list()
    formats = set(segments.filter(pl.col("seg").is_in(used_segments))["fmt"])
    if "local" in formats and data.height:
        if zone is None:
            result.warnings.append(
                f"host {host or '?'}: pfirewall.log times are local and no time zone is known "
                "(set hosts.<host>.timezone or --tz HOST=ZONE); taken as UTC"
            )
        result.stats["zone"] = zone or "UTC"
        result.stats["zone_source"] = zone_rule or "default"
    if events_lost:
        result.warnings.append(
            f"{events_lost} firewall events were lost (INFO-EVENTS-LOST on "
            f"{lost_rows.height} line(s)): the log has gaps"
        )
    result.stats["events_lost"] = events_lost
    result.stats["time_format"] = sorted(formats)
    result.stats["layouts"] = sorted(set(segments.get_column("nfields").to_list()[1:]))
    by_action = (
        data.lazy()
        .filter(pl.col("code").is_in([0, lost_code]))
        .group_by("action_raw")
        .len()
        .sort("action_raw")
        .collect()
    )
    result.stats["by_action"] = {str(k): int(v) for k, v in by_action.iter_rows()}
    return result


def _show(name: str) -> pl.Expr:
    """A column for a reject reason: null shown as '-' so the reason is never null."""
    return pl.col(name).fill_null("-")


def _connections(flows: pl.LazyFrame, host: str | None, path: str) -> pl.LazyFrame:
    proto = pl.col("protocol").str.to_lowercase()
    proto_num = pl.col("protocol").cast(pl.Int64, strict=False)
    return flows.select(
        pl.col("ts"),
        pl.lit("windows").alias("vendor"),
        pl.lit(host, pl.String).alias("device"),
        pl.lit("pfirewall").alias("log_type"),
        pl.col("action_raw").replace_strict(ACTIONS, default="other").alias("action"),
        pl.when(proto_num.is_not_null())
        .then(proto_num.cast(pl.String).replace(IANA_PROTOCOLS))
        .when(proto == "icmpv6")
        .then(pl.lit("ipv6-icmp"))
        .otherwise(proto)
        .alias("protocol"),
        pl.col("src-ip").alias("src_ip"),
        pl.col("src-port").cast(pl.Int32, strict=False).alias("src_port"),
        pl.col("dst-ip").alias("dst_ip"),
        pl.col("dst-port").cast(pl.Int32, strict=False).alias("dst_port"),
        pl.when(pl.col("action_raw") == "OPEN-INBOUND")
        .then(pl.lit("inbound"))
        .when(pl.col("action_raw") == "OPEN")
        .then(pl.lit("outbound"))
        .otherwise(pl.col("path").str.to_uppercase().replace_strict(PATHS, default="unknown"))
        .alias("direction"),
        pl.col("size").cast(pl.Int64, strict=False).alias("bytes_out"),
        pl.when(pl.col("size").is_not_null()).then(pl.lit(1, pl.Int64)).alias("packets"),
        pl.when(pl.col("action_raw") == "CLOSE").then(pl.lit("close")).alias("end_reason"),
        pl.col("pid").cast(pl.Int64, strict=False).alias("pid"),
        pl.lit(path).alias("src_file"),
        pl.col("line").alias("src_line"),
    )
