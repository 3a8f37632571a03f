"""Canvas and Moodle downloads: each file mapped to a student through the roster, or listed
with the reason; times from the platform's record, never from the files.

The fixture files follow the layouts the platforms' own code writes (sources cited in
``tests/platform_files.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

from autograder.course import Course, parse_time
from autograder.nbgrader_glue import nbg
from autograder.stages import collect
from tests import platform_files as pf

NB = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
LESSON = "03_linear_layer"
DEADLINE = dt.datetime(2026, 12, 1, 23, 59, tzinfo=dt.UTC)


@pytest.fixture
def course(tmp_path: Path) -> Course:
    c = Course.at(tmp_path / "course")
    for name in ("01_jacobians", LESSON):
        (c.root / "release" / name).mkdir(parents=True)
    config = nbg.write_course_config(c.root)
    with config.open("a") as f:
        f.write(f"c.LatePolicy.deadlines = {{{LESSON!r}: {DEADLINE.isoformat()!r}}}\n")
    return c


def _stamp(course: Course, student: str, assignment: str = LESSON) -> dt.datetime | None:
    path = course.submission_dir(student, assignment) / "timestamp.txt"
    return parse_time(path.read_text()) if path.exists() else None


def _reasons(report: collect.CollectReport) -> dict[str, str]:
    return {a.origin: a.reason for a in report.attention if a.kind == "not_collected"}


CANVAS_STUDENTS = [
    ("Doe, Jane", 123, "S001", "jdoe", "Section A"),
    ("Smith, Bob", 124, "S002", "bsmith", "Section A"),
    ("Lee, Ann_12", 125, "", "", "Section B"),  # no SIS ids: canvas-125
    ("Evil, =cmd", 126, "S004", "=cmd", "Section B"),  # an unsafe login id
]


def _canvas(tmp_path: Path, extra: dict[str, bytes] | None = None) -> tuple[Path, Path]:
    entries = {
        pf.canvas_entry("Doe, Jane", 123, 9001, f"{LESSON}.ipynb"): NB,
        pf.canvas_entry("Smith, Bob", 124, 9002, f"{LESSON}-1.ipynb", late=True): NB + b" ",
        pf.canvas_entry("Lee, Ann_12", 125, 9003, f"{LESSON}.ipynb"): NB + b"  ",
        pf.canvas_entry("Evil, =cmd", 126, 9004, f"{LESSON}.ipynb"): NB,
        pf.canvas_entry("Doe, Jane", 123, 9005, "notes.pdf"): b"%PDF",
        pf.canvas_entry("Ghost, Gus", 999, 9006, f"{LESSON}.ipynb"): NB,
        f"anon_x7k2q_9007_{LESSON}.ipynb": NB,
        "doejane_123_text.html": b"<p>text entry</p>",
        **(extra or {}),
    }
    archive = pf.canvas_zip(tmp_path / "submissions.zip", entries)
    return archive, pf.canvas_roster(tmp_path / "grades.csv", CANVAS_STUDENTS)


def test_canvas_zip_is_mapped_through_the_roster(course: Course, tmp_path: Path) -> None:
    archive, roster = _canvas(tmp_path)
    report = collect.collect(course, archive, roster=roster)
    assert report.layout == "canvas"
    assert sorted(report.accepted) == [f"bsmith/{LESSON}", f"canvas-125/{LESSON}", f"jdoe/{LESSON}"]
    reasons = _reasons(report)
    assert "not a notebook" in reasons[pf.canvas_entry("Doe, Jane", 123, 9005, "notes.pdf")]
    assert (
        "999 is not on the roster"
        in reasons[pf.canvas_entry("Ghost, Gus", 999, 9006, f"{LESSON}.ipynb")]
    )
    assert "anonymous" in reasons[f"anon_x7k2q_9007_{LESSON}.ipynb"]
    assert "not named" in reasons["doejane_123_text.html"]
    assert "not a safe id" in reasons[pf.canvas_entry("Evil, =cmd", 126, 9004, f"{LESSON}.ipynb")]
    assert any("not a safe id" in w for w in report.warnings)  # the roster row itself
    # the resubmitted file (-1) is bob's notebook, its bytes kept
    assert (course.submission_dir("bsmith", LESSON) / f"{LESSON}.ipynb").read_bytes() == NB + b" "
    # nothing lost: every listed file is kept aside
    kept = [a for a in report.attention if a.kept_as]
    assert len(kept) == len(report.attention)


def test_canvas_lateness_comes_from_the_late_marker(course: Course, tmp_path: Path) -> None:
    """Without Canvas's submission record: LATE counts as one started day late, no marker
    as on time (no time recorded); a zip entry's date is never used."""
    archive, roster = _canvas(tmp_path)
    collect.collect(course, archive, roster=roster)
    assert _stamp(course, "bsmith") == DEADLINE + dt.timedelta(seconds=1)
    assert _stamp(course, "jdoe") is None
    received = json.loads((course.submission_dir("bsmith", LESSON) / "received.json").read_text())
    assert "LATE" in received["source"]


def test_canvas_exact_times_from_canvas_record(course: Course, tmp_path: Path) -> None:
    archive, roster = _canvas(tmp_path)
    record = tmp_path / "submissions.json"
    record.write_text(
        json.dumps(
            [
                [
                    {"user_id": 123, "submitted_at": "2026-12-01T20:00:00Z", "late": False},
                    {"user_id": 124, "submitted_at": "2026-12-03T08:00:00Z", "late": True},
                ],
                [{"user_id": 125, "submitted_at": "2026-12-02T09:00:00Z", "late": False}],
            ]
        )
    )
    report = collect.collect(course, archive, roster=roster, times=record)
    assert _stamp(course, "jdoe") == dt.datetime(2026, 12, 1, 20, tzinfo=dt.UTC)
    assert _stamp(course, "bsmith") == dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC)
    # Canvas says on time (an extension there?) but the time is after our deadline: listed
    times = [a for a in report.attention if a.kind == "time"]
    assert [a.student_id for a in times] == ["canvas-125"]
    assert "after the course deadline" in times[0].reason


def test_canvas_marker_and_record_disagree(course: Course, tmp_path: Path) -> None:
    archive, roster = _canvas(tmp_path)
    record = tmp_path / "submissions.json"
    record.write_text(
        json.dumps([{"user_id": 124, "submitted_at": "2026-12-01T10:00:00Z", "late": False}])
    )
    report = collect.collect(course, archive, roster=roster, times=record)
    (row,) = [a for a in report.attention if a.kind == "time" and a.student_id == "bsmith"]
    assert "file name says late" in row.reason


def test_canvas_name_ending_in_digits_still_maps(course: Course, tmp_path: Path) -> None:
    name = pf.canvas_entry("Lee, Ann_12", 125, 9003, f"{LESSON}.ipynb")
    assert name.startswith("leeann_12_125_9003_")  # "_12_125_" parses too: the roster decides
    archive, roster = _canvas(tmp_path)
    report = collect.collect(course, archive, roster=roster)
    assert f"canvas-125/{LESSON}" in report.accepted


def test_canvas_several_notebooks_for_one_student(course: Course, tmp_path: Path) -> None:
    extra = {pf.canvas_entry("Doe, Jane", 123, 9010, "scratch.ipynb"): NB}
    archive, roster = _canvas(tmp_path, extra)
    report = collect.collect(course, archive, roster=roster, assignment=LESSON)
    assert f"jdoe/{LESSON}" in report.accepted
    reasons = _reasons(report)
    assert "one of 2 notebooks" in reasons[pf.canvas_entry("Doe, Jane", 123, 9010, "scratch.ipynb")]


def _moodle(tmp_path: Path) -> tuple[Path, Path]:
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"{pf.moodle_folder('Jane Doe', 1001)}/{LESSON}.ipynb", NB)
        z.writestr(f"{pf.moodle_folder('Bob Smith', 1002, before_41=True)}/{LESSON}.ipynb", NB)
        z.writestr(f"Carl Yu_1003_assignsubmission_file_{LESSON}.ipynb", NB)  # flat download
        z.writestr("Jane Doe_1001_assignsubmission_onlinetext_/onlinetext.html", b"<p>hi</p>")
        z.writestr(f"{pf.moodle_folder('Nobody Here', 1999)}/{LESSON}.ipynb", NB)
        z.writestr(f"{pf.moodle_folder('Dee Vu', 1004)}/{LESSON}.ipynb", NB)
    sheet = pf.moodle_worksheet(
        tmp_path / "worksheet.csv",
        [
            (
                1001,
                "Jane Doe",
                "jane@uni.example",
                "Submitted for grading",
                "Tuesday, 1 December 2026, 11:00 PM",
            ),
            (
                1002,
                "Bob Smith",
                "bob@uni.example",
                "Submitted for grading - 1 day 2 hours late",
                "Thursday, 3 December 2026, 2:30 AM",
            ),
            (
                1003,
                "Carl Yu",
                "carl@uni.example",
                "Submitted for grading - 5 hours late",
                "Tuesday, 1 December 2026, 11:30 PM",
            ),
            (1004, "Dee Vu", "", "Submitted for grading", "-"),
        ],
    )
    return archive, sheet


def test_moodle_zip_is_mapped_through_the_worksheet(course: Course, tmp_path: Path) -> None:
    archive, sheet = _moodle(tmp_path)
    report = collect.collect(course, archive, roster=sheet, timezone="Europe/Paris")
    assert report.layout == "moodle"
    assert sorted(report.accepted) == [
        f"bob@uni.example/{LESSON}",
        f"carl@uni.example/{LESSON}",
        f"jane@uni.example/{LESSON}",
    ]
    reasons = _reasons(report)
    assert (
        "onlinetext submission"
        in reasons["Jane Doe_1001_assignsubmission_onlinetext_/onlinetext.html"]
    )
    assert (
        "1999 is not in the grading worksheet"
        in reasons[f"{pf.moodle_folder('Nobody Here', 1999)}/{LESSON}.ipynb"]
    )
    assert (
        "no ID number / Username / Email address"
        in reasons[f"{pf.moodle_folder('Dee Vu', 1004)}/{LESSON}.ipynb"]
    )
    # Paris is UTC+1 in December
    assert _stamp(course, "jane@uni.example") == dt.datetime(2026, 12, 1, 22, tzinfo=dt.UTC)
    assert _stamp(course, "bob@uni.example") == dt.datetime(2026, 12, 3, 1, 30, tzinfo=dt.UTC)
    # Moodle says 5 hours late, but 23:30 in Paris is before the 23:59 UTC deadline: listed
    (row,) = [a for a in report.attention if a.kind == "time"]
    assert row.student_id == "carl@uni.example" and "Moodle says late" in row.reason


def test_a_roster_is_required_to_be_one_we_know(course: Course, tmp_path: Path) -> None:
    archive, _ = _moodle(tmp_path)
    other = tmp_path / "other.csv"
    other.write_text("name,email\nx,y\n")
    with pytest.raises(ValueError, match="neither a Canvas gradebook export"):
        collect.collect(course, archive, roster=other)
    with pytest.raises(ValueError, match="unknown timezone"):
        collect.collect(course, archive, roster=_moodle(tmp_path)[1], timezone="Mars/Olympus")
