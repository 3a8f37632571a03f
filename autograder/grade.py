"""`grade`: autograde what has been collected; every submission ends graded or listed.

The coordinating process plans the work (skipping submissions graded before and unchanged),
sends each submission out as a :class:`~autograder.tasks.Task` (local worker processes, or
a Dask cluster), and, as each result comes back, combines nbgrader's in-kernel scores with
the verified ones (authoritative; disagreements are flagged), applies the late policy, and
writes the gradebook, the graded notebook and ``results/<assignment>/<student>.json``: it is
the only writer. The CSVs are then written from all saved results.
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

from traitlets.config import Config

from autograder import gradebook
from autograder.collect import content_warning
from autograder.course import Course, LatePolicy, parse_time
from autograder.release import grading_checks_path, template_paths, write_grading_checks
from autograder.results import CellResult, Status, SubmissionResult, load_all, worst, write_csvs
from autograder.sandbox import Sandbox, Unsandboxed
from autograder.tasks import Task, TaskResult
from autograder.verify import course_secret, verification_seed
from backprop_ref.specs import LESSONS, Lesson

DIFFER = "results differ between the notebook and verification"


@dataclass(frozen=True)
class Options:
    """How to grade. ``sandboxed=False`` is ``--no-sandbox``: the same runs, no isolation."""

    sandboxed: bool = True
    verify: bool = True
    force: bool = False
    backup: bool = True
    workers: int = 1
    scheduler: str | None = None  # a dask.distributed scheduler address
    uid: int = 60000  # the sandbox's unprivileged uid (plus the worker's index)
    cell_timeout: int | None = None  # None: the course config's
    notebook_timeout: int | None = None
    task_timeout: float = 900.0  # a worker still busy after this is killed (then retried)

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


def plan(
    course: Course, assignments: list[str] | None, students: list[str] | None
) -> list[tuple[str, str]]:
    """(student, assignment) pairs to grade, in a stable order."""
    released = course.assignments()
    chosen = assignments or released
    unknown = [a for a in chosen if a not in released]
    if unknown:
        raise ValueError(f"not released: {', '.join(unknown)} (released: {', '.join(released)})")
    people = gradebook.students(course)
    if students:
        missing = [s for s in students if s not in people]
        if missing:
            raise ValueError(f"no such student(s): {', '.join(missing)}")
        people = students
    return [(s, a) for a in chosen for s in people]


def _blank(lesson: Lesson, student: str, status: Status, message: str) -> SubmissionResult:
    cells = [
        CellResult(c.grade_id, 0.0, float(c.points), status, message, c.spec) for c in lesson.cells
    ]
    return SubmissionResult(student, lesson.name, lesson.name, status, message, cells)


class Grader:
    """One grading run over a course: prepares tasks, receives results, writes everything."""

    def __init__(self, course: Course, options: Options) -> None:
        self.course = course
        self.options = options
        self.policy: LatePolicy = course.policy()
        self.secret = course_secret(course.root) if options.verify else b""
        self.results: list[SubmissionResult] = []
        self._gb: object | None = None

    def gradebook(self):  # type: ignore[no-untyped-def]
        """One gradebook connection for the whole run (this process is its only writer)."""
        if self._gb is None:
            self._gb = gradebook.open_gradebook(self.course)
        return self._gb

    def close(self) -> None:
        if self._gb is not None:
            self._gb.close()  # type: ignore[attr-defined]
            self._gb = None

    def fingerprint(self, path: Path, assignment: str) -> str:
        """Changes when the submission or the lesson's source changes (then: regrade)."""
        source = self.course.path("source", assignment, f"{assignment}.ipynb")
        return f"{digest(path)}:{digest(source)[:16]}"

    def prepare(self, student: str, assignment: str) -> Task | None:
        """A task for this submission, or None when its result is settled without grading."""
        lesson = LESSONS[assignment]
        folder = self.course.submission_dir(student, assignment)
        path = folder / f"{assignment}.ipynb"
        saved = self.course.result_file(student, assignment)
        fingerprint = self.fingerprint(path, assignment)
        if saved.exists() and not self.options.force:
            previous = SubmissionResult.load(saved)
            if previous.digest == fingerprint:
                self.results.append(previous)
                return None
        if not path.exists():
            return self._save(_blank(lesson, student, "missing", "no submission"), fingerprint)
        if problem := content_warning(path.read_bytes()):
            return self._save(_blank(lesson, student, "ungradable", problem), fingerprint)
        stamp = folder / "timestamp.txt"
        source = self.course.path("source", assignment, f"{assignment}.ipynb").read_bytes()
        o = self.options
        seed = (
            verification_seed(self.secret, student, assignment, digest(path)) if o.verify else None
        )
        return Task(
            student=student,
            assignment=assignment,
            notebook=path.read_bytes(),
            timestamp=stamp.read_text() if stamp.exists() else None,
            source=source,
            seed=seed,
            template=self.template(assignment, source),
            checks=self.checks(assignment),
            sandboxed=o.sandboxed,
            uid=o.uid,
            cell_timeout=o.cell_timeout,
            notebook_timeout=o.notebook_timeout,
        )

    def template(self, assignment: str, source: bytes) -> bytes | None:
        """The assignment's grading template, if release made one from this very source."""
        db, digest = template_paths(self.course, assignment)
        if db.exists() and digest.exists():
            if digest.read_text().strip() == hashlib.sha256(source).hexdigest():
                return db.read_bytes()
        return None

    def checks(self, assignment: str) -> bytes:
        """The assignment's check data for the kernel (written by release; made now for a
        course released before there were check files)."""
        path = grading_checks_path(self.course, assignment)
        if not path.exists():
            write_grading_checks(self.course, assignment)
        return path.read_bytes()

    def _save(self, result: SubmissionResult, fingerprint: str) -> None:
        result.digest = fingerprint
        result.save(self.course.result_file(result.student_id, result.assignment))
        self.results.append(result)

    def finish(self, task: Task, out: TaskResult) -> None:
        """Turn a worker's result into the submission's result (the single writer)."""
        lesson = LESSONS[task.assignment]
        path = (
            self.course.submission_dir(task.student, task.assignment) / f"{task.assignment}.ipynb"
        )
        seconds = dict(out.seconds)
        if not out.ok:
            status: Status = "needs_attention" if out.infrastructure else "ungradable"
            result = _blank(lesson, task.student, status, out.reason)
        else:
            start = time.perf_counter()
            gb = self.gradebook()
            manual = gradebook.manual_scores(gb, task.student, task.assignment)
            result = combine(lesson, task.student, out, manual)
            result.timestamp = _lateness(self.policy, result, task.timestamp)
            gradebook.record(gb, self.course, result, out, task.timestamp)
            seconds["record"] = time.perf_counter() - start
        result.seconds = seconds
        self._save(result, self.fingerprint(path, task.assignment))


def grade(
    course: Course,
    options: Options,
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[SubmissionResult]:
    """Grade the planned submissions; write the CSVs; return this run's results."""
    from autograder import workers

    pairs = plan(course, assignments, students)
    if options.backup:
        backup_gradebook(course)
    grader = Grader(course, options)
    tasks = []
    for student, assignment in pairs:
        task = grader.prepare(student, assignment)
        if task is None and progress:
            progress(f"{student}/{assignment}")
        elif task is not None:
            tasks.append(task)

    def on_result(task: Task, out: TaskResult) -> None:
        grader.finish(task, out)
        if progress:
            progress(f"{task.student}/{task.assignment}")

    try:
        if options.scheduler:
            workers.run_dask(tasks, options.scheduler, on_result)
        else:
            workers.run_local(tasks, options.workers, options.task_timeout, on_result)
    finally:
        grader.close()
    write_csvs(load_all(course.path("results")), course.path("reports"))
    return sorted(grader.results, key=lambda r: (r.assignment, r.student_id))


def combine(
    lesson: Lesson, student: str, out: TaskResult, manual: dict[str, float | None]
) -> SubmissionResult:
    """Cell by cell: the verified result is authoritative; disagreements are flagged."""
    cells = [_cell(cell, out, manual.get(cell.grade_id)) for cell in lesson.cells]
    status = worst([c.status for c in cells])
    reasons = sorted(
        {
            c.message if (c.function or "") in c.message else f"{c.function}: {c.message}"
            for c in cells
            if c.status == "needs_attention"
        }
    )
    result = SubmissionResult(student, lesson.name, lesson.name, status, "; ".join(reasons), cells)
    if out.verification is not None:
        result.verification = {
            n: ("passed" if ok else msg) for n, (ok, msg) in sorted(out.verification.items())
        }
    return result


def _cell(cell: object, out: TaskResult, manual: float | None) -> CellResult:
    from backprop_ref.specs import GradedCell

    assert isinstance(cell, GradedCell)
    points = float(cell.points)
    kernel = out.grades.get(cell.grade_id)
    if cell.kind == "manual":
        if manual is not None:
            return CellResult(cell.grade_id, manual, points, "graded")
        if kernel == 0:  # nbgrader: the answer cell is unchanged from the student version
            return CellResult(cell.grade_id, 0.0, points, "graded", "no answer")
        return CellResult(cell.grade_id, None, points, "needs_manual", "awaiting manual grading")
    kernel_score = kernel or 0.0
    if out.verification is None:
        return CellResult(cell.grade_id, kernel_score, points, "graded", "", cell.spec, kernel)
    passed, message = out.verification[cell.spec]  # type: ignore[index]
    kernel_pass = kernel_score >= points
    status: Status = "graded"
    if passed != kernel_pass:
        status = "needs_attention"
        said = "passed" if kernel_pass else "failed"
        message = f"{DIFFER}: the notebook's test {said}, verification " + (
            "passed" if passed else f"failed: {message}"
        )
    return CellResult(
        cell.grade_id, points if passed else 0.0, points, status, message, cell.spec, kernel
    )


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


def _lateness(policy: LatePolicy, result: SubmissionResult, timestamp: str | None) -> str | None:
    if not timestamp:
        return None
    stamp = parse_time(timestamp)
    deadline = policy.deadline(result.assignment)
    if deadline is not None:
        result.seconds_late = max((stamp - deadline).total_seconds(), 0.0)
        raw = sum(c.score or 0.0 for c in result.cells)
        result.late_penalty = policy.penalty(result.seconds_late, raw, result.max_score)
    return stamp.isoformat()
