"""`collect`: import submissions from a folder or zip: the plain layout
``<student>/<assignment>/<nb>.ipynb``, a Canvas or Moodle submissions download (with the
platform's roster), or (see :mod:`autograder.stages.exchange`) nbgrader's exchange.

File checks only: names, types, sizes, links and paths. A notebook in the right place is
imported even when its contents are broken (grading will list it ``ungradable`` with the
reason); anything that cannot be placed is kept aside in ``course/attention/`` with the
reason, never dropped. A resubmission replaces the earlier one, which is kept in
``course/submitted-history/``; the same notebook collected again changes nothing. Every
student seen is added to the gradebook.

A submission's time comes only from a trusted source (:mod:`autograder.stages.times`), never
from the submission: a ``timestamp.txt`` in the input, file modification times and zip
entry dates are ignored. ``collect`` writes the time it decided into the course's own
``submitted/<s>/<a>/timestamp.txt`` (nbgrader's format; what ``grade`` reads) and where it
came from into ``received.json`` beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course import Course
from autograder.nbgrader_glue.nbg import ensure_alembic_on_path
from autograder.stages import platforms
from autograder.stages import roster as roster_mod
from autograder.stages import times as times_mod
from autograder.stages.platforms import Found, Unplaced
from autograder.stages.roster import STUDENT_ID, id_problem

STUDENT_RE = STUDENT_ID  # the safe student-id pattern (letters, digits, _ . @ -)
MAX_BYTES = 20 * 1024 * 1024  # a lesson notebook with outputs is well under 1 MB
#: Files nbgrader's own tools leave beside a notebook: ignored (their times are the
#: student's), never trusted.
BOOKKEEPING = ("timestamp.txt", "submission_secret.txt")


@dataclass
class Item:
    """One file found in the input: where it came from and its bytes. (Its modification
    time or zip date is not read: the student's clock, or the zip's.)"""

    origin: str  # path inside the folder or zip, as given
    parts: tuple[str, ...]
    data: bytes | None  # None when the entry is not a regular file
    problem: str = ""


@dataclass
class Attention:
    origin: str
    reason: str
    kept_as: str = ""
    student_id: str = ""
    kind: str = "not_collected"  # or "time": collected, but its time needs a look


@dataclass
class CollectReport:
    accepted: list[str] = field(default_factory=list)  # "student/assignment"
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # accepted but will not grade, ...
    attention: list[Attention] = field(default_factory=list)
    layout: str = "folder"


def _from_folder(root: Path) -> Iterator[Item]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            yield Item(str(rel), rel.parts, None, "a symbolic link (not followed)")
        elif stat.S_ISREG(info.st_mode):
            big = info.st_size > MAX_BYTES
            data = None if big else path.read_bytes()
            yield Item(str(rel), rel.parts, data, "larger than 20 MB" if big else "")


def _from_zip(path: Path) -> Iterator[Item]:
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            name = PurePosixPath(info.filename.replace("\\", "/"))
            mode = info.external_attr >> 16
            if name.is_absolute() or ".." in name.parts:
                yield Item(info.filename, name.parts, None, "a path outside the archive")
            elif stat.S_ISLNK(mode):
                yield Item(info.filename, name.parts, None, "a symbolic link")
            elif info.file_size > MAX_BYTES:
                yield Item(info.filename, name.parts, None, "larger than 20 MB")
            else:
                yield Item(info.filename, name.parts, z.read(info))


def _strip_wrapper(items: list[Item], depth: int) -> list[Item]:
    """A zip of one folder (``submissions/alice/...``) is treated like that folder's contents."""
    tops = {i.parts[0] for i in items if i.parts}
    if len(tops) == 1 and all(len(i.parts) == depth + 1 for i in items):
        for i in items:
            i.parts = i.parts[1:]
    return items


def problem_with(item: Item, assignments: list[str]) -> str:
    """Why this file cannot be placed as a submission ('' if it can)."""
    if item.problem:
        return item.problem
    if any(p.startswith(".") for p in item.parts):
        return "a hidden file or folder"
    if len(item.parts) != 3:
        return "not laid out as <student>/<assignment>/<notebook>.ipynb"
    student, assignment, filename = item.parts
    if problem := id_problem(student):
        return problem
    if assignment not in assignments:
        return f"no released assignment {assignment[:80]!r} (released: {', '.join(assignments)})"
    if not filename.endswith(".ipynb"):
        return f"not a notebook ({filename[:80]})"
    if filename != f"{assignment}.ipynb":
        return f"notebook name {filename[:80]!r}: expected {assignment}.ipynb"
    return ""


def content_warning(data: bytes) -> str:
    """A readable reason when the notebook will not grade ('' if it looks like a notebook)."""
    if not data.strip():
        return "the file is empty"
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return f"not a valid notebook: not JSON ({str(exc)[:80]})"
    except RecursionError:
        return "not a valid notebook: JSON nested too deeply"
    if not isinstance(nb, dict) or ("cells" not in nb and "worksheets" not in nb):
        return "not a valid notebook: no cells"
    if not isinstance(nb.get("cells", nb.get("worksheets")), list):
        return "not a valid notebook: its cells are not a list"
    if not isinstance(nb.get("nbformat"), int) or nb["nbformat"] not in (3, 4):
        return f"not a valid notebook: nbformat {str(nb.get('nbformat'))[:20]} (expected 4)"
    return ""


def collect(
    course: Course,
    source: Path,
    *,
    roster: Path | None = None,
    assignment: str | None = None,
    times: Path | None = None,
    timezone: str | None = None,
    id_column: str | None = None,
) -> CollectReport:
    """Import every usable submission from ``source`` (folder or zip).

    Without ``roster`` the input is laid out ``<student>/<assignment>/<notebook>.ipynb``.
    With ``roster`` (a Canvas gradebook export or a Moodle grading worksheet) it is that
    platform's submissions download: the roster, not the students' file names, decides the
    layout. ``assignment`` says which lesson it holds (default: each notebook's name).
    ``times``: the instructor's times CSV (folder layout) or Canvas's submissions JSON;
    ``timezone``: the IANA zone of the Moodle worksheet's times (default UTC).
    """
    assignments = course.assignments()
    if not assignments:
        raise ValueError("nothing is released yet: run `python -m autograder release` first")
    if assignment is not None and assignment not in assignments:
        released = ", ".join(assignments)
        raise ValueError(f"no released assignment {assignment!r} (released: {released})")
    if not source.exists():
        raise FileNotFoundError(f"no such folder or zip: {source}")
    items = list(_from_zip(source) if source.is_file() else _from_folder(source))
    members = roster_mod.read(roster, id_column) if roster is not None else None
    kind = members.platform if members is not None else "folder"
    report = CollectReport(layout=kind)
    now = dt.datetime.now(dt.UTC)
    batch = now.strftime("%Y%m%dT%H%M%S")
    policy = course.policy()
    if members is None:
        if assignment is not None:
            raise ValueError("--assignment is for a Canvas or Moodle download (with --roster)")
        items = _strip_wrapper(items, 3) if source.is_file() else items
        found, unplaced = _plain(items, assignments, report)
        instructor = times_mod.instructor_times(times) if times else None
        clock = times_mod.Clock(kind, now, policy.deadline, instructor=instructor)
    else:
        student_folders = any(platforms.MOODLE_FOLDER.fullmatch(i.parts[0]) for i in items)
        if kind == "canvas" or not student_folders:
            items = _strip_wrapper(items, 1 if kind == "canvas" else 2)
        entries = [(i.parts, i.data, i.problem) for i in items]
        place = platforms.canvas if kind == "canvas" else platforms.moodle
        found, unplaced = place(entries, members, assignments, assignment)
        report.warnings += members.problems()
        if kind == "canvas":
            canvas = times_mod.canvas_times(times, members) if times else None
            clock = times_mod.Clock(kind, now, policy.deadline, canvas=canvas)
        else:
            tz = times_mod.zone(timezone or "UTC")
            if timezone is None:
                report.warnings.append("Moodle's times read as UTC: pass --timezone if not")
            moodle = times_mod.moodle_times(members, tz)
            clock = times_mod.Clock(kind, now, policy.deadline, moodle=moodle)
    for u in unplaced:
        report.attention.append(_keep_aside(course, batch, u))
    students: set[str] = set()
    for f in found:
        stamp, disagreement = clock.stamp(f.student, f.assignment, f.late_marker)
        where = f"{f.student}/{f.assignment}"
        outcome = _place(course, f, stamp)
        if disagreement and outcome != "unchanged":
            why = f"{disagreement} (time used: {_when(stamp)})"
            report.attention.append(Attention(f.origin, why, "", f.student, "time"))
        {"new": report.accepted, "replaced": report.replaced, "unchanged": report.unchanged}[
            outcome
        ].append(where)
        if warning := content_warning(f.data):
            report.warnings.append(f"{where}: {warning} (will be listed ungradable)")
        students.add(f.student)
    if kind == "folder" and times is None and found:
        _late_collect_warning(course, found, now, report)
    _add_students(course, students)
    _log(course, report)
    return report


def _plain(
    items: list[Item], assignments: list[str], report: CollectReport
) -> tuple[list[Found], list[Unplaced]]:
    found, unplaced = [], []
    for item in items:
        if item.parts[-1:] and item.parts[-1] in BOOKKEEPING and not item.problem:
            report.warnings.append(
                f"{item.origin}: ignored (nbgrader's bookkeeping, written by the student: "
                "a submission's time never comes from the submission)"
            )
            continue
        reason = problem_with(item, assignments)
        student = item.parts[0] if len(item.parts) > 1 else ""
        if reason:
            unplaced.append(Unplaced(item.origin, reason, student, item.data))
            continue
        assert item.data is not None
        found.append(Found(item.parts[0], item.parts[1], item.data, item.origin))
    return found, unplaced


def _when(stamp: times_mod.Stamp) -> str:
    time = "unknown" if stamp.time is None else f"{stamp.time:%Y-%m-%d %H:%M:%S} UTC"
    return f"{time}, {stamp.source}"


def _late_collect_warning(
    course: Course, found: list[Found], now: dt.datetime, report: CollectReport
) -> None:
    policy = course.policy()
    for a in sorted({f.assignment for f in found}):
        deadline = policy.deadline(a)
        if deadline is not None and now > deadline:
            report.warnings.append(
                f"{a}: collected after its deadline without --times: these submissions are "
                "timed as received now and count as late; give their real times with --times"
            )


def _place(course: Course, found: Found, stamp: times_mod.Stamp) -> str:
    """Write the submission; "new", "replaced" or "unchanged" (the same notebook again:
    kept with its time, unless a trusted source now gives a time)."""
    student, assignment = found.student, found.assignment
    folder = course.submission_dir(student, assignment)
    target = folder / f"{assignment}.ipynb"
    stamp_file = folder / "timestamp.txt"
    if target.exists() and target.read_bytes() == found.data:
        if not stamp.source.startswith("received by collect"):
            _write_time(folder, stamp, found.origin)
        return "unchanged"
    replaced = target.exists()
    if replaced:
        old = stamp_file.read_text().strip() if stamp_file.exists() else "unknown"
        keep = course.path(
            "submitted-history", student, assignment, re.sub(r"[^0-9A-Za-z]", "", old) or "old"
        )
        keep.mkdir(parents=True, exist_ok=True)
        for f in folder.iterdir():
            shutil.copy2(f, keep / f.name)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(found.data)
    _write_time(folder, stamp, found.origin)
    return "replaced" if replaced else "new"


def _write_time(folder: Path, stamp: times_mod.Stamp, origin: str) -> None:
    stamp_file = folder / "timestamp.txt"
    if stamp.time is None:
        stamp_file.unlink(missing_ok=True)
    else:
        stamp_file.write_text(times_mod.nbgrader_text(stamp.time))
    record = {
        "time": None if stamp.time is None else stamp.time.isoformat(),
        "source": stamp.source,
        "origin": origin,
    }
    (folder / "received.json").write_text(json.dumps(record, indent=1))


def _keep_aside(course: Course, batch: str, item: Unplaced) -> Attention:
    parts = PurePosixPath(item.origin.replace("\\", "/")).parts
    safe = "__".join(re.sub(r"[^0-9A-Za-z_.-]", "_", p) for p in parts if p not in ("", ".."))
    entry = Attention(item.origin, item.reason, student_id=item.student)
    if item.data is not None:
        target = course.path("attention", batch, safe[:200] or "unnamed")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
        entry.kept_as = str(target.relative_to(course.root))
    return entry


def _add_students(course: Course, students: set[str]) -> None:
    if not students:
        return
    from nbgrader.api import Gradebook

    ensure_alembic_on_path()
    with Gradebook(course.db_url) as gb:
        for s in sorted(students):
            gb.update_or_create_student(s)


def _log(course: Course, report: CollectReport) -> None:
    """Append what was kept aside to ``attention/attention.json`` (the report reads it)."""
    log = course.path("attention", "attention.json")
    log.parent.mkdir(parents=True, exist_ok=True)
    seen = json.loads(log.read_text()) if log.exists() else []
    seen += [asdict(a) for a in report.attention]
    log.write_text(json.dumps(seen, indent=1))
