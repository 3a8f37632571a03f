"""Hand-given scores: formgrader's grades, carried from the gradebook into the results.

Instructors grade the written derivations in formgrader (and may override any cell or add
extra credit there); formgrader writes ``manual_score`` and ``extra_credit`` into
nbgrader's gradebook and clears the cell's "needs manual grade" flag. :func:`sync` is the
one step that brings them into ``results/<assignment>/<student>.json``: it applies every
hand-given score to the cell (over what grading found, which the result keeps in its
``auto_*`` fields), recomputes the late penalty on the new total, mirrors that penalty into
the gradebook (formgrader and nbgrader's feedback show the gradebook's total), and rewrites
the CSVs. ``grade``, ``report`` and ``feedback`` call it first, so a score typed into
formgrader shows in ``grades.csv``, ``totals.csv``, the report and the feedback after the
next one of them, without regrading the notebook.

Data flows one way: gradebook manual scores -> results -> CSVs, report, feedback. Nothing
writes a result's score back into the gradebook's manual fields.
"""

from __future__ import annotations

from dataclasses import asdict

from autograder.course import Course, LatePolicy, parse_time
from autograder.grading import gradebook
from autograder.grading.gradebook import HandGrade
from autograder.grading.results import CellResult, SubmissionResult, load_all, write_csvs

BY_HAND = "graded by hand"


def apply_cell(cell: CellResult, hand: HandGrade | None) -> None:
    """Set the cell's score, status and message from what grading found and ``hand``."""
    cell.manual_score = hand.manual_score if hand else None
    cell.extra_credit = hand.extra_credit if hand else None
    extra = cell.extra_credit or 0.0
    note = f" (+{extra:g} extra credit)" if extra else ""
    if cell.manual_score is not None and hand is not None and hand.stale:
        cell.score, cell.status = None, "needs_manual"
        cell.message = (
            f"{BY_HAND} ({cell.manual_score:g} points) before the answer changed: "
            "grade it again in formgrader"
        )
    elif cell.manual_score is not None:
        cell.score, cell.status = cell.manual_score + extra, "graded"
        if cell.function is None:
            cell.message = BY_HAND + note
        else:
            auto = "none" if cell.auto_score is None else f"{cell.auto_score:g}"
            found = f"; {cell.auto_message}" if cell.auto_message else ""
            cell.message = (
                f"score set by hand in formgrader (automatic: {auto} / {cell.max_score:g}"
                f"{found}){note}"
            )
    else:
        cell.status, cell.message = cell.auto_status or cell.status, cell.auto_message + note
        cell.score = None if cell.auto_score is None else cell.auto_score + extra


def apply_late_policy(policy: LatePolicy, result: SubmissionResult) -> None:
    """Lateness and penalty from the submission's time, the deadline and the total now."""
    if not result.timestamp:
        return
    deadline = policy.deadline(result.assignment)
    late = (parse_time(result.timestamp) - deadline).total_seconds() if deadline else 0.0
    result.seconds_late = max(late, 0.0)
    raw = sum(c.score or 0.0 for c in result.cells)
    result.late_penalty = policy.penalty(result.seconds_late, raw, result.max_score)


def apply(result: SubmissionResult, hand: dict[str, HandGrade], policy: LatePolicy) -> bool:
    """Apply the hand-given scores and the late policy to ``result``; True if it changed.

    Only submissions graded cell by cell take hand grades (not a missing, ungradable or
    crashed one, whose gradebook entry, if any, belongs to an earlier submission)."""
    before = asdict(result)
    graded = [c for c in result.cells if c.auto_status]
    for cell in graded:
        apply_cell(cell, hand.get(cell.grade_id))
    if graded:
        result.summarize()
    apply_late_policy(policy, result)
    return asdict(result) != before


def sync(course: Course) -> list[SubmissionResult]:
    """Bring the gradebook's hand-given scores into every result, save the results that
    changed, mirror the late penalties, write the CSVs; return all results."""
    results = load_all(course.path("results"))
    policy = course.policy()
    with gradebook.open_gradebook(course) as gb:
        hand = gradebook.hand_grades(gb)
        for r in results:
            if apply(r, hand.get((r.student_id, r.assignment, r.notebook), {}), policy):
                r.save(course.result_file(r.student_id, r.assignment))
        gradebook.mirror_late_penalties(gb, [r for r in results if _graded(r)])
    write_csvs(results, course.path("reports"))
    return results


def _graded(result: SubmissionResult) -> bool:
    return any(c.auto_status for c in result.cells)
