"""A course with lessons released and sample submissions collected, for the pipeline tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from autograder.course import Course
from autograder.lessons import samples
from autograder.stages import collect, release


def prepared_course(
    root: Path, lessons: list[str], students: set[str] | None = None, db_url: str | None = None
) -> Course:
    """Release ``lessons`` (no self-study) and collect their sample submissions."""
    course = Course.at(root, db_url)
    release.release(course, lessons, self_study=False)
    chosen = [
        s
        for s in samples.samples(course.path("release"), course.path("source"), lessons=lessons)
        if students is None or s.student in students
    ]
    with tempfile.TemporaryDirectory() as tmp:
        times = samples.write_times(chosen, Path(tmp) / "times.csv")
        collect.collect(course, samples.write(chosen, Path(tmp) / "in"), times=times)
    return course


def clone(course: Course, root: Path, db_url: str | None = None) -> Course:
    """A copy of a course directory (same secret, submissions and gradebook)."""
    shutil.copytree(course.root, root, symlinks=True)
    return Course.at(root, db_url)


def csv_bytes(course: Course) -> tuple[bytes, bytes]:
    reports = course.path("reports")
    return (reports / "grades.csv").read_bytes(), (reports / "totals.csv").read_bytes()
