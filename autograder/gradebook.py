"""The course gradebook (nbgrader's, any SQLAlchemy URL), written by the coordinating process.

:func:`record` stores a graded submission the way nbgrader's autograde would (submission
with its timestamp, auto scores, "needs manual grade" flags, "No response." comments,
late penalty) but with the verified scores, and puts the graded notebook where formgrader
looks for it, so instructors grade the written derivations in formgrader as usual.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from autograder import nbg
from autograder.course import Course, parse_time
from autograder.results import SubmissionResult
from autograder.tasks import TaskResult


def open_gradebook(course: Course):  # type: ignore[no-untyped-def]
    """nbgrader's Gradebook for the course (a context manager; close it when done)."""
    from nbgrader.api import Gradebook

    nbg.ensure_alembic_on_path()
    return Gradebook(course.db_url)


def students(course: Course) -> list[str]:
    with open_gradebook(course) as gb:
        return sorted(s.id for s in gb.students)


def manual_scores(gb: Any, student: str, assignment: str) -> dict[str, float | None]:
    """Scores an instructor already gave by hand (formgrader), by grade_id."""
    from nbgrader.api import MissingEntry

    try:
        nb = gb.find_submission_notebook(assignment, assignment, student)
    except MissingEntry:
        return {}
    return {g.name: g.manual_score for g in nb.grades}


def record(
    gb: Any, course: Course, result: SubmissionResult, out: TaskResult, timestamp: str | None
) -> None:
    """Write the graded submission into the gradebook and the graded notebook to disk."""
    when = parse_time(timestamp).replace(tzinfo=None) if timestamp else None
    by_id = {c.grade_id: c for c in result.cells}
    gb.update_or_create_student(result.student_id)
    gb.update_or_create_submission(result.assignment, result.student_id, timestamp=when)
    nb = gb.find_submission_notebook(result.notebook, result.assignment, result.student_id)
    for grade in nb.grades:
        cell = by_id.get(grade.name)
        auto = out.grades.get(grade.name)
        if cell is not None and cell.function is not None:
            auto = cell.score  # the verified score
        grade.auto_score = auto
        grade.needs_manual_grade = grade.manual_score is not None or auto is None
    for comment in nb.comments:
        comment.auto_comment = out.comments.get(comment.name)
    nb.late_submission_penalty = result.late_penalty or None
    gb.db.commit()
    folder = course.path("autograded", result.student_id, result.assignment)
    folder.mkdir(parents=True, exist_ok=True)
    if out.autograded is not None:
        (folder / f"{result.notebook}.ipynb").write_bytes(out.autograded)
    stamp = timestamp or dt.datetime.now(dt.UTC).isoformat()
    (folder / "timestamp.txt").write_text(stamp)
