"""PAN-OS CONFIG rows -> RULE_CHANGE (three layouts; path, operation, object, before/after).

Operation mapping (PAN-OS command -> RULE_CHANGE.operation): add, clone, multi-clone -> add;
edit, override -> modify; set -> add when the record shows an empty before and a non-empty after,
else modify; delete -> delete; move -> move; rename -> rename; commit and anything else -> other.
"""

from __future__ import annotations

import polars as pl

from parsers.paloalto_ip import canonical_columns
from parsers.paloalto_time import PANOS_TIME, record_offset, to_utc, tz_source

_OPS = {
    "add": "add",
    "clone": "add",
    "multi-clone": "add",
    "edit": "modify",
    "override": "modify",
    "set": "modify",
    "delete": "delete",
    "move": "move",
    "rename": "rename",
}
# (object_type, regex over the normalised path capturing the object name), first match wins.
_OBJECTS: tuple[tuple[str, str], ...] = (
    ("security_rule", r"(?:pre-|post-)?rulebase security rules (\S+)"),
    ("nat_rule", r"(?:pre-|post-)?rulebase nat rules (\S+)"),
    ("address", r"(?:^| )address(?:-group)? (\S+)"),
    ("service", r"(?:^| )service(?:-group)? (\S+)"),
    ("admin", r"(?:mgt-config users|local-user-database user) (\S+)"),
)
_RULEBASE = r"(?:pre-|post-)?rulebase (?:security|nat) rules$"


def parse_detail(text: str | None) -> dict[str, str]:
    """`name { key value; key [ a b ]; sub { ... } }` -> {key: value} for the top-level block."""
    if not text:
        return {}
    start = text.find("{")
    if start < 0:
        return {}
    body, depth, quoted, stmt = [], 0, False, []
    for ch in text[start + 1 :]:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "{[":
            depth += 1
        elif not quoted and ch in "}]":
            if depth == 0:
                break
            depth -= 1
        if not quoted and depth == 0 and ch == ";":
            body.append("".join(stmt).strip())
            stmt = []
            continue
        stmt.append(ch)
    if "".join(stmt).strip():
        body.append("".join(stmt).strip())
    out: dict[str, str] = {}
    for item in body:
        key, _, value = item.partition(" ")
        if key:
            out[key] = value.strip().strip('"')
    return out


def attributes(before: str | None, after: str | None) -> list[dict[str, str | None]]:
    """Changed (or, for a creation, all) attributes as name/old/new."""
    old, new = parse_detail(before), parse_detail(after)
    names = list(dict.fromkeys([*old, *new]))
    return [
        {"name": n, "old": old.get(n), "new": new.get(n)} for n in names if old.get(n) != new.get(n)
    ]


def _txt(name: str) -> pl.Expr:
    s = pl.col(name).str.strip_chars()
    return pl.when(s.str.len_bytes() > 0).then(s)


def layout_columns(fields: pl.DataFrame, pos: dict[str, int], shift: int) -> pl.DataFrame:
    """Pick named CONFIG fields from positional columns, per row's layout (default/inline)."""
    inline = pl.col(f"f{pos['seqno'] + shift + 1}").str.starts_with("0x").fill_null(
        False
    ) & ~pl.col(f"f{pos['actionflags']}").str.starts_with("0x").fill_null(False)

    def pick(key: str) -> pl.Expr:
        p = pos[key]
        col = pl.col(f"f{p}") if f"f{p}" in fields.columns else pl.lit(None, pl.String)
        if p < pos["seqno"]:
            return col.alias(key)
        moved = f"f{p + shift}"
        other = pl.col(moved) if moved in fields.columns else pl.lit(None, pl.String)
        return pl.when(inline).then(other).otherwise(col).alias(key)

    keys = [k for k in pos if k not in ("before_change_detail", "after_change_detail")]
    before, after = pos["before_change_detail"], pos["after_change_detail"]
    return fields.select(
        "line",
        *[c for c in ("device", "zone", "hdr_host", "hdr_offset", "raw") if c in fields.columns],
        *[pick(k) for k in keys],
        pl.when(inline)
        .then(pl.col(f"f{pos['seqno']}"))
        .otherwise(pl.col(f"f{before}"))
        .alias("before_change_detail"),
        pl.when(inline)
        .then(pl.col(f"f{pos['actionflags']}"))
        .otherwise(pl.col(f"f{after}"))
        .alias("after_change_detail"),
    )


def to_rule_changes(frame: pl.DataFrame, zones: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(good rows as RULE_CHANGE columns, bad rows with `line` and `reason`)."""
    for key in (
        *("high_res_timestamp", "before_change_detail", "after_change_detail", "raw", "path"),
        *("cmd", "admin", "client", "result", "host", "time_generated"),
    ):
        if key not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(key))
    frame = canonical_columns(frame, ["host"])
    path = pl.col("path").str.strip_chars().str.replace_all(r"\s+", " ")
    cmd = _txt("cmd").str.to_lowercase()
    before, after = _txt("before_change_detail"), _txt("after_change_detail")
    op = (
        pl.when((cmd == "set") & before.is_null() & after.is_not_null())
        .then(pl.lit("add"))
        .otherwise(cmd.replace_strict(_OPS, default="other", return_dtype=pl.String))
    )
    otype = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    oname = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for kind, pattern in _OBJECTS:
        otype = otype.when(path.str.contains(pattern)).then(pl.lit(kind))
        oname = oname.when(path.str.contains(pattern)).then(path.str.extract(pattern, 1))
    # A move or delete of the rulebase itself names no rule; keep the rule type.
    otype = otype.when(path.str.contains(_RULEBASE)).then(
        pl.when(path.str.contains("nat rules$"))
        .then(pl.lit("nat_rule"))
        .otherwise(pl.lit("security_rule"))
    )
    naive = pl.col("time_generated").str.strptime(pl.Datetime("us"), PANOS_TIME, strict=False)
    rec_off = record_offset(pl.col("high_res_timestamp"))
    ts = to_utc(naive, rec_off, pl.col("zone"), pl.col("hdr_offset"), zones)
    out = frame.with_columns(__ts=ts).with_columns(
        __reason=pl.when(pl.col("__ts").is_null()).then(
            pl.concat_str(
                [pl.lit("unparseable time: "), pl.col("time_generated").fill_null("(missing)")]
            )
        ),
    )
    bad = out.filter(pl.col("__reason").is_not_null()).select("line", reason="__reason")
    good = out.filter(pl.col("__reason").is_null())
    attrs = [
        attributes(b, a)
        for b, a in good.select(before, after).iter_rows()  # CONFIG volume is small
    ]
    good = good.select(
        pl.col("__ts").alias("ts"),
        pl.lit("paloalto").alias("vendor"),
        "device",
        _txt("admin").alias("admin"),
        _txt("client").alias("client"),
        pl.coalesce(pl.col("host_ip"), _txt("host")).alias("client_ip"),
        op.alias("operation"),
        cmd.alias("command"),
        otype.otherwise(pl.lit("other")).alias("object_type"),
        oname.otherwise(None).alias("object_name"),
        path.replace("", None).alias("path"),
        before.alias("before"),
        after.alias("after"),
        _txt("result").alias("result"),
        pl.when(before.is_not_null() | after.is_not_null())
        .then(
            (
                before.fill_null("").str.count_matches("{", literal=True)
                != before.fill_null("").str.count_matches("}", literal=True)
            )
            | (
                after.fill_null("").str.count_matches("{", literal=True)
                != after.fill_null("").str.count_matches("}", literal=True)
            )
        )
        .alias("truncated"),
        pl.col("raw"),
        pl.col("line").alias("src_line"),
        tz_source(rec_off, pl.col("zone"), pl.col("hdr_offset")).alias("__tzsrc"),
    ).with_columns(
        pl.Series(
            "attributes",
            attrs,
            dtype=pl.List(pl.Struct({"name": pl.String, "old": pl.String, "new": pl.String})),
        )
    )
    return good, bad
