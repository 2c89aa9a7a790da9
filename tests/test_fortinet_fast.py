"""FortiGate layout fast path: layouts, exact agreement with the per-key regex path, fallbacks."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from fwcorr.lines import read_lines
from parsers import fortinet
from parsers import fortinet_fast as fast
from parsers import fortinet_kv as kv
from parsers.fortinet_maps import TRAFFIC_KEYS

DATA = Path(__file__).parent / "data" / "fortinet"
LINE_7X = (
    '<189>date=2024-03-05 time=10:15:30 devname="FGT-EDGE-01" devid="FG100FTK19000001" '
    'eventtime=1709630130000000000 tz="+0100" logid="0000000013" type="traffic" '
    'subtype="forward" level="notice" vd="root" srcip=10.1.2.3 srcport=51234 '
    'srcintf="port2" srcintfrole="lan" dstip=203.0.113.9 dstport=443 sessionid={sid} '
    'proto=6 action="close" policyid=7 policyname="LAN to Internet" service="HTTPS" '
    'trandisp="snat" transip=198.51.100.10 transport=61000 duration=12 sentbyte=1200 '
    "rcvdbyte=5400 sentpkt=10 rcvdpkt=12"
)


def _frame(data: bytes) -> pl.DataFrame:
    """The columns `_traffic_keys` expects, as `_parse_chunk` builds them."""
    return (
        read_lines(data)
        .with_row_index("_i")
        .with_columns(
            pl.col("text").str.contains(r"^\s*$").alias("_blank"),
            pl.col("text").str.contains(fortinet._CEF).alias("_cef"),
            pl.col("text").str.contains(fortinet._JSON).alias("_json"),
            pl.col("text").alias(fortinet.BODY),
        )
    )


def _both(data: bytes) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """(fast-path keys, per-key regex keys, rows the fast path took) for the same lines."""
    frame = _frame(data)
    fields = fortinet._fields(data, frame)
    assert fields is not None
    fast_keys = fortinet._traffic_keys(frame, fortinet._fast_keys(frame, fields)).select(
        TRAFFIC_KEYS
    )
    slow_keys = kv.add_values(frame, TRAFFIC_KEYS, fortinet.BODY).select(TRAFFIC_KEYS)
    eligible = frame.select(~(pl.col("_blank") | pl.col("_cef") | pl.col("_json"))).to_series()
    _, matched = fast.extract(
        fields.frame, frame.get_column("text"), fields.layouts, TRAFFIC_KEYS, eligible
    )
    return fast_keys, slow_keys, matched


def test_layout_of_quoted_bare_and_framing() -> None:
    assert fast.layout_of('<189>date=2024-03-05 devname="FGT 1" srcip=10.0.0.1 x=""') == (
        fast.Layout(runs=(("date", "devname"), ("srcip", "x"), ()), width=5)
    )
    # 5.x: everything bare, one field
    assert fast.layout_of("date=2016-01-05 time=10:00:01 devname=FG1 srcip=10.0.0.1") == (
        fast.Layout(runs=(("date", "time", "devname", "srcip"),), width=1)
    )
    # relay BSD header and RFC 5424 header without structured data are framing, not keys
    relay = 'Dec  1 14:43:00 fw-relay date=2024-12-01 devname="FG1"'
    rfc = '<189>1 2024-12-01T14:43:00Z fg1 - - - - date=2024-12-01 devname="FG1"'
    for line in (relay, rfc):
        assert fast.layout_of(line) == fast.Layout(runs=(("date", "devname"), ()), width=3)
    assert fast.layout_of('date=2024-03-05 devname="cut') is None  # unbalanced quote
    assert fast.layout_of('{"date":"2024-03-05"}') is None
    assert fast.layout_of("CEF:0|Fortinet|Fortigate|7.2|13|traffic|5|src=10.0.0.1") is None
    assert fast.layout_of('date=2024-03-05 devname="a"x="b"') is None  # no space before key


def _layout_by_splitting(line: str) -> fast.Layout | None:
    """Reference for `layout_of`, written the plain way: split at quotes, then at spaces."""
    parts = line.split('"')
    if len(parts) % 2 == 0:
        return None
    runs: list[tuple[str, ...]] = []
    for j in range(0, len(parts), 2):
        part, last = parts[j], j == len(parts) - 1
        if j == 0:
            part = part[fast._FRAMING_RE.match(part).end() :]  # type: ignore[union-attr]
        elif part:
            if not part.startswith(" "):
                return None
            part = part[1:]
        if not part:
            if not last:
                return None
            runs.append(())
            continue
        keys = []
        tokens = part.split(" ")
        for n, token in enumerate(tokens):
            key, eq, value = token.partition("=")
            if not eq or not re.fullmatch(r"[A-Za-z0-9_\-]+", key):
                return None
            if not last and n == len(tokens) - 1 and value:
                return None
            keys.append(key)
        runs.append(tuple(keys))
    if not any(runs):
        return None
    return fast.Layout(tuple(runs), len(parts))


_PIECES = st.sampled_from(
    [
        *["a", "b1", "=", " ", "  ", '"', 'x="', '" ', "k=v", " k=", "\t", ",", "\\", "é"],
        *["<189>", "Dec  1 14:43:00 h ", "1 2024-01-01T00:00:00Z h a b c - ", "date=", "x=1"],
    ]
)


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=14))
def test_layout_of_agrees_with_splitting(pieces: list[str]) -> None:
    line = "".join(pieces)
    assert fast.layout_of(line) == _layout_by_splitting(line)


def test_layout_of_agrees_with_splitting_on_the_test_files() -> None:
    lines = [LINE_7X.format(sid=1)]
    for path in sorted(DATA.glob("*.log")):
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
    assert sum(fast.layout_of(line) is not None for line in lines) >= 30
    for line in lines:
        assert fast.layout_of(line) == _layout_by_splitting(line), line


def test_layouts_keep_the_dominant_shapes_only() -> None:
    lines = [LINE_7X.format(sid=i) for i in range(300)] + ['date=2024-03-05 odd="1"']
    found = fast.layouts(pl.Series(lines))
    assert found == [fast.layout_of(lines[0])]


@pytest.mark.parametrize("share", [0.0, 0.01])
def test_layouts_match_layout_of_on_every_sampled_line(
    monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    """One layout_of per value-free skeleton finds the layouts one per sampled line finds."""
    monkeypatch.setattr(fast, "MIN_SHARE", share)
    lines = [LINE_7X.format(sid=i) for i in range(40)]
    lines += [line.replace('action="close"', 'action="a b"') for line in lines[:5]]
    lines += [line.replace("srcport=51234", 'srcport=5"1" x=') for line in lines[:3]]
    lines += [line.replace('devname="FGT-EDGE-01"', 'devname=x"FGT"') for line in lines[:3]]
    for path in sorted(DATA.glob("*.log")):
        lines += path.read_text(encoding="utf-8", errors="replace").splitlines() * 2
    counts = Counter(fast.layout_of(line) for line in lines)
    counts.pop(None)
    floor = max(2, int(len(lines) * share))
    want = [lay for lay, c in counts.most_common(fast.MAX_LAYOUTS) if c >= floor]
    monkeypatch.setattr(fast, "SAMPLE_HEAD", len(lines))
    assert len(want) >= 3
    assert fast.layouts(pl.Series(lines)) == want


def test_fast_path_takes_plain_lines_and_leaves_odd_ones() -> None:
    good = [LINE_7X.format(sid=i) for i in range(6)]
    odd = [
        # `=` inside a quoted value: the per-key regex reads the absent `user` from inside it
        good[0].replace('policyname="LAN to Internet"', 'policyname="x user=mallory"'),
        # escaped quote inside a value
        good[0].replace('policyname="LAN to Internet"', 'policyname="a\\" b"'),
        # empty numeric value: the per-key regex looks for a later srcport
        good[0].replace("srcport=51234", "srcport="),
        # bare value with a comma (CSV-format separators)
        good[0].replace("dstport=443", "dstport=443,"),
        # truncated line (broken quote)
        good[0][: good[0].index("LAN to") + 3],
        # another key order
        good[0].replace("srcip=10.1.2.3 srcport=51234", "srcport=51234 srcip=10.1.2.3"),
        # JSON line
        '{"type":"traffic","srcip":"10.9.9.9","dstip":"192.0.2.7"}',
        "",
        # `=` inside a bare value: the per-key regex reads `user` after the `>`
        good[0].replace("duration=12", "duration=12>user=bob"),
        # more quoted values than any layout has (wider than the fields read)
        good[0] + ' appcat="unscanned" crscore="5" craction="262144" utmaction="allow"',
        # a repeated key makes a layout of its own, too rare here to get regexes
        good[0].replace("dstport=443", "dstport=443 srcip=192.0.2.99"),
    ]
    data = ("\n".join(good + odd) + "\n").encode()
    fast_keys, slow_keys, matched = _both(data)
    assert matched.to_list() == [True] * 6 + [False] * 11
    assert_frame_equal(fast_keys, slow_keys)
    assert fast_keys.row(0, named=True)["policyname"] == "LAN to Internet"
    assert fast_keys.row(6, named=True)["user"] == "mallory"  # per-key regex semantics kept
    assert fast_keys.row(14, named=True)["user"] == "bob"
    assert fast_keys.row(16, named=True)["srcip"] == "10.1.2.3"


def test_a_wider_first_line_does_not_stop_the_fast_path() -> None:
    good = [LINE_7X.format(sid=i) for i in range(6)]
    wide = good[0] + ' crscore="5" craction="262144" utmaction="allow" countweb="1"'
    fast_keys, slow_keys, matched = _both(("\n".join([wide, *good]) + "\n").encode())
    assert matched.to_list() == [False] + [True] * 6
    assert_frame_equal(fast_keys, slow_keys)


def test_repeated_key_first_value_wins_on_the_fast_path() -> None:
    lines = [
        LINE_7X.format(sid=i).replace("dstport=443", "dstport=443 srcip=192.0.2.99 vd=x")
        for i in range(4)
    ]
    fast_keys, slow_keys, matched = _both(("\n".join(lines) + "\n").encode())
    assert matched.to_list() == [True] * 4
    assert_frame_equal(fast_keys, slow_keys)
    assert fast_keys.select("srcip", "vd").unique().rows() == [("10.1.2.3", "root")]


def test_parse_with_and_without_fast_path_agree(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    lines = [LINE_7X.format(sid=i) for i in range(50)]
    lines[10] = (
        lines[10].replace('action="close"', 'action="deny"').replace("duration=12", "duration=0")
    )
    lines[20] = lines[20].replace("srcport=51234", "srcport=http")  # reject: non-numeric port
    lines[30] = lines[30][:200]  # truncated
    path = tmp_path / "fg.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    src = Source(path=path, display="fg.log")
    fast_result = fortinet.parse(src, ParseContext())
    monkeypatch.setattr(fortinet, "_fields", lambda piece, chunk: None)
    slow_result = fortinet.parse(src, ParseContext())
    assert_frame_equal(fast_result.connections, slow_result.connections)
    assert_frame_equal(fast_result.rejects, slow_result.rejects)
    assert fast_result.rejects.get_column("line").to_list() == [21, 31]
    assert fast_result.records == 48


def test_pieces_in_threads_keep_file_order(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    lines = [LINE_7X.format(sid=i) for i in range(40)]
    lines[32] = lines[32].replace("dstport=443", "dstport=https")
    path = tmp_path / "fg.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    src = Source(path=path, display="fg.log")
    whole = fortinet.parse(src, ParseContext())
    data = path.read_bytes()
    pieces = [data[a:b] for a, b in fortinet._spans(data, 3000)]
    assert b"".join(pieces) == data
    assert len(pieces) == 7 and all(p.endswith(b"\n") for p in pieces)
    assert fortinet._spans(b"a\nb", 1) == [(0, 2), (2, 3)]
    monkeypatch.setattr(fortinet, "CHUNK_BYTES", 3000)  # about 5 lines per piece
    cut = fortinet.parse(src, ParseContext())
    assert cut.units == whole.units == 40
    assert_frame_equal(cut.connections, whole.connections)
    assert_frame_equal(cut.rejects, whole.rejects)
    assert cut.rejects.get_column("line").to_list() == [33]
    kept = [i for i in range(40) if i != 32]
    assert cut.connections.get_column("src_line").to_list() == [i + 1 for i in kept]
    assert cut.connections.get_column("session_id").to_list() == [str(i) for i in kept]


def test_pieces_read_from_disk_match_the_decoded_text(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """Pieces read straight from a UTF-8 file (BOM, NUL bytes, CRLF) parse like the decoded text
    of the same lines (gzip and UTF-16 files are decoded whole)."""
    import gzip

    lines = [LINE_7X.format(sid=i) for i in range(30)]
    lines[17] = lines[17].replace("srcport=51234", "srcport=x")
    text = "\n".join(lines) + "\n"
    nul = "\x00".join(text[i : i + 700] for i in range(0, len(text), 700))  # NULs across cuts
    files = {
        "plain": text.encode(),
        "bom_nul_crlf": b"\xef\xbb\xbf" + nul.replace("\n", "\r\n").encode() + b"\x00\x00",
        "gzip": gzip.compress(text.encode()),
        "utf16": text.encode("utf-16"),
    }
    monkeypatch.setattr(fortinet, "CHUNK_BYTES", 3000)
    results = {}
    for name, raw in files.items():
        path = tmp_path / name
        path.write_bytes(raw)
        results[name] = fortinet.parse(Source(path=path, display="fg.log"), ParseContext())
    want = results.pop("plain")
    assert want.units == 30 and want.records == 29
    assert want.rejects.get_column("line").to_list() == [18]
    for got in results.values():
        assert (got.units, got.records, got.rejected) == (30, 29, 1)
        assert_frame_equal(got.connections, want.connections)
        assert_frame_equal(got.rejects, want.rejects)


_KEYS = ["srcip", "srcport", "dstip", "policyname", "action", "user", "msg", "duration", "vd"]
_CHARS = st.sampled_from(
    [*'ab1 =,}{|>\\"é\u00a0\t', "N/A", "10.0.0.1", "", "user=", ">srcip=", '\\"']
)
_VALUE = st.lists(_CHARS, max_size=4).map("".join)


@settings(max_examples=120, deadline=None)
@given(
    keys=st.lists(st.sampled_from(_KEYS), min_size=1, max_size=7),
    quoted=st.lists(st.booleans(), min_size=7, max_size=7),
    rows=st.lists(st.lists(_VALUE, min_size=7, max_size=7), min_size=1, max_size=6),
)
def test_fast_path_agrees_with_per_key_regex(
    keys: list[str], quoted: list[bool], rows: list[list[str]]
) -> None:
    """Whatever the values hold, rows the fast path takes get the per-key regex's values."""
    plain = "date=2024-03-05 type=traffic"
    clean = [plain + " " + " ".join(f"{k}=1" for k in keys)] * 3  # make the layout dominant
    lines = []
    for values in rows:
        pairs = [
            f'{k}="{v}"' if q else f"{k}={v}" for k, q, v in zip(keys, quoted, values, strict=False)
        ]
        lines.append(plain + " " + " ".join(pairs))
    frame = _frame(("\n".join(clean + lines) + "\n").encode())
    fields = fortinet._fields(("\n".join(clean + lines) + "\n").encode(), frame)
    slow_keys = kv.add_values(frame, TRAFFIC_KEYS, fortinet.BODY).select(TRAFFIC_KEYS)
    if fields is None:
        return
    fast_keys = fortinet._traffic_keys(frame, fortinet._fast_keys(frame, fields)).select(
        TRAFFIC_KEYS
    )
    assert_frame_equal(fast_keys, slow_keys)


@pytest.mark.parametrize(
    "data",
    [
        b"a=1\nb=2\n",
        b"a=1\r\nb=2\r\n",
        b"\n\nc=3\n",
        b"x",
        b"a=\xff1\nb=2",  # invalid UTF-8: repaired by read_lines
        b"x=1 CEF:0|Fortinet|\n",
    ],
)
def test_read_is_read_lines(data: bytes) -> None:
    lines = fortinet._read(data)
    assert_frame_equal(lines.drop("_cef"), read_lines(data))
    assert lines.get_column("_cef").to_list() == [b"CEF:" in data] * lines.height


def test_blank_and_framing_only_lines_have_no_layout() -> None:
    assert fast.layout_of("") is None
    assert fast.layout_of("<189>") is None
    assert fast.layouts(pl.Series([""] * 50 + ["a=1"] * 2)) == [fast.Layout((("a",),), 1)]


def _parse_both(src: Source, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """(with the fast path taking every layout seen twice, with the per-key path only)."""
    with monkeypatch.context() as m:
        m.setattr(fast, "MIN_SHARE", 0.0)
        m.setattr(fast, "MAX_LAYOUTS", 100)
        quick = fortinet.parse(src, ParseContext())
    with monkeypatch.context() as m:
        m.setattr(fortinet, "_fields", lambda raw, lines: None)
        slow = fortinet.parse(src, ParseContext())
    return quick, slow


def assert_same_parse(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """The file three times over (so every layout repeats) parses the same on both paths;
    returns how many lines the fast path took."""
    tripled = tmp_path / path.name
    tripled.write_bytes((path.read_bytes().rstrip(b"\n") + b"\n") * 3)
    src = Source(path=tripled, display=path.name)
    quick, slow = _parse_both(src, monkeypatch)
    assert_frame_equal(quick.connections, slow.connections)
    assert_frame_equal(quick.rule_changes, slow.rule_changes)
    assert_frame_equal(quick.rejects, slow.rejects)
    assert (quick.units, quick.records, quick.non_records) == (
        slow.units,
        slow.records,
        slow.non_records,
    )
    assert quick.stats == slow.stats
    assert quick.warnings == slow.warnings
    with monkeypatch.context() as m:
        m.setattr(fast, "MIN_SHARE", 0.0)
        m.setattr(fast, "MAX_LAYOUTS", 100)
        raw = src.text_bytes()
        lines = fortinet._read(raw)
        fields = fortinet._fields(raw, lines)
    if fields is None:
        return 0
    everyone = pl.Series([True] * lines.height)
    _, matched = fast.extract(fields.frame, lines["text"], fields.layouts, ["type"], everyone)
    return int(matched.sum())


# lines of each file the fast path takes once every layout repeats (the rest: framing it leaves
# to the per-key path, JSON, CEF, CSV, broken lines)
TAKEN = {
    "bad_lines.log": 18,  # not: cut quotes (2), plain text, blank, CEF
    "config_changes.log": 27,
    "faz_export.log": 0,  # itime has an unquoted space
    "framing.log": 15,  # not: JSON, CSV
    "legacy_43.log": 3,
    "rfc5424_no_eventtime.log": 3,
    "traffic_5x.log": 6,
    "traffic_7x.log": 21,
}


@pytest.mark.parametrize("name", sorted(TAKEN))
def test_test_files_parse_the_same_with_the_fast_path(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert assert_same_parse(DATA / name, tmp_path, monkeypatch) == TAKEN[name]
