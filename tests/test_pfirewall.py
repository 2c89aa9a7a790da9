"""pfirewall.log: header-driven columns, restarts, lost events, local time, bad lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fwcorr.config import config_from_dict
from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from fwcorr.schema import CONNECTION, REJECT
from parsers import pfirewall, windows
from tests.conftest import corpus_file

DATA = Path(__file__).parent / "data" / "windows"
WEB01 = DATA / "WEB01" / "pfirewall.log"
KAPE = DATA / "kape"
DB02 = KAPE / "DB02" / "C" / "Windows" / "System32" / "LogFiles" / "Firewall" / "pfirewall.log"
COLS = (
    "ts",
    "action",
    "protocol",
    "src_ip",
    "src_port",
    "dst_ip",
    "dst_port",
    "direction",
    "bytes_out",
    "pid",
    "src_line",
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def expected(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={c: CONNECTION[c] for c in COLS}, orient="row")


def test_17_field_log_with_host_zone_from_config() -> None:
    source = Source(path=WEB01, display="WEB01/pfirewall.log", root=DATA)
    ctx = ParseContext(config=config_from_dict({"hosts": {"WEB01": {"timezone": "+01:00"}}}))
    assert windows.sniff(source)
    result = windows.parse(source, ctx)
    assert result.format == "windows_pfirewall"
    assert (result.units, result.records, result.non_records, result.rejected) == (16, 8, 6, 2)
    assert result.connections.collect_schema() == CONNECTION
    assert_frame_equal(
        result.connections.select(COLS),
        expected(
            [
                (utc(2026, 3, 14, 9, 15, 2), "allow", "tcp", "10.1.1.20", 50432, "198.51.100.7", 443, "outbound", 0, None, 6),
                (utc(2026, 3, 14, 9, 15, 3), "allow", "tcp", "203.0.113.45", 61001, "10.1.1.20", 9999, "inbound", 0, None, 7),
                (utc(2026, 3, 14, 9, 15, 4), "drop", "tcp", "203.0.113.46", 61002, "10.1.1.20", 3389, "inbound", 52, None, 8),
                (utc(2026, 3, 14, 9, 15, 5), "drop", "icmp", "203.0.113.46", None, "10.1.1.20", None, "inbound", 60, None, 9),
                (utc(2026, 3, 14, 9, 15, 6), "allow", "udp", "fe80::1c2d:3e4f:5a6b:7c8d", 546, "ff02::1:2", 547, "outbound", 0, None, 10),
                (utc(2026, 3, 14, 9, 15, 7), "drop", "ipv6-icmp", "2001:db8::5", None, "2001:db8::20", None, "inbound", 72, None, 11),
                (utc(2026, 3, 14, 9, 15, 9), "allow", "tcp", "10.1.1.20", 50500, "10.1.2.30", 1433, "forward", 0, None, 13),
                (utc(2026, 3, 14, 9, 15, 11), "allow", "igmp", "10.1.1.20", None, "224.0.0.22", None, "outbound", 40, None, 16),
            ]
        ),
    )  # fmt: skip
    assert result.connections["device"].unique().to_list() == ["WEB01"]
    assert result.connections["vendor"].unique().to_list() == ["windows"]
    assert result.connections["log_type"].unique().to_list() == ["pfirewall"]
    assert result.connections["src_file"].unique().to_list() == ["WEB01/pfirewall.log"]
    assert_frame_equal(
        result.rejects,
        pl.DataFrame(
            {
                "path": ["WEB01/pfirewall.log"] * 2,
                "line": [14, 15],
                "reason": [
                    "expected 17 fields (#Fields at line 4), found 9",
                    "unreadable timestamp '2026-13-45 25:61:00'",
                ],
                "excerpt": [
                    "2026-03-14 10:15:10 DROP TCP 203.0.113.47 10.1.1.20 61003 445 40",
                    "2026-13-45 25:61:00 DROP TCP 203.0.113.48 10.1.1.20 61004 445 40 S 1 0 64240"
                    " - - - RECEIVE",
                ],
            },
            schema=REJECT,
        ),
    )
    assert result.stats["events_lost"] == 12
    assert result.stats["host"] == "WEB01"
    assert result.stats["host_source"] == "config"
    assert result.stats["zone"] == "+01:00"
    assert result.warnings == [
        "12 firewall events were lost (INFO-EVENTS-LOST on 1 line(s)): the log has gaps"
    ]


def test_18_field_log_restarted_header_bom_nul_padding_kape_layout() -> None:
    source = Source(path=DB02, display="DB02/pfirewall.log", root=KAPE)
    assert windows.sniff(source)
    result = windows.parse(source, ParseContext())
    # 4 + 4 header lines and 1 INFO-EVENTS-LOST are non-records; the last line has 17 fields
    # under the restarted 18-field header; the NUL padding after the last CRLF is no line.
    assert (result.units, result.records, result.non_records, result.rejected) == (16, 6, 9, 1)
    assert_frame_equal(
        result.connections.select(COLS),
        expected(
            [
                (utc(2026, 3, 19, 23, 59, 58), "drop", "udp", "198.51.100.9", 5353, "10.1.2.30", 5353, "inbound", 120, None, 5),
                (utc(2026, 3, 20, 8, 0, 1), "allow", "tcp", "10.1.2.30", 52144, "203.0.113.9", 443, "outbound", 0, 4120, 10),
                (utc(2026, 3, 20, 8, 0, 2), "allow", "tcp", "203.0.113.45", 61010, "10.1.2.30", 50100, "inbound", 0, 2216, 11),
                (utc(2026, 3, 20, 8, 0, 3), "drop", "tcp", "203.0.113.45", 61011, "10.1.2.30", 1433, "inbound", 44, None, 12),
                (utc(2026, 3, 20, 8, 0, 4), "allow", "icmp", "10.1.2.30", None, "10.1.1.1", None, "outbound", 0, 4, 13),
                (utc(2026, 3, 20, 8, 0, 5), "allow", "udp", "2001:db8::30", 60123, "2001:db8::53", 53, "outbound", 0, 2468, 14),
            ]
        ),
    )  # fmt: skip
    assert result.connections["device"].unique().to_list() == ["DB02"]
    assert result.rejects.select("line", "reason").rows() == [
        (16, "expected 18 fields (#Fields at line 9), found 17")
    ]
    assert result.stats["host_source"] == "folder"
    assert result.stats["events_lost"] == 3
    assert result.stats["layouts"] == [17, 18]
    assert result.warnings == [
        "host DB02: pfirewall.log times are local and no time zone is known "
        "(set hosts.<host>.timezone or --tz HOST=ZONE); taken as UTC",
        "3 firewall events were lost (INFO-EVENTS-LOST on 1 line(s)): the log has gaps",
    ]


HEADER = (
    "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: {fmt}\n"
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn"
    " tcpack tcpwin icmptype icmpcode info path pid\n"
)


def write(tmp_path: Path, text: str, name: str = "pfirewall.log") -> Source:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Source(path=path, display=name)


def test_time_format_utc_is_honoured_and_host_option_wins(tmp_path: Path) -> None:
    line = "2026-03-29 02:30:00 ALLOW TCP 10.1.1.20 203.0.113.9 52144 443 0 - 0 0 0 - - - SEND 8\n"
    ctx = ParseContext(
        host="WS07", config=config_from_dict({"hosts": {"WS07": {"timezone": "Europe/Berlin"}}})
    )
    utc_log = pfirewall.parse(write(tmp_path, HEADER.format(fmt="UTC") + line), ctx)
    assert utc_log.connections["ts"].to_list() == [utc(2026, 3, 29, 2, 30)]
    assert utc_log.connections["device"].to_list() == ["WS07"]
    assert utc_log.stats["host_source"] == "option"
    # 02:30 local does not exist in Berlin on 2026-03-29 (DST starts): a reject, not a guess.
    local = pfirewall.parse(write(tmp_path, HEADER.format(fmt="Local") + line, "b.log"), ctx)
    assert local.records == 0
    assert local.rejects["reason"].to_list() == [
        "local time '2026-03-29 02:30:00' does not exist in Europe/Berlin"
    ]


def test_bad_values_are_rejected_with_reasons(tmp_path: Path) -> None:
    lines = [
        "2026-03-20 08:00:01 ALLOW TCP 10.1.2.30 203.0.113.9 52x44 443 0 - 0 0 0 - - - SEND 1",
        "2026-03-20 08:00:02 PERMIT TCP 10.1.2.30 203.0.113.9 52144 443 0 - 0 0 0 - - - SEND 1",
        "2026-03-20 08:00:03 ALLOW TCP not-an-ip 203.0.113.9 52144 443 0 - 0 0 0 - - - SEND 1",
        "2026-03-20 08:00:04 INFO-EVENTS-LOST - - - - - - - - - - - - many - -",
        "2026-03-20 08:00:05 ALLOW TCP 10.1.2.30 203.0.113.9 52146 443 0 - 0 0 0 - - - SEND 1",
    ]
    result = pfirewall.parse(
        write(tmp_path, HEADER.format(fmt="Local") + "\n".join(lines) + "\n"), ParseContext()
    )
    assert result.rejects.select("line", "reason").rows() == [
        (5, "bad src-port value '52x44'"),
        (6, "unknown action 'PERMIT'"),
        (7, "bad address 'not-an-ip' -> '203.0.113.9'"),
        (8, "INFO-EVENTS-LOST without a numeric count 'many'"),
    ]
    assert result.connections["src_line"].to_list() == [9]
    assert result.units == result.records + result.non_records + result.rejected == 9


def test_corpus_xp_log_open_close_and_lost_events() -> None:
    path = corpus_file("windows", "plaso_windows_firewall.log")
    result = windows.parse(Source(path=path, display=path.name), ParseContext(host="XP01"))
    assert (result.units, result.records, result.non_records, result.rejected) == (19, 14, 5, 0)
    assert result.stats["by_action"] == {"CLOSE": 3, "DROP": 9, "INFO-EVENTS-LOST": 1, "OPEN": 2}
    assert result.stats["events_lost"] == 59
    conns = result.connections
    assert conns.filter(pl.col("src_line") == 7).select("action", "direction", "end_reason").row(
        0
    ) == ("allow", "outbound", None)
    assert conns.filter(pl.col("src_line") == 9).select("action", "end_reason").row(0) == (
        "other",
        "close",
    )
    assert conns.filter(pl.col("src_line") == 14).select("protocol", "dst_port").row(0) == (
        "icmp",
        7,
    )


def test_corpus_modern_excerpt() -> None:
    path = corpus_file("windows", "dissect_target_pfirewall_inline.log")
    result = windows.parse(Source(path=path, display=path.name), ParseContext(host="H1"))
    assert (result.units, result.records, result.non_records, result.rejected) == (8, 3, 5, 0)
    assert result.connections.select("ts", "action", "src_port", "bytes_out").rows() == [
        (utc(2022, 1, 1, 13, 37), "allow", 1234, 1337),
        (utc(2022, 1, 1, 13, 37, 1), "drop", 12345, 0),
        (utc(2022, 1, 1, 13, 37, 2), "drop", 12345, 0),
    ]


def test_sniff_rejects_other_w3c_logs(tmp_path: Path) -> None:
    iis = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method\n"
    assert not pfirewall.sniff(write(tmp_path, iis, "u_ex.log"))
    headerless = "2026-03-20 08:00:01 DROP TCP 10.1.2.30 203.0.113.9 1 2 0 - - - - - - - RECEIVE\n"
    assert pfirewall.sniff(write(tmp_path, headerless, "fw.log"))


FIELD = st.one_of(st.just("-"), st.from_regex(r"[A-Za-z0-9.:%]{1,12}", fullmatch=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(FIELD, min_size=1, max_size=20).map(" ".join), max_size=12))
def test_any_lines_reconcile(tmp_path_factory: pytest.TempPathFactory, rows: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("fw")
    result = pfirewall.parse(
        write(tmp, HEADER.format(fmt="UTC") + "\n".join(rows) + "\n"), ParseContext()
    )
    assert result.units == result.records + result.non_records + result.rejected
    assert result.connections.collect_schema() == CONNECTION
