"""The losses: value against a direct formula, gradient against finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_ref import losses
from tests._fd import assert_close, fd_gradient
from tests.strategies import arrays, dims, values

FD = {"rtol": 1e-5, "atol": 1e-7}


@st.composite
def classification(
    draw: st.DrawFn, lo: float = -5.0, hi: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    N, C = draw(dims), draw(st.integers(2, 5))
    scores = draw(arrays((N, C), values(lo, hi)))
    labels = np.array(draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N)))
    return scores, labels


@given(classification())
@settings(max_examples=80, deadline=None)
def test_softmax_cross_entropy_value_and_gradient(case: tuple[np.ndarray, np.ndarray]) -> None:
    scores, labels = case
    L, dL_ds = losses.softmax_cross_entropy(scores, labels)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)  # direct softmax
    assert L == pytest.approx(-np.mean(np.log(p[np.arange(len(labels)), labels])), rel=1e-12)
    assert_close(losses.softmax(scores), p, "softmax", rtol=1e-12)
    expected = fd_gradient(lambda: losses.softmax_cross_entropy(scores, labels)[0], scores)
    assert_close(dL_ds, expected, "dL/dscores", **FD)


@st.composite
def regression(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    N, M = draw(dims), draw(dims)
    return draw(arrays((N, M))), draw(arrays((N, M)))


@given(regression())
@settings(max_examples=80, deadline=None)
def test_mse_value_and_gradient(case: tuple[np.ndarray, np.ndarray]) -> None:
    y, t = case
    L, dL_dy = losses.mse_loss(y, t)
    N, M = y.shape
    direct = sum((y[n, m] - t[n, m]) ** 2 for n in range(N) for m in range(M)) / N
    assert L == pytest.approx(direct, rel=1e-12, abs=1e-300)
    assert_close(dL_dy, fd_gradient(lambda: losses.mse_loss(y, t)[0], y), "dL/dy", **FD)


@given(classification(-1e4, 1e4))
@settings(max_examples=50, deadline=None)
def test_softmax_cross_entropy_is_stable_for_huge_scores(
    case: tuple[np.ndarray, np.ndarray],
) -> None:
    scores, labels = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L, dL_ds = losses.softmax_cross_entropy(scores, labels)
    assert np.isfinite(L) and L >= 0
    assert np.all(np.isfinite(dL_ds))
    np.testing.assert_allclose(dL_ds.sum(axis=1), 0.0, atol=1e-12)  # p - onehot sums to 0


def test_softmax_cross_entropy_at_1e4_by_hand() -> None:
    scores = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L, dL_ds = losses.softmax_cross_entropy(scores, np.array([0, 1]))
    assert L == pytest.approx(1e4 / 2)  # row 0 costs 0, row 1 costs 1e4; mean of the two
    np.testing.assert_allclose(dL_ds, [[0.0, 0.0, 0.0], [0.5, -0.5, 0.0]], atol=1e-15)


@pytest.mark.parametrize("loss", ["mse", "sce"])
def test_losses_keep_float32(loss: str) -> None:
    y = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    if loss == "mse":
        _, g = losses.mse_loss(y, np.zeros_like(y))
    else:
        _, g = losses.softmax_cross_entropy(y, np.array([0, 2]))
    assert g.dtype == np.float32
