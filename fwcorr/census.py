"""One pass over an evidence file's raw bytes: its SHA-256 and which parser-relevant bytes occur.

Censuses can start ahead, in one background thread at the lowest scheduling priority, so that
hashing fills CPU the parse leaves idle. Whoever needs a result before it is ready takes the job
over (after the chunk in progress) and finishes it at its own priority, so a busy machine can
slow the background thread but never the caller.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Bytes whose presence anywhere in a file changes how parsers may read it (quotes, braces, NUL).
CENSUS_BYTES = (b'"', b"{", b"\x00")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Census:
    """Facts from one full read of a file's raw bytes."""

    sha256: str
    present: frozenset[bytes]


class _Job:
    """The census of one file, resumable chunk by chunk and owned by one thread at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # guards _owner and _wanted
        self._owner: str | None = None
        self._wanted = False  # a caller waits: the background worker hands over
        self._handed = threading.Event()
        self._finishing = threading.Lock()
        self._done = threading.Event()
        self._hash = hashlib.sha256()
        self._present: set[bytes] = set()
        self._pos = 0
        self._result: Census | None = None
        self._error: Exception | None = None

    def _advance(self, stop: Callable[[], bool]) -> None:
        """Hash from the saved position to the end, unless stop() says so between chunks."""
        try:
            with self.path.open("rb") as fh:
                if os.fstat(fh.fileno()).st_size:
                    try:
                        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                    except (OSError, ValueError):  # not mappable (some network/FUSE mounts)
                        if not self._read(fh, stop):
                            return
                    else:
                        with mm:
                            if not self._mapped(mm, stop):
                                return
            self._result = Census(self._hash.hexdigest(), frozenset(self._present))
        except Exception as exc:  # re-raised to whoever asks for this census
            self._error = exc
        self._done.set()

    def _mapped(self, mm: mmap.mmap, stop: Callable[[], bool]) -> bool:
        """Chunks of a mapped file from the saved position; False if stopped before the end."""
        while self._pos < len(mm):
            if stop():
                return False
            start, end = self._pos, min(self._pos + CHUNK, len(mm))
            with memoryview(mm)[start:end] as view:
                self._hash.update(view)  # releases the GIL
            self._present.update(
                b for b in CENSUS_BYTES if b not in self._present and mm.find(b, start, end) >= 0
            )
            self._pos = end
        return True

    def _read(self, fh: BinaryIO, stop: Callable[[], bool]) -> bool:
        """The same with plain reads, for files that cannot be mapped."""
        fh.seek(self._pos)
        while True:
            if stop():
                return False
            chunk = fh.read(CHUNK)
            if not chunk:
                return True
            self._hash.update(chunk)
            self._present.update(b for b in CENSUS_BYTES if b not in self._present and b in chunk)
            self._pos += len(chunk)

    def run_in_background(self) -> None:
        """Work on the job until it is done or a caller asks for it."""
        with self._lock:
            if self._wanted or self._owner is not None:
                return
            self._owner = "background"
        try:
            self._advance(stop=lambda: self._wanted)
        finally:
            with self._lock:
                self._owner = None
            self._handed.set()

    def result(self) -> Census:
        """The census, finishing the job in this thread if it is not done yet."""
        if not self._done.is_set():
            with self._lock:
                self._wanted = True
                running = self._owner == "background"
            if running:
                self._handed.wait()
            with self._finishing:
                if not self._done.is_set():
                    self._advance(stop=lambda: False)
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


# Jobs started ahead (start_background), keyed by file identity.
_JOBS: dict[tuple[str, int, int], _Job] = {}


def identity(path: Path) -> tuple[str, int, int] | None:
    """(real path, size, mtime) of a file; None if it cannot be stat'ed."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)


def started(path: Path) -> bool:
    """Whether the census of `path` was started ahead (start_background)."""
    key = identity(path)
    return key is not None and key in _JOBS


def take_census(path: Path) -> Census:
    """The census of `path`: the job started ahead if there is one, else computed here."""
    key = identity(path)
    job = _JOBS.get(key) if key is not None else None
    return (job or _Job(path)).result()


def _lowest_priority() -> None:
    """Lowest scheduling priority for this thread where the OS sets it per thread (Linux)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def start_background(paths: list[Path]) -> None:
    """Take the censuses of `paths`, in order, in a background thread at lowest priority."""
    jobs = []
    for path in paths:
        key = identity(path)
        if key is not None and key not in _JOBS:
            _JOBS[key] = _Job(path)
            jobs.append(_JOBS[key])
    if not jobs:
        return

    def run() -> None:
        _lowest_priority()
        for job in jobs:
            job.run_in_background()

    threading.Thread(target=run, name="fwcorr-census", daemon=True).start()
