"""Every port-proxy evidence reader against a sample written in the exact source format."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import iocs
from fwcorr.context import ParseContext, ParseResult
from fwcorr.inputs import Source
from fwcorr.schema import PORTPROXY_EVENT, REJECT
from iocs import (
    src_cmdlines,
    src_eventlog,
    src_mde,
    src_netsh_output,
    src_regfile,
    src_regquery,
    src_velociraptor,
)
from tests.conftest import corpus_file

DATA = Path(__file__).parent / "data" / "portproxy"
COLS = (
    "ts", "host", "logged_by", "user", "op", "family", "listen_address", "listen_port",
    "connect_address", "connect_port", "valid", "invalid_reason", "evidence_kind",
    "remote_via", "src_line", "record_id",
)  # fmt: skip


def T(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def source(rel: str) -> Source:
    path = DATA / rel
    return Source(path=path, display=rel, root=DATA)


def run(module: ModuleType, rel: str, ctx: ParseContext | None = None) -> ParseResult:
    src = source(rel)
    assert module.sniff(src)
    res = module.parse(src, ctx or ParseContext())
    assert res.portproxy_events.collect_schema() == PORTPROXY_EVENT
    assert res.rejects.collect_schema() == REJECT
    assert res.records + res.non_records + res.rejected == res.units
    return res


def rows(res: ParseResult) -> list[tuple[Any, ...]]:
    return list(res.portproxy_events.select(COLS).iter_rows())


def test_registry_is_complete_and_ordered() -> None:
    registered = list(iocs.SOURCES.items())
    assert registered == [
        ("velociraptor", src_velociraptor),
        ("mde", src_mde),
        ("eventlog", src_eventlog),
        ("regfile", src_regfile),
        ("reg_query", src_regquery),
        ("netsh_output", src_netsh_output),
        ("cmdlines", src_cmdlines),
    ]
    assert [m.NAME for _, m in registered] == [n for n, _ in registered]


def test_sysmon_process_and_registry_events_xml() -> None:
    res = run(src_eventlog, "WS01/sysmon_portproxy.xml")
    assert (res.format, res.units, res.records, res.rejected) == ("event_xml", 10, 10, 0)
    h, sysu, jd = "WS01.corp.example", "NT AUTHORITY\\SYSTEM", "CORP\\jdoe"
    rec = (True, None)
    expected = pl.DataFrame(
        [
            (T("2024-03-01T10:00:00.100"), h, h, jd, "add", "v4tov4", "0.0.0.0", 9999, "10.1.2.20", 8443, *rec, "process", None, 1, 101),
            (T("2024-03-01T10:00:00.150"), h, h, jd, "add", "v4tov4", "0.0.0.0", 9999, "10.1.2.20", 8443, *rec, "process", None, 17, 102),
            (T("2024-03-01T10:00:00.300"), h, h, jd, "set", "v4tov4", "0.0.0.0", 9999, "10.1.2.20", 8443, *rec, "registry", None, 33, 103),
            (T("2024-03-01T10:05:00"), h, h, sysu, "set", "v4tov4", "*", 50100, "10.1.2.30", 1433, *rec, "registry", None, 47, 104),
            (T("2024-03-02T08:00:00"), h, h, jd, "delete", "v4tov4", "0.0.0.0", 9999, None, None, *rec, "registry", None, 61, 105),
            (T("2024-03-02T09:00:00"), h, h, jd, "set", "v4tov4", "0.0.0.0", 7777, "10.1.2.40", 22, *rec, "registry", None, 74, 106),
            (T("2024-03-02T09:00:00"), h, h, jd, "delete", "v4tov4", "0.0.0.0", 7777, None, None, *rec, "registry", None, 88, 107),
            (T("2024-03-03T00:00:00"), h, h, sysu, "reset", "v4tov4", None, None, None, None, *rec, "registry", None, 111, 109),
            (T("2024-03-03T00:10:00"), h, h, jd, "reset", "v6tov4", None, None, None, None, *rec, "registry", None, 124, 110),
        ],
        schema={c: PORTPROXY_EVENT[c] for c in COLS},
        orient="row",
    )  # fmt: skip
    assert_frame_equal(res.portproxy_events.select(COLS), expected)
    procs = res.portproxy_events.filter(pl.col("evidence_kind") == "process")
    assert procs.get_column("process").to_list() == [
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\netsh.exe",
    ]


def test_security_4688_xml_remote_wmic_and_invalid() -> None:
    res = run(src_eventlog, "SRV01/security_4688.xml")
    assert (res.units, res.records, res.rejected) == (3, 3, 0)
    assert rows(res) == [
        (T("2024-03-04T12:00:00"), "WS02", "SRV01.corp.example", "CORP\\svc_backup", "add", "v4tov4",
         "0.0.0.0", 50100, "10.1.2.50", 8443, True, None, "process", "wmic", 1, 5001),
        (T("2024-03-04T12:01:00"), "SRV01.corp.example", "SRV01.corp.example", "CORP\\admin2", "add",
         "v4tov4", "*", 5353, "10.1.2.60", 5353, False, "unsupported protocol: udp", "process", None, 22, 5002),
    ]  # fmt: skip


def test_sysmon_ecs_json_lines() -> None:
    res = run(src_eventlog, "DEV01/winlogbeat_sysmon.ndjson")
    assert (res.format, res.units, res.records) == ("ecs_json", 2, 2)
    assert rows(res) == [
        (T("2024-03-05T09:15:00.240"), "DEV01.corp.example", "DEV01.corp.example", "DEV01\\alice",
         "add", "v4tov4", "0.0.0.0", 3000, "172.30.16.3", 3000, True, None, "process", None, 1, 2201),
    ]  # fmt: skip


def test_mde_process_events_csv() -> None:
    res = run(src_mde, "MDE/DeviceProcessEvents_export.csv")
    assert (res.units, res.records, res.non_records, res.rejected) == (5, 2, 2, 1)
    assert res.rejects.to_dicts() == [
        {
            "path": "MDE/DeviceProcessEvents_export.csv",
            "line": 5,
            "reason": "unreadable Timestamp",
            "excerpt": "not-a-time",
        }
    ]
    w = "web01.corp.example"
    assert rows(res) == [
        (T("2024-03-06T14:00:01.123456"), "FS01", w, "corp\\jdoe", "add", "v4tov4", "*", 4455,
         "10.1.3.5", 445, True, None, "process", "psexec", 2, 11),
        (T("2024-03-06T14:05:00"), w, w, "corp\\jdoe", "add", "v4tov4", "0.0.0.0", 8080,
         "203.0.113.50", 443, True, None, "process", None, 3, 12),
    ]  # fmt: skip


def test_mde_registry_events_json() -> None:
    res = run(src_mde, "MDE/DeviceRegistryEvents.json")
    assert (res.unit_kind, res.units, res.records, res.non_records) == ("rows", 3, 2, 1)
    w = "web01.corp.example"
    assert rows(res) == [
        (T("2024-03-06T14:05:00.41"), w, w, "corp\\jdoe", "set", "v4tov4", "0.0.0.0", 8080,
         "203.0.113.50", 443, True, None, "registry", None, 1, 21),
        (T("2024-03-06T16:00:00"), w, w, "corp\\jdoe", "delete", "v4tov4", "0.0.0.0", 8080,
         None, None, True, None, "registry", None, 2, 22),
    ]  # fmt: skip


def test_plain_text_command_lines() -> None:
    res = run(src_cmdlines, "WS03/commands.txt")
    assert (res.units, res.records, res.non_records) == (8, 4, 4)
    assert rows(res) == [
        (T("2024-03-07T08:00:00"), "WS03", "WS03", None, "add", "v4tov4", "0.0.0.0", 33389,
         "10.1.4.9", 3389, True, None, "process", None, 2, None),
        (T("2024-03-07T08:30:00"), "WS03", "WS03", None, "delete", "v4tov4", "0.0.0.0", 33389,
         None, None, True, None, "process", None, 3, None),
        (None, "WS03", "WS03", None, "add", "v4tov4", "*", 2222, None, 22, False,
         "unresolved expression in connectaddress: $wslIp", "static", None, 5, None),
        (None, "WS03", "WS03", None, "add", "v4tov6", "*", 8443, "2001:db8::20", 443, True, None,
         "static", None, 7, None),
    ]  # fmt: skip
    assert res.stats["host_source"] == "folder"


def test_host_option_overrides_folder() -> None:
    res = run(src_cmdlines, "WS03/commands.txt", ParseContext(host="JUMP01"))
    assert set(res.portproxy_events.get_column("host")) == {"JUMP01"}
    assert res.stats["host_source"] == "option"


def test_reg_query_output() -> None:
    res = run(src_regquery, "WS01/reg_query_portproxy.txt")
    assert (res.units, res.records, res.rejected) == (10, 3, 1)
    assert res.rejects.get_column("reason").to_list() == ["PortProxy value of type REG_DWORD"]
    assert rows(res) == [
        (None, "WS01", "WS01", None, "present", "v4tov4", "0.0.0.0", 9999, "10.1.2.20", 8443, True, None, "registry", None, 5, None),
        (None, "WS01", "WS01", None, "present", "v4tov4", "192.0.2.10", 443, "10.1.2.21", 443, True, None, "registry", None, 6, None),
        (None, "WS01", "WS01", None, "present", "v6tov4", "::", 8081, "10.1.2.22", 80, True, None, "registry", None, 10, None),
    ]  # fmt: skip


def test_reg_export_utf16() -> None:
    assert (DATA / "WS04/portproxy.reg").read_bytes()[:2] == b"\xff\xfe"
    res = run(src_regfile, "WS04/portproxy.reg")
    assert (res.units, res.records, res.rejected) == (11, 2, 1)
    assert rows(res) == [
        (None, "WS04", "WS04", None, "present", "v4tov4", "0.0.0.0", 9999, "192.168.1.101", 22, True, None, "registry", None, 8, None),
        (None, "WS04", "WS04", None, "present", "v4tov4", "*", 50100, "10.1.5.7", 1433, True, None, "registry", None, 9, None),
    ]  # fmt: skip


def test_velociraptor_jsonl() -> None:
    res = run(src_velociraptor, "VELO/Windows.Registry.PortProxy.json")
    assert (res.units, res.records, res.rejected) == (3, 2, 1)
    h = "WS05.corp.example"
    assert rows(res) == [
        (T("2024-03-08T02:11:45"), h, h, None, "present", "v4tov4", "0.0.0.0", 1433, "10.1.6.10", 1433, True, None, "registry", None, 1, None),
        (T("2024-03-08T02:11:45"), h, h, None, "present", "v6tov6", "::", 8443, "2001:db8::30", 443, True, None, "registry", None, 2, None),
    ]  # fmt: skip


def test_netsh_show_capture_english_with_capture_time() -> None:
    res = run(src_netsh_output, "WS06/netsh_show_all.txt")
    assert (res.units, res.records, res.rejected) == (17, 3, 1)
    assert res.rejects.get_column("line").to_list() == [10]
    ts = T("2024-03-09T10:00:00")
    assert rows(res) == [
        (ts, "WS06", "WS06", None, "present", "v4tov4", "0.0.0.0", 9090, "10.1.7.20", 3389, True, None, "netsh_show", None, 8, None),
        (ts, "WS06", "WS06", None, "present", "v4tov4", "*", 50100, "fileserver.corp.example", 445, True, None, "netsh_show", None, 9, None),
        (ts, "WS06", "WS06", None, "present", "v6tov4", "::", 9091, "10.1.7.22", 80, True, None, "netsh_show", None, 16, None),
    ]  # fmt: skip


def test_netsh_show_capture_zh_cn_utf16() -> None:
    res = run(src_netsh_output, "WS07/portproxy_show.txt")
    assert (res.units, res.records) == (8, 2)
    assert rows(res) == [
        (None, "WS07", "WS07", None, "present", "v4tov4", "*", 13333, "127.0.0.1", 12333, True, None, "netsh_show", None, 6, None),
        (None, "WS07", "WS07", None, "present", "v4tov4", "0.0.0.0", 445, "gzsc.example.cn", 4450, True, None, "netsh_show", None, 7, None),
    ]  # fmt: skip


def test_netsh_dump_output() -> None:
    res = run(src_netsh_output, "WS06/netsh_dump.txt")
    assert (res.units, res.records) == (15, 2)
    assert rows(res) == [
        (None, "WS06", "WS06", None, "present", "v4tov4", "0.0.0.0", 9090, "10.1.7.20", 3389, True, None, "netsh_dump", None, 8, None),
        (None, "WS06", "WS06", None, "present", "v4tov4", "*", 7070, "10.1.7.23", 7070, True, None, "netsh_dump", None, 9, None),
    ]  # fmt: skip


def test_show_and_dump_corpus_samples() -> None:
    path = corpus_file("portproxy", "show_all_and_dump_samples.txt")
    src = Source(path=path, display=path.name)
    assert src_netsh_output.sniff(src)
    res = src_netsh_output.parse(src, ParseContext(host="X"))
    assert res.records + res.non_records + res.rejected == res.units
    got = res.portproxy_events.select(
        "family", "listen_address", "listen_port", "connect_address", "connect_port"
    )
    got_set = set(got.iter_rows())
    for row in [
        ("v4tov4", "*", 1024, "192.168.198.200", 1024),  # show [1] and dump [2]
        ("v4tov4", "*", 13333, "127.0.0.1", 12333),  # zh-CN [3]
        ("v4tov6", "172.18.0.1", 9090, "::1", 9090),  # [4]
        ("v6tov4", "::", 9090, "172.28.176.1", 9090),  # [5]
        ("v4tov4", "127.0.0.1", 445, "gzsc.myqnapcloud.cn", 4450),  # [7] overflowing column
        ("v4tov4", "0.0.0.0", 8082, "pivot.sandsoncosta.com", 443),  # [8]
        ("v4tov4", "localhost", 8848, "localhost", 8848),  # [9]
        ("v4tov6", "0.0.0.0", 5000, "2001:db8::10", 5000),  # [10] Spanish fixture
    ]:
        assert row in got_set
    assert res.rejected == 0


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("de_portforward_netsh_rdp_sysmon_13_1.evtx", 2),
        ("panache_sysmon_vs_EDRTestingScript.evtx", 6),
    ],
)
def test_real_sysmon_evtx_events(name: str, want: int) -> None:
    path = corpus_file("evtx", name)
    res = src_eventlog.parse(Source(path=path, display=name), ParseContext())
    assert res.portproxy_events.height == want
    assert res.records + res.non_records + res.rejected == res.units


def test_invalid_utf8_bytes_do_not_take_the_file_down(tmp_path: Path) -> None:
    host = tmp_path / "WS09"
    host.mkdir()
    path = host / "cmds.txt"
    path.write_bytes(
        b"netsh interface portproxy add v4tov4 listenport=8443 connectaddress=10.0.0.5\n"
        b"junk \xff\xfe\xc3 bytes\n"
        b"netsh interface portproxy delete v4tov4 listenport=8443\n"
    )
    src = Source(path=path, display="cmds.txt", root=tmp_path)
    assert src_cmdlines.sniff(src)
    res = src_cmdlines.parse(src, ParseContext())
    assert (res.units, res.records, res.non_records) == (3, 2, 1)
    assert res.portproxy_events.select("host", "op", "listen_port").rows() == [
        ("WS09", "add", 8443),
        ("WS09", "delete", 8443),
    ]


def test_runner_merges_harvest_into_the_windows_parser_result() -> None:
    from fwcorr.runner import parse_inputs

    run_ = parse_inputs(
        [str(DATA / "WS01" / "sysmon_portproxy.xml")], ParseContext(), progress=False
    )
    (summary,) = run_.inputs
    assert (summary.format, summary.units, summary.records, summary.rejected) == (
        "event_xml",
        10,
        10,
        0,
    )
    assert summary.portproxy_events == 9
    assert run_.portproxy_events.collect_schema() == PORTPROXY_EVENT


def test_sysmon_get_winevent_json() -> None:
    res = run(src_eventlog, "WS08/sysmon_getwinevent.json")
    assert (res.format, res.units, res.records) == ("winevent_json", 2, 2)
    h = "WS08.corp.example"
    assert rows(res) == [
        (T("2024-03-13T10:00:00.450"), h, h, "CORP\\ops", "set", "v4tov6", "0.0.0.0", 4443,
         "2001:db8::44", 443, True, None, "registry", None, 2, 7001),
        (T("2024-03-13T11:00:00.450"), h, h, "CORP\\ops", "delete", "v4tov6", "0.0.0.0", 4443,
         None, None, True, None, "registry", None, 41, 7002),
    ]  # fmt: skip


def test_netsh_without_command_line_is_a_warning(tmp_path: Path) -> None:
    xml = (DATA / "SRV01" / "security_4688.xml").read_text()
    xml = xml.replace(
        "netsh interface portproxy add v4tov4 listenport=5353 connectaddress=10.1.2.60 protocol=udp",
        "",
    )
    path = tmp_path / "sec.xml"
    path.write_text(xml)
    res = src_eventlog.parse(Source(path=path, display="sec.xml"), ParseContext())
    assert res.warnings == [
        "1 netsh.exe process event(s) without a command line (process command-line auditing is "
        "off); port-proxy commands may be missing"
    ]
    assert res.portproxy_events.height == 1


def test_velociraptor_csv_export() -> None:
    res = run(src_velociraptor, "VELO/hunt_results.csv")
    assert (res.unit_kind, res.units, res.records) == ("rows", 2, 1)
    h = "WS10.corp.example"
    assert rows(res) == [
        (T("2024-03-10T04:00:00"), h, h, None, "present", "v4tov4", "0.0.0.0", 3390, "10.1.9.9", 3389,
         True, None, "registry", None, 2, None),
    ]  # fmt: skip
