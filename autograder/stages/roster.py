"""The class list an instructor exports from the learning platform, and our student ids.

Two exports are read, as the platforms write them:

- **Canvas** gradebook export (Grades > Export, a CSV): header ``Student, ID,
  [SIS User ID], SIS Login ID, [Integration ID], [Root Account], Section``, custom columns,
  one column per assignment titled ``<title> (<assignment id>)``, totals; a second row
  ``    Points Possible`` (and sometimes a "Manual Posting" row before it). ``ID`` is the
  Canvas user id, the ``<userid>`` in the file names of Canvas's submissions zip.
  (canvas-lms ``lib/gradebook_exporter.rb``.)
- **Moodle** grading worksheet (Assignment > Submissions > "Download grading worksheet",
  a CSV): ``Identifier`` (``Participant <n>``, the ``<n>`` in the folder names of the
  submissions zip; per assignment), ``Full name``, the site's identity fields (``Email
  address``, ``ID number``, ...), ``Status``, ``Grade``, ``Maximum Grade``, ``Grade can be
  changed``, ``Last modified (submission)``, ``Last modified (grade)``, ``Feedback
  comments``. (moodle ``mod/assign/gradingtable.php`` and ``lang/en/assign.php``.)

**Our student id** for a row is the first non-empty of ``SIS Login ID``, ``SIS User ID``
(Canvas) or ``ID number``, ``Username``, ``Email address`` (Moodle), unless
``id_column`` names another column; it must match :data:`STUDENT_ID` (letters, digits,
``_ . @ -``, starting with a letter or digit, so never a spreadsheet formula). A row
without a usable id is listed with the reason and its files are not collected.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

#: Student ids we accept (from folder names, rosters, the exchange's usernames).
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
CANVAS_IDS = ("SIS Login ID", "SIS User ID")
MOODLE_IDS = ("ID number", "Username", "Email address")
MAX_BYTES = 20 * 1024 * 1024


class RosterError(ValueError):
    """The file is not a roster we can read (the message says why)."""


def id_problem(student: str) -> str:
    """Why ``student`` is not a usable student id ('' when it is)."""
    if STUDENT_ID.match(student):
        return ""
    return (
        f"student id {student[:80]!r} is not a safe id (letters, digits, '_', '.', '@', '-', "
        "starting with a letter or digit, at most 64 characters)"
    )


@dataclass
class Member:
    """One student of the roster."""

    platform_id: str  # Canvas user id, or Moodle participant number
    name: str
    student_id: str  # '' when the row has no usable id (see problem)
    row: dict[str, str]  # the export's row, as read
    problem: str = ""


@dataclass
class Roster:
    platform: str  # "canvas" or "moodle"
    header: list[str]
    members: list[Member] = field(default_factory=list)
    points_row: dict[str, str] = field(default_factory=dict)  # Canvas "Points Possible"

    def by_platform_id(self) -> dict[str, Member]:
        return {m.platform_id: m for m in self.members}

    def by_student(self) -> dict[str, Member]:
        return {m.student_id: m for m in self.members if m.student_id}

    def problems(self) -> list[str]:
        return [
            f"roster row for {m.name[:80]!r} ({m.platform_id}): {m.problem}"
            for m in self.members
            if m.problem
        ]


def _rows(path: Path) -> list[list[str]]:
    if path.stat().st_size > MAX_BYTES:
        raise RosterError(f"{path} is larger than 20 MB: not a class roster")
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return list(csv.reader(io.StringIO(text)))


def read(path: Path, id_column: str | None = None) -> Roster:
    """The roster in ``path`` (a Canvas gradebook export or a Moodle grading worksheet)."""
    if not path.is_file():
        raise RosterError(f"no such roster file: {path}")
    rows = [r for r in _rows(path) if any(c.strip() for c in r)]
    if not rows:
        raise RosterError(f"{path} is empty")
    header = [c.strip() for c in rows[0]]
    if header[:1] == ["Student"] and "ID" in header and "Section" in header:
        return _canvas(header, rows[1:], id_column)
    if "Identifier" in header and "Full name" in header:
        return _moodle(header, rows[1:], id_column)
    raise RosterError(
        f"{path} is neither a Canvas gradebook export (Student, ID, ..., Section) nor a "
        f"Moodle grading worksheet (Identifier, Full name, ...): header {header[:6]}"
    )


def _member(
    platform_id: str, name: str, row: dict[str, str], columns: tuple[str, ...], fallback: str
) -> Member:
    chosen = next((row[c].strip() for c in columns if row.get(c, "").strip()), "")
    student = chosen or fallback
    problem = id_problem(student) if student else f"no {' / '.join(columns)} in this row"
    return Member(platform_id, name, "" if problem else student, row, problem)


def _canvas(header: list[str], rows: list[list[str]], id_column: str | None) -> Roster:
    roster = Roster("canvas", header)
    columns = (id_column,) if id_column else CANVAS_IDS
    for values in rows:
        row = dict(zip(header, [v.strip() for v in values], strict=False))
        student_cell = row.get("Student", "")
        if "Points Possible" in student_cell:
            roster.points_row = row
            continue
        if not row.get("ID", "").isdigit():  # a "Manual Posting" row or other non-student row
            continue
        canvas_id = row["ID"]
        fallback = "" if id_column else f"canvas-{canvas_id}"
        roster.members.append(_member(canvas_id, student_cell, row, columns, fallback))
    return roster


def _moodle(header: list[str], rows: list[list[str]], id_column: str | None) -> Roster:
    roster = Roster("moodle", header)
    columns = (id_column,) if id_column else MOODLE_IDS
    for values in rows:
        row = dict(zip(header, [v.strip() for v in values], strict=False))
        m = re.fullmatch(r"\D*?(\d+)", row.get("Identifier", ""))
        if not m:
            continue
        roster.members.append(_member(m.group(1), row.get("Full name", ""), row, columns, ""))
    return roster


def assignment_columns(roster: Roster) -> dict[str, str]:
    """Canvas: assignment title -> its column header ``<title> (<id>)``."""
    out = {}
    for column in roster.header:
        m = re.fullmatch(r"(.*\S)\s+\((\d+)\)", column)
        if m:
            out[m.group(1)] = column
    return out
