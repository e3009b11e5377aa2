"""Fuzz target for the IATI importer (atheris, when installed).

    .venv/bin/python tests/fuzz_iati.py -atheris_runs=10000

Each input is written to a file and imported with --dry-run semantics into a
scratch database; only ImportFailure (a clean, located error) may escape.  The
bounded hypothesis version runs in the suite (test_import_iati.py).
"""

import sys
import tempfile
from pathlib import Path

from silkroad.importers import common


def one_input(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.xml"
        path.write_bytes(data)
        try:
            common.run(Path(tmp) / "none.duckdb", "iati", [path], dry_run=True)
        except common.ImportFailure:
            pass


if __name__ == "__main__":
    import atheris  # not a dependency: pip install atheris to fuzz

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
