"""Input layer: decompression, encoding detection, host-from-folder, walking."""

from __future__ import annotations

import bz2
import codecs
import gzip
from pathlib import Path

import pytest

from fwcorr.errors import InputError
from fwcorr.inputs import Source, detect_encoding, folder_host, iter_sources
from fwcorr.lines import read_lines


def _src(path: Path) -> Source:
    return Source(path=path, display=str(path), root=path.parent)


@pytest.mark.parametrize(
    ("writer", "suffix"),
    [
        (lambda b: b, ".log"),
        (gzip.compress, ".log.gz"),
        (bz2.compress, ".log.bz2"),
    ],
)
def test_decompression_is_transparent(tmp_path: Path, writer, suffix: str) -> None:
    path = tmp_path / ("a" + suffix)
    path.write_bytes(writer(b"one\r\ntwo\nthree"))
    frame = read_lines(_src(path))
    assert frame["text"].to_list() == ["one", "two", "three"]
    assert frame["line"].to_list() == [1, 2, 3]


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (codecs.BOM_UTF8 + "été\n".encode(), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "été\n".encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + "été\n".encode("utf-16-be"), "utf-16-be"),
        ("plain été\n".encode(), "utf-8"),
        ("no bom text here\n".encode("utf-16-le"), "utf-16-le"),
    ],
)
def test_encoding_detection_and_decoding(tmp_path: Path, raw: bytes, encoding: str) -> None:
    assert detect_encoding(raw) == encoding
    path = tmp_path / "f.txt"
    path.write_bytes(raw + (b"\x00" * 64 if encoding == "utf-8" else b""))
    text = _src(path).text_bytes().decode()
    assert "\x00" not in text
    assert "\ufeff" not in text
    assert text.rstrip("\n").endswith(("été", "here"))


def test_folder_host_skips_collection_layout() -> None:
    root = Path("/case")
    assert (
        folder_host(Path("/case/WS01/C/Windows/System32/LogFiles/Firewall/pfirewall.log"), root)
        == "WS01"
    )
    assert folder_host(Path("/case/DC-2/pfirewall.log"), root) == "DC-2"


def test_walk_is_sorted_and_missing_path_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.log").write_text("x")
    (tmp_path / "1.log").write_text("y")
    assert [s.path.name for s in iter_sources([tmp_path])] == ["1.log", "2.log"]
    with pytest.raises(InputError, match="no such file"):
        list(iter_sources([tmp_path / "nope"]))


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    frame = read_lines(b"ok\n\xff\xfebad\nfine\n")
    assert frame["text"].to_list() == ["ok", "\ufffd\ufffdbad", "fine"]
    assert frame["line"].to_list() == [1, 2, 3]
