"""nbgrader's exchange on a shared machine (the JupyterHub set-up most nbgrader courses run).

Students use nbgrader's own commands, unchanged::

    nbgrader fetch_assignment 03_linear_layer --course backprop-course
    nbgrader submit 03_linear_layer --course backprop-course
    nbgrader fetch_feedback 03_linear_layer --course backprop-course

and the instructor's side goes through nbgrader's exchange classes: ``release --exchange``
is nbgrader's ``release_assignment`` (outbound 0755, inbound 2733: students can create a
submission there but not list or read anyone's), ``feedback --exchange`` is nbgrader's
``release_feedback`` (feedback 0711, files named by a hash of the student's
``submission_secret.txt``, so only the submitter finds theirs). The exchange root is
nbgrader's ``c.Exchange.root`` (course config) or ``--exchange DIR``.

``collect --exchange`` is where trust matters, and where we do not use nbgrader's logic
as is. nbgrader's ``submit`` runs in the student's process, as the student: the folder name
``<student>+<assignment>+<timestamp>+<random>`` and the ``timestamp.txt`` inside are
written by the student, who can write any name and any time into them (nbgrader's own
``collect`` only logs a warning when the owner differs from the name, and takes the time
from the name). So :class:`TrustedExchangeCollect` (a subclass of nbgrader's
``ExchangeCollect``, with its config, paths and checks) decides:

- **who**: the Unix owner of the submission folder (set by the kernel when the student's
  process created it; a student cannot give a folder away), which must be the student the
  name claims (nbgrader's ``ExchangeCollect.check_owner``, on by default). Otherwise the
  submission is listed and not collected.
- **when**: the latest change time (ctime) of the folder and everything in it. The kernel
  sets ctime to its own clock on every change and no system call sets it back (``utime``
  sets mtime and atime only), so a student can make a submission look later, never
  earlier, and changing it after the deadline makes it late. When nbgrader's own time (the
  name, ``timestamp.txt``) differs from it by more than five minutes, the submission is
  listed: a clock problem or a backdating attempt.
- **what**: regular files only (a symbolic link in the exchange would make the
  instructor's process read a file of the link's choosing), the notebook and
  ``submission_secret.txt`` (for feedback), each capped in size.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import stat
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc
from traitlets.config import Config

from autograder.course import Course
from autograder.nbgrader_glue import nbg
from autograder.stages import collect as collect_mod
from autograder.stages import times as times_mod
from autograder.stages.collect import Attention, CollectReport
from autograder.stages.platforms import Found
from autograder.stages.roster import id_problem

MAX_ENTRIES = 1000  # files in one submission folder: more is not a lesson submission
SECRET_BYTES = 1024


class ExchangeError(RuntimeError):
    """nbgrader's exchange refused (the message says why)."""


def config(root: str | None) -> Config:
    c = Config()
    if root:
        c.Exchange.root = str(Path(root).resolve())
    return c


def _api(course: Course, root: str | None, extra: Config | None = None) -> Any:
    c = config(root)
    if extra is not None:
        c.merge(extra)
    return nbg.open_api(course.root, course.db_url, c)


def _failure(result: dict[str, Any]) -> str:
    lines = [ln for ln in f"{result.get('log') or ''}\n{result.get('error') or ''}".splitlines()]
    useful = [ln.strip() for ln in lines if ln.strip() and "Traceback" not in ln]
    return useful[-1] if useful else "no message"


def release(course: Course, names: list[str], root: str | None) -> str:
    """Publish the released lessons to the exchange (nbgrader's release_assignment, replacing
    an earlier release); returns the exchange's course folder."""
    extra = Config()
    extra.ExchangeReleaseAssignment.force = True
    api = _api(course, root, extra)
    for name in names:
        with nbg.quiet_logs():
            result = api.release_assignment(name)
        if not result.get("success"):
            why = _failure(result)
            raise ExchangeError(f"nbgrader could not release {name} to the exchange: {why}")
    return str(Path(api.exchange_root or root or "") / api.coursedir.course_id)


@dataclass
class Submission:
    """One folder in the exchange's inbound directory, as collect judged it."""

    folder: str
    student: str
    time: dt.datetime  # trusted (ctime), UTC
    claims: list[tuple[str, dt.datetime]]  # nbgrader's times: (where, time)
    problem: str = ""
    owner: str = ""


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid} (no such user)"


def change_time(folder: Path) -> dt.datetime:
    """The latest ctime of ``folder`` and everything under it (links not followed)."""
    latest = folder.lstat().st_ctime
    count = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            count += 1
            if count > MAX_ENTRIES:
                raise ValueError(f"more than {MAX_ENTRIES} files")
            latest = max(latest, os.lstat(os.path.join(root, name)).st_ctime)
    return dt.datetime.fromtimestamp(latest, dt.UTC)


def _read_small(path: Path, limit: int) -> bytes | None:
    """A regular file's bytes (no link followed), or None when absent, a link, or too big."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return f.read(limit + 1)[:limit]


class TrustedExchangeCollect(ExchangeCollect):  # type: ignore[misc]
    """nbgrader's collect, deciding who and when from what the kernel records."""

    def init_src(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified (c.CourseDirectory.course_id).")
        self.inbound_path = os.path.join(self.root, self.coursedir.course_id, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"no inbound directory in the exchange: {self.inbound_path}")
        if not os.access(self.inbound_path, os.R_OK | os.X_OK):
            self.fail(f"cannot read the exchange's inbound directory: {self.inbound_path}")
        assignment = self.coursedir.assignment_id
        self.judged: list[Submission] = []
        for entry in sorted(os.listdir(self.inbound_path)):
            parts = entry.rsplit("+", 3)
            if len(parts) >= 3 and parts[1] == assignment:
                self.judged.append(self._judge(entry, parts[0], parts[2]))
        latest: dict[str, Submission] = {}
        groups: dict[str, list[Submission]] = defaultdict(list)
        for s in self.judged:
            if not s.problem:
                groups[s.student].append(s)
        due = self._duedate()
        for student, subs in groups.items():
            subs.sort(key=lambda s: s.time, reverse=True)
            on_time = [s for s in subs if due is not None and s.time <= due]
            latest[student] = on_time[0] if self.before_duedate and on_time else subs[0]
        self.chosen = sorted(latest.values(), key=lambda s: s.student)

    def _judge(self, entry: str, claimed: str, stamp: str) -> Submission:
        path = Path(self.inbound_path) / entry
        claims: list[tuple[str, dt.datetime]] = []
        try:
            claims.append(("the folder name", parse_utc(stamp).replace(tzinfo=dt.UTC)))
        except (ValueError, OverflowError):
            pass
        sub = Submission(entry, claimed, dt.datetime.now(dt.UTC), claims)
        try:
            info = path.lstat()
        except OSError as exc:  # removed while we looked
            sub.problem = f"unreadable: {exc.strerror}"
            return sub
        if not stat.S_ISDIR(info.st_mode):
            sub.problem = "not a folder (a link or a file) in the exchange"
            return sub
        owner = sub.owner = owner_name(info.st_uid)
        if self.check_owner and owner != claimed:
            sub.problem = f"claims to be {claimed[:64]!r}'s submission, but belongs to {owner!r}"
            return sub
        if problem := id_problem(claimed):
            sub.problem = problem
            return sub
        try:
            sub.time = change_time(path)
        except (OSError, ValueError) as exc:
            sub.problem = f"unreadable: {exc}"
            return sub
        text = _read_small(path / "timestamp.txt", 200)
        if text:
            try:
                when = parse_utc(text.decode("utf-8", "replace").strip())
                claims.append(("timestamp.txt", when.replace(tzinfo=dt.UTC)))
            except (ValueError, OverflowError):
                unreadable = dt.datetime.min.replace(tzinfo=dt.UTC)
                claims.append(("timestamp.txt (unreadable)", unreadable))
        return sub

    def _duedate(self) -> dt.datetime | None:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                due = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                return None
        return None if due is None else due.replace(tzinfo=dt.UTC)

    def init_dest(self) -> None:
        pass

    def copy_files(self) -> None:
        """Nothing here: :func:`collect` places the chosen submissions."""


def collect(
    course: Course, root: str | None, assignments: list[str] | None = None
) -> CollectReport:
    """Collect the latest submission of every student from the exchange."""
    released = course.assignments()
    if not released:
        raise ValueError("nothing is released yet: run `python -m autograder release` first")
    chosen = assignments or released
    unknown = [a for a in chosen if a not in released]
    if unknown:
        raise ValueError(f"not released: {', '.join(unknown)} (released: {', '.join(released)})")
    api = _api(course, root)
    report = CollectReport(layout="exchange")
    students: set[str] = set()
    for assignment in chosen:
        api.coursedir.assignment_id = assignment
        app = TrustedExchangeCollect(
            coursedir=api.coursedir, authenticator=api.authenticator, parent=api
        )
        try:
            with nbg.quiet_logs():
                app.start()
        except Exception as exc:  # nbgrader's ExchangeError and OS errors, in one line
            raise ExchangeError(f"{assignment}: {exc}") from None
        for sub in app.judged:
            if sub.problem:
                where = f"exchange inbound/{sub.folder}"
                who = _who(sub.owner) or _who(sub.student)
                report.attention.append(Attention(where, sub.problem, "", who))
        for sub in app.chosen:
            if _place(course, app, assignment, sub, report):
                students.add(sub.student)
    collect_mod._add_students(course, students)
    collect_mod._log(course, report)
    return report


def _who(claimed: str) -> str:
    return claimed if not id_problem(claimed) else ""


def _place(
    course: Course,
    app: TrustedExchangeCollect,
    assignment: str,
    sub: Submission,
    report: CollectReport,
) -> bool:
    folder = Path(app.inbound_path) / sub.folder
    origin = f"exchange inbound/{sub.folder}"
    notebook = _read_small(folder / f"{assignment}.ipynb", collect_mod.MAX_BYTES)
    if notebook is None:
        why = f"no regular file {assignment}.ipynb (under 20 MB) in the submission"
        report.attention.append(Attention(origin, why, "", sub.student))
        return False
    extra = sorted(
        p.name
        for p in folder.iterdir()
        if p.name not in (f"{assignment}.ipynb", *collect_mod.BOOKKEEPING)
    )
    if extra:
        names = ", ".join(extra)[:200]
        report.warnings.append(f"{origin}: not collected (not the notebook): {names}")
    stamp = times_mod.Stamp(sub.time, "the exchange (change time of the inbound submission)")
    found = Found(sub.student, assignment, notebook, origin)
    outcome = collect_mod._place(course, found, stamp)
    for where, claimed in sub.claims if outcome != "unchanged" else []:
        if times_mod.disagree(claimed, sub.time):
            said = "unreadable" if claimed.year == 1 else f"{claimed:%Y-%m-%d %H:%M:%S} UTC"
            why = (
                f"{where} says {said}, the exchange recorded {sub.time:%Y-%m-%d %H:%M:%S} UTC "
                "(the exchange's time is used)"
            )
            report.attention.append(Attention(origin, why, "", sub.student, "time"))
            break
    target = course.submission_dir(sub.student, assignment)
    secret = _read_small(folder / "submission_secret.txt", SECRET_BYTES)
    if secret is not None:
        (target / "submission_secret.txt").write_bytes(secret)
    {"new": report.accepted, "replaced": report.replaced, "unchanged": report.unchanged}[
        outcome
    ].append(f"{sub.student}/{assignment}")
    if warning := collect_mod.content_warning(notebook):
        where = f"{sub.student}/{assignment}"
        report.warnings.append(f"{where}: {warning} (will be listed ungradable)")
    return True


def release_feedback(
    course: Course,
    root: str | None,
    assignments: list[str] | None = None,
    students: list[str] | None = None,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Hand the feedback pages in ``course/feedback/`` back through the exchange (nbgrader's
    release_feedback); students fetch them with ``nbgrader fetch_feedback``. Returns
    (released "student/assignment", [(who, why not)])."""
    api = _api(course, root)
    released, skipped = [], []
    feedback = course.path("feedback")
    pages = sorted(feedback.glob("*/*/*.html")) if feedback.exists() else []
    for page in pages:
        student, assignment = page.parent.parent.name, page.parent.name
        if (assignments and assignment not in assignments) or (
            students and student not in students
        ):
            continue
        who = f"{student}/{assignment}"
        submitted = course.submission_dir(student, assignment)
        secret = _read_small(submitted / "submission_secret.txt", SECRET_BYTES)
        if not secret:
            skipped.append((who, "not submitted through the exchange (no submission secret)"))
            continue
        (page.parent / "submission_secret.txt").write_bytes(secret)
        stamp = page.parent / "timestamp.txt"
        if not stamp.exists() and (submitted / "timestamp.txt").exists():
            shutil.copy(submitted / "timestamp.txt", stamp)
        elif not stamp.exists():
            stamp.write_text("unknown")  # nbgrader only logs it
        with nbg.quiet_logs():
            result = api.release_feedback(assignment, student)
        if result.get("success"):
            released.append(who)
        else:
            skipped.append((who, _failure(result)))
    return released, skipped
