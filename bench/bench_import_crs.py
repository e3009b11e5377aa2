"""Benchmark: `silkroad import crs` against a bare DuckDB read_csv of the same file.

    .venv/bin/python bench/bench_import_crs.py [--rows 1000000]

The input repeats realistic CRS rows (official column names, real donor/recipient/purpose
codes; see tests/test_import_csv.py) with new CrsIDs.  The baseline materialises
``read_csv`` into a table (``CREATE TABLE AS``); the import does that and every mapping.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    import duckdb

    from silkroad import store
    from silkroad.importers import common
    from test_import_csv import CRS_COLUMNS, crs_rows

    base_rows = crs_rows(3)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "CRS big.txt"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            f.write("|".join(CRS_COLUMNS) + "\r\n")
            for i in range(args.rows):
                r = list(base_rows[i % 3])
                r[5] = str(3_000_000_000 + i)
                f.write("|".join(r) + "\r\n")
        size = path.stat().st_size / 1e6
        print(f"input: {args.rows:,} rows, {size:.0f} MB")
        db = tmp / "kb.duckdb"
        store.build(db, [ROOT / "tests" / "fixtures" / "kb_small"])
        con = duckdb.connect()
        t = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', delim='|', header=true, all_varchar=true)")
        base = time.perf_counter() - t
        con.close()
        print(f"baseline DuckDB read_csv: {base:.2f}s, {args.rows / base:,.0f} rows/s")
        t = time.perf_counter()
        [s] = common.run(db, "crs", [path])
        ours = time.perf_counter() - t
        assert s.rows_imported == args.rows
        print(f"silkroad import crs:      {ours:.2f}s, {args.rows / ours:,.0f} rows/s")
        print(f"ratio (import / read_csv throughput): {base / ours:.2f}  (target >= 0.8)")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
