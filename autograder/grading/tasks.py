"""A grading task: everything needed to grade one submission, carried by value.

A :class:`Task` holds the submitted notebook, the lesson's trusted source and the grading
:class:`~autograder.grading.options.Options`, so a worker needs no shared filesystem (a
local process or a Dask worker on another machine). The worker autogrades in a private
course of its own (nbgrader in the sandbox), verifies the functions out of process, and
returns a :class:`TaskResult`: plain numbers, texts and the graded notebook. Only the
coordinating process writes the course's gradebook and files (one writer), so workers never
contend for it.
"""

from __future__ import annotations

import atexit
import faulthandler
import hashlib
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat

from autograder.grading.options import Options
from autograder.grading.verify import FunctionVerdict, verify
from autograder.nbgrader_glue import nbg
from autograder.sandbox.base import own_uid
from backprop_ref.specs import LESSONS

#: This process's private courses, one per assignment, and the source each was made from.
_PRIVATE: dict[str, tuple[str, Path]] = {}


@dataclass(frozen=True)
class Task:
    student: str
    assignment: str
    notebook: bytes
    timestamp: str | None
    source: bytes  # the lesson's nbgrader source notebook (trusted)
    seed: int | None  # verification seed; None: no verification
    template: bytes | None = None  # a gradebook with just this assignment (from release)
    checks: bytes | None = None  # the grader's check data of the assignment (from release)
    #: How to grade; the worker ends itself past ``options.task_timeout`` (+ WATCHDOG_GRACE).
    options: Options = field(default_factory=Options)


#: The worker's own watchdog fires this long after the task's time limit: a local pool kills
#: the worker at the limit itself (and says why); on a Dask cluster the watchdog is the bound.
WATCHDOG_GRACE = 30.0


@dataclass
class TaskResult:
    student: str
    assignment: str
    ok: bool
    reason: str = ""
    grades: dict[str, float | None] = field(default_factory=dict)  # nbgrader's, per grade cell
    comments: dict[str, str | None] = field(default_factory=dict)
    autograded: bytes | None = None
    verification: dict[str, FunctionVerdict] | None = None  # by function, per test cell
    seconds: dict[str, float] = field(default_factory=dict)
    infrastructure: bool = False  # failed for a reason of ours (a worker died or hung)


def worker_uid(task: Task) -> int:
    """This process's own sandbox uid (:func:`autograder.sandbox.base.own_uid`), from
    ``task.options.uid``."""
    return own_uid(task.options.uid)


def remove_private_courses() -> None:
    """Delete this process's private courses (at exit; they hold nothing of value)."""
    while _PRIVATE:
        shutil.rmtree(_PRIVATE.popitem()[1][1], ignore_errors=True)


def _scratch_gradebooks() -> None:
    """No ``fsync`` for the private courses' gradebooks (SQLite ``synchronous=OFF``, journal
    in memory). Each is a scratch copy that lives only while this process grades: nothing
    is read back from it after the task (scores come back by value), so durability buys
    nothing, and nbgrader commits some fifty times per notebook (each a disk flush, slow on
    a busy disk). The course's own gradebook, written by the coordinator, keeps SQLite's
    defaults. Registered once per process; applies only to databases inside a private
    course."""
    global _SCRATCH_HOOKED
    if _SCRATCH_HOOKED:
        return
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def connect(dbapi_connection: object, record: object) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        row = dbapi_connection.execute("PRAGMA database_list").fetchone()
        file = Path(row[2]) if row and row[2] else None
        if file is not None and any(root in file.parents for _, root in _PRIVATE.values()):
            dbapi_connection.execute("PRAGMA synchronous=OFF")
            dbapi_connection.execute("PRAGMA journal_mode=MEMORY")

    event.listen(Engine, "connect", connect)
    _SCRATCH_HOOKED = True


_SCRATCH_HOOKED = False


def _private_course(task: Task) -> Path:
    """A course of this process's own with ``task.assignment`` released from its source:
    from the template gradebook the task carries, or else by generating it here."""
    digest = hashlib.sha256(task.source).hexdigest()
    known = _PRIVATE.get(task.assignment)
    if known is not None and known[0] == digest and known[1].exists():
        return known[1]
    if not _PRIVATE:
        atexit.register(remove_private_courses)  # Dask workers; the local pool calls it too
    root = Path(tempfile.mkdtemp(prefix=f"grade-{task.assignment}-"))
    folder = root / "source" / task.assignment
    folder.mkdir(parents=True)
    (folder / f"{task.assignment}.ipynb").write_bytes(task.source)
    if task.template is not None:
        (root / "gradebook.db").write_bytes(task.template)
    else:
        with nbg.quiet_logs():
            result = nbg.open_api(root).generate_assignment(task.assignment)
        if not result.get("success"):
            raise RuntimeError(f"could not prepare {task.assignment}: {result.get('error')}")
    if known is not None:
        shutil.rmtree(known[1], ignore_errors=True)
    _PRIVATE[task.assignment] = (digest, root)
    return root


def run_task(task: Task) -> TaskResult:
    """Grade one submission (runs in a worker process; never touches the real course).

    Past ``task.options.task_timeout`` the process ends itself: faulthandler's watchdog is a
    thread of the interpreter's C runtime that needs no GIL, so nothing the worker is busy with (a
    submission's outputs included) can hold it up."""
    if task.options.task_timeout:
        faulthandler.dump_traceback_later(task.options.task_timeout + WATCHDOG_GRACE, exit=True)
    try:
        return _run_task(task)
    finally:
        faulthandler.cancel_dump_traceback_later()


def _run_task(task: Task) -> TaskResult:
    options = replace(task.options, uid=worker_uid(task))
    root = _private_course(task)
    _scratch_gradebooks()
    name, student = task.assignment, task.student
    if task.checks is not None:  # read by the kernel's check() (see SandboxedExecute)
        (root / "grading-checks").mkdir(exist_ok=True)
        (root / "grading-checks" / f"{name}.npz").write_bytes(task.checks)
    folder = root / "submitted" / student / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / f"{name}.ipynb").write_bytes(task.notebook)
    if task.timestamp:
        (folder / "timestamp.txt").write_text(task.timestamp)
    out = TaskResult(student, name, ok=False)
    t0 = time.perf_counter()
    try:
        with nbg.quiet_logs():
            run = nbg.open_api(root, extra=options.nbgrader_config()).autograde(name, student)
        out.seconds["autograde"] = time.perf_counter() - t0
        graded = root / "autograded" / student / name / f"{name}.ipynb"
        if not run.get("success") or not graded.exists():
            out.reason = nbg.failure_reason(run)
            return out
        scores, out.comments = nbg.notebook_results(nbg.sqlite_url(root), name, name, student)
        out.grades = {gid: s.auto_score for gid, s in scores.items()}
        out.autograded = graded.read_bytes()
        if task.seed is not None:
            nb = nbformat.reads(out.autograded.decode("utf-8"), as_version=4)
            v = verify(LESSONS[name], nb, task.seed, options.sandbox())
            out.verification = dict(v.verdicts)
            out.seconds["verify"] = v.seconds
        out.ok = True
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(root / "autograded" / student, ignore_errors=True)
