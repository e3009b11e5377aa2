"""OECD CRS bulk files (``CRS <year> data.txt``) -> projects, amounts, evidence.

The file is read by DuckDB's own CSV reader (pipe-delimited, every column as
text, strict column count) and written by ONE ``INSERT ... SELECT`` into
``crs_rows``: no Python loop over rows, one stored row per CRS row.  The
``all_projects``, ``all_amounts``, ``all_evidence`` and ``all_project_ids``
views show those rows beside the curated and other imported records.  UTF-8 (with or without BOM)
and UTF-16 (with BOM) are read directly.  Column names are the official ones
(``DonorCode``, ``RecipientCode``, ``PurposeCode``, ``USD_Commitment`` ...).

CRS amounts are in millions of current US dollars; they are stored in US
dollars (× 1,000,000).  A commitment and a disbursement on the same row are
two amounts of different kinds, never added together.
"""

from __future__ import annotations

import duckdb

from ..model import SECTOR_GROUPS
from . import codes
from .common import (DataError, FileInfo, Progress, Summary, add_source, code_table, first_line,
                     grouped_warnings, register, sniff_encoding, sql_str, stage_csv, text_csv_sql)

# model.SECTOR_GROUPS as SQL: the DAC broad group of a sector or purpose code's first digit
_SECTOR_GROUP_SQL = ("CASE left(coalesce(r.sector_code, r.purpose_code), 1) "
                     + " ".join(f"WHEN {sql_str(d)} THEN {sql_str(g)}" for d, g in SECTOR_GROUPS.items()) + " END")

REQUIRED = ("Year", "DonorCode", "RecipientCode", "USD_Commitment", "USD_Disbursement")
OPTIONAL = ("DonorName", "AgencyCode", "AgencyName", "CrsID", "ProjectNumber", "RecipientName", "FlowCode",
            "FlowName", "Finance_t", "Aid_t", "PurposeCode", "PurposeName", "SectorCode", "SectorName",
            "ProjectTitle", "ShortDescription", "LongDescription", "ExpectedStartDate", "CompletionDate",
            "CommitmentDate")


def _col(cols: set[str], name: str) -> str:
    """A column of the staged rows, or NULL when the file lacks it (the reader reads an empty field as NULL)."""
    return f'r."{name}"' if name in cols else "NULL"


def read_csv_sql(path, names, encoding: str = "utf-8") -> str:
    """The ``read_csv(...)`` call for a CRS file (also the baseline of bench/bench_import_crs.py)."""
    return text_csv_sql(path, names, "|", header=True, encoding=encoding)


@register("crs")
def import_crs(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary, progress: Progress) -> None:
    path = info.path
    encoding = sniff_encoding(path)
    header, _ = first_line(path, encoding)
    names = [h.strip() for h in header.split("|")]
    if len(names) < 2:
        raise DataError("not a CRS bulk file: the header has no '|' separators", path, 1, "header")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise DataError(f"missing CRS column(s) {', '.join(missing)} (header: {header[:120]!r})", path, 1,
                        missing[0])
    if len(set(names)) != len(names):
        raise DataError("duplicate column names in the header", path, 1, "header")
    cols = set(names)
    progress(0, info.size, "reading")
    states = con.execute("SELECT country, min(id) FROM actors WHERE kind = 'state' AND country IS NOT NULL "
                         "GROUP BY country").fetchall()
    code_table(con, "crs_states", states, ("iso2", "actor_id"))
    code_table(con, "crs_providers", ((c, r["iso2"], r["name"]) for c, r in codes.dac_providers().items()),
               ("code", "iso2", "name"))
    code_table(con, "crs_recipients", ((c, r["iso2"], r["name"]) for c, r in codes.dac_recipients().items()),
               ("code", "iso2", "name"))
    code_table(con, "crs_purposes", ((c, codes.sector_name(c)) for c in codes.sectors()), ("code", "sector"))

    iid = sql_str(info.import_id)
    title = f"coalesce({_col(cols, 'ProjectTitle')}, {_col(cols, 'ShortDescription')}, {_col(cols, 'PurposeName')})"

    def number(name: str, sql_type: str = "DOUBLE", scale: str = "") -> tuple[str, str]:
        """A column parsed as a number, and the raw text kept only where it does not parse (for the warning)."""
        raw = _col(cols, name)
        return (f"TRY_CAST({raw} AS {sql_type}){scale}",
                f"CASE WHEN {raw} IS NOT NULL AND TRY_CAST({raw} AS {sql_type}) IS NULL THEN {raw} END")

    commitment, commitment_bad = number("USD_Commitment", scale=" * 1e6")
    disbursement, disbursement_bad = number("USD_Disbursement", scale=" * 1e6")
    year, year_bad = number("Year", "INTEGER")
    finance = f"TRY_CAST({_col(cols, 'Finance_t')} AS INTEGER)"
    purpose = _col(cols, "PurposeCode")
    sector_group = _SECTOR_GROUP_SQL.replace("r.sector_code", _col(cols, "SectorCode")).replace("r.purpose_code", purpose)
    # 1. DuckDB's reader, only the columns used, into memory in file order (line 1 is the header)
    staged = stage_csv(con, "crs_stage", read_csv_sql(path, names, encoding),
                       [c for c in names if c in REQUIRED or c in OPTIONAL], info, names, first_row_line=2, encoding=encoding)
    progress(int(info.size * 0.4), info.size, "writing")
    # 2. ONE write: every derived value computed in the SELECT, each CRS row stored once in crs_rows (the
    #    all_* views show it as a project with its amounts, evidence and ids).  The id is the file's hash and
    #    the line: the same file gives the same ids, two files never share one.
    con.execute(f"""
        INSERT INTO crs_rows
        SELECT {iid}, r.line, {sql_str('crs:' + info.sha256[:16] + ':')} || r.line,
               {_col(cols, 'CrsID')}, {_col(cols, 'ProjectNumber')}, {year},
               coalesce(s.actor_id, {_col(cols, 'DonorName')}, {_col(cols, 'DonorCode')}),
               {_col(cols, 'AgencyName')}, rc.iso2,
               coalesce(pc.sector, CASE WHEN {purpose} IS NOT NULL THEN 'unspecified' END), {purpose},
               coalesce({_col(cols, 'SectorCode')}, left({purpose}, 3)),
               {sector_group},
               CASE WHEN left({_col(cols, 'Aid_t')}, 1) = 'D' THEN 'technical_cooperation'
                    WHEN {finance} BETWEEN 400 AND 499 THEN 'loan'
                    WHEN {finance} BETWEEN 100 AND 299 THEN 'grant'
                    WHEN {finance} BETWEEN 500 AND 699 THEN 'investment'
                    ELSE 'other' END,
               left({_col(cols, 'ExpectedStartDate')}, 10), left({_col(cols, 'CompletionDate')}, 10),
               coalesce({title}, 'CRS row ' || r.line), left({_col(cols, 'LongDescription')}, 2000),
               {commitment}, {disbursement},
               CASE WHEN p.code IS NULL THEN {_col(cols, 'DonorCode')} END,
               CASE WHEN rc.code IS NULL THEN {_col(cols, 'RecipientCode')} END,
               CASE WHEN pc.code IS NULL THEN {purpose} END,
               {commitment_bad}, {disbursement_bad}, {year_bad}
        FROM {staged} r
        LEFT JOIN crs_providers p ON p.code = {_col(cols, 'DonorCode')}
        LEFT JOIN crs_states s ON s.iso2 = p.iso2
        LEFT JOIN crs_recipients rc ON rc.code = {_col(cols, 'RecipientCode')}
        LEFT JOIN crs_purposes pc ON pc.code = {purpose}""")
    con.execute("DROP TABLE crs_stage")
    progress(int(info.size * 0.8), info.size, "checking")
    mine = f"crs_rows WHERE import_id = {iid}"
    summary.rows_read = con.execute(f"SELECT count(*) FROM {mine}").fetchone()[0]
    if summary.rows_read == 0:
        raise DataError("the file has a header but no rows", path, 2)

    # 3. the collision log: a row repeated identically in the file is kept (own id) and logged
    same = "hash(crs_id, project_number, year, donor, agency, recipient, purpose_code, instrument, title, " \
           "summary, commitment, disbursement)"
    collisions = con.execute(f"""
        INSERT INTO import_collisions
        SELECT {iid}, 'crs', coalesce(crs_id, 'line ' || first_line), first_line, line, id,
               'identical row repeated in this file'
        FROM (SELECT id, line, crs_id, min(line) OVER (PARTITION BY h) AS first_line
              FROM (SELECT id, line, crs_id, {same} AS h FROM {mine}) d
              WHERE h IN (SELECT {same} FROM {mine} GROUP BY ALL HAVING count(*) > 1))
        WHERE line > first_line""").fetchone()[0]
    if collisions:
        summary.collisions = collisions
        summary.warn(None, "CrsID", f"{collisions} row(s) repeat an earlier row exactly; kept under their own "
                                    f"ids (see import_collisions)")
    # ... and so is a row that another imported CRS file already holds (overlapping releases or extracts): both
    # are kept, and the new one is linked to the earlier copy so that its money counts once in stats
    # (`silkroad import unlink` undoes a link, and an undone one is not made again)
    if con.execute(f"SELECT count(*) FROM crs_rows WHERE import_id <> {iid} LIMIT 1").fetchone()[0]:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE crs_overlap AS
            SELECT m.id, m.line, m.crs_id, o.import_id, o.line AS first_line, o.id AS first_id
            FROM (SELECT id, line, crs_id, {same} AS h FROM {mine}) m
            JOIN (SELECT import_id, min(line) AS line, arg_min(id, line) AS id, {same} AS h FROM crs_rows
                  WHERE import_id <> {iid} GROUP BY import_id, h) o ON o.h = m.h""")
        overlap = con.execute(f"""
            INSERT INTO import_collisions
            SELECT {iid}, 'crs', coalesce(v.crs_id, 'line ' || v.line), v.first_line, v.line, v.id,
                   'row already imported from ' || i.file_name || ' (line ' || v.first_line || ')'
            FROM crs_overlap v JOIN imports i USING (import_id)""").fetchone()[0]
        con.execute(f"""
            INSERT INTO project_links
            SELECT id, first_id, 'same CRS row in another file', 100.0, {iid} FROM crs_overlap
            WHERE (id, first_id) NOT IN (SELECT (project_id, linked_to) FROM project_unlinks)""")
        con.execute("DROP TABLE crs_overlap")
        if overlap:
            summary.collisions += overlap
            summary.warn(None, "CrsID", f"{overlap} row(s) were already imported from another file (identical "
                                        f"rows): both copies are kept and the new one is linked to the earlier, so "
                                        f"its money counts once (see import_collisions; `silkroad import remove` "
                                        f"the older file if it is superseded)")

    # warnings: unknown codes (rows kept) and numbers that do not parse; the raw value is kept only for those
    for column, field, message in (
            ("donor_code_unknown", "DonorCode", "unknown OECD DAC donor code {!r} (row kept)"),
            ("recipient_code_unknown", "RecipientCode", "unknown OECD DAC recipient code {!r} (row kept)"),
            ("purpose_code_unknown", "PurposeCode", "unknown DAC purpose code {!r} (row kept)"),
            ("commitment_bad", "USD_Commitment", "{!r} is not a number (value left empty)"),
            ("disbursement_bad", "USD_Disbursement", "{!r} is not a number (value left empty)"),
            ("year_bad", "Year", "{!r} is not a number (value left empty)")):
        # one warning per distinct value, the first 1,000 values listed; every bad row counted
        values, rows = grouped_warnings(con, summary, f"""
            SELECT {column}, min(line), count(*) FROM {mine} AND {column} IS NOT NULL
            GROUP BY {column} ORDER BY 2 LIMIT 1000""", field, message.format)
        if values == 1000:
            total = con.execute(f"SELECT count(*) FROM {mine} AND {column} IS NOT NULL").fetchone()[0]
            summary.warnings_total += total - rows

    add_source(con, info, "OECD Creditor Reporting System (CRS) bulk file", "OECD",
               url="https://stats.oecd.org/DownloadFiles.aspx?DatasetCode=CRS1")
    summary.rows_imported = summary.rows_read
    progress(info.size, info.size, "done")
