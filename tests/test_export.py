"""`export`: grades in Canvas's and Moodle's import layouts and as one long CSV, from
``course/results/`` only, mapped back through the roster; nothing pending is exported."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import csvsafe
from autograder.course import Course
from autograder.grading.results import CellResult, SubmissionResult
from autograder.stages import export
from tests import platform_files as pf

LESSON = "03_linear_layer"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    c = Course.at(tmp_path / "course")
    for student, score, status, penalty in (
        ("jdoe", 18.0, "graded", 0.0),
        ("bsmith", 21.0, "graded", 4.2),  # late: 16.8
        ("canvas-125", 7.0, "needs_manual", 0.0),
        ("zed", 21.0, "graded", 0.0),  # not on the roster
    ):
        r = SubmissionResult(
            student,
            LESSON,
            LESSON,
            status,
            cells=[CellResult("a", score, 21.0, status)],
            late_penalty=penalty,
            timestamp="2026-12-03T08:00:00+00:00",
        )
        r.save(c.result_file(student, LESSON))
    return c


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


ROSTER = [
    ("Doe, Jane", 123, "S001", "jdoe", "Section A"),
    ("Smith, Bob", 124, "S002", "bsmith", "Section A"),
    ("Lee, Ann", 125, "", "", "Section B"),
    ('=HYPERLINK("http://evil.example","x")', 126, "S004", "mallory", "Section B"),
]


def test_canvas_gradebook_import(course: Course, tmp_path: Path) -> None:
    roster = pf.canvas_roster(tmp_path / "grades.csv", ROSTER)
    path, notes = export.export(course, "canvas", roster=roster)
    rows = _rows(path)
    header = rows[0]
    # canvas-lms app/models/gradebook_importer.rb: Student, ID, [SIS User ID, SIS Login ID],
    # Section, then assignment columns; a Points Possible row
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", LESSON]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "21"
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["123"][-1] == "18"
    assert by_id["124"][-1] == "16.8"  # the late penalty applied
    assert by_id["125"][-1] == ""  # needs manual grading: left blank
    assert by_id["126"][0].startswith("'=HYPERLINK")  # the roster's name, never a formula
    assert any("zed" in n and "not on the roster" in n for n in notes)
    assert any("needs_manual" in n for n in notes)
    assert any("Canvas will create" in n for n in notes)


def test_canvas_uses_the_rosters_assignment_column(course: Course, tmp_path: Path) -> None:
    roster = pf.canvas_roster(tmp_path / "grades.csv", ROSTER)
    config = course.root / "nbgrader_config.py"
    from autograder.nbgrader_glue import nbg

    nbg.write_course_config(course.root)
    with config.open("a") as f:
        f.write(f"c.Export.canvas_columns = {{{LESSON!r}: 'Linear layer (4521)'}}\n")
    path, notes = export.export(course, "canvas", roster=roster)
    assert _rows(path)[0][-1] == "Linear layer (4521)"
    assert not any("Canvas will create" in n for n in notes)


def test_moodle_worksheet_round_trip(course: Course, tmp_path: Path) -> None:
    sheet = pf.moodle_worksheet(
        tmp_path / "worksheet.csv",
        [
            (1001, "Jane Doe", "jdoe", "Submitted for grading", "-"),
            (1002, "Bob Smith", "bsmith", "Submitted for grading", "-"),
            (1003, "Nobody", "nobody", "No submission", "-"),
        ],
    )
    path, _ = export.export(
        course, "moodle", roster=sheet, assignment=LESSON, id_column="Email address"
    )
    rows = csvsafe.read(path)
    assert list(rows[0]) == pf.WORKSHEET_HEADER  # the worksheet's own columns, in order
    grades = {r["Identifier"]: r["Grade"] for r in rows}
    assert grades == {"Participant 1001": "18", "Participant 1002": "16.8", "Participant 1003": ""}
    assert {r["Last modified (grade)"] for r in rows} == {"-"}  # kept for Moodle's upload


def test_long_csv_has_every_result(course: Course) -> None:
    path, _ = export.export(course, "csv")
    rows = csvsafe.read(path)
    assert [r["student_id"] for r in rows] == ["bsmith", "canvas-125", "jdoe", "zed"]
    bob = rows[0]
    assert (bob["score"], bob["max_score"], bob["late_penalty"]) == ("16.8", "21", "4.2")
    assert bob["submitted_at"] == "2026-12-03T08:00:00+00:00"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "export", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_export_command_errors_are_one_line(course: Course, tmp_path: Path) -> None:
    out = _cli("--course", str(course.root), "--format", "canvas")
    assert out.returncode == 1 and "needs --roster" in out.stderr
    assert "Traceback" not in out.stderr
    out = _cli("--course", str(tmp_path / "empty"))
    assert out.returncode == 1 and "nothing graded yet" in out.stderr
    out = _cli("--course", str(course.root), "--format", "excel")
    assert out.returncode == 2 and "invalid choice" in out.stderr
    out = _cli("--course", str(course.root), "--format", "csv")
    assert out.returncode == 0 and "export-grades.csv" in out.stdout
