"""Pass-visible/fail-hidden mutants graded through the real pipeline: release, collect, and
``grade`` with the sandbox and verification on. Each keeps its visible points, loses its
hidden ones, and is ``graded`` with the hidden stage's diagnosis; nothing needs attention.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course
from autograder.grading.results import load_all
from autograder.grading.scoring import DIFFER
from autograder.lessons import answers
from autograder.stages import collect, release
from autograder.stages import grade as grade_mod
from backprop_ref.specs import LESSONS
from tests.lessons import mutants

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


def rounds(lesson: str) -> list[dict[str, str]]:
    """The lesson's hidden-only mutants grouped into submissions of independent functions
    (none calls another mutated one): function -> mutant source."""
    specs = {s.name: s for s in LESSONS[lesson].specs}
    queue = [
        (fn, src)
        for fn, kinds in mutants(lesson).items()
        for src in kinds.get("hidden_only", {}).values()
    ]
    out: list[dict[str, str]] = []
    while queue:
        chosen: dict[str, str] = {}
        for fn, src in list(queue):
            clash = fn in chosen or any(
                fn in specs[o].needs or o in specs[fn].needs for o in chosen
            )
            if not clash:
                chosen[fn] = src
                queue.remove((fn, src))
        out.append(chosen)
    return out


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Course, dict[tuple[str, str], set[str]]]:
    root = tmp_path_factory.mktemp("hidden-only")
    course = Course.at(root / "course")
    release.release(course, list(LESSONS), self_study=False)
    incoming = root / "incoming"
    planned: dict[tuple[str, str], set[str]] = {}
    for lesson in LESSONS:
        source = answers.read(course.path("source", lesson, f"{lesson}.ipynb"))
        student_copy = answers.read(course.path("release", lesson, f"{lesson}.ipynb"))
        for i, chosen in enumerate(rounds(lesson)):
            student = f"hidden_{i}"
            filled = {**answers.solutions(source), **{f"sol_{f}": s for f, s in chosen.items()}}
            folder = incoming / student / lesson
            folder.mkdir(parents=True)
            (folder / f"{lesson}.ipynb").write_text(
                nbformat.writes(answers.fill(student_copy, filled))
            )
            (folder / "timestamp.txt").write_text("2026-11-30T12:00:00+00:00")
            planned[(student, lesson)] = set(chosen)
    collect.collect(course, incoming)
    grade_mod.grade(course, grade_mod.Options(sandboxed=True, workers=2))
    return course, planned


def test_every_lesson_with_hidden_cells_is_covered(
    graded: tuple[Course, dict[tuple[str, str], set[str]]],
) -> None:
    _, planned = graded
    assert {lesson for _, lesson in planned} == set(LESSONS)


def test_visible_points_kept_hidden_points_lost_graded_no_attention(
    graded: tuple[Course, dict[tuple[str, str], set[str]]],
) -> None:
    course, planned = graded
    with course.path("reports", "grades.csv").open(newline="") as f:
        rows = {(r["student_id"], r["assignment"], r["grade_id"]): r for r in csv.DictReader(f)}
    results = {(r.student_id, r.assignment): r for r in load_all(course.path("results"))}
    problems = []
    for (student, lesson), mutated in sorted(planned.items()):
        result = results[(student, lesson)]
        if result.status != "needs_manual" or result.reason:  # the written answers await
            problems.append(f"{student}/{lesson}: {result.status} {result.reason!r}")
        for cell in LESSONS[lesson].cells:
            row = rows[(student, lesson, cell.grade_id)]
            if cell.kind == "manual":
                want = ("", "needs_manual")
            elif cell.spec in mutated and cell.kind == "hidden":
                want = ("0", "graded")
                message = row["message"]
                if not message.startswith(f"{cell.spec}:") or DIFFER in message:
                    problems.append(f"{student}/{lesson} {cell.grade_id}: message {message!r}")
            else:
                want = (f"{cell.points:g}", "graded")
            got = (row["score"], row["status"])
            if got != want:
                problems.append(f"{student}/{lesson} {cell.grade_id}: {got}, expected {want}")
    assert not problems, "\n".join(problems)


def test_the_stages_are_recorded(
    graded: tuple[Course, dict[tuple[str, str], set[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each mutant's verified stages, as the result file keeps them (printed as a table)."""
    course, planned = graded
    results = {(r.student_id, r.assignment): r for r in load_all(course.path("results"))}
    lines = ["| lesson | function | visible | hidden | status |", "| --- | --- | --- | --- | --- |"]
    for (student, lesson), mutated in sorted(planned.items(), key=lambda kv: kv[0][1]):
        result = results[(student, lesson)]
        by_id = {c.grade_id: c for c in result.cells}
        for fn in sorted(mutated):
            summary = result.verification[fn]
            assert summary.startswith("visible: passed; hidden: ") and fn in summary
            v, h = by_id[f"test_{fn}"], by_id[f"test_{fn}_hidden"]
            lines.append(
                f"| {lesson} | {fn} | {v.score:g}/{v.max_score:g} | {h.score:g}/{h.max_score:g} "
                f"| {h.status} |"
            )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert Path(course.path("reports", "totals.csv")).exists()
