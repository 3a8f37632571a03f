"""Lesson 07_normalisation: its hidden-only mutants, its cases' promises, and the split of
its spec into a reference side and a compare-only judge side.

tests/test_mutants.py judges the ``wrong`` and ``correct`` mutants; here every
``hidden_only`` mutant (a wrong answer that the visible tests cannot see) must pass the
visible stage and fail the hidden stage and verification, and lose exactly its function's
points when graded by nbgrader for real.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from backprop_ref.specs import LESSONS
from backprop_ref.specs.core import check_function
from backprop_ref.specs.l07_normalisation import EXPECT, cases
from tests import lesson_suite as suite
from tests.lesson_suite import VERIFY_SEEDS, namespace
from tests.lessons import mutants

LESSON = "07_normalisation"


@pytest.mark.parametrize(("fn", "desc"), suite.hidden_only_params(LESSON))
def test_hidden_only_mutant_passes_visible_and_fails_hidden_and_verify(fn: str, desc: str) -> None:
    suite.assert_hidden_only(LESSON, fn, desc)


def test_mutant_counts() -> None:
    suite.assert_mutant_counts(LESSON)


def test_the_solution_passes_every_stage_on_many_seeds() -> None:
    suite.assert_solution_passes(LESSON)


def test_expected_values_are_plain_data() -> None:
    suite.assert_expected_is_plain_data(LESSON, EXPECT)


def test_judges_only_compare() -> None:
    """The kit's card module imports no answer; the lesson's words import nothing."""
    suite.assert_judges_only_compare(LESSON)
    words = ast.parse((suite.spec_dir(LESSON) / "words.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(words) if isinstance(n, ast.Import | ast.ImportFrom)][1:]


@pytest.mark.slow
def test_hidden_only_mutants_lose_exactly_their_points_when_graded(tmp_path: Path) -> None:
    suite.assert_hidden_only_lose_their_hidden_points(tmp_path, LESSON)


@pytest.mark.parametrize("seed", VERIFY_SEEDS)
def test_hidden_and_verify_cases_have_what_they_promise(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for stage in ("hidden", "verify"):
        batch = cases.batchnorm_cases(rng, stage)
        layer = cases.layernorm_cases(rng, stage)
        for drawn, axis in ((batch, 0), (layer, 1)):
            xs = [c.inputs["x"] for c in drawn]
            spread = [x.std(axis=axis) for x in xs]
            assert any(np.min(s) == 0 for s in spread), "an exactly constant line"
            assert any(np.min(s) < 1e-2 for s in spread), "a nearly constant line"
            assert any(np.abs(x).min() > 5e3 for x in xs), "large offsets"
            assert any(c.inputs["eps"] >= 1e-2 for c in drawn), "an eps that matters"
            assert any(x.shape[0] == x.shape[1] for x in xs), "a square batch"
        assert min(x.shape[0] for x in (c.inputs["x"] for c in batch)) == 2
        assert min(x.shape[0] for x in (c.inputs["x"] for c in layer)) == 1


def test_a_backward_is_judged_without_the_students_forward() -> None:
    """A forward pass that is wrong does not cost the backward passes anything: their cases
    carry the reference's cache."""
    ns = namespace(
        LESSON, mutants(LESSON)["batchnorm_forward"]["wrong"]["unbiased variance (N - 1)"]
    )
    for fn in ("batchnorm_backward_staged", "batchnorm_backward"):
        assert check_function(LESSONS[LESSON].spec(fn), ns, "visible", 0).passed
