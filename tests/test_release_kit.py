"""What `release` gives students: building blocks by the deadlines, and the check files.

- A cell providing earlier lessons' graded functions is released locked, with the code,
  only when every lesson it draws on is past its deadline; otherwise as an ungraded answer
  cell with stubs and a note. The self-study copy always has the code.
- ``checks.npz`` beside each released notebook holds the visible cases only; the grader's
  copy (``grading-checks/``) the hidden ones too; nbgrader's autograde puts the source's
  copy back over one a student changed.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import nbformat
import pytest
from nbgrader.preprocessors import ClearSolutions

from autograder.course import Course
from autograder.lessons import answers, blocks
from autograder.nbgrader_glue import nbg
from autograder.stages import release as release_mod
from backprop_kit import checkfile
from tests.lessons import source_path

PAST, FUTURE = "2000-01-01T00:00:00+00:00", "2999-01-01T00:00:00+00:00"


def _cell(nb: nbformat.NotebookNode, gid: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if answers.grade_id(c) == gid)


def _defs(source: str) -> list[str]:
    return [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]


# ------------------------------------------------------------------------ fast: the cells


def test_every_building_block_cell_names_earlier_lessons() -> None:
    found = {}
    for lesson in ("03_linear_layer", "04_activations_losses", "05_backprop_network"):
        nb = answers.read(source_path(lesson))
        for cell in nb.cells:
            if lessons := blocks.drawn_on(cell):
                meta = answers.nbgrader_meta(cell)
                assert meta["locked"] and not meta["solution"] and not meta["grade"]
                assert all(other < lesson for other in lessons), (lesson, lessons)
                found[(lesson, answers.grade_id(cell))] = lessons
    assert found == {
        ("03_linear_layer", "blocks_01_jacobians"): ["01_jacobians"],
        ("04_activations_losses", "blocks_01_jacobians"): ["01_jacobians"],
        ("04_activations_losses", "blocks_03_linear_layer"): ["03_linear_layer"],
        ("05_backprop_network", "provided_layers"): ["03_linear_layer", "04_activations_losses"],
    }


def test_a_block_not_due_becomes_an_answer_cell_with_stubs() -> None:
    nb = answers.read(source_path("05_backprop_network"))
    provided = _cell(nb, "provided_layers")
    released = _cell(
        blocks.for_release(nb, lambda lesson: lesson == "03_linear_layer"), "provided_layers"
    )
    meta = answers.nbgrader_meta(released)
    assert meta == {**answers.nbgrader_meta(provided), "locked": False, "solution": True}
    assert blocks.KEY not in released.metadata
    assert "paste your own functions from lessons 3 and 4 here" in released.source
    assert _defs(released.source) == _defs(provided.source)  # the same names to fill in
    stubbed, _ = ClearSolutions(code_stub={"python": "raise NotImplementedError()"}).preprocess(
        nbformat.v4.new_notebook(cells=[released]), {"language": "python"}
    )
    text = stubbed.cells[0].source
    assert _defs(text) == _defs(provided.source)
    assert "x @ W" not in text and "np.maximum" not in text  # no answer left
    assert text.count("raise NotImplementedError()") == len(_defs(provided.source))
    assert '"""Affine layer' in text  # the docstrings stay: they say what to paste


def test_a_block_whose_lessons_are_due_is_kept() -> None:
    nb = answers.read(source_path("04_activations_losses"))
    out = blocks.for_release(nb, lambda lesson: True)
    for gid in ("blocks_01_jacobians", "blocks_03_linear_layer"):
        assert _cell(out, gid).source == _cell(nb, gid).source
        assert answers.nbgrader_meta(_cell(out, gid))["locked"]
        assert blocks.KEY not in _cell(out, gid).metadata


def test_deadlines_decide() -> None:
    course = Course.at(Path("/nonexistent"))
    policy = course.policy()
    policy.deadlines = {"01_jacobians": PAST, "03_linear_layer": FUTURE}
    due = blocks.due_by(policy, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert due("01_jacobians") and not due("03_linear_layer") and not due("02_gradient_checking")


# ----------------------------------------------------------------- slow: real releases


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """Lessons 03-05 released with lesson 01 and 03 past due, 04 not."""
    course = Course.at(tmp_path_factory.mktemp("course"))
    course.root.mkdir(exist_ok=True)
    config = nbg.write_course_config(course.root)
    deadlines = {"01_jacobians": PAST, "03_linear_layer": PAST, "04_activations_losses": FUTURE}
    with config.open("a", encoding="utf-8") as f:
        f.write(f"c.LatePolicy.deadlines = {deadlines!r}\n")
    lessons = ["03_linear_layer", "04_activations_losses", "05_backprop_network"]
    release_mod.release(course, lessons, execute_solutions=False)
    return course


def _released(course: Course, lesson: str, where: str = "release") -> nbformat.NotebookNode:
    return answers.read(course.path(where, lesson, f"{lesson}.ipynb"))


@pytest.mark.slow
def test_released_blocks_follow_the_deadlines(course: Course) -> None:
    l04 = _released(course, "04_activations_losses")
    for gid in ("blocks_01_jacobians", "blocks_03_linear_layer"):  # lessons 1 and 3 are due
        cell = _cell(l04, gid)
        assert answers.nbgrader_meta(cell)["locked"] and "return" in cell.source
    l05 = _released(course, "05_backprop_network")  # draws on lesson 4, not due
    cell = _cell(l05, "provided_layers")
    meta = answers.nbgrader_meta(cell)
    assert meta["solution"] and not meta["locked"] and not meta["grade"]
    assert "raise NotImplementedError()" in cell.source and "x @ W" not in cell.source
    for lesson in ("04_activations_losses", "05_backprop_network"):  # self-study: provided
        study = _released(course, lesson, "self-study")
        for cell in study.cells:
            if answers.grade_id(cell) in ("provided_layers", "blocks_03_linear_layer"):
                assert answers.nbgrader_meta(cell)["locked"] and "x @ W" in cell.source
        assert (course.path("self-study", lesson) / checkfile.FILENAME).is_file()


@pytest.mark.slow
def test_check_files_students_get_hold_no_hidden_cases(course: Course) -> None:
    lesson = "03_linear_layer"
    released = checkfile.loads(course.path("release", lesson, checkfile.FILENAME).read_bytes())
    grader = checkfile.loads(release_mod.grading_checks_path(course, lesson).read_bytes())
    assert released["lesson"] == grader["lesson"] == lesson
    assert {s for f in released["functions"].values() for s in f} == {"visible"}
    assert {s for f in grader["functions"].values() for s in f} == {"visible", "hidden"}
    assert not any(course.path("release").rglob("*.npz.*"))
    assert [p.name for p in course.path("release", lesson).iterdir() if p.suffix == ".npz"] == [
        checkfile.FILENAME
    ]


@pytest.mark.slow
def test_autograde_restores_the_check_file(course: Course) -> None:
    lesson = "03_linear_layer"
    folder = course.submission_dir("mallory", lesson)
    folder.mkdir(parents=True)
    (folder / f"{lesson}.ipynb").write_bytes(
        course.path("release", lesson, f"{lesson}.ipynb").read_bytes()
    )
    (folder / checkfile.FILENAME).write_bytes(b"tampered")
    with nbg.quiet_logs():
        result = nbg.open_api(course.root).autograde(lesson, "mallory")
    assert result["success"], result.get("error")
    restored = course.path("autograded", "mallory", lesson, checkfile.FILENAME).read_bytes()
    assert restored == course.path("source", lesson, checkfile.FILENAME).read_bytes()
