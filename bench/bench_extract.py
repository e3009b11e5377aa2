"""Throughput of the extraction pipeline against a bare sentence-split pass (razdel).

Builds a large text by repeating real text (the article in ../shared/sources, else the gold
documents in tests/gold/docs), then times in this one process:
  - baseline: razdel.sentenize over every paragraph (a bare sentence split), and
  - extraction: silkroad.extract.pipeline.extract_file on the same text written to a file.
Prints MB/s of both and their ratio.  Usage: python bench/bench_extract.py [--mb 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT.parent / "shared" / "sources" / "japan-central-asia-article.txt"


def source_text() -> str:
    if ARTICLE.is_file():
        return ARTICLE.read_text(encoding="utf-8")
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "gold" / "docs").glob("*.txt")))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20.0, help="size of the text to build (MB of UTF-8)")
    args = ap.parse_args()
    unit = source_text() + "\n\n"
    reps = max(1, int(args.mb * 1e6 / len(unit.encode("utf-8"))))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.txt"
        with open(path, "w", encoding="utf-8") as f:
            for _ in range(reps):
                f.write(unit)
        size_mb = path.stat().st_size / 1e6

        from silkroad.extract import entities, pipeline

        entities.gazetteer()        # build the gazetteer before timing (once per process)

        import razdel

        t0 = time.perf_counter()
        n_sent = 0
        with open(path, encoding="utf-8", newline="") as f:
            for _, block in pipeline.read_blocks(f):
                for para in block.split("\n"):
                    if para.strip():
                        n_sent += sum(1 for _ in razdel.sentenize(para))
        base = time.perf_counter() - t0

        t0 = time.perf_counter()
        n_cand = sum(1 for _ in pipeline.extract_file(path))
        full = time.perf_counter() - t0

    print(f"text: {size_mb:.1f} MB ({reps} copies of {len(unit):,} characters)")
    print(f"sentence split (razdel): {size_mb / base:7.2f} MB/s  {n_sent:,} sentences  {base:.1f} s")
    print(f"extraction (silkroad):   {size_mb / full:7.2f} MB/s  {n_cand:,} candidates  {full:.1f} s")
    print(f"ratio extraction/split:  {base / full:.2f}")


if __name__ == "__main__":
    main()
