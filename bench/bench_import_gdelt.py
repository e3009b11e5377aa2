"""Benchmark: `silkroad import gdelt` against a bare DuckDB read_csv of the same file.

    .venv/bin/python bench/bench_import_gdelt.py [--rows 1000000]

Repeats the real 58-column GDELT 1.0 rows of ../shared/data/real/gdelt with new GLOBALEVENTIDs.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real" / "gdelt" / "gdelt_v1_events_sample_20160728.tsv"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    import duckdb

    from silkroad import store
    from silkroad.importers import common

    lines = [l.split("\t", 1)[1] for l in REAL.read_text(encoding="utf-8").splitlines() if l.count("\t") == 57]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "big.export.CSV"
        with path.open("w", encoding="utf-8") as f:
            for i in range(args.rows):
                f.write(f"{900_000_000 + i}\t{lines[i % len(lines)]}\n")
        size = path.stat().st_size / 1e6
        print(f"input: {args.rows:,} rows, {size:.0f} MB")
        db = tmp / "kb.duckdb"
        store.build(db, [ROOT / "tests" / "fixtures" / "kb_small"])
        con = duckdb.connect()
        t = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', delim='\t', header=false, all_varchar=true)")
        base = time.perf_counter() - t
        con.close()
        print(f"baseline DuckDB read_csv: {base:.2f}s, {args.rows / base:,.0f} rows/s")
        t = time.perf_counter()
        [s] = common.run(db, "gdelt", [path])
        ours = time.perf_counter() - t
        assert s.rows_imported == args.rows, s.text()
        print(f"silkroad import gdelt:    {ours:.2f}s, {args.rows / ours:,.0f} rows/s")
        print(f"ratio (import / read_csv throughput): {base / ours:.2f}  (target >= 0.8)")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
