"""Lessons 07 and 08, each through the same checks (tests/lesson_suite.py): every
``hidden_only`` mutant (a wrong answer the visible tests cannot see) passes the visible
stage and fails the hidden stage and verification, and loses exactly its hidden cell's
points when graded by nbgrader for real; enough mutants of each kind; the solution passes
every stage on many seeds; the expected data is plain data; the kit's card module imports
no answer and the lesson's words import nothing. Their own promises are in
tests/test_lesson_07.py and tests/test_lesson_08.py; tests/test_mutants.py judges the
``wrong`` and ``correct`` mutants.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests import lesson_suite as suite

LATER = ("07_normalisation", "08_convolution")


@pytest.mark.parametrize(
    ("lesson", "fn", "desc"),
    [pytest.param(lesson, *p.values, id=f"{lesson}-{p.id}") for lesson in LATER
     for p in suite.hidden_only_params(lesson)],
)  # fmt: skip
def test_hidden_only_mutant_passes_visible_and_fails_hidden_and_verify(
    lesson: str, fn: str, desc: str
) -> None:
    suite.assert_hidden_only(lesson, fn, desc)


@pytest.mark.parametrize("lesson", LATER)
def test_mutant_counts(lesson: str) -> None:
    suite.assert_mutant_counts(lesson)


@pytest.mark.parametrize("lesson", LATER)
def test_the_solution_passes_every_stage_on_many_seeds(lesson: str) -> None:
    suite.assert_solution_passes(lesson)


@pytest.mark.parametrize("lesson", LATER)
def test_expected_values_are_plain_data(lesson: str) -> None:
    expect = importlib.import_module(f"backprop_ref.specs.l{lesson}").EXPECT
    suite.assert_expected_is_plain_data(lesson, expect)


@pytest.mark.parametrize("lesson", LATER)
def test_judges_only_compare(lesson: str) -> None:
    suite.assert_judges_only_compare(lesson)
    words = ast.parse((suite.spec_dir(lesson) / "words.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(words) if isinstance(n, ast.Import | ast.ImportFrom)][1:]


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LATER)
def test_hidden_only_mutants_lose_exactly_their_points_when_graded(
    tmp_path: Path, lesson: str
) -> None:
    suite.assert_hidden_only_lose_their_hidden_points(tmp_path, lesson)
