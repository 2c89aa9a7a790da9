"""IOC files (plain text, CSV, STIX 2.1) and indicator export."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fwcorr.errors import InputError
from fwcorr.schema import IOC, REJECT
from iocs import export, iocfiles

TEXT = """\
# Volt Typhoon indicators shared by the CERT (TLP:AMBER)
198.51.100.7
203.0.113.0/24          # hosting range
203.0.113.9/32
10.1.2.20:8443
[2001:DB8::5]:443
2001:db8::/48
192.0.2[.]44
WS01:9999
999.1.1.1
10.0.0.1:70000
evil.example.com
10.0.0.0/33
// trailing note
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _expected(rows: list[tuple], source: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            (f"{k}:{v}", k, v, role, source, ip, cidr, port, host)
            for k, v, role, ip, cidr, port, host in rows
        ],
        schema=IOC,
        orient="row",
    )


def test_plain_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "iocs.txt", TEXT)
    frame, rejects = iocfiles.load(path)
    role = "ioc_file"
    assert_frame_equal(
        frame,
        _expected(
            [
                ("ip", "198.51.100.7", role, "198.51.100.7", None, None, None),
                ("cidr", "203.0.113.0/24", role, None, "203.0.113.0/24", None, None),
                ("ip", "203.0.113.9", role, "203.0.113.9", None, None, None),
                ("ip_port", "10.1.2.20:8443", role, "10.1.2.20", None, 8443, None),
                ("ip_port", "[2001:db8::5]:443", role, "2001:db8::5", None, 443, None),
                ("cidr", "2001:db8::/48", role, None, "2001:db8::/48", None, None),
                ("ip", "192.0.2.44", role, "192.0.2.44", None, None, None),
                ("port_on_host", "WS01:9999", role, None, None, 9999, "WS01"),
            ],
            str(path),
        ),
    )
    assert rejects.collect_schema() == REJECT
    assert rejects.select("line", "reason").rows() == [
        (10, "not an IP, CIDR or IP:port: '999.1.1.1'"),
        (11, "bad port '70000'"),
        (12, "not an IP, CIDR or IP:port: 'evil.example.com'"),
        (13, "not an IP, CIDR or IP:port: '10.0.0.0/33'"),
    ]


def test_csv_with_header(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "iocs.csv",
        "indicator,port,role,description\n"
        "198.51.100.7,,c2,VPS used for staging\n"
        "10.1.2.20,8443,portproxy_target,internal target\n"
        "2001:db8::9,443,c2,\n"
        "not-an-ip,,c2,typo\n",
    )
    frame, rejects = iocfiles.load(path)
    assert frame.select("id", "role", "port").rows() == [
        ("ip:198.51.100.7", "c2", None),
        ("ip_port:10.1.2.20:8443", "portproxy_target", 8443),
        ("ip_port:[2001:db8::9]:443", "c2", 443),
    ]
    assert rejects.select("line", "reason").rows() == [
        (5, "not an IP, CIDR or IP:port: 'not-an-ip'")
    ]


def test_csv_without_value_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.csv", "name,comment\nx,y\n")
    assert iocfiles.detect(path.read_text()) == "text"
    with pytest.raises(InputError, match="needs one of the columns"):
        iocfiles.load_csv(path.read_text(), str(path))


def test_stix_bundle(tmp_path: Path) -> None:
    def ind(n: int, pattern: str, ptype: str = "stix") -> dict:
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-00000000000{n}",
            "created": "2024-03-01T00:00:00.000Z",
            "modified": "2024-03-01T00:00:00.000Z",
            "pattern": pattern,
            "pattern_type": ptype,
            "valid_from": "2024-03-01T00:00:00Z",
        }

    bundle = {
        "type": "bundle",
        "id": "bundle--11111111-1111-4111-8111-111111111111",
        "objects": [
            {"type": "identity", "spec_version": "2.1", "id": "identity--x", "name": "CERT"},
            ind(1, "[ipv4-addr:value = '198.51.100.7']"),
            ind(2, "[ipv6-addr:value = '2001:db8::7']"),
            ind(
                3,
                "[network-traffic:dst_ref.type = 'ipv4-addr' AND "
                "network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 8443]",
            ),
            ind(4, "[ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.0/28']"),
            ind(5, "[network-traffic:dst_port = 50100]"),
            ind(6, "title: x", "sigma"),
            ind(7, "[domain-name:value = 'evil.example.com']"),
            ind(8, "[ipv4-addr:value IN ('198.51.100.8', '198.51.100.9')]"),
        ],
    }
    path = _write(tmp_path, "bundle.json", json.dumps(bundle, indent=2))
    frame, rejects = iocfiles.load(path)
    assert frame.select("id").to_series().to_list() == [
        "ip:198.51.100.7",
        "ip:2001:db8::7",
        "ip_port:203.0.113.5:8443",
        "ip:192.0.2.1",
        "cidr:192.0.2.0/28",
        "ip:198.51.100.8",
        "ip:198.51.100.9",
    ]
    text = path.read_text()

    def line_of(n: int) -> int:
        return text[: text.index(f"00000000000{n}")].count("\n") + 1

    assert rejects.select("line", "reason").rows() == [
        (line_of(5), "pattern has no ipv4-addr/ipv6-addr/network-traffic address"),
        (line_of(6), "pattern_type sigma not supported"),
        (line_of(7), "pattern has no ipv4-addr/ipv6-addr/network-traffic address"),
    ]


def test_export_round_trips(tmp_path: Path) -> None:
    frame, _ = iocfiles.load(_write(tmp_path, "iocs.txt", TEXT))
    txt, _ = iocfiles.load(_write(tmp_path, "out.txt", export.to_txt(frame)))
    assert txt.get_column("id").to_list() == frame.get_column("id").to_list()
    stix, rejects = iocfiles.load(_write(tmp_path, "out.json", export.to_stix(frame)))
    swept = frame.filter(pl.col("kind") != "port_on_host")
    assert stix.get_column("id").to_list() == swept.get_column("id").to_list()
    assert rejects.height == 0
    assert export.to_stix(frame) == export.to_stix(frame)  # deterministic ids
    assert export.to_csv(frame).splitlines()[0] == "id,kind,value,role,source"


def test_csv_export_neutralises_formulas() -> None:
    frame = pl.DataFrame(
        [("ip:10.0.0.1", "ip", "10.0.0.1", "=HYPERLINK(1)", "x", "10.0.0.1", None, None, None)],
        schema=IOC,
        orient="row",
    )
    assert "'=HYPERLINK(1)" in export.to_csv(frame)


# --- hypothesis: any mix of good and bad lines --------------------------------------------------

good_v4 = st.ip_addresses(v=4).map(str)
good_v6 = st.ip_addresses(v=6).filter(lambda a: a.ipv4_mapped is None).map(str)
ports = st.integers(1, 65535)
good = st.one_of(
    good_v4.map(lambda a: (a, f"ip:{a}")),
    good_v6.map(lambda a: (a, f"ip:{ipaddress.IPv6Address(a).compressed}")),
    st.tuples(good_v4, ports).map(lambda t: (f"{t[0]}:{t[1]}", f"ip_port:{t[0]}:{t[1]}")),
    st.tuples(good_v6, ports).map(
        lambda t: (f"[{t[0]}]:{t[1]}", f"ip_port:[{ipaddress.IPv6Address(t[0]).compressed}]:{t[1]}")
    ),
    st.tuples(good_v4, st.integers(8, 30)).map(
        lambda t: (
            f"{t[0]}/{t[1]}",
            f"cidr:{ipaddress.IPv4Network(f'{t[0]}/{t[1]}', strict=False)}",
        )
    ),
)
bad = st.one_of(
    st.tuples(st.integers(256, 999), st.integers(0, 255)).map(lambda t: f"{t[0]}.1.2.{t[1]}"),
    st.tuples(good_v4, st.integers(65536, 99999)).map(lambda t: f"{t[0]}:{t[1]}"),
    st.text(alphabet="xyz-.", min_size=1, max_size=12).filter(lambda s: s.strip(".-")),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(good.map(lambda g: ("good", g)), bad.map(lambda b: ("bad", b))), max_size=25)
)
def test_text_reader_loads_good_lines_and_rejects_bad(entries: list[tuple[str, object]]) -> None:
    lines = ["# generated"]
    want_ids: list[str] = []
    want_bad: list[int] = []
    for kind, value in entries:
        if kind == "good":
            text, ident = value  # type: ignore[misc]
            lines.append(text)
            if ident not in want_ids:
                want_ids.append(ident)
        else:
            lines.append(str(value))
            want_bad.append(len(lines))
    rows, rejects = iocfiles.load_text("\n".join(lines) + "\n", "gen.txt")
    ids = list(dict.fromkeys(r["id"] for r in rows))
    assert ids == want_ids
    assert [r[0] for r in rejects] == want_bad
