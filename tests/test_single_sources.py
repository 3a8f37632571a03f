"""Each fact in one place: the notation (notebooks/NOTATION.md) is in the README and in every
lesson, verbatim; the points are the notebooks' nbgrader metadata, and every table that shows
them (the README's course map, each lesson's "What is graded" table, an exercise heading
that announces points) agrees with it. Each check is also shown to fail on a broken copy."""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder.lessons import answers, authoring, points_tables
from tests.lessons import NOTEBOOKS, ROOT

LESSON_DIRS = authoring.lesson_dirs(ROOT)
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _built(name: str) -> nbformat.NotebookNode:
    return answers.read(NOTEBOOKS / name / f"{name}.ipynb")


@pytest.fixture(params=[d.name for d in LESSON_DIRS])
def lesson(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_notation_block_is_stated_once_and_carried_everywhere(lesson: str) -> None:
    block = authoring.notation(ROOT)
    assert block.startswith("## Notation") and "lecture notes" in block
    assert block in README, "the README states the notation block verbatim (NOTATION.md)"
    nb = _built(lesson)
    assert authoring.notation_problems(ROOT, nb) == []
    first_cells = [c for c in nb.cells[:3] if c.cell_type == "markdown"]
    assert any(c.source.strip() == block for c in first_cells), "near the top of the lesson"


def test_a_lesson_without_the_block_or_with_an_edited_copy_is_reported() -> None:
    nb = _built(LESSON_DIRS[0].name)
    cell = next(c for c in nb.cells if c.source.startswith("## Notation"))
    edited = cell.source.replace("M^{l-1}", "M^l", 1)
    assert edited != cell.source
    cell.source = edited
    assert authoring.notation_problems(ROOT, nb)
    nb.cells.remove(cell)
    assert authoring.notation_problems(ROOT, nb)


def test_the_lesson_tables_agree_with_the_metadata(lesson: str) -> None:
    nb = _built(lesson)
    assert points_tables.table_problems(nb) == []
    points = points_tables.lesson_points(nb)
    assert points.functions and points.written, "every lesson grades functions and writing"


def test_the_course_map_agrees_with_the_metadata() -> None:
    lessons = {d.name: points_tables.lesson_points(_built(d.name)) for d in LESSON_DIRS}
    assert points_tables.course_map_problems(README, lessons) == []


def _set_points(nb: nbformat.NotebookNode, grade_id: str, value: float) -> None:
    cell = next(c for c in nb.cells if answers.grade_id(c) == grade_id)
    cell.metadata["nbgrader"]["points"] = value


def test_changed_points_are_reported_in_the_table_the_heading_and_the_map() -> None:
    name = "02_gradient_checking"
    nb = copy.deepcopy(_built(name))
    _set_points(nb, "test_numerical_gradient", 4)
    problems = points_tables.table_problems(nb)
    assert any("`numerical_gradient`" in p for p in problems), problems  # its row
    assert any(p.startswith("total") for p in problems), problems
    assert any("Exercise 1: `numerical_gradient` (5 points)" in p for p in problems), problems
    lessons = {d.name: points_tables.lesson_points(_built(d.name)) for d in LESSON_DIRS}
    lessons[name] = points_tables.lesson_points(nb)
    assert any(p.startswith(name) for p in points_tables.course_map_problems(README, lessons))

    written = copy.deepcopy(_built(name))
    _set_points(written, "derive_step_size", 2)
    problems = points_tables.table_problems(written)
    assert any(p.startswith("written answers") for p in problems), problems
    assert any("graded by hand" in p for p in problems), problems  # the derivation's heading


def test_a_table_row_that_lies_or_is_missing_is_reported() -> None:
    nb = copy.deepcopy(_built("05_backprop_network"))
    intro = nb.cells[0]
    intro.source = intro.source.replace("| `sgd_step` | 1 + 1 hidden |", "| `sgd_step` | 2 |")
    assert any("`sgd_step`" in p for p in points_tables.table_problems(nb))
    intro.source = "\n".join(line for line in intro.source.splitlines() if "`sgd_step`" not in line)
    assert any("missing ['sgd_step']" in p for p in points_tables.table_problems(nb))
    intro.source = intro.source.replace(points_tables.TABLE_HEADER, "| part | what | points |")
    assert points_tables.table_problems(nb) == [
        f"the first markdown cell has no table starting {points_tables.TABLE_HEADER!r}"
    ]


def test_the_course_map_must_list_every_lesson_in_order() -> None:
    lessons = {d.name: points_tables.lesson_points(_built(d.name)) for d in LESSON_DIRS}
    rows = [line for line in README.splitlines() if line.startswith("| [0")]
    without_one = README.replace(rows[2] + "\n", "")
    assert points_tables.course_map_problems(without_one, lessons)
    swapped = README.replace(rows[0], "@@").replace(rows[1], rows[0]).replace("@@", rows[1])
    assert points_tables.course_map_problems(swapped, lessons)
