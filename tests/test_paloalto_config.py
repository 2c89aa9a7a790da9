"""PAN-OS CONFIG -> RULE_CHANGE: the three layouts, path/operation/object mapping, corpus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from fwcorr.context import ParseContext
from fwcorr.inputs import Source
from fwcorr.schema import RULE_CHANGE
from parsers import paloalto
from parsers.paloalto_config import attributes, parse_detail
from tests.conftest import corpus_file

DATA = Path(__file__).parent / "data" / "paloalto"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_config_layouts() -> None:
    result = paloalto.parse(
        Source(DATA / "config_layouts.log", "config_layouts.log"), ParseContext()
    )
    raw = (DATA / "config_layouts.log").read_text().splitlines()
    before2 = 'jump-host { ip-netmask 10.1.1.20/32; description "old, box"; }'
    after2 = 'jump-host { ip-netmask 10.1.1.21/32; description "old, box"; }'
    after3 = (
        "allow-9999 { from [ untrust ]; to [ trust ]; destination [ 198.51.100.10 ]; "
        "service [ tcp-9999 ]; action allow; }"
    )
    expected = pl.DataFrame(
        {
            # all times carry -05:00 in the high-resolution timestamp
            "ts": [
                _utc(2026, 12, 4, 15, 1, 12),
                _utc(2026, 12, 4, 15, 2, 0),
                _utc(2026, 12, 4, 15, 3, 30),
                _utc(2026, 12, 4, 15, 5, 0),
                _utc(2026, 12, 4, 15, 6, 0),
            ],
            "vendor": ["paloalto"] * 5,
            "device": ["PA-EDGE-01", "PA-EDGE-01", "PA-EDGE-01", "panorama-01", "PA-EDGE-01"],
            "admin": ["mallory", "mallory", "mallory", "panadmin", "mallory"],
            "client": ["Web", "CLI", "XML API", "Panorama", "Web"],
            "client_ip": ["192.0.2.50"] * 3 + ["192.0.2.60", "192.0.2.50"],
            "operation": ["modify", "modify", "add", "delete", "other"],
            "command": ["set", "edit", "set", "delete", "commit"],
            "object_type": ["nat_rule", "address", "security_rule", "security_rule", "other"],
            "object_name": ["NAT-IN-9999", "jump-host", "allow-9999", "block-legacy", None],
            "path": [
                "vsys vsys1 rulebase nat rules NAT-IN-9999",
                "vsys vsys1 address jump-host",
                "vsys vsys1 rulebase security rules allow-9999",
                "device-group DG-EDGE post-rulebase security rules block-legacy",
                None,
            ],
            "attributes": [
                [],
                [{"name": "ip-netmask", "old": "10.1.1.20/32", "new": "10.1.1.21/32"}],
                [
                    {"name": "from", "old": None, "new": "[ untrust ]"},
                    {"name": "to", "old": None, "new": "[ trust ]"},
                    {"name": "destination", "old": None, "new": "[ 198.51.100.10 ]"},
                    {"name": "service", "old": None, "new": "[ tcp-9999 ]"},
                    {"name": "action", "old": None, "new": "allow"},
                ],
                [],
                [],
            ],
            "before": [None, before2, None, None, None],
            "after": [None, after2, after3, None, None],
            "result": ["Submitted", "Succeeded", "Succeeded", "Succeeded", "Submitted"],
            "transaction_id": [None] * 5,
            "ha_sync": [None] * 5,
            "truncated": [None, False, False, None, None],
            "raw": raw,
            "src_file": ["config_layouts.log"] * 5,
            "src_line": [1, 2, 3, 4, 5],
            "record_id": [None] * 5,
        },
        schema=RULE_CHANGE,
    )
    assert_frame_equal(result.rule_changes, expected)
    assert result.stats["by_type"] == {"CONFIG": 5}


def test_detail_parser() -> None:
    text = 'r1 { from [ a b ]; description "x; y"; profile-setting { group default; } }'
    assert parse_detail(text) == {
        "from": "[ a b ]",
        "description": "x; y",
        "profile-setting": "{ group default; }",
    }
    assert attributes("r { action deny; }", "r { action allow; }") == [
        {"name": "action", "old": "deny", "new": "allow"}
    ]
    assert parse_detail(None) == {} and parse_detail("no braces") == {}


def test_elastic_corpus_config_sample() -> None:
    """Check against Elastic's expected output for real CONFIG lines (layouts 1 and 3)."""
    path = corpus_file("paloalto", "test-panw-panos-config-sample.log")
    expected = json.loads(Path(f"{path}-expected.json").read_text())["expected"]
    result = paloalto.parse(Source(path, path.name), ParseContext())
    assert result.rejected == 0 and result.records == len(expected)
    got = result.rule_changes.to_dicts()
    for mine, theirs in zip(got, expected, strict=True):
        panos = theirs["panw"]["panos"]
        assert (mine["admin"], mine["client"]) == (panos["admin"], panos["client_type"])
        assert mine["path"] == " ".join(panos["path"].split())
        # Our ts (generated time at the record's offset) is the high-res instant, to the second
        # (the sample's high-res years were edited by hand; compare the UTC wall time only).
        hires = datetime.fromisoformat(panos["high_resolution_timestamp"]).astimezone(UTC)
        assert mine["ts"].time() == hires.replace(microsecond=0).time()
        assert mine["after"] == ((panos.get("after_change_detail") or "").strip() or None)
        assert mine["before"] == ((panos.get("before_change_detail") or "").strip() or None)
        assert mine["result"] == panos.get("result", mine["result"])
    assert [r["operation"] for r in got] == ["add", "add", "add", "move", "modify", "modify"]
    assert [r["object_name"] for r in got][2:4] == ["reset-adult", "block-81.2.69.193"]


def test_elastic_corpus_old_format_mix() -> None:
    path = corpus_file("paloalto", "test-panw-panos-inc-other-sample.log")
    result = paloalto.parse(Source(path, path.name), ParseContext())
    assert (result.units, result.records, result.rejected) == (35, 35, 0)
    assert result.stats["by_type"] == {"CONFIG": 7, "SYSTEM": 26, "TRAFFIC": 2}
    last = result.connections.row(1, named=True)
    # A 10.x drop line with whitespace-only columns and a high-resolution timestamp moved left.
    assert (last["src_ip"], last["dst_port"], last["action"], last["device"]) == (
        "10.1.0.12",
        80,
        "drop",
        "PA-VM",
    )
