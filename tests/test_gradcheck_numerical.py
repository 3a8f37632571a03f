"""numerical_gradient, rel_error and directional_check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from backprop_ref.gradcheck import directional_check, numerical_gradient, rel_error

floats = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
points = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=floats
)


def _smooth(x: Any) -> float:
    """sum(sin(x) * c) + log(sum(exp(x))) with c = 1, 2, 3, ... over the entries."""
    c = np.arange(1, x.size + 1).reshape(x.shape)
    return float(np.sum(np.sin(x) * c) + np.log(np.sum(np.exp(x))))


def _smooth_grad(x: Any) -> Any:
    c = np.arange(1, x.size + 1).reshape(x.shape)
    e = np.exp(x - x.max())
    return np.cos(x) * c + e / e.sum()


@settings(max_examples=60, deadline=None)
@given(points)
def test_numerical_gradient_matches_analytic_gradients(x: Any) -> None:
    grad = numerical_gradient(_smooth, x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad, _smooth_grad(x), rtol=1e-7, atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), elements=floats)
)
def test_numerical_gradient_of_a_quadratic_form(x: Any) -> None:
    A = np.arange(x.size * x.size, dtype=float).reshape(x.size, x.size) % 7 - 3

    def f(v: Any) -> float:
        return float(v.ravel() @ A @ v.ravel())

    expected = ((A + A.T) @ x.ravel()).reshape(x.shape)
    np.testing.assert_allclose(numerical_gradient(f, x), expected, rtol=1e-6, atol=1e-6)


def test_x_is_unchanged_even_when_f_raises() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()
    calls = []

    def f(v: Any) -> float:
        calls.append(v.copy())
        assert v is not x and np.array_equal(x, before)  # a private copy is perturbed
        if len(calls) == 3:
            raise RuntimeError("boom")
        return float(np.sum(v**2))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    numerical_gradient(lambda v: float(np.sum(v**2)), x)
    np.testing.assert_array_equal(x, before)


def test_float32_input_gives_a_float64_result() -> None:
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    assert grad.dtype == np.float64 and x.dtype == np.float32
    np.testing.assert_allclose(grad, 3 * x.astype(np.float64) ** 2, rtol=1e-8, atol=1e-8)


def test_numerical_gradient_takes_lists_and_scalars() -> None:
    np.testing.assert_allclose(numerical_gradient(lambda v: float(v @ v), [1.0, -2.0]), [2, -4])
    assert numerical_gradient(lambda v: float(v**2), 3.0).shape == ()


# ---------------------------------------------------------------------- rel_error


def test_rel_error_is_relative_for_large_entries() -> None:
    assert rel_error([100.0, 1.0], [101.0, 1.0]) == pytest.approx(1 / 101)
    assert rel_error([2.0], [1.0]) == pytest.approx(0.5)


def test_rel_error_floors_small_entries_on_the_array_scale() -> None:
    a = np.array([1.0, 1e-9])
    b = np.array([1.0, 2e-9])
    # unfloored the second entry is 50% off; floored at 1e-3 * max it is 1e-6
    assert rel_error(a, b) == pytest.approx(1e-9 / 1e-3)
    assert rel_error(a, b, floor=0.0) == pytest.approx(0.5)
    assert rel_error(a, b, floor=1.0) == pytest.approx(1e-9)


def test_rel_error_of_zeros_and_empty_arrays() -> None:
    assert rel_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert rel_error([0.0, 0.0], [0.0, 1e-300]) == pytest.approx(1.0)
    assert rel_error([0.0, 1.0], [0.0, 1.0], floor=0.0) == 0.0


def test_rel_error_is_symmetric_and_zero_on_equal_arrays() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 5, 4))
    assert rel_error(a, b) == rel_error(b, a)
    assert rel_error(a, a) == 0.0


def test_rel_error_never_passes_nan() -> None:
    assert rel_error([np.nan], [np.nan]) == np.inf
    assert rel_error([1.0, np.nan], [1.0, 2.0]) == np.inf
    assert rel_error([np.inf, 1.0], [np.inf, 1.0]) == 0.0
    assert rel_error([np.inf], [-np.inf]) == np.inf


def test_rel_error_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        rel_error(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 3\)"):
        rel_error(np.zeros(3), np.zeros((1, 3)))


# -------------------------------------------------------------- directional_check


def test_directional_check_passes_a_correct_gradient() -> None:
    x = np.random.default_rng(1).standard_normal((30, 20))
    before = x.copy()
    result = directional_check(_smooth, x, _smooth_grad(x), directions=6, seed=3)
    assert result.passed and result.ratio < 0.1
    assert len(result.gaps) == 6 and result.evaluations == 13
    np.testing.assert_array_equal(x, before)


def test_directional_check_catches_one_wrong_entry_among_600() -> None:
    x = np.random.default_rng(1).standard_normal((30, 20))
    grad = _smooth_grad(x)
    grad[7, 3] *= 1 + 1e-3
    result = directional_check(_smooth, x, grad, directions=5)
    assert not result.passed and result.ratio > 10


def test_directional_check_is_deterministic_and_checks_shapes() -> None:
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    g = _smooth_grad(x) * 1.01
    assert directional_check(_smooth, x, g, seed=5) == directional_check(_smooth, x, g, seed=5)
    with pytest.raises(ValueError, match="shape"):
        directional_check(_smooth, x, g.T)
