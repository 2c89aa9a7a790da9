"""Column-wise key=value extraction, framing and time conversion for FortiGate log lines.

Every function here works on whole polars columns: one anchored regex per key over all lines,
never a Python loop per line.
"""

from __future__ import annotations

import re

import polars as pl

from fwcorr import netutil
from fwcorr.schema import TS

# A value: "quoted" (backslash escapes allowed; a quote cut off by truncation runs to the end of
# the line), or bare text ending at whitespace, a comma (CSV-format syslog) or a brace (JSON).
# (An optional closing quote keeps the regex cheap; a `$` alternative made it ~4x slower.)
VALUE = r'("(?:[^"\\]|\\.)*"?|[^\s,"}]*)'
_SEP = r"(?:^|[\s,>{|])"

# Relay / syslog framing in front of the key=value body; group 1 is the sender host.
HEADER = (
    r"^(?:<\d{1,3}>)?(?:"
    r"1 \S+ (\S+) \S+ \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?"  # RFC 5424
    r"|[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d (\S+) "  # BSD header added by a relay
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* (\S+) "  # RFC 3339 time + host added by a relay
    r")"
)

# RFC 5424 header written by the FortiGate itself: its timestamp's UTC offset (Z or +hh:mm).
RFC5424_OFFSET = r"^(?:<\d{1,3}>)?1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(Z|[+-]\d\d:\d\d) "
# FortiAnalyzer exports: dtime is the device's date+time converted to UTC (unquoted, with a space).
DTIME = r"(?:^|[\s,])dtime=\"?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
IPV4 = r"^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$"
_TZ = r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$"


# Keys whose values never hold spaces (numbers, addresses): read without quotes in one step.
BARE_KEYS = frozenset(
    (
        "eventtime",
        "timestamp",
        "srcip",
        "srcport",
        "dstip",
        "dstport",
        "sessionid",
        "proto",
        "policyid",
        "transip",
        "transport",
        "tranip",
        "tranport",
        "duration",
        "sentbyte",
        "rcvdbyte",
        "sentpkt",
        "rcvdpkt",
        "cfgtid",
    )
)
BARE_VALUE = r'"?([^\s,"}]+)'


def key_pattern(key: str) -> str:
    """Regex whose group 1 is the first value of `key` (key must start a token)."""
    return _SEP + re.escape(key) + "=" + (BARE_VALUE if key in BARE_KEYS else VALUE)


def raw_value(key: str, col: str = "text") -> pl.Expr:
    """First value of `key` in each line (quotes kept, except for BARE_KEYS)."""
    return pl.col(col).str.extract(key_pattern(key), 1)


def clean(expr: pl.Expr) -> pl.Expr:
    """Strip quotes; empty and `N/A` become null."""
    return expr.str.strip_chars('"').replace(["", "N/A"], None)


def add_values(
    frame: pl.DataFrame, keys: tuple[str, ...] | list[str], col: str = "text"
) -> pl.DataFrame:
    """Add one cleaned column per key (first value in each line).

    Extraction and cleaning are two passes so each regex runs exactly once per key.
    """
    keys = list(keys)
    if not keys:
        return frame
    frame = frame.with_columns([raw_value(k, col).alias(k) for k in keys])
    return frame.with_columns(
        [
            (
                pl.when(pl.col(k) != "N/A").then(pl.col(k)) if k in BARE_KEYS else clean(pl.col(k))
            ).alias(k)
            for k in keys
        ]
    )


# Lines that start with the FortiGate body itself (no relay / RFC 5424 header to read).
BARE_START = r"^(?:<\d{1,3}>)?(?:[a-z_]+=|\{)"


def header_host(frame: pl.DataFrame, col: str = "text") -> pl.Series:
    """Host name written by a relay / RFC 5424 header in front of the body, if any."""
    framed = frame.select(~pl.col(col).str.contains(BARE_START)).to_series()
    if not framed.any():
        return pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias("_host")
    host = pl.coalesce([pl.col(col).str.extract(HEADER, i) for i in (1, 2, 3)])
    return frame.select(
        pl.when(framed & (host != "-")).then(host).otherwise(None).alias("_host")
    ).to_series()


def json_to_kv(col: str = "text") -> pl.Expr:
    """Rewrite FortiGate JSON log lines ("key":value) into key=value form for the same extractors."""
    return pl.col(col).str.replace_all(r'"([A-Za-z0-9_\-]+)"\s*:\s*', " ${1}=")


_CEF_EXT = r"CEF:\s*\d+(?:\|(?:[^|\\]|\\.)*){6}\|(.*)$"


def cef_to_kv(col: str = "text") -> pl.Expr:
    """Rewrite a FortiGate CEF record's extension into quoted key=value form.

    CEF values are unquoted and may hold spaces, so a value runs to the next ` key=`; the
    FTNTFGT (FortiGate) and ad. (FortiAnalyzer) key prefixes are dropped so native names match.
    """
    ext = pl.col(col).str.extract(_CEF_EXT, 1)
    marked = ext.str.replace_all(r"\s+([A-Za-z][\w.]*)=", "\x1f${1}=")
    quoted = marked.str.replace_all(r'(^|\x1f)([A-Za-z][\w.]*)=([^\x1f"]*)', '${1}${2}="${3}"')
    spaced = quoted.str.replace_all("\x1f", " ", literal=True)
    return spaced.str.replace_all(r"(^| )(?:FTNTFGT|ad\.)", "${1}").str.replace_all(
        r"\\([=\\|])", "${1}"
    )


def epoch_us(expr: pl.Expr) -> pl.Expr:
    """Epoch text in s, ms, us or ns (decided by digit count) -> Int64 microseconds."""
    digits = expr.str.len_chars()
    num = expr.str.to_integer(strict=False)
    return (
        pl.when(~expr.str.contains(r"^[0-9]{1,19}$"))
        .then(None)
        .when(digits <= 10)
        .then(num * 1_000_000)
        .when(digits <= 13)
        .then(num * 1_000)
        .when(digits <= 16)
        .then(num)
        .otherwise(num // 1_000)
    )


def from_epoch(expr: pl.Expr) -> pl.Expr:
    """Datetime(us, UTC) from epoch text of any FortiGate precision."""
    return pl.from_epoch(epoch_us(expr), time_unit="us").dt.replace_time_zone("UTC")


def local_time(date: pl.Expr, time: pl.Expr) -> pl.Expr:
    """Naive datetime from FortiGate `date` (YYYY-MM-DD or YYYY/MM/DD) and `time` (HH:MM:SS)."""
    text = (date.str.replace_all("/", "-", literal=True) + " " + time).str.strip_chars()
    return text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)


def tz_offset_minutes(tz: pl.Expr) -> pl.Expr:
    """Minutes east of UTC from tz="-0700" / "+0800" / "UTC+2:00"; null when not an offset."""
    sign = tz.str.extract(_TZ, 1)
    hours = tz.str.extract(_TZ, 2).cast(pl.Int64, strict=False)
    minutes = tz.str.extract(_TZ, 3).cast(pl.Int64, strict=False).fill_null(0)
    total = hours * 60 + minutes
    valid = (hours <= 14) & (minutes <= 59)
    return pl.when(valid).then(pl.when(sign == "-").then(-total).otherwise(total)).otherwise(None)


def header_offset_minutes(text: pl.Expr) -> pl.Expr:
    """UTC offset in minutes from a device-written RFC 5424 header; null for other framing."""
    raw = text.str.extract(RFC5424_OFFSET, 1)
    return pl.when(raw == "Z").then(pl.lit(0, pl.Int64)).otherwise(tz_offset_minutes(raw))


def local_with_offset(local: pl.Expr, offset_min: pl.Expr) -> pl.Expr:
    """UTC datetime from a naive local time and its offset in minutes."""
    return (local - pl.duration(minutes=offset_min)).dt.replace_time_zone("UTC").cast(TS)


def canonical_ip(series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(canonical text, valid) for an IP column: IPv6 compressed lower-case, mapped IPv4 as IPv4.

    IPv4 is checked with one regex over the column; IPv6 goes through `netutil.canonical_ip` once per
    distinct value (few per file), never once per line.
    """
    text = series.cast(pl.String)
    is_v4 = text.str.contains(IPV4)
    v6_values = text.filter(text.str.contains(":", literal=True)).unique().drop_nulls().to_list()
    mapping = {value: netutil.canonical_ip(value) for value in v6_values}
    canonical = pl.when(is_v4).then(text)
    if mapping:  # (no IPv6 text in the column: no per-row null list to build and merge)
        v6 = text.replace_strict(
            list(mapping), list(mapping.values()), default=None, return_dtype=pl.String
        )
        canonical = canonical.otherwise(v6)
    out = pl.select(canonical.alias(text.name)).to_series()
    valid = text.is_null() | out.is_not_null()
    return out, valid
