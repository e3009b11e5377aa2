"""The DuckDB store: its schema, the atomic build and opening a built database.

``build`` compiles a validated knowledge base into a new database file next
to the target and renames it over the target only when every row is in, so
an interrupted build leaves the previous database as it was.  Rows are
written in id order and the file carries no build time, so two builds of the
same data hold identical content.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import platformdirs

from . import __version__, money
from .kb import KnowledgeBase, Problem, load
from .model import Amount

SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE sources (
    id VARCHAR, kind VARCHAR, title VARCHAR, publisher VARCHAR, author VARCHAR,
    url VARCHAR, citation VARCHAR, language VARCHAR, published VARCHAR, accessed VARCHAR,
    license VARCHAR, doi VARCHAR, origin VARCHAR DEFAULT 'curated', import_id VARCHAR);
CREATE TABLE actors (
    id VARCHAR PRIMARY KEY, kind VARCHAR, name_en VARCHAR, name_ru VARCHAR, name_kk VARCHAR,
    name_ja VARCHAR, country VARCHAR);
CREATE TABLE actor_names (actor_id VARCHAR, lang VARCHAR, name VARCHAR, is_alias BOOLEAN);
CREATE TABLE actor_roles (actor_id VARCHAR, title VARCHAR, of VARCHAR, start_date VARCHAR, end_date VARCHAR);
CREATE TABLE initiatives (
    id VARCHAR PRIMARY KEY, title_en VARCHAR, title_ru VARCHAR, title_kk VARCHAR, donor VARCHAR,
    start_date VARCHAR, end_date VARCHAR, countries VARCHAR[], summary_en VARCHAR, confidence VARCHAR,
    confidence_note VARCHAR);
CREATE TABLE events (
    id VARCHAR, type VARCHAR, date VARCHAR, date_precision VARCHAR, year INTEGER,
    day DATE, end_date VARCHAR, status VARCHAR, place_country VARCHAR, place_city VARCHAR,
    initiative VARCHAR, title_en VARCHAR, title_ru VARCHAR, title_kk VARCHAR, title_ja VARCHAR,
    summary_en VARCHAR, summary_ru VARCHAR, summary_kk VARCHAR,
    confidence VARCHAR, confidence_note VARCHAR, origin VARCHAR DEFAULT 'curated', import_id VARCHAR);
CREATE TABLE event_countries (event_id VARCHAR, country VARCHAR);
CREATE TABLE event_participants (event_id VARCHAR, actor_id VARCHAR, role VARCHAR);
CREATE TABLE projects (
    id VARCHAR, title_en VARCHAR, title_ru VARCHAR, title_kk VARCHAR, title_ja VARCHAR,
    donor VARCHAR, agency VARCHAR, recipient VARCHAR, sector VARCHAR, purpose_code VARCHAR,
    dac_code VARCHAR, sector_group VARCHAR, instrument VARCHAR, signed VARCHAR,
    start_date VARCHAR, end_date VARCHAR, year INTEGER, status VARCHAR, initiative VARCHAR,
    summary_en VARCHAR, summary_ru VARCHAR, summary_kk VARCHAR, confidence VARCHAR, confidence_note VARCHAR,
    origin VARCHAR DEFAULT 'curated', import_id VARCHAR);
CREATE TABLE project_ids (project_id VARCHAR, scheme VARCHAR, value VARCHAR);
CREATE TABLE links (from_kind VARCHAR, from_id VARCHAR, to_kind VARCHAR, to_id VARCHAR);
CREATE TABLE aid_totals (
    id VARCHAR, donor VARCHAR, recipient VARCHAR, year INTEGER, fiscal_year BOOLEAN,
    flow VARCHAR, instrument VARCHAR, confidence VARCHAR, confidence_note VARCHAR,
    origin VARCHAR DEFAULT 'curated', import_id VARCHAR);
CREATE TABLE groupings (id VARCHAR PRIMARY KEY, title_en VARCHAR, title_ru VARCHAR, title_kk VARCHAR,
    author VARCHAR, summary_en VARCHAR, confidence VARCHAR);
CREATE TABLE grouping_members (grouping_id VARCHAR, label VARCHAR, country VARCHAR);
CREATE TABLE amounts (
    record_kind VARCHAR, record_id VARCHAR, seq INTEGER, value DOUBLE, currency VARCHAR,
    kind VARCHAR, year INTEGER, fiscal_year BOOLEAN, approximate BOOLEAN, note VARCHAR,
    value_usd DOUBLE, usd_rate DOUBLE, usd_rate_note VARCHAR);
CREATE TABLE evidence (
    record_kind VARCHAR, record_id VARCHAR, seq INTEGER, source_id VARCHAR, locator VARCHAR,
    quote VARCHAR, note VARCHAR);
CREATE TABLE conflicts (
    record_kind VARCHAR, record_id VARCHAR, seq INTEGER, field VARCHAR, value VARCHAR,
    source_id VARCHAR, locator VARCHAR, quote VARCHAR, note VARCHAR);
"""


class BuildError(Exception):
    """The knowledge base did not validate; ``problems`` says where."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} validation problem(s)")
        self.problems = problems


def default_db_path() -> Path:
    env = os.environ.get("SILKROAD_DB")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("silkroad")) / "silkroad.duckdb"


class DatabaseError(Exception):
    """The database file cannot be used as it is; the message says what to do."""


def connect(path: Path | str | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a built database, checking that it is one and of this schema."""
    path = Path(path) if path else default_db_path()
    if not path.is_file():
        raise FileNotFoundError(f"no database at {path}: run `silkroad build` first (or pass --db)")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise DatabaseError(f"cannot open {path} as a silkroad database ({exc}); "
                            f"rebuild it with `silkroad --db {path} build`") from None
    check_schema(con, path)
    return con


def check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise DatabaseError (closing ``con``) unless the open database is of this silkroad's schema."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error:
        row = None
    if row is None or row[0] != str(SCHEMA_VERSION):
        con.close()
        found = f"schema {row[0]}" if row else "no silkroad schema"
        raise DatabaseError(f"{path} has {found}, this silkroad needs schema {SCHEMA_VERSION}: "
                            f"run `silkroad --db {path} build`")


def _rows(kb: KnowledgeBase) -> dict[str, list[tuple]]:
    """Every table's rows, in a fixed order."""
    t: dict[str, list[tuple]] = {name: [] for name in (
        "sources", "actors", "actor_names", "actor_roles", "initiatives", "events",
        "event_countries", "event_participants", "projects", "project_ids", "links",
        "aid_totals", "groupings", "grouping_members", "amounts", "evidence", "conflicts")}

    def text(obj, lang):
        return getattr(obj, lang, None) if obj is not None else None

    def add_amounts(kind: str, rid: str, amounts: Iterable[Amount], year: int | None) -> None:
        for seq, a in enumerate(amounts):
            usd = money.to_usd(a.value, a.currency, a.year or year)
            t["amounts"].append((kind, rid, seq, a.value, a.currency, a.kind, a.year or year,
                                 a.fiscal_year, a.approximate, a.note, usd.value, usd.rate, usd.note))

    def add_evidence(kind: str, rec) -> None:
        for seq, ev in enumerate(rec.evidence):
            t["evidence"].append((kind, rec.id, seq, ev.source, ev.locator, ev.quote, ev.note))
        for seq, c in enumerate(getattr(rec, "conflicts", [])):
            t["conflicts"].append((kind, rec.id, seq, c.field, json.dumps(c.value, ensure_ascii=False, default=str),
                                   c.evidence.source, c.evidence.locator, c.evidence.quote, c.note))

    def link(a_kind, a_id, b_kind, b_id):
        t["links"].append((a_kind, a_id, b_kind, b_id))

    for s in sorted(kb.sources.values(), key=lambda r: r.id):
        t["sources"].append((s.id, s.kind, s.title, s.publisher, s.author, s.url, s.citation or s.cite(),
                             s.language, s.published, s.accessed, s.license, s.doi, "curated"))
    for a in sorted(kb.actors.values(), key=lambda r: r.id):
        t["actors"].append((a.id, a.kind, a.names.en, a.names.ru, a.names.kk, a.names.ja, a.country))
        for lang in ("en", "ru", "kk", "ja"):
            name = getattr(a.names, lang)
            if name:
                t["actor_names"].append((a.id, lang, name, False))
            for alias in getattr(a.aliases, lang):
                t["actor_names"].append((a.id, lang, alias, True))
        for r in a.roles:
            t["actor_roles"].append((a.id, r.title, r.of, r.start, r.end))
        add_evidence("actor", a)
    for i in sorted(kb.initiatives.values(), key=lambda r: r.id):
        t["initiatives"].append((i.id, i.title.en, i.title.ru, i.title.kk, i.donor, i.start, i.end,
                                 list(i.countries), i.summary.en if i.summary else None, i.confidence,
                                 i.confidence_note))
        add_evidence("initiative", i)
        add_amounts("initiative", i.id, i.amounts, i.start.year if i.start else None)
        for eid in i.events:
            link("initiative", i.id, "event", eid)
        for pid in i.projects:
            link("initiative", i.id, "project", pid)
    for e in sorted(kb.events.values(), key=lambda r: r.id):
        t["events"].append((
            e.id, e.type, e.date, e.date.precision, e.date.year, e.date.first_day(), e.end_date, e.status,
            e.place.country if e.place else None, e.place.city if e.place else None, e.initiative,
            e.title.en, e.title.ru, e.title.kk, e.title.ja, text(e.summary, "en"), text(e.summary, "ru"),
            text(e.summary, "kk"), e.confidence, e.confidence_note, "curated"))
        t["event_countries"].extend((e.id, c) for c in e.countries)
        t["event_participants"].extend((e.id, p.actor, p.role) for p in e.participants)
        add_amounts("event", e.id, e.amounts, e.date.year)
        add_evidence("event", e)
        if e.initiative:
            link("initiative", e.initiative, "event", e.id)
        for pid in e.projects:
            link("event", e.id, "project", pid)
    for p in sorted(kb.projects.values(), key=lambda r: r.id):
        t["projects"].append((
            p.id, p.title.en, p.title.ru, p.title.kk, p.title.ja, p.donor, p.agency, p.recipient, p.sector.label,
            p.sector.purpose_code, p.sector.dac_code, p.sector.group, p.instrument, p.dates.signed,
            p.dates.start, p.dates.end, p.year, p.status, p.initiative,
            text(p.summary, "en"), text(p.summary, "ru"), text(p.summary, "kk"), p.confidence,
            p.confidence_note, "curated"))
        t["project_ids"].extend((p.id, k, v) for k, v in sorted(p.external_ids.items()))
        add_amounts("project", p.id, p.amounts, p.year)
        add_evidence("project", p)
        if p.initiative:
            link("initiative", p.initiative, "project", p.id)
        for eid in p.events:
            link("event", eid, "project", p.id)
    for a in sorted(kb.aid_totals.values(), key=lambda r: r.id):
        t["aid_totals"].append((a.id, a.donor, a.recipient, a.year, a.fiscal_year, a.flow, a.instrument,
                                a.confidence, a.confidence_note, "curated"))
        add_amounts("aid_total", a.id, [a.amount], a.year)
        add_evidence("aid_total", a)
    for g in sorted(kb.groupings.values(), key=lambda r: r.id):
        t["groupings"].append((g.id, g.title.en, g.title.ru, g.title.kk, g.author,
                               g.summary.en if g.summary else None, g.confidence))
        t["grouping_members"].extend((g.id, label, c) for label, codes in g.groups.items() for c in codes)
        add_evidence("grouping", g)
    t["links"] = sorted(set(t["links"]))
    return t


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Bulk insert through Arrow (row-by-row executemany is ~100x slower in DuckDB)."""
    if not rows:
        return
    import pyarrow as pa

    # the rows fill the table's leading columns (import_id, last, is left empty for curated rows)
    names = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()][:len(rows[0])]
    batch = pa.table({n: [row[i] for row in rows] for i, n in enumerate(names)})  # noqa: F841 - read by DuckDB
    con.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM batch")


@contextlib.contextmanager
def writing(db_path: Path):
    """Hold the database's writer lock: one build or import at a time, so that an import
    committed while a build runs cannot be lost when the build's new file replaces the old."""
    try:
        import fcntl
    except ImportError:           # no advisory locks on this system
        yield
        return
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with open(db_path.with_name(f".{db_path.name}.lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseError(f"another silkroad build or import is writing {db_path}; "
                                f"run this again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_dead_builds(db_path: Path) -> None:
    """Delete half-written files of builds whose process no longer runs."""
    for leftover in db_path.parent.glob(f".{db_path.name}.*.building*"):
        pid = leftover.name[len(db_path.name) + 2:].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def build(db_path: Path | str | None = None, data_dirs: Iterable[Path] | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Validate the knowledge base and compile it into ``db_path`` atomically.

    Raises BuildError (and leaves any existing database untouched) when the
    data does not validate.  Returns the number of rows per table.
    """
    db_path = Path(db_path) if db_path else default_db_path()
    kb, problems = load(data_dirs)
    if problems:
        raise BuildError(problems)
    tables = _rows(kb)
    with writing(db_path):
        _write_database(db_path, kb, tables, progress)
    return {name: len(rows) for name, rows in tables.items()}


def _write_database(db_path: Path, kb: KnowledgeBase, tables: dict[str, list[tuple]],
                    progress: Callable[[str, int, int], None] | None) -> None:
    _remove_dead_builds(db_path)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.building")
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(SCHEMA)
            from .importers.common import ensure_schema

            ensure_schema(con)     # the import tables and the all_* views, so every database has them
            meta = {"schema_version": str(SCHEMA_VERSION), "silkroad_version": __version__,
                    "content_sha256": kb.sha256.hexdigest(), "files": str(len(kb.files))}
            con.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
            total = len(tables)
            for done, (name, rows) in enumerate(tables.items(), 1):
                _insert(con, name, rows)
                if progress:
                    progress(name, done, total)
            # [importers] keep the rows of `silkroad import` from the previous database (issue 4)
            _carry_over_imports(db_path, con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def _carry_over_imports(old_db_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """[importers] Copy imported rows and the imports table from the previous database, if any."""
    if not old_db_path.is_file():
        return
    from .importers import carry_over

    try:
        carry_over(old_db_path, con)
    except duckdb.Error as exc:
        raise DatabaseError(f"cannot carry the imported rows over from {old_db_path} ({exc}); "
                            f"move that file away and re-import, or pass another --db") from None
