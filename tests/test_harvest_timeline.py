"""Port-proxy timeline, risk, indicators and the `fwcorr harvest` command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from fwcorr.cli import cli
from fwcorr.config import config_from_dict
from fwcorr.context import ParseContext
from fwcorr.errors import InputError
from fwcorr.schema import IOC, PORTPROXY
from iocs import events, indicators, timeline
from iocs.harvest import collect
from tests.conftest import corpus_file

DATA = Path(__file__).parent / "data" / "portproxy"


def T(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ev(
    op: str, ts: str | None, lp: int = 9999, ca: str | None = "10.1.2.20", **kw: Any
) -> dict[str, Any]:
    row = {
        "ts": T(ts) if ts else None,
        "host": "WS01",
        "logged_by": "WS01",
        "user": "CORP\\jdoe",
        "op": op,
        "family": "v4tov4",
        "listen_address": "0.0.0.0",
        "listen_port": lp,
        "connect_address": ca,
        "connect_port": 8443 if ca else None,
        "protocol": "tcp",
        "valid": True,
        "evidence_kind": "registry",
        "raw": f"{op} {lp}",
        "src_file": "e.xml",
        "src_line": 1,
    }
    row.update(kw)
    return row


def build(rows: list[dict[str, Any]], config: Any = None) -> timeline.Harvest:
    return timeline.build(events.frame(rows), config or config_from_dict({}))


def brief(h: timeline.Harvest) -> list[tuple[Any, ...]]:
    return [
        (p["host"], p["listen_port"], p["connect_address"], p["first_seen"], p["removed_at"],
         [o["op"] for o in p["operations"]], p["capture_only"])
        for p in h.portproxies
    ]  # fmt: skip


def test_same_millisecond_set_delete_ordered_by_record_id() -> None:
    h = build(
        [
            ev("delete", "2024-03-02T09:00:00", ca=None, record_id=107, src_line=2),
            ev("set", "2024-03-02T09:00:00", record_id=106, src_line=1),
        ]
    )
    assert brief(h) == [
        (
            "WS01",
            9999,
            "10.1.2.20",
            "2024-03-02T09:00:00Z",
            "2024-03-02T09:00:00Z",
            ["set", "delete"],
            False,
        )
    ]


def test_set_modifies_and_reset_clears_host() -> None:
    h = build(
        [
            ev("add", "2024-03-01T10:00:00", evidence_kind="process", process="netsh.exe"),
            ev("set", "2024-03-01T11:00:00", ca="10.1.2.99", evidence_kind="process", process="netsh.exe"),
            ev("add", "2024-03-01T12:00:00", lp=7000, evidence_kind="process", process="netsh.exe"),
            ev("reset", "2024-03-01T13:00:00", lp=None, ca=None, family=None, listen_address=None,
               evidence_kind="process", process="netsh.exe"),
        ]
    )  # fmt: skip
    assert brief(h) == [
        ("WS01", 9999, "10.1.2.20", "2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", ["add"], False),
        (
            "WS01",
            9999,
            "10.1.2.99",
            "2024-03-01T11:00:00Z",
            "2024-03-01T13:00:00Z",
            ["set", "reset"],
            False,
        ),
        (
            "WS01",
            7000,
            "10.1.2.20",
            "2024-03-01T12:00:00Z",
            "2024-03-01T13:00:00Z",
            ["add", "reset"],
            False,
        ),
    ]


def test_family_reset_only_closes_that_family() -> None:
    h = build(
        [
            ev("set", "2024-03-01T10:00:00"),
            ev("set", "2024-03-01T10:00:01", lp=80, family="v6tov4", listen_address="::"),
            ev("reset", "2024-03-01T10:00:02", lp=None, ca=None, listen_address=None),
        ]
    )
    assert [(p["family"], p["removed_at"]) for p in h.portproxies] == [
        ("v4tov4", "2024-03-01T10:00:02Z"),
        ("v6tov4", None),
    ]


def test_snapshots_prove_presence() -> None:
    h = build(
        [
            ev("set", "2024-03-01T10:00:00"),
            ev("delete", "2024-03-02T10:00:00", ca=None),
            ev(
                "present", None, evidence_kind="netsh_dump", src_file="dump.txt"
            ),  # undated: same proxy
            ev(
                "present", "2024-03-05T00:00:00", lp=1234, evidence_kind="netsh_show"
            ),  # new, capture only
            ev("present", "2024-03-06T00:00:00", lp=1234, evidence_kind="netsh_show", src_line=9),
        ]
    )
    assert brief(h) == [
        (
            "WS01",
            9999,
            "10.1.2.20",
            "2024-03-01T10:00:00Z",
            "2024-03-02T10:00:00Z",
            ["set", "delete"],
            False,
        ),
        ("WS01", 1234, "10.1.2.20", "2024-03-05T00:00:00Z", None, [], True),
    ]
    assert [e["kind"] for e in h.portproxies[0]["evidence"]] == [
        "netsh_dump",
        "registry",
        "registry",
    ]
    assert len(h.portproxies[1]["evidence"]) == 2


def test_merge_wrapper_child_and_registry_across_host_spellings() -> None:
    h = build(
        [
            ev("add", "2024-03-01T10:00:00.100", evidence_kind="process", host="ws01.corp.example",
               logged_by="ws01.corp.example", process="C:\\Windows\\System32\\cmd.exe", src_line=1),
            ev("add", "2024-03-01T10:00:00.150", evidence_kind="process", host="ws01.corp.example",
               logged_by="ws01.corp.example", process="C:\\Windows\\System32\\NETSH.EXE", src_line=2),
            ev("set", "2024-03-01T10:00:00.300", src_line=3, user=None),
        ],
        config_from_dict({"hosts": {"WS01": {"ips": ["10.1.1.10"]}}}),
    )  # fmt: skip
    assert len(h.portproxies) == 1
    p = h.portproxies[0]
    assert (p["host"], p["host_ips"], p["first_seen"]) == (
        "WS01",
        ["10.1.1.10"],
        "2024-03-01T10:00:00.3Z",
    )
    assert p["operations"] == [{"ts": "2024-03-01T10:00:00.3Z", "op": "add", "user": "CORP\\jdoe"}]
    assert [e["line"] for e in p["evidence"]] == [1, 2, 3]


def test_attempts_never_become_proxies() -> None:
    bad = ev("add", "2024-03-01T10:00:00", valid=False, invalid_reason="unsupported protocol: udp",
             protocol="udp", evidence_kind="process")  # fmt: skip
    h = build([bad])
    assert h.portproxies == []
    assert h.attempts == [
        {
            "ts": "2024-03-01T10:00:00Z",
            "host": "WS01",
            "logged_by": "WS01",
            "user": "CORP\\jdoe",
            "op": "add",
            "family": "v4tov4",
            "listen_address": "0.0.0.0",
            "listen_port": 9999,
            "connect_address": "10.1.2.20",
            "connect_port": 8443,
            "remote_via": None,
            "reason": "unsupported protocol: udp",
            "evidence": {"kind": "process", "path": "e.xml", "line": 1, "raw": "add 9999"},
        }
    ]


def test_risk_levels_have_reasons() -> None:
    cfg = config_from_dict({"allowlist": {"portproxies": [{"host": "WS01", "listen_port": 3000}]}})
    h = build(
        [
            ev("add", "2024-03-01T10:00:00", lp=1, remote_via="wmic", evidence_kind="process"),
            ev(
                "add", "2024-03-01T10:00:01", lp=2, ca="db.corp.example", listen_address="127.0.0.1"
            ),
            ev("add", "2024-03-01T10:00:02", lp=3, ca="127.0.0.1"),
            ev("add", "2024-03-01T10:00:03", lp=3000, ca="172.20.5.5", connect_port=3000),
            ev("add", "2024-03-01T10:00:04", lp=4, user="NT AUTHORITY\\SYSTEM", ca="10.9.9.9"),
            ev("add", "2024-03-01T10:00:05", lp=5000, ca="172.20.5.6", connect_port=5000),
        ],
        cfg,
    )
    got = {p["listen_port"]: (p["risk"], p["risk_reasons"]) for p in h.portproxies}
    assert got == {
        1: ("high", [
            "created via remote execution (wmic)",
            "listens on all addresses (reachable beyond the host) and relays to internal host 10.1.2.20",
        ]),
        2: ("medium", [
            "listens on loopback only; relays to db.corp.example:8443",
            "relays to host name db.corp.example (resolved when a connection arrives)",
        ]),
        3: ("low", ["relays to loopback 127.0.0.1"]),
        3000: ("low", ["allowlisted in the site config"]),
        4: ("high", [
            "created by a service/machine account (NT AUTHORITY\\SYSTEM)",
            "listens on all addresses (reachable beyond the host) and relays to internal host 10.9.9.9",
        ]),
        5000: ("low", [
            "WSL/Hyper-V vEthernet-style target 172.20.5.6 (172.16.0.0/12) on the same port, "
            "created by an interactive user"
        ]),
    }  # fmt: skip


def test_table_and_indicators() -> None:
    h = build([ev("set", "2024-03-01T10:00:00", listen_address="10.1.1.10")])
    assert h.table.collect_schema() == PORTPROXY
    assert h.table.select(
        "host", "listen_port", "first_seen", "removed_at", "capture_only"
    ).rows() == [("WS01", 9999, T("2024-03-01T10:00:00"), None, False)]
    iocs_frame = indicators.from_harvest(h)
    expected = pl.DataFrame(
        [
            ("ip:10.1.1.10", "ip", "10.1.1.10", "portproxy_listen", "harvest", "10.1.1.10", None, None, None),
            ("ip:10.1.2.20", "ip", "10.1.2.20", "portproxy_connect", "harvest", "10.1.2.20", None, None, None),
            ("ip_port:10.1.2.20:8443", "ip_port", "10.1.2.20:8443", "portproxy_connect", "harvest", "10.1.2.20", None, 8443, None),
            ("port_on_host:WS01:9999", "port_on_host", "WS01:9999", "portproxy_listen", "harvest", None, None, 9999, "WS01"),
        ],
        schema=IOC,
        orient="row",
    )  # fmt: skip
    assert_frame_equal(iocs_frame, expected)


# --- acceptance: the real Sysmon captures -------------------------------------------------------


def _harvest(path: Path) -> timeline.Harvest:
    got = collect([str(path)], ParseContext())
    return timeline.build(got.events, ParseContext().config)


def test_real_capture_netsh_abbreviated_add() -> None:
    h = _harvest(corpus_file("evtx", "de_portforward_netsh_rdp_sysmon_13_1.evtx"))
    assert len(h.portproxies) == 1
    p = h.portproxies[0]
    assert {k: p[k] for k in ("host", "family", "listen_address", "listen_port", "connect_address",
                              "connect_port", "first_seen", "removed_at", "operations")} == {
        "host": "IEWIN7",
        "family": "v4tov4",
        "listen_address": "1.2.3.4",
        "listen_port": 8001,
        "connect_address": "1.2.3.5",
        "connect_port": 3389,
        "first_seen": "2019-05-23T17:46:05.022Z",
        "removed_at": None,
        "operations": [{"ts": "2019-05-23T17:46:05.022Z", "op": "add", "user": "IEWIN7\\IEUser"}],
    }  # fmt: skip
    assert [e["kind"] for e in p["evidence"]] == ["process", "registry"]
    assert h.attempts == []


def test_real_capture_add_then_delete() -> None:
    h = _harvest(corpus_file("evtx", "panache_sysmon_vs_EDRTestingScript.evtx"))
    assert len(h.portproxies) == 1
    p = h.portproxies[0]
    assert (p["host"], p["listen_address"], p["listen_port"], p["connect_address"], p["connect_port"]) == (
        "MSEDGEWIN10", "0.0.0.0", 8080, "192.168.1.1", 8000,
    )  # fmt: skip
    # Sysmon logged SetValue and DeleteValue in the same millisecond; record ids order them
    assert p["first_seen"] == p["removed_at"] == "2019-07-29T21:33:59.803Z"
    assert [o["op"] for o in p["operations"]] == ["add", "delete"]
    assert [(e["kind"], e["line"]) for e in p["evidence"]] == [
        ("process", 63), ("process", 64), ("process", 69), ("process", 70),
        ("registry", 72), ("registry", 73),
    ]  # fmt: skip
    assert p["risk"] == "high"


# --- the command ---------------------------------------------------------------------------------

EXPECTED_DIR = [
    # host, family, listen, port, connect, cport, first_seen, removed_at, ops, risk, evidence count
    ("DEV01.corp.example", "v4tov4", "0.0.0.0", 3000, "172.30.16.3", 3000, "2024-03-05T09:15:00.24Z", None, ["add"], "low", 1),
    ("FS01", "v4tov4", "*", 4455, "10.1.3.5", 445, "2024-03-06T14:00:01.123456Z", None, ["add"], "high", 1),
    ("WEB01", "v4tov4", "0.0.0.0", 8080, "203.0.113.50", 443, "2024-03-06T14:05:00.41Z", "2024-03-06T16:00:00Z", ["add", "delete"], "high", 3),
    ("WS01", "v4tov4", "0.0.0.0", 9999, "10.1.2.20", 8443, "2024-03-01T10:00:00.3Z", "2024-03-02T08:00:00Z", ["add", "delete"], "high", 5),
    ("WS01", "v4tov4", "*", 50100, "10.1.2.30", 1433, "2024-03-01T10:05:00Z", "2024-03-03T00:00:00Z", ["set", "reset"], "high", 2),
    ("WS01", "v4tov4", "0.0.0.0", 7777, "10.1.2.40", 22, "2024-03-02T09:00:00Z", "2024-03-02T09:00:00Z", ["set", "delete"], "high", 2),
    ("WS01", "v4tov4", "192.0.2.10", 443, "10.1.2.21", 443, None, None, [], "high", 1),
    ("WS01", "v6tov4", "::", 8081, "10.1.2.22", 80, None, None, [], "high", 1),
    ("WS02", "v4tov4", "0.0.0.0", 50100, "10.1.2.50", 8443, "2024-03-04T12:00:00Z", None, ["add"], "high", 1),
    ("WS03", "v4tov4", "0.0.0.0", 33389, "10.1.4.9", 3389, "2024-03-07T08:00:00Z", "2024-03-07T08:30:00Z", ["add", "delete"], "high", 2),
    ("WS03", "v4tov6", "*", 8443, "2001:db8::20", 443, None, None, ["add"], "high", 1),
    ("WS04", "v4tov4", "0.0.0.0", 9999, "192.168.1.101", 22, None, None, [], "high", 1),
    ("WS04", "v4tov4", "*", 50100, "10.1.5.7", 1433, None, None, [], "high", 1),
    ("WS05.corp.example", "v4tov4", "0.0.0.0", 1433, "10.1.6.10", 1433, "2024-03-08T02:11:45Z", None, [], "high", 1),
    ("WS05.corp.example", "v6tov6", "::", 8443, "2001:db8::30", 443, "2024-03-08T02:11:45Z", None, [], "high", 1),
    ("WS06", "v4tov4", "0.0.0.0", 9090, "10.1.7.20", 3389, "2024-03-09T10:00:00Z", None, [], "high", 2),
    ("WS06", "v6tov4", "::", 9091, "10.1.7.22", 80, "2024-03-09T10:00:00Z", None, [], "high", 1),
    ("WS06", "v4tov4", "*", 50100, "fileserver.corp.example", 445, "2024-03-09T10:00:00Z", None, [], "medium", 1),
    ("WS06", "v4tov4", "*", 7070, "10.1.7.23", 7070, None, None, [], "high", 1),
    ("WS07", "v4tov4", "0.0.0.0", 445, "gzsc.example.cn", 4450, None, None, [], "medium", 1),
    ("WS07", "v4tov4", "*", 13333, "127.0.0.1", 12333, None, None, [], "low", 1),
    ("WS08.corp.example", "v4tov6", "0.0.0.0", 4443, "2001:db8::44", 443, "2024-03-13T10:00:00.45Z", "2024-03-13T11:00:00.45Z", ["set", "delete"], "high", 2),
    ("WS10.corp.example", "v4tov4", "0.0.0.0", 3390, "10.1.9.9", 3389, "2024-03-10T04:00:00Z", None, [], "high", 1),
]  # fmt: skip


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["harvest", *args], catch_exceptions=False)


def test_harvest_directory_mixing_every_source() -> None:
    result = _invoke(str(DATA), "--config", str(DATA / "site.yaml"), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc) == ["portproxies", "attempts", "iocs"]
    got = [
        (p["host"], p["family"], p["listen_address"], p["listen_port"], p["connect_address"],
         p["connect_port"], p["first_seen"], p["removed_at"], [o["op"] for o in p["operations"]],
         p["risk"], len(p["evidence"]))
        for p in doc["portproxies"]
    ]  # fmt: skip
    assert got == EXPECTED_DIR
    ws01 = doc["portproxies"][3]
    assert ws01["host_ips"] == ["10.1.1.10"]
    assert ws01["evidence"] == [
        {"kind": "registry", "path": str(DATA / "WS01/reg_query_portproxy.txt"), "line": 5,
         "raw": "    0.0.0.0/9999    REG_SZ    10.1.2.20/8443"},
        {"kind": "process", "path": str(DATA / "WS01/sysmon_portproxy.xml"), "line": 1,
         "raw": "cmd.exe /c netsh interface portproxy add v4tov4 listenport=9999 listenaddress=0.0.0.0 connectaddress=10.1.2.20 connectport=8443"},
        {"kind": "process", "path": str(DATA / "WS01/sysmon_portproxy.xml"), "line": 17,
         "raw": "netsh  interface portproxy add v4tov4 listenport=9999 listenaddress=0.0.0.0 connectaddress=10.1.2.20 connectport=8443"},
        {"kind": "registry", "path": str(DATA / "WS01/sysmon_portproxy.xml"), "line": 33,
         "raw": "SetValue HKLM\\System\\CurrentControlSet\\Services\\PortProxy\\v4tov4\\tcp\\0.0.0.0/9999 = 10.1.2.20/8443"},
        {"kind": "registry", "path": str(DATA / "WS01/sysmon_portproxy.xml"), "line": 61,
         "raw": "DeleteValue HKLM\\System\\CurrentControlSet\\Services\\PortProxy\\v4tov4\\tcp\\0.0.0.0/9999"},
    ]  # fmt: skip
    assert [(a["host"], a["reason"]) for a in doc["attempts"]] == [
        ("SRV01.corp.example", "unsupported protocol: udp"),
        ("WS03", "unresolved expression in connectaddress: $wslIp"),
    ]
    ids = {i["id"] for i in doc["iocs"]}
    assert {
        "ip_port:10.1.2.50:8443",
        "port_on_host:WS02:50100",
        "ip_port:[2001:db8::30]:443",
    } <= ids
    assert all(set(i) == {"id", "kind", "value", "role", "source"} for i in doc["iocs"])
    assert "15 file(s)" in result.stderr


def test_harvest_other_formats_and_out(tmp_path: Path) -> None:
    src = str(DATA / "WS06")
    table = _invoke(src, "--format", "table")
    assert table.exit_code == 0
    assert (
        "[high] WS06 v4tov4 0.0.0.0:9090 -> 10.1.7.20:3389  first seen 2024-03-09T10:00:00Z, active"
        in table.stdout
    )
    out = tmp_path / "h.yaml"
    assert _invoke(src, "--format", "yaml", "--out", str(out)).exit_code == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert [p["listen_port"] for p in doc["portproxies"]] == [9090, 9091, 50100, 7070]
    csv_text = _invoke(src, "--format", "csv", "--host", "JUMP9").stdout
    lines = csv_text.splitlines()
    assert lines[0].startswith("proxy_id,host,host_ips,family,listen_address,listen_port")
    assert len(lines) == 5 and all(",JUMP9," in line for line in lines[1:])
    out_csv = tmp_path / "h.csv"
    assert _invoke(str(DATA / "WS03"), "--format", "csv", "--out", str(out_csv)).exit_code == 0
    attempts = (tmp_path / "h.attempts.csv").read_text().splitlines()
    assert attempts[0].startswith("ts,host,logged_by,user,op,family")
    assert "unresolved expression in connectaddress: $wslIp" in attempts[1]
    assert (tmp_path / "h.iocs.csv").read_text().splitlines()[0] == "id,kind,value,role,source"


def test_harvest_missing_path_is_a_usage_error() -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        collect(["/nonexistent/evidence"], ParseContext())
    result = CliRunner().invoke(cli, ["harvest", "/nonexistent/evidence"])
    assert result.exit_code != 0


def test_remote_host_named_by_ip_and_process_logged_twice() -> None:
    cfg = config_from_dict({"hosts": {"APP02": {"ips": ["10.10.30.21"]}}})
    wmic = {"evidence_kind": "process", "host": "10.10.30.21", "logged_by": "WEB01",
            "remote_via": "wmic", "process": "C:\\Windows\\System32\\wbem\\WMIC.exe"}  # fmt: skip
    h = build(
        [
            ev("add", "2024-03-01T10:00:00.010", src_file="Security.xml", **wmic),
            ev("add", "2024-03-01T10:00:00.012", src_file="Sysmon.xml", **wmic),
            ev("add", "2024-03-01T10:00:00.900", evidence_kind="process", host="APP02",
               logged_by="APP02", process="netsh.exe", src_file="app02.xml"),
            ev("set", "2024-03-01T10:00:01.000", host="APP02", logged_by="APP02", src_file="app02.xml"),
        ],
        cfg,
    )  # fmt: skip
    assert brief(h) == [("APP02", 9999, "10.1.2.20", "2024-03-01T10:00:01Z", None, ["add"], False)]
    p = h.portproxies[0]
    assert p["remote_via"] == ["wmic"] and p["risk"] == "high"
    assert sorted(e["path"] for e in p["evidence"]) == [
        "Security.xml",
        "Sysmon.xml",
        "app02.xml",
        "app02.xml",
    ]


def test_without_registry_the_local_process_dates_the_operation() -> None:
    h = build(
        [
            ev("add", "2024-03-01T10:00:00.100", evidence_kind="process", process="cmd.exe"),
            ev("add", "2024-03-01T10:00:00.400", evidence_kind="process", process="netsh.exe"),
        ]
    )
    assert brief(h) == [("WS01", 9999, "10.1.2.20", "2024-03-01T10:00:00.1Z", None, ["add"], False)]


def test_iocs_export_command() -> None:
    result = CliRunner().invoke(
        cli, ["iocs", "export", str(DATA / "WS06"), "--format", "txt"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "10.1.7.20",
        "10.1.7.22",
        "10.1.7.23",
        "10.1.7.20:3389",
        "10.1.7.22:80",
        "10.1.7.23:7070",
        "WS06:50100",
        "WS06:7070",
        "WS06:9090",
        "WS06:9091",
    ]
    stix = json.loads(
        CliRunner().invoke(cli, ["iocs", "export", str(DATA / "WS06"), "--format", "stix"]).stdout
    )
    assert [o["pattern"] for o in stix["objects"]][:1] == ["[ipv4-addr:value = '10.1.7.20']"]
    assert len(stix["objects"]) == 6  # port_on_host has no STIX observable


def test_assess_directly_and_a_malformed_allowlist_entry() -> None:
    from iocs.risk import assess

    cfg = config_from_dict({"allowlist": {"portproxies": [{"host": "WS01", "listen_port": "x"}]}})
    assert assess("WS01", ("::", 8443), ("2001:db8::30", 443), [], [], [], cfg) == (
        "high",
        ["listens on all addresses and relays to external address 2001:db8::30"],
    )
    assert assess("WS01", ("127.0.0.1", 80), ("127.0.0.1", 8080), ["CORP\\dev"], [], [], cfg) == (
        "low",
        ["relays to loopback 127.0.0.1"],
    )


def test_set_without_connectaddress_keeps_the_target_and_unknown_host() -> None:
    h = build(
        [
            ev("add", "2024-03-01T10:00:00", evidence_kind="process", process="netsh.exe", host=None, logged_by=None),
            ev("set", "2024-03-01T11:00:00", ca=None, connect_port=81, evidence_kind="process",
               process="netsh.exe", host=None, logged_by=None),
        ]
    )  # fmt: skip
    assert [
        (p["host"], p["connect_address"], p["connect_port"], p["removed_at"]) for p in h.portproxies
    ] == [
        ("unknown", "10.1.2.20", 8443, "2024-03-01T11:00:00Z"),
        ("unknown", "10.1.2.20", 81, None),
    ]
