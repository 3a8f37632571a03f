"""Gradient descent, momentum, the training loop and accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_kit.data import regression, spiral
from backprop_ref.losses import mse_loss
from backprop_ref.mlp import init_mlp, mlp_forward
from backprop_ref.modules import Linear, ReLU, Sequential, Tanh
from backprop_ref.optim import SGD, sgd_step
from backprop_ref.training import accuracy, train


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


def test_sgd_momentum_is_the_heavy_ball_formula() -> None:
    params, _ = _params()
    start = {k: v.copy() for k, v in params.items()}
    rng = np.random.default_rng(1)
    lr, mu = 0.05, 0.9
    opt = SGD(params, lr, momentum=mu)
    W, v = start["W1"].copy(), np.zeros_like(start["W1"])
    for _ in range(5):
        grads = {k: rng.standard_normal(p.shape) for k, p in params.items()}
        opt.step(grads)
        v = mu * v - lr * grads["W1"]
        W = W + v
        np.testing.assert_allclose(params["W1"], W, rtol=1e-12)


def test_sgd_without_momentum_is_sgd_step() -> None:
    params, grads = _params()
    copy = {k: v.copy() for k, v in params.items()}
    SGD(params, 0.3).step(grads)
    sgd_step(copy, grads, 0.3)
    assert all(np.array_equal(params[k], copy[k]) for k in params)
    with pytest.raises(ValueError, match="momentum"):
        SGD(params, 0.1, momentum=1.0)


def test_accuracy() -> None:
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    assert accuracy(scores, np.array([1, 0, 0, 0])) == 0.75


def test_functional_mlp_learns_the_spiral_with_plain_gradient_descent() -> None:
    """Lesson 5: sgd_step only, full batch; about 0.15 s."""
    x, labels = spiral(seed=0)
    params = init_mlp([2, 100, 3], seed=0)
    history = train(params, x, labels, lr=1.0, epochs=500)
    assert len(history) == 500 and history[-1] < 0.2 * history[0]
    assert accuracy(mlp_forward(x, params)[0], labels) >= 0.95


def test_sequential_learns_the_spiral_with_minibatches_and_momentum() -> None:
    x, labels = spiral(seed=1)
    model = Sequential(
        Linear(2, 64, rng=0), ReLU(), Linear(64, 64, rng=1), ReLU(), Linear(64, 3, rng=2)
    )
    history = train(model, x, labels, lr=0.1, momentum=0.9, epochs=300, batch_size=32, seed=0)
    assert len(history) == 300 * 10  # ceil(300 / 32) = 10 steps per epoch
    assert accuracy(model.forward(x), labels) >= 0.95


def test_training_is_deterministic_per_seed() -> None:
    x, labels = spiral(n_per_class=20)

    def run(seed: int) -> list[float]:
        model = Sequential(Linear(2, 8, rng=0), ReLU(), Linear(8, 3, rng=1))
        return train(model, x, labels, lr=0.1, epochs=3, batch_size=7, seed=seed)

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_regression_with_mse_and_tanh() -> None:
    x, t = regression(n=64, seed=0)
    model = Sequential(
        Linear(1, 32, rng=0, init="glorot"), Tanh(), Linear(32, 1, rng=1, init="glorot")
    )
    history = train(model, x, t, loss=mse_loss, lr=0.05, momentum=0.9, epochs=300)
    assert history[-1] < 0.05 * history[0]
