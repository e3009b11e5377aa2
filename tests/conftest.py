"""Shared test fixtures: paths to the real data in ../shared and a fresh CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL = SHARED / "data" / "real"
ARTICLE = SHARED / "sources" / "japan-central-asia-article.txt"


@pytest.fixture
def real_data() -> Path:
    """../shared/data/real, or skip when this checkout has no ../shared beside it."""
    if not REAL.is_dir():
        pytest.skip(f"real data not found at {REAL} (../shared is absent in this checkout)")
    return REAL


@pytest.fixture
def article_text() -> str:
    """The article the project starts from, or skip when ../shared is absent."""
    if not ARTICLE.is_file():
        pytest.skip(f"article not found at {ARTICLE} (../shared is absent in this checkout)")
    return ARTICLE.read_text(encoding="utf-8")
