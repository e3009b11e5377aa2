"""Benchmark: `silkroad import crs` against a bare DuckDB read_csv of the same file.

    .venv/bin/python bench/bench_import_crs.py [--rows 1000000] [--repeat 3] [--warmup 1]

The input repeats realistic CRS rows (official column names, real donor/recipient/purpose
codes; see tests/test_import_csv.py) with new CrsIDs.  Timed in this one process, interleaved,
after ``--warmup`` untimed rounds, ``--repeat`` timed rounds:

* the baseline: ``CREATE TABLE t AS SELECT * FROM read_csv(...)`` into a database file,
  committed, with exactly the importer's reader call (``crs.read_csv_sql``: same columns, same
  options) - like for like, since the import's result is a database file; the ratio to this one
  is held to the 0.8 target;
* the same statement into an in-memory database (no disk writes) - printed too;
* the import into a fresh copy of a built database (one transaction, committed).

Peak memory of each side is measured in its own child process.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from csv_bench import ROOT, main  # noqa: E402


def make_input(path: Path, rows: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_import_csv import CRS_COLUMNS, crs_rows

    base_rows = crs_rows(3)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        f.write("|".join(CRS_COLUMNS) + "\r\n")
        for i in range(rows):
            r = list(base_rows[i % 3])
            r[5] = str(3_000_000_000 + i)
            f.write("|".join(r) + "\r\n")


def reader_sql(path: Path) -> str:
    from silkroad.importers import crs
    from silkroad.importers.common import first_line, sniff_encoding

    encoding = sniff_encoding(path)
    names = [h.strip() for h in first_line(path, encoding)[0].split("|")]
    return crs.read_csv_sql(path, names, encoding)


if __name__ == "__main__":
    main("crs", "CRS big.txt", make_input, reader_sql, __file__)
