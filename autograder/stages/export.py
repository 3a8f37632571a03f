"""`export`: the grades in a learning platform's import layout, or as one long CSV.

Built from ``course/results/`` (the single source of every report), mapped back to the
platform's ids through the roster the instructor exported (:mod:`autograder.stages.roster`).
Only ``graded`` submissions get a number; a submission that is ``needs_manual``,
``needs_attention``, ``ungradable`` or ``missing`` is left blank for the platform (blank
means "not graded" in both) and listed, so nothing is imported before it is final.

- ``csv``: one row per student and assignment (``student_id, assignment, score,
  max_score, percent, status, submitted_at, seconds_late, late_penalty, reason``).
- ``canvas``: Canvas's gradebook import (canvas-lms ``app/models/gradebook_importer.rb``):
  ``Student, ID, [SIS User ID], SIS Login ID, Section``, then one column per assignment
  titled ``<title> (<assignment id>)``, and a ``Points Possible`` row. An assignment column
  of the roster whose title is the lesson's name (``03_linear_layer``) is used; otherwise
  ``c.Export.canvas_columns = {"03_linear_layer": "Linear layer (4521)"}`` in the course
  config names it; otherwise the lesson's name (Canvas then creates a new assignment).
- ``moodle``: the assignment's grading worksheet as downloaded, with ``Grade`` filled in,
  ready for "Upload grading worksheet" (moodle ``mod/assign/feedback/offline``: it reads
  ``Identifier``, ``Grade`` and ``Last modified (grade)``); one file per assignment.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from traitlets import Dict, Unicode
from traitlets.config import Configurable

from autograder import csvsafe
from autograder.course import Course
from autograder.grading.results import SubmissionResult, load_all
from autograder.stages import roster as roster_mod

FORMATS = ("csv", "canvas", "moodle")
LONG_COLUMNS = (
    "student_id",
    "assignment",
    "score",
    "max_score",
    "percent",
    "status",
    "submitted_at",
    "seconds_late",
    "late_penalty",
    "reason",
)


class ExportError(ValueError):
    """The export cannot be made (the message says why)."""


class Export(Configurable):  # type: ignore[misc]
    """Course settings for ``export`` (``c.Export.*`` in the course's nbgrader_config.py)."""

    canvas_columns = Dict(
        value_trait=Unicode(),
        help='lesson -> Canvas gradebook column, e.g. {"03_linear_layer": "Linear layer (4521)"}',
    ).tag(config=True)


def export(
    course: Course,
    fmt: str,
    *,
    roster: Path | None = None,
    assignment: str | None = None,
    output: Path | None = None,
    id_column: str | None = None,
) -> tuple[Path, list[str]]:
    """Write the export; returns its path and notes for the instructor (one line each)."""
    results = load_all(course.path("results"))
    if not results:
        raise ExportError("nothing graded yet: run `python -m autograder grade` first")
    if fmt == "csv":
        path = output or course.path("reports", "export-grades.csv")
        return _long(results, path), _pending(results)
    if roster is None:
        raise ExportError(f"--format {fmt} needs --roster (the export from {fmt.title()})")
    members = roster_mod.read(roster, id_column)
    if members.platform != fmt:
        raise ExportError(f"{roster} is a {members.platform} roster, not a {fmt} one")
    if fmt == "canvas":
        path = output or course.path("reports", "export-canvas.csv")
        return _canvas(course, results, members, path)
    if assignment is None:
        raise ExportError("--format moodle needs --assignment (a worksheet is per assignment)")
    path = output or course.path("reports", f"export-moodle-{assignment}.csv")
    return _moodle(results, members, assignment, path)


def _pending(results: list[SubmissionResult]) -> list[str]:
    counts = Counter(r.status for r in results if r.status != "graded")
    return [f"left blank: {n} {status}" for status, n in sorted(counts.items())]


def _long(results: list[SubmissionResult], path: Path) -> Path:
    rows = [
        [
            r.student_id,
            r.assignment,
            r.score,
            r.max_score,
            round(100 * r.score / r.max_score, 2) if r.max_score else None,
            r.status,
            r.timestamp,
            r.seconds_late,
            r.late_penalty,
            r.reason,
        ]
        for r in results
    ]
    return csvsafe.write(path, LONG_COLUMNS, rows)


def _scores(results: list[SubmissionResult], assignment: str) -> dict[str, SubmissionResult]:
    return {r.student_id: r for r in results if r.assignment == assignment}


def _canvas(
    course: Course, results: list[SubmissionResult], members: roster_mod.Roster, path: Path
) -> tuple[Path, list[str]]:
    lessons = sorted({r.assignment for r in results})
    existing = roster_mod.assignment_columns(members)
    configured = Export(config=course.config()).canvas_columns
    columns = [configured.get(a) or existing.get(a) or a for a in lessons]
    ids = ["Student", "ID"]
    ids += ["SIS User ID"] if "SIS User ID" in members.header else []
    ids += ["SIS Login ID", "Section"]
    header = ids + columns
    by_lesson = {a: _scores(results, a) for a in lessons}
    maxima = {a: next(iter(by_lesson[a].values())).max_score for a in lessons}
    rows: list[list[csvsafe.Cell]] = [
        ["Points Possible", *[None] * (len(ids) - 1), *[maxima[a] for a in lessons]]
    ]
    notes, exported = [], set()
    for m in members.members:
        if not m.student_id:
            continue
        row: list[csvsafe.Cell] = [m.row.get(c, "") for c in ids]
        for a in lessons:
            r = by_lesson[a].get(m.student_id)
            row.append(r.score if r is not None and r.status == "graded" else None)
        rows.append(row)
        exported.add(m.student_id)
    for column, a in zip(columns, lessons, strict=True):
        if column == a and a not in existing:
            notes.append(f"{a}: no such column in the roster: Canvas will create assignment {a!r}")
    notes += _unmapped(results, exported)
    notes += _pending([r for r in results if r.student_id in exported])
    return csvsafe.write(path, header, rows), notes


def _moodle(
    results: list[SubmissionResult], members: roster_mod.Roster, assignment: str, path: Path
) -> tuple[Path, list[str]]:
    if "Grade" not in members.header or "Identifier" not in members.header:
        raise ExportError("the worksheet has no Grade or Identifier column")
    scores = _scores(results, assignment)
    if not scores:
        raise ExportError(f"no results for {assignment}")
    rows = []
    exported = set()
    for m in members.members:
        row = dict(m.row)
        r = scores.get(m.student_id) if m.student_id else None
        if r is not None and r.status == "graded":
            row["Grade"] = csvsafe.number(r.score)
        if m.student_id:
            exported.add(m.student_id)
        rows.append([row.get(c, "") for c in members.header])
    notes = _unmapped(list(scores.values()), exported)
    notes += _pending([r for r in scores.values() if r.student_id in exported])
    return csvsafe.write(path, members.header, rows), notes


def _unmapped(results: list[SubmissionResult], exported: set[str]) -> list[str]:
    missing = sorted({r.student_id for r in results if r.student_id not in exported})
    if not missing:
        return []
    shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
    return [f"not on the roster, not exported: {len(missing)} student(s): {shown}"]
