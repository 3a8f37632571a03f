"""`collect --exchange` on a hand-made inbound directory (no kernels, no other users: the
end-to-end test with nbgrader's own student commands is tests/test_exchange.py).

Run as root, the submissions here belong to root; a folder that names another student is
the impostor case."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest

from autograder.course import Course, parse_time
from autograder.stages import exchange

LESSON = "03_linear_layer"
NB = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.fixture
def course(tmp_path: Path) -> Course:
    c = Course.at(tmp_path / "course")
    (c.root / "release" / LESSON).mkdir(parents=True)
    return c


def _submit(inbound: Path, name: str, files: dict[str, bytes | Path]) -> Path:
    folder = inbound / name
    folder.mkdir(parents=True)
    for file, data in files.items():
        if isinstance(data, Path):
            (folder / file).symlink_to(data)
        else:
            (folder / file).write_bytes(data)
    return folder


def test_owner_and_change_time_decide(course: Course, tmp_path: Path) -> None:
    me = pwd.getpwuid(os.getuid()).pw_name
    inbound = tmp_path / "exchange" / "backprop-course" / "inbound"
    inbound.mkdir(parents=True)
    (tmp_path / "exchange").chmod(0o777)
    old = "2020-01-01 00:00:00.000000 UTC"
    mine = _submit(
        inbound,
        f"{me}+{LESSON}+{old}+r1",
        {f"{LESSON}.ipynb": NB, "timestamp.txt": old.encode(), "submission_secret.txt": b"s3"},
    )
    os.utime(mine / f"{LESSON}.ipynb", (1577836800, 1577836800))
    _submit(
        inbound, f"someone_else+{LESSON}+2099-01-01 00:00:00.000000 UTC+r2", {f"{LESSON}.ipynb": NB}
    )
    _submit(inbound, f"{me}+01_other+{old}+r3", {"01_other.ipynb": NB})  # another assignment
    _submit(inbound, f"not-a-submission+{LESSON}+garbage", {})
    report = exchange.collect(course, str(tmp_path / "exchange"))
    assert report.accepted == [f"{me}/{LESSON}"]
    folder = course.submission_dir(me, LESSON)
    assert (folder / "submission_secret.txt").read_bytes() == b"s3"
    assert parse_time((folder / "timestamp.txt").read_text()).year > 2020
    reasons = {a.origin.split("+")[0]: a for a in report.attention}
    assert f"belongs to {me!r}" in reasons["exchange inbound/someone_else"].reason
    assert reasons[f"exchange inbound/{me}"].kind == "time"
    assert "says 2020-01-01" in reasons[f"exchange inbound/{me}"].reason


def test_links_in_the_exchange_are_never_read(course: Course, tmp_path: Path) -> None:
    me = pwd.getpwuid(os.getuid()).pw_name
    inbound = tmp_path / "exchange" / "backprop-course" / "inbound"
    secret = tmp_path / "instructor-solution.ipynb"
    secret.write_bytes(NB)
    _submit(inbound, f"{me}+{LESSON}+2026-01-01 00:00:00.000000 UTC+r", {f"{LESSON}.ipynb": secret})
    (tmp_path / "exchange").chmod(0o777)
    report = exchange.collect(course, str(tmp_path / "exchange"))
    assert not report.accepted
    assert "no regular file" in report.attention[0].reason
    assert not course.submission_dir(me, LESSON).exists()
