"""The trusted time sources, piece by piece (the end-to-end paths: test_collect,
test_platforms, test_exchange, and the backdated cases of the hostile corpus)."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from autograder.stages import exchange, times
from autograder.stages.roster import Member, Roster

UTC = dt.UTC
NEW_YEAR_2020 = 1577836800


def test_exchange_time_is_the_latest_change_and_cannot_be_set_back(tmp_path: Path) -> None:
    """ctime is the kernel's: touching files back to 2020 (utime) moves their mtime, and
    moves their ctime forward, to now."""
    folder = tmp_path / "alice+03_linear_layer+2020-01-01 00:00:00.000000 UTC+r4nd"
    (folder / "sub").mkdir(parents=True)
    for name in ("03_linear_layer.ipynb", "timestamp.txt", "sub/extra.txt"):
        (folder / name).write_text("x")
    start = time.time()
    for path in (folder / "sub" / "extra.txt", folder / "sub", folder):
        os.utime(path, (NEW_YEAR_2020, NEW_YEAR_2020))
    assert os.stat(folder).st_mtime == NEW_YEAR_2020
    assert exchange.change_time(folder).timestamp() >= start - 1


def test_exchange_reads_no_link(tmp_path: Path) -> None:
    secret = tmp_path / "secret.ipynb"
    secret.write_text("instructor's")
    (tmp_path / "link.ipynb").symlink_to(secret)
    assert exchange._read_small(tmp_path / "link.ipynb", 1000) is None
    assert exchange._read_small(secret, 5) is None  # over the cap
    assert exchange._read_small(secret, 100) == b"instructor's"


def test_moodle_times() -> None:
    paris = times.zone("Europe/Paris")
    got = times.moodle_time("Tuesday, 1 December 2026, 11:59 PM", paris)
    assert got == dt.datetime(2026, 12, 1, 22, 59, tzinfo=UTC)
    assert times.moodle_time("Tuesday, 1 December 2026, 23:59", paris) == got
    assert times.moodle_time("-", paris) is None
    with pytest.raises(times.TimesError, match="unreadable Moodle time"):
        times.moodle_time("yesterday", paris)


def test_unreadable_times_files_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "times.csv"
    bad.write_text("student_id,assignment,submitted_at\nalice,01_jacobians,soon\n")
    with pytest.raises(times.TimesError, match="line 2"):
        times.instructor_times(bad)
    record = tmp_path / "submissions.json"
    record.write_text('[{"id": 3}]')
    roster = Roster("canvas", ["Student", "ID"])
    with pytest.raises(times.TimesError, match="no user_id"):
        times.canvas_times(record, roster)
    record.write_text("<html>")
    with pytest.raises(times.TimesError, match="not JSON"):
        times.canvas_times(record, roster)


def test_canvas_late_without_a_deadline_is_listed() -> None:
    clock = times.Clock("canvas", dt.datetime.now(UTC), lambda a: None)
    stamp, why = clock.stamp("jdoe", "03_linear_layer", True)
    assert stamp.time is None and "no deadline is configured" in why
    stamp, why = clock.stamp("jdoe", "03_linear_layer", False)
    assert stamp.time is None and not why


def test_moodle_status_in_another_language_is_not_read_as_on_time() -> None:
    status = "Enviado para calificar - 2 horas de retraso"
    member = Member("7", "Ana", "ana", {"Status": status, "Last modified (submission)": "-"})
    roster = Roster("moodle", [], [member])
    assert times.moodle_times(roster, UTC) == {"ana": (None, None)}
