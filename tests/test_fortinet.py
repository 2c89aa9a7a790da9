"""FortiGate parser: traffic shapes, framing, time, NAT, bad input, sniffing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import parsers
from fwcorr.config import config_from_dict
from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from fwcorr.schema import CONNECTION, REJECT, RULE_CHANGE
from parsers import fortinet
from parsers import fortinet_kv as kv

DATA = Path(__file__).parent / "data" / "fortinet"
COLS = (
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
    "direction",
    "rule",
    "rule_id",
    "bytes_out",
    "bytes_in",
    "packets",
    "src_line",
)


def ts(text: str | None) -> datetime | None:
    """ISO text -> aware UTC datetime (test readability)."""
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def source(name: str, folder: Path = DATA) -> Source:
    return Source(path=folder / name, display=name)


def parse(name: str, ctx: ParseContext | None = None) -> ParseResult:
    return fortinet.parse(source(name), ctx or ParseContext())


def expected(rows: list[tuple], cols: tuple[str, ...] = COLS) -> pl.DataFrame:
    schema = {c: CONNECTION[c] for c in cols}
    return pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], schema=schema)


def reconciles(result: ParseResult) -> bool:
    return result.records + result.non_records + result.rejected == result.units


def test_registered_and_schemas() -> None:
    assert parsers.PARSERS["fortinet"] is fortinet
    result = parse("traffic_7x.log")
    assert result.format == "fortinet"
    assert result.connections.collect_schema() == CONNECTION
    assert result.rule_changes.collect_schema() == RULE_CHANGE
    assert result.rejects.collect_schema() == REJECT
    changes = parse("config_changes.log")
    assert changes.rule_changes.collect_schema() == RULE_CHANGE
    assert changes.connections.collect_schema() == CONNECTION


def test_7x_quoted_forward_local_nat_icmp() -> None:
    result = parse("traffic_7x.log")
    assert (result.units, result.records, result.non_records, result.rejected) == (7, 7, 0, 0)
    assert result.warnings == []
    dev = "FGT-EDGE-01"
    want = expected(
        [
            # snat, outbound (dstintfrole=wan), eventtime in ns, close after 125 s
            (ts("2024-03-05T09:13:25.123456"), ts("2024-03-05T09:15:30.123456"), dev, "allow",
             "tcp", "10.1.1.10", 51544, "203.0.113.50", 443, "198.51.100.10", 51544, None, None,
             "outbound", "LAN to Internet", "12", 18234, 402211, 540, 1),
            # dnat (VIP port forward), inbound, eventtime in ms
            (ts("2024-03-05T09:16:00.456"), ts("2024-03-05T09:16:40.456"), dev, "allow", "tcp",
             "203.0.113.77", 60211, "198.51.100.20", 8443, None, None, "10.1.1.20", 443,
             "inbound", "allow-rdp-in", "42", 5120, 9800, 40, 2),
            # snat+dnat, eventtime in s
            (ts("2024-03-05T09:17:50"), ts("2024-03-05T09:18:20"), dev, "allow", "tcp",
             "203.0.113.77", 60390, "198.51.100.21", 3389, "10.1.1.1", 40001, "10.1.1.21", 3389,
             "inbound", "rdp-hairpin", "43", 700, 900, 17, 3),
            # local-in deny: no session end, policy 0 is not called implicit-deny on local traffic
            (ts("2024-03-05T09:20:00"), None, dev, "deny", "udp", "203.0.113.9", 500,
             "198.51.100.10", 500, None, None, None, None, "local", None, "0", 0, 0, 0, 4),
            # ICMP: no ports anywhere, NAT address kept
            (ts("2024-03-05T09:20:00"), ts("2024-03-05T09:21:00"), dev, "allow", "icmp",
             "10.1.1.10", None, "192.0.2.53", None, "198.51.100.10", None, None, None,
             "outbound", "LAN to Internet", "12", 84, 84, 2, 5),
            # ICMPv6 with IPv6 written in upper case / uncompressed
            (ts("2024-03-05T09:21:30"), ts("2024-03-05T09:21:30"), dev, "allow", "ipv6-icmp",
             "2001:db8::10", None, "2001:db8:ffff::53", None, None, None, None, None, "forward",
             "LAN6 to DMZ6", "7", 104, 0, 1, 6),
            # forward deny by policy 0 = implicit deny
            (ts("2024-03-05T09:22:00"), None, dev, "deny", "tcp", "10.1.1.11", 50000,
             "203.0.113.60", 22, None, None, None, None, "outbound", "implicit-deny", "0", 0, 0,
             0, 7),
        ]
    )  # fmt: skip
    assert_frame_equal(result.connections.select(COLS), want)
    extra = result.connections.select(
        "vendor", "log_type", "duration_s", "session_id", "src_intf", "app", "user", "rule_uuid",
        "vsys", "end_reason", "src_file",
    ).row(1)  # fmt: skip
    assert extra == (
        "fortinet", "traffic", 40.0, "8842200", "wan1", "SSL", None, None, "root", "client-rst",
        "traffic_7x.log",
    )  # fmt: skip


def test_5x_unquoted_with_configured_zone() -> None:
    ctx = ParseContext(
        config=config_from_dict({"devices": {"FGT60D-OLD": {"timezone": "America/New_York"}}})
    )
    result = parse("traffic_5x.log", ctx)
    assert result.warnings == []
    want = expected(
        [
            (ts("2016-02-12T16:11:22"), ts("2016-02-12T16:11:29"), "FGT60D-OLD", "allow", "tcp",
             "192.168.1.183", 45719, "203.0.113.184", 80, "198.51.100.214", 45719, None, None,
             "forward", None, "10", 398, 1605, 10, 1),
            (ts("2016-02-12T16:12:01"), None, "FGT60D-OLD", "deny", "tcp", "203.0.113.7", 3390,
             "198.51.100.214", 3389, None, None, None, None, "forward", "implicit-deny", "0", 0,
             0, 0, 2),
        ]
    )  # fmt: skip
    assert_frame_equal(result.connections.select(COLS), want)


def test_5x_without_zone_is_utc_with_warning() -> None:
    result = parse("traffic_5x.log")
    assert result.warnings == ["device FGT60D-OLD: no time zone known, times taken as UTC"]
    assert result.connections.get_column("ts").to_list() == [
        ts("2016-02-12T11:11:22"),
        ts("2016-02-12T11:12:01"),
    ]


def test_framing_relay_rfc5424_faz_json_csv() -> None:
    result = parse("framing.log")
    assert (result.units, result.records, result.rejected) == (7, 7, 0)
    cols = ("ts", "ts_end", "device", "action", "src_ip", "dst_ip", "dst_port", "nat_src_ip",
            "rule", "bytes_out", "src_line")  # fmt: skip
    want = expected(
        [
            # BSD relay header, no devname: the header host names the device
            (ts("2024-03-05T09:22:50"), ts("2024-03-05T09:23:00"), "FGT-BRANCH-02", "allow",
             "10.2.1.10", "192.0.2.80", 80, None, None, 100, 1),
            # RFC 3339 relay time + relay IP; action=start is an allowed session start
            (ts("2024-03-05T09:24:00"), None, "FGT-EDGE-01", "allow", "10.1.1.12", "192.0.2.90",
             53, "198.51.100.10", None, 0, 2),
            # RFC 5424 header, no date/time keys
            (ts("2024-03-05T09:24:55"), ts("2024-03-05T09:25:00"), "FGT-EDGE-01", "allow",
             "10.1.1.13", "192.0.2.91", 443, None, None, 10, 3),
            # FortiAnalyzer-forwarded, no eventtime: date+time with tz="UTC+1:00"
            (ts("2024-03-05T09:25:54"), ts("2024-03-05T09:26:00"), "FGT-EDGE-01", "allow",
             "10.1.1.14", "192.0.2.92", 443, None, None, 11, 4),
            # repeated tz: the first one (-0800) applies
            (ts("2024-03-05T09:26:53"), ts("2024-03-05T09:27:00"), "FGT-EDGE-01", "allow",
             "10.1.1.15", "192.0.2.93", 443, None, None, 12, 5),
            # JSON format
            (ts("2024-03-05T09:27:52"), ts("2024-03-05T09:28:00"), "FGT-EDGE-01", "allow",
             "10.1.1.16", "192.0.2.94", 443, None, "LAN to Internet", 13, 6),
            # CSV format
            (ts("2024-03-05T09:28:51"), ts("2024-03-05T09:29:00"), "FGT-EDGE-01", "allow",
             "10.1.1.17", "192.0.2.95", 443, None, None, 14, 7),
        ],
        cols,
    )  # fmt: skip
    assert_frame_equal(result.connections.select(cols), want)


def test_fortianalyzer_export_uses_dtime_utc() -> None:
    # FortiAnalyzer 5.x raw export: bare values, short logid, dtime (UTC) with a space in it
    result = parse("faz_export.log")
    assert result.warnings == []
    want = expected(
        [
            (ts("2014-12-29T15:34:44"), ts("2014-12-29T15:35:07"), "FGTVM52", "allow", "tcp",
             "192.168.1.205", 50925, "203.0.113.22", 80, "198.51.100.181", 50925, None, None,
             "forward", None, "5", 578, 4831, 13, 1),
        ]
    )  # fmt: skip
    assert_frame_equal(result.connections.select(COLS), want)
    assert result.connections.select("user", "app").row(0) == ("guest", "HTTP")


def test_rfc5424_header_offset_when_no_eventtime_or_tz() -> None:
    # the device's own RFC 5424 header carries +01:00; the body has only date/time
    result = parse("rfc5424_no_eventtime.log")
    assert result.warnings == []
    assert result.connections.select("ts", "ts_end", "device").rows() == [
        (ts("2024-03-05T09:24:57"), ts("2024-03-05T09:25:00"), "FGT-EDGE-01")
    ]


def test_legacy_43_keys() -> None:
    ctx = ParseContext(device_tz={"FG200B3911600001": "UTC"})
    result = parse("legacy_43.log", ctx)
    want = expected(
        [
            (ts("2012-06-18T14:22:53"), ts("2012-06-18T14:23:05"), "FG200B3911600001", "allow",
             "tcp", "192.168.10.5", 50123, "203.0.113.80", 80, "198.51.100.2", 50123, None, None,
             "forward", None, "3", 1200, 5400, 19, 1),
        ]
    )  # fmt: skip
    assert_frame_equal(result.connections.select(COLS), want)
    assert result.warnings == []


@pytest.mark.parametrize(
    "text",
    ["1709630130", "1709630130000", "1709630130000000", "1709630130000000000"],
)
def test_epoch_precision_by_digit_count(text: str) -> None:
    out = pl.select(kv.from_epoch(pl.lit(text))).item()
    assert out == ts("2024-03-05T09:15:30")


@pytest.mark.parametrize(
    ("tz", "minutes"),
    [("-0700", -420), ("+0800", 480), ("UTC+2:00", 120), ("+05:30", 330), ("bogus", None)],
)
def test_tz_offsets(tz: str, minutes: int | None) -> None:
    assert pl.select(kv.tz_offset_minutes(pl.lit(tz))).item() == minutes


def test_untrusted_interfaces_and_serial_from_config(tmp_path: Path) -> None:
    cfg = config_from_dict(
        {"devices": {"EDGE": {"serial": "FG100FTK19000001", "untrusted_interfaces": ["port2"]}}}
    )
    line = (DATA / "framing.log").read_text().splitlines()[1]
    # without devname the configured serial names the device; port2 is declared untrusted
    path = tmp_path / "one.log"
    path.write_text(line.replace('devname="FGT-EDGE-01" ', "") + "\n")
    result = fortinet.parse(Source(path=path, display="one.log"), ParseContext(config=cfg))
    assert result.connections.select("device", "direction", "src_intf").rows() == [
        ("EDGE", "inbound", "port2")
    ]


def test_bad_lines_rejected_with_reasons_and_counts_reconcile() -> None:
    result = parse("bad_lines.log")
    assert reconciles(result)
    assert (result.units, result.records, result.non_records, result.rejected) == (11, 4, 2, 5)
    # the cut quote (line 2) and the unknown traffic logid (line 5) are still parsed
    assert result.connections.select("src_line", "rule").rows() == [
        (1, None),
        (2, "LAN to Inter"),
        (5, None),
        (11, None),
    ]
    want = pl.DataFrame(
        {
            "path": ["bad_lines.log"] * 5,
            "line": [7, 3, 4, 9, 10],
            "reason": [
                "not a FortiGate log line (no type/logid key)",
                "missing dstip (truncated line?)",
                "non-numeric dstport: https",
                "invalid srcip: 10.1.1.300",
                "non-numeric sentbyte: 1x0",
            ],
        }
    )
    assert_frame_equal(result.rejects.select("path", "line", "reason"), want)
    assert result.rejects.get_column("excerpt")[0] == "this is not a log line"
    assert result.stats["by_type"] == {
        "blank": 1,
        "event:system": 1,
        "garbage": 1,
        "traffic:forward": 8,
    }
    assert result.stats["cef_lines"] == 1
    assert result.warnings == ["1 line(s) with an unterminated quote, read up to the break"]


def test_cef_traffic_record() -> None:
    result = parse("bad_lines.log")
    cef = result.connections.filter(pl.col("src_line") == 11)
    want = expected(
        [
            # CEF: device from the syslog header, FTNTFGT* keys as native ones, out/in bytes
            (ts("2024-03-05T09:15:36"), ts("2024-03-05T09:15:38"), "FGT-A-LOG", "allow", "tcp",
             "10.1.1.10", 51551, "203.0.113.50", 443, None, None, None, None, "forward", None,
             "1", 3652, 146668, 163, 11),
        ]
    )  # fmt: skip
    assert_frame_equal(cef.select(COLS), want)
    assert cef.get_column("session_id").to_list() == ["8"]


def test_empty_and_blank_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.log"
    path.write_text("\n\n")
    result = fortinet.parse(Source(path=path, display="blank.log"), ParseContext())
    assert (result.units, result.records, result.non_records, result.rejected) == (2, 0, 2, 0)


SNIFF_NO = {
    "panos.csv": "1,2024/03/05 10:30:00,013101009876,TRAFFIC,end,2561,2024/03/05 10:30:00,"
    "10.1.1.10,203.0.113.50,198.51.100.10,203.0.113.50,allow-web,,,ssl,vsys1,trust,untrust,"
    "ethernet1/2,ethernet1/1,Log-Forwarding,2024/03/05 10:30:00,12345,1,51544,443,51544,443,"
    "0x400019,tcp,allow,5000,2000,3000,20,2024/03/05 10:29:50,10,any,,7300000000000000001,"
    "0x8000000000000000,10.0.0.0-10.255.255.255,United States,,10,10,tcp-fin\n",
    "pfirewall.log": "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n"
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
    "tcpack tcpwin icmptype icmpcode info path pid\n\n"
    "2024-03-05 10:00:00 ALLOW TCP 10.1.1.10 203.0.113.50 51544 443 0 - 0 0 0 - - - SEND 4\n",
    "notes.txt": "date=2024-03-05 meeting notes: type=draft\n",
    # parsed-event JSON that quotes FortiGate lines (e.g. an ECS export) is not a FortiGate log
    "ecs.json": '{\n  "event": {\n    "original": "date=2024-03-05 time=10:15:30 '
    'devname=\\"FGT\\" devid=\\"FG1\\" logid=\\"0000000013\\" type=\\"traffic\\""\n  }\n}\n',
    # another vendor's key=value firewall log (Sophos-style keys) is not FortiGate's
    "other_kv.log": 'device="SFW" date=2024-03-05 time=10:00:00 timezone="CET" '
    'device_name="XG210" device_id=C01001K2H7WQ79C log_id=010101600001 log_type="Firewall" '
    'log_component="Firewall Rule" status="Allow" src_ip=10.1.1.10 dst_ip=203.0.113.50\n',
}


@pytest.mark.parametrize("name", sorted(SNIFF_NO))
def test_sniff_refuses_other_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(SNIFF_NO[name])
    assert fortinet.sniff(Source(path=path, display=name)) is False


@pytest.mark.parametrize(
    "name",
    [
        "traffic_7x.log",
        "traffic_5x.log",
        "framing.log",
        "legacy_43.log",
        "faz_export.log",
        "rfc5424_no_eventtime.log",
        "config_changes.log",
        "bad_lines.log",
    ],
)
def test_sniff_claims_fortigate_samples(name: str) -> None:
    assert fortinet.sniff(source(name)) is True


def test_sniff_claims_json_only_file(tmp_path: Path) -> None:
    path = tmp_path / "fgt.json"
    path.write_text((DATA / "framing.log").read_text().splitlines()[5] + "\n")
    assert fortinet.sniff(Source(path=path, display="fgt.json")) is True


_GOOD = (DATA / "traffic_7x.log").read_text().splitlines()[0]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=120),
            st.text(alphabet='abc=" []<>,{}:\\', max_size=80),
            st.integers(1, len(_GOOD)).map(lambda n: _GOOD[:n]),
        ),
        max_size=12,
    )
)
def test_garbage_never_breaks_good_lines(noise: list[str]) -> None:
    import tempfile

    lines = [_GOOD, *(n.replace("\n", " ").replace("\r", " ") for n in noise), _GOOD]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mixed.log"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = fortinet.parse(Source(path=path, display="mixed.log"), ParseContext())
    assert reconciles(result)
    assert result.units == len(lines)
    good = result.connections.filter(pl.col("session_id") == "8842113")
    assert good.get_column("src_line").to_list()[:1] == [1]
    assert len(lines) in good.get_column("src_line").to_list()


@pytest.mark.parametrize(
    ("values", "canonical", "valid"),
    [
        (["10.0.0.1", None, "256.1.1.1"], ["10.0.0.1", None, None], [True, True, False]),
        (
            ["2001:DB8::0:1", "::ffff:10.0.0.2", "10.0.0.3", "fe80::1%port1", "1:2:3", None],
            ["2001:db8::1", "10.0.0.2", "10.0.0.3", "fe80::1", None, None],
            [True, True, True, True, False, True],
        ),
        ([None, None], [None, None], [True, True]),
    ],
)
def test_canonical_ip_with_and_without_ipv6_text(
    values: list, canonical: list, valid: list
) -> None:
    out, ok = kv.canonical_ip(pl.Series("srcip", values, dtype=pl.String))
    assert out.name == "srcip" and out.dtype == pl.String
    assert out.to_list() == canonical
    assert ok.to_list() == valid


def test_non_ascii_digits_are_rejected_not_nulled(tmp_path: Path) -> None:
    """Unicode digits (Arabic-Indic here) look numeric to a Unicode `\\d` but are not a port,
    a counter or an address: the line is rejected with the reason, never kept with a null."""
    line = (DATA / "framing.log").read_text().splitlines()[1]
    assert "dstport=" in line and "sentbyte=" in line
    cases = {
        "port": re.sub(r"dstport=\d+", "dstport=\u0664\u0664\u0663", line),
        "bytes": re.sub(r"sentbyte=\d+", "sentbyte=\u0661\u0662", line),
        "addr": re.sub(r"srcip=[0-9.]+", "srcip=10.1.1.\u0661", line),
    }
    path = tmp_path / "digits.log"
    path.write_text("\n".join([line, *cases.values()]) + "\n")
    result = fortinet.parse(Source(path=path, display="digits.log"), ParseContext())
    assert result.connections.get_column("src_line").to_list() == [1]
    assert result.rejects.select("line", "reason").rows() == [
        (2, "non-numeric dstport: \u0664\u0664\u0663"),
        (3, "non-numeric sentbyte: \u0661\u0662"),
        (4, "invalid srcip: 10.1.1.\u0661"),
    ]
    assert reconciles(result)
