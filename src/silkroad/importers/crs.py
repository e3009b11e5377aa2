"""OECD CRS bulk files (``CRS <year> data.txt``) -> projects, amounts, evidence.

The file is read by DuckDB's own CSV reader (pipe-delimited, every column as
text, strict column count) into a temporary table, then every write is one
``INSERT ... SELECT``: no Python loop over rows.  UTF-8 (with or without BOM)
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
from .common import (DataError, FileInfo, Progress, Summary, add_source, code_table, csv_failure, first_line,
                     grouped_warnings, register, sniff_encoding, sql_str, text_csv_sql)

# model.SECTOR_GROUPS as SQL: the DAC broad group of a sector or purpose code's first digit
_SECTOR_GROUP_SQL = ("CASE left(coalesce(r.sector_code, r.purpose_code), 1) "
                     + " ".join(f"WHEN {sql_str(d)} THEN {sql_str(g)}" for d, g in SECTOR_GROUPS.items()) + " END")

REQUIRED = ("Year", "DonorCode", "RecipientCode", "USD_Commitment", "USD_Disbursement")
OPTIONAL = ("DonorName", "AgencyCode", "AgencyName", "CrsID", "ProjectNumber", "RecipientName", "FlowCode",
            "FlowName", "Finance_t", "Aid_t", "PurposeCode", "PurposeName", "SectorCode", "SectorName",
            "ProjectTitle", "ShortDescription", "LongDescription", "ExpectedStartDate", "CompletionDate",
            "CommitmentDate")


def _col(cols: set[str], name: str) -> str:
    return f'NULLIF(trim(r."{name}"), \'\')' if name in cols else "NULL"


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
    sha8 = info.sha256[:8]
    title = f"coalesce({_col(cols, 'ProjectTitle')}, {_col(cols, 'ShortDescription')}, {_col(cols, 'PurposeName')})"
    key = " || '|' || ".join(f"coalesce({_col(cols, c)}, '')" for c in (
        "Year", "DonorCode", "AgencyCode", "CrsID", "ProjectNumber", "RecipientCode", "PurposeCode", "FlowCode",
        "USD_Commitment", "USD_Disbursement", "ProjectTitle"))
    # ONE pass over the file: DuckDB's reader, only the columns used, every derived value computed here
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE crs_rows AS
            SELECT r.line,
                   'crs:' || coalesce({_col(cols, 'CrsID')} || ':', '') || substr(md5({key}), 1, 16) AS base_id,
                   TRY_CAST({_col(cols, 'Year')} AS INTEGER) AS year, {_col(cols, 'Year')} AS year_raw,
                   {_col(cols, 'DonorCode')} AS donor_code, {_col(cols, 'DonorName')} AS donor_name,
                   {_col(cols, 'AgencyName')} AS agency, {_col(cols, 'RecipientCode')} AS recipient_code,
                   {_col(cols, 'CrsID')} AS crs_id, {_col(cols, 'ProjectNumber')} AS project_number,
                   {_col(cols, 'PurposeCode')} AS purpose_code, {_col(cols, 'SectorCode')} AS sector_code,
                   {_col(cols, 'Finance_t')} AS finance_t, {_col(cols, 'Aid_t')} AS aid_t,
                   {title} AS title, {_col(cols, 'LongDescription')} AS summary,
                   {_col(cols, 'USD_Commitment')} AS commitment_raw,
                   {_col(cols, 'USD_Disbursement')} AS disbursement_raw,
                   TRY_CAST({_col(cols, 'USD_Commitment')} AS DOUBLE) * 1e6 AS commitment,
                   TRY_CAST({_col(cols, 'USD_Disbursement')} AS DOUBLE) * 1e6 AS disbursement,
                   {_col(cols, 'ExpectedStartDate')} AS start_raw, {_col(cols, 'CompletionDate')} AS end_raw
            FROM (SELECT row_number() OVER () + 1 AS line, * FROM {read_csv_sql(path, names, encoding)}) r""")
    except duckdb.Error as exc:
        raise csv_failure(exc, path, names) from None
    progress(info.size // 2, info.size, "mapping")
    summary.rows_read = con.execute("SELECT count(*) FROM crs_rows").fetchone()[0]
    if summary.rows_read == 0:
        raise DataError("the file has a header but no rows", path, 2)

    states = con.execute("SELECT country, min(id) FROM actors WHERE kind = 'state' AND country IS NOT NULL "
                         "GROUP BY country").fetchall()
    code_table(con, "crs_states", states, ("iso2", "actor_id"))
    code_table(con, "crs_providers", ((c, r["iso2"], r["name"]) for c, r in codes.dac_providers().items()),
               ("code", "iso2", "name"))
    code_table(con, "crs_recipients", ((c, r["iso2"], r["name"]) for c, r in codes.dac_recipients().items()),
               ("code", "iso2", "name"))
    code_table(con, "crs_purposes", ((c, codes.sector_name(c)) for c in codes.sectors()), ("code", "sector"))

    # identifiers: a row keeps base_id unless it repeats in the file or is already in the database; only
    # those rows (usually none) get a suffix, computed over them alone
    special = con.execute(f"""
        CREATE OR REPLACE TEMP TABLE crs_ids AS
        SELECT line, base_id,
               base_id || CASE WHEN n > 1 THEN '~' || n ELSE '' END
                       || CASE WHEN EXISTS (SELECT 1 FROM projects p WHERE p.id = base_id
                                            || CASE WHEN n > 1 THEN '~' || n ELSE '' END)
                               THEN '~' || {sql_str(sha8)} ELSE '' END AS id,
               n, first_line
        FROM (SELECT line, base_id, row_number() OVER (PARTITION BY base_id ORDER BY line) AS n,
                     min(line) OVER (PARTITION BY base_id) AS first_line
              FROM crs_rows
              WHERE base_id IN (SELECT base_id FROM crs_rows GROUP BY base_id HAVING count(*) > 1)
                 OR base_id IN (SELECT id FROM projects))""").fetchone()[0]
    collisions = con.execute(f"""
        INSERT INTO import_collisions
        SELECT {sql_str(info.import_id)}, 'crs', base_id, first_line, line, id,
               CASE WHEN n > 1 THEN 'identical row repeated in this file'
                    ELSE 'row already imported from another file' END
        FROM crs_ids WHERE id <> base_id""").fetchone()[0] if special else 0
    summary.collisions = collisions
    if collisions:
        summary.warn(None, "CrsID", f"{collisions} duplicate row(s) kept under suffixed ids (see import_collisions)")
    if special:
        rows_ids = "crs_rows r LEFT JOIN crs_ids i USING (line)"
        rid = "coalesce(i.id, r.base_id)"
    else:
        rows_ids, rid = "crs_rows r", "r.base_id"

    # warnings: unknown codes (rows kept) and numbers that do not parse
    grouped_warnings(con, summary, """
        SELECT donor_code, min(line), count(*) FROM crs_rows r
        WHERE donor_code IS NOT NULL AND donor_code NOT IN (SELECT code FROM crs_providers)
        GROUP BY donor_code ORDER BY 2""", "DonorCode", lambda v: f"unknown OECD DAC donor code {v!r} (row kept)")
    grouped_warnings(con, summary, """
        SELECT recipient_code, min(line), count(*) FROM crs_rows r
        WHERE recipient_code IS NOT NULL AND recipient_code NOT IN (SELECT code FROM crs_recipients)
        GROUP BY recipient_code ORDER BY 2""", "RecipientCode",
        lambda v: f"unknown OECD DAC recipient code {v!r} (row kept)")
    grouped_warnings(con, summary, """
        SELECT purpose_code, min(line), count(*) FROM crs_rows r
        WHERE purpose_code IS NOT NULL AND purpose_code NOT IN (SELECT code FROM crs_purposes)
        GROUP BY purpose_code ORDER BY 2""", "PurposeCode", lambda v: f"unknown DAC purpose code {v!r} (row kept)")
    for field, raw, parsed in (("USD_Commitment", "commitment_raw", "commitment"),
                               ("USD_Disbursement", "disbursement_raw", "disbursement"),
                               ("Year", "year_raw", "year")):
        grouped_warnings(con, summary, f"""
            SELECT {raw}, min(line), count(*) FROM crs_rows WHERE {raw} IS NOT NULL AND {parsed} IS NULL
            GROUP BY {raw} ORDER BY 2 LIMIT 50""", field, lambda v: f"{v!r} is not a number (value left empty)")

    add_source(con, info, "OECD Creditor Reporting System (CRS) bulk file", "OECD",
               url="https://stats.oecd.org/DownloadFiles.aspx?DatasetCode=CRS1")
    # the rows are written in any order (the line numbers are already computed): parallel inserts
    con.execute("SET preserve_insertion_order = false")
    iid = sql_str(info.import_id)
    con.execute(f"""
        INSERT INTO projects (id, title_en, donor, agency, recipient, sector, purpose_code, dac_code,
                              sector_group, instrument, start_date, end_date, year, status, summary_en,
                              confidence, confidence_note, origin, import_id)
        SELECT {rid}, coalesce(r.title, 'CRS row ' || r.line), coalesce(s.actor_id, r.donor_name, r.donor_code),
               r.agency, rc.iso2, coalesce(pc.sector, CASE WHEN r.purpose_code IS NOT NULL THEN 'unspecified' END),
               r.purpose_code, coalesce(r.sector_code, left(r.purpose_code, 3)),
               {_SECTOR_GROUP_SQL},
               CASE WHEN left(r.aid_t, 1) = 'D' THEN 'technical_cooperation'
                    WHEN TRY_CAST(r.finance_t AS INTEGER) BETWEEN 400 AND 499 THEN 'loan'
                    WHEN TRY_CAST(r.finance_t AS INTEGER) BETWEEN 100 AND 299 THEN 'grant'
                    WHEN TRY_CAST(r.finance_t AS INTEGER) BETWEEN 500 AND 699 THEN 'investment'
                    ELSE 'other' END,
               left(r.start_raw, 10), left(r.end_raw, 10), r.year, 'unknown', left(r.summary, 2000), 'medium',
               'imported from the OECD CRS as reported by the donor', 'crs', {iid}
        FROM {rows_ids}
        LEFT JOIN crs_providers p ON p.code = r.donor_code
        LEFT JOIN crs_states s ON s.iso2 = p.iso2
        LEFT JOIN crs_recipients rc ON rc.code = r.recipient_code
        LEFT JOIN crs_purposes pc ON pc.code = r.purpose_code""")
    progress(int(info.size * 0.75), info.size, "writing")
    con.execute(f"""
        INSERT INTO project_ids
        SELECT {rid}, 'crs', r.crs_id FROM {rows_ids} WHERE r.crs_id IS NOT NULL
        UNION ALL
        SELECT {rid}, 'crs_project_number', r.project_number FROM {rows_ids} WHERE r.project_number IS NOT NULL""")
    con.execute(f"""
        INSERT INTO amounts
        SELECT 'project', {rid}, 0, r.commitment, 'USD', 'commitment', r.year, false, false,
               'OECD CRS USD_Commitment (USD million x 1,000,000, current prices)', r.commitment, 1.0, NULL
        FROM {rows_ids} WHERE r.commitment IS NOT NULL
        UNION ALL
        SELECT 'project', {rid}, 1, r.disbursement, 'USD', 'disbursement', r.year, false, false,
               'OECD CRS USD_Disbursement (USD million x 1,000,000, current prices)', r.disbursement, 1.0, NULL
        FROM {rows_ids} WHERE r.disbursement IS NOT NULL""")
    con.execute(f"""
        INSERT INTO evidence
        SELECT 'project', {rid}, 0, {sql_str(info.source_id)},
               {sql_str(info.name)} || ' line ' || r.line || coalesce(', CrsID ' || r.crs_id, ''),
               left(coalesce(r.title, 'CRS row ' || r.line), 200), NULL
        FROM {rows_ids}""")
    summary.rows_imported = summary.rows_read
    con.execute("RESET preserve_insertion_order")
    con.execute("DROP TABLE crs_rows")
    con.execute("DROP TABLE crs_ids")
    progress(info.size, info.size, "done")
