"""Shared fixtures for the knowledge tests (pytest's importlib mode: no __init__.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from actions.knowledge import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]


def _sources_dir() -> Path | None:
    """The shared source articles: $SOURCES_DIR, ../shared/sources beside the repo, or
    the workplace's /work/shared/sources."""
    candidates = [
        os.environ.get("SOURCES_DIR", ""),
        str(REPO.parent / "shared" / "sources"),
        "/work/shared/sources",
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "README.md").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    found = _sources_dir()
    if found is None:
        pytest.skip("shared source articles not found (set SOURCES_DIR)")
    return found
