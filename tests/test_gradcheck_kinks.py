"""Kinks: no false alarms on correct ReLU gradients, even at or near a kink, and kink
crossings reported as skipped (with ``branches``, and without via the one-sided rule)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from backprop_ref.gradcheck import check_gradient
from tests.test_gradcheck_corpus import Net, make_net

H_STEP = 1e-5


def zero_row_net(seed: int, **sizes: int) -> Net:
    """Zero biases and an all-zero input row: row 0's pre-activations are exactly 0."""
    net = make_net(seed, **sizes)
    net.point["b1"][:] = 0.0
    net.point["b2"][:] = 0.0
    net.point["x"][0] = 0.0
    return net


def near_kink_net(seed: int, offsets: tuple[float, ...] = (0.3, -0.6, 0.9)) -> Net:
    """Units 0, 1, 2 have one pre-activation each at ``offset * h`` from the kink."""
    net = make_net(seed)
    p = net.point
    for j, c in enumerate(offsets):
        n = (seed + j) % p["x"].shape[0]
        p["b1"][j] = c * H_STEP - p["x"][n] @ p["W1"][:, j]  # z1[n, j] = c h
    return net


def sparse_net(seed: int) -> Net:
    """Inputs with many exact zeros (like image pixels) and zero biases, as at initialisation."""
    net = make_net(seed, N=16, D=50, H=40, C=10)
    rng = np.random.default_rng(seed + 100)
    x = net.point["x"]
    x *= rng.random(x.shape) < 0.2
    x[rng.integers(0, 16)] = 0.0
    net.point["b1"][:] = 0.0
    net.point["b2"][:] = 0.0
    return net


VARIANTS: dict[str, Callable[[int], Net]] = {
    "random": lambda s: make_net(s),
    "zero row": lambda s: zero_row_net(s),
    "near kink": lambda s: near_kink_net(s),
    "sparse inputs": sparse_net,
    "course size": lambda s: make_net(s, N=16, D=50, H=40, C=10, bias=0.1),
}


@pytest.mark.parametrize("use_branches", [True, False], ids=["branches", "one-sided rule"])
def test_no_false_alarms_on_correct_relu_gradients(use_branches: bool) -> None:
    """50 seeds, cycling through the variants: every correct gradient passes."""
    failures = []
    for seed in range(50):
        variant = list(VARIANTS)[seed % len(VARIANTS)]
        net = VARIANTS[variant](seed)
        branches = net.branches if use_branches else None
        result = check_gradient(net.loss, net.point, net.grads(), seed=seed, branches=branches)
        if not result.passed:
            failures.append(f"seed {seed} ({variant}): {result}")
        if variant == "zero row":  # the kink entries are reported
            assert {e.index for e in result.skipped if e.tensor == "b1"} == {(j,) for j in range(6)}
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("use_branches", [True, False], ids=["branches", "one-sided rule"])
def test_relu_exactly_at_zero_is_skipped_not_failed(use_branches: bool) -> None:
    net = zero_row_net(3)
    branches = net.branches if use_branches else None
    result = check_gradient(net.loss, net.point, net.grads(), branches=branches)
    assert result.passed, result
    assert {e.index for e in result.skipped if e.tensor == "b1"} == {(j,) for j in range(6)}
    # moving b1[j] moves z1[0, j] off 0 both ways; moving x[0, i] moves every z1[0, :]
    assert all(e.tensor == "b1" or (e.tensor == "x" and e.index[0] == 0) for e in result.skipped)
    for e in result.skipped:  # the central difference is the average of the two slopes
        assert e.rel_error > 1e-3
    assert "skipped at kinks" in result.message
    assert (result.branch_evaluations > 0) == use_branches


@pytest.mark.parametrize("use_branches", [True, False], ids=["branches", "one-sided rule"])
def test_a_wrong_gradient_is_still_caught_at_a_kink_point(use_branches: bool) -> None:
    net = zero_row_net(4)
    grads = net.grads()
    grads["W2"] = grads["W2"] * 1.5
    branches = net.branches if use_branches else None
    result = check_gradient(net.loss, net.point, grads, branches=branches)
    assert not result.passed and result.message.startswith("dW2: 24 of 24 entries disagree")


def test_with_branches_a_wrong_value_at_a_kink_entry_is_caught() -> None:
    net = zero_row_net(4)
    grads = net.grads()
    da1 = net.cache()["da1"][0]  # the jump of each b1[j]'s slope at the kink of row 0
    grads["b1"] = grads["b1"] - 2 * da1  # outside both one-sided derivatives
    result = check_gradient(net.loss, net.point, grads, branches=net.branches)
    assert not result.passed and result.message.startswith("db1: 6 of 6 entries disagree")
    left = net.grads()["b1"]  # row 0 inactive: the slope on the point's own branch
    for e in result.worst:
        assert e.numerical == pytest.approx(left[e.index], rel=1e-6, abs=1e-9)
    # without branches an entry with a kink exactly at the point cannot be checked
    lenient = check_gradient(net.loss, net.point, grads)
    assert lenient.passed and {e.tensor for e in lenient.skipped} >= {"b1"}


@pytest.mark.parametrize("use_branches", [True, False], ids=["branches", "one-sided rule"])
@pytest.mark.parametrize("offset", [0.3, -0.6, 0.05, 0.99])
def test_pre_activation_within_h_of_the_kink(use_branches: bool, offset: float) -> None:
    net = near_kink_net(1, offsets=(offset,))
    branches = net.branches if use_branches else None
    # directions=0 skips the gate: every entry is checked, so the kink entry shows
    result = check_gradient(net.loss, net.point, net.grads(), branches=branches, directions=0)
    assert result.passed, result
    assert ("b1", (0,)) in {(e.tensor, e.index) for e in result.skipped}


def _relu_sum(x: Any) -> float:
    return float(np.sum(np.maximum(x, 0) * np.arange(1, x.size + 1)))


def _relu_mask(x: Any) -> Any:
    return x > 0


@pytest.mark.parametrize("g0", [0.0, 1.0])
def test_either_one_sided_derivative_is_accepted_at_a_kink(g0: float) -> None:
    x = np.array([0.0, 1.0, -2.0])
    result = check_gradient(_relu_sum, x, np.array([g0, 2.0, 0.0]))
    assert result.passed and [e.index for e in result.skipped] == [(0,)]


@pytest.mark.parametrize("g0", [0.7, 1.0])
def test_with_branches_any_value_between_the_one_sided_derivatives_is_accepted(g0: float) -> None:
    x = np.array([0.0, 1.0, -2.0])  # relu'(0) is 0 by the mask x > 0, 1 by x >= 0
    result = check_gradient(_relu_sum, x, np.array([g0, 2.0, 0.0]), branches=_relu_mask)
    assert result.passed and [e.index for e in result.skipped] == [(0,)]


@pytest.mark.parametrize("g0", [-0.3, 1.5])
def test_with_branches_a_value_outside_them_fails(g0: float) -> None:
    x = np.array([0.0, 1.0, -2.0])
    result = check_gradient(_relu_sum, x, np.array([g0, 2.0, 0.0]), branches=_relu_mask)
    assert not result.passed and result.message.startswith("dx: 1 of 3 entries disagree")
    assert result.worst[0].numerical == pytest.approx(0.0, abs=1e-9)  # the left slope


def test_the_one_sided_rule_does_not_excuse_errors_away_from_kinks() -> None:
    x = np.array([0.0, 1.0, -2.0])
    result = check_gradient(_relu_sum, x, np.array([0.0, 2.5, 0.0]))
    assert not result.passed and [e.index for e in result.worst] == [(1,)]
    assert [e.index for e in result.skipped] == [(0,)]


def test_the_one_sided_rule_near_but_not_at_a_kink() -> None:
    for c in (0.1, 0.3, 0.5, 0.7, 0.9, -0.2, -0.6):
        x = np.array([c * H_STEP, 1.0, -2.0])
        g = np.array([1.0 if c > 0 else 0.0, 2.0, 0.0])
        assert check_gradient(_relu_sum, x, g, directions=0).passed
        wrong = check_gradient(_relu_sum, x, g + np.array([0.0, 0.0, 0.5]), directions=0)
        assert not wrong.passed and [e.index for e in wrong.worst] == [(2,)]
        bad = g.copy()
        bad[0] += 0.5 if c > 0 else -0.5  # outside the slopes 0 and 1 of the kink
        assert not check_gradient(_relu_sum, x, bad, directions=0).passed, c


@pytest.mark.parametrize("use_branches", [True, False], ids=["branches", "one-sided rule"])
def test_a_tie_in_a_max_is_a_kink(use_branches: bool) -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 0.5, -1.0]])

    def row_max(v: Any) -> float:
        return float(v.max(axis=1).sum())

    g = np.zeros_like(x)
    g[0, 1] = g[1, 0] = 1.0  # np.argmax picks the first of a tie
    branches = (lambda v: v.argmax(axis=1)) if use_branches else None
    result = check_gradient(row_max, x, g, branches=branches)
    assert result.passed, result
    assert {e.index for e in result.skipped} == {(0, 1), (0, 2)}


def test_gate_directions_that_cross_a_kink_are_redrawn() -> None:
    x = np.array([0.4 * H_STEP, 1.0, -1.0, 2.0])  # about half the directions cross
    g = np.array([1.0, 2.0, 0.0, 4.0])
    redrawn = 0
    for seed in range(10):
        result = check_gradient(_relu_sum, x, g, seed=seed, branches=_relu_mask)
        assert result.passed, result
        redrawn += result.branch_evaluations > 2 * 5  # more draws than directions
        if result.localised == {}:
            assert result.directional["x"] <= 1  # the gate passed on redrawn directions
    assert redrawn > 0


def test_a_kink_every_direction_crosses_leads_to_entries() -> None:
    x = np.array([0.0, 1.0, -1.0, 2.0])
    result = check_gradient(_relu_sum, x, np.array([0.0, 2.0, 0.0, 4.0]), branches=_relu_mask)
    assert result.passed and np.isnan(result.directional["x"])
    assert result.localised == {"x": "entries"} and [e.index for e in result.skipped] == [(0,)]


def test_branches_may_return_one_mask_per_layer() -> None:
    def two_layers(v: Any) -> float:
        return float(np.maximum(v, 0).sum() + np.maximum(2 * v - 1, 0).sum())

    def masks(v: Any) -> tuple[Any, Any]:
        return v > 0, (2 * v - 1 > 0)[None, :]  # of different shapes

    x = np.array([0.0, 0.5, 2.0])  # a kink of each layer
    result = check_gradient(two_layers, x, np.array([0.0, 1.0, 3.0]), branches=masks)
    assert result.passed and {e.index for e in result.skipped} == {(0,), (1,)}
    assert not check_gradient(two_layers, x, np.array([0.0, 1.0, 2.0]), branches=masks).passed
