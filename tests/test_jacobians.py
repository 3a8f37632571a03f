"""Explicit Jacobians: against numerical Jacobians, and against the compact backward."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_ref import derivatives, layers
from backprop_ref.losses import softmax
from tests._fd import assert_close
from tests.strategies import arrays, dims, values

vectors = st.integers(1, 6).flatmap(lambda n: arrays((n,), values(-4, 4)))


@given(vectors)
@settings(max_examples=60, deadline=None)
def test_jacobian_tanh_matches_numerical(x: np.ndarray) -> None:
    before = x.copy()
    numerical = derivatives.numerical_jacobian(np.tanh, x)
    np.testing.assert_array_equal(x, before)  # the caller's x is never touched
    assert_close(derivatives.jacobian_tanh(x), numerical, "d tanh/dx", rtol=1e-6, atol=1e-9)


def _softmax1(z: np.ndarray) -> np.ndarray:
    return softmax(z[None, :])[0]


@given(vectors)
@settings(max_examples=60, deadline=None)
def test_jacobian_softmax_matches_numerical(z: np.ndarray) -> None:
    numerical = derivatives.numerical_jacobian(_softmax1, z)
    assert_close(derivatives.jacobian_softmax(z), numerical, "d softmax/dz", rtol=1e-6, atol=1e-9)


@st.composite
def linear_case(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    N, M_in, M_out = draw(dims), draw(dims), draw(dims)
    return draw(arrays((N, M_in))), draw(arrays((M_in, M_out))), draw(arrays((N, M_out)))


@given(linear_case())
@settings(max_examples=60, deadline=None)
def test_linear_derivative_tensors_contract_to_the_compact_backward(
    case: tuple[np.ndarray, ...],
) -> None:
    """dL/dW = dL/dy . dy/dW and dL/dx = dL/dy . dy/dx give x^T dL/dy and dL/dy W^T."""
    x, W, dL_dy = case
    N, M_in = x.shape
    M_out = W.shape[1]
    J_W, J_x = derivatives.linear_jacobian_W(x, W), derivatives.linear_jacobian_x(x, W)
    assert J_W.shape == (N, M_out, M_in, M_out) and J_x.shape == (N, M_out, N, M_in)
    dL_dx, dL_dW, _ = layers.linear_backward(dL_dy, x, W)
    assert_close(derivatives.apply_jacobian(dL_dy, J_W), dL_dW, "dL/dW", rtol=1e-12, atol=1e-12)
    assert_close(derivatives.apply_jacobian(dL_dy, J_x), dL_dx, "dL/dx", rtol=1e-12, atol=1e-12)


@given(linear_case())
@settings(max_examples=30, deadline=None)
def test_linear_derivative_tensors_match_finite_differences(case: tuple[np.ndarray, ...]) -> None:
    x, W, _ = case
    b = np.zeros(W.shape[1])
    J_W = derivatives.numerical_jacobian(
        lambda w: layers.linear_forward(x, w.reshape(W.shape), b).ravel(), W.ravel()
    )
    J_x = derivatives.numerical_jacobian(
        lambda v: layers.linear_forward(v.reshape(x.shape), W, b).ravel(), x.ravel()
    )
    assert_close(derivatives.linear_jacobian_W(x, W).reshape(J_W.shape), J_W, "dy/dW", atol=1e-8)
    assert_close(derivatives.linear_jacobian_x(x, W).reshape(J_x.shape), J_x, "dy/dx", atol=1e-8)


@st.composite
def composition(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n, m = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    return draw(arrays((m, n), values(-2, 2))), draw(arrays((n,), values(-2, 2)))


@given(composition())
@settings(max_examples=60, deadline=None)
def test_chain_rule_jacobian_is_the_jacobian_of_the_composition(
    case: tuple[np.ndarray, np.ndarray],
) -> None:
    """g o f with f(x) = tanh(A x) (m x n Jacobian) and g = softmax (m x m)."""
    A, x0 = case

    def f(x: np.ndarray) -> np.ndarray:
        return np.tanh(A @ x)

    def jac_f(x: np.ndarray) -> np.ndarray:
        return derivatives.jacobian_tanh(A @ x) @ A  # (m, m) @ (m, n)

    chained = derivatives.chain_rule_jacobian(derivatives.jacobian_softmax, jac_f, f, x0)
    numerical = derivatives.numerical_jacobian(lambda x: _softmax1(f(x)), x0)
    assert chained.shape == (A.shape[0], A.shape[1])
    assert_close(chained, numerical, "d(g o f)/dx", rtol=1e-6, atol=1e-9)
