"""`grade`: autograde what has been collected; every submission ends graded or listed.

The coordinating process plans the work (skipping submissions graded before and unchanged),
sends each submission out as a :class:`~autograder.grading.tasks.Task` (local worker processes, or
a Dask cluster), and, as each result comes back, combines nbgrader's in-kernel scores with
the verified ones (each test cell scored by the verification of its own stage; the
notebook's verdict only tells tampering from a bug: :mod:`autograder.grading.scoring`),
applies the late policy, and writes the gradebook, the graded notebook and
``results/<assignment>/<student>.json``: it is the only writer. Then the hand-given scores
are brought in from the gradebook and the CSVs written from all saved results
(:func:`autograder.grading.manual.sync`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from autograder.course import Course, LatePolicy, parse_time
from autograder.grading import gradebook, manual, workers
from autograder.grading.options import Options
from autograder.grading.results import CellResult, Status, SubmissionResult
from autograder.grading.scoring import combine, read_graded
from autograder.grading.tasks import Task, TaskResult, run_task
from autograder.grading.verify import course_secret, verification_seed
from autograder.stages.collect import content_warning
from autograder.stages.release import grading_checks_path, template_paths, write_grading_checks
from backprop_ref.specs import LESSONS, Lesson


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
            unsandboxed = previous.sandboxed is False and self.options.sandboxed
            if previous.digest == fingerprint and not unsandboxed:  # else: grade it again
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
            options=o,
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
            result = combine(lesson, task.student, out)
            changed = _set_basis(result, out, task, self.course.result_file(*_key(task)))
            if task.timestamp:
                result.timestamp = parse_time(task.timestamp).isoformat()
            manual.apply_late_policy(self.policy, result)
            run = gradebook.KernelRun(out.grades, out.comments, out.autograded)
            gradebook.record(self.gradebook(), self.course, result, run, task.timestamp, changed)
            seconds["record"] = time.perf_counter() - start
        result.seconds = seconds
        result.sandboxed = task.options.sandboxed
        self._save(result, self.fingerprint(path, task.assignment))


def _key(task: Task) -> tuple[str, str]:
    return task.student, task.assignment


def _set_basis(result: SubmissionResult, out: TaskResult, task: Task, saved: Path) -> set[str]:
    """Record what a hand-given score on each cell would refer to (a written answer's text;
    for an autograded cell, the notebook); return the cells where it changed since the
    submission was last graded (a hand-given score there needs grading again)."""
    graded = read_graded(out.autograded)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in (graded.cells if graded is not None else [])
        if isinstance(c.get("metadata", {}).get("nbgrader", {}).get("grade_id"), str)
    }
    whole = hashlib.sha256(task.notebook).hexdigest()
    for c in result.cells:
        text = answers.get(c.grade_id, "")
        c.basis = whole if c.function else hashlib.sha256(text.encode()).hexdigest()
    if not saved.exists():
        return set()
    try:
        before = {c.grade_id: c.basis for c in SubmissionResult.load(saved).cells}
    except (OSError, ValueError, TypeError):
        return set()
    return {c.grade_id for c in result.cells if before.get(c.grade_id) not in ("", None, c.basis)}


def grade(
    course: Course,
    options: Options,
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    runner: workers.Runner = run_task,
) -> list[SubmissionResult]:
    """Grade the planned submissions; write the CSVs; return this run's results.

    ``runner`` grades one task in a worker (default :func:`autograder.grading.tasks.run_task`;
    tests pass a wrapper of it that makes chosen workers die or hang)."""
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
            workers.run_dask(tasks, options.scheduler, on_result, runner)
        else:
            workers.run_local(tasks, options.workers, options.task_timeout, on_result, runner)
    finally:
        grader.close()
    synced = {(r.student_id, r.assignment): r for r in manual.sync(course)}  # + hand grades, CSVs
    ran = {(r.student_id, r.assignment) for r in grader.results}
    return [synced[k] for k in sorted(ran, key=lambda k: (k[1], k[0])) if k in synced]
