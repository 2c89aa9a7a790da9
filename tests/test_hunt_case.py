"""End to end: `fwcorr hunt` on the bundled example case, checked against its ground truth."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CASE = REPO / "examples" / "case"
TRUTH = json.loads((CASE / "ground_truth.json").read_text())


def _ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _close(a: str | None, b: str | None, seconds: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs((_ts(a) - _ts(b)).total_seconds()) <= seconds


def _hunt(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "fwcorr",
            "hunt",
            str(CASE),
            "--config",
            str(CASE / "site.yaml"),
            "--out",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def hunted(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path, dict]:
    before = _tree_digest(CASE)
    out = tmp_path_factory.mktemp("hunt")
    proc = _hunt(out)
    assert _tree_digest(CASE) == before, "hunt modified the evidence directory"
    return proc, out, json.loads((out / "findings.json").read_text())


def test_exit_code_and_summary(hunted) -> None:
    proc, out, _ = hunted
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"report: {out / 'report' / 'index.html'}" in proc.stdout
    for name in (
        "findings.json",
        "connections.parquet",
        "rule_changes.parquet",
        "hits.parquet",
        "rejects.jsonl",
        "report/index.html",
    ):
        assert (out / name).is_file(), name


def test_every_planted_proxy_is_found(hunted) -> None:
    _, _, findings = hunted
    for planted in TRUTH["portproxies"]:
        match = [
            p
            for p in findings["portproxies"]
            if p["host"] == planted["host"]
            and p["listen_port"] == planted["listen_port"]
            and p["connect_address"] == planted["connect_address"]
            and p["connect_port"] == planted["connect_port"]
            and p["family"] == planted["family"]
        ]
        assert len(match) == 1, planted
        found = match[0]
        assert found["risk"] == "high", found["risk_reasons"]
        assert _close(found["first_seen"], planted["first_seen"], 5), (found["first_seen"], planted)
        assert _close(found["removed_at"], planted["removed_at"], 5), (found["removed_at"], planted)
        assert found["evidence"] and all(e["path"] and e["line"] for e in found["evidence"])


def test_every_forwarded_session_is_traced_with_its_hops(hunted) -> None:
    _, _, findings = hunted
    assert len(findings["traces"]) == len(TRUTH["sessions"])
    for planted in TRUTH["sessions"]:
        match = [
            t
            for t in findings["traces"]
            if t["origin_ip"] == planted["origin_ip"] and t["origin_port"] == planted["origin_port"]
        ]
        assert len(match) == 1, planted
        trace = match[0]
        assert (trace["entry_ip"], trace["entry_port"]) == (
            planted["entry_ip"],
            planted["entry_port"],
        )
        assert [
            (h["host"], h["listen_port"], h["connect_ip"], h["connect_port"]) for h in trace["hops"]
        ] == [
            (h["host"], h["listen_port"], h["connect_ip"], h["connect_port"])
            for h in planted["hops"]
        ]
        assert (trace["target_ip"], trace["target_port"]) == (
            planted["target_ip"],
            planted["target_port"],
        )
        assert _close(trace["start"], planted["start"], 2)
        assert 0 < trace["confidence"] <= 1
        assert trace["evidence"]


def test_rule_changes_rated_as_expected(hunted) -> None:
    _, _, findings = hunted
    by_name = {(c["device"], c["object_name"]): c for c in findings["rule_changes"]}
    for planted in TRUTH["rule_changes"]:
        found = by_name[(planted["device"], planted["object_name"])]
        if planted["expect_high"]:
            assert found["severity"] == "high", (planted["object_name"], found["reasons"])
            assert found["reasons"]
    for benign in TRUTH["benign"]:
        if benign["kind"] == "rule_change":
            assert by_name[(benign["device"], benign["object_name"])]["severity"] != "high"


def test_benign_look_alikes_not_flagged(hunted) -> None:
    _, _, findings = hunted
    for benign in TRUTH["benign"]:
        if benign["kind"] == "portproxy":
            found = [p for p in findings["portproxies"] if p["host"] == benign["host"]]
            assert found and all(p["risk"] != "high" for p in found)
        if benign["kind"] == "session":
            assert not [t for t in findings["traces"] if t["origin_ip"] == benign["src_ip"]]


def test_malformed_lines_rejected_and_unknown_files_listed(hunted) -> None:
    _, out, findings = hunted
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    for bad in TRUTH["malformed"]:
        assert any(r["path"].endswith(bad["path"]) and r["line"] == bad["line"] for r in rejects), (
            bad
        )
    formats = {
        Path(i["path"]).relative_to(CASE).as_posix(): i["format"] for i in findings["inputs"]
    }
    for unknown in TRUTH["unknown_files"]:
        assert formats[unknown] == "unknown"
    for entry in findings["inputs"]:
        assert len(entry["sha256"]) == 64 and entry["bytes"] > 0


def test_findings_are_deterministic(hunted, tmp_path: Path) -> None:
    _, _, first = hunted
    again = _hunt(tmp_path / "again")
    assert again.returncode == 1
    second = json.loads((tmp_path / "again" / "findings.json").read_text())
    first = {k: v for k, v in first.items() if k != "generated_at"}
    second = {k: v for k, v in second.items() if k != "generated_at"}
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_usage_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "fwcorr",
            "hunt",
            str(tmp_path / "nope"),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert missing.returncode == 2
    assert "no such file or directory" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("devices:\n  FW1:\n    timezone: Mars/Olympus\n")
    config = _hunt(tmp_path / "o2", "--config", str(bad))
    assert config.returncode == 2
    assert "Mars/Olympus" in config.stderr and "Traceback" not in config.stderr
    inside = _hunt(CASE / "out")
    assert inside.returncode == 2 and "inside the evidence" in inside.stderr
    assert not (CASE / "out").exists()


def test_hosts_ranked_by_exposure(hunted) -> None:
    _, _, findings = hunted
    exposure = {h["host"]: h["exposure"] for h in findings["hosts"]}
    for host in ("WEB01", "APP02", "APP03", "DB01"):
        assert exposure[host] == "high", host
    assert exposure["DEV01"] != "high"
    ranks = [("high", "medium", "low", "none").index(h["exposure"]) for h in findings["hosts"]]
    assert ranks == sorted(ranks)
    web = next(h for h in findings["hosts"] if h["host"] == "WEB01")
    assert web["ips"] == ["10.10.20.15"] and web["portproxies"] == 1 and web["traces"] == 4
    assert any(i["port"] == 9999 and i["peers"] == ["198.51.100.23"] for i in web["inbound"])
