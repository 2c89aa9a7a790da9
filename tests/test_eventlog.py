"""The shared Windows event-log reader: every container, bad input, memoisation."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fwcorr.eventlog import EventRecord, parse_time, read_events, short_name, sniff_container
from fwcorr.inputs import Source
from tests.conftest import corpus_file

DATA = Path(__file__).parent / "data" / "windows"
FW = "Microsoft-Windows-Windows Firewall With Advanced Security"
USER = "S-1-5-21-1004336348-1177238915-682003330-1104"


def src(path: Path) -> Source:
    return Source(path=path, display=str(path))


def write(tmp_path: Path, name: str, text: str | bytes) -> Source:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return src(path)


def test_event_xml_export_with_events_wrapper() -> None:
    source = src(DATA / "firewall_rules.xml")
    assert sniff_container(source) == "event_xml"
    result = read_events(source)
    assert result.container == "event_xml"
    assert result.rejects == []
    assert result.units == 8
    assert [r.event_id for r in result.records] == [2004, 2005, 2006, 2071, 2073, 2052, 2097, 2099]
    assert [r.record_id for r in result.records] == [1201, 1202, 1203, 1301, 1302, 1303, 1401, 1402]
    assert [r.ordinal for r in result.records] == list(range(1, 9))
    lines = (DATA / "firewall_rules.xml").read_text().splitlines()
    starts = [n for n, text in enumerate(lines, start=1) if text.startswith("<Event ")]
    assert [r.line for r in result.records] == starts
    first = result.records[0]
    assert first.line == 3
    assert first.provider == FW
    assert first.channel == FW + "/Firewall"
    assert first.computer == "WEB01.corp.example"
    assert first.computer_short == "WEB01"
    assert first.ts == datetime(2026, 3, 14, 9, 12, 1, 483921, tzinfo=UTC)
    assert first.user_sid == "S-1-5-19"
    assert first.data["RuleName"] == "Allow 9999 In"
    assert first.data["ServiceName"] == ""
    assert first.data["ModifyingUser"] == USER
    assert first.data["Profiles"] == "2147483647"
    delete = result.records[2]
    assert delete.data == {
        "RuleId": "{6A1E1B4C-3C0D-4E42-9B1F-2B7D0E4C9A11}",
        "RuleName": "Allow 9999 In",
        "ModifyingUser": USER,
        "ModifyingApplication": r"C:\Windows\System32\netsh.exe",
    }


SYSTEM = (
    '<System><Provider Name="Microsoft-Windows-Security-Auditing" '
    'Guid="{{54849625-5478-4994-A5BA-3E3B0328C30D}}"/><EventID>{eid}</EventID>'
    '<TimeCreated SystemTime="{ts}"/><EventRecordID>{rid}</EventRecordID>'
    "<Channel>Security</Channel><Computer>DB02</Computer><Security/></System>"
)


def xml_event(eid: int, ts: str, rid: int, body: str = "") -> str:
    return (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">'
        + SYSTEM.format(eid=eid, ts=ts, rid=rid)
        + f"<EventData>{body}</EventData></Event>\n"
    )


def test_bare_event_stream_keeps_good_events_around_a_malformed_one(tmp_path: Path) -> None:
    good1 = xml_event(4624, "2026-01-02 03:04:05.123456+00:00", 10, '<Data Name="A">1</Data>')
    bad = xml_event(4625, "2026-01-02T03:04:06Z", 11, '<Data Name="A">1</Dta>')
    good2 = xml_event(4634, "2026-01-02T05:04:07+02:00", 12, "<Data>x</Data><Data>y</Data>")
    source = write(tmp_path, "stream.xml", good1 + bad + good2)
    result = read_events(source)
    assert [(r.event_id, r.record_id, r.ordinal, r.line) for r in result.records] == [
        (4624, 10, 1, 1),
        (4634, 12, 3, 3),
    ]
    assert result.records[0].ts == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert result.records[1].ts == datetime(2026, 1, 2, 3, 4, 7, tzinfo=UTC)
    assert result.records[1].data == {"Data1": "x", "Data2": "y"}
    assert result.records[0].computer_short == "DB02"
    assert len(result.rejects) == 1
    line, reason, excerpt = result.rejects[0]
    assert line == 2
    assert reason.startswith("malformed event XML: mismatched tag")
    assert excerpt.startswith("<Event")
    assert result.units == 3


def test_xml_event_without_time_or_with_entity_is_rejected(tmp_path: Path) -> None:
    no_time = xml_event(4624, "yesterday", 1)
    entity = '<Event><!DOCTYPE x [<!ENTITY a "b">]><System/></Event>\n'
    source = write(tmp_path, "bad.xml", "<Events>\n" + no_time + entity + "</Events>\n")
    result = read_events(source)
    assert result.records == []
    assert [(r[0], r[1]) for r in result.rejects] == [
        (2, "unusable event: unreadable time 'yesterday'"),
        (3, "unusable event: DTD/entity declarations are not allowed in event XML"),
    ]
    assert result.units == 2


ECS_LINES = [
    {
        "@timestamp": "2026-03-16T11:00:00.000Z",
        "winlog": {
            "event_id": "13",
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "provider_name": "Microsoft-Windows-Sysmon",
            "computer_name": "WEB01.corp.example",
            "record_id": "7781",
            "user": {"identifier": "S-1-5-18"},
            "event_data": {"EventType": "SetValue", "ProcessId": 2216, "RuleName": None},
        },
        "registry": {
            "path": r"HKLM\SYSTEM\ControlSet001\Services\PortProxy\v4tov4\tcp\0.0.0.0/9999"
        },
    },
    [1, 2],
    {
        "@timestamp": "2026-03-16T11:00:01.5Z",
        "winlog.event_id": 5156,
        "winlog.computer_name": "WEB01",
        "winlog.event_data.Protocol": 6,
    },
]


def test_ecs_json_lines_normalise_types_and_reject_non_objects(tmp_path: Path) -> None:
    lines = [json.dumps(v) for v in ECS_LINES]
    lines.insert(2, '{"@timestamp": "2026-03-16T11:00:01Z", "winlog": {')
    source = write(tmp_path, "winlogbeat.ndjson", "\n".join(lines) + "\n")
    assert sniff_container(source) == "ecs_json"
    result = read_events(source)
    assert result.container == "ecs_json"
    first, second = result.records
    assert first == EventRecord(
        event_id=13,
        provider="Microsoft-Windows-Sysmon",
        channel="Microsoft-Windows-Sysmon/Operational",
        computer="WEB01.corp.example",
        computer_short="WEB01",
        ts=datetime(2026, 3, 16, 11, 0, tzinfo=UTC),
        record_id=7781,
        data={
            "EventType": "SetValue",
            "ProcessId": "2216",
            "RuleName": None,
            "TargetObject": r"HKLM\SYSTEM\ControlSet001\Services\PortProxy\v4tov4\tcp\0.0.0.0/9999",
        },
        ordinal=1,
        line=1,
        user_sid="S-1-5-18",
    )
    assert (second.event_id, second.line, second.ordinal, second.data) == (
        5156,
        4,
        4,
        {"Protocol": "6"},
    )
    assert second.ts == datetime(2026, 3, 16, 11, 0, 1, 500000, tzinfo=UTC)
    assert [(r[0], r[1]) for r in result.rejects] == [
        (2, "unusable event: JSON value is not an object (list)"),
        (3, "malformed JSON: Expecting property name enclosed in double quotes"),
    ]
    assert result.units == 4


def test_get_winevent_json_array(tmp_path: Path) -> None:
    doc = [
        {
            "Id": 5156,
            "ProviderName": "Microsoft-Windows-Security-Auditing",
            "LogName": "Security",
            "MachineName": "WEB01.corp.example",
            "RecordId": 88123,
            "TimeCreated": "/Date(1700000000000)/",
            "Properties": [
                {"Value": 4},
                {"Value": "System"},
                {"Value": "%%14592"},
                {"Value": "10.1.1.20"},
                {"Value": "445"},
                {"Value": "198.51.100.7"},
                {"Value": "50122"},
                {"Value": 6},
                {"Value": 72},
                {"Value": "%%14610"},
                {"Value": 44},
                {"Value": {"BinaryLength": 12, "AccountDomainSid": None, "Value": "S-1-0-0"}},
                {"Value": {"BinaryLength": 12, "AccountDomainSid": None, "Value": "S-1-0-0"}},
            ],
            "Message": "The Windows Filtering Platform has permitted a connection.",
        },
        {
            "Id": 4688,
            "ProviderName": "Microsoft-Windows-Security-Auditing",
            "MachineName": "WEB01",
            "TimeCreated": "2023-11-14T23:13:21.25+01:00",
            "Properties": [{"Value": "S-1-5-18"}, {"Value": "WEB01$"}],
            "UserId": {"Value": "S-1-5-18"},
        },
    ]
    source = write(tmp_path, "export.json", "\ufeff" + json.dumps(doc, indent=4))
    assert sniff_container(source) == "winevent_json"
    result = read_events(source)
    assert result.rejects == []
    wfp, proc = result.records
    assert wfp.ts == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert (wfp.event_id, wfp.record_id, wfp.channel, wfp.computer_short) == (
        5156,
        88123,
        "Security",
        "WEB01",
    )
    assert wfp.data["Direction"] == "%%14592"
    assert wfp.data["Protocol"] == "6"
    assert wfp.data["RemoteUserID"] == "S-1-0-0"
    assert wfp.data["Message"] == "The Windows Filtering Platform has permitted a connection."
    assert (wfp.line, proc.line) == (2, 60)  # the lines of each object's "{"
    assert proc.ts == datetime(2023, 11, 14, 22, 13, 21, 250000, tzinfo=UTC)
    assert proc.data == {"Data1": "S-1-5-18", "Data2": "WEB01$"}
    assert proc.user_sid == "S-1-5-18"


def test_evtx_corpus_security_log() -> None:
    source = src(corpus_file("evtx", "DE_RDP_Tunnel_5156.evtx"))
    assert sniff_container(source) == "evtx"
    result = read_events(source)
    assert result.container == "evtx"
    assert result.rejects == []
    assert result.units == 101
    counts = Counter(r.event_id for r in result.records)
    assert counts == {5156: 63, 4688: 17, 5158: 9, 4624: 5, 4648: 3, 4672: 3, 1102: 1}
    first_wfp = next(r for r in result.records if r.event_id == 5156)
    assert first_wfp.record_id == 227694
    assert first_wfp.ordinal == 2
    assert first_wfp.line is None
    assert first_wfp.computer == "PC01.example.corp"
    assert first_wfp.computer_short == "PC01"
    assert first_wfp.ts == datetime(2019, 2, 13, 18, 1, 47, 512340, tzinfo=UTC)
    assert first_wfp.data["Protocol"] == "17"  # a number in the evtx JSON, text here
    assert first_wfp.data["SourcePort"] == "546"
    assert first_wfp.data["Direction"] == "%%14593"
    assert first_wfp.data["ProcessID"] == "820"
    cleared = result.records[0]
    assert cleared.event_id == 1102
    assert cleared.data["SubjectUserName"] == "admin01"  # from UserData/LogFileCleared


def test_evtx_corpus_sysmon_portproxy() -> None:
    result = read_events(src(corpus_file("evtx", "de_portforward_netsh_rdp_sysmon_13_1.evtx")))
    assert [(r.event_id, r.record_id) for r in result.records] == [(1, 1025), (1, 1026), (13, 1027)]
    reg = result.records[2]
    assert reg.data["TargetObject"].endswith(r"\PortProxy\v4tov4\tcp\1.2.3.4/8001")
    assert reg.data["Details"] == "1.2.3.5/3389"
    assert reg.user_sid == "S-1-5-18"


def test_truncated_evtx_recovers_whole_chunks_and_rejects_the_rest(tmp_path: Path) -> None:
    full = corpus_file("evtx", "panache_sysmon_vs_EDRTestingScript.evtx").read_bytes()
    source = write(tmp_path, "Sysmon.evtx", full[:200_000])
    result = read_events(source)
    assert len(result.records) == 80  # chunks 0 and 1 (records 1-80) are complete
    assert len(result.rejects) == 39  # chunk 2 promised records 81-119
    assert result.units == 119
    line, reason, excerpt = result.rejects[0]
    assert (line, excerpt) == (81, "EventRecordID 81")
    assert reason == (
        "EVTX truncated or corrupt: record not recovered "
        "(chunk 2 is incomplete (64832 of 65536 bytes; records 81-119))"
    )
    torn_header = read_events(write(tmp_path, "Torn.evtx", full[: 4096 + 3 * 65536 + 20]))
    assert (len(torn_header.records), torn_header.units) == (119, 120)
    assert torn_header.rejects == [
        (120, "EVTX truncated or corrupt: chunk 3 is incomplete (20 of 65536 bytes)", "")
    ]
    header_only = write(tmp_path, "Stub.evtx", full[:1000])
    stub = read_events(header_only)
    assert stub.records == [] and stub.units == 1
    assert stub.rejects[0][1].startswith("unreadable EVTX file:")


def test_evtx_corpus_full_sysmon_counts() -> None:
    result = read_events(src(corpus_file("evtx", "panache_sysmon_vs_EDRTestingScript.evtx")))
    assert Counter(r.event_id for r in result.records) == {1: 96, 3: 8, 7: 8, 11: 5, 13: 4, 12: 1}
    assert result.rejects == []


def test_read_events_is_memoised(tmp_path: Path) -> None:
    path = tmp_path / "one.xml"
    path.write_text(xml_event(4624, "2026-01-02T03:04:05Z", 1))
    first = read_events(src(path))
    assert read_events(src(path)) is first
    path.write_text(xml_event(4624, "2026-01-02T03:04:05Z", 1) + xml_event(4625, "x", 2))
    assert read_events(src(path)).units == 2


def test_not_a_container(tmp_path: Path) -> None:
    source = write(tmp_path, "notes.txt", "hello\n")
    assert sniff_container(source) is None
    assert read_events(source).rejects == [(1, "not a Windows event-log container", "")]


@pytest.mark.parametrize(
    ("name", "short"),
    [("WEB01.corp.example", "WEB01"), ("web01", "web01"), ("10.1.1.5", "10.1.1.5"), (None, None)],
)
def test_short_name(name: str | None, short: str | None) -> None:
    assert short_name(name) == short


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_parse_time_round_trips_system_time(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    assert parse_time(aware.strftime("%Y-%m-%dT%H:%M:%S.%f") + "4Z") == aware
    shifted = (aware + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert parse_time(shifted + "+05:30") == aware


def test_deeply_nested_json_is_one_reject(tmp_path: Path) -> None:
    deep = '{"winlog": ' + "[" * 50_000 + "]" * 50_000 + "}"
    ok = '{"Id": 4624, "TimeCreated": "/Date(0)/", "MachineName": "WS07"}'
    result = read_events(write(tmp_path, "deep.json", deep + "\n" + ok + "\n"))
    assert result.rejects == [(1, "malformed JSON: nested too deeply", deep[:200])]
    assert [(r.event_id, r.line, r.ts) for r in result.records] == [
        (4624, 2, datetime(1970, 1, 1, tzinfo=UTC))
    ]


JSON_LINE = st.one_of(
    st.just('{"winlog": {"event_id": "5156"}, "@timestamp": "2026-01-01T00:00:00Z"}'),
    st.just('{"Id": 1, "TimeCreated": "/Date(1700000000000)/"}'),
    st.just("[1, 2]"),
    st.just('{"winlog": {'),
    st.text(alphabet='{}[]":,0123456789abc \t', max_size=30),
)


@given(st.lists(JSON_LINE, min_size=1, max_size=10))
def test_json_streams_always_reconcile(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    path = tmp_path_factory.mktemp("js") / "events.ndjson"
    path.write_text(
        '{"winlog": {"event_id": 1}, "@timestamp": "2026-01-01T00:00:00Z"}\n' + "\n".join(lines)
    )
    result = read_events(src(path))
    assert result.units == len(result.records) + len(result.rejects)
    assert result.units >= 1
    assert all(isinstance(r.ts, datetime) and r.ts.tzinfo is not None for r in result.records)


XML_PIECE = st.sampled_from(
    [
        xml_event(4624, "2026-01-02T03:04:05Z", 1, '<Data Name="A">1</Data>'),
        xml_event(4625, "2026-01-02T03:04:05Z", 2, '<Data Name="A">1</Dta>'),
        "<Event><System><EventID>x</EventID></System></Event>\n",
        "garbage & < text\n",
        "</Events>\n",
    ]
)


@given(st.lists(XML_PIECE, min_size=1, max_size=8))
def test_xml_streams_always_reconcile(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[str]
) -> None:
    path = tmp_path_factory.mktemp("xs") / "events.xml"
    path.write_text("<Events>\n" + "".join(pieces))
    result = read_events(src(path))
    assert result.units == len(result.records) + len(result.rejects)
    good = sum(1 for p in pieces if '<Data Name="A">1</Data>' in p)
    assert len(result.records) == good
    # Every piece of stray text lands in some reject: nothing is dropped silently.
    if any(p.startswith("garbage") for p in pieces):
        assert any("garbage" in r[2] for r in result.rejects)


def test_corrupt_evtx_record_is_rejected_and_the_rest_kept(tmp_path: Path) -> None:
    data = bytearray(corpus_file("evtx", "DE_RDP_Tunnel_5156.evtx").read_bytes())
    data[30000:30400] = b"A" * 400  # inside record 36 of the only chunk
    result = read_events(write(tmp_path, "Security.evtx", bytes(data)))
    assert (len(result.records), len(result.rejects), result.units) == (100, 1, 101)
    line, reason, _ = result.rejects[0]
    assert line == 36
    assert reason.startswith("EVTX record not parsed: Failed to parse record number 36")
    assert Counter(r.event_id for r in result.records)[5156] == 63


def test_evtx_style_json_with_and_without_event_wrapper(tmp_path: Path) -> None:
    dump = {  # evtx_dump -o jsonl
        "Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                "EventID": 5157,
                "TimeCreated": {"#attributes": {"SystemTime": "2026-03-14T09:15:04.000000Z"}},
                "EventRecordID": 50112,
                "Channel": "Security",
                "Computer": "WEB01.corp.example",
                "Security": None,
            },
            "EventData": {"Direction": "%%14592", "Protocol": 6, "DestPort": "61002"},
        }
    }
    velo = {  # Velociraptor parse_evtx(): no Event wrapper, plain keys, epoch seconds
        "System": {
            "Provider": {"Name": "Microsoft-Windows-Windows Firewall With Advanced Security"},
            "EventID": {"Value": 2004},
            "TimeCreated": {"SystemTime": 1773479521.5},
            "EventRecordID": 1201,
            "Channel": "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
            "Computer": "WEB01",
            "Security": {"UserID": "S-1-5-19"},
        },
        "EventData": {"RuleName": "Allow 9999 In", "Action": 3},
        "Message": "A rule has been added to the Windows Defender Firewall exception list.",
    }
    source = write(tmp_path, "events.jsonl", json.dumps(dump) + "\n" + json.dumps(velo) + "\n")
    assert sniff_container(source) == "evtx_json"
    result = read_events(source)
    assert result.rejects == []
    first, second = result.records
    assert (first.event_id, first.record_id, first.ts, first.data) == (
        5157,
        50112,
        datetime(2026, 3, 14, 9, 15, 4, tzinfo=UTC),
        {"Direction": "%%14592", "Protocol": "6", "DestPort": "61002"},
    )
    assert (second.event_id, second.ts, second.user_sid, second.line) == (
        2004,
        datetime(2026, 3, 14, 9, 12, 1, 500000, tzinfo=UTC),
        "S-1-5-19",
        2,
    )
    assert second.data == {
        "RuleName": "Allow 9999 In",
        "Action": "3",
        "Message": "A rule has been added to the Windows Defender Firewall exception list.",
    }


@pytest.mark.parametrize(
    ("provider", "event_id", "values", "expected"),
    [
        (
            "Microsoft-Windows-Sysmon",
            13,
            ["-", "SetValue", "2026-03-14 09:00:00.000", "{g}", 2216, r"C:\Windows\System32\svchost.exe",
             r"HKLM\System\CurrentControlSet\Services\PortProxy\v4tov4\tcp\0.0.0.0/9999", "10.1.2.30/8443"],
            {"EventType": "SetValue", "ProcessId": "2216",
             "TargetObject": r"HKLM\System\CurrentControlSet\Services\PortProxy\v4tov4\tcp\0.0.0.0/9999",
             "Details": "10.1.2.30/8443"},
        ),
        (
            "Microsoft-Windows-Security-Auditing",
            4688,
            ["S-1-5-18", "WEB01$", "CORP", "0x3e7", "0x1a2c", r"C:\Windows\System32\netsh.exe", "%%1936",
             "0x9f0", "netsh interface portproxy show all"],
            {"NewProcessId": "0x1a2c", "CommandLine": "netsh interface portproxy show all"},
        ),
        (
            "Microsoft-Windows-Security-Auditing",
            4946,
            ["All", "{F2649D59-1355-4E3C-B886-CDD08B683199}", "Allow 9999 In"],
            {"ProfileChanged": "All", "RuleName": "Allow 9999 In"},
        ),
        ("Microsoft-Windows-Sysmon", 13, ["a", "b"], {"Data1": "a", "Data2": "b"}),
    ],
)  # fmt: skip
def test_get_winevent_properties_are_named_by_layout(
    tmp_path: Path, provider: str, event_id: int, values: list, expected: dict
) -> None:
    doc = {
        "Id": event_id,
        "ProviderName": provider,
        "MachineName": "WEB01",
        "TimeCreated": "/Date(1773478800000)/",
        "Properties": [{"Value": v} for v in values],
    }
    record = read_events(write(tmp_path, "ev.json", json.dumps(doc) + "\n")).records[0]
    assert {k: record.data[k] for k in expected} == expected
    assert len(record.data) == len(values)
