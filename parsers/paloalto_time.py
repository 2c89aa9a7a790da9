"""Syslog framing in front of a PAN-OS record, and local-time -> UTC conversion.

Time-zone order (issue 2): the offset the record carries (high-resolution timestamp, 10.x+), the
per-device zone from --tz / site config, the offset of an RFC 5424 header the device wrote, else
UTC with a warning naming the device. A relay's RFC 3339 prefix is the relay's clock: not used.
"""

from __future__ import annotations

import polars as pl

from fwcorr.timez import parse_offset

PANOS_TIME = "%Y/%m/%d %H:%M:%S"
_IETF = r"^<\d{1,3}>1 (\d{4}-\d\d-\d\dT\S+) (\S+) \S+ \S+ \S+ (?:-|\[.*\])\s*$"
_RELAY = r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S*) (\S+)\s+$"
_BSD = r"^(?:<\d{1,3}>)?([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)(?: (\S+))?\s+$"
_OFFSET = r"([+-]\d\d:?\d\d|[zZ])$"


def offset_minutes(stamp: pl.Expr) -> pl.Expr:
    """Minutes east of UTC from an ISO-8601 time's suffix (+08:00, -0700, Z); null if none."""
    off = stamp.str.extract(_OFFSET, 1)
    sign = pl.when(off.str.starts_with("-")).then(-1).otherwise(1)
    digits = off.str.replace(":", "", literal=True)
    hours = digits.str.slice(1, 2).cast(pl.Int32, strict=False)
    mins = digits.str.slice(3, 2).cast(pl.Int32, strict=False)
    value = pl.when(off.str.to_lowercase() == "z").then(0).otherwise(sign * (hours * 60 + mins))
    return pl.when(off.is_not_null()).then(value).cast(pl.Int32)


def record_offset(high_res: pl.Expr) -> pl.Expr:
    """Offset carried by a PAN-OS high-resolution timestamp (2023-10-04T18:54:25.443+08:00).

    Fixed-width slicing rather than a regex: this runs on every TRAFFIC row.
    """
    tail = high_res.str.slice(-6, 6)
    sign = tail.str.slice(0, 1)
    hours = tail.str.slice(1, 2).cast(pl.Int32, strict=False)
    mins = tail.str.slice(4, 2).cast(pl.Int32, strict=False)
    iso = (high_res.str.slice(10, 1) == "T") & (high_res.str.slice(4, 1) == "-")
    signed = (sign == "+") | (sign == "-")
    ok = iso & signed & (tail.str.slice(3, 1) == ":") & (hours <= 14) & (mins <= 59)
    value = pl.when(sign == "-").then(-(hours * 60 + mins)).otherwise(hours * 60 + mins)
    zulu = iso & high_res.str.ends_with("Z")
    return pl.when(ok).then(value).when(zulu).then(pl.lit(0, pl.Int32)).cast(pl.Int32)


# Every "+HH:MM" / "-HH:MM" suffix a time can carry, with its minutes east of UTC.
ALL_OFFSETS: dict[str, int] = {
    f"{sign}{h:02d}:{m:02d}": (h * 60 + m) * (1 if sign == "+" else -1)
    for sign in "+-"
    for h in range(15)
    for m in range(60)
}


def record_offsets(high_res: pl.Expr) -> pl.Expr:
    """record_offset as one hash lookup of the last six characters (the TRAFFIC hot path)."""
    iso = high_res.str.contains("T", literal=True) & high_res.str.len_bytes().is_between(20, 40)
    off = high_res.str.slice(-6, 6).replace_strict(ALL_OFFSETS, default=None, return_dtype=pl.Int32)
    zulu = high_res.str.ends_with("Z")
    return pl.when(iso & off.is_not_null()).then(off).when(iso & zulu).then(pl.lit(0, pl.Int32))


def offsets_for(frame: pl.DataFrame, column: str) -> pl.Expr:
    """record_offsets, specialised to the suffixes seen in the file's first rows.

    Devices log one offset (two around DST changes), so `ends_with` per seen suffix (no
    allocation) settles almost every row; only a file where that misses rows pays the general
    lookup.
    """
    col = pl.col(column)
    head = frame.get_column(column).head(1000).drop_nulls().str.slice(-6, 6).unique().to_list()
    seen = [t for t in head if t in ALL_OFFSETS]
    if not seen:
        return record_offsets(col)
    ok = col.str.len_bytes().is_between(20, 40) & col.str.contains("T", literal=True)
    quick = pl.when(pl.lit(False)).then(pl.lit(None, pl.Int32))
    for tail in seen:
        quick = quick.when(col.str.ends_with(tail)).then(pl.lit(ALL_OFFSETS[tail], pl.Int32))
    quick = quick.otherwise(None)
    missed = frame.select((col.is_not_null() & quick.is_null()).any()).item()
    return record_offsets(col) if missed else pl.when(ok).then(quick)


def parse_headers(headers: pl.Series) -> pl.DataFrame:
    """Distinct header texts -> hdr_kind, hdr_host, hdr_time (as written), hdr_offset (IETF only)."""
    h = pl.col("header")
    ietf = h.str.extract_groups(_IETF)
    relay = h.str.extract_groups(_RELAY)
    bsd = h.str.extract_groups(_BSD)
    frame = pl.DataFrame({"header": headers.unique()})
    return frame.with_columns(ietf=ietf, relay=relay, bsd=bsd).select(
        "header",
        pl.when(pl.col("ietf").struct.field("1").is_not_null())
        .then(pl.lit("rfc5424"))
        .when(pl.col("relay").struct.field("1").is_not_null())
        .then(pl.lit("relay"))
        .when(pl.col("bsd").struct.field("1").is_not_null())
        .then(pl.lit("bsd"))
        .when(h.str.strip_chars() == "")
        .then(pl.lit("none"))
        .otherwise(pl.lit("other"))
        .alias("hdr_kind"),
        pl.coalesce(
            pl.col("ietf").struct.field("2"),
            pl.col("relay").struct.field("2"),
            pl.col("bsd").struct.field("2"),
        )
        .replace("-", None)
        .alias("hdr_host"),
        pl.coalesce(
            pl.col("ietf").struct.field("1"),
            pl.col("relay").struct.field("1"),
            pl.col("bsd").struct.field("1"),
        ).alias("hdr_time"),
        offset_minutes(pl.col("ietf").struct.field("1")).alias("hdr_offset"),
    )


def shift(naive: pl.Expr, minutes: pl.Expr) -> pl.Expr:
    """Local wall time at a fixed offset -> UTC."""
    return (naive - pl.duration(minutes=minutes)).dt.replace_time_zone("UTC")


def to_utc(
    naive: pl.Expr, rec_off: pl.Expr, zone: pl.Expr, hdr_off: pl.Expr, zones: list[str]
) -> pl.Expr:
    """Naive PAN-OS local time -> UTC following the documented precedence."""
    out = pl.when(rec_off.is_not_null()).then(shift(naive, rec_off))
    for z in zones:
        fixed = parse_offset(z) if z != "UTC" else "+00:00"
        if fixed is not None:
            sign = -1 if fixed.startswith("-") else 1
            mins = sign * (int(fixed[1:3]) * 60 + int(fixed[4:6]))
            conv = shift(naive, pl.lit(mins))
        else:
            conv = naive.dt.replace_time_zone(
                z, ambiguous="earliest", non_existent="null"
            ).dt.convert_time_zone("UTC")
        out = out.when(zone == z).then(conv)
    out = out.when(hdr_off.is_not_null()).then(shift(naive, hdr_off))
    return out.otherwise(naive.dt.replace_time_zone("UTC"))


TZ_SOURCES = ("record", "config", "header", "utc")


def tz_source(rec_off: pl.Expr, zone: pl.Expr, hdr_off: pl.Expr) -> pl.Expr:
    """Which rule decided each row's offset, as an index into TZ_SOURCES (small ints are cheap)."""
    return (
        pl.when(rec_off.is_not_null())
        .then(pl.lit(0, pl.Int8))
        .when(zone.is_not_null())
        .then(pl.lit(1, pl.Int8))
        .when(hdr_off.is_not_null())
        .then(pl.lit(2, pl.Int8))
        .otherwise(pl.lit(3, pl.Int8))
    )
