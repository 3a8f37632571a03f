"""Manual grades count: scores typed into formgrader reach every report, and formgrader's own
"Generate feedback" shows no hidden test.

A real Jupyter server runs formgrader in the graded course (the course's own
``nbgrader_config.py``, as an instructor runs it); the tests enter scores through
formgrader's HTTP API (``PUT /formgrader/api/grade/<id>``, what its grading page sends) and
press its "Generate feedback" (``POST .../generate_feedback``). Then ``report``, ``grade``
and ``feedback`` must show them, with late penalties recomputed on the new totals, without
regrading a notebook; a regrade keeps a hand-graded cell graded; a resubmission that
changes the answer asks for it to be graded again.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.course import Course
from autograder.stages import collect
from autograder.stages import grade as grade_mod
from tests.pipeline import prepared_course

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

LESSON = "03_linear_layer"
ANSWER = "derive_dL_dW"
STUDENTS = {"ada_perfect", "cy_mistakes", "eve_late"}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    course = prepared_course(tmp_path_factory.mktemp("manual") / "course", [LESSON], STUDENTS)
    with course.path("nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write(  # eve_late is 2 started days late: min(2 x 10% x 21, 20% of the score)
            f"c.LatePolicy.deadlines = {{{LESSON!r}: '2026-12-01T23:59:00+00:00'}}\n"
            "c.LatePolicy.penalty_per_day = 0.1\nc.LatePolicy.max_penalty = 0.2\n"
        )
    grade_mod.grade(course, grade_mod.Options(sandboxed=True))
    return course


class Formgrader:
    """A Jupyter server with nbgrader's formgrader, run in the course directory."""

    def __init__(self, course: Course) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.token = secrets.token_hex(16)
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
        self.log = (course.root.parent / "formgrader.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.open_browser=False",
                "--ServerApp.allow_root=True",
                f"--ServerApp.root_dir={course.root}",
            ],
            cwd=course.root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                if self.call("GET", "/formgrader/api/status") == {"status": True}:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert self.process.poll() is None, "the Jupyter server exited"
            assert time.monotonic() < deadline, "formgrader did not come up in 90 s"
            time.sleep(0.5)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=300) as response:
            text = response.read()
        return json.loads(text) if text else None

    def grade(self, student: str, grade_id: str, score: float, extra: float | None = None) -> None:
        """Enter a score as formgrader's grading page does."""
        submissions = self.call("GET", f"/formgrader/api/submitted_notebooks/{LESSON}/{LESSON}")
        nb_id = next(s["id"] for s in submissions if s["student"] == student)
        grades = self.call("GET", f"/formgrader/api/grades?submission_id={nb_id}")
        grade = next(g for g in grades if g["name"] == grade_id)
        body = {"manual_score": score, "extra_credit": extra}
        saved = self.call("PUT", f"/formgrader/api/grade/{grade['id']}", body)
        assert saved["manual_score"] == score and saved["needs_manual_grade"] is False

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def formgrader(course: Course) -> Iterator[Formgrader]:
    server = Formgrader(course)
    try:
        yield server
    finally:
        server.close()


def _cli(course: Course, *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "autograder", *args, "--course", str(course.root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return run.stdout


def _rows(course: Course, name: str) -> list[dict[str, str]]:
    with course.path("reports", name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _cell(course: Course, student: str, grade_id: str) -> dict[str, str]:
    return next(
        r
        for r in _rows(course, "grades.csv")
        if (r["student_id"], r["grade_id"]) == (student, grade_id)
    )


def _total(course: Course, student: str) -> tuple[str, str]:
    row = next(r for r in _rows(course, "totals.csv") if r["student_id"] == student)
    return row["score"], row["status"]


def _graded_files(course: Course) -> dict[str, int]:
    """What grading a notebook writes: the graded notebooks (their modification times)."""
    return {str(p): p.stat().st_mtime_ns for p in course.path("autograded").rglob("*.ipynb")}


def _gradebook(course: Course, student: str) -> Any:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        nb = gb.find_submission_notebook(LESSON, LESSON, student)
        return {
            "penalty": nb.late_submission_penalty,
            "grades": {g.name: (g.manual_score, g.needs_manual_grade) for g in nb.grades},
        }


def test_scores_from_formgrader_reach_the_csvs_the_report_and_the_feedback(
    course: Course, formgrader: Formgrader, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cell(course, "ada_perfect", ANSWER)["status"] == "needs_manual"
    assert _total(course, "ada_perfect") == ("18", "needs_manual")
    assert _total(course, "eve_late") == ("14.4", "needs_manual")  # 18 - min(4.2, 3.6)
    lost = next(
        r
        for r in _rows(course, "grades.csv")
        if r["student_id"] == "cy_mistakes" and r["score"] == "0"
    )
    before = _graded_files(course)

    formgrader.grade("ada_perfect", ANSWER, 2.5)
    formgrader.grade("eve_late", ANSWER, 3.0)
    formgrader.grade("cy_mistakes", lost["grade_id"], float(lost["max_score"]), extra=0.5)
    text = _cli(course, "report")

    ada = _cell(course, "ada_perfect", ANSWER)
    assert (ada["score"], ada["status"], ada["message"]) == ("2.5", "graded", "graded by hand")
    assert _total(course, "ada_perfect") == ("20.5", "graded")
    assert _total(course, "eve_late") == ("16.8", "graded")  # 21 - min(4.2, 4.2): recomputed
    assert _gradebook(course, "eve_late")["penalty"] == pytest.approx(4.2)
    override = _cell(course, "cy_mistakes", lost["grade_id"])
    assert override["score"] == f"{float(lost['max_score']) + 0.5:g}"
    assert "score set by hand in formgrader (automatic: 0" in override["message"]
    report = course.path("reports", "report.md").read_text()
    assert "| ada_perfect | 03_linear_layer | 20.5/21 | graded |" in report
    assert "| eve_late | 03_linear_layer | 16.8/21 | graded |" in report
    assert "penalty 4.2" in report
    assert "report.md" in text  # the command's summary names the report it wrote
    assert _graded_files(course) == before  # nothing was regraded
    with capsys.disabled():  # the rows, as an instructor reads them
        hand = [r for r in _rows(course, "grades.csv") if "by hand" in r["message"]]
        print("\n" + "\n".join(",".join(r.values()) for r in hand))
        print("\n".join(",".join(r.values()) for r in _rows(course, "totals.csv")))

    formgrader.grade("ada_perfect", ANSWER, 2.0)  # changed again, then `grade` (no regrade)
    grade_mod.grade(course, grade_mod.Options(sandboxed=True))
    assert _graded_files(course) == before
    assert _cell(course, "ada_perfect", ANSWER)["score"] == "2"
    assert _total(course, "ada_perfect") == ("20", "graded")

    _cli(course, "feedback")
    html = course.path("feedback", "ada_perfect", LESSON, f"{LESSON}.html").read_text()
    assert "Score: 20 / 21" in html and "2 / 3" in html and "graded by hand" in html


def test_formgraders_generate_feedback_hides_the_hidden_tests(
    course: Course, formgrader: Formgrader
) -> None:
    graded = course.path("autograded", "cy_mistakes", LESSON, f"{LESSON}.ipynb").read_text()
    assert "hidden=True" in graded  # the graded notebook holds the hidden tests
    target = course.path("feedback", "cy_mistakes", LESSON, f"{LESSON}.html")
    target.unlink(missing_ok=True)
    formgrader.grade("cy_mistakes", ANSWER, 1.0)
    done = formgrader.call(
        "POST", f"/formgrader/api/assignment/{LESSON}/cy_mistakes/generate_feedback"
    )
    assert done["success"], done
    html = target.read_text()
    for secret in ("hidden=True", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert secret not in html, f"formgrader's feedback shows {secret!r}"
    assert f"Feedback: {LESSON}" in html  # the verified summary, first
    assert "1 / 3" in html and "graded by hand" in html  # the score just entered


def test_a_regrade_keeps_hand_grades_and_a_changed_answer_asks_again(
    course: Course, formgrader: Formgrader, tmp_path: Path
) -> None:
    formgrader.grade("ada_perfect", ANSWER, 2.0)
    grade_mod.grade(course, grade_mod.Options(sandboxed=True, force=True), students=["ada_perfect"])
    assert _cell(course, "ada_perfect", ANSWER)["status"] == "graded"
    assert _gradebook(course, "ada_perfect")["grades"][ANSWER] == (2.0, False)
    assert _total(course, "ada_perfect") == ("20", "graded")

    submitted = course.submission_dir("ada_perfect", LESSON) / f"{LESSON}.ipynb"
    nb = nbformat.read(submitted, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == ANSWER)
    cell.source += "\n\nOn second thoughts: dL/dW = x^T dL/dy, summed over the batch."
    folder = tmp_path / "again" / "ada_perfect" / LESSON
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{LESSON}.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-30T12:00:00+00:00")
    collect.collect(course, tmp_path / "again")
    grade_mod.grade(course, grade_mod.Options(sandboxed=True))
    row = _cell(course, "ada_perfect", ANSWER)
    assert (row["score"], row["status"]) == ("", "needs_manual")
    assert "graded by hand (2 points) before the answer changed" in row["message"]
    assert _gradebook(course, "ada_perfect")["grades"][ANSWER] == (2.0, True)
    assert _total(course, "ada_perfect") == ("18", "needs_manual")

    formgrader.grade("ada_perfect", ANSWER, 3.0)
    _cli(course, "report")
    assert _cell(course, "ada_perfect", ANSWER)["score"] == "3"
    assert _total(course, "ada_perfect") == ("21", "graded")
