"""FortiGate configuration-change events -> RULE_CHANGE; cfgattr and ui parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from fwcorr.schema import ATTRIBUTE, RULE_CHANGE
from parsers import fortinet
from parsers.fortinet_config import parse_cfgattr, parse_ui
from parsers.fortinet_maps import object_type

DATA = Path(__file__).parent / "data" / "fortinet"
COLS = (
    "ts",
    "device",
    "admin",
    "client",
    "client_ip",
    "operation",
    "command",
    "object_type",
    "object_name",
    "path",
    "transaction_id",
    "ha_sync",
    "truncated",
    "src_line",
)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def attrs(*items: tuple[str, str | None, str | None]) -> list[dict[str, str | None]]:
    return [{"name": n, "old": o, "new": v} for n, o, v in items]


def changes() -> pl.DataFrame:
    src = Source(path=DATA / "config_changes.log", display="config_changes.log")
    result = fortinet.parse(src, ParseContext())
    assert (result.units, result.records, result.non_records, result.rejected) == (9, 7, 2, 0)
    assert result.stats["by_type"] == {"event:system": 8, "event:vpn": 1}
    return result.rule_changes


POLICY_ADD = (
    "name[allow-rdp-in]srcintf[wan1]dstintf[port2]srcaddr[all]dstaddr[VIP-RDP]action[accept]"
    "schedule[always]service[RDP]logtraffic[all]"
)


def test_rule_change_rows() -> None:
    frame = changes()
    dev = "FGT-EDGE-01"
    rows = [
        (ts("2024-03-05T10:00:01"), dev, "jdoe", "GUI", "192.0.2.10", "add", "Add",
         "security_rule", "42", "firewall.policy", "1234567", False, False, 1),
        (ts("2024-03-05T10:05:00"), dev, "jdoe", "GUI", "192.0.2.10", "modify", "Edit",
         "security_rule", "42", "firewall.policy", "1234570", False, False, 2),
        (ts("2024-03-05T10:10:00"), dev, "jdoe", "GUI", "192.0.2.10", "delete", "Delete",
         "security_rule", "42", "firewall.policy", "1234575", False, False, 3),
        (ts("2024-03-05T09:58:00"), dev, "jdoe", "ssh", "192.0.2.10", "add", "Add", "vip",
         "VIP-RDP", "firewall.vip", "1234560", False, False, 4),
        (ts("2024-03-05T09:50:00"), dev, "admin", "jsconsole", "192.0.2.10", "add", "Add",
         "admin", "svc_backup", "system.admin", "1234550", False, False, 5),
        (ts("2024-03-05T10:00:01.5"), "FGT-EDGE-02", "jdoe", "ha_daemon", None, "add", "Add",
         "security_rule", "42", "firewall.policy", "1234567", True, False, 6),
        (ts("2024-03-05T10:20:00"), dev, "jdoe", "CLI", None, "add", "Add", "address",
         "BIG-GROUP", "firewall.addrgrp", "1234580", False, True, 7),
    ]  # fmt: skip
    want = pl.DataFrame(
        [dict(zip(COLS, r, strict=True)) for r in rows], schema={c: RULE_CHANGE[c] for c in COLS}
    )
    assert_frame_equal(frame.select(COLS), want)
    assert frame.get_column("vendor").unique().to_list() == ["fortinet"]
    assert frame.get_column("raw")[0].startswith('<189>date=2024-03-05 time=11:00:01 devname="FGT')


def test_policy_add_edit_delete_attributes() -> None:
    frame = changes()
    add, edit, delete = (frame.row(i, named=True) for i in range(3))
    assert add["attributes"] == attrs(
        ("name", None, "allow-rdp-in"),
        ("srcintf", None, "wan1"),
        ("dstintf", None, "port2"),
        ("srcaddr", None, "all"),
        ("dstaddr", None, "VIP-RDP"),
        ("action", None, "accept"),
        ("schedule", None, "always"),
        ("service", None, "RDP"),
        ("logtraffic", None, "all"),
    )
    assert (add["before"], add["after"]) == (None, POLICY_ADD)
    # old->new edits, values with spaces and brackets
    assert edit["attributes"] == attrs(
        ("dstaddr", "VIP-RDP", "VIP-RDP VIP-SQL"),
        ("service", "RDP", "RDP MS-SQL"),
        ("comments", "", "opened for vendor [ticket 7]"),
    )
    assert edit["before"] == "dstaddr[VIP-RDP]service[RDP]comments[]"
    assert edit["after"] == (
        "dstaddr[VIP-RDP VIP-SQL]service[RDP MS-SQL]comments[opened for vendor [ticket 7]]"
    )
    assert (delete["attributes"], delete["before"], delete["after"]) == ([], None, None)


def test_vip_port_forward_attributes() -> None:
    vip = changes().row(3, named=True)
    assert {a["name"]: a["new"] for a in vip["attributes"]} == {
        "extip": "198.51.100.21",
        "mappedip": "10.1.1.21",
        "extintf": "wan1",
        "portforward": "enable",
        "protocol": "tcp",
        "extport": "8443",
        "mappedport": "3389",
    }


def test_admin_add_via_jsconsole_and_ha_duplicate() -> None:
    frame = changes()
    admin = frame.row(4, named=True)
    assert admin["attributes"] == attrs(
        ("accprofile", None, "super_admin"), ("vdom", None, "root"), ("password", None, "*")
    )
    dup = frame.row(5, named=True)
    assert (dup["ha_sync"], dup["client"], dup["attributes"]) == (
        True,
        "ha_daemon",
        frame.row(0, named=True)["attributes"],
    )


def test_truncated_cfgattr_keeps_what_parses() -> None:
    cut = changes().row(6, named=True)
    assert cut["attributes"] == attrs(("name", None, "BIG-GROUP"), ("color", None, "3"))
    assert cut["truncated"] is True


def test_parse_cfgattr_and_ui_units() -> None:
    assert parse_cfgattr("groups[->vpn]") == (attrs(("groups", "", "vpn")), False)
    assert parse_cfgattr("old-password[*]password[*]") == (
        attrs(("old-password", None, "*"), ("password", None, "*")),
        False,
    )
    assert parse_cfgattr("") == ([], False)
    assert parse_cfgattr("name[a]member[x y") == (attrs(("name", None, "a")), True)
    assert parse_ui("GUI(10.1.2.3)") == ("GUI", "10.1.2.3")
    assert parse_ui("jsconsole(2001:DB8:0::5)") == ("jsconsole", "2001:db8::5")
    assert parse_ui("ssh(::ffff:192.0.2.10)") == ("ssh", "192.0.2.10")
    assert parse_ui("CLI") == ("CLI", None)
    assert parse_ui("fgfm_tunnel") == ("fgfm_tunnel", None)
    assert parse_ui(None) == (None, None)


def test_object_type_mapping() -> None:
    cases = {
        "firewall.policy": "security_rule",
        "firewall.policy6": "security_rule",
        "firewall.vip": "vip",
        "firewall.vip6": "vip",
        "firewall.vipgrp": "vip",
        "firewall.central-snat-map": "nat_rule",
        "firewall.ippool": "nat_rule",
        "firewall.address": "address",
        "firewall.address6": "address",
        "firewall.addrgrp": "address",
        "firewall.service.custom": "service",
        "firewall.service.group": "service",
        "system.admin": "admin",
        "user.local": "other",
        "firewall.policyx": "other",
        None: "other",
    }
    assert {k: object_type(k) for k in cases} == cases


_NAME = st.from_regex(r"[a-z][a-z0-9\-]{0,12}", fullmatch=True)
_VALUE = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters=" .:/*_-"),
    min_size=1,
    max_size=30,
)


@settings(deadline=None)
@given(st.lists(st.tuples(_NAME, _VALUE, st.booleans()), min_size=1, max_size=12))
def test_cfgattr_round_trip(items: list[tuple[str, str, bool]]) -> None:
    text = "".join(f"{n}[{v}->{v}x]" if edit else f"{n}[{v}]" for n, v, edit in items)
    got, truncated = parse_cfgattr(text)
    assert truncated is False
    assert got == [
        {"name": n, "old": v if edit else None, "new": f"{v}x" if edit else v}
        for n, v, edit in items
    ]
    # cutting the text anywhere inside the last token keeps every earlier token
    last = text.rindex(items[-1][0] + "[")
    kept, cut = parse_cfgattr(text[: last + len(items[-1][0]) + 2])
    assert cut is True
    assert kept == got[:-1]


def test_attribute_struct_matches_schema() -> None:
    assert RULE_CHANGE["attributes"] == pl.List(ATTRIBUTE)
