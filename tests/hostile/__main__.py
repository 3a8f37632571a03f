"""``python -m tests.hostile [DIR]``: grade the corpus as one batch, print its results table."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.hostile.batch import TIMES, run, table

if __name__ == "__main__":
    if len(sys.argv) > 1:
        where = Path(sys.argv[1])
        where.mkdir(parents=True, exist_ok=True)
        batch = run(where)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            batch = run(Path(tmp))
    print(table(batch))
    print(f"\ngrading: {batch.grade_seconds:.0f} s; whole batch: {batch.total_seconds:.0f} s")
    print("commands:", ", ".join(f"{k} {v:.1f} s" for k, v in TIMES.items()))
