"""GDELT 1.0 / 2.0 event exports -> events, event countries, CAMEO codes, evidence.

Tab-separated, no header.  GDELT 1.0 rows have 57 columns (historical
back-files, no SOURCEURL) or 58 (daily files); one file may mix both.  GDELT
2.0 rows have 61 (an ADM2 code for each of the three geographies).  The
layout is chosen from the first row.  The file is read by DuckDB's CSV reader
and mapped with ``INSERT ... SELECT``.

CAMEO event codes map to silkroad event types (``data/codes/cameo_event_types.tsv``,
labels from GDELT's CAMEO.eventcodes.txt); the code itself, Goldstein score,
mentions and tone are kept in ``event_cameo``.  Countries come from
Actor1/Actor2CountryCode (CAMEO/ISO 3166 alpha-3) and ActionGeo_CountryCode
(FIPS 10-4), all mapped to ISO 3166 alpha-2.
"""

from __future__ import annotations

import duckdb

from . import codes
from .common import (DataError, FileInfo, Progress, Summary, add_source, code_table, csv_failure, first_line,
                     grouped_warnings, register, sniff_encoding, sql_str, stage_csv, text_csv_sql)

_GEO = ("Type", "FullName", "CountryCode", "ADM1Code", "Lat", "Long", "FeatureID")
_GEO2 = ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")
_HEAD = ["GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"]
for _a in ("Actor1", "Actor2"):
    _HEAD += [f"{_a}{c}" for c in ("Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
                                   "Religion2Code", "Type1Code", "Type2Code", "Type3Code")]
_HEAD += ["IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
          "NumMentions", "NumSources", "NumArticles", "AvgTone"]
V1 = _HEAD + [f"{g}_{c}" for g in ("Actor1Geo", "Actor2Geo", "ActionGeo") for c in _GEO] + ["DATEADDED", "SOURCEURL"]
V2 = _HEAD + [f"{g}_{c}" for g in ("Actor1Geo", "Actor2Geo", "ActionGeo") for c in _GEO2] + ["DATEADDED", "SOURCEURL"]
assert len(V1) == 58 and len(V2) == 61
# the columns the importer reads
USED = ("GLOBALEVENTID", "SQLDATE", "EventCode", "EventBaseCode", "EventRootCode", "Actor1Name", "Actor2Name",
        "Actor1CountryCode", "Actor2CountryCode", "ActionGeo_CountryCode", "ActionGeo_FullName", "QuadClass",
        "GoldsteinScale", "NumMentions", "AvgTone", "SOURCEURL", "DATEADDED")


def read_csv_sql(path, names, encoding: str = "utf-8") -> str:
    """The ``read_csv(...)`` call for a GDELT export (also the baseline of bench/bench_import_gdelt.py).

    1.0 files may mix 57- and 58-column rows: short rows are padded with NULL (``null_padding``).
    """
    return text_csv_sql(path, names, "\t", header=False, encoding=encoding, null_padding=len(names) == len(V1))


@register("gdelt")
def import_gdelt(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary, progress: Progress) -> None:
    path = info.path
    encoding = sniff_encoding(path)
    line1, _ = first_line(path, encoding)
    n = len(line1.split("\t"))
    if n in (57, 58):
        names, version = V1, "1.0"
    elif n == 61:
        names, version = V2, "2.0"
    else:
        raise DataError(f"wrong number of columns: {n} (GDELT events have 57 or 58 (1.0) or 61 (2.0) "
                        f"tab-separated columns)", path, 1, "columns")
    progress(0, info.size, "reading")
    code_table(con, "gd_cameo", ((c, r["label"], r["silkroad_type"]) for c, r in codes.cameo().items()),
               ("code", "label", "type"))
    code_table(con, "gd_iso3", codes.iso3_to_iso2().items(), ("iso3", "iso2"))
    code_table(con, "gd_regions", ((r["code"],) for r in codes.table("cameo_regions")), ("code",))
    code_table(con, "gd_fips", codes.fips_to_iso2().items(), ("fips", "iso2"))
    # ONE pass over the file: DuckDB's reader, only the columns used, into memory in file order; then the
    # codes are mapped in a parallel pass over the staged rows
    staged = stage_csv(con, "gd_stage", read_csv_sql(path, names, encoding), [c for c in USED if c in names],
                       info, names, first_row_line=1, encoding=encoding)
    missing = "".join(f", NULL AS {c}" for c in USED if c not in names)
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE gd_rows AS
            SELECT r.line, 'gdelt:' || trim(r.GLOBALEVENTID) AS base_id, trim(r.GLOBALEVENTID) AS gid,
                   TRY_STRPTIME(r.SQLDATE, '%Y%m%d')::DATE AS day, r.SQLDATE AS sqldate,
                   NULLIF(r.EventCode, '') AS event_code, NULLIF(r.EventBaseCode, '') AS base_code,
                   NULLIF(r.EventRootCode, '') AS root_code,
                   coalesce(c1.type, c2.type, c3.type) AS type, coalesce(c1.label, c2.label, c3.label) AS label,
                   NULLIF(r.Actor1Name, '') AS actor1, NULLIF(r.Actor2Name, '') AS actor2,
                   NULLIF(r.Actor1CountryCode, '') AS a1cc, NULLIF(r.Actor2CountryCode, '') AS a2cc,
                   NULLIF(r.ActionGeo_CountryCode, '') AS geo_cc, NULLIF(r.ActionGeo_FullName, '') AS geo_name,
                   i1.iso2 AS a1, i2.iso2 AS a2, f.iso2 AS geo,
                   TRY_CAST(r.QuadClass AS INTEGER) AS quad, TRY_CAST(r.GoldsteinScale AS DOUBLE) AS goldstein,
                   TRY_CAST(r.NumMentions AS INTEGER) AS mentions, TRY_CAST(r.AvgTone AS DOUBLE) AS tone,
                   NULLIF(r.SOURCEURL, '') AS url, r.DATEADDED IS NULL AS short
            FROM (SELECT *{missing} FROM {staged}) r
            LEFT JOIN gd_cameo c1 ON c1.code = r.EventCode
            LEFT JOIN gd_cameo c2 ON c2.code = r.EventBaseCode
            LEFT JOIN gd_cameo c3 ON c3.code = r.EventRootCode
            LEFT JOIN gd_iso3 i1 ON i1.iso3 = r.Actor1CountryCode
            LEFT JOIN gd_iso3 i2 ON i2.iso3 = r.Actor2CountryCode
            LEFT JOIN gd_fips f ON f.fips = r.ActionGeo_CountryCode""")
    except duckdb.Error as exc:
        raise csv_failure(exc, path, names) from None
    con.execute("DROP TABLE gd_stage")
    summary.rows_read, short = con.execute("SELECT count(*), min(line) FILTER (WHERE short) FROM gd_rows").fetchone()
    if short is not None:
        raise DataError("wrong number of columns: fewer than 57", path, short, "DATEADDED")
    summary.details["format"] = f"GDELT {version}"
    progress(info.size // 2, info.size, "mapping")

    bad_dates = con.execute("SELECT count(*), min(line), arg_min(sqldate, line) FROM gd_rows WHERE day IS NULL "
                            "OR year(day) NOT BETWEEN 1900 AND 2100").fetchone()
    if bad_dates[0]:
        summary.skip("no valid SQLDATE", bad_dates[0])
        summary.warn(bad_dates[1], "SQLDATE", f"{bad_dates[2]!r} is not a date YYYYMMDD; row skipped", bad_dates[0])
        con.execute("DELETE FROM gd_rows WHERE day IS NULL OR year(day) NOT BETWEEN 1900 AND 2100")
    no_id = con.execute("SELECT count(*), min(line) FROM gd_rows WHERE gid = '' OR gid IS NULL").fetchone()
    if no_id[0]:
        summary.skip("no GLOBALEVENTID", no_id[0])
        summary.warn(no_id[1], "GLOBALEVENTID", "empty GLOBALEVENTID; row skipped", no_id[0])
        con.execute("DELETE FROM gd_rows WHERE gid = '' OR gid IS NULL")

    grouped_warnings(con, summary, """SELECT event_code, min(line), count(*) FROM gd_rows WHERE type IS NULL
        GROUP BY event_code ORDER BY 2""", "EventCode", lambda v: f"unknown CAMEO event code {v!r}; typed other (row kept)")
    for field, raw, mapped, what in (("Actor1CountryCode", "a1cc", "a1", "CAMEO/ISO 3166 alpha-3 country"),
                                     ("Actor2CountryCode", "a2cc", "a2", "CAMEO/ISO 3166 alpha-3 country"),
                                     ("ActionGeo_CountryCode", "geo_cc", "geo", "FIPS 10-4 country")):
        grouped_warnings(con, summary, f"""SELECT {raw}, min(line), count(*) FROM gd_rows
            WHERE {raw} IS NOT NULL AND {mapped} IS NULL AND {raw} NOT IN (SELECT code FROM gd_regions) GROUP BY {raw} ORDER BY 2""", field,
            lambda v, what=what: f"{v!r} is not a known {what} code (row kept without it)")

    # identifiers: a row keeps base_id unless its GLOBALEVENTID repeats in the file or is already in the
    # database; only those rows (usually none) get a suffix, computed over them alone
    sha8 = info.sha256[:8]
    special = con.execute(f"""
        CREATE OR REPLACE TEMP TABLE gd_ids AS
        SELECT line, base_id, n, first_line,
               base_id || CASE WHEN n > 1 THEN '~' || n ELSE '' END
                       || CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.id = base_id
                                            || CASE WHEN n > 1 THEN '~' || n ELSE '' END)
                               THEN '~' || {sql_str(sha8)} ELSE '' END AS id
        FROM (SELECT line, base_id, row_number() OVER (PARTITION BY base_id ORDER BY line) AS n,
                     min(line) OVER (PARTITION BY base_id) AS first_line
              FROM gd_rows
              WHERE base_id IN (SELECT base_id FROM gd_rows GROUP BY base_id HAVING count(*) > 1)
                 OR base_id IN (SELECT id FROM events))""").fetchone()[0]
    summary.collisions = con.execute(f"""
        INSERT INTO import_collisions
        SELECT {sql_str(info.import_id)}, 'gdelt', base_id, first_line, line, id,
               CASE WHEN n > 1 THEN 'GLOBALEVENTID repeated in this file'
                    ELSE 'GLOBALEVENTID already imported from another file' END
        FROM gd_ids WHERE id <> base_id""").fetchone()[0] if special else 0
    if summary.collisions:
        summary.warn(None, "GLOBALEVENTID",
                     f"{summary.collisions} duplicate id(s) kept under suffixed ids (see import_collisions)")
    if special:
        rows_ids, rid = "gd_rows r LEFT JOIN gd_ids i USING (line)", "coalesce(i.id, r.base_id)"
    else:
        rows_ids, rid = "gd_rows r", "r.base_id"

    add_source(con, info, f"GDELT {version} event export", "The GDELT Project",
               license="GDELT terms: unlimited use with citation of the GDELT Project",
               url="https://www.gdeltproject.org/")
    iid = sql_str(info.import_id)
    # the rows are written in any order (line numbers are already computed): parallel inserts
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"""
        INSERT INTO events (id, type, date, date_precision, year, day, status, place_country, place_city,
                            title_en, confidence, confidence_note, origin, import_id)
        SELECT {rid}, coalesce(r.type, 'other'), strftime(r.day, '%Y-%m-%d'), 'day', year(r.day), r.day, 'held',
               r.geo, r.geo_name,
               coalesce(r.actor1, '(no actor)') || ' — ' || coalesce(r.label, 'CAMEO ' || r.event_code)
                   || coalesce(' — ' || r.actor2, ''),
               'low', 'machine-coded news event (GDELT, CAMEO ' || coalesce(r.event_code, '?') || '); not verified',
               'gdelt', {iid}
        FROM {rows_ids}""")
    progress(int(info.size * 0.75), info.size, "writing")
    con.execute(f"""
        INSERT INTO event_countries
        SELECT DISTINCT id, c FROM (
            SELECT {rid} AS id, r.a1 AS c FROM {rows_ids} WHERE r.a1 IS NOT NULL
            UNION ALL SELECT {rid}, r.a2 FROM {rows_ids} WHERE r.a2 IS NOT NULL
            UNION ALL SELECT {rid}, r.geo FROM {rows_ids} WHERE r.geo IS NOT NULL)""")
    con.execute(f"""
        INSERT INTO event_cameo
        SELECT {rid}, r.event_code, r.base_code, r.root_code, r.label, r.quad, r.goldstein, r.mentions, r.tone,
               r.actor1, r.actor2, r.url, {iid}
        FROM {rows_ids}""")
    con.execute(f"""
        INSERT INTO evidence
        SELECT 'event', {rid}, 0, {sql_str(info.source_id)},
               {sql_str(info.name)} || ' line ' || r.line || ', GLOBALEVENTID ' || r.gid,
               left(coalesce(r.url, concat_ws(' | ', r.actor1, r.event_code, r.actor2, r.geo_name), r.gid), 200), NULL
        FROM {rows_ids}""")
    con.execute("RESET preserve_insertion_order")
    summary.rows_imported = con.execute("SELECT count(*) FROM gd_rows").fetchone()[0]
    con.execute("DROP TABLE gd_rows")
    con.execute("DROP TABLE gd_ids")
    progress(info.size, info.size, "done")
