"""Benchmark: `silkroad import crs` against a bare DuckDB read_csv of the same file.

    .venv/bin/python bench/bench_import_crs.py [--rows 1000000] [--repeat 2]

The input repeats realistic CRS rows (official column names, real donor/recipient/purpose
codes; see tests/test_import_csv.py) with new CrsIDs.  Timed in this one process, interleaved,
best of ``--repeat``:

* the baseline: ``CREATE TABLE t AS SELECT * FROM read_csv(...)`` into an in-memory database,
  with exactly the importer's reader call (``crs.read_csv_sql``: same columns, same options);
* the same statement into a database file (committed) - printed for context;
* the import into a fresh copy of a built database (one transaction, committed).

Peak memory of each side is measured in its own child process.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import_iati import peak_rss_mb  # noqa: E402


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


def baseline(path: Path, db: str = ":memory:") -> None:
    import duckdb

    from silkroad.importers import crs
    from silkroad.importers.common import first_line, sniff_encoding

    encoding = sniff_encoding(path)
    names = [h.strip() for h in first_line(path, encoding)[0].split("|")]
    con = duckdb.connect(db)
    try:
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM {crs.read_csv_sql(path, names, encoding)}")
    finally:
        con.close()


def run_import(path: Path, template: Path, db: Path):
    from silkroad.importers import common

    shutil.copy(template, db)
    [s] = common.run(db, "crs", [path])
    return s


def timed(fn, *a):
    t = time.perf_counter()
    out = fn(*a)
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, path, template, db = args.child
        if kind == "baseline":
            baseline(Path(path))
        else:
            run_import(Path(path), Path(template), Path(db))
        print(json.dumps({"peak_mb": peak_rss_mb()}))
        return
    from silkroad import store

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "CRS big.txt"
        make_input(path, args.rows)
        print(f"input: {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB")
        template = tmp / "template.duckdb"
        store.build(template, [ROOT / "tests" / "fixtures" / "kb_small"])
        best = {"mem": float("inf"), "file": float("inf"), "import": float("inf")}
        for _ in range(args.repeat):
            best["mem"] = min(best["mem"], timed(baseline, path)[0])
            (tmp / "base.duckdb").unlink(missing_ok=True)
            best["file"] = min(best["file"], timed(baseline, path, str(tmp / "base.duckdb"))[0])
            t, s = timed(run_import, path, template, tmp / "kb.duckdb")
            assert s.rows_imported == args.rows, s.text()
            best["import"] = min(best["import"], t)
        base, ours = best["mem"], best["import"]
        print(f"baseline read_csv -> in-memory table:   {base:.2f}s, {args.rows / base:,.0f} rows/s")
        print(f"         read_csv -> database file:     {best['file']:.2f}s")
        print(f"silkroad import crs:                    {ours:.2f}s, {args.rows / ours:,.0f} rows/s")
        print(f"ratio (import / read_csv throughput): {base / ours:.2f}  (target >= 0.8); "
              f"against read_csv into a database file: {best['file'] / ours:.2f}")
        peaks = {}
        for kind in ("baseline", "import"):
            out = subprocess.run([sys.executable, __file__, "--child", kind, str(path), str(template),
                                  str(tmp / "kb-child.duckdb")], check=True, capture_output=True, text=True).stdout
            peaks[kind] = json.loads(out.strip().splitlines()[-1])["peak_mb"]
        print(f"peak RSS (separate processes): import {peaks['import']:.0f} MB, baseline {peaks['baseline']:.0f} MB")


if __name__ == "__main__":
    main()
