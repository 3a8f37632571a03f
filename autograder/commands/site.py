"""``make site`` (``python -m autograder.commands.site``): the self-study site, built into
``site/`` from a temporary release of the lessons, so it needs no course directory (the
pages themselves: :mod:`autograder.pages.site`)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from autograder.course import Course
from autograder.stages.release import release


def build(out: Path, *, lessons: list[str] | None = None) -> Path:
    """Build the site into ``out`` (replaced) from a temporary release of the lessons."""
    with tempfile.TemporaryDirectory(prefix="site-") as tmp:
        course = Course.at(Path(tmp) / "course")
        release(course, lessons)
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(course.path("self-study"), out)
    return out / "index.html"


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.commands.site", description=__doc__)
    p.add_argument("--out", type=Path, default=Path("site"), help="output folder (replaced)")
    p.add_argument("--lesson", action="append", help="only this lesson (repeatable)")
    args = p.parse_args(argv)
    start = time.perf_counter()
    index = build(args.out, lessons=args.lesson)
    mb = size_of(args.out) / 1e6
    took = time.perf_counter() - start
    print(f"site: {index} ({mb:.1f} MB, built in {took:.0f} s); open it in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
