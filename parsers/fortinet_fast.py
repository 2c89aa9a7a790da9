"""Fast key extraction for FortiGate key=value lines that share a few fixed key layouts.

A FortiGate writes each kind of traffic log with the same keys in the same order. Splitting a
chunk at every double quote (polars' CSV reader with `"` as separator and no quoting) yields short
columns: even fields hold runs of bare `key=value` tokens ending in the key of the next quoted
value, odd fields hold the quoted values. The layouts (key runs) seen in a sample of lines become
one anchored regex per run over those short columns, which checks every key name and captures the
bare values; a row whose fields match a layout and add up to its whole line takes its values from
there. Every other row (other layouts, JSON/CEF, relay headers with structured data, anything odd)
keeps the per-key regex path, and so do rows where the two could disagree: an `=` inside a quoted
value (the per-key regex could find a key there), a backslash before a quote, a bare value with
`=`, `,` or `}`, or an empty / spaced value for a numeric key.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from parsers.fortinet_kv import BARE_KEYS

SAMPLE_HEAD = 500  # first lines of a file looked at for layouts
SAMPLE_SPREAD = 500  # plus this many lines spread over the rest of it
MIN_SHARE = 0.01  # a layout must cover this share of the sample to get its own regexes
MAX_LAYOUTS = 8

_KEY = re.compile(r"[A-Za-z0-9_\-]+")
# Syslog framing allowed in front of the first key (hosts without `=`, RFC 5424 without SD).
_FRAMING = (
    r"(?:<\d{1,3}>)?(?:"
    r"1 [^\s=]+ [^\s=]+ [^\s=]+ [^\s=]+ [^\s=]+ - ?"
    r"|[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d [^\s=]+ "
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[^\s=]* [^\s=]+ "
    r")?"
)
_FRAMING_RE = re.compile(_FRAMING)
# A bare value the per-key regex reads the same way: printable ASCII without space, `"`, `,`,
# `=` (no key can hide in it), `\` or `}` (ASCII classes keep the regex automaton small).
_BARE = r"[\x21\x23-\x2B\x2D-\x3C\x3E-\x5B\x5D-\x7C\x7E]"
# A quoted value of a numeric key that the per-key regex reads whole.
_QUOTED_NUMERIC = r'^[^\s,"}]+$'


@dataclass(frozen=True)
class Layout:
    """Key runs of one line shape: run r is field 2r; its last key's value is field 2r+1."""

    runs: tuple[tuple[str, ...], ...]
    width: int  # number of `"`-separated fields


_TOKEN = r'[A-Za-z0-9_\-]+=[^ "]*'
_ENDS_QUOTED = rf'(?:{_TOKEN} )*[A-Za-z0-9_\-]+="[^"]*"'
# the body of a plain line: bare tokens and `key="value"` tokens, one space apart, possibly one
# space after a final quoted value
_BODY_RE = re.compile(
    rf"{_ENDS_QUOTED}(?: {_ENDS_QUOTED})*(?: {_TOKEN}(?: {_TOKEN})*| )?|{_TOKEN}(?: {_TOKEN})*"
)
# each token of a plain body in turn: its key, and `"` when its value is quoted
_PAIR_RE = re.compile(r'([A-Za-z0-9_\-]+)=(?:(")[^"]*"|[^ "]*)')


def layout_of(line: str) -> Layout | None:
    """The layout of one line, or None when it is not plain `key=value` / `key="value"` text.

    Plain: after the framing (which ends before the first quote), tokens `key=value` (no space or
    quote in the value) or `key="value"`, one space apart.
    """
    quote = line.find('"')
    framing = _FRAMING_RE.match(line if quote < 0 else line[:quote])
    start = framing.end()  # type: ignore[union-attr]
    if not _BODY_RE.fullmatch(line, start):
        return None
    runs: list[tuple[str, ...]] = []
    keys: list[str] = []
    for key, quoted in _PAIR_RE.findall(line, start):
        keys.append(key)
        if quoted:
            runs.append(tuple(keys))
            keys = []
    runs.append(tuple(keys))
    return Layout(tuple(runs), 2 * len(runs) - 1)


_QUOTED_VALUE = r'"[^"]*"'
_BARE_VALUE = r'=[^ "]*( |$)'


def layouts(texts: pl.Series) -> list[Layout]:
    """Dominant layouts in a sample of the lines (most frequent first)."""
    n = texts.len()
    head = texts.head(SAMPLE_HEAD)
    rest = texts.slice(SAMPLE_HEAD)
    if rest.len() > SAMPLE_SPREAD:
        rest = rest.gather_every(rest.len() // SAMPLE_SPREAD)
    sample = pl.concat([head, rest]).drop_nulls()
    if not n or not sample.len():
        return []
    # lines that differ only in their values (quoted, or bare up to a space) have one layout:
    # layout_of reads one line per such skeleton, in order of first appearance
    skeleton = sample.str.replace_all(_QUOTED_VALUE, '""').str.replace_all(_BARE_VALUE, "=$1")
    groups = (
        pl.DataFrame({"skeleton": skeleton, "line": sample})
        .group_by("skeleton", maintain_order=True)
        .agg(pl.len().alias("lines"), pl.first("line"))
    )
    counts: Counter[Layout | None] = Counter()
    for lines, line in groups.select("lines", "line").iter_rows():
        counts[layout_of(line)] += lines
    counts.pop(None, None)
    floor = max(2, int(sample.len() * MIN_SHARE))
    return [lay for lay, c in counts.most_common(MAX_LAYOUTS) if c >= floor]  # type: ignore[misc]


def split_fields(data: Path | bytes, width: int) -> pl.DataFrame | None:
    """Each line of `data` split at every `"` into columns f0..f{width-1} (None if unreadable)."""
    try:
        return pl.read_csv(
            data,  # bytes are read in place (a BytesIO is copied first)
            separator='"',
            quote_char=None,
            has_header=False,
            schema={f"f{i}": pl.String for i in range(width)},
            missing_columns="insert",
            extra_columns="ignore",
            truncate_ragged_lines=True,
        )
    except (pl.exceptions.PolarsError, OSError):
        return None


def _value_pattern(key: str) -> str:
    return _BARE + ("+" if key in BARE_KEYS else "*")


# Checks and value sources are described as tuples so that layouts sharing a run, a quoted value
# or a width share one column: ("eq", j, text), ("re", j, pattern), ("null", j), ("ok", j,
# pattern), ("num", j), ("noeq", j), ("nobs",), ("len", width); values are ("field", j),
# ("group", j, pattern, n) (capture group n of a run regex with framing in front) or ("token",
# j, splits, n, prefix) (token n of a run split at spaces, without its `key=` prefix).
Check = tuple
ValueFrom = tuple


def _describe(layout: Layout, wanted: set[str]) -> tuple[list[Check], dict[str, ValueFrom]]:
    """(checks a row must pass, value source per wanted key present) for one layout."""
    checks: list[Check] = []
    values: dict[str, ValueFrom] = {}
    last_field = layout.width - 1
    for r, keys in enumerate(layout.runs):
        j = 2 * r
        last = j == last_field
        bare = keys if last else keys[:-1]
        lead = "^" + _FRAMING if j == 0 else "^ "
        if not keys:
            checks.append(("null", j))
            continue
        if not bare:
            if j == 0:
                checks.append(("re", j, lead + re.escape(keys[-1]) + "=$"))
            else:
                checks.append(("eq", j, f" {keys[-1]}="))
        else:
            tail = "" if last else " " + re.escape(keys[-1]) + "="
            take = [
                k in wanted and k not in values and k not in bare[:n] for n, k in enumerate(bare)
            ]
            tokens = [f"{re.escape(k)}={_value_pattern(k)}" for k in bare]
            if not any(take) or j > 0:  # a match test (no captures: much cheaper)
                checks.append(("re", j, lead + " ".join(tokens) + tail + "$"))
                # a matching run is " k1=v1 k2=v2 ...": the values are its space-split tokens
                for n, (k, t) in enumerate(zip(bare, take, strict=True), start=1):
                    if t:
                        values[k] = ("token", j, len(bare), n, len(k) + 1)
            else:  # framing in front: capture the values
                groups = [
                    f"{re.escape(k)}=({_value_pattern(k)})"
                    if t
                    else f"{re.escape(k)}={_value_pattern(k)}"
                    for k, t in zip(bare, take, strict=True)
                ]
                pattern = lead + " ".join(groups) + tail + "(?P<ok>)$"
                checks.append(("ok", j, pattern))
                group = 0
                for k, t in zip(bare, take, strict=True):
                    if t:
                        group += 1
                        values[k] = ("group", j, pattern, group)
        if not last:
            k = keys[-1]
            if k in wanted and k not in values:
                values[k] = ("field", j + 1)
                if k in BARE_KEYS:
                    checks.append(("num", j + 1))
    for j in range(1, layout.width, 2):
        checks.append(("noeq", j))
    if layout.width > 1:
        checks.append(("nobs",))
    # the fields must cover the whole line: nothing was cut off or added after the layout
    checks.append(("len", layout.width))
    return checks, values


def _check_expr(check: Check, structs: dict[tuple[int, str], str]) -> pl.Expr:
    kind, arg = check[0], check[1] if len(check) > 1 else -1
    col = pl.col(f"f{arg}")
    if kind == "eq":
        return col == check[2]
    if kind == "re":
        return col.str.contains(check[2])
    if kind == "null":
        return col.is_null()
    if kind == "ok":
        return pl.col(structs[(arg, check[2])]).struct.field("ok").is_not_null()
    if kind == "num":
        return col.str.contains(_QUOTED_NUMERIC)
    if kind == "noeq":
        return ~col.str.contains("=", literal=True).fill_null(False)
    if kind == "nobs":  # no quoted value ends with `\`: the other checks leave `\"` nowhere else
        return ~pl.col("_text").str.contains('\\"', literal=True)
    covered = pl.sum_horizontal([pl.col(f"f{j}").str.len_bytes().fill_null(0) for j in range(arg)])
    return covered + (arg - 1) == pl.col("_len")


def _source_expr(source: ValueFrom, structs: dict[tuple[int, str], str]) -> pl.Expr:
    if source[0] == "field":
        return pl.col(f"f{source[1]}")
    if source[0] == "token":
        _, j, splits, n, prefix = source
        return pl.col(structs[(j, splits)]).struct.field(f"field_{n}").str.slice(prefix)
    return pl.col(structs[(source[1], source[2])]).struct.field(str(source[3]))


def extract(
    fields: pl.DataFrame,
    text: pl.Series,
    found: list[Layout],
    keys: tuple[str, ...] | list[str],
    eligible: pl.Series,
) -> tuple[pl.DataFrame, pl.Series]:
    """(one cleaned column per key, rows that matched a layout).

    Rows that matched no layout hold arbitrary values: the caller replaces them.
    """
    out = _run(fields, text, found, keys, eligible)
    return pl.DataFrame([out.get_column(k) for k in keys]), out.get_column("_fast")


def _run(
    fields: pl.DataFrame,
    text: pl.Series,
    found: list[Layout],
    keys: tuple[str, ...] | list[str],
    eligible: pl.Series,
) -> pl.DataFrame:
    """Key columns plus `_m<i>` (row matches layout i) and `_fast` (matches any)."""
    wanted = set(keys)
    described = [_describe(layout, wanted) for layout in found]
    # struct columns: capture groups of a run regex (j, pattern) or a run's tokens (j, splits)
    structs: dict[tuple[int, str | int], str] = {}
    checks: dict[Check, str] = {}
    for layout_checks, values in described:
        for check in layout_checks:
            if check[0] == "ok" and (check[1], check[2]) not in structs:
                structs[(check[1], check[2])] = f"_s{len(structs)}"
            checks.setdefault(check, f"_c{len(checks)}")
        for source in values.values():
            if source[0] == "token" and (source[1], source[2]) not in structs:
                structs[(source[1], source[2])] = f"_s{len(structs)}"
    frame = fields.lazy().with_columns(
        text.str.len_bytes().alias("_len"), text.alias("_text"), eligible.alias("_eligible")
    )
    frame = frame.with_columns(
        [
            pl.col(f"f{j}").str.split_exact(" ", how).alias(name)
            if isinstance(how, int)
            else pl.col(f"f{j}").str.extract_groups(how).alias(name)
            for (j, how), name in structs.items()
        ]
    )
    frame = frame.with_columns(
        [_check_expr(check, structs).fill_null(False).alias(name) for check, name in checks.items()]
    )
    names = [f"_m{i}" for i in range(len(found))]
    frame = frame.with_columns(
        [
            pl.all_horizontal("_eligible", *[checks[c] for c in layout_checks]).alias(name)
            for name, (layout_checks, _) in zip(names, described, strict=True)
        ]
    ).with_columns(pl.any_horizontal(names).alias("_fast"))
    # one "row matches any of these layouts" column per distinct set of layouts
    sets: dict[tuple[str, ...], str] = {**{(n,): n for n in names}, tuple(names): "_fast"}
    plans: list[list[tuple[str, ValueFrom]]] = []
    for key in keys:
        by_source: dict[ValueFrom, list[str]] = {}
        for name, (_, values) in zip(names, described, strict=True):
            if key in values:
                by_source.setdefault(values[key], []).append(name)
        plan = []
        for source, masks in by_source.items():
            sets.setdefault(tuple(masks), f"_any{len(sets)}")
            plan.append((sets[tuple(masks)], source))
        plans.append(plan)
    frame = frame.with_columns(
        [
            pl.any_horizontal(list(masks)).alias(name)
            for masks, name in sets.items()
            if len(masks) > 1 and name != "_fast"
        ]
    )
    columns: list[pl.Expr] = []
    for key, plan in zip(keys, plans, strict=True):
        if len(plan) == 1 and plan[0][0] == "_fast":  # same source in every layout: no mask
            expr = _source_expr(plan[0][1], structs)
        else:
            chain = None
            for mask, source in plan:
                value = _source_expr(source, structs)
                cond = pl.col(mask)
                chain = pl.when(cond).then(value) if chain is None else chain.when(cond).then(value)
            expr = chain.otherwise(None) if chain is not None else pl.lit(None, pl.String)
        expr = pl.when(expr != "N/A").then(expr) if key in BARE_KEYS else _clean(expr)
        columns.append(expr.alias(key))
    return frame.select(*columns, *names, "_fast").collect()


def _clean(expr: pl.Expr) -> pl.Expr:
    """Empty and `N/A` become null (quotes are already gone)."""
    return pl.when((expr != "") & (expr != "N/A")).then(expr)
