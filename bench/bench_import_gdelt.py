"""Benchmark: `silkroad import gdelt` against a bare DuckDB read_csv of the same file.

    .venv/bin/python bench/bench_import_gdelt.py [--rows 1000000] [--repeat 3] [--warmup 1]

Repeats the real 58-column GDELT 1.0 rows of ../shared/data/real/gdelt with new GLOBALEVENTIDs.
Timed in this one process, interleaved, after ``--warmup`` untimed rounds, ``--repeat`` timed rounds:

* the baseline: ``CREATE TABLE t AS SELECT * FROM read_csv(...)`` into a database file,
  committed, with exactly the importer's reader call (``gdelt.read_csv_sql``: same columns, same
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

REAL = ROOT.parent / "shared" / "data" / "real" / "gdelt" / "gdelt_v1_events_sample_20160728.tsv"


def make_input(path: Path, rows: int) -> None:
    lines = [l.split("\t", 1)[1] for l in REAL.read_text(encoding="utf-8").splitlines() if l.count("\t") == 57]
    with path.open("w", encoding="utf-8") as f:
        for i in range(rows):
            f.write(f"{900_000_000 + i}\t{lines[i % len(lines)]}\n")


def reader_sql(path: Path) -> str:
    from silkroad.importers import gdelt

    return gdelt.read_csv_sql(path, gdelt.V1)


if __name__ == "__main__":
    main("gdelt", "big.export.CSV", make_input, reader_sql, __file__)
