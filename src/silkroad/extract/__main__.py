"""python -m silkroad.extract FILE...  (same as `silkroad extract`); `review` as first word runs the review."""

import sys

from .commands import extract, review

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "review":
        review(sys.argv[2:], prog_name="python -m silkroad.extract review")
    else:
        extract(prog_name="python -m silkroad.extract")
