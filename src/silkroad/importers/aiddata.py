"""AidData Global Chinese Development Finance (GCDF 3.0) CSVs.

Two layouts, told apart by the header:

* the project-level dataset (``AidData Record ID``, ``Recipient``, ``Commitment Year``,
  ``Flow Class``, ``Amount (Constant USD 2021)``, ``Title``, ``Sector Name`` ...) -> one project
  ``aiddata:<record id>`` per row, donor China, the amount a commitment;
* the country-year aggregate (``ccode, year, oof_amt, oof_adj, oda_amt, oda_adj, vof_amt, vof_adj``,
  Correlates-of-War country codes) -> ``aid_totals`` rows, one per flow class
  (ODA-like, OOF-like, Vague), never added together.  Zero amounts are not stored.
"""

from __future__ import annotations

import csv
import io

import duckdb

from . import codes
from .common import (NOT_AGGREGATED, DataError, FileInfo, Progress, Summary, Writer, add_source, register,
                     truncate)
from .iati import COLUMNS as IATI_COLUMNS

AGGREGATE = ("ccode", "year", "oof_amt", "oof_adj", "oda_amt", "oda_adj", "vof_amt", "vof_adj")
FLOWS = (("oda", "ODA-like"), ("oof", "OOF-like"), ("vof", "Vague (Official Finance)"))
PROJECT_REQUIRED = ("AidData Record ID", "Recipient", "Commitment Year", "Title")
COLUMNS = dict(IATI_COLUMNS)
COLUMNS["amounts"] = ("record_kind", "record_id", "seq", "value", "currency", "kind", "year", "fiscal_year",
                      "approximate", "note", "value_usd", "usd_rate", "usd_rate_note")
COLUMNS["aid_totals"] = ("id", "donor", "recipient", "year", "fiscal_year", "flow", "instrument", "confidence",
                         "origin", "import_id")
STATUS = {"completion": "completed", "implementation": "ongoing", "pipeline: commitment": "signed",
          "pipeline: pledge": "proposed", "cancelled": "cancelled", "suspended": "unknown"}


def _rows(info: FileInfo, progress: Progress):
    """(line, row) pairs; a clear error for bad encoding or a wrong number of columns."""
    raw = info.path.open("rb")
    try:
        head = raw.read(4)
        raw.seek(0)
        encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError("the file is empty", info.path, 1) from None
        header = [h.strip() for h in header]
        yield 1, header
        n = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                raise DataError(f"wrong encoding: {exc.reason} (the file is not {encoding.upper()})", info.path,
                                reader.line_num + 1, "encoding") from None
            except csv.Error as exc:
                raise DataError(f"malformed CSV: {exc}", info.path, reader.line_num) from None
            n += 1
            if not row:
                continue
            if len(row) != len(header):
                field = header[len(row)] if len(row) < len(header) else header[-1]   # the first missing one
                raise DataError(f"wrong number of columns: expected {len(header)}, found {len(row)}", info.path,
                                reader.line_num, field)
            if n % 5000 == 0:
                progress(raw.tell(), info.size)
            yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise DataError(f"wrong encoding: {exc.reason}", info.path, 1, "encoding") from None
    finally:
        raw.close()


def _num(value: str) -> float | None:
    v = value.strip().replace(",", "")
    if not v or v.upper() in ("NA", "NAN", "NULL"):
        return None
    try:
        return float(v)
    except ValueError:
        return None


@register("aiddata")
def import_aiddata(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary, progress: Progress) -> None:
    rows = _rows(info, progress)
    _, header = next(rows)
    states = dict(con.execute("SELECT country, min(id) FROM actors WHERE kind = 'state' AND country IS NOT NULL "
                              "GROUP BY country").fetchall())
    donor = states.get("CN", "china")
    add_source(con, info, "AidData Global Chinese Development Finance Dataset (GCDF 3.0)",
               "AidData at William & Mary", url="https://www.aiddata.org/data/aiddatas-global-chinese-development-finance-dataset-version-3-0")
    w = Writer(con, COLUMNS)
    if all(c in header for c in AGGREGATE):
        _aggregate(info, summary, rows, header, w, donor)
    elif all(c in header for c in PROJECT_REQUIRED):
        _projects(info, summary, rows, header, w, donor)
    else:
        raise DataError("not an AidData GCDF file: expected the project-level columns ("
                        + ", ".join(PROJECT_REQUIRED) + ") or the country-year columns (" + ", ".join(AGGREGATE)
                        + f"); header is {', '.join(header[:8])}", info.path, 1, "header")
    w.flush()


def _aggregate(info, summary, rows, header, w: Writer, donor: str) -> None:
    col = {c: header.index(c) for c in AGGREGATE}
    cow = codes.cow_to_iso2()
    summary.details["aid_totals"] = 0
    for line, row in rows:
        summary.rows_read += 1
        ccode, year_s = row[col["ccode"]].strip(), row[col["year"]].strip()
        try:
            year = int(float(year_s))
        except ValueError:
            summary.warn(line, "year", f"{year_s!r} is not a year; row skipped")
            summary.skip("year not a number")
            continue
        recipient = cow.get(ccode)
        if recipient is None:
            summary.warn(line, "ccode", f"unknown Correlates of War country code {ccode!r} (row kept, no recipient)")
        stored = 0
        for key, flow in FLOWS:
            amt, adj = _num(row[col[f"{key}_amt"]]), _num(row[col[f"{key}_adj"]])
            if amt is None and row[col[f"{key}_amt"]].strip():
                summary.warn(line, f"{key}_amt", f"{row[col[key + '_amt']]!r} is not a number (amount left out)")
            if not amt:
                continue
            rid = f"aiddata:cow{ccode}-{year}-{key}"
            w.add("aid_totals", (rid, donor, recipient, year, False, flow, None, "medium", "aiddata", info.import_id))
            note = f"AidData GCDF 3.0 {key}_amt, Amount (Constant USD 2021)"
            if adj is not None and adj != amt:
                note += f"; adjusted amount {adj:,.0f}"
            w.add("amounts", ("aid_total", rid, 0, amt, "USD", "commitment", year, False, False, note, amt, 1.0,
                              "constant 2021 US dollars"))
            w.add("evidence", ("aid_total", rid, 0, info.source_id, f"{info.name} line {line}, {key}_amt",
                               ",".join(row), None))
            stored += 1
        summary.details["aid_totals"] += stored
        if stored:
            summary.rows_imported += 1
        else:
            summary.skip("all amounts zero (no finance that year)")


def _projects(info, summary, rows, header, w: Writer, donor: str) -> None:
    idx = {c: i for i, c in enumerate(header)}

    def get(row, name):
        i = idx.get(name)
        return row[i].strip() if i is not None and row[i].strip() else None

    iso3 = codes.iso3_to_iso2()
    by_name = {n.lower(): c for c, n in codes.countries().items()}
    seen: dict[str, int] = {}
    for line, row in rows:
        summary.rows_read += 1
        rec = get(row, "AidData Record ID")
        if not rec:
            summary.skip("no AidData Record ID")
            summary.warn(line, "AidData Record ID", "empty record id; row skipped")
            continue
        pid = f"aiddata:{rec}"
        if rec in seen:
            n = 2
            while f"{rec}~{n}" in seen:
                n += 1
            kept = f"{pid}~{n}"
            w.add("import_collisions", (info.import_id, "aiddata", rec, seen[rec], line, kept,
                                        "record id repeated in this file"))
            summary.collisions += 1
            summary.warn(line, "AidData Record ID", f"duplicate record id {rec}; kept as {kept}")
            seen[f"{rec}~{n}"] = line
            pid = kept
        else:
            seen[rec] = line
        name = get(row, "Recipient")
        recipient = iso3.get(get(row, "Recipient ISO-3") or "") or by_name.get((name or "").lower())
        if recipient is None:
            summary.warn(line, "Recipient", f"unknown recipient {name!r} (row kept, no recipient)")
        year_s = get(row, "Commitment Year")
        year = int(float(year_s)) if year_s and _num(year_s) is not None else None
        if year_s and year is None:
            summary.warn(line, "Commitment Year", f"{year_s!r} is not a year (left empty)")
        flow_type = (get(row, "Flow Type") or "").lower()
        instrument = ("loan" if "loan" in flow_type else "grant" if "grant" in flow_type
                      else "technical_cooperation" if "technical" in flow_type
                      else "investment" if ("equity" in flow_type or "investment" in flow_type) else "other")
        sector_code = get(row, "Sector Code")
        dac3 = sector_code[:3] if sector_code and sector_code[:3].isdigit() else None
        title = get(row, "Title") or f"AidData record {rec}"
        status = STATUS.get((get(row, "Status") or "").lower(), "unknown")
        w.add("projects", (pid, title, None, None, donor, get(row, "Funding Agencies"), recipient,
                           codes.sector_name(dac3) if dac3 else None, None, dac3, codes.sector_group(dac3),
                           instrument, None, get(row, "Actual Implementation Start Date") or None,
                           get(row, "Actual Completion Date") or None, year, status, None,
                           truncate(get(row, "Description"), 2000), "medium",
                           f"imported from AidData GCDF ({get(row, 'Flow Class') or 'flow class not given'})",
                           "aiddata", info.import_id))
        w.add("project_ids", (pid, "aiddata", rec))
        amount_col = "Amount (Constant USD 2021)" if "Amount (Constant USD 2021)" in idx else "Amount (Nominal USD)"
        raw = get(row, amount_col)
        value = _num(raw) if raw else None
        if raw and value is None:
            summary.warn(line, amount_col, f"{raw!r} is not a number (amount left out)")
        if value:
            note = f"AidData {amount_col}; flow class {get(row, 'Flow Class') or '?'}"
            if (get(row, "Recommended For Aggregates") or "").lower() == "no":
                note += f"; {NOT_AGGREGATED}"        # the all_amounts view reads this: listed, not summed
            w.add("amounts", ("project", pid, 0, value, "USD", "commitment", year, False, False, note, value, 1.0,
                              "constant 2021 US dollars" if "Constant" in amount_col else None))
        w.add("evidence", ("project", pid, 0, info.source_id, f"{info.name} line {line}, AidData Record ID {rec}",
                           truncate(title, 200), None))
        summary.rows_imported += 1
