"""What every importer shares: errors, the summary, the extra tables, the one transaction.

An import reads FILE..., and writes every row into the built database inside
ONE DuckDB transaction: any error rolls everything back, so the database is
either as it was or holds the whole import.  Each file is one ``imports`` row
whose ``import_id`` is derived from the dataset and the file's SHA-256, so
importing the same file again first deletes that import's rows (in the same
transaction) and the result is the same database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import duckdb
import numpy

from .. import __version__

DATASETS = ("iati", "crs", "aiddata", "gdelt")
MAX_STORED_WARNINGS = 1000

# Tables the importers add to the store's schema (created when missing).
IMPORT_SCHEMA = """
CREATE TABLE IF NOT EXISTS imports (
    import_id VARCHAR PRIMARY KEY, dataset VARCHAR, path VARCHAR, file_name VARCHAR, sha256 VARCHAR,
    size BIGINT, source_id VARCHAR, rows_read BIGINT, rows_imported BIGINT, rows_skipped BIGINT,
    skipped_reasons VARCHAR, warnings BIGINT, collisions BIGINT, details VARCHAR, silkroad_version VARCHAR);
CREATE TABLE IF NOT EXISTS import_warnings (
    import_id VARCHAR, file VARCHAR, line BIGINT, field VARCHAR, message VARCHAR, count BIGINT);
CREATE TABLE IF NOT EXISTS import_collisions (
    import_id VARCHAR, dataset VARCHAR, identifier VARCHAR, first_line BIGINT, line BIGINT,
    kept_as VARCHAR, note VARCHAR);
CREATE TABLE IF NOT EXISTS transactions (
    project_id VARCHAR, seq INTEGER, type_code VARCHAR, type VARCHAR, date VARCHAR, value DOUBLE,
    currency VARCHAR, value_date VARCHAR, value_usd DOUBLE, provider_ref VARCHAR, receiver_ref VARCHAR,
    line BIGINT, import_id VARCHAR, year INTEGER, usd_rate DOUBLE, usd_rate_note VARCHAR);
CREATE TABLE IF NOT EXISTS project_recipients (
    project_id VARCHAR, kind VARCHAR, code VARCHAR, vocabulary VARCHAR, percentage DOUBLE, import_id VARCHAR);
CREATE TABLE IF NOT EXISTS project_sectors (
    project_id VARCHAR, vocabulary VARCHAR, code VARCHAR, name VARCHAR, percentage DOUBLE, import_id VARCHAR);
CREATE TABLE IF NOT EXISTS project_orgs (
    project_id VARCHAR, role VARCHAR, ref VARCHAR, type VARCHAR, name VARCHAR, import_id VARCHAR);
CREATE TABLE IF NOT EXISTS event_cameo (
    event_id VARCHAR, event_code VARCHAR, base_code VARCHAR, root_code VARCHAR, label VARCHAR,
    quad_class INTEGER, goldstein DOUBLE, num_mentions INTEGER, avg_tone DOUBLE, actor1 VARCHAR,
    actor2 VARCHAR, source_url VARCHAR, import_id VARCHAR);
CREATE TABLE IF NOT EXISTS project_links (
    project_id VARCHAR, linked_to VARCHAR, method VARCHAR, score DOUBLE, import_id VARCHAR);
CREATE TABLE IF NOT EXISTS project_unlinks (project_id VARCHAR, linked_to VARCHAR);
CREATE TABLE IF NOT EXISTS crs_rows (
    import_id VARCHAR, line BIGINT, id VARCHAR, crs_id VARCHAR, project_number VARCHAR, year INTEGER,
    donor VARCHAR, agency VARCHAR, recipient VARCHAR, sector VARCHAR, purpose_code VARCHAR, dac_code VARCHAR,
    sector_group VARCHAR, instrument VARCHAR, start_date VARCHAR, end_date VARCHAR, title VARCHAR,
    summary VARCHAR, commitment DOUBLE, disbursement DOUBLE,
    donor_code_unknown VARCHAR, recipient_code_unknown VARCHAR, purpose_code_unknown VARCHAR,
    commitment_bad VARCHAR, disbursement_bad VARCHAR, year_bad VARCHAR);
"""

# one IATI transaction above this many US dollars is flagged when imported, and left out of sums
IMPLAUSIBLE_USD = 10e9
# in the note of an AidData amount the dataset marks "Recommended For Aggregates: No" (e.g. an umbrella
# agreement whose parts are rows of their own): listed, left out of sums
NOT_AGGREGATED = "not recommended for aggregates by AidData"

# A CRS bulk file has millions of rows: each is stored ONCE, as a row of ``crs_rows`` (written by a single
# INSERT ... SELECT from DuckDB's CSV reader), and shown as a project, its amounts, its evidence and its
# ids through these views.  An IATI commitment or disbursement is stored once too, as a transaction, and
# shown as an amount of its project.  Readers use the ``all_*`` views; writers write the tables.
VIEWS = """
CREATE OR REPLACE VIEW all_projects AS
SELECT * FROM projects
UNION ALL BY NAME
SELECT c.id, c.title AS title_en, c.donor, c.agency, c.recipient, c.sector, c.purpose_code, c.dac_code,
       c.sector_group, c.instrument, c.start_date, c.end_date, c.year, 'unknown' AS status,
       c.summary AS summary_en, 'medium' AS confidence,
       'imported from the OECD CRS as reported by the donor' AS confidence_note, 'crs' AS origin, c.import_id
FROM crs_rows c;
CREATE OR REPLACE VIEW all_amounts AS
SELECT *, CASE WHEN contains(note, '@NOT_AGGREGATED@') THEN '@NOT_AGGREGATED@' END AS left_out FROM amounts
UNION ALL BY NAME
SELECT 'project' AS record_kind, record_id, seq, value, 'USD' AS currency, kind, year, false AS fiscal_year,
       false AS approximate, 'OECD CRS ' || field || ' (USD million x 1,000,000, current prices)' AS note,
       value AS value_usd, 1.0 AS usd_rate
FROM (SELECT c.id AS record_id, c.year, k.seq, k.kind, k.field,
             CASE k.seq WHEN 0 THEN c.commitment ELSE c.disbursement END AS value
      FROM crs_rows c,
           (VALUES (0, 'commitment', 'USD_Commitment'), (1, 'disbursement', 'USD_Disbursement')) k(seq, kind, field))
WHERE value IS NOT NULL
UNION ALL BY NAME
SELECT 'project' AS record_kind, project_id AS record_id, seq, value, currency, type AS kind, year,
       false AS fiscal_year, false AS approximate,
       'IATI transaction ' || (seq + 1) || ' (type ' || type_code || ')'
           || CASE WHEN abs(value_usd) > @IMPLAUSIBLE_USD@
                   THEN '; implausible (flagged when imported), left out of sums' ELSE '' END AS note,
       value_usd, usd_rate, usd_rate_note,
       CASE WHEN abs(value_usd) > @IMPLAUSIBLE_USD@ THEN 'implausible, flagged when imported' END AS left_out
FROM transactions WHERE type IN ('commitment', 'disbursement');
CREATE OR REPLACE VIEW all_evidence AS
SELECT * FROM evidence
UNION ALL BY NAME
SELECT 'project' AS record_kind, c.id AS record_id, 0 AS seq, i.source_id,
       i.file_name || ' line ' || c.line || coalesce(', CrsID ' || c.crs_id, '') AS locator,
       left(c.title, 200) AS quote
FROM crs_rows c JOIN imports i USING (import_id);
CREATE OR REPLACE VIEW all_project_ids AS
SELECT * FROM project_ids
UNION ALL BY NAME
SELECT id AS project_id, 'crs' AS scheme, crs_id AS value FROM crs_rows WHERE crs_id IS NOT NULL
UNION ALL BY NAME
SELECT id AS project_id, 'crs_project_number' AS scheme, project_number AS value FROM crs_rows
WHERE project_number IS NOT NULL;
""".replace("@IMPLAUSIBLE_USD@", f"{IMPLAUSIBLE_USD:.0f}").replace("@NOT_AGGREGATED@", NOT_AGGREGATED)
# tables of the store that get an import_id column
RECORD_TABLES = {"projects": "project", "events": "event", "aid_totals": "aid_total"}
SIDE_TABLES = ("import_warnings", "import_collisions", "transactions", "project_recipients", "project_sectors",
               "project_orgs", "event_cameo", "project_links", "crs_rows")


class ImportFailure(Exception):
    """A file could not be imported; the database was not changed."""

    exit_code = 1

    def __init__(self, message: str, file: str | os.PathLike | None = None, line: int | None = None,
                 field: str | None = None):
        self.file, self.line, self.field, self.reason = file, line, field, message
        where = str(file) if file is not None else ""
        if line:
            where += f":{line}"
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{'field ' + field + ': ' if field else ''}{message}")


class DataError(ImportFailure):
    """Bad content (exit code 1)."""


class UsageError(ImportFailure):
    """Wrong use: a missing file, a directory, an unknown dataset (exit code 2)."""

    exit_code = 2


@dataclasses.dataclass
class FileInfo:
    dataset: str
    path: Path
    sha256: str
    size: int
    jobs: int = 1           # processes that may read it (IATI: --jobs)
    line_feeds: int = 0     # b"\n" bytes, counted while hashing (LINE_NUMBERED datasets only)
    tail: bytes = b""       # the last two bytes

    def line_count(self, encoding: str = "utf-8") -> int:
        """Lines in the file (a last line without a line break counts).  In UTF-16 a stray 0x0A byte inside
        another character is counted too: an overcount only makes ``stage_csv`` look for empty lines."""
        ends = self.tail.endswith(b"\n") or (encoding == "utf-16" and self.tail == b"\n\x00")    # BE, LE
        return self.line_feeds + (0 if ends else 1)

    @property
    def import_id(self) -> str:
        return f"{self.dataset}-{self.sha256[:16]}"

    @property
    def source_id(self) -> str:
        return f"import-{self.dataset}-{self.sha256[:8]}"

    @property
    def name(self) -> str:
        return self.path.name


@dataclasses.dataclass
class Summary:
    info: FileInfo
    rows_read: int = 0
    rows_imported: int = 0
    skipped: Counter = dataclasses.field(default_factory=Counter)
    warning_keys: dict = dataclasses.field(default_factory=dict)   # (field, message) -> [line, count]
    warnings_total: int = 0
    collisions: int = 0
    details: dict = dataclasses.field(default_factory=dict)       # e.g. transactions: 1476

    def restart(self) -> None:
        """Forget what a failed pass over the file counted; keep what was said before it (--replace)."""
        kept = {k: v for k, v in self.warning_keys.items() if k[0] == "file"}
        replaced = self.details.get("replaced")
        self.__init__(self.info)
        self.warning_keys, self.warnings_total = kept, sum(n for _, n in kept.values())
        if replaced:
            self.details["replaced"] = replaced

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n

    def warn(self, line: int | None, field: str, message: str, n: int = 1) -> None:
        """A warning; identical (field, message) pairs are counted, the first line kept."""
        self.warnings_total += n
        key = (field, message)
        if key in self.warning_keys:
            self.warning_keys[key][1] += n
        elif len(self.warning_keys) < MAX_STORED_WARNINGS:
            self.warning_keys[key] = [line, n]

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def warning_lines(self) -> list[str]:
        out = []
        for (field, message), (line, n) in sorted(self.warning_keys.items(), key=lambda kv: (kv[1][0] or 0, kv[0])):
            where = f"{self.info.path}:{line}" if line else str(self.info.path)
            more = f" ({n} rows)" if n > 1 else ""
            out.append(f"warning: {where}: field {field}: {message}{more}")
        return out

    def text(self, dry_run: bool = False) -> str:
        verb = "would import" if dry_run else "imported"
        parts = [f"{self.info.dataset} {self.info.path}: read {self.rows_read}, {verb} {self.rows_imported}, "
                 f"skipped {self.rows_skipped}"]
        if self.skipped:
            parts.append(" (" + "; ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) + ")")
        parts.append(f", {self.warnings_total} warning(s)")
        if self.collisions:
            parts.append(f", {self.collisions} duplicate identifier(s) in the collision log")
        for k, v in self.details.items():
            if k == "replaced":
                parts.append(f"; {'would replace' if dry_run else 'replaced'} {', '.join(v)}")
            else:
                parts.append(f", {v} {k}")
        return "".join(parts)


LINE_NUMBERED = ("crs", "gdelt")     # datasets read by DuckDB's CSV reader (FileInfo.line_count)


def inspect_file(dataset: str, path: str | os.PathLike) -> FileInfo:
    """Check that ``path`` is a readable, non-empty file and hash it."""
    p = Path(path)
    if not p.exists():
        raise UsageError("no such file", p)
    if p.is_dir():
        raise UsageError("is a directory, not a file (pass the data files themselves)", p)
    if not p.is_file():
        raise UsageError("not a regular file", p)
    size = p.stat().st_size
    if size == 0:
        raise DataError("the file is empty", p)
    digest, line_feeds, tail = hashlib.sha256(), 0, b""
    count_lines = dataset in LINE_NUMBERED          # the CSV importers check their row count against it
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            if count_lines:
                line_feeds += chunk.count(b"\n")
            tail = chunk[-2:] if len(chunk) >= 2 else (tail + chunk)[-2:]
    # messages name the path as it was given
    return FileInfo(dataset, p, digest.hexdigest(), size, line_feeds=line_feeds, tail=tail)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(IMPORT_SCHEMA)
    for table in (*RECORD_TABLES, "sources"):
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS import_id VARCHAR")
    con.execute(VIEWS)


def delete_import(con: duckdb.DuckDBPyConnection, import_id: str) -> None:
    """Remove every row a previous import of the same file wrote."""
    for table, kind in RECORD_TABLES.items():
        ids = f"(SELECT id FROM {table} WHERE import_id = $1)"
        for side in ("amounts", "evidence", "conflicts"):
            con.execute(f"DELETE FROM {side} WHERE record_kind = '{kind}' AND record_id IN {ids}", [import_id])
    con.execute("DELETE FROM event_countries WHERE event_id IN (SELECT id FROM events WHERE import_id = $1)",
                [import_id])
    con.execute("DELETE FROM event_participants WHERE event_id IN (SELECT id FROM events WHERE import_id = $1)",
                [import_id])
    con.execute("DELETE FROM project_ids WHERE project_id IN (SELECT id FROM projects WHERE import_id = $1)",
                [import_id])
    for table in (*SIDE_TABLES, *RECORD_TABLES, "sources"):
        con.execute(f"DELETE FROM {table} WHERE import_id = $1", [import_id])
    con.execute("DELETE FROM imports WHERE import_id = $1", [import_id])


def add_source(con: duckdb.DuckDBPyConnection, info: FileInfo, dataset_title: str, publisher: str,
               license: str | None = None, url: str | None = None) -> None:
    citation = f"{dataset_title}: {info.name} (sha256 {info.sha256})"
    con.execute(
        "INSERT INTO sources (id, kind, title, publisher, author, url, citation, language, published, accessed, "
        "license, doi, origin, import_id) VALUES (?, 'dataset', ?, ?, NULL, ?, ?, 'en', NULL, NULL, ?, NULL, ?, ?)",
        [info.source_id, info.name, publisher, url, citation, license, info.dataset, info.import_id])


def record_import(con: duckdb.DuckDBPyConnection, s: Summary) -> None:
    i = s.info
    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        i.import_id, i.dataset, str(i.path.resolve()), i.name, i.sha256, i.size, i.source_id, s.rows_read,
        s.rows_imported, s.rows_skipped, json.dumps(dict(sorted(s.skipped.items()))), s.warnings_total,
        s.collisions, json.dumps(s.details, sort_keys=True), __version__])
    rows = [(i.import_id, i.name, line, field, message, n)
            for (field, message), (line, n) in sorted(s.warning_keys.items(), key=lambda kv: (kv[1][0] or 0, kv[0]))]
    if rows:
        con.executemany("INSERT INTO import_warnings VALUES (?, ?, ?, ?, ?, ?)", rows)


def arrow_table(rows: Sequence[tuple], columns: Sequence[str], types: Sequence):
    """Row tuples as an Arrow table, each column converted with its known type (None: inferred); a column
    whose values do not fit that type is stored as text."""
    import pyarrow as pa

    arrays = []
    for values, typ in zip(zip(*rows), types):
        try:
            arrays.append(pa.array(values, type=typ))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays.append(pa.array([None if v is None else str(v) for v in values]))
    return pa.table(arrays, names=list(columns))


class Writer:
    """Buffers rows per table and appends them in batches through a NumPy column scan (much faster than
    executemany, and without loading pyarrow and pandas: about 100 MB less resident memory)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, columns: dict[str, Sequence[str]], batch: int = 50_000):
        self.con, self.columns, self.batch = con, columns, batch
        self.rows: dict[str, list[tuple]] = {t: [] for t in columns}
        self.counts: Counter = Counter()
        self.declared = {t: self._declared_types(t, cols) for t, cols in columns.items()}

    def _declared_types(self, table: str, columns: Sequence[str]) -> list[str]:
        declared = dict(self.con.execute(f"SELECT column_name, data_type FROM information_schema.columns "
                                         f"WHERE table_name = ?", [table]).fetchall())
        return [declared.get(c, "") for c in columns]

    def arrow_types(self) -> dict[str, list]:
        """The Arrow type of each column of each table (for the --jobs workers, which send Arrow tables;
        converting with a known type is several times faster than letting Arrow infer it)."""
        import pyarrow as pa

        plain = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
                 "BOOLEAN": pa.bool_()}
        return {t: [plain.get(d) for d in types] for t, types in self.declared.items()}

    def add(self, table: str, row: tuple) -> None:
        buf = self.rows[table]
        buf.append(row)
        if len(buf) >= self.batch:
            self.flush(table)

    def extend(self, table: str, rows: Iterable[tuple]) -> None:
        for r in rows:
            self.add(table, r)

    def pending(self) -> int:
        """The length of the longest buffer (callers that append to ``rows`` directly flush on this)."""
        return max(map(len, self.rows.values()))

    def flush(self, table: str | None = None) -> None:
        for name in ([table] if table else list(self.rows)):
            buf = self.rows[name]
            if not buf:
                continue
            cols = self.columns[name]
            # one object array per column (None is NULL; DuckDB reads the values' types and the INSERT casts
            # them to the table's), read through DuckDB's replacement scan of this local variable (a
            # registered relation would stay referenced by the open transaction until COMMIT)
            _silkroad_batch = {f"c{i}": numpy.array(values, dtype=object)  # noqa: F841 - read by the SQL below
                               for i, values in enumerate(zip(*buf))}
            self.con.execute(f"INSERT INTO {name} ({', '.join(cols)}) SELECT * FROM _silkroad_batch")
            del _silkroad_batch
            self.counts[name] += len(buf)
            buf.clear()


ImporterFn = Callable[[duckdb.DuckDBPyConnection, FileInfo, Summary, "Progress"], None]


class Progress:
    """Reports progress of one file in bytes (or in steps for whole-file SQL loads)."""

    def __init__(self, update: Callable[[int, int | None, str], None] | None = None):
        self._update = update

    def __call__(self, done: int, total: int | None = None, what: str = "") -> None:
        if self._update:
            self._update(done, total, what)


REGISTRY: dict[str, ImporterFn] = {}


def register(dataset: str):
    def deco(fn: ImporterFn) -> ImporterFn:
        REGISTRY[dataset] = fn
        return fn
    return deco


def _load_importers() -> None:
    from . import aiddata, crs, gdelt, iati  # noqa: F401  (they register themselves)


def run(db_path: Path, dataset: str, paths: Sequence[str | os.PathLike], dry_run: bool = False,
        progress_factory: Callable[[FileInfo], Progress] | None = None,
        on_summary: Callable[[Summary], None] | None = None, replace: bool = False,
        jobs: int = 1) -> list[Summary]:
    """Import ``paths`` into ``db_path`` in one transaction; with ``dry_run``, parse and report only.

    ``jobs`` > 1 lets the IATI importer parse a large file in that many worker processes (more memory).

    With ``replace``, earlier imports of a file of the same name and dataset but other content (an
    older release of the file) are removed in the same transaction; without it they stay, with a warning.

    Raises UsageError / DataError (database unchanged) on any problem.
    """
    _load_importers()
    if dataset not in REGISTRY:
        raise UsageError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)}")
    if not paths:
        raise UsageError("give at least one FILE")
    if jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {jobs}")
    infos = [dataclasses.replace(inspect_file(dataset, p), jobs=jobs) for p in paths]
    seen: dict[str, Path] = {}
    unique = []
    for info in infos:      # the same content twice on one command line is imported once
        if info.import_id not in seen:
            seen[info.import_id] = info.path
            unique.append(info)
    db_path = Path(db_path)
    if dry_run:
        if not db_path.is_file():       # as the import itself would
            raise UsageError(f"no database at {db_path}: run `silkroad build` first (or pass --db)")
        return _run(db_path, dataset, unique, True, progress_factory, on_summary, replace)
    from ..store import DatabaseError, writing

    if not db_path.is_file():
        raise UsageError(f"no database at {db_path}: run `silkroad build` first (or pass --db)")
    try:
        with writing(db_path):
            return _run(db_path, dataset, unique, False, progress_factory, on_summary, replace)
    except DatabaseError as exc:
        raise DataError(str(exc)) from None


def _run(db_path: Path, dataset: str, unique: list[FileInfo], dry_run: bool,
         progress_factory: Callable[[FileInfo], Progress] | None,
         on_summary: Callable[[Summary], None] | None, replace: bool = False) -> list[Summary]:
    if dry_run:
        con = _scratch_db(db_path)
    else:
        if not db_path.is_file():
            raise UsageError(f"no database at {db_path}: run `silkroad build` first (or pass --db)")
        try:
            con = duckdb.connect(str(db_path))
        except duckdb.Error as exc:
            raise UsageError(f"cannot open the database read-write: {exc}", db_path) from None
        _check_schema(con, db_path)
    summaries: list[Summary] = []
    try:
        if not dry_run:
            # large imports may spill to disk (beside the database) instead of holding everything in memory
            spill = db_path.with_name(db_path.name + ".import.tmp")
            con.execute(f"SET temp_directory = {sql_str(str(spill))}")
        con.execute("BEGIN TRANSACTION")
        try:
            ensure_schema(con)
            for info in unique:
                summary = Summary(info)
                delete_import(con, info.import_id)
                _older_versions(con, info, summary, replace, {i.import_id for i in unique})
                progress = progress_factory(info) if progress_factory else Progress()
                REGISTRY[dataset](con, info, summary, progress)
                record_import(con, summary)
                summaries.append(summary)
                if on_summary:
                    on_summary(summary)
            from .linking import link_projects

            links = link_projects(con, [s.info.import_id for s in summaries])
            if summaries and links:             # to curated projects or earlier imported copies
                summaries[-1].details["links"] = links
            if dry_run:
                con.execute("ROLLBACK")
            else:
                con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise
    except duckdb.Error as exc:
        raise DataError(f"database error: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()
    return summaries


def _check_schema(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """Imports write into a database of this silkroad's schema only (an older one needs a build first,
    which keeps its imports)."""
    from ..store import DatabaseError, check_schema

    try:
        check_schema(con, db_path)
    except DatabaseError as exc:
        raise UsageError(f"{exc} first (it keeps the imports)") from None


def _older_versions(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary, replace: bool,
                    this_run: set[str]) -> None:
    """Imports of another file with this file's name and dataset, made by an earlier command: removed
    with ``replace``, else a warning.  Files of this same command are never each other's older version."""
    older = [r[0] for r in con.execute(
        "SELECT import_id FROM imports WHERE dataset = ? AND file_name = ? ORDER BY 1",
        [info.dataset, info.name]).fetchall() if r[0] not in this_run]
    for old in older:
        if replace:
            delete_import(con, old)
            summary.details.setdefault("replaced", []).append(old)
        else:
            summary.warn(None, "file", f"an import of another file named {info.name!r} ({old}) stays beside "
                                       f"this one; pass --replace to remove it")


def remove_import(db_path: Path, key: str) -> list[tuple[str, str]]:
    """Remove the imports whose id or file name is ``key`` (one transaction); returns (import_id, file)."""
    from ..store import writing

    db_path = Path(db_path)
    if not db_path.is_file():
        raise UsageError(f"no database at {db_path}: run `silkroad build` first (or pass --db)")
    with writing(db_path):
        con = duckdb.connect(str(db_path))
        try:
            _check_schema(con, db_path)
            ensure_schema(con)
            con.execute("BEGIN TRANSACTION")
            rows = con.execute("SELECT import_id, file_name FROM imports WHERE import_id = ? OR file_name = ? "
                               "ORDER BY 1", [key, key]).fetchall()
            if len(rows) > 1:       # two releases of one file name: the user says which
                raise UsageError(f"{len(rows)} imports have the file name {key!r}: "
                                 f"{', '.join(r[0] for r in rows)}; give the import_id of the one to remove")
            for import_id, _ in rows:
                delete_import(con, import_id)
            con.execute("COMMIT")
        finally:
            con.close()
    return rows


def _scratch_db(db_path: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory database for ``--dry-run`` with the store's schema and, when the database exists, what
    an import consults: the actors, the curated projects to link against, the list of earlier imports
    (so ``--replace`` and "stays beside" are previewed) and the IATI activities already imported (so
    duplicate identifiers are reported as the real import would)."""
    from ..store import SCHEMA

    con = duckdb.connect(":memory:")
    con.execute(SCHEMA)
    ensure_schema(con)
    if db_path.is_file():
        try:
            con.execute(f"ATTACH {sql_str(str(db_path))} AS src (READ_ONLY)")
        except duckdb.Error:
            return con
        for table, where in (("actors", ""), ("projects", " WHERE origin IN ('curated', 'iati')"),
                             ("project_ids", ""), ("imports", "")):
            try:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM src.{table}{where}")
            except duckdb.Error:
                pass
        con.execute("DETACH src")
    return con


def carry_over(old_db_path: str | os.PathLike, new_con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copy every imported row (origin != 'curated') and the import tables from the previous database.

    Called by ``store.build`` before the new file replaces the old one.  Does
    nothing when the old database is missing or has never had an import.
    """
    old = Path(old_db_path)
    if not old.is_file():
        return {}
    new_con.execute(f"ATTACH {sql_str(str(old))} AS old_db (READ_ONLY)")
    copied: dict[str, int] = {}
    try:
        tables = {r[0] for r in new_con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'old_db'").fetchall()}
        if "imports" not in tables:
            return {}
        ensure_schema(new_con)

        def columns(catalog: str, table: str) -> list[str]:
            return [r[0] for r in new_con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_name = ? "
                "ORDER BY ordinal_position", [catalog, table]).fetchall()]

        def copy(table: str, where: str = "") -> None:
            if table not in tables:
                return
            # only the columns both schemas have: an older database may lack or carry extra ones
            old_cols = set(columns("old_db", table))
            shared = ", ".join(f'"{c}"' for c in columns(new_con.execute("SELECT current_database()").fetchone()[0],
                                                          table) if c in old_cols)
            n = new_con.execute(f"INSERT INTO {table} ({shared}) SELECT {shared} FROM old_db.{table} {where}"
                                ).fetchone()
            copied[table] = n[0] if n else 0

        imported = "WHERE import_id IS NOT NULL"
        for table, kind in RECORD_TABLES.items():
            copy(table, imported)
            for side in ("amounts", "evidence", "conflicts"):
                copy(side, f"WHERE record_kind = '{kind}' AND record_id IN "
                           f"(SELECT id FROM old_db.{table} WHERE import_id IS NOT NULL)")
        copy("sources", imported)
        copy("event_countries", "WHERE event_id IN (SELECT id FROM old_db.events WHERE import_id IS NOT NULL)")
        copy("event_participants", "WHERE event_id IN (SELECT id FROM old_db.events WHERE import_id IS NOT NULL)")
        copy("project_ids", "WHERE project_id IN (SELECT id FROM old_db.projects WHERE import_id IS NOT NULL)")
        copy("imports")
        copy("project_unlinks")
        for table in SIDE_TABLES:
            if table == "project_links":
                # keep only links whose curated project still exists
                copy(table, "WHERE linked_to IN (SELECT id FROM main.projects)")
            else:
                copy(table)
        if "transactions" in tables and "year" not in columns("old_db", "transactions"):
            _migrate_iati_amounts(new_con)
    finally:
        new_con.execute("DETACH old_db")
    return copied


def _migrate_iati_amounts(con: duckdb.DuckDBPyConnection) -> None:
    """Before schema 3 an IATI commitment or disbursement was also an ``amounts`` row; now ``all_amounts``
    reads it from ``transactions``.  Move each such row's year and USD rate onto its transaction and drop
    it, so that a database built over an older one does not count IATI money twice."""
    con.execute("""
        UPDATE transactions t SET year = a.year, usd_rate = a.usd_rate, usd_rate_note = a.usd_rate_note
        FROM amounts a
        WHERE a.record_kind = 'project' AND a.record_id = t.project_id
          AND a.note = 'IATI transaction ' || (t.seq + 1) || ' (type ' || t.type_code || ')'""")
    con.execute("""
        DELETE FROM amounts WHERE record_kind = 'project' AND note LIKE 'IATI transaction %'
          AND record_id IN (SELECT id FROM projects WHERE origin = 'iati')""")


def truncate(text: str | None, n: int = 200) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- helpers for the DuckDB-based CSV importers (CRS, GDELT) --------------------

_CSV_LINE = None


def csv_failure(exc: Exception, path: Path, columns: Sequence[str] | None = None) -> DataError:
    """Turn a DuckDB CSV reader error into a DataError naming the file, line and field."""
    import re

    text = str(exc)
    m = re.search(r"CSV Error on Line: (\d+)", text)
    line = int(m.group(1)) if m else None
    m = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if m:
        expected, found = int(m.group(1)), int(m.group(2))
        field = columns[found] if columns and found < expected else (
            columns[-1] if columns else None)
        hint = (" (fields are not quoted in this format: a line break inside a text field ends the row there)"
                 if found < expected else "")
        return DataError(f"wrong number of columns: expected {expected}, found {found}{hint}", path, line,
                         field or "columns")
    if "reached an invalid state" in text and "new_line = \\r\\n" in text:
        m = re.search(r"delimiter = (\S+)", text)
        delim = {"\\t": "\t"}.get(m.group(1), m.group(1)) if m else "|"
        found = _bare_line_feed(path, delim)
        if found is not None:
            line, column = found
            field = columns[column] if columns and column < len(columns) else None
            return DataError("a line feed without a carriage return in a file whose lines end in CR LF "
                             "(a line break inside a text field? fields are not quoted in this format)",
                             path, line, field or "line break")
    if "unicode" in text.lower() or "utf-8" in text.lower() or "encoding" in text.lower():
        return DataError("wrong encoding: the file is not valid UTF-8 (or UTF-16 with a BOM); "
                         "re-save it as UTF-8", path, line, "encoding")
    first = next((ln for ln in text.splitlines() if ln.strip()), text)
    return DataError(f"cannot read the file: {first}", path, line)


def _line_breaks(data) -> tuple[bytes, bytes, str]:
    """LF and CR as the bytes of a mapped text file (UTF-16 when it starts with a BOM, else UTF-8), and its codec."""
    codec = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}.get(data[:2], "utf-8")
    return "\n".encode(codec), "\r".encode(codec), codec


def _bare_line_feed(path: Path, delim: str) -> tuple[int, int] | None:
    """The line of the first line feed not preceded by a carriage return, and the number of the column it is
    in (0 = the first), in a UTF-8 or UTF-16 (with BOM) file."""
    import mmap

    with path.open("rb") as f:
        if path.stat().st_size == 0:
            return None
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            nl, cr, codec = _line_breaks(data)
            sep = delim.encode(codec)
            pos = data.find(nl)
            while pos != -1:
                if pos % len(nl) == 0 and data[pos - len(cr):pos] != cr:
                    start = data.rfind(nl, 0, pos) + len(nl)          # where the broken row begins
                    return data[:pos].count(nl) + 1, data[start:pos].count(sep)
                pos = data.find(nl, pos + 1)
    return None


def sniff_encoding(path: Path) -> str:
    """'utf-16' for a UTF-16 BOM, else 'utf-8' (a UTF-8 BOM is skipped by the reader)."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return "utf-8"


def first_line(path: Path, encoding: str) -> tuple[str, int]:
    """The first line of a text file (BOM removed) and its length in bytes, with a clear error on bad encoding."""
    with path.open("rb") as f:
        raw = f.readline(1 << 20) if encoding == "utf-8" else f.read(1 << 16)
    try:
        text = raw.decode("utf-8-sig" if encoding == "utf-8" else "utf-16")
    except UnicodeDecodeError as exc:
        raise DataError(f"wrong encoding: byte {exc.start} of the first line is not {encoding.upper()}",
                        path, 1, "encoding") from None
    line = text.splitlines()[0] if text.splitlines() else ""
    return line, len(raw)


def code_table(con: duckdb.DuckDBPyConnection, name: str, rows: Iterable[tuple], columns: Sequence[str]) -> None:
    """A small temporary lookup table."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({', '.join(c + ' VARCHAR' for c in columns)})")
    rows = list(rows)
    for i in range(0, len(rows), 5000):      # one statement per 5,000 rows (executemany is one per row)
        values = ", ".join("(" + ", ".join("NULL" if v is None else sql_str(v) for v in r) + ")"
                           for r in rows[i:i + 5000])
        con.execute(f"INSERT INTO {name} VALUES {values}")


def text_csv_sql(path, names, delim: str, header: bool, encoding: str = "utf-8",
                 null_padding: bool = False) -> str:
    """DuckDB ``read_csv(...)`` of a delimited text file read as it is: every column VARCHAR,
    no quoting, no sniffing, a wrong number of columns is an error."""
    columns = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    path = _literal_path(Path(path))
    return (f"read_csv({sql_str(str(path))}, delim={sql_str(delim)}, header={str(header).lower()}, "
            f"auto_detect=false, columns={columns}, strict_mode=true, quote='', escape='', "
            f"null_padding={str(null_padding).lower()}, encoding={sql_str(encoding)}, max_line_size=10000000)")


_LINKS: "tempfile.TemporaryDirectory | None" = None


def _literal_path(path: Path) -> Path:
    """DuckDB reads a path as a glob: a file whose name has * ? [ ] { } is read through a link with a
    plain name (in a temporary folder removed at exit), so it never stands for other files."""
    global _LINKS
    if not any(c in str(path) for c in "*?[]{}"):
        return path
    import tempfile

    if _LINKS is None:
        _LINKS = tempfile.TemporaryDirectory(prefix="silkroad-read-")
    link = Path(_LINKS.name) / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]}{path.suffix}"
    if not link.exists():
        link.symlink_to(path.resolve())
    return link


def sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def empty_lines(path: Path) -> list[int]:
    """The numbers of the empty lines of a text file (which DuckDB's reader skips), found by a search of
    the raw bytes (called only when the file has more lines than rows)."""
    import mmap

    with path.open("rb") as f:
        if path.stat().st_size == 0:
            return []
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            nl, cr, _ = _line_breaks(data)
            step = len(nl)
            found = set()
            for pattern in (nl + nl, nl + cr + nl):                 # LF LF, or LF CR LF (CRLF files)
                pos = data.find(pattern)
                while pos != -1:
                    if pos % step == 0 or step == 1:
                        found.add(pos)
                    pos = data.find(pattern, pos + step)
            if not found:
                return []
            lines, counted, last = [], 0, 0
            for pos in sorted(found):                               # line of the empty line after pos
                counted += data[last:pos + step].count(nl)         # only when the file has empty lines
                last = pos + step
                lines.append(counted + 1)
            return lines


def stage_csv(con: duckdb.DuckDBPyConnection, table: str, reader_sql: str, columns: Sequence[str],
              info: FileInfo, names: Sequence[str], first_row_line: int, encoding: str = "utf-8") -> str:
    """Read ``columns`` of a delimited file into a temporary table in file order (DuckDB keeps insertion
    order, so the rows' rowids are consecutive) and return a subquery over it with each row's file
    ``line`` (``first_row_line`` for the first row).  A ``row_number()`` window would give the same numbers
    but run the whole pipeline after it on one thread.

    DuckDB's reader skips empty lines; when the file has some, each row's line is shifted by the number
    of empty lines before it (an as-of join on a small table of thresholds)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {quoted} FROM {reader_sql}")
    except duckdb.Error as exc:
        raise csv_failure(exc, info.path, names) from None
    numbered = f"SELECT rowid - (SELECT min(rowid) FROM {table}) AS i, * FROM {table}"
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    gaps = []
    if info.line_count(encoding) != rows + first_row_line - 1:      # more lines than rows: find the empty ones
        gaps = [n for n in empty_lines(info.path) if n >= first_row_line]
    if not gaps:
        return f"(SELECT i + {first_row_line} AS line, * EXCLUDE (i) FROM ({numbered}))"
    # the j-th empty line (1-based) at file line E moves every row from index E - first_row_line - (j - 1) on
    thresholds: dict[int, int] = {}
    for j, e in enumerate(gaps):            # adjacent empty lines share a threshold: keep the larger count
        thresholds[e - first_row_line - j] = j + 1
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_gaps (t BIGINT, k BIGINT)")
    con.executemany(f"INSERT INTO {table}_gaps VALUES (?, ?)", sorted(thresholds.items()))
    return (f"(SELECT s.i + {first_row_line} + coalesce(g.k, 0) AS line, s.* EXCLUDE (i) "
            f"FROM ({numbered}) s ASOF LEFT JOIN {table}_gaps g ON s.i >= g.t)")


def grouped_warnings(con: duckdb.DuckDBPyConnection, summary: Summary, sql: str, field: str,
                     message: Callable[[Any], str]) -> tuple[int, int]:
    """Add one warning per distinct bad value: ``sql`` returns (value, first_line, count).
    Returns how many values and how many rows were reported."""
    rows = con.execute(sql).fetchall()
    for value, line, n in rows:
        summary.warn(line, field, message(value), n)
    return len(rows), sum(r[2] for r in rows)
