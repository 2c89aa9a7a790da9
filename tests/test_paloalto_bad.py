"""PAN-OS bad input: every line is a record, a non-record or a reject; counts reconcile."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from fwcorr.runner import parse_source
from parsers import paloalto

DATA = Path(__file__).parent / "data" / "paloalto"
GOOD = (DATA / "traffic_10x_nat.log").read_text().rstrip("\n")
GOOD_81 = (DATA / "traffic_81.log").read_text().rstrip("\n")


def _parse(path: Path):
    return paloalto.parse(Source(path, path.name, root=path.parent), ParseContext())


def _reconciles(result) -> bool:
    return result.records + result.non_records + result.rejected == result.units


def test_bad_mix_rejects_each_bad_line_and_keeps_the_rest() -> None:
    result = _parse(DATA / "bad_mix.log")
    expected = pl.DataFrame(
        {
            "line": [2, 3, 4, 6, 7, 8, 11],
            "reason": [
                "invalid src_ip: 999.1.1.1",
                "port out of range or non-numeric: dport=70000",
                "non-numeric bytes_sent: 12x",
                "unterminated quote (record cut mid-field)",
                "truncated TRAFFIC record (fewer than 37 fields)",
                "not a PAN-OS record",
                "truncated last line (28 of 75 fields, no newline at end of file)",
            ],
        }
    )
    assert_frame_equal(result.rejects.select("line", "reason"), expected)
    assert result.rejects.get_column("path").unique().to_list() == ["bad_mix.log"]
    assert result.rejects.get_column("excerpt").to_list()[5] == "this is not a firewall log line"
    # lines 1 and 9 are good (9 has an RFC 4180 quoted rule); 5 is blank, 10 is relay noise
    assert result.connections.select("src_line", "rule").rows() == [
        (1, "NAT-IN-9999"),
        (9, "quoted, rule"),
    ]
    assert (result.units, result.records, result.non_records, result.rejected) == (11, 2, 2, 7)


def test_five_megabyte_line_and_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    with path.open("wb") as fh:
        fh.write(GOOD.encode() + b"\n")
        fh.write(b"A" * (5 * 1024 * 1024) + b"\n")
        fh.write(b"\x00\x01\x02\xff\xfe binary junk \x00\n")
        fh.write(GOOD_81.encode() + b"\n")
    result = _parse(path)
    assert result.rejects.select("line", "reason").rows() == [
        (2, "not a PAN-OS record"),
        (3, "not a PAN-OS record"),
    ]
    assert len(result.rejects.get_column("excerpt")[0]) == 200
    assert result.connections.get_column("src_line").to_list() == [1, 4]
    assert _reconciles(result)


def test_five_megabyte_line_on_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "big2.log"
    path.write_text(GOOD + "\n" + "B," * (2_500_000) + "\n" + GOOD_81 + "\n")
    result = _parse(path)
    assert result.stats["fast_path"] is True
    assert result.rejects.select("line", "reason").rows() == [(2, "not a PAN-OS record")]
    assert (result.units, result.records, result.rejected) == (3, 2, 1)


def test_crlf_and_utf16_give_the_same_rows(tmp_path: Path) -> None:
    text = GOOD + "\n" + GOOD_81 + "\n"
    (tmp_path / "lf.log").write_text(text)
    (tmp_path / "crlf.log").write_bytes(text.replace("\n", "\r\n").encode())
    (tmp_path / "utf16.log").write_bytes(text.encode("utf-16"))  # with BOM
    results = {n: _parse(tmp_path / n) for n in ("lf.log", "crlf.log", "utf16.log")}
    base = results["lf.log"].connections.drop("src_file")
    assert base.height == 2
    for name in ("crlf.log", "utf16.log"):
        assert_frame_equal(results[name].connections.drop("src_file"), base)
        assert results[name].rejected == 0 and _reconciles(results[name])


def test_empty_and_binary_files_through_the_runner(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    s_empty, _ = parse_source(Source(empty, "empty.log"), ParseContext(), "paloalto")
    s_bin, _ = parse_source(Source(binary, "blob.bin"), ParseContext(), "paloalto")
    assert (s_empty.format, s_empty.units, s_empty.rejected) == ("empty", 0, 0)
    assert (s_bin.format, s_bin.units, s_bin.rejected) == ("unknown", 0, 0)
    assert paloalto.parse(Source(empty, "empty.log"), ParseContext()).units == 0


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from fwcorr.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )


def test_cli_on_bad_input_exits_0_and_reconciles(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence" / "PA-EDGE-01"
    evidence.mkdir(parents=True)
    (evidence / "bad_mix.log").write_bytes((DATA / "bad_mix.log").read_bytes())
    (evidence / "blob.bin").write_bytes(b"\x00\xff" * 500)
    (evidence / "empty.log").write_bytes(b"")
    out = tmp_path / "out"
    proc = _cli("parse", str(tmp_path / "evidence"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == summary["totals"]["rejected"] == 7
    assert {r["line"] for r in rejects} == {2, 3, 4, 6, 7, 8, 11}
    for entry in summary["inputs"]:
        assert entry["records"] + entry["non_records"] + entry["rejected"] == entry["units"]
    formats = {Path(i["path"]).name: i["format"] for i in summary["inputs"]}
    assert formats == {"bad_mix.log": "paloalto", "blob.bin": "unknown", "empty.log": "empty"}
    assert pl.read_parquet(out / "connections.parquet").height == 2


def test_cli_missing_path_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = _cli("parse", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "no such file or directory" in proc.stderr


_TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 ,\"'-_.\\/:;é")), min_size=0, max_size=24)
_HEADERS = st.sampled_from(
    [
        "",
        "<14>Dec  4 09:15:02 PA-EDGE-01 ",
        "Dec  4 09:15:02 PA-EDGE-01 ",
        "Dec  4 09:15:02 ",
        "<14>1 2026-12-04T09:15:02-05:00 PA-EDGE-01 - - - - ",
        "2026-12-04T09:15:02-05:00 relay01 ",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rule=_TEXT, user=_TEXT, header=_HEADERS)
def test_framing_and_quoting_roundtrip(tmp_path_factory, rule: str, user: str, header: str) -> None:
    """Any rule/user text written with RFC 4180 quoting, behind any framing, comes back."""
    fields = next(csv.reader([GOOD.split(" ", 4)[-1]]))
    fields[0] = "1"
    fields[11], fields[12] = rule, user
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    path = tmp_path_factory.mktemp("h") / "h.log"
    path.write_text(header + buf.getvalue())
    result = _parse(path)
    assert (result.records, result.rejected) == (1, 0)
    row = result.connections.row(0, named=True)
    assert row["rule"] == (rule.strip() or None)
    assert row["user"] == (user.strip() or None)
    assert row["nat_dst_port"] == 8443 and row["src_line"] == 1


def test_record_cut_inside_its_type_name_is_rejected(tmp_path: Path) -> None:
    cut = GOOD[: GOOD.index("TRAFFIC") + 5]  # "...,013201009876,TRAFF"
    path = tmp_path / "cut.log"
    path.write_text(GOOD + "\n" + cut + "\n" + GOOD_81 + "\n")
    result = _parse(path)
    assert result.rejects.select("line", "reason").rows() == [
        (2, "truncated or malformed TRAFF record (no generated time)")
    ]
    assert result.stats["by_type"] == {"TRAFFIC": 2}
    assert _reconciles(result)


def _late(tmp_path: Path, late_line: str) -> tuple[Path, int]:
    """A plain file with more than 64 KiB of good lines before `late_line`, then one more."""
    n = 65536 // len(GOOD) + 5
    path = tmp_path / "late.log"
    path.write_bytes(
        ("\n".join([GOOD] * n + [late_line, GOOD_81]) + "\n").encode("utf-8", "surrogateescape")
    )
    return path, n + 1


def test_quoted_field_past_the_head_is_split_properly(tmp_path: Path) -> None:
    """The fast read trusts the first 64 KiB; a quoted comma later must still not shift fields."""
    fields = next(csv.reader([GOOD.split(" ", 4)[-1]]))
    fields[11] = "allow, then log"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    path, late = _late(tmp_path, "<14>Dec  4 09:15:03 PA-EDGE-01 " + buf.getvalue())
    result = _parse(path)
    assert result.stats["fast_path"] is False
    assert (result.records, result.rejected) == (late + 1, 0)
    row = result.connections.filter(pl.col("src_line") == late).row(0, named=True)
    assert (row["rule"], row["nat_dst_port"], row["device"]) == (
        "allow, then log",
        8443,
        "PA-EDGE-01",
    )


def test_nul_padding_past_the_head_is_not_taken_as_data(tmp_path: Path) -> None:
    path, late = _late(tmp_path, "\x00" * 16)
    result = _parse(path)
    assert result.stats["fast_path"] is False
    assert result.records == late
    assert _reconciles(result)


def test_invalid_utf8_past_the_head_keeps_the_line(tmp_path: Path) -> None:
    bad = GOOD.replace(",NAT-IN-9999,", ",NAT-IN-\udcff9999,")  # a lone 0xFF byte in the rule
    path, late = _late(tmp_path, bad)
    result = _parse(path)
    assert (result.records, result.rejected) == (late + 1, 0)
    row = result.connections.filter(pl.col("src_line") == late).row(0, named=True)
    assert row["rule"] == "NAT-IN-\ufffd9999"
