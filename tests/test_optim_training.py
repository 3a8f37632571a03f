"""Gradient descent (lesson 5's ``sgd_step``), and the networks learning with it."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_kit.data import spiral
from backprop_ref.losses import softmax_cross_entropy
from backprop_ref.mlp import init_mlp, mlp_backward, mlp_forward
from backprop_ref.modules import Linear, ReLU, Sequential
from backprop_ref.optim import sgd_step


def _params(dtype: type = np.float64) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in [("W1", (3, 2)), ("b1", (2,))]}
    grads = {k: rng.standard_normal(v.shape).astype(dtype) for k, v in params.items()}
    return params, grads


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_step_updates_in_place(dtype: type) -> None:
    params, grads = _params(dtype)
    arrays = dict(params)  # the same array objects
    expected = {k: params[k] - 0.1 * grads[k] for k in params}
    grads_before = {k: g.copy() for k, g in grads.items()}
    assert sgd_step(params, grads, 0.1) is None
    for k in params:
        assert params[k] is arrays[k] and params[k].dtype == dtype
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-6)
        np.testing.assert_array_equal(grads[k], grads_before[k])  # grads untouched


def test_sgd_step_needs_matching_keys() -> None:
    params, grads = _params()
    with pytest.raises(KeyError, match="same keys"):
        sgd_step(params, {"W1": grads["W1"]}, 0.1)


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(scores, axis=1) == labels))


def test_functional_mlp_learns_the_spiral_with_plain_gradient_descent() -> None:
    """Lesson 5: sgd_step only, full batch; about 0.15 s."""
    x, labels = spiral(seed=0)
    params = init_mlp([2, 100, 3], seed=0)
    history = []
    for _ in range(500):
        scores, cache = mlp_forward(x, params)
        L, dL_dscores = softmax_cross_entropy(scores, labels)
        sgd_step(params, mlp_backward(dL_dscores, cache), lr=1.0)
        history.append(L)
    assert len(history) == 500 and history[-1] < 0.2 * history[0]
    assert accuracy(mlp_forward(x, params)[0], labels) >= 0.95


def test_sequential_learns_the_spiral_with_zero_grad_each_step() -> None:
    """The stateful network accumulates gradients: a training loop zeroes them each step."""
    x, labels = spiral(seed=1)
    model = Sequential(Linear(2, 64, rng=0), ReLU(), Linear(64, 3, rng=1))
    first = last = 0.0
    for step in range(500):
        model.zero_grad()
        L, dL_dy = softmax_cross_entropy(model.forward(x), labels)
        model.backward(dL_dy)
        sgd_step(model.parameters(), model.gradients(), lr=1.0)
        first, last = (L if step == 0 else first), L
    assert last < 0.2 * first
    assert accuracy(model.forward(x), labels) >= 0.95
