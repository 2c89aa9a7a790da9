"""Rule-change triage on constructed RULE_CHANGE rows, as the parsers normalise them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from fwcorr.assets import build_assets
from fwcorr.changes import to_contract, triage
from fwcorr.config import config_from_dict
from fwcorr.schema import CONNECTION, IOC, PORTPROXY, RULE_CHANGE, conform

T = datetime(2024, 5, 4, 3, 0, tzinfo=UTC)  # a Saturday, 03:00 UTC
CONFIG = config_from_dict(
    {
        "hosts": {"WS01": {"ips": ["10.1.1.10"]}, "SRV02": {"ips": ["10.1.2.20"]}},
        "devices": {
            "PA-EDGE": {"perimeter": True, "untrusted_zones": ["untrust"]},
            "FGT-EDGE": {"perimeter": True, "untrusted_interfaces": ["wan1"]},
        },
    }
)
ASSETS = build_assets(CONFIG)
PROXIES = conform(
    pl.DataFrame(
        [{"proxy_id": "WS01:9999", "host": "WS01", "host_ips": ["10.1.1.10"],
          "listen_address": "0.0.0.0", "listen_port": 9999, "connect_address": "10.1.2.20",
          "connect_port": 8443, "first_seen": T + timedelta(minutes=12)}]
    ),
    PORTPROXY,
).collect()  # fmt: skip
NO_IOCS = pl.DataFrame(schema=IOC)


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def changes(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = [{"src_file": "cfg.log", "src_line": n, "ts": at(0)} | r
            for n, r in enumerate(rows, start=1)]  # fmt: skip
    return conform(
        pl.DataFrame(full, infer_schema_length=None, strict=False), RULE_CHANGE
    ).collect()


def conns(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = [{"action": "allow", "src_file": "traffic.log", "src_line": n} | r
            for n, r in enumerate(rows, start=1)]  # fmt: skip
    return conform(pl.DataFrame(full, infer_schema_length=None, strict=False), CONNECTION).collect()


def attrs(**kv: str) -> list[dict[str, str | None]]:
    return [{"name": k, "old": None, "new": v} for k, v in kv.items()]


PANOS_NAT_ADD = {
    "vendor": "paloalto", "device": "PA-EDGE", "admin": "admin", "client": "Web",
    "client_ip": "10.1.9.9", "operation": "add", "command": "set", "object_type": "nat_rule",
    "object_name": "inbound-9999",
    "path": "vsys  vsys1 rulebase nat rules  inbound-9999",
    "after": "inbound-9999 { destination-translation { translated-port 9999; "
             "translated-address 10.1.1.10; } to [ untrust ]; from [ untrust ]; "
             "source [ any ]; destination [ 203.0.113.10 ]; service service-https; }",
}  # fmt: skip
FORTI_VIP_ADD = {
    "ts": at(1), "vendor": "fortinet", "device": "FGT-EDGE", "admin": "admin",
    "client": "GUI", "client_ip": "198.51.100.66", "operation": "add", "command": "Add",
    "object_type": "vip", "object_name": "vip-rdp", "path": "firewall.vip",
    "attributes": attrs(name="vip-rdp", extip="203.0.113.20", mappedip="10.1.2.20",
                        extintf="wan1", portforward="enable", extport="33389",
                        mappedport="3389"),
}  # fmt: skip
COMMENT_EDIT = {
    "ts": at(2), "vendor": "paloalto", "device": "PA-EDGE", "admin": "admin", "client": "Web",
    "client_ip": "10.1.9.9", "operation": "modify", "command": "edit",
    "object_type": "security_rule", "object_name": "allow-web",
    "before": "allow-web { from [ untrust ]; to [ dmz ]; source [ any ]; "
              "destination [ 10.1.1.10 ]; action allow; description \"web\"; }",
    "after": "allow-web { from [ untrust ]; to [ dmz ]; source [ any ]; "
             "destination [ 10.1.1.10 ]; action allow; description \"web server\"; }",
}  # fmt: skip


def test_panos_nat_add_and_fortigate_vip_add_are_high_and_comment_edit_is_low() -> None:
    frame = triage(changes([PANOS_NAT_ADD, FORTI_VIP_ADD, COMMENT_EDIT]), conns([]), PROXIES,
                   NO_IOCS, ASSETS, CONFIG)  # fmt: skip
    got = frame.select("object_name", "severity", "reasons").to_dicts()
    assert got == [
        {"object_name": "inbound-9999", "severity": "high", "reasons": [
            "NAT rule maps 203.0.113.10 to internal 10.1.1.10:9999; 10.1.1.10 is port-proxy "
            "host WS01; 10.1.1.10:9999 is a harvested port-proxy port",
            "port proxy WS01:9999 created 12 min after this change",
        ]},
        {"object_name": "vip-rdp", "severity": "high", "reasons": [
            "VIP (port forward) maps 203.0.113.20 to internal 10.1.2.20:3389",
            "change made from external client IP 198.51.100.66",
        ]},
        {"object_name": "allow-web", "severity": "low", "reasons": [
            "routine edit (description)",
            "port proxy WS01:9999 created 10 min after this change",
        ]},
    ]  # fmt: skip
    assert frame.schema["reasons"] == pl.List(pl.String)
    assert frame.columns[: len(RULE_CHANGE)] == RULE_CHANGE.names()


def test_usage_after_change_and_contract_shape() -> None:
    add_rule = {
        "vendor": "paloalto", "device": "PA-EDGE", "admin": "admin", "client_ip": "10.1.9.9",
        "operation": "add", "object_type": "security_rule", "object_name": "allow-9999",
        "after": "allow-9999 { from [ untrust ]; to [ trust ]; source [ any ]; "
                 "destination [ 10.1.1.10 ]; service tcp-9999; action allow; }",
    }  # fmt: skip
    traffic = conns(
        [
            {"ts": at(-5), "device": "PA-EDGE", "rule": "allow-9999", "src_ip": "198.51.100.1"},
            {"ts": at(3), "device": "PA-EDGE", "rule": "allow-9999", "src_ip": "198.51.100.1"},
            {"ts": at(4), "device": "PA-EDGE", "rule": "allow-9999", "src_ip": "198.51.100.2"},
            {"ts": at(5), "device": "PA-EDGE", "rule": "allow-9999", "src_ip": "10.1.1.99"},
            {"ts": at(6), "device": "PA-OTHER", "rule": "allow-9999", "src_ip": "198.51.100.3"},
        ]
    )
    frame = triage(changes([add_rule]), traffic, PROXIES, NO_IOCS, ASSETS, CONFIG)
    assert to_contract(frame) == [
        {
            "ts": "2024-05-04T03:00:00Z", "vendor": "paloalto", "device": "PA-EDGE",
            "admin": "admin", "client": None, "client_ip": "10.1.9.9", "operation": "add",
            "object_type": "security_rule", "object_name": "allow-9999", "severity": "high",
            "reasons": [
                "permits traffic from untrusted zone untrust to internal 10.1.1.10; "
                "10.1.1.10 is port-proxy host WS01",
                "port proxy WS01:9999 created 12 min after this change",
            ],
            "evidence": {"path": "cfg.log", "line": 1},
            "first_use": "2024-05-04T03:03:00Z", "use_count": 3,
            "distinct_external_sources": 2,
            "usage": {
                "sessions": 3, "bytes": 0, "first": "2024-05-04T03:03:00Z",
                "last": "2024-05-04T03:05:00Z", "peers": ["198.51.100.1", "198.51.100.2"],
            },
            "nearest_proxy": "WS01:9999",
            "proxy_delta_s": 720.0,
        }
    ]  # fmt: skip


def test_medium_rules_and_admin_add() -> None:
    config = config_from_dict(
        {
            "hosts": {"WS01": {"ips": ["10.1.1.10"]}},
            "devices": {"PA-EDGE": {"perimeter": True, "untrusted_zones": ["untrust"]}},
            "allowlist": {"admins": ["alice"]},
            "change_windows": [{"days": ["sat"], "start": "02:00", "end": "04:00"}],
        }
    )
    rows = [
        # deny rule deleted, by alice inside the window
        {"vendor": "paloalto", "device": "PA-EDGE", "admin": "alice", "operation": "delete",
         "object_type": "security_rule", "object_name": "block-smb",
         "before": "block-smb { from [ untrust ]; to [ trust ]; source [ any ]; "
                   "destination [ any ]; application [ ms-ds-smb ]; action deny; }"},
        # bob, outside the change window, a new admin account
        {"ts": at(180), "vendor": "paloalto", "device": "PA-EDGE", "admin": "bob",
         "operation": "add", "object_type": "admin", "object_name": "svc-backup"},
        # Windows host firewall rule opening the harvested listen port on WS01
        {"vendor": "windows", "device": "WS01", "admin": "CORP\\it", "operation": "add",
         "object_type": "host_firewall_rule", "object_name": "Update Service",
         "attributes": attrs(Action="Allow", Direction="Inbound", LocalPorts="9000-9999",
                             Protocol="6")},
        # a commit
        {"vendor": "paloalto", "device": "PA-EDGE", "admin": "alice", "operation": "other",
         "object_type": "other", "object_name": "commit"},
    ]  # fmt: skip
    frame = triage(changes(rows), conns([]), PROXIES, NO_IOCS, build_assets(config), config)
    assert frame.select("object_name", "severity", "reasons").to_dicts() == [
        {"object_name": "block-smb", "severity": "medium", "reasons": ["deny rule block-smb deleted"]},
        {"object_name": "Update Service", "severity": "medium", "reasons": [
            "host firewall allows inbound on harvested listen port 9999 of WS01"]},
        {"object_name": "commit", "severity": "info", "reasons": []},
        {"object_name": "svc-backup", "severity": "high", "reasons": [
            "new admin account svc-backup",
            "perimeter change outside the configured change windows",
            "perimeter change by 'bob', not an allowlisted admin",
        ]},
    ]  # fmt: skip


def test_unlogged_rule_change_followed_by_untrusted_traffic() -> None:
    rows = [
        {"vendor": "fortinet", "device": "FGT-EDGE", "admin": "admin", "operation": "modify",
         "object_type": "security_rule", "object_name": "7"},
        {"vendor": "paloalto", "device": "PA-EDGE", "admin": "admin", "operation": "modify",
         "object_type": "security_rule", "object_name": "r2"},
        {"ts": at(1), "vendor": "paloalto", "device": "PA-EDGE", "admin": "admin",
         "operation": "modify", "object_type": "security_rule", "object_name": "quiet"},
    ]  # fmt: skip
    traffic = conns(
        [
            # FGT-EDGE: wan1 -> WS01:9999 (harvested listen port) after the change
            {"ts": at(30), "device": "FGT-EDGE", "src_intf": "wan1", "src_ip": "198.51.100.5",
             "dst_ip": "203.0.113.20", "dst_port": 9999, "nat_dst_ip": "10.1.1.10",
             "nat_dst_port": 9999},
            # PA-EDGE: untrust -> an ordinary internal server
            {"ts": at(40), "device": "PA-EDGE", "src_zone": "untrust", "src_ip": "198.51.100.6",
             "dst_ip": "10.1.5.5", "dst_port": 443},
            # blocked and outbound traffic do not count
            {"ts": at(41), "device": "PA-EDGE", "src_zone": "untrust", "action": "deny",
             "src_ip": "198.51.100.6", "dst_ip": "10.1.5.6", "dst_port": 445},
        ]
    )  # fmt: skip
    frame = triage(changes(rows), traffic, PROXIES, NO_IOCS, ASSETS, CONFIG)
    got = {r["object_name"]: (r["severity"], r["reasons"]) for r in frame.to_dicts()}
    assert got["7"] == ("high", [
        "rule change not detailed in the log, followed by 1 untrusted session(s) to internal "
        "hosts within 24 h (1 to a port-proxy host or harvested port)"])  # fmt: skip
    assert got["r2"] == ("medium", [
        "rule change not detailed in the log, followed by 1 untrusted session(s) to internal "
        "hosts within 24 h"])  # fmt: skip
    # 'quiet' (changed at +1 min) is followed by the same +40 min session
    assert got["quiet"][0] == "medium"


def test_fortigate_policy_to_a_vip_defined_in_the_evidence_is_high() -> None:
    policy = {
        "ts": at(2), "vendor": "fortinet", "device": "FGT-EDGE", "admin": "admin",
        "client_ip": "10.1.9.9", "operation": "add", "object_type": "security_rule",
        "object_name": "12", "path": "firewall.policy",
        "attributes": attrs(name="rdp-in", srcintf="wan1", dstintf="internal",
                            srcaddr="all", dstaddr="vip-rdp", action="accept",
                            service="RDP", schedule="always"),
    }  # fmt: skip
    frame = triage(changes([FORTI_VIP_ADD, policy]), conns([]), PROXIES, NO_IOCS, ASSETS, CONFIG)
    got = frame.filter(pl.col("object_name") == "12").select("severity", "reasons").row(0)
    assert got == ("high", ["permits traffic from untrusted zone wan1 to internal vip-rdp"])


def test_panos_security_rule_to_pre_nat_destination_follows_the_nat_rule() -> None:
    allow = {
        "ts": at(1), "vendor": "paloalto", "device": "PA-EDGE", "admin": "admin",
        "client_ip": "10.1.9.9", "operation": "add", "object_type": "security_rule",
        "object_name": "allow-9443",
        "after": "allow-9443 { to dmz; from untrust; source any; destination 203.0.113.10; "
                 "service svc-tcp-9443; action allow; }",
    }  # fmt: skip
    frame = triage(changes([PANOS_NAT_ADD, allow]), conns([]), PROXIES, NO_IOCS, ASSETS, CONFIG)
    got = frame.filter(pl.col("object_name") == "allow-9443").select("severity", "reasons").row(0)
    assert got == (
        "high",
        [
            "permits traffic from untrusted zone untrust to internal 203.0.113.10 (NAT to "
            "10.1.1.10); 10.1.1.10 is port-proxy host WS01",
            "port proxy WS01:9999 created 11 min after this change",
        ],
    )
    # without the NAT rule (and no DNAT in the traffic) the public destination is not internal
    alone = triage(changes([allow]), conns([]), PROXIES, NO_IOCS, ASSETS, CONFIG)
    assert alone.select("severity", "reasons").row(0) == ("low", [])
    # ... but DNAT seen in the device's own traffic logs is enough
    traffic = conns([{"ts": at(5), "device": "PA-EDGE", "src_ip": "198.51.100.7",
                      "dst_ip": "203.0.113.10", "dst_port": 9443, "nat_dst_ip": "10.1.1.10",
                      "nat_dst_port": 9999, "rule": "allow-9443"}])  # fmt: skip
    seen = triage(changes([allow]), traffic, PROXIES, NO_IOCS, ASSETS, CONFIG)
    assert seen.select("severity", "use_count").row(0) == ("high", 1)


def test_nat_rule_usage_is_its_destination_translation() -> None:
    dnat = {"device": "PA-EDGE", "dst_ip": "203.0.113.10", "nat_dst_ip": "10.1.1.10"}
    traffic = conns(
        [
            dnat | {"ts": at(-1), "src_ip": "198.51.100.1", "dst_port": 443, "nat_dst_port": 9999},
            dnat | {"ts": at(3), "src_ip": "198.51.100.1", "dst_port": 443, "nat_dst_port": 9999},
            dnat | {"ts": at(4), "src_ip": "198.51.100.2", "dst_port": 443, "nat_dst_port": 9999},
            # same public IP, another translation (the ordinary web server NAT): not this rule
            dnat | {"ts": at(5), "src_ip": "198.51.100.3", "dst_port": 443, "nat_dst_port": 443},
        ]
    )
    frame = triage(changes([PANOS_NAT_ADD]), traffic, PROXIES, NO_IOCS, ASSETS, CONFIG)
    assert frame.select("first_use", "use_count", "distinct_external_sources").row(0) == (
        at(3),
        2,
        2,
    )
