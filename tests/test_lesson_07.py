"""Lesson 07_normalisation: what its cases promise, and what each function is judged on (its
hidden-only mutants, mutant counts and card split: tests/test_later_lessons.py)."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_ref.specs import LESSONS
from backprop_ref.specs.core import check_function
from backprop_ref.specs.l07_normalisation import cases
from tests.lesson_suite import VERIFY_SEEDS, namespace
from tests.lessons import mutants

LESSON = "07_normalisation"


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
