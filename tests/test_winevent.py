"""Firewall-channel, Security MPSSVC and WFP events -> RULE_CHANGE / CONNECTION rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from fwcorr.schema import CONNECTION, RULE_CHANGE
from parsers import pfirewall, windows, winevent
from tests.conftest import corpus_file

DATA = Path(__file__).parent / "data" / "windows"
USER = "S-1-5-21-1004336348-1177238915-682003330-1104"
NETSH = r"C:\Windows\System32\netsh.exe"
SVCHOST = r"C:\Windows\System32\svchost.exe"
RID1 = "{6A1E1B4C-3C0D-4E42-9B1F-2B7D0E4C9A11}"
RID2 = "{0B9F5E2A-7D41-4C6E-8A3B-51C2D7E8F902}"
RID3 = "{C3D4E5F6-1A2B-4C3D-8E9F-0A1B2C3D4E5F}"
CHANGE_COLS = (
    "ts",
    "vendor",
    "device",
    "admin",
    "client",
    "operation",
    "command",
    "object_type",
    "object_name",
    "result",
    "record_id",
)


def parse(name: str) -> windows.ParseResult:  # type: ignore[name-defined]
    path = DATA / name
    return windows.parse(Source(path=path, display=name), ParseContext())


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def attrs(**pairs: str) -> list[dict[str, str | None]]:
    return [{"name": k, "old": None, "new": v} for k, v in pairs.items()]


EXPECTED_CHANGES = [
    (utc(2026, 3, 14, 9, 12, 1, 483921), "add", "2004", "Allow 9999 In", 1201),
    (utc(2026, 3, 14, 9, 13, 15, 100000), "modify", "2005", "Allow 9999 In", 1202),
    (utc(2026, 3, 14, 9, 20), "delete", "2006", "Allow 9999 In", 1203),
    (utc(2026, 3, 15, 10, 0, 0, 250000), "add", "2071", "SQL relay", 1301),
    (utc(2026, 3, 15, 10, 5), "modify", "2073", "SQL relay", 1302),
    (utc(2026, 3, 15, 10, 30), "delete", "2052", "SQL relay", 1303),
    (utc(2026, 3, 16, 11, 0), "add", "2097", "ICMP any", 1401),
    (utc(2026, 3, 16, 11, 1), "modify", "2099", "ICMP any", 1402),
]
EXPECTED_ATTRIBUTES = [
    attrs(
        RuleId=RID1,
        Action="allow",
        Direction="inbound",
        Protocol="tcp",
        LocalPorts="9999",
        RemotePorts="*",
        LocalAddresses="*",
        RemoteAddresses="203.0.113.0/24",
        Profiles="all",
        Origin="local",
        Active="enabled",
        EdgeTraversal="0",
    ),
    attrs(
        RuleId=RID1,
        Action="allow",
        Direction="inbound",
        Protocol="tcp",
        LocalPorts="9999,50100",
        RemotePorts="*",
        LocalAddresses="*",
        RemoteAddresses="*",
        Profiles="domain,private,public",
        Origin="local",
        Active="enabled",
        EdgeTraversal="0",
    ),
    attrs(RuleId=RID1),
    attrs(
        RuleId=RID2,
        Action="allow",
        Direction="inbound",
        Protocol="tcp",
        LocalPorts="50100",
        RemotePorts="*",
        LocalAddresses="10.1.1.20",
        RemoteAddresses="*",
        ApplicationPath=SVCHOST,
        Profiles="public",
        Origin="local",
        Active="enabled",
        EdgeTraversal="0",
    ),
    attrs(
        RuleId=RID2,
        Action="block",
        Direction="outbound",
        Protocol="udp",
        LocalPorts="50100",
        RemotePorts="1433",
        LocalAddresses="10.1.1.20",
        RemoteAddresses="10.1.2.0/24",
        ApplicationPath=SVCHOST,
        Profiles="domain",
        Origin="local",
        Active="enabled",
        EdgeTraversal="0",
    ),
    attrs(RuleId=RID2),
    attrs(
        RuleId=RID3,
        Action="allow",
        Direction="inbound",
        Protocol="any",
        LocalPorts="*",
        RemotePorts="*",
        LocalAddresses="*",
        RemoteAddresses="*",
        Profiles="private,public",
        Origin="group_policy",
        Active="enabled",
        EdgeTraversal="0",
    ),
    attrs(
        RuleId=RID3,
        Action="block",
        Direction="inbound",
        Protocol="icmp",
        LocalPorts="*",
        RemotePorts="*",
        LocalAddresses="*",
        RemoteAddresses="*",
        Profiles="private,public",
        Origin="group_policy",
        Active="enabled",
        EdgeTraversal="0",
    ),
]


def expected_changes() -> pl.DataFrame:
    common = ("windows", "WEB01.corp.example", USER, NETSH)
    rows = [
        (ts, *common, op, cmd, "host_firewall_rule", name, "success", rid)
        for ts, op, cmd, name, rid in EXPECTED_CHANGES
    ]
    return pl.DataFrame(rows, schema={c: RULE_CHANGE[c] for c in CHANGE_COLS}, orient="row")


@pytest.mark.parametrize(
    ("name", "container", "lines"),
    [
        ("firewall_rules.xml", "event_xml", [3, 49, 95, 119, 166, 213, 238, 286]),
        ("firewall_rules_ecs.ndjson", "ecs_json", [1, 2, 3, 4, 5, 6, 7, 8]),
        # PowerShell 7: Get-WinEvent | ConvertTo-Json (positional Properties, local-offset times)
        ("firewall_rules_winevent.json", "winevent_json", [2, 111, 220, 263, 375, 487, 533, 648]),
    ],
)
def test_firewall_rule_events(name: str, container: str, lines: list[int]) -> None:
    result = parse(name)
    assert result.format == container
    assert (result.units, result.records, result.rejected) == (8, 8, 0)
    assert result.rule_changes.collect_schema() == RULE_CHANGE
    assert result.connections.height == 0
    assert_frame_equal(result.rule_changes.select(CHANGE_COLS), expected_changes())
    assert result.rule_changes["attributes"].to_list() == EXPECTED_ATTRIBUTES
    assert result.rule_changes["src_line"].to_list() == lines
    assert result.rule_changes["src_file"].unique().to_list() == [name]
    after = result.rule_changes["after"].to_list()
    assert after[2] is None  # deletes carry no "after" state
    assert after[0].startswith('{"RuleId": "' + RID1 + '", "Action": "allow", "Direction"')
    assert (
        '"ModifyingApplication": "C:\\\\Windows\\\\System32\\\\netsh.exe"'
        in (result.rule_changes["raw"][0])
    )


def test_security_log_rule_changes_and_wfp_connections() -> None:
    result = parse("security_wfp.xml")
    assert (result.format, result.units, result.records, result.rejected) == (
        "event_xml",
        11,
        11,
        0,
    )
    assert result.stats["by_event_id"] == {
        "4946": 1,
        "4947": 1,
        "4948": 1,
        "4950": 1,
        "4954": 1,
        "5156": 3,
        "5157": 2,
        "5158": 1,
    }
    assert result.stats["counted_only"] == {"4954": 1}
    assert result.connections.collect_schema() == CONNECTION
    cols = (
        "ts",
        "action",
        "protocol",
        "src_ip",
        "src_port",
        "dst_ip",
        "dst_port",
        "direction",
        "rule_id",
        "process",
        "pid",
        "log_type",
        "device",
        "src_line",
        "record_id",
    )
    svc = r"\device\harddiskvolume2\windows\system32\svchost.exe"
    updater = r"\device\harddiskvolume2\users\public\updater.exe"
    dev = "WEB01.corp.example"
    assert_frame_equal(
        result.connections.select(cols),
        pl.DataFrame(
            [
                (utc(2026, 3, 14, 9, 15, 3, 100000), "allow", "tcp", "203.0.113.45", 61001, "10.1.1.20", 9999, "inbound", "70322", svc, 2216, "wfp", dev, 3, 50110),
                (utc(2026, 3, 14, 9, 15, 3, 110000), "allow", "tcp", "10.1.1.20", 50433, "10.1.2.30", 8443, "outbound", "70345", svc, 2216, "wfp", dev, 4, 50111),
                (utc(2026, 3, 14, 9, 15, 4), "deny", "tcp", "203.0.113.46", 61002, "10.1.1.20", 3389, "inbound", "68193", "System", 4, "wfp", dev, 5, 50112),
                (utc(2026, 3, 14, 9, 15, 5), "deny", "udp", "10.1.1.20", 55001, "198.51.100.53", 53, "outbound", "68201", updater, 1844, "wfp", dev, 6, 50113),
                (utc(2026, 3, 14, 9, 15, 6), "allow", "tcp", "10.1.1.20", 50434, "2001:db8::30", 443, "outbound", "70345", svc, 2216, "wfp", dev, 7, 50114),
            ],
            schema={c: CONNECTION[c] for c in cols},
            orient="row",
        ),
    )  # fmt: skip
    changes = result.rule_changes.select(
        "ts", "operation", "command", "object_type", "object_name", "admin", "attributes"
    )
    assert changes.rows() == [
        (
            utc(2026, 3, 14, 9, 12, 1, 601234),
            "add",
            "4946",
            "host_firewall_rule",
            "Allow 9999 In",
            None,
            attrs(RuleId=RID1, ProfileChanged="All"),
        ),
        (
            utc(2026, 3, 14, 9, 13, 15, 200000),
            "modify",
            "4947",
            "host_firewall_rule",
            "Allow 9999 In",
            None,
            attrs(RuleId=RID1, ProfileChanged="Domain,Private,Public"),
        ),
        (
            utc(2026, 3, 14, 9, 20, 0, 100000),
            "delete",
            "4948",
            "host_firewall_rule",
            "Allow 9999 In",
            None,
            attrs(RuleId=RID1, ProfileChanged="All"),
        ),
        (
            utc(2026, 3, 14, 9, 21),
            "modify",
            "4950",
            "other",
            "Enable Windows Defender Firewall",
            None,
            attrs(
                ProfileChanged="Public",
                SettingType="Enable Windows Defender Firewall",
                SettingValue="No",
            ),
        ),
    ]


SETTINGS_XML = """<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>
<Provider Name="Microsoft-Windows-Windows Firewall With Advanced Security" />
<EventID>2033</EventID><TimeCreated SystemTime="2026-03-17T01:00:00.0000000Z" />
<EventRecordID>1500</EventRecordID>
<Channel>Microsoft-Windows-Windows Firewall With Advanced Security/Firewall</Channel>
<Computer>WS07</Computer><Security UserID="S-1-5-19" /></System>
<EventData><Data Name="ModifyingUser">S-1-5-18</Data>
<Data Name="ModifyingApplication">C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe</Data>
</EventData></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>
<Provider Name="Microsoft-Windows-Windows Firewall With Advanced Security" />
<EventID>2003</EventID><TimeCreated SystemTime="2026-03-17T01:00:01.0000000Z" />
<EventRecordID>1501</EventRecordID>
<Channel>Microsoft-Windows-Windows Firewall With Advanced Security/Firewall</Channel>
<Computer>WS07</Computer><Security UserID="S-1-5-19" /></System>
<EventData><Data Name="Profiles">4</Data><Data Name="SettingType">1</Data>
<Data Name="SettingValueSize">4</Data><Data Name="SettingValue">0</Data>
<Data Name="SettingValueDisplay">No</Data><Data Name="Origin">1</Data>
<Data Name="ModifyingUser">S-1-5-21-1004336348-1177238915-682003330-500</Data>
<Data Name="ModifyingApplication">C:\\Windows\\System32\\netsh.exe</Data></EventData></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>
<Provider Name="Microsoft-Windows-Windows Firewall With Advanced Security" />
<EventID>2008</EventID><TimeCreated SystemTime="2026-03-17T01:05:00.0000000Z" />
<EventRecordID>1502</EventRecordID>
<Channel>Microsoft-Windows-Windows Firewall With Advanced Security/Firewall</Channel>
<Computer>WS07</Computer><Security UserID="S-1-5-19" /></System><EventData /></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>
<Provider Name="Microsoft-Windows-Windows Firewall With Advanced Security" />
<EventID>2011</EventID><TimeCreated SystemTime="2026-03-17T01:06:00.0000000Z" />
<EventRecordID>1503</EventRecordID>
<Channel>Microsoft-Windows-Windows Firewall With Advanced Security/Firewall</Channel>
<Computer>WS07</Computer></System><EventData /></Event>
</Events>
"""


def test_all_rules_deleted_settings_and_group_policy(tmp_path: Path) -> None:
    path = tmp_path / "fw.xml"
    path.write_text(SETTINGS_XML)
    result = windows.parse(Source(path=path, display="fw.xml"), ParseContext())
    assert (result.units, result.records, result.rejected) == (4, 4, 0)
    assert result.stats["by_event_id"] == {"2003": 1, "2008": 1, "2011": 1, "2033": 1}
    rows = result.rule_changes.select(
        "operation", "object_type", "object_name", "admin", "attributes"
    ).rows()
    assert rows == [
        ("delete", "host_firewall_rule", "(all rules)", "S-1-5-18", []),
        (
            "modify",
            "other",
            "1",
            "S-1-5-21-1004336348-1177238915-682003330-500",
            attrs(
                Profiles="public",
                SettingType="1",
                SettingValue="0",
                SettingValueDisplay="No",
                Origin="local",
            ),
        ),
        ("modify", "other", "group_policy", None, []),
    ]


def test_rdp_tunnel_corpus_wfp_connections() -> None:
    path = corpus_file("evtx", "DE_RDP_Tunnel_5156.evtx")
    result = windows.parse(Source(path=path, display=path.name), ParseContext())
    assert (result.format, result.unit_kind, result.units, result.records) == (
        "evtx",
        "events",
        101,
        101,
    )
    assert result.stats["by_event_id"] == {
        "1102": 1,
        "4624": 5,
        "4648": 3,
        "4672": 3,
        "4688": 17,
        "5156": 63,
        "5158": 9,
    }
    conns = result.connections
    assert conns.height == 63
    assert conns.group_by("direction", "protocol").len().sort("direction", "protocol").rows() == [
        ("inbound", "tcp", 3),
        ("inbound", "udp", 24),
        ("outbound", "tcp", 22),
        ("outbound", "udp", 14),
    ]
    tunnel = conns.filter(pl.col("dst_port") == 3389).select(
        "ts", "src_ip", "src_port", "dst_ip", "direction", "process", "pid", "src_line", "record_id"
    )
    plink = r"\device\harddiskvolume1\users\user01\desktop\plink.exe"
    # Both sides of each loopback hop read client -> server once the inbound event is swapped.
    assert tunnel.rows() == [
        (utc(2019, 2, 13, 18, 4, 1, 632120), "127.0.0.1", 49271, "127.0.0.2", "outbound", plink, 3324, 25, 227727),
        (utc(2019, 2, 13, 18, 4, 1, 632120), "127.0.0.1", 49271, "127.0.0.2", "inbound", "System", 4, 26, 227728),
        (utc(2019, 2, 13, 18, 4, 45, 905783), "127.0.0.1", 49274, "127.0.0.2", "outbound", plink, 3324, 37, 227741),
        (utc(2019, 2, 13, 18, 4, 45, 905783), "127.0.0.1", 49274, "127.0.0.2", "inbound", "System", 4, 38, 227742),
    ]  # fmt: skip
    assert conns["device"].unique().to_list() == ["PC01.example.corp"]


def test_decode_tables() -> None:
    assert winevent.decode("Profiles", "2147483647") == "all"
    assert winevent.decode("Profiles", "3") == "domain,private"
    assert winevent.decode("Protocol", "256") == "any"
    assert winevent.decode("Protocol", "58") == "ipv6-icmp"
    assert winevent.decode("Action", "2") == "block"
    assert winevent.decode("Direction", "%%14593") == "outbound"
    assert winevent.decode("Origin", "2") == "group_policy"


def test_events_without_a_computer_take_the_host_from_the_folder(tmp_path: Path) -> None:
    line = (
        '{"Id": 5156, "TimeCreated": "/Date(1773479703000)/", "RecordId": 9, '
        '"ProviderName": "Microsoft-Windows-Security-Auditing", "LogName": "Security", '
        '"Properties": [{"Value": 4}, {"Value": "System"}, {"Value": "%%14592"}, '
        '{"Value": "10.1.1.20"}, {"Value": "445"}, {"Value": "198.51.100.7"}, {"Value": "50122"}, '
        '{"Value": 6}, {"Value": 72}, {"Value": "%%14610"}, {"Value": 44}, '
        '{"Value": "S-1-0-0"}, {"Value": "S-1-0-0"}]}\n'
    )
    folder = tmp_path / "FS03"
    folder.mkdir()
    (folder / "wfp.json").write_text(line)
    source = Source(path=folder / "wfp.json", display="FS03/wfp.json", root=tmp_path)
    result = windows.parse(source, ParseContext())
    assert result.format == "winevent_json"
    assert result.connections.select(
        "ts", "device", "src_ip", "src_port", "dst_ip", "dst_port", "direction", "protocol"
    ).rows() == [
        (
            utc(2026, 3, 14, 9, 15, 3),
            "FS03",
            "198.51.100.7",
            50122,
            "10.1.1.20",
            445,
            "inbound",
            "tcp",
        )
    ]
    assert (result.stats["host"], result.stats["host_source"]) == ("FS03", "folder")


def test_every_mapped_column_exists_in_the_schema() -> None:
    """conform() drops unknown columns silently: a misspelt mapping name must fail here."""
    assert set(winevent._CONN_IN) <= set(CONNECTION)
    assert set(winevent._CHANGE_IN) <= set(RULE_CHANGE)
    assert {k: v for k, v in winevent._CHANGE_IN.items() if k == "attributes"} == {
        "attributes": RULE_CHANGE["attributes"]
    }
    flows = pl.LazyFrame(schema={name: pl.String for name in pfirewall.USED}).with_columns(
        pl.lit(None, pl.Datetime("us", "UTC")).alias("ts"),
        pl.lit(None, pl.String).alias("action_raw"),
        pl.lit(None, pl.Int64).alias("line"),
    )
    produced = pfirewall._connections(flows, "H", "f").collect_schema()
    assert set(produced) <= set(CONNECTION)
