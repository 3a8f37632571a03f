"""Grading at scale: parallel workers give the same CSVs, bit for bit, as one worker; so do a
Dask cluster and a PostgreSQL gradebook; a dying or hanging worker is retried once and then
listed; an interrupted run finishes on the next one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.grading.results import load_all
from autograder.grading.verify import course_secret
from autograder.stages import grade as grade_mod
from tests import postgres, system
from tests.faults import Faulty
from tests.pipeline import clone, csv_bytes, prepared_course

pytestmark = pytest.mark.slow

LESSON = "03_linear_layer"
STUDENTS = {"ada_perfect", "ben_empty", "cy_mistakes", "eve_late"}


def _options(**kw: object) -> grade_mod.Options:
    """In the sandbox; without it only where the run opted out (tests/system.py)."""
    return grade_mod.Options(sandboxed=system.sandboxed(), **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Course:
    course = prepared_course(tmp_path_factory.mktemp("scale") / "course", [LESSON], STUDENTS)
    course_secret(course.root)  # shared by every clone: the same verification inputs
    return course


@pytest.fixture(scope="module")
def baseline(template: Course, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    course = clone(template, tmp_path_factory.mktemp("w1") / "course")
    grade_mod.grade(course, _options(workers=1))
    return csv_bytes(course)


def test_baseline_grades_every_sample(baseline: tuple[bytes, bytes]) -> None:
    totals = baseline[1].decode()
    for student in STUDENTS:
        assert f"{student},{LESSON}," in totals
    assert "ada_perfect,03_linear_layer,18,21,needs_manual" in totals


def test_two_workers_match_one_bit_for_bit(
    template: Course, baseline: tuple[bytes, bytes], tmp_path: Path
) -> None:
    course = clone(template, tmp_path / "course")
    grade_mod.grade(course, _options(workers=2))
    assert csv_bytes(course) == baseline


def test_dask_cluster_matches(
    template: Course, baseline: tuple[bytes, bytes], tmp_path: Path
) -> None:
    from distributed import LocalCluster

    course = clone(template, tmp_path / "course")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        grade_mod.grade(course, _options(scheduler=cluster.scheduler_address))
    assert csv_bytes(course) == baseline


def test_postgresql_gradebook_matches(
    template: Course, baseline: tuple[bytes, bytes], tmp_path: Path
) -> None:
    system.require("postgres")  # fails without PostgreSQL, unless the run opted out
    with postgres.server() as url:
        course = prepared_course(tmp_path / "course", [LESSON], STUDENTS, db_url=url)
        secret = template.root / ".grading-secret"
        (course.root / ".grading-secret").write_bytes(secret.read_bytes())
        grade_mod.grade(course, _options(workers=2))
        from nbgrader.api import Gradebook

        with Gradebook(url) as gb:
            assert sorted(s.id for s in gb.students) == sorted(STUDENTS)
            assert gb.find_submission_notebook(LESSON, LESSON, "ada_perfect").score == 18
    assert csv_bytes(course) == baseline


def test_dead_and_hung_workers(
    template: Course, baseline: tuple[bytes, bytes], tmp_path: Path
) -> None:
    course = clone(template, tmp_path / "course")
    marker = tmp_path / "died-once"
    faulty = Faulty(
        die=frozenset({"ben_empty"}),
        hang=frozenset({"cy_mistakes"}),
        die_once={"ada_perfect": marker},
    )
    grade_mod.grade(course, _options(workers=2, task_timeout=30.0), runner=faulty)
    assert marker.exists()
    results = {r.student_id: r for r in load_all(course.path("results"))}
    assert results["ada_perfect"].status == "needs_manual"  # retried once, then graded
    assert results["ben_empty"].status == "needs_attention"
    assert (
        "died" in results["ben_empty"].reason
        and "again when retried" in results["ben_empty"].reason
    )
    assert results["cy_mistakes"].status == "needs_attention"
    assert "longer than 30 s" in results["cy_mistakes"].reason
    assert results["eve_late"].status == "needs_manual"
    grade_mod.grade(course, _options(workers=2, force=True))  # a clean rerun fixes all
    assert csv_bytes(course) == baseline


def test_interrupted_run_finishes_on_the_next(
    template: Course, baseline: tuple[bytes, bytes], tmp_path: Path
) -> None:
    course = clone(template, tmp_path / "course")
    argv = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        "--course",
        str(course.root),
        "--workers",
        "1",
    ] + ([] if _options().sandboxed else ["--no-sandbox"])
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    results = course.path("results", LESSON)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 1:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert b"interrupted" in err
    done = len(list(results.glob("*.json")))
    assert 1 <= done < len(STUDENTS)
    rerun = subprocess.run(argv, capture_output=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    assert csv_bytes(course) == baseline


def test_what_was_graded_without_the_sandbox_is_graded_again_with_it(
    template: Course, tmp_path: Path
) -> None:
    from autograder.grading.results import SubmissionResult
    from autograder.stages import report

    system.require("sandbox")
    course = clone(template, tmp_path / "course")
    saved = course.result_file("ada_perfect", LESSON)
    grade_mod.grade(course, grade_mod.Options(sandboxed=False), students=["ada_perfect"])
    assert SubmissionResult.load(saved).sandboxed is False
    assert "Graded without the sandbox: 1 of 1" in report.build(course)
    grade_mod.grade(course, _options(), students=["ada_perfect"])  # unchanged, yet regraded
    assert SubmissionResult.load(saved).sandboxed is True
    assert "without the sandbox" not in report.build(course)
