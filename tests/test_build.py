"""`silkroad build`: atomic, idempotent, and never damaging the previous database."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from conftest import FIXTURE_KB, ROOT, run_cli
from silkroad import store

TABLES = ("meta", "sources", "actors", "actor_names", "actor_roles", "initiatives", "events",
          "event_countries", "event_participants", "projects", "project_ids", "links", "aid_totals",
          "amounts", "evidence", "conflicts")


def dump(db) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: the database's content."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    finally:
        con.close()


def test_build_writes_every_record(small_db):
    content = dump(small_db)
    assert len(content["sources"]) == 2
    assert len(content["events"]) == 3
    assert len(content["projects"]) == 1
    assert {row[0] for row in content["event_countries"] if row[1] == "UZ"} == {"evt-2006-08-koizumi-visit-kz-uz",
                                                                                 "evt-2017-05-caj-fmm-6"}
    # the pledge keeps its yen and gains a dollar value at the 2017 ECB rate
    (amount,) = [r for r in content["amounts"] if r[1] == "evt-2017-05-caj-fmm-6"]
    assert amount[3:6] == (24e9, "JPY", "pledge")
    assert 1 / 120 < amount[11] < 1 / 105          # USD per yen in 2017
    assert amount[10] == pytest.approx(24e9 * amount[11])
    # evidence rows keep the quote exactly as curated
    quotes = {r[1]: r[5] for r in content["evidence"]}
    assert quotes["evt-2017-05-caj-fmm-6"].startswith("Кишида Жапонияның қолдауға шамамен 24 миллиард иен")


def test_build_twice_gives_identical_content(tmp_path):
    db = tmp_path / "a.duckdb"
    store.build(db, [FIXTURE_KB])
    first = dump(db)
    store.build(db, [FIXTURE_KB])
    assert dump(db) == first
    other = tmp_path / "b.duckdb"
    store.build(other, [FIXTURE_KB])
    assert dump(other) == first


def test_invalid_data_leaves_the_old_database_untouched(tmp_path, small_db):
    before = dump(small_db)
    stamp = small_db.stat().st_mtime_ns
    bad = tmp_path / "bad"
    shutil.copytree(FIXTURE_KB, bad)
    (bad / "broken.yaml").write_text("events:\n  - id: evt-x\n    type: visit\n", encoding="utf-8")
    result = run_cli("build", "--data", str(bad), db=small_db)
    assert result.exit_code == 1
    assert "broken.yaml:2: events[evt-x]" in result.stdout
    assert "the database at" in result.stderr and "was not changed" in result.stderr
    assert small_db.stat().st_mtime_ns == stamp
    assert dump(small_db) == before


def test_crash_mid_build_keeps_old_database_and_leaves_no_temp_file(tmp_path, small_db, monkeypatch):
    before = dump(small_db)
    extra = tmp_path / "more"
    shutil.copytree(FIXTURE_KB, extra)
    (extra / "events.yaml").write_text((FIXTURE_KB / "events.yaml").read_text(encoding="utf-8").replace(
        "evt-2008-nazarbayev-japan", "evt-2008-nazarbayev-renamed"), encoding="utf-8")

    def crash(name, done, total):
        if name == "events":
            raise RuntimeError("disk full (simulated)")

    with pytest.raises(RuntimeError, match="disk full"):
        store.build(small_db, [extra], progress=crash)
    assert dump(small_db) == before
    leftovers = [p.name for p in small_db.parent.iterdir() if p.name.startswith(".small")]
    assert leftovers in ([], [".small.duckdb.lock"])      # the writer lock's file may stay; no half build


KILLABLE_BUILD = """
import sys, time
from pathlib import Path
from silkroad import store

def hang(name, done, total):
    if name == "events":
        print("writing", flush=True)
        time.sleep(60)

store.build(Path(sys.argv[1]), [Path(sys.argv[2])], progress=hang)
"""


def test_build_killed_mid_way_leaves_previous_database_working(tmp_path, small_db):
    before = dump(small_db)
    changed = tmp_path / "changed"
    shutil.copytree(FIXTURE_KB, changed)
    (changed / "projects.yaml").unlink()
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE_BUILD, str(small_db), str(changed)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "writing"   # the new file is half written now
    partial = [p for p in small_db.parent.iterdir() if p.name.endswith(".building")]
    assert partial, "the build writes beside the database, not into it"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # the old database opens and holds what it held
    assert dump(small_db) == before
    result = run_cli("events", "--format", "json", db=small_db)
    assert result.exit_code == 0 and "evt-2017-05-caj-fmm-6" in result.stdout
    # the next build replaces it and clears the dead build's leftovers
    store.build(small_db, [changed])
    assert dump(small_db)["projects"] == []
    assert [p.name for p in small_db.parent.iterdir() if p.name.endswith(".building")] == []


def test_build_command_reports_counts(tmp_path):
    db = tmp_path / "kb.duckdb"
    result = run_cli("build", "--data", str(FIXTURE_KB), db=db)
    assert result.exit_code == 0, result.output
    assert f"built {db}: 2 sources, 6 actors, 1 initiatives, 3 events, 1 projects, 0 aid_totals" in result.stderr
    assert db.is_file()


def test_db_comes_from_env_when_not_given(tmp_path, monkeypatch):
    db = tmp_path / "env.duckdb"
    monkeypatch.setenv("SILKROAD_DB", str(db))
    result = run_cli("build", "--data", str(FIXTURE_KB))
    assert result.exit_code == 0
    assert db.is_file()
    assert store.default_db_path() == db


def test_default_db_is_in_the_user_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("SILKROAD_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert store.default_db_path() == tmp_path / "xdg" / "silkroad" / "silkroad.duckdb"


def test_subprocess_cli_builds_and_queries(tmp_path):
    """The installed `silkroad` entry point, as a user runs it."""
    exe = shutil.which("silkroad", path=os.path.dirname(sys.executable))
    assert exe, "the silkroad command is installed beside the test interpreter"
    db = tmp_path / "cli.duckdb"
    env = {**os.environ, "SILKROAD_DB": str(db)}
    done = subprocess.run([exe, "build", "--data", str(FIXTURE_KB)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shown = subprocess.run([exe, "events", "--type", "visit"], env=env, capture_output=True, text=True)
    assert shown.returncode == 0
    assert "Prime Minister Koizumi visits Kazakhstan and Uzbekistan" in shown.stdout
    assert "1 row(s)" in shown.stdout
