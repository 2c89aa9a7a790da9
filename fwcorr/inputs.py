"""Evidence input layer: walk paths, decompress, decode, and attribute files to hosts."""

from __future__ import annotations

import bz2
import codecs
import contextlib
import gzip
import io
import lzma
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from fwcorr.census import Census, start_background, take_census
from fwcorr.errors import InputError

HEAD_BYTES = 65536
_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"\xfd7zXZ\x00": "xz",
}
# Path components of KAPE/Velociraptor-style collections that never name a host.
_NOT_HOST = {
    "c",
    "c$",
    "c%3a",
    "c:",
    "windows",
    "system32",
    "syswow64",
    "logfiles",
    "firewall",
    "winevt",
    "logs",
    "config",
    "evidence",
    "collection",
    "collections",
    "triage",
    "kape",
    "uploads",
    "auto",
    "ntfs",
    "file",
    "files",
    "registry",
    "eventlogs",
    "event_logs",
    "evtx",
    "firewalls",
    "netsh",
    "process",
    "processes",
    "sysmon",
    "exports",
    "export",
    "logs_collected",
    "tout",
    "mout",
    "artifacts",
    "results",
    "data",
    "raw",
    "\\\\.\\c:",
    "%5c%5c.%5cc%3a",
}


def census_ahead(paths: list[str]) -> None:
    """Start the censuses (SHA-256 + byte census) of the files under `paths` in the background,
    so hashing overlaps loading the rest of the program (a bad path is left to the real walk)."""
    found: list[Path] = []
    with contextlib.suppress(InputError, OSError):
        found.extend(source.path for source in iter_sources(list(paths)))
    start_background(found)


def _decompressor(kind: str | None, fh: io.BufferedIOBase) -> io.BufferedIOBase:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=fh)  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.BZ2File(fh)  # type: ignore[return-value]
    if kind == "xz":
        return lzma.LZMAFile(fh)  # type: ignore[return-value]
    if kind == "zstd":
        try:
            import zstandard
        except ImportError as exc:  # pragma: no cover - depends on environment
            raise InputError("zstd-compressed input needs the 'zstandard' package") from exc
        return zstandard.ZstdDecompressor().stream_reader(fh)  # type: ignore[return-value]
    return fh


@dataclass
class Source:
    """One evidence file: raw access, decoded text, hashes and host hints."""

    path: Path
    display: str
    root: Path | None = None
    _head: bytes | None = field(default=None, repr=False)
    _census: Census | None = field(default=None, repr=False)
    _census_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def size(self) -> int:
        return self.path.stat().st_size

    @cached_property
    def compression(self) -> str | None:
        with self.path.open("rb") as fh:
            magic = fh.read(6)
        for sig, kind in _MAGIC.items():
            if magic.startswith(sig):
                return kind
        return None

    def open_raw(self) -> io.BufferedIOBase:
        """Binary stream of the decompressed content."""
        try:
            fh = self.path.open("rb")
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", self.display) from exc
        return _decompressor(self.compression, fh)

    @property
    def sha256(self) -> str:
        """SHA-256 of the file as stored (compressed files: of the compressed bytes)."""
        return self.census().sha256

    def census(self) -> Census:
        """One pass over the raw file: SHA-256 and which of CENSUS_BYTES occur (computed once;
        a second thread asking meanwhile waits for the first)."""
        with self._census_lock:
            if self._census is None:
                self._census = take_census(self.path)
            return self._census

    def head_bytes(self) -> bytes:
        """The first 64 KiB of decompressed content."""
        if self._head is None:
            try:
                with self.open_raw() as fh:
                    self._head = fh.read(HEAD_BYTES)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise InputError(f"cannot decompress: {exc}", self.display) from exc
        return self._head

    @cached_property
    def encoding(self) -> str:
        """utf-8-sig, utf-16-le, utf-16-be or utf-8 (lenient), from BOM and NUL patterns."""
        return detect_encoding(self.head_bytes())

    def head_text(self) -> str:
        """Decoded start of the file (NULs removed), for sniffing."""
        return _decode(self.head_bytes(), self.encoding, final=False)

    def head_lines(self, n: int = 20) -> list[str]:
        return self.head_text().splitlines()[:n]

    def read_bytes(self) -> bytes:
        """All decompressed bytes."""
        try:
            with self.open_raw() as fh:
                return fh.read()
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InputError(f"cannot read: {exc}", self.display) from exc

    def text_bytes(self) -> bytes:
        """Whole content as UTF-8 bytes: BOM dropped, UTF-16 transcoded, NUL bytes removed."""
        data = self.read_bytes()
        enc = self.encoding
        if enc == "utf-8":
            return data.replace(b"\x00", b"") if b"\x00" in data else data
        if enc == "utf-8-sig":
            data = data[3:] if data.startswith(codecs.BOM_UTF8) else data
            return data.replace(b"\x00", b"") if b"\x00" in data else data
        return _decode(data, enc, final=True).encode("utf-8")

    def text(self) -> str:
        return self.text_bytes().decode("utf-8", errors="replace")

    @cached_property
    def is_binary(self) -> bool:
        head = self.head_bytes()
        if self.encoding.startswith("utf-16"):
            return False
        sample = head[:8192].replace(b"\x00", b"") if head.rstrip(b"\x00") else b""
        if b"\x00" in head[:8192].rstrip(b"\x00"):
            return True
        bad = sum(1 for b in sample if b < 9 or 13 < b < 32)
        return bool(sample) and bad / len(sample) > 0.05

    @cached_property
    def folder_host(self) -> str | None:
        """Host name implied by a KAPE-style `<HOST>/...` layout, if any."""
        return folder_host(self.path, self.root)


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    sample = head[:4096]
    if len(sample) >= 4:
        even_nul = sample[0::2].count(0)
        odd_nul = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nul > 0.4 * half and even_nul < 0.05 * half:
            return "utf-16-le"
        if even_nul > 0.4 * half and odd_nul < 0.05 * half:
            return "utf-16-be"
    return "utf-8"


def _decode(data: bytes, encoding: str, final: bool) -> str:
    if encoding.startswith("utf-16"):
        bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
        if data.startswith(bom):
            data = data[2:]
        if not final and len(data) % 2:
            data = data[:-1]
        text = data.decode(encoding, errors="replace")
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=final)
    return text.replace("\x00", "")


def folder_host(path: Path, root: Path | None) -> str | None:
    """Nearest enclosing folder (up to and including the walked root) that can name a host."""
    parent = path.parent.resolve()
    top = root.resolve() if root is not None else parent
    chain = [parent, *parent.parents]
    for folder in chain:
        low = folder.name.lower()
        if low and low not in _NOT_HOST and not low.startswith(".") and not low.endswith(":"):
            return folder.name
        if folder == top:
            break
    return None


def iter_sources(paths: list[str | Path]) -> Iterator[Source]:
    """Yield every file below the given paths, sorted, each with the root it was found under."""
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputError("no such file or directory", str(raw))
        if p.is_file():
            if not os.access(p, os.R_OK):
                raise InputError("permission denied", str(raw))
            yield Source(path=p, display=str(p), root=p.parent if p.parent != Path(".") else None)
            continue
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames.sort()
            for name in sorted(filenames):
                fp = Path(dirpath) / name
                if fp.is_symlink() or not fp.is_file():
                    continue
                yield Source(path=fp, display=str(fp), root=p)
