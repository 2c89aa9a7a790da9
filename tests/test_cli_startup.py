"""The CLI starts light: names it validates mirror the registries; hashing can start early."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import parsers
from fwcorr import census
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


def _sample(tmp_path: Path) -> Path:
    f = tmp_path / "a.log"
    f.write_bytes(b'x,"y"\n' * 400_000 + b"{\n")  # a little over 2 MiB: three chunks
    return f


def test_census_ahead_is_used_and_matches(tmp_path: Path) -> None:
    f = _sample(tmp_path)
    census_ahead([str(tmp_path)])
    job = census._JOBS[census.identity(f)]
    got = Source(path=f, display=str(f)).census()
    assert job._done.is_set()
    assert got.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert got.present == frozenset({b'"', b"{"})


def test_a_caller_takes_over_a_job_the_background_left_half_done(tmp_path: Path) -> None:
    f = _sample(tmp_path)
    job = census._Job(f)
    calls = iter([False, True])  # the background worker hashes one chunk, then is asked to stop
    job._advance(stop=lambda: next(calls))
    assert 0 < job._pos < f.stat().st_size and not job._done.is_set()
    got = job.result()  # no background owner now: the caller finishes from the saved position
    assert got.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert got.present == frozenset({b'"', b"{"})


class _StallingJob(census._Job):
    """A job whose background worker stalls after its first chunk until released."""

    def __init__(self, path: Path) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self._asked = False
        self.advanced_by: list[str] = []
        super().__init__(path)

    def _advance(self, stop):  # type: ignore[no-untyped-def]
        self.advanced_by.append(threading.current_thread().name)
        super()._advance(stop)

    @property
    def _wanted(self) -> bool:
        if self._pos > 0 and threading.current_thread().name == "census-test":
            self.started.set()
            self.release.wait(5)
        return self._asked

    @_wanted.setter
    def _wanted(self, value: bool) -> None:
        self._asked = value


def test_a_waiting_caller_makes_the_background_worker_hand_over(tmp_path: Path) -> None:
    f = _sample(tmp_path)
    job = _StallingJob(f)
    worker = threading.Thread(target=job.run_in_background, name="census-test")
    worker.start()
    assert job.started.wait(5)
    threading.Timer(0.2, job.release.set).start()
    got = job.result()  # asks for the job, waits for the hand-over, finishes it here
    worker.join(5)
    assert got.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert job._owner is None and job._handed.is_set()
    # the worker stopped after the stalled chunk; this thread finished the job
    assert job.advanced_by == ["census-test", threading.current_thread().name]


def test_census_errors_reach_the_caller(tmp_path: Path) -> None:
    job = census._Job(tmp_path / "gone.log")
    with pytest.raises(OSError):
        job.result()


def test_census_ahead_ignores_bad_paths(tmp_path: Path) -> None:
    census_ahead([str(tmp_path / "missing")])  # the real walk reports it, not this


def test_census_of_a_file_that_cannot_be_mapped(tmp_path: Path, monkeypatch) -> None:
    f = _sample(tmp_path)

    def refuse(*args, **kwargs):
        raise OSError("mmap not supported here")

    monkeypatch.setattr(census.mmap, "mmap", refuse)
    job = census._Job(f)
    calls = iter([False, True])  # stopped after one chunk, then resumed by the caller
    job._advance(stop=lambda: next(calls))
    assert job._pos == census.CHUNK
    got = job.result()
    assert got.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert got.present == frozenset({b'"', b"{"})
