"""The CLI starts light: names it validates mirror the registries; hashing can start early."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import parsers
from fwcorr import inputs
from fwcorr.inputs import Source, census_ahead
from fwcorr.names import FORMATS, VENDORS
from fwcorr.output import write_table


def test_vendor_names_mirror_the_parser_registry() -> None:
    assert tuple(parsers.PARSERS) == VENDORS


def test_every_cli_format_has_a_writer(tmp_path: Path) -> None:
    import polars as pl

    frame = pl.DataFrame({"a": [1, 2]})
    written = sorted(write_table(frame, tmp_path / "t", fmt).name for fmt in FORMATS)
    assert written == ["t.csv", "t.jsonl", "t.parquet"]
    assert all((tmp_path / name).stat().st_size > 0 for name in written)


def test_cli_import_does_not_load_polars_or_parsers() -> None:
    code = "import sys, fwcorr.cli; print(sorted(m for m in ('polars', 'parsers', 'iocs') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_census_ahead_is_used_and_matches(tmp_path: Path) -> None:
    f = tmp_path / "a.log"
    f.write_bytes(b'x,"y"\n' * 1000 + b"{\n")
    census_ahead([str(tmp_path)])
    key = inputs._identity(f)
    assert key in inputs._AHEAD
    src = Source(path=f, display=str(f))
    got = src.census()
    assert inputs._AHEAD[key].done()
    assert got.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert got.present == frozenset({b'"', b"{"})


def test_census_ahead_ignores_bad_paths(tmp_path: Path) -> None:
    census_ahead([str(tmp_path / "missing")])  # the real walk reports it, not this
