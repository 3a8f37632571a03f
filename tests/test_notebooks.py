"""The lesson notebooks: in sync with their sources, valid nbgrader metadata agreeing with the
specs, every test passing on the solutions, and no free points for an empty submission."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from nbgrader.validator import Validator

from autograder.lessons import answers, authoring
from autograder.nbgrader_glue import nbg
from backprop_ref.specs import LESSONS, Lesson
from tests.lessons import ROOT, make_course, source_path

LESSON_NAMES = list(LESSONS)
ID_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
V3_KEYS = {"grade", "grade_id", "locked", "points", "schema_version", "solution", "task"}


def _graded(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if answers.nbgrader_meta(c)]


@pytest.fixture(params=LESSON_NAMES)
def lesson(request: pytest.FixtureRequest) -> Lesson:
    return LESSONS[request.param]


def test_every_lesson_has_a_notebook_and_specs(lesson: Lesson) -> None:
    assert source_path(lesson.name).exists(), f"missing {source_path(lesson.name)}"
    assert lesson.specs, f"{lesson.name} grades no function"
    assert any(c.kind == "manual" for c in lesson.cells), "every lesson has a written derivation"


def test_ipynb_is_built_from_its_py(lesson: Lesson) -> None:
    py = source_path(lesson.name).with_suffix(".py")
    built = authoring.render(authoring.build(py))
    assert source_path(lesson.name).read_text(encoding="utf-8") == built, "run `make notebooks`"


def test_metadata_is_valid_and_matches_the_spec(lesson: Lesson) -> None:
    nb = answers.read(source_path(lesson.name))
    cells = _graded(nb)
    ids = [answers.grade_id(c) for c in cells]
    assert len(ids) == len(set(ids)), f"duplicated grade_ids: {ids}"
    for cell in cells:
        meta = answers.nbgrader_meta(cell)
        gid = meta.get("grade_id")
        assert set(meta) <= V3_KEYS and meta["schema_version"] == 3, (gid, meta)
        assert isinstance(gid, str) and ID_RE.match(gid), gid
        if meta["grade"]:
            assert float(meta["points"]) > 0, f"{gid} has no points"
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, gid
    declared = {c.grade_id: (float(c.points), c.kind) for c in lesson.cells}
    found = {}
    for cell in cells:
        meta = answers.nbgrader_meta(cell)
        if meta["grade"]:
            kind = "manual" if cell.cell_type == "markdown" or meta["solution"] else "test"
            found[meta["grade_id"]] = (float(meta["points"]), kind)
    assert {k: v[0] for k, v in found.items()} == {k: v[0] for k, v in declared.items()}
    for gid, (_, kind) in declared.items():
        assert (found[gid][1] == "manual") == (kind == "manual"), gid


def test_every_graded_function_has_its_solution_and_test_cells(lesson: Lesson) -> None:
    nb = answers.read(source_path(lesson.name))
    by_id = {answers.grade_id(c): c for c in _graded(nb)}
    for spec in lesson.specs:
        sol = by_id.get(f"sol_{spec.name}")
        assert sol is not None and f"def {spec.name}(" in sol.source, f"no sol_{spec.name} cell"
    for cell in lesson.cells:
        if cell.kind == "manual":
            continue
        src = by_id[cell.grade_id].source
        hidden = "### BEGIN HIDDEN TESTS" in src
        assert hidden == (cell.kind == "hidden"), f"{cell.grade_id}: hidden markers vs kind"
        assert f'check("{cell.spec}"' in src, f"{cell.grade_id} must call check({cell.spec!r})"
        body = ast.parse(
            answers.solution_text(src)
            .replace("### BEGIN HIDDEN TESTS", "")
            .replace("### END HIDDEN TESTS", "")
        ).body
        last = body[-1]
        bare = isinstance(last, ast.Expr) and not (
            isinstance(last.value, ast.Call) and getattr(last.value.func, "id", "") == "check"
        )
        assert not bare, f"{cell.grade_id} ends with a bare expression (nbgrader scores it)"


def test_no_outputs_saved(lesson: Lesson) -> None:
    nb = answers.read(source_path(lesson.name))
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.fixture(scope="module")
def check_data() -> None:
    """The check data beside each source notebook, as `make notebooks` writes it."""
    authoring.write_checks(ROOT)


@pytest.mark.slow
def test_solution_notebook_passes_every_test(lesson: Lesson, check_data: None) -> None:
    """nbgrader's Validator (the CLI exits 0 even on failures, so we read the result)."""
    with nbg.quiet_logs():
        result = Validator(config=nbg.load_config(Path(ROOT))).validate(
            str(source_path(lesson.name))
        )
    assert not result.get("failed"), "\n\n".join(f["raw_error"] for f in result["failed"])
    assert not result.get("changed") and not result.get("type_changed")


@pytest.mark.slow
def test_empty_student_version_scores_nothing(lesson: Lesson, tmp_path: Path) -> None:
    course = make_course(tmp_path, lesson.name)
    scores = course.grade("empty", course.release())
    auto = {c.grade_id for c in lesson.cells if c.kind != "manual"}
    assert set(scores) >= auto
    assert {g: scores[g] for g in auto} == dict.fromkeys(auto, 0.0)
