"""The course gradebook (nbgrader's, any SQLAlchemy URL), written by the coordinating process.

:func:`record` stores a graded submission the way nbgrader's autograde would (submission
with its timestamp, auto scores, "needs manual grade" flags, "No response." comments,
late penalty) but with the verified scores, and puts the graded notebook where formgrader
looks for it, so instructors grade the written derivations in formgrader as usual. Unlike
nbgrader's autograde, a regrade keeps a hand-graded cell graded (formgrader cleared its
flag) unless the student's answer changed. :func:`hand_grades` reads what formgrader wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autograder.course import Course, parse_time
from autograder.grading.results import SubmissionResult
from autograder.nbgrader_glue import nbg


@dataclass(frozen=True)
class KernelRun:
    """What nbgrader's autograde of one notebook left: each grade cell's score and each
    comment as the student's kernel gave them, and the graded notebook."""

    grades: Mapping[str, float | None]
    comments: Mapping[str, str | None]
    notebook: bytes | None


def open_gradebook(course: Course):  # type: ignore[no-untyped-def]
    """nbgrader's Gradebook for the course (a context manager; close it when done)."""
    from nbgrader.api import Gradebook

    nbg.ensure_alembic_on_path()
    return Gradebook(course.db_url)


def students(course: Course) -> list[str]:
    with open_gradebook(course) as gb:
        return sorted(s.id for s in gb.students)


@dataclass(frozen=True)
class HandGrade:
    """What formgrader holds for one cell: a manual score (overrides the automatic one) and
    extra credit (added), and whether the cell is flagged as needing manual grading although
    it has a manual score (the answer changed after it was graded by hand)."""

    manual_score: float | None
    extra_credit: float | None
    stale: bool = False


def hand_grades(gb: Any) -> dict[tuple[str, str, str], dict[str, HandGrade]]:
    """Every hand-given score in the gradebook, by (student, assignment, notebook) and
    grade_id, in one query."""
    from nbgrader.api import (
        Assignment,
        BaseCell,
        Grade,
        Notebook,
        SubmittedAssignment,
        SubmittedNotebook,
    )
    from sqlalchemy import or_

    rows = (
        gb.db.query(
            SubmittedAssignment.student_id,
            Assignment.name,
            Notebook.name,
            BaseCell.name,
            Grade.manual_score,
            Grade.extra_credit,
            Grade.needs_manual_grade,
        )
        .select_from(Grade)
        .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .join(BaseCell, Grade.cell_id == BaseCell.id)
        .filter(or_(Grade.manual_score.isnot(None), Grade.extra_credit.isnot(None)))
    )
    out: dict[tuple[str, str, str], dict[str, HandGrade]] = {}
    for student, assignment, notebook, grade_id, manual, extra, flagged in rows:
        stale = bool(flagged) and manual is not None
        out.setdefault((student, assignment, notebook), {})[grade_id] = HandGrade(
            manual, extra, stale
        )
    return out


def record(
    gb: Any,
    course: Course,
    result: SubmissionResult,
    run: KernelRun,
    timestamp: str | None,
    changed: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Write the graded submission into the gradebook and the graded notebook to disk.

    ``changed``: the cells whose answer changed since the last grading; a hand-given score
    on one of them needs grading again (the flag formgrader shows), the others stay graded.
    """
    when = parse_time(timestamp).replace(tzinfo=None) if timestamp else None
    by_id = {c.grade_id: c for c in result.cells}
    gb.update_or_create_student(result.student_id)
    gb.update_or_create_submission(result.assignment, result.student_id, timestamp=when)
    nb = gb.find_submission_notebook(result.notebook, result.assignment, result.student_id)
    for grade in nb.grades:
        cell = by_id.get(grade.name)
        auto = run.grades.get(grade.name)
        if cell is not None and cell.function is not None:
            auto = cell.auto_score  # the verified score
        grade.auto_score = auto
        if grade.manual_score is None:
            grade.needs_manual_grade = auto is None
        elif grade.name in changed:
            grade.needs_manual_grade = True
        # else: graded by hand, and the answer is the same: formgrader's flag stays as it is
    for comment in nb.comments:
        comment.auto_comment = run.comments.get(comment.name)
    nb.late_submission_penalty = result.late_penalty or None
    gb.db.commit()
    folder = course.path("autograded", result.student_id, result.assignment)
    folder.mkdir(parents=True, exist_ok=True)
    if run.notebook is not None:
        (folder / f"{result.notebook}.ipynb").write_bytes(run.notebook)
    stamp = timestamp or dt.datetime.now(dt.UTC).isoformat()
    (folder / "timestamp.txt").write_text(stamp)


def mirror_late_penalties(gb: Any, results: list[SubmissionResult]) -> None:
    """Set each graded submission's late penalty in the gradebook to the result's (what
    formgrader and nbgrader's feedback subtract from the total)."""
    from nbgrader.api import Assignment, Notebook, SubmittedAssignment, SubmittedNotebook

    want = {(r.student_id, r.assignment, r.notebook): r.late_penalty or None for r in results}
    rows = (
        gb.db.query(
            SubmittedNotebook, SubmittedAssignment.student_id, Assignment.name, Notebook.name
        )
        .select_from(SubmittedNotebook)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
    )
    changed = False
    for nb, student, assignment, notebook in rows:
        key = (student, assignment, notebook)
        if key in want and nb.late_submission_penalty != want[key]:
            nb.late_submission_penalty = want[key]
            changed = True
    if changed:
        gb.db.commit()
