"""Benchmark: `silkroad import iati` against a bare lxml iterparse pass over the same file.

    .venv/bin/python bench/bench_import_iati.py [--mb 200] [--keep]

Builds a large IATI file by repeating the real activities of
../shared/data/real/iati_activities with new iati-identifiers, then times (in
this one process) a bare ``iterparse`` pass (tag iati-activity, clear as you go)
and the full import into a fresh database.  Prints throughput, the ratio
(target >= 0.8) and peak RSS of the import (target <= 300 MB).
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real" / "iati_activities" / "dportal_covid19_central_asia_activities_2021.xml"


def make_input(path: Path, mb: int) -> int:
    text = REAL.read_text(encoding="utf-8")
    acts = re.findall(r"<iati-activity\b.*?</iati-activity>", text, flags=re.S)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n')
        rep = 0
        while f.tell() < mb * 1_000_000:
            for a in acts:
                f.write(" " + re.sub(r"<iati-identifier>(.*?)</iati-identifier>",
                                     lambda m: f"<iati-identifier>{m.group(1)}-R{rep}</iati-identifier>", a, count=1)
                        + "\n")
                n += 1
            rep += 1
        f.write("</iati-activities>\n")
    return n


def bare_iterparse(path: Path) -> int:
    from lxml import etree

    n = 0
    for _, el in etree.iterparse(str(path), events=("end",), tag="iati-activity", resolve_entities=False,
                                 no_network=True, load_dtd=False, huge_tree=False):
        n += 1
        el.clear(keep_tail=False)
        while el.getprevious() is not None:
            del el.getparent()[0]
    return n


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200, help="size of the generated file in MB (default 200)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from silkroad import store
    from silkroad.importers import common

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        xml = tmp / "big.xml"
        t = time.perf_counter()
        n = make_input(xml, args.mb)
        size = xml.stat().st_size / 1e6
        print(f"input: {n} activities, {size:.0f} MB (built in {time.perf_counter() - t:.1f}s)")
        db = tmp / "kb.duckdb"
        store.build(db, [ROOT / "tests" / "fixtures" / "kb_small"])
        rss0 = rss_mb()
        t = time.perf_counter()
        assert bare_iterparse(xml) == n
        base = time.perf_counter() - t
        print(f"baseline lxml iterparse: {base:.1f}s, {size / base:.1f} MB/s, {n / base:,.0f} activities/s")
        t = time.perf_counter()
        [s] = common.run(db, "iati", [xml])
        ours = time.perf_counter() - t
        assert s.rows_imported == n, s.text()
        print(f"silkroad import iati:    {ours:.1f}s, {size / ours:.1f} MB/s, {n / ours:,.0f} activities/s "
              f"({s.details.get('transactions')} transactions)")
        print(f"ratio (import / bare iterparse throughput): {base / ours:.2f}  (target >= 0.8)")
        print(f"peak RSS of the process: {rss_mb():.0f} MB (before the runs: {rss0:.0f} MB; target <= 300 MB)")


if __name__ == "__main__":
    main()
