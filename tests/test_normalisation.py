"""Batch and layer normalisation: forward against a direct formula, every backward (each node
of the staged one too) against finite differences, layer norm as batch norm transposed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_ref import normalisation as norm
from tests._fd import assert_close, contract, fd_gradient
from tests.strategies import arrays

#: atol: central differences at h = 1e-6 carry round-off of about eps_64 * |x| * |gamma| *
#: |dL_dy| * D / (sqrt(eps) * h), up to ~3e-7 for the drawn sizes (a constant row, where the
#: exact gradient is 0, showed 1.1e-7), so the floor sits above it.
FD = {"rtol": 1e-5, "atol": 1e-6}
#: eps large enough that a column of equal values is still smooth at the FD step 1e-6.
EPSILONS = st.sampled_from([1e-2, 0.1, 1.0])


@st.composite
def norm_case(draw: st.DrawFn, min_rows: int = 2) -> dict[str, Any]:
    N, D = draw(st.integers(min_rows, 5)), draw(st.integers(2, 5))
    return {
        "x": draw(arrays((N, D))),
        "gamma": draw(arrays((D,))),
        "beta": draw(arrays((D,))),
        "dL_dy": draw(arrays((N, D))),
        "eps": draw(EPSILONS),
    }


def _direct(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, axis: int) -> Any:
    """The normalisation written with numpy's own mean and (biased) variance."""
    mu = np.mean(x, axis=axis, keepdims=True)
    var = np.var(x, axis=axis, keepdims=True)  # ddof=0
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


@given(norm_case())
@settings(max_examples=60, deadline=None)
def test_batchnorm_forward_is_the_direct_formula_and_caches_the_graph(c: dict[str, Any]) -> None:
    x, gamma, beta, eps = c["x"], c["gamma"], c["beta"], c["eps"]
    copies = {k: np.copy(v) for k, v in c.items()}
    y, cache = norm.batchnorm_forward(x, gamma, beta, eps)
    for k, v in copies.items():
        np.testing.assert_array_equal(c[k], v)  # inputs untouched
    assert_close(y, _direct(x, gamma, beta, eps, axis=0), "y")
    N, D = x.shape
    assert tuple(cache) == norm.CACHE_KEYS and cache["eps"] == eps
    assert {k: np.shape(cache[k]) for k in ("mu", "var", "std")} == dict.fromkeys(
        ("mu", "var", "std"), (D,)
    )
    assert cache["xc"].shape == cache["xhat"].shape == (N, D)
    assert_close(cache["xhat"], _direct(x, 1.0, 0.0, eps, axis=0), "xhat")
    assert_close(cache["std"] ** 2, x.var(axis=0) + eps, "std^2 = var + eps")


@given(norm_case(min_rows=1))
@settings(max_examples=60, deadline=None)
def test_layernorm_forward_is_the_direct_formula_along_the_features(c: dict[str, Any]) -> None:
    x, gamma, beta, eps = c["x"], c["gamma"], c["beta"], c["eps"]
    y, cache = norm.layernorm_forward(x, gamma, beta, eps)
    assert_close(y, _direct(x, gamma, beta, eps, axis=1), "y")
    N = x.shape[0]
    assert tuple(cache) == norm.CACHE_KEYS
    assert {np.shape(cache[k]) for k in ("mu", "var", "std")} == {(N, 1)}


@given(norm_case(min_rows=1))
@settings(max_examples=30, deadline=None)
def test_layer_norm_is_batch_norm_of_the_transpose(c: dict[str, Any]) -> None:
    """With gamma = 1 and beta = 0, normalising the rows is normalising the columns of x.T;
    the same holds for the backward: the same derivation along the other axis."""
    x, dL_dy, eps = c["x"], c["dL_dy"], c["eps"]
    N, D = x.shape
    y_ln, ln_cache = norm.layernorm_forward(x, np.ones(D), np.zeros(D), eps)
    y_bn, bn_cache = norm.batchnorm_forward(x.T, np.ones(N), np.zeros(N), eps)
    assert_close(y_ln, y_bn.T, "layer norm vs batch norm of x.T")
    dx_ln = norm.layernorm_backward(dL_dy, ln_cache)[0]
    dx_bn = norm.batchnorm_backward(dL_dy.T, bn_cache)[0]
    assert_close(dx_ln, dx_bn.T, "dL/dx of layer norm vs batch norm of x.T")


BACKWARDS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "batch norm, compact": (norm.batchnorm_forward, norm.batchnorm_backward),
    "layer norm": (norm.layernorm_forward, norm.layernorm_backward),
}


@pytest.mark.parametrize("which", list(BACKWARDS))
@given(c=norm_case())
@settings(max_examples=40, deadline=None)
def test_backward_matches_finite_differences(which: str, c: dict[str, Any]) -> None:
    forward, backward = BACKWARDS[which]
    x, gamma, beta, dL_dy, eps = (c[k] for k in ("x", "gamma", "beta", "dL_dy", "eps"))
    _, cache = forward(x, gamma, beta, eps)
    before = {k: np.copy(v) for k, v in cache.items()}
    dL_dx, dL_dgamma, dL_dbeta = backward(dL_dy, cache)
    for k, v in before.items():
        np.testing.assert_array_equal(cache[k], v)  # the cache is read, never written

    def L() -> float:
        return contract(forward(x, gamma, beta, eps)[0], dL_dy)

    assert_close(dL_dx, fd_gradient(L, x), "dL/dx", **FD)
    assert_close(dL_dgamma, fd_gradient(L, gamma), "dL/dgamma", **FD)
    assert_close(dL_dbeta, fd_gradient(L, beta), "dL/dbeta", **FD)


def _graph(c: dict[str, Any], bump: str, delta: np.ndarray) -> float:
    """L = sum(dL_dy * y) with ``delta`` added to the node ``bump`` right after it is
    computed: the nodes below it are recomputed from the bumped value, so the derivative in
    ``delta`` is the node's total derivative, the quantity the staged backward returns."""
    x, gamma, beta, eps = c["x"], c["gamma"], c["beta"], c["eps"]
    nodes: dict[str, Any] = {}

    def node(name: str, value: Any) -> Any:
        nodes[name] = value + delta if name == bump else value
        return nodes[name]

    x = node("x", x)
    mu = node("mu", x.mean(axis=0))
    xc = node("xc", x - mu)
    var = node("var", (xc**2).mean(axis=0))
    std = node("std", np.sqrt(var + eps))
    xhat = node("xhat", xc / std)
    y = node("gamma", gamma) * xhat + node("beta", beta)
    return contract(y, c["dL_dy"])


@given(norm_case())
@settings(max_examples=40, deadline=None)
def test_every_node_of_the_staged_backward_is_its_total_derivative(c: dict[str, Any]) -> None:
    _, cache = norm.batchnorm_forward(c["x"], c["gamma"], c["beta"], c["eps"])
    grads = norm.batchnorm_backward_staged(c["dL_dy"], cache)
    assert tuple(grads) == norm.STAGED_KEYS
    for name, g in grads.items():
        delta = np.zeros(g.shape)
        fd = fd_gradient(lambda name=name, delta=delta: _graph(c, name, delta), delta)
        assert_close(g, fd, f"dL/d{name}", **FD)
    compact = norm.batchnorm_backward(c["dL_dy"], cache)
    for got, key in zip(compact, ("x", "gamma", "beta"), strict=True):
        assert_close(got, grads[key], f"compact vs staged dL/d{key}", rtol=1e-9, atol=1e-12)


def test_batch_norm_gradient_is_orthogonal_to_what_it_removes() -> None:
    """sum_n dL/dx = 0 and sum_n dL/dx * xhat = 0 per feature: shifting a column of x does
    not change y, and (up to eps) neither does scaling it, so the gradient has no component
    along those directions."""
    rng = np.random.default_rng(0)
    x, dL_dy = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    _, cache = norm.batchnorm_forward(x, rng.standard_normal(3), rng.standard_normal(3), 1e-8)
    dL_dx = norm.batchnorm_backward(dL_dy, cache)[0]
    assert np.abs(dL_dx.sum(axis=0)).max() < 1e-12
    assert np.abs((dL_dx * cache["xhat"]).sum(axis=0)).max() < 1e-6  # exactly 0 at eps = 0


def test_large_offsets_do_not_change_the_result() -> None:
    """y(x + c) = y(x): the two-pass variance keeps every digit where mean(x^2) - mean(x)^2
    (shown failing here) loses them all."""
    rng = np.random.default_rng(1)
    noise = 1e-3 * rng.standard_normal((8, 4))
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    y0, _ = norm.batchnorm_forward(noise, gamma, beta, 1e-5)
    y1, _ = norm.batchnorm_forward(1e4 + noise, gamma, beta, 1e-5)
    assert_close(y1, y0, "y with an offset of 1e4", rtol=1e-6, atol=1e-8)
    x = 1e4 + noise
    naive = (x**2).mean(axis=0) - x.mean(axis=0) ** 2
    assert np.abs(naive / noise.var(axis=0) - 1).max() > 1e-2  # the cancellation is real


def test_constant_column_is_normalised_to_beta() -> None:
    x = np.array([[1.0, 3.0], [2.0, 3.0], [4.0, 3.0]])
    y, cache = norm.batchnorm_forward(x, np.array([2.0, 2.0]), np.array([0.5, -1.0]), 1e-5)
    assert np.isfinite(y).all() and np.allclose(y[:, 1], -1.0)
    assert cache["std"][1] == pytest.approx(np.sqrt(1e-5))


def _network_case(seed: int, N: int = 6) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    M0, H, C = 3, 5, 4
    params = {
        "W1": rng.standard_normal((M0, H)),
        "b1": rng.standard_normal(H),
        "gamma": 1 + 0.3 * rng.standard_normal(H),
        "beta": 0.3 * rng.standard_normal(H),
        "W2": rng.standard_normal((H, C)),
        "b2": rng.standard_normal(C),
    }
    return rng.standard_normal((N, M0)), rng.integers(0, C, N), params


@pytest.mark.parametrize("seed", range(4))
def test_bn_network_gradients_match_finite_differences(seed: int) -> None:
    x, labels, params = _network_case(seed, N=2 + seed)
    L, grads = norm.bn_network(x, labels, params)
    assert tuple(grads) == norm.NETWORK_KEYS

    def loss() -> float:
        return norm.bn_network(x, labels, params)[0]

    assert loss() == L
    for name, p in params.items():
        assert_close(grads[name], fd_gradient(loss, p), f"dL/d{name}", **FD)
    assert np.abs(grads["b1"]).max() < 1e-12  # the mean of the batch removes b1
