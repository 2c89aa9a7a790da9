"""PAN-OS TRAFFIC parsing: layouts 8.0-11.1, framing, time zones, NAT, IPs, web export."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fwcorr.config import config_from_dict
from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from fwcorr.schema import CONNECTION, RULE_CHANGE
from parsers import paloalto

DATA = Path(__file__).parent / "data" / "paloalto"


def _parse(tmp_path: Path, name: str, ctx: ParseContext | None = None, folder: str = "case"):
    """Copy a sample into <tmp>/<folder>/ and parse it (folder name = fallback host)."""
    target = tmp_path / folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / name, target)
    return paloalto.parse(Source(target, name, root=tmp_path), ctx or ParseContext())


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _expected(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CONNECTION)


BASE = {
    "vendor": "paloalto",
    "log_type": "traffic",
    "direction": "unknown",
    "vsys": "vsys1",
    "repeat_count": 1,
}


def test_10x_traffic_with_destination_nat(tmp_path: Path) -> None:
    result = _parse(tmp_path, "traffic_10x_nat.log")
    expected = _expected(
        [
            {
                **BASE,
                # Start Time 09:14:50 at the record's own offset (-05:00), + 12 s elapsed.
                "ts": _utc(2026, 12, 4, 14, 14, 50),
                "ts_end": _utc(2026, 12, 4, 14, 15, 2),
                "device": "PA-EDGE-01",
                "action": "allow",
                "protocol": "tcp",
                "src_ip": "203.0.113.45",
                "src_port": 51234,
                "dst_ip": "198.51.100.10",
                "dst_port": 9999,
                "nat_src_ip": None,  # 0.0.0.0 / 0 = no source NAT
                "nat_src_port": None,
                "nat_dst_ip": "10.1.1.20",
                "nat_dst_port": 8443,
                "rule": "NAT-IN-9999",
                "rule_id": "5b1e5d8a-4c3f-4e2a-9b7d-0f1e2d3c4b5a",
                "rule_uuid": "5b1e5d8a-4c3f-4e2a-9b7d-0f1e2d3c4b5a",
                "bytes_out": 1200,
                "bytes_in": 4030,
                "packets": 18,
                "duration_s": 12.0,
                "session_id": "884211",
                "src_zone": "untrust",
                "dst_zone": "trust",
                "src_intf": "ethernet1/1",
                "dst_intf": "ethernet1/2",
                "app": "ssl",
                "end_reason": "tcp-fin",
                "src_file": "traffic_10x_nat.log",
                "src_line": 1,
            }
        ]
    )
    assert_frame_equal(result.connections, expected)
    assert (result.units, result.records, result.non_records, result.rejected) == (1, 1, 0, 0)
    assert result.warnings == []
    assert result.stats["tz_source"] == {"record": 1}


def test_direction_from_untrusted_zones(tmp_path: Path) -> None:
    cfg = config_from_dict({"devices": {"PA-EDGE-01": {"untrusted_zones": ["untrust"]}}})
    result = _parse(tmp_path, "traffic_10x_nat.log", ParseContext(config=cfg))
    assert result.connections.get_column("direction").to_list() == ["inbound"]


def test_81_layout_uses_configured_zone(tmp_path: Path) -> None:
    ctx = ParseContext(device_tz={"PA-220": "America/New_York"})
    result = _parse(tmp_path, "traffic_81.log", ctx)
    expected = _expected(
        [
            {
                **BASE,
                "ts": _utc(2026, 12, 4, 14, 20, 5),  # EST = UTC-5
                "ts_end": _utc(2026, 12, 4, 14, 20, 11),
                "device": "PA-220",
                "action": "reset",  # reset-both
                "protocol": "tcp",
                "src_ip": "10.1.1.20",
                "src_port": 50100,
                "dst_ip": "192.0.2.77",
                "dst_port": 80,
                "nat_src_ip": "198.51.100.2",
                "nat_src_port": 40001,
                "rule": "allow-out-web",
                "bytes_out": 640,
                "bytes_in": 0,
                "packets": 3,
                "duration_s": 6.0,
                "session_id": "12001",
                "src_zone": "trust",
                "dst_zone": "untrust",
                "src_intf": "ethernet1/2",
                "dst_intf": "ethernet1/1",
                "app": "web-browsing",
                "user": "corp\\alice",
                "end_reason": "policy-deny",
                "src_file": "traffic_81.log",
                "src_line": 1,
            }
        ]
    )
    assert_frame_equal(result.connections, expected)
    assert result.warnings == []


def test_81_layout_without_zone_warns_naming_device(tmp_path: Path) -> None:
    result = _parse(tmp_path, "traffic_81.log")
    assert result.connections.get_column("ts").to_list() == [_utc(2026, 12, 4, 9, 20, 5)]
    assert result.warnings == [
        "device PA-220: no time zone known, times taken as UTC "
        "(give --tz PA-220=ZONE or a timezone in the site config)"
    ]


def test_111_extra_trailing_fields_ipv6_and_drop_icmp(tmp_path: Path) -> None:
    result = _parse(tmp_path, "traffic_111_extra.log")
    expected = _expected(
        [
            {
                **BASE,
                "ts": _utc(2026, 12, 4, 9, 0, 0),  # 10:00:00 at +01:00
                "ts_end": _utc(2026, 12, 4, 9, 0, 0),
                "device": "PA-3410-FRA",
                "action": "drop",  # "drop ICMP"
                "protocol": "ipv6-icmp",
                "src_ip": "2001:db8::5",
                "src_port": 443,
                "dst_ip": "192.0.2.80",  # IPv4-mapped IPv6 written as IPv4
                "dst_port": 61000,
                "nat_src_ip": None,  # "::"
                "rule": "allow-v6",
                "rule_id": "5b1e5d8a-4c3f-4e2a-9b7d-0f1e2d3c4b5a",
                "rule_uuid": "5b1e5d8a-4c3f-4e2a-9b7d-0f1e2d3c4b5a",
                "bytes_out": 0,
                "bytes_in": 0,
                "packets": 1,
                "duration_s": 0.0,
                "session_id": "884211",
                "src_zone": "dmz",
                "dst_zone": "untrust",
                "src_intf": "ethernet1/1",
                "dst_intf": "ethernet1/2",
                "app": "ssl",
                "end_reason": "policy-deny",
                "src_file": "traffic_111_extra.log",
                "src_line": 1,
            }
        ]
    )
    assert_frame_equal(result.connections, expected)


def test_ietf_header_offset_and_relay_prefix_not_trusted(tmp_path: Path) -> None:
    result = _parse(tmp_path, "traffic_headers.log")
    got = result.connections.select("device", "ts", "rule_uuid", "src_line")
    expected = pl.DataFrame(
        {
            "device": ["fw-1", "fw-2"],
            # fw-1: RFC 5424 header written by the device at -08:00 -> its local time + 8 h.
            # fw-2: only a relay's RFC 3339 prefix (the relay's clock) -> UTC with a warning.
            "ts": [_utc(2026, 12, 5, 7, 59, 58), _utc(2026, 12, 4, 23, 59, 58)],
            "rule_uuid": ["0d6c0a0b-1111-4222-8333-944445555666", None],
            "src_line": [1, 2],
        },
        schema={
            "device": pl.String,
            "ts": CONNECTION["ts"],
            "rule_uuid": pl.String,
            "src_line": pl.Int64,
        },
    )
    assert_frame_equal(got, expected)
    assert result.stats["tz_source"] == {"header": 1, "utc": 1}
    assert [w.split(":")[0] for w in result.warnings] == ["device fw-2"]


def test_config_zone_beats_ietf_header_but_not_record_offset(tmp_path: Path) -> None:
    ctx = ParseContext(device_tz={"fw-1": "UTC", "PA-EDGE-01": "Asia/Tokyo"})
    headers = _parse(tmp_path, "traffic_headers.log", ctx)
    assert headers.connections.get_column("ts").to_list()[0] == _utc(2026, 12, 4, 23, 59, 58)
    nat = _parse(tmp_path, "traffic_10x_nat.log", ctx)
    assert nat.connections.get_column("ts").to_list() == [_utc(2026, 12, 4, 14, 14, 50)]


def test_device_from_serial_then_header_then_folder(tmp_path: Path) -> None:
    line = (
        (DATA / "traffic_10x_nat.log")
        .read_text()
        .replace(",PA-EDGE-01,from-policy", ",,from-policy")
    )
    (tmp_path / "PA-FOLDER").mkdir()
    bsd = tmp_path / "PA-FOLDER" / "a.log"
    bsd.write_text(line)
    bare = tmp_path / "PA-FOLDER" / "b.log"
    bare.write_text(line.split(" ", 4)[-1])
    cfg = config_from_dict({"devices": {"EDGE-BY-SERIAL": {"serial": "013201009876"}}})

    def dev(path: Path, ctx: ParseContext) -> str:
        res = paloalto.parse(Source(path, path.name, root=tmp_path), ctx)
        return res.connections.get_column("device").item()

    assert dev(bsd, ParseContext(config=cfg)) == "EDGE-BY-SERIAL"
    assert dev(bsd, ParseContext()) == "PA-EDGE-01"  # syslog header host
    assert dev(bare, ParseContext()) == "PA-FOLDER"  # folder the file sits in


def test_web_export_by_header_names(tmp_path: Path) -> None:
    result = _parse(tmp_path, "web_export_traffic.csv")
    got = result.connections.select(
        "src_line", "device", "rule", "user", "src_ip", "nat_dst_ip", "nat_dst_port",
        "nat_src_ip", "bytes_out", "action", "rule_uuid",
    )  # fmt: skip
    expected = pl.DataFrame(
        {
            "src_line": [2, 3],
            "device": ["PA-EDGE-01", "PA-220"],
            "rule": ['Allow "legacy", temp', "allow-out-web"],
            "user": ["corp\\bob", "corp\\alice"],
            "src_ip": ["203.0.113.45", "10.1.1.20"],
            "nat_dst_ip": ["10.1.1.20", None],
            "nat_dst_port": [8443, None],
            "nat_src_ip": [None, "198.51.100.2"],
            "bytes_out": [1200, 640],
            "action": ["allow", "reset"],
            "rule_uuid": ["5b1e5d8a-4c3f-4e2a-9b7d-0f1e2d3c4b5a", None],
        },
        schema_overrides={"nat_dst_port": pl.Int32},
    )
    assert_frame_equal(got, expected)
    assert (result.units, result.records, result.non_records, result.rejected) == (3, 2, 1, 0)


def test_web_export_internal_names_and_reordered_columns(tmp_path: Path) -> None:
    header = "receive_time,serial,type,src,dst,natdst,natdport,sport,dport,proto,action,rule,time_generated,start,elapsed,bytes_sent,bytes_received,device_name"
    row = '2026/12/04 09:00:01,013201009876,TRAFFIC,192.0.2.10,198.51.100.10,10.1.1.20,8443,50000,9999,tcp,allow,"NAT, in",2026/12/04 09:00:01,2026/12/04 09:00:00,1,10,20,PA-X'
    path = tmp_path / "export.csv"
    path.write_text(header + "\n" + row + "\n")
    result = paloalto.parse(Source(path, "export.csv"), ParseContext())
    got = result.connections.select(
        "ts", "device", "rule", "nat_dst_ip", "nat_dst_port", "bytes_out", "bytes_in"
    )
    expected = pl.DataFrame(
        {
            "ts": [_utc(2026, 12, 4, 9, 0, 0)],
            "device": ["PA-X"],
            "rule": ["NAT, in"],
            "nat_dst_ip": ["10.1.1.20"],
            "nat_dst_port": [8443],
            "bytes_out": [10],
            "bytes_in": [20],
        },
        schema_overrides={"ts": CONNECTION["ts"], "nat_dst_port": pl.Int32},
    )
    assert_frame_equal(got, expected)


def test_header_with_commas_is_realigned(tmp_path: Path) -> None:
    line = (DATA / "traffic_10x_nat.log").read_text()
    path = tmp_path / "odd.log"
    path.write_text(line.replace("PA-EDGE-01 1,", "relay01 [tag=a,b] 1,", 1))
    result = paloalto.parse(Source(path, "odd.log"), ParseContext())
    assert result.connections.select("src_ip", "rule", "nat_dst_port").row(0) == (
        "203.0.113.45",
        "NAT-IN-9999",
        8443,
    )
    assert (result.records, result.rejected) == (1, 0)


def test_brace_wrapped_field_and_whitespace_only_columns(tmp_path: Path) -> None:
    fields = (DATA / "traffic_10x_nat.log").read_text().rstrip("\n").split(",")
    fields[69] = "{link1,tag1,ethernet1/3,2026/12/04 09:15:00,100,200}"  # link switches
    fields[54] = " "  # whitespace-only column
    fields[11] = " NAT-IN-9999 "
    path = tmp_path / "brace.log"
    path.write_text(",".join(fields) + "\n")
    result = paloalto.parse(Source(path, "brace.log"), ParseContext())
    got = result.connections.select("rule", "rule_uuid", "ts").row(0)
    assert got == (
        "NAT-IN-9999",
        "5b1e5d8a-4c3f-4e2a-9b7d-0f1e2d3c4b5a",
        _utc(2026, 12, 4, 14, 14, 50),
    )


def test_threat_and_system_are_counted(tmp_path: Path) -> None:
    traffic = (DATA / "traffic_10x_nat.log").read_text().rstrip("\n").split(",")
    threat = [*traffic[:3], "THREAT", "vulnerability", *traffic[5:31]]
    threat += ['"evil.example/x,y"', "Test Threat(30001)", "any", "critical", "client-to-server"]
    system = '1,2026/12/04 09:16:00,013201009876,SYSTEM,general,2561,2026/12/04 09:16:00,,general,,0,0,general,informational,"User admin logged in via Web from 192.0.2.50",1,0x0'
    path = tmp_path / "mixed.log"
    path.write_text("\n".join([",".join(traffic), ",".join(threat), system]) + "\n")
    result = paloalto.parse(Source(path, "mixed.log"), ParseContext())
    assert result.stats["by_type"] == {"SYSTEM": 1, "THREAT": 1, "TRAFFIC": 1}
    assert result.connections.get_column("log_type").to_list() == ["traffic", "threat"]
    assert (result.units, result.records, result.rejected) == (3, 3, 0)


def test_schemas(tmp_path: Path) -> None:
    for name in (
        "traffic_10x_nat.log",
        "web_export_traffic.csv",
        "bad_mix.log",
        "config_layouts.log",
    ):
        result = _parse(tmp_path, name)
        assert result.connections.collect_schema() == CONNECTION
        assert result.rule_changes.collect_schema() == RULE_CHANGE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("allow", "allow"),
        ("deny", "deny"),
        ("drop", "drop"),
        ("drop ICMP", "drop"),
        ("drop-icmp", "drop"),
        ("reset-both", "reset"),
        ("reset client", "reset"),
        ("Reset_Server", "reset"),
        ("block-url", "deny"),
        ("sinkhole", "other"),
    ],
)
def test_action_spellings(raw: str, expected: str) -> None:
    from parsers.paloalto_traffic import normalise_action

    assert normalise_action(raw) == expected


def test_sniff(tmp_path: Path) -> None:
    other = tmp_path / "other.log"
    other.write_text("date=2026-12-04 time=09:00:00 devname=FGT logid=0000000013 type=traffic\n")
    assert paloalto.sniff(Source(DATA / "traffic_headers.log", "h"))
    assert paloalto.sniff(Source(DATA / "web_export_traffic.csv", "w"))
    assert not paloalto.sniff(Source(other, "other.log"))


def test_dst_gap_local_time_is_rejected_with_reason(tmp_path: Path) -> None:
    line = (DATA / "traffic_81.log").read_text()
    path = tmp_path / "dst.log"
    path.write_text(line.replace("2026/12/04 09:20:05", "2026/03/08 02:30:00"))
    ctx = ParseContext(device_tz={"PA-220": "America/New_York"})
    result = paloalto.parse(Source(path, "dst.log"), ctx)
    assert result.rejects.select("line", "reason").rows() == [
        (1, "local time does not exist in the device zone (DST gap): 2026/03/08 02:30:00")
    ]


def test_web_export_position_fallback_for_unknown_header_names(tmp_path: Path) -> None:
    text = (DATA / "web_export_traffic.csv").read_text()
    header, rest = text.split("\n", 1)
    # A release that renames some columns: matched by their syslog position instead.
    header = header.replace('"Rule UUID"', '"Policy UUID"').replace('"Bytes Sent"', '"Sent"')
    path = tmp_path / "export2.csv"
    path.write_text(header + "\n" + rest)
    result = paloalto.parse(Source(path, "export2.csv"), ParseContext())
    assert result.connections.select("rule_uuid", "bytes_out").rows() == [
        ("5b1e5d8a-4c3f-4e2a-9b7d-0f1e2d3c4b5a", 1200),
        (None, 640),
    ]


def test_web_export_config(tmp_path: Path) -> None:
    path = tmp_path / "config_export.csv"
    path.write_text(
        "Receive Time,Serial #,Type,Host,Command,Admin,Client,Result,Configuration Path,"
        "Before Change Detail,After Change Detail,Generate Time,Device Name\n"
        "2026/12/04 10:01:12,013201009876,CONFIG,192.0.2.50,delete,mallory,Web,Succeeded,"
        '" vsys  vsys1 rulebase security rules  allow-9999","allow-9999 { action allow; }",,'
        "2026/12/04 10:01:12,PA-EDGE-01\n"
    )
    result = paloalto.parse(Source(path, "config_export.csv"), ParseContext())
    got = result.rule_changes.select(
        "ts", "device", "operation", "object_type", "object_name", "before", "attributes"
    ).row(0)
    assert got == (
        _utc(2026, 12, 4, 10, 1, 12),
        "PA-EDGE-01",
        "delete",
        "security_rule",
        "allow-9999",
        "allow-9999 { action allow; }",
        [{"name": "action", "old": "allow", "new": None}],
    )


def test_fast_path_mixed_types_get_their_own_columns(tmp_path: Path) -> None:
    traffic = (DATA / "traffic_10x_nat.log").read_text().rstrip("\n")
    config = (DATA / "config_layouts.log").read_text().splitlines()[0]  # default layout, unquoted
    fields = traffic.split(",")
    threat = [*fields[:3], "THREAT", "url", *fields[5:31], "evil.example/x", "(9999)", "any"]
    threat += ["informational", "client-to-server", *["0"] * 23, "PA-THREAT-DEV"]
    assert len(threat) == 60  # device name is field 59 in THREAT
    path = tmp_path / "mixed_fast.log"
    path.write_text("\n".join([traffic, ",".join(threat), config]) + "\n")
    result = paloalto.parse(Source(path, "mixed_fast.log"), ParseContext())
    assert result.stats["fast_path"] is True
    assert result.connections.select("log_type", "device").rows() == [
        ("traffic", "PA-EDGE-01"),
        ("threat", "PA-THREAT-DEV"),
    ]
    assert result.rule_changes.select("object_name", "src_line").rows() == [("NAT-IN-9999", 3)]
    assert (result.units, result.records, result.rejected) == (3, 3, 0)


def test_offset_change_after_the_sampled_head_is_honoured(tmp_path: Path) -> None:
    """A DST change after the first 1000 rows: those rows still use their own offset."""
    line = (DATA / "traffic_10x_nat.log").read_text()
    later = line.replace(".412-05:00", ".412-04:00")
    path = tmp_path / "dst_change.log"
    path.write_text(line * 1000 + later)
    result = paloalto.parse(Source(path, "dst_change.log"), ParseContext())
    ts = result.connections.get_column("ts")
    assert ts.len() == 1001
    assert ts[0] == _utc(2026, 12, 4, 14, 14, 50)
    assert ts[1000] == _utc(2026, 12, 4, 13, 14, 50)


def test_padded_and_cased_action_and_protocol_in_the_same_file(tmp_path: Path) -> None:
    """Per-file spellings: padded, upper-case and hyphen/space variants all normalise."""
    base = (DATA / "traffic_10x_nat.log").read_text().rstrip("\n").split(",")
    lines = []
    for action, proto in ((" reset-both ", "TCP"), ("drop ICMP", "icmp"), ("allow", " udp ")):
        fields = list(base)
        fields[30], fields[29] = action, proto
        lines.append(",".join(fields))
    path = tmp_path / "spellings.log"
    path.write_text("\n".join(lines) + "\n")
    result = paloalto.parse(Source(path, path.name), ParseContext())
    got = result.connections.select("action", "protocol").rows()
    assert got == [("reset", "tcp"), ("drop", "icmp"), ("allow", "udp")]
    assert result.rejected == 0


def test_threat_and_config_past_the_head_are_re_split(tmp_path: Path) -> None:
    """The fast read takes only TRAFFIC columns when the first 64 KiB hold only TRAFFIC; rows
    of other mapped types further down get their own columns from a second split."""
    traffic = (DATA / "traffic_10x_nat.log").read_text().rstrip("\n")
    config = (DATA / "config_layouts.log").read_text().splitlines()[0]
    fields = traffic.split(",")
    threat = [*fields[:3], "THREAT", "url", *fields[5:31], "evil.example/x", "(9999)", "any"]
    threat += ["informational", "client-to-server", *["0"] * 23, "PA-THREAT-DEV"]
    n = 65536 // len(traffic) + 5
    path = tmp_path / "late_types.log"
    path.write_text("\n".join([traffic] * n + [",".join(threat), config, traffic]) + "\n")
    result = paloalto.parse(Source(path, path.name), ParseContext())
    assert result.stats["fast_path"] is True
    conns = result.connections
    assert conns.filter(pl.col("log_type") == "threat").select("device", "src_line").rows() == [
        ("PA-THREAT-DEV", n + 1)
    ]
    traffic_lines = conns.filter(pl.col("log_type") == "traffic").get_column("src_line")
    assert traffic_lines.to_list() == [*range(1, n + 1), n + 3]
    assert result.rule_changes.select("object_name", "src_line").rows() == [("NAT-IN-9999", n + 2)]
    assert (result.units, result.records, result.rejected) == (n + 3, n + 3, 0)
