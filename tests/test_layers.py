"""The pure layers: forward against a direct formula, backward against finite differences."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_ref import layers
from tests._fd import assert_close, contract, fd_gradient
from tests.strategies import arrays, dims, off_kink, shapes, values

FD = {"rtol": 1e-5, "atol": 1e-7}


@st.composite
def linear_case(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    N, M_in, M_out = draw(dims), draw(dims), draw(dims)
    x, W = draw(arrays((N, M_in))), draw(arrays((M_in, M_out)))
    b, dL_dy = draw(arrays((M_out,))), draw(arrays((N, M_out)))
    return x, W, b, dL_dy


@given(linear_case())
@settings(max_examples=60, deadline=None)
def test_linear_forward_is_the_index_formula(case: tuple[np.ndarray, ...]) -> None:
    x, W, b, _ = case
    N, M_in = x.shape
    M_out = W.shape[1]
    # y[n, j] = sum_i x[n, i] W[i, j] + b[j], written out entry by entry
    expected = [
        [sum(x[n, i] * W[i, j] for i in range(M_in)) + b[j] for j in range(M_out)] for n in range(N)
    ]
    assert_close(layers.linear_forward(x, W, b), np.array(expected).reshape(N, M_out), "y")


@given(linear_case())
@settings(max_examples=60, deadline=None)
def test_linear_backward_matches_finite_differences(case: tuple[np.ndarray, ...]) -> None:
    x, W, b, dL_dy = case
    copies = [a.copy() for a in case]
    dL_dx, dL_dW, dL_db = layers.linear_backward(dL_dy, x, W)
    for a, before in zip(case, copies, strict=True):
        np.testing.assert_array_equal(a, before)  # inputs untouched

    def L() -> float:
        return contract(layers.linear_forward(x, W, b), dL_dy)

    assert_close(dL_dx, fd_gradient(L, x), "dL/dx", **FD)
    assert_close(dL_dW, fd_gradient(L, W), "dL/dW", **FD)
    assert_close(dL_db, fd_gradient(L, b), "dL/db", **FD)


ELEMENTWISE: dict[
    str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray], Callable[..., np.ndarray]]
] = {
    # name: (forward, backward, direct formula)
    "relu": (layers.relu_forward, layers.relu_backward, lambda x: np.where(x > 0, x, 0.0)),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (
        layers.tanh_forward,
        layers.tanh_backward,
        lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1),
    ),
}


@st.composite
def elementwise_case(draw: st.DrawFn, name: str) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(shapes())
    x = draw(arrays(shape, off_kink() if name == "relu" else values(-5, 5)))
    return x, draw(arrays(shape))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_elementwise_forward_and_backward(name: str, data: st.DataObject) -> None:
    forward, backward, formula = ELEMENTWISE[name]
    x, dL_dy = data.draw(elementwise_case(name))
    assert_close(forward(x), formula(x), f"{name}(x)", rtol=1e-12, atol=1e-15)
    expected = fd_gradient(lambda: contract(forward(x), dL_dy), x)
    assert_close(backward(dL_dy, x), expected, f"d{name}", **FD)


def test_relu_gradient_is_zero_at_the_kink() -> None:
    np.testing.assert_array_equal(
        layers.relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0]
    )


def test_sigmoid_is_stable_for_huge_inputs() -> None:
    x = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layers.sigmoid_forward(x)
        dL_dx = layers.sigmoid_backward(np.ones_like(x), x)
    np.testing.assert_allclose(y, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-300)
    np.testing.assert_allclose(dL_dx, [0.0, 0.0, 0.25, 0.0, 0.0], atol=1e-300)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_layers_keep_float32(name: str) -> None:
    forward, backward, _ = ELEMENTWISE[name]
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    assert forward(x).dtype == np.float32
    assert backward(np.ones_like(x), x).dtype == np.float32


def test_linear_keeps_float32() -> None:
    x, W, b = (np.ones(s, dtype=np.float32) for s in [(2, 3), (3, 4), (4,)])
    assert layers.linear_forward(x, W, b).dtype == np.float32
    assert all(
        g.dtype == np.float32 for g in layers.linear_backward(np.ones((2, 4), np.float32), x, W)
    )
