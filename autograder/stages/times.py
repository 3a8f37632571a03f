"""Submission times from sources the student cannot write, and where they disagree.

A submission's time decides its late penalty, so it never comes from anything inside the
submission: not a ``timestamp.txt`` (nbgrader's own is written by the student's process),
not a file's modification time, not a zip entry's date (the student's clock, or the moment
a platform built the zip). The trusted sources, by hand-in path:

- **nbgrader exchange**: the kernel's change time (ctime) of the submission in the
  exchange's inbound directory (see :mod:`autograder.stages.exchange`).
- **Canvas**: the ``LATE`` marker Canvas puts in the file names of its submissions zip;
  an exact time only from Canvas's own record of the submission (:func:`canvas_times`).
- **Moodle**: ``Last modified (submission)`` in the grading worksheet the instructor
  downloads (:func:`moodle_times`), read in the timezone the instructor names.
- **a plain folder or zip**: the instructor's times file (:func:`instructor_times`), else
  the time ``collect`` received it.

Every time here is an aware UTC datetime.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autograder.course import parse_time
from autograder.stages.roster import Roster

#: nbgrader's timestamp format (``timestamp.txt``, exchange folder names).
NBGRADER_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
#: Two sources within this many seconds agree (nbgrader takes its time when ``submit``
#: starts, the copy into the exchange comes a moment later).
TOLERANCE = 300.0
MAX_BYTES = 20 * 1024 * 1024


class TimesError(ValueError):
    """A times file we cannot read (the message says why)."""


@dataclass(frozen=True)
class Stamp:
    """A trusted time (``None``: unknown) and where it came from, in words."""

    time: dt.datetime | None
    source: str


def nbgrader_text(time: dt.datetime) -> str:
    return time.astimezone(dt.UTC).strftime(NBGRADER_FORMAT)


def _text(path: Path) -> str:
    if not path.is_file():
        raise TimesError(f"no such times file: {path}")
    if path.stat().st_size > MAX_BYTES:
        raise TimesError(f"{path} is larger than 20 MB: not a times file")
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def instructor_times(path: Path) -> dict[tuple[str, str], dt.datetime]:
    """``student_id,assignment,submitted_at`` rows (ISO 8601; no zone means UTC): the
    instructor's own record, e.g. from an e-mail inbox or a submission form."""
    rows = list(csv.DictReader(io.StringIO(_text(path))))
    need = {"student_id", "assignment", "submitted_at"}
    if rows and not need <= set(rows[0]):
        raise TimesError(f"{path}: columns must include {', '.join(sorted(need))}")
    out = {}
    for n, row in enumerate(rows, start=2):
        try:
            out[(row["student_id"].strip(), row["assignment"].strip())] = parse_time(
                row["submitted_at"]
            )
        except (ValueError, TypeError) as exc:
            raise TimesError(f"{path} line {n}: unreadable time ({exc})") from None
    return out


@dataclass(frozen=True)
class CanvasRecord:
    submitted_at: dt.datetime | None
    late: bool | None


def canvas_times(path: Path, roster: Roster) -> dict[str, CanvasRecord]:
    """Canvas's record of each submission, by student id: the JSON list that Canvas's
    Submissions API returns for ``GET /api/v1/courses/<course>/assignments/<assignment>/
    submissions`` (saved from the browser; several pages may be given as a list of lists).
    Fields used: ``user_id``, ``submitted_at``, ``late``."""
    try:
        data = json.loads(_text(path))
    except ValueError as exc:
        raise TimesError(f"{path}: not JSON ({str(exc)[:80]})") from None
    pages = data if isinstance(data, list) else [data]
    items = [i for p in pages for i in (p if isinstance(p, list) else [p])]
    by_canvas = roster.by_platform_id()
    out = {}
    for item in items:
        if not isinstance(item, dict) or "user_id" not in item:
            raise TimesError(f"{path}: not a list of Canvas submissions (no user_id)")
        member = by_canvas.get(str(item["user_id"]))
        if member is None or not member.student_id:
            continue
        when = item.get("submitted_at")
        late = item.get("late")
        out[member.student_id] = CanvasRecord(
            parse_time(when) if isinstance(when, str) and when else None,
            late if isinstance(late, bool) else None,
        )
    return out


#: How Moodle's ``userdate()`` writes a time in a download (``strftimedaydatetime``).
MOODLE_FORMATS = ("%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M")


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimesError(f"unknown timezone {name!r} (an IANA name, e.g. Europe/Paris)") from None


def moodle_time(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """A worksheet time ("Tuesday, 1 December 2026, 11:59 PM") in ``tz``; None for "-"."""
    text = " ".join(text.split())
    if text in ("", "-"):
        return None
    for fmt in MOODLE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=tz).astimezone(dt.UTC)
        except ValueError:
            continue
    raise TimesError(f"unreadable Moodle time {text[:60]!r}")


def moodle_times(
    roster: Roster, tz: dt.tzinfo
) -> dict[str, tuple[dt.datetime | None, bool | None]]:
    """Student id -> (Moodle's submission time, whether Moodle's status says late: None
    when the status is not in English, the only language read)."""
    out = {}
    for m in roster.members:
        if m.student_id:
            when = moodle_time(m.row.get("Last modified (submission)", ""), tz)
            status = f" {m.row.get('Status', '').lower()} "
            said = True if " late " in status else (False if "submitted" in status else None)
            out[m.student_id] = (when, said)
    return out


def disagree(a: dt.datetime, b: dt.datetime) -> bool:
    return abs((a - b).total_seconds()) > TOLERANCE


def late(time: dt.datetime | None, deadline: dt.datetime | None) -> bool | None:
    if time is None or deadline is None:
        return None
    return time > deadline


class Clock:
    """Decides each collected submission's time from the trusted sources of its hand-in
    path, and says when the sources disagree (a reason for the attention list)."""

    def __init__(
        self,
        kind: str,
        now: dt.datetime,
        deadline: Callable[[str], dt.datetime | None],
        *,
        instructor: dict[tuple[str, str], dt.datetime] | None = None,
        canvas: dict[str, CanvasRecord] | None = None,
        moodle: dict[str, tuple[dt.datetime | None, bool | None]] | None = None,
    ) -> None:
        self.kind, self.now, self.deadline = kind, now, deadline
        self.instructor, self.canvas, self.moodle = instructor, canvas, moodle

    def stamp(self, student: str, assignment: str, late_marker: bool | None) -> tuple[Stamp, str]:
        if self.kind == "canvas":
            return self._canvas(student, assignment, bool(late_marker))
        if self.kind == "moodle":
            return self._moodle(student, assignment)
        if self.instructor is None:
            return Stamp(self.now, "received by collect (no times file)"), ""
        when = self.instructor.get((student, assignment))
        if when is None:
            why = "not in the times file: the time collect received it is used"
            return Stamp(self.now, "received by collect (not in the times file)"), why
        return Stamp(when, "the instructor's times file"), ""

    def _canvas(self, student: str, assignment: str, marker: bool) -> tuple[Stamp, str]:
        deadline = self.deadline(assignment)
        said = "late" if marker else "on time"
        record = (self.canvas or {}).get(student)
        if record is not None and record.submitted_at is not None:
            stamp = Stamp(record.submitted_at, "Canvas's submission record")
            ours = late(record.submitted_at, deadline)
            if record.late is not None and record.late != marker:
                return stamp, f"Canvas's file name says {said}, its submission record does not"
            if ours is not None and ours != marker:
                when = f"{record.submitted_at:%Y-%m-%d %H:%M} UTC"
                side = "after" if ours else "before"
                return stamp, (
                    f"Canvas says {said}, but its submission time {when} is {side} the course "
                    "deadline (an extension in Canvas, or a different deadline?)"
                )
            return stamp, ""
        why = "" if self.canvas is None else "not in Canvas's submission record"
        if not marker:
            return Stamp(None, "Canvas: on time (no LATE marker; exact time unknown)"), why
        if deadline is None:
            return Stamp(None, "Canvas: LATE"), (
                f"Canvas marks it late, but no deadline is configured for {assignment} here: "
                "no late penalty"
            )
        one_day = Stamp(
            deadline + dt.timedelta(seconds=1),
            "Canvas: LATE (exact time unknown: counted as one started day late)",
        )
        return one_day, why

    def _moodle(self, student: str, assignment: str) -> tuple[Stamp, str]:
        when, said_late = (self.moodle or {}).get(student, (None, False))
        if when is None:
            return Stamp(None, "Moodle: no submission time"), (
                "the grading worksheet has no submission time for this file"
            )
        stamp = Stamp(when, "Moodle's grading worksheet")
        ours = late(when, self.deadline(assignment))
        if ours is None or said_late is None:
            return stamp, ""
        if said_late and not ours:
            return stamp, "Moodle says late, but its time is before the course deadline"
        if ours and not said_late:
            why = "Moodle does not say late, but its time is after the course deadline"
            return stamp, why + " (an extension in Moodle, or a different deadline?)"
        return stamp, ""
