"""Stock nbgrader autograde over every student and lesson in one process (no sandbox, no
verification, nothing of ours imported): the peer that bench_grading.py measures against.

Usage: ``python benchmarks/stock_nbgrader.py COURSE_DIR [LESSON...]`` (default: every
released lesson); prints the seconds spent grading.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from traitlets.config import Config


def main(course: Path, only: list[str]) -> None:
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    config.NbGraderAPI.log_level = "ERROR"
    logging.getLogger().setLevel(logging.ERROR)
    api = NbGraderAPI(config=config)
    lessons = only or sorted(p.name for p in (course / "release").iterdir())
    students = sorted(p.name for p in (course / "submitted").iterdir())
    start = time.perf_counter()
    for lesson in lessons:
        for student in students:
            if (course / "submitted" / student / lesson).exists():
                api.autograde(lesson, student)
    print(f"{time.perf_counter() - start:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), sys.argv[2:])
