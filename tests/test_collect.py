"""`collect`: what it imports, what it keeps aside (with the reason), and that nothing is lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from pathlib import Path

import pytest

from autograder.course import Course, parse_time
from autograder.stages import collect

NB = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.fixture
def course(tmp_path: Path) -> Course:
    c = Course.at(tmp_path / "course")
    for name in ("01_jacobians", "03_linear_layer"):
        (c.root / "release" / name).mkdir(parents=True)
    return c


def _write(root: Path, rel: str, data: bytes = NB) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _reasons(report: collect.CollectReport) -> dict[str, str]:
    return {a.origin: a.reason for a in report.attention}


def _stamp(course: Course, student: str, assignment: str) -> dt.datetime:
    text = (course.submission_dir(student, assignment) / "timestamp.txt").read_text()
    return parse_time(text)


def test_folder_layout_is_imported_at_the_collect_time(course: Course, tmp_path: Path) -> None:
    """A time the student wrote (timestamp.txt, nbgrader's or ISO) or set (the file's
    modification time) is ignored: without the instructor's times file, a submission is
    timed when collect received it."""
    src = tmp_path / "in"
    nb = _write(src, "alice/01_jacobians/01_jacobians.ipynb")
    _write(src, "alice/01_jacobians/timestamp.txt", b"2020-01-01 00:00:00.000000 UTC")
    os.utime(nb, (1577836800, 1577836800))  # 2020-01-01
    _write(src, "bob/03_linear_layer/03_linear_layer.ipynb")
    before = dt.datetime.now(dt.UTC)
    report = collect.collect(course, src)
    after = dt.datetime.now(dt.UTC)
    assert sorted(report.accepted) == ["alice/01_jacobians", "bob/03_linear_layer"]
    assert not report.attention
    assert any("timestamp.txt: ignored" in w for w in report.warnings)
    for who, what in (("alice", "01_jacobians"), ("bob", "03_linear_layer")):
        assert before <= _stamp(course, who, what) <= after
        received = json.loads((course.submission_dir(who, what) / "received.json").read_text())
        assert received["source"].startswith("received by collect")
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        assert sorted(s.id for s in gb.students) == ["alice", "bob"]


def test_the_instructors_times_file_gives_the_time(course: Course, tmp_path: Path) -> None:
    src = tmp_path / "in"
    _write(src, "alice/01_jacobians/01_jacobians.ipynb")
    _write(src, "bob/01_jacobians/01_jacobians.ipynb")
    times = tmp_path / "times.csv"
    times.write_text("student_id,assignment,submitted_at\nalice,01_jacobians,2026-11-20T10:00:00\n")
    report = collect.collect(course, src, times=times)
    assert _stamp(course, "alice", "01_jacobians") == dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    assert _stamp(course, "bob", "01_jacobians") > dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ((row,),) = [[a for a in report.attention if a.student_id == "bob"]]
    assert row.kind == "time" and "not in the times file" in row.reason
    bad = tmp_path / "bad.csv"
    bad.write_text("student,when\nalice,yesterday\n")
    with pytest.raises(ValueError, match="columns must include"):
        collect.collect(course, src, times=bad)


def test_zip_entry_dates_are_not_submission_times(course: Course, tmp_path: Path) -> None:
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(
            zipfile.ZipInfo("carol/01_jacobians/01_jacobians.ipynb", (1990, 1, 1, 0, 0, 0)), NB
        )
        z.writestr("carol/01_jacobians/timestamp.txt", "1990-01-01T00:00:00+00:00")
    before = dt.datetime.now(dt.UTC)
    collect.collect(course, archive)
    assert _stamp(course, "carol", "01_jacobians") >= before


def test_the_same_notebook_again_keeps_its_time(course: Course, tmp_path: Path) -> None:
    """Collecting the class folder again (after the deadline, say) changes nothing for the
    notebooks already collected: no late penalty for being collected twice."""
    src = tmp_path / "in"
    _write(src, "dan/01_jacobians/01_jacobians.ipynb")
    collect.collect(course, src)
    first = _stamp(course, "dan", "01_jacobians")
    report = collect.collect(course, src)
    assert report.unchanged == ["dan/01_jacobians"] and not report.replaced
    assert _stamp(course, "dan", "01_jacobians") == first
    assert not (course.root / "submitted-history").exists()


@pytest.mark.parametrize(
    ("rel", "reason"),
    [
        ("alice/01_jacobians/answers.py", "not a notebook"),
        ("alice/01_jacobians/Untitled.ipynb", "expected 01_jacobians.ipynb"),
        ("alice/99_unknown/99_unknown.ipynb", "no released assignment"),
        ("al ice/01_jacobians/01_jacobians.ipynb", "student id"),
        ("alice/01_jacobians.ipynb", "not laid out"),
        ("alice/01_jacobians/.secret/01_jacobians.ipynb", "hidden file"),
    ],
)
def test_unusable_files_are_kept_aside_with_a_reason(
    course: Course, tmp_path: Path, rel: str, reason: str
) -> None:
    src = tmp_path / "in"
    _write(src, rel, b"data")
    report = collect.collect(course, src)
    assert not report.accepted
    ((_origin, why),) = _reasons(report).items()
    assert reason in why
    kept = course.root / report.attention[0].kept_as
    assert kept.read_bytes() == b"data"  # nothing is lost
    log = json.loads((course.root / "attention" / "attention.json").read_text())
    assert log[0]["reason"] == why


def test_symlinks_are_not_followed(course: Course, tmp_path: Path) -> None:
    src = tmp_path / "in"
    secret = _write(tmp_path, "instructor/source.ipynb", b"SECRET")
    link = src / "mallory" / "01_jacobians" / "01_jacobians.ipynb"
    link.parent.mkdir(parents=True)
    os.symlink(secret, link)
    report = collect.collect(course, src)
    assert "symbolic link" in _reasons(report)["mallory/01_jacobians/01_jacobians.ipynb"]
    assert not course.submission_dir("mallory", "01_jacobians").exists()


def test_zip_with_traversal_and_links_is_refused_per_entry(course: Course, tmp_path: Path) -> None:
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("carol/01_jacobians/01_jacobians.ipynb", NB)
        z.writestr("../../etc/evil/01_jacobians.ipynb", NB)
        link = zipfile.ZipInfo("dave/01_jacobians/01_jacobians.ipynb")
        link.external_attr = 0o120777 << 16
        z.writestr(link, "/etc/passwd")
    report = collect.collect(course, archive)
    assert report.accepted == ["carol/01_jacobians"]
    reasons = _reasons(report)
    assert "outside the archive" in reasons["../../etc/evil/01_jacobians.ipynb"]
    assert "symbolic link" in reasons["dave/01_jacobians/01_jacobians.ipynb"]
    assert not (tmp_path / "etc").exists()


def test_zip_wrapped_in_one_folder(course: Course, tmp_path: Path) -> None:
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("submissions/erin/01_jacobians/01_jacobians.ipynb", NB)
    assert collect.collect(course, archive).accepted == ["erin/01_jacobians"]


def test_broken_notebook_is_imported_with_a_warning(course: Course, tmp_path: Path) -> None:
    src = tmp_path / "in"
    _write(src, "finn/01_jacobians/01_jacobians.ipynb", b'{"cells": [')
    report = collect.collect(course, src)
    assert report.accepted == ["finn/01_jacobians"]
    assert "not JSON" in report.warnings[0] and "ungradable" in report.warnings[0]


def test_resubmission_replaces_and_keeps_the_old_one(course: Course, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _write(first, "gus/01_jacobians/01_jacobians.ipynb", NB)
    _write(second, "gus/01_jacobians/01_jacobians.ipynb", NB + b"\n")
    collect.collect(course, first)
    report = collect.collect(course, second)
    assert report.replaced == ["gus/01_jacobians"]
    now = course.submission_dir("gus", "01_jacobians") / "01_jacobians.ipynb"
    assert now.read_bytes() == NB + b"\n"
    history = list((course.root / "submitted-history" / "gus").rglob("01_jacobians.ipynb"))
    assert [h.read_bytes() for h in history] == [NB]


def test_nothing_released_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="release"):
        collect.collect(Course.at(tmp_path / "empty"), tmp_path)
