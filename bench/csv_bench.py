"""The harness shared by the CSV-importer benchmarks (CRS, GDELT).

A benchmark script gives its dataset name, a function that writes the input
file and a function that returns the importer's own ``read_csv(...)`` call
for it; the harness times the bare read (into memory and into a database
file) and the full import in one process, interleaved: ``--warmup`` untimed
rounds, then ``--repeat`` timed rounds, reported as best against best and as the
median of the ratios within a round (the ratio that counts compares the
import with the same read into a database file, since the import's own work
ends in one), and measures each side's peak memory in a child process of its own.
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
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import_iati import peak_rss_mb, ratio_median  # noqa: E402


def baseline(reader_sql: Callable[[Path], str], path: Path, db: str = ":memory:") -> None:
    import duckdb

    con = duckdb.connect(db)
    try:
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM {reader_sql(path)}")
    finally:
        con.close()


def run_import(dataset: str, path: Path, template: Path, db: Path):
    from silkroad.importers import common

    shutil.copy(template, db)
    [s] = common.run(db, dataset, [path])
    return s


def timed(fn, *a):
    t = time.perf_counter()
    out = fn(*a)
    return time.perf_counter() - t, out


def main(dataset: str, file_name: str, make_input: Callable[[Path, int], None],
         reader_sql: Callable[[Path], str], script: str) -> None:
    ap = argparse.ArgumentParser(description=f"silkroad import {dataset} against a bare DuckDB read_csv")
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated file")
    ap.add_argument("--repeat", type=int, default=3, help="timed rounds (default 3)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, path, template, db = args.child
        if kind == "baseline":
            baseline(reader_sql, Path(path))
        else:
            run_import(dataset, Path(path), Path(template), Path(db))
        print(json.dumps({"peak_mb": peak_rss_mb()}))
        return
    from silkroad import store

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / file_name
        make_input(path, args.rows)
        print(f"input: {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB")
        template = tmp / "template.duckdb"
        store.build(template, [ROOT / "tests" / "fixtures" / "kb_small"])
        times: dict[str, list[float]] = {"mem": [], "file": [], "import": []}
        for rnd in range(args.warmup + args.repeat):     # untimed warm-up round(s) first, then each kind per round
            t_mem = timed(baseline, reader_sql, path)[0]
            (tmp / "base.duckdb").unlink(missing_ok=True)
            t_file = timed(baseline, reader_sql, path, str(tmp / "base.duckdb"))[0]
            t, s = timed(run_import, dataset, path, template, tmp / "kb.duckdb")
            assert s.rows_imported == args.rows, s.text()
            if rnd >= args.warmup:
                for kind, value in (("mem", t_mem), ("file", t_file), ("import", t)):
                    times[kind].append(value)
        print("rounds (s):  " + "  ".join(f"{k} {' '.join(f'{x:.2f}' for x in v)}" for k, v in times.items()))
        best = {k: min(v) for k, v in times.items()}
        base, ours = best["mem"], best["import"]
        print(f"baseline read_csv -> database file:     {best['file']:.2f}s, {args.rows / best['file']:,.0f} rows/s")
        print(f"         read_csv -> in-memory table:   {base:.2f}s, {args.rows / base:,.0f} rows/s")
        print(f"silkroad import {dataset:<6}                 {ours:.2f}s, {args.rows / ours:,.0f} rows/s")
        # the import writes a database file: the like-for-like baseline loads the same file into one
        print(f"ratio (import / read_csv into a database file, throughput): best {best['file'] / ours:.2f}, "
              f"median of rounds {ratio_median(times['file'], times['import']):.2f}  (target >= 0.8)")
        print(f"      against read_csv into memory (no disk writes): best {base / ours:.2f}, "
              f"median of rounds {ratio_median(times['mem'], times['import']):.2f}")
        peaks = {}
        for kind in ("baseline", "import"):
            out = subprocess.run([sys.executable, script, "--child", kind, str(path), str(template),
                                  str(tmp / "kb-child.duckdb")], check=True, capture_output=True, text=True).stdout
            peaks[kind] = json.loads(out.strip().splitlines()[-1])["peak_mb"]
        print(f"peak RSS (separate processes): import {peaks['import']:.0f} MB, baseline {peaks['baseline']:.0f} MB")
