"""The lesson-5 MLP as functions: forward formula, backward against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_ref.losses import softmax_cross_entropy
from backprop_ref.mlp import depth, init_mlp, mlp_backward, mlp_forward
from backprop_ref.modules import Linear, ReLU, Sequential
from tests._fd import assert_close, crossed_kinks, fd_gradient

FD = {"rtol": 1e-5, "atol": 1e-7}


def test_init_mlp_shapes_and_seed() -> None:
    params = init_mlp([2, 64, 3], seed=0)
    assert list(params) == ["W1", "b1", "W2", "b2"]
    assert [p.shape for p in params.values()] == [(2, 64), (64,), (64, 3), (3,)]
    assert all(p.dtype == np.float64 for p in params.values())
    again, other = init_mlp([2, 64, 3], seed=0), init_mlp([2, 64, 3], seed=1)
    assert all(np.array_equal(params[k], again[k]) for k in params)
    assert not np.array_equal(params["W1"], other["W1"])
    assert init_mlp([500, 400, 3])["W1"].std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)


def test_depth_reads_the_keys() -> None:
    assert depth(init_mlp([2, 3])) == 1
    assert depth(init_mlp([2, 3, 4, 5])) == 3
    for bad in [{}, {"W1": 0, "b2": 0}, {"W1": 0, "b1": 0, "W3": 0, "b3": 0}]:
        with pytest.raises(KeyError, match="W1, b1"):
            depth(bad)


@pytest.mark.parametrize("sizes", [[3, 4], [3, 5, 4], [3, 5, 6, 4]])
def test_mlp_forward_is_affine_relu_affine(sizes: list[int]) -> None:
    params = init_mlp(sizes, seed=1)
    x = np.random.default_rng(0).standard_normal((7, 3))
    before = {k: v.copy() for k, v in params.items()}
    scores, cache = mlp_forward(x, params)
    K = len(sizes) - 1
    h = x
    for k in range(1, K + 1):
        h = h @ params[f"W{k}"] + params[f"b{k}"]
        h = np.maximum(h, 0) if k < K else h
    np.testing.assert_allclose(scores, h, rtol=1e-12)
    assert all(np.array_equal(params[k], before[k]) for k in params)  # inputs untouched
    assert [len(cache[k]) for k in ("x", "z", "W")] == [K, K - 1, K]
    assert cache["x"][0] is x and all(W is params[f"W{k + 1}"] for k, W in enumerate(cache["W"]))


def test_mlp_matches_sequential_with_the_same_weights() -> None:
    params = init_mlp([4, 6, 5, 3], seed=2)
    model = Sequential(Linear(4, 6), ReLU(), Linear(6, 5), ReLU(), Linear(5, 3))
    for mine, W in zip(model.parameters().values(), params.values(), strict=True):
        mine[...] = W
    x, labels = np.random.default_rng(0).standard_normal((8, 4)), np.arange(8) % 3
    scores, cache = mlp_forward(x, params)
    np.testing.assert_allclose(scores, model.forward(x), rtol=1e-12)
    dL = softmax_cross_entropy(scores, labels)[1]
    model.backward(dL)
    for ours, theirs in zip(
        mlp_backward(dL, cache).values(), model.gradients().values(), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@st.composite
def mlp_case(draw: st.DrawFn, K: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    sizes = draw(st.lists(st.integers(1, 4), min_size=K + 1, max_size=K + 1))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    params = init_mlp(sizes, seed)
    for k in range(1, K + 1):
        params[f"b{k}"] = 0.5 * rng.standard_normal(sizes[k])  # off the kinks
    N = draw(st.integers(1, 4))
    return params, rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)


@pytest.mark.parametrize("K", [1, 2, 3])
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_mlp_backward_matches_finite_differences(K: int, data: st.DataObject) -> None:
    params, x, labels = data.draw(mlp_case(K))

    def L() -> float:
        return softmax_cross_entropy(mlp_forward(x, params)[0], labels)[0]

    def branches() -> np.ndarray:
        masks = [(z > 0).ravel() for z in mlp_forward(x, params)[1]["z"]]
        return np.concatenate([np.zeros(0, dtype=bool), *masks])

    scores, cache = mlp_forward(x, params)
    grads = mlp_backward(softmax_cross_entropy(scores, labels)[1], cache)
    assert list(grads) == list(params)
    for name, W in params.items():
        assert grads[name].shape == W.shape
        expected = fd_gradient(L, W)
        smooth = ~crossed_kinks(branches, W)  # an FD step across a kink is not a gradient
        assert_close(grads[name][smooth], expected[smooth], f"dL/d{name}", **FD)


def test_mlp_keeps_float32() -> None:
    params = {k: v.astype(np.float32) for k, v in init_mlp([3, 4, 2]).items()}
    scores, cache = mlp_forward(np.ones((2, 3), np.float32), params)
    grads = mlp_backward(np.ones_like(scores), cache)
    assert scores.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
