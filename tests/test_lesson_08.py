"""Lesson 08_convolution: what its cases promise, and what each function is judged on (its
hidden-only mutants, mutant counts and card split: tests/test_later_lessons.py)."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_ref.specs import LESSONS
from backprop_ref.specs.core import check_function
from backprop_ref.specs.l08_convolution import EXPECT, cases
from tests.lesson_suite import VERIFY_SEEDS, namespace
from tests.lessons import mutants

LESSON = "08_convolution"


@pytest.mark.parametrize("seed", VERIFY_SEEDS)
def test_hidden_and_verify_cases_have_what_they_promise(seed: int) -> None:
    """Every feature the visible cases leave out is in the hidden stage and in every draw
    of the verify stage; the visible cases have none of them (that is what makes the
    hidden-only mutants hidden)."""
    rng = np.random.default_rng(seed)
    for stage in ("hidden", "verify"):
        drawn = cases.conv_cases(rng, stage)
        geo = [
            (c.inputs["x"].shape, c.inputs["W"].shape, c.inputs["stride"], c.inputs["pad"])
            for c in drawn
        ]
        assert any(x[0] == 1 for x, _, _, _ in geo), "a single image"
        assert any(x[1] == 1 for x, _, _, _ in geo), "a single channel"
        assert any(x[2] != x[3] for x, _, _, _ in geo), "a non-square image"
        assert any(w[2] != w[3] for _, w, _, _ in geo), "a non-square kernel"
        assert any(p == 0 for _, _, _, p in geo), "no padding"
        assert any(s >= 2 and (x[2] + 2 * p - w[2]) % s for x, w, s, p in geo), "rounded down"
        assert any(p == 0 and s >= 2 and (x[2] - w[2]) % s for x, w, s, p in geo), (
            "a row of x itself in no window"
        )
        pools = cases.pool_cases(rng, stage)
        assert any(c.inputs["stride"] < c.inputs["size"] for c in pools), "overlapping windows"
        assert any((c.inputs["x"].shape[2] - c.inputs["size"]) % c.inputs["stride"] for c in pools)
        assert any(c.inputs["x"].shape[0] == 1 for c in pools)
        assert any(c.inputs["x"].shape[1] == 1 for c in pools)
    for c in cases.conv_cases(rng, "visible"):
        x, W, S, P = c.inputs["x"], c.inputs["W"], c.inputs["stride"], c.inputs["pad"]
        assert x.shape[2] == x.shape[3] and W.shape[2] == W.shape[3] and P >= 1
        assert min(x.shape[:2]) >= 2 and (x.shape[2] + 2 * P - W.shape[2]) % S == 0


def test_visible_pooling_cases_have_ties_that_decide_the_winner() -> None:
    """A visible case has windows whose maximum is tied (so the tie rule is tested before
    submission), and the tests' finite-difference directions leave those entries alone."""
    rng = np.random.default_rng(0)
    tied_windows = 0
    for case in cases.pool_cases(rng, "visible"):
        x, size, S = case.inputs["x"], case.inputs["size"], case.inputs["stride"]
        for window in np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))[
            :, :, ::S, ::S
        ].reshape(-1, size * size):
            tied_windows += int((window == window.max()).sum() > 1)
        fd = EXPECT["maxpool_backward"](case)["fd"]
        for u in fd["directions"]["x"]:
            moved = u != 0
            assert moved.any()
    assert tied_windows >= 5


def test_each_function_is_judged_on_its_own() -> None:
    """A wrong forward pass costs the backward passes nothing, and a wrong gradient costs
    only its own function: they get the forward pass's inputs, never another function's
    output."""
    table = mutants(LESSON)
    ns = namespace(
        LESSON, table["conv_forward_loops"]["wrong"]["kernel flipped (a true convolution)"]
    )
    exec(compile(table["conv_backward_x_loops"]["wrong"]["stride ignored"], "<m>", "exec"), ns)
    passed = {s.name: check_function(s, ns, "visible", 0).passed for s in LESSONS[LESSON].specs}
    assert passed == {
        s.name: s.name not in ("conv_forward_loops", "conv_backward_x_loops")
        for s in LESSONS[LESSON].specs
    }
