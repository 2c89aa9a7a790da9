"""Shared fixtures: paths to the shared reference corpus and a default parse context."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwcorr.context import ParseContext

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def ctx() -> ParseContext:
    return ParseContext()


def corpus_file(*parts: str) -> Path:
    """A file in ../shared/corpus, or a skip (with reason) when the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not CORPUS.is_dir():
        pytest.skip(f"reference corpus not present at {CORPUS}")
    return path
