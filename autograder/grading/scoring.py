"""Scoring a graded submission cell by cell: the notebook's verdict and verification's.

Each autograded test cell is scored by the verification of its own stage (visible or
hidden: :mod:`autograder.grading.verify`); the notebook's own verdict (nbgrader's score from the
student's kernel) only decides whether a difference needs an instructor
(:func:`judge_cell`). Written answers wait for formgrader (:mod:`autograder.grading.manual`).
"""

from __future__ import annotations

from collections.abc import Callable

import nbformat

from autograder.grading.results import CellResult, Status, SubmissionResult
from autograder.grading.tasks import TaskResult
from autograder.grading.verify import StageVerdict
from backprop_ref.specs import GradedCell, Lesson

DIFFER = "results differ between the notebook and verification"
MISSED = (
    "passes the notebook's own tests, but fails on new inputs of the same kind (a bug those "
    "tests miss)"
)
UNCLEAN = "the notebook's test did not run cleanly"
NOTHING_RAN = (
    "verification could not run any function to its end: the sandbox failed (e.g. no "
    "process could start), or the notebook's definitions end the process"
)


def combine(lesson: Lesson, student: str, out: TaskResult) -> SubmissionResult:
    """Cell by cell, what grading found (before any hand-given score: see
    :mod:`autograder.grading.manual`). Each test cell is scored by the verification of its own
    stage; the notebook's verdict only decides whether a failure needs an instructor."""
    graded = read_graded(out.autograded)
    cells = [_cell(cell, out, graded) for cell in lesson.cells]
    stages = [s for v in (out.verification or {}).values() for s in v.stages.values()]
    if stages and all(s.unfinished for s in stages):  # not one function ran to its end
        for c in cells:
            if c.function is not None:
                c.status = "needs_attention"
                c.message = f"{NOTHING_RAN} ({stages[0].message}); regrade with --force"
    for c in cells:
        c.auto_score, c.auto_status, c.auto_message = c.score, c.status, c.message
    result = SubmissionResult(student, lesson.name, lesson.name, "graded", "", cells)
    result.summarize()
    if out.verification is not None:
        result.verification = {
            n: "; ".join(
                f"{stage}: {'passed' if s.passed else s.message}" for stage, s in v.stages.items()
            )
            for n, v in sorted(out.verification.items())
        }
    return result


def read_graded(data: bytes | None) -> nbformat.NotebookNode | None:
    if data is None:
        return None
    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception:
        return None


def _cell(cell: GradedCell, out: TaskResult, graded: nbformat.NotebookNode | None) -> CellResult:
    points = float(cell.points)
    kernel = out.grades.get(cell.grade_id)
    if cell.kind == "manual":
        if kernel == 0:  # nbgrader: the answer cell is unchanged from the student version
            return CellResult(cell.grade_id, 0.0, points, "graded", "no answer")
        return CellResult(cell.grade_id, None, points, "needs_manual", "awaiting manual grading")
    if out.verification is None:
        return CellResult(cell.grade_id, kernel or 0.0, points, "graded", "", cell.spec, kernel)
    verdict = out.verification.get(cell.spec or "")
    stage = verdict.stages.get(cell.kind) if verdict is not None else None
    if stage is None:
        why = f"{cell.spec}: this test cell was not verified"
        return CellResult(cell.grade_id, 0.0, points, "needs_attention", why, cell.spec, kernel)
    status, message = judge_cell(
        kernel is not None and kernel >= points, stage, lambda: kernel_failure(graded, cell)
    )
    score = points if stage.passed else 0.0
    return CellResult(cell.grade_id, score, points, status, message, cell.spec, kernel)


def judge_cell(
    kernel_passed: bool, stage: StageVerdict, kernel_failure: Callable[[], tuple[bool, str]]
) -> tuple[Status, str]:
    """The status and message of a verified test cell (its score is the verification's).

    - verified (fresh and fixed cases) and passed in the notebook: graded;
    - failed the notebook's own cases, which the notebook reported as passed: the notebook's
      verdict was not the function's (tampering, or code outside the function that changed
      the test's outcome): ``needs_attention``;
    - passed the notebook's own cases, failed fresh ones: a bug those cases miss; graded;
    - passed verification, failed in the notebook: graded when the test did not run cleanly
      there (stderr output, a timeout, a dead kernel, an error other than the check's own
      AssertionError), ``needs_attention`` when the check itself judged the same cases wrong;
    - the grader's judge raised: ``needs_attention`` (the grader's fault, not the student's);
    - verification could not run the function to the end (crash, timeout) although the
      notebook's test passed: ``needs_attention``.
    """
    if stage.judge_error:
        return "needs_attention", stage.message
    if stage.unfinished and kernel_passed:
        return "needs_attention", (
            f"{DIFFER}: the notebook's test passed, but verification could not run the "
            f"function to the end: {stage.message}"
        )
    if not stage.passed:
        if kernel_passed and not stage.fixed:
            return "needs_attention", (
                f"{DIFFER}: the notebook reported this test as passed, but outside the "
                "notebook the function fails the very cases that test ran (were the tests "
                f"or the checker tampered with?): {stage.fixed_message}"
            )
        if kernel_passed:
            return "graded", (f"{MISSED}: {stage.fresh_message}")
        return "graded", stage.message
    if kernel_passed:
        return "graded", ""
    judged, why = kernel_failure()
    if judged:
        return "needs_attention", (
            f"{DIFFER}: the notebook's test failed ({why}), but outside the notebook the "
            "function passes the same cases and new ones; points from verification"
        )
    return "graded", (
        f"{UNCLEAN} ({why}), but outside the notebook the function passes the same cases and "
        "new ones; points from verification"
    )


def kernel_failure(graded: nbformat.NotebookNode | None, cell: GradedCell) -> tuple[bool, str]:
    """Why the notebook's test cell failed: (the check judged the function wrong, in words).
    Read from the graded notebook's outputs (student-controlled: only the wording and the
    status of a cell verification passed depend on it, never a score)."""
    try:
        return _kernel_failure(graded, cell)
    except (AttributeError, TypeError, IndexError):  # outputs of an unexpected shape
        return False, "its output could not be read"


def _kernel_failure(graded: nbformat.NotebookNode | None, cell: GradedCell) -> tuple[bool, str]:
    found = None
    for c in graded.cells if graded is not None else []:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell.grade_id:
            found = c
            break
    if found is None:
        return False, "the test cell has no result"
    for output in found.get("outputs", []):
        if output.get("output_type") == "error":
            ename, evalue = str(output.get("ename", "")), str(output.get("evalue", ""))
            first = evalue.strip().splitlines()[0] if evalue.strip() else ""
            return ename == "AssertionError", f"{ename}: {first}"[:200].rstrip(": ")
    for output in found.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = " ".join(str(output.get("text", "")).split())
            return False, f"it wrote to stderr: {text[:120]}"
    return False, "no error shown"
