"""`grade`: autograde what has been collected; every submission ends graded or listed.

Per submission: nbgrader autogrades it (the student's kernel, for feedback), the graded
functions are verified out of process (:mod:`autograder.verify`: the authoritative score),
the two are combined cell by cell, the gradebook is updated with the verified scores, and
the result is saved as ``course/results/<assignment>/<student>.json``. The CSVs are then
written from all saved results. Unchanged submissions are not regraded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from traitlets.config import Config

from autograder import nbg
from autograder.collect import content_warning
from autograder.course import Course, LatePolicy, parse_time
from autograder.results import CellResult, SubmissionResult, load_all, worst, write_csvs
from autograder.sandbox import Sandbox, Unsandboxed
from autograder.verify import Verification, course_secret, verification_seed, verify
from backprop_ref.specs import LESSONS, Lesson

DIFFER = "results differ between the notebook and verification"


@dataclass(frozen=True)
class Options:
    """How to grade. ``sandboxed=False`` is ``--no-sandbox``: the same runs, no isolation."""

    sandboxed: bool = True
    verify: bool = True
    force: bool = False
    backup: bool = True
    uid: int = 60000  # the sandbox's unprivileged uid (one per parallel worker)
    cell_timeout: int | None = None  # None: the course config's
    notebook_timeout: int | None = None

    def sandbox(self) -> Sandbox:
        if not self.sandboxed:
            return Unsandboxed()
        from autograder.bwrap import Bubblewrap

        return Bubblewrap(uid=self.uid)

    def nbgrader_config(self) -> Config:
        c = Config()
        c.SandboxedExecute.sandbox = "bubblewrap" if self.sandboxed else "none"
        c.SandboxedExecute.uid = self.uid
        if self.cell_timeout is not None:
            c.SandboxedExecute.cell_timeout = self.cell_timeout
        if self.notebook_timeout is not None:
            c.SandboxedExecute.notebook_timeout = self.notebook_timeout
        return c


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def grader_fingerprint(course: Course, assignment: str) -> str:
    """Changes when the lesson's source changes: results of an older source are regraded."""
    return digest(course.path("source", assignment, f"{assignment}.ipynb"))[:16]


def backup_gradebook(course: Course, keep: int = 20) -> Path | None:
    """Copy a SQLite gradebook to ``backups/`` before a run (other databases: use their tools)."""
    db = course.path("gradebook.db")
    if not course.db_url.startswith("sqlite") or not db.exists():
        return None
    folder = course.path("backups")
    folder.mkdir(exist_ok=True)
    target = folder / f"gradebook-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}.db"
    shutil.copy2(db, target)
    for old in sorted(folder.glob("gradebook-*.db"))[:-keep]:
        old.unlink()
    return target


def roster(course: Course) -> list[str]:
    from nbgrader.api import Gradebook

    nbg.ensure_alembic_on_path()
    with Gradebook(course.db_url) as gb:
        return sorted(s.id for s in gb.students)


def plan(
    course: Course, assignments: list[str] | None, students: list[str] | None
) -> list[tuple[str, str]]:
    """(student, assignment) pairs to grade, in a stable order."""
    released = course.assignments()
    chosen = assignments or released
    unknown = [a for a in chosen if a not in released]
    if unknown:
        raise ValueError(f"not released: {', '.join(unknown)} (released: {', '.join(released)})")
    people = roster(course)
    if students:
        missing = [s for s in students if s not in people]
        if missing:
            raise ValueError(f"no such student(s): {', '.join(missing)}")
        people = students
    return [(s, a) for a in chosen for s in people]


def grade(
    course: Course,
    options: Options,
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[SubmissionResult]:
    """Grade the planned submissions; write the CSVs; return every result of the run."""
    tasks = plan(course, assignments, students)
    if options.backup:
        backup_gradebook(course)
    api = nbg.open_api(course.root, course.db_url, options.nbgrader_config())
    policy = course.policy()
    results = []
    for student, assignment in tasks:
        if progress:
            progress(f"{student}/{assignment}")
        results.append(grade_one(course, api, policy, student, assignment, options))
    write_csvs(load_all(course.path("results")), course.path("reports"))
    return results


def grade_one(
    course: Course, api: object, policy: LatePolicy, student: str, assignment: str, options: Options
) -> SubmissionResult:
    lesson = LESSONS[assignment]
    path = course.submission_dir(student, assignment) / f"{assignment}.ipynb"
    fingerprint = f"{digest(path)}:{grader_fingerprint(course, assignment)}"
    saved = course.result_file(student, assignment)
    if saved.exists() and not options.force:
        previous = SubmissionResult.load(saved)
        if previous.digest == fingerprint:
            return previous
    result = _grade_submission(course, api, policy, lesson, student, path, options)
    result.digest = fingerprint
    result.save(saved)
    return result


def _blank(lesson: Lesson, student: str, status: str, message: str) -> SubmissionResult:
    cells = [
        CellResult(c.grade_id, 0.0, float(c.points), status, message, c.spec)  # type: ignore[arg-type]
        for c in lesson.cells
    ]
    return SubmissionResult(student, lesson.name, lesson.name, status, message, cells)  # type: ignore[arg-type]


def _grade_submission(
    course: Course,
    api: object,
    policy: LatePolicy,
    lesson: Lesson,
    student: str,
    path: Path,
    options: Options,
) -> SubmissionResult:
    if not path.exists():
        return _blank(lesson, student, "missing", "no submission")
    if problem := content_warning(path.read_bytes()):
        return _blank(lesson, student, "ungradable", problem)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with nbg.quiet_logs():
        run = api.autograde(lesson.name, student)  # type: ignore[attr-defined]
    seconds["autograde"] = time.perf_counter() - t0
    graded = course.path("autograded", student, lesson.name, f"{lesson.name}.ipynb")
    if not run.get("success") or not graded.exists():
        return _blank(lesson, student, "ungradable", failure_reason(run))
    kernel = nbg.notebook_scores(course.db_url, lesson.name, lesson.name, student)
    verification = None
    if options.verify:
        nb = nbformat.read(graded, as_version=4)
        seed = verification_seed(course_secret(course.root), student, lesson.name, digest(path))
        verification = verify(lesson, nb, seed, options.sandbox())
        seconds["verify"] = verification.seconds
    result = combine(lesson, student, kernel, verification)
    result.seconds = seconds
    _lateness(course, policy, result)
    _write_back(course, result)
    return result


def combine(
    lesson: Lesson,
    student: str,
    kernel: dict[str, nbg.CellScore],
    verification: Verification | None,
) -> SubmissionResult:
    """Cell by cell: the verified result is authoritative; disagreements are flagged."""
    cells = []
    for cell in lesson.cells:
        k = kernel.get(cell.grade_id)
        points = float(cell.points)
        if cell.kind == "manual":
            manual = None if k is None else k.manual_score
            status = "graded" if manual is not None else "needs_manual"
            cells.append(
                CellResult(
                    cell.grade_id,
                    manual,
                    points,
                    status,
                    "" if manual is not None else "awaiting manual grading",
                )
            )
            continue
        kernel_score = None if k is None else (k.auto_score or 0.0)
        kernel_pass = kernel_score is not None and kernel_score >= points
        if verification is None:
            cells.append(
                CellResult(
                    cell.grade_id,
                    kernel_score or 0.0,
                    points,
                    "graded",
                    "",
                    cell.spec,
                    kernel_score,
                )
            )
            continue
        v = verification.verdicts[cell.spec]  # type: ignore[index]
        score = points if v.passed else 0.0
        status, message = "graded", v.message
        if v.passed != kernel_pass:
            status = "needs_attention"
            said = "passed" if kernel_pass else "failed"
            message = f"{DIFFER}: the notebook's test {said}, verification " + (
                "passed" if v.passed else f"failed: {v.message}"
            )
        cells.append(
            CellResult(
                cell.grade_id,
                score,
                points,
                status,
                message,
                cell.spec,  # type: ignore[arg-type]
                kernel_score,
            )
        )
    status = worst([c.status for c in cells])
    reasons = sorted({c.message.split(":")[0] for c in cells if c.status == "needs_attention"})
    result = SubmissionResult(student, lesson.name, lesson.name, status, "; ".join(reasons), cells)
    if verification is not None:
        result.verification = {
            n: ("passed" if v.passed else v.message) for n, v in verification.verdicts.items()
        }
    return result


def failure_reason(run: dict[str, object]) -> str:
    """The exception behind nbgrader's failure, in one line (its log has the traceback)."""
    text = f"{run.get('log') or ''}\n{run.get('error') or ''}"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    generic = ("NbGraderException", "There was an error", "Please see the", "Removing failed")
    found = [
        ln
        for ln in lines
        if re.match(r"^[A-Za-z_.]*(Error|Exception)\b.*:", ln) and not any(g in ln for g in generic)
    ]
    last = found[-1] if found else (lines[-1] if lines else "no message")
    return f"nbgrader could not grade this notebook: {last[:300]}"


def _lateness(course: Course, policy: LatePolicy, result: SubmissionResult) -> None:
    stamp_file = course.submission_dir(result.student_id, result.assignment) / "timestamp.txt"
    deadline = policy.deadline(result.assignment)
    if not stamp_file.exists():
        return
    stamp = parse_time(stamp_file.read_text())
    result.timestamp = stamp.isoformat()
    if deadline is not None:
        result.seconds_late = max((stamp - deadline).total_seconds(), 0.0)
        raw = sum(c.score or 0.0 for c in result.cells)
        result.late_penalty = policy.penalty(result.seconds_late, raw, result.max_score)


def _write_back(course: Course, result: SubmissionResult) -> None:
    """Store the verified scores and the late penalty in the gradebook (formgrader shows them)."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        nb = gb.find_submission_notebook(result.notebook, result.assignment, result.student_id)
        by_id = {c.grade_id: c for c in result.cells}
        for grade in nb.grades:
            cell = by_id.get(grade.name)
            if cell is not None and cell.function is not None and cell.score is not None:
                grade.auto_score = cell.score
        nb.late_submission_penalty = result.late_penalty or None
        gb.db.commit()
