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


FIXTURE_KB = ROOT / "tests" / "fixtures" / "kb_min"


def run_cli(*args: str, db: Path | None = None, input: str | None = None):
    """Run the real click application in-process; returns the click Result."""
    from click.testing import CliRunner

    from silkroad.cli import cli

    argv = (["--db", str(db)] if db else []) + list(args)
    return CliRunner().invoke(cli, argv, input=input, catch_exceptions=False)


@pytest.fixture
def small_db(tmp_path) -> Path:
    """A database built from the small test knowledge base."""
    from silkroad import store

    db = tmp_path / "small.duckdb"
    store.build(db, [FIXTURE_KB])
    return db
