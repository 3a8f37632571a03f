"""`collect`: import submissions from a folder or zip laid out ``<student>/<assignment>/<nb>``.

File checks only: names, types, sizes, links and paths. A notebook in the right place is
imported even when its contents are broken (grading will list it ``ungradable`` with the
reason); anything that cannot be placed is kept aside in ``course/attention/`` with the
reason, never dropped. A resubmission replaces the earlier one, which is kept in
``course/submitted-history/``. Every student seen is added to the gradebook.
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

from autograder.course import Course, parse_time

STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_BYTES = 20 * 1024 * 1024  # a lesson notebook with outputs is well under 1 MB


@dataclass
class Item:
    """One file found in the input: where it came from and its bytes."""

    origin: str  # path inside the folder or zip, as given
    parts: tuple[str, ...]
    data: bytes | None  # None when the entry is not a regular file
    mtime: dt.datetime
    problem: str = ""


@dataclass
class Attention:
    origin: str
    reason: str
    kept_as: str = ""
    student_id: str = ""


@dataclass
class CollectReport:
    accepted: list[str] = field(default_factory=list)  # "student/assignment"
    replaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # accepted but will not grade
    attention: list[Attention] = field(default_factory=list)


def _from_folder(root: Path) -> Iterator[Item]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        info = path.lstat()
        mtime = dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)
        if stat.S_ISLNK(info.st_mode):
            yield Item(str(rel), rel.parts, None, mtime, "a symbolic link (not followed)")
        elif stat.S_ISREG(info.st_mode):
            big = info.st_size > MAX_BYTES
            data = None if big else path.read_bytes()
            yield Item(str(rel), rel.parts, data, mtime, "larger than 20 MB" if big else "")


def _from_zip(path: Path) -> Iterator[Item]:
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            name = PurePosixPath(info.filename.replace("\\", "/"))
            mtime = dt.datetime(*info.date_time, tzinfo=dt.UTC)
            mode = info.external_attr >> 16
            if name.is_absolute() or ".." in name.parts:
                yield Item(info.filename, name.parts, None, mtime, "a path outside the archive")
            elif stat.S_ISLNK(mode):
                yield Item(info.filename, name.parts, None, mtime, "a symbolic link")
            elif info.file_size > MAX_BYTES:
                yield Item(info.filename, name.parts, None, mtime, "larger than 20 MB")
            else:
                yield Item(info.filename, name.parts, z.read(info), mtime)


def _strip_wrapper(items: list[Item]) -> list[Item]:
    """A zip of one folder (``submissions/alice/...``) is treated like that folder's contents."""
    tops = {i.parts[0] for i in items if i.parts}
    if len(tops) == 1 and all(len(i.parts) == 4 for i in items):
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
    if not STUDENT_RE.match(student):
        return f"student id {student!r} has characters other than letters, digits, '_', '-', '.'"
    if assignment not in assignments:
        return f"no released assignment {assignment!r} (released: {', '.join(assignments)})"
    if filename == "timestamp.txt":
        return ""
    if not filename.endswith(".ipynb"):
        return f"not a notebook ({filename})"
    if filename != f"{assignment}.ipynb":
        return f"notebook name {filename!r}: expected {assignment}.ipynb"
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


def collect(course: Course, source: Path) -> CollectReport:
    """Import every usable submission from ``source`` (folder or zip)."""
    assignments = course.assignments()
    if not assignments:
        raise ValueError("nothing is released yet: run `python -m autograder release` first")
    if not source.exists():
        raise FileNotFoundError(f"no such folder or zip: {source}")
    items = list(_from_zip(source) if source.is_file() else _from_folder(source))
    items = _strip_wrapper(items) if source.is_file() else items
    report = CollectReport()
    stamps = {i.parts[:2]: i for i in items if i.parts[-1:] == ("timestamp.txt",)}
    batch = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    students: set[str] = set()
    for item in items:
        reason = problem_with(item, assignments)
        if reason:
            report.attention.append(_keep_aside(course, batch, item, reason))
            continue
        if item.parts[-1] == "timestamp.txt":
            continue
        assert item.data is not None
        student, assignment, _ = item.parts
        stamp = _timestamp(stamps.get((student, assignment)), item, report)
        replaced = _place(course, student, assignment, item.data, stamp)
        (report.replaced if replaced else report.accepted).append(f"{student}/{assignment}")
        if warning := content_warning(item.data):
            report.warnings.append(f"{student}/{assignment}: {warning} (will be listed ungradable)")
        students.add(student)
    _add_students(course, students)
    _log(course, report)
    return report


def _timestamp(stamp_item: Item | None, item: Item, report: CollectReport) -> dt.datetime:
    if stamp_item is not None and stamp_item.data:
        try:
            return parse_time(stamp_item.data.decode("utf-8", "replace"))
        except ValueError:
            report.warnings.append(f"{stamp_item.origin}: unreadable timestamp, file time used")
    return item.mtime


def _place(course: Course, student: str, assignment: str, data: bytes, stamp: dt.datetime) -> bool:
    folder = course.submission_dir(student, assignment)
    target = folder / f"{assignment}.ipynb"
    replaced = target.exists()
    if replaced:
        old = (
            (folder / "timestamp.txt").read_text().strip()
            if (folder / "timestamp.txt").exists()
            else "unknown"
        )
        keep = course.path(
            "submitted-history", student, assignment, re.sub(r"[^0-9A-Za-z]", "", old) or "old"
        )
        keep.mkdir(parents=True, exist_ok=True)
        for f in folder.iterdir():
            shutil.copy2(f, keep / f.name)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    (folder / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    return replaced


def _keep_aside(course: Course, batch: str, item: Item, reason: str) -> Attention:
    safe = "__".join(re.sub(r"[^0-9A-Za-z_.-]", "_", p) for p in item.parts if p not in ("", ".."))
    entry = Attention(item.origin, reason, student_id=item.parts[0] if len(item.parts) > 1 else "")
    if item.data is not None:
        target = course.path("attention", batch, safe or "unnamed")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
        entry.kept_as = str(target.relative_to(course.root))
    return entry


def _add_students(course: Course, students: set[str]) -> None:
    if not students:
        return
    from nbgrader.api import Gradebook

    from autograder.nbg import ensure_alembic_on_path

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
