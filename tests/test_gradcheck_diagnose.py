"""diagnose: every cause code, its message, and the order in which causes are tried."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backprop_ref.gradcheck import Diagnosis, diagnose

RNG = np.random.default_rng(0)
T = RNG.standard_normal((5, 4))  # a 2-D "gradient"
SQ = RNG.standard_normal((4, 4))  # a square one
V = RNG.standard_normal(4)  # a vector


def _d(candidate: Any, truth: Any = T, **kw: Any) -> Diagnosis:
    found = diagnose(candidate, truth, name="dW", **kw)
    assert found.message.startswith("dW"), found.message
    return found


def test_ok_within_tolerance() -> None:
    found = _d(T * (1 + 1e-7))
    assert found == Diagnosis(True, "ok", found.message) and "matches" in found.message
    assert _d(T * (1 + 1e-3)).ok is False
    assert _d(T * (1 + 1e-3), tol=1e-2).ok
    assert _d(T.astype(np.float32)).ok  # float32 rounding is far below 1e-5
    assert diagnose(2.5, np.array(2.5)).ok and diagnose(np.float64(3), 3.0).ok


def test_none_asks_about_return() -> None:
    found = _d(None)
    assert found.cause == "none" and "did you forget to return?" in found.message
    x = np.ones(3)
    both = _d(None, inputs={"dL_dy": (x, x * 0)})
    assert "modified its input dL_dy" in both.message


@pytest.mark.parametrize(
    ("candidate", "words"),
    [
        ([1.0, 2.0], "is a list of 2 values, not an array of shape (5, 4)"),
        ((T, T), "is a tuple of 2 values"),
        ("0.5", "got a str"),
        ({"W": T}, "got a dict"),
        (np.array(["a"]), "got a ndarray"),
    ],
)
def test_not_an_array(candidate: Any, words: str) -> None:
    found = _d(candidate)
    assert found.cause == "not_array" and words in found.message


def test_mutated_inputs() -> None:
    x = np.arange(4.0)
    found = _d(T, inputs={"x": (x, x), "dL_dy": (x, x + 1)})
    assert found.cause == "mutated" and "modified its input dL_dy in place" in found.message
    assert _d(T, inputs={"x": (x, x.copy())}).ok
    assert _d(T, inputs={"x": (x, x[:2])}).cause == "mutated"


def test_nan_and_inf() -> None:
    bad = T.copy()
    bad[2, 1] = np.nan
    bad[3, 0] = np.inf
    found = _d(bad)
    assert found.cause == "nan" and "2 of 20 entries, first at (2, 1)" in found.message


def test_shape_with_the_transpose_fitting_but_wrong() -> None:
    found = _d(2 * T.T)
    assert found.cause == "shape" and "its transpose would fit" in found.message


def test_transposed_non_square_and_square() -> None:
    found = _d(T.T)
    assert found.cause == "transposed" and "shape (4, 5), expected (5, 4)" in found.message
    square = _d(SQ.T, SQ)
    assert square.cause == "transposed" and "order of the matrix product" in square.message


def test_shape_one_row_per_example() -> None:
    per_example = RNG.standard_normal((8, 4))
    found = _d(per_example, per_example.sum(axis=0), batch_size=8)
    assert found.cause == "shape"
    assert "shape (8, 4), expected (4,)" in found.message
    assert "did you forget to sum over the batch?" in found.message
    assert "summed over axis 0 it would be right" in found.message
    other = _d(per_example, V, batch_size=8)
    assert "summed over axis 0" not in other.message


def test_shape_keepdims_and_scalars() -> None:
    assert "keepdims" in _d(V[None, :], V).message
    found = _d(np.float64(V.sum()), V)
    assert found.cause == "shape" and "sum(axis=0)" in found.message
    assert _d(np.ones((2, 7)), V).message == "dW has shape (2, 7), expected (4,)."


@pytest.mark.parametrize(
    ("factor", "text", "hint"),
    [
        (16, "16 x the correct value", "did you forget to average over the batch?"),
        (1 / 16, "1/16 x", "did you divide by N twice?"),
        (2, "2 x", "count a term twice, or forget the 1/2?"),
        (0.5, "1/2 x", "factor 2 missing"),
        (-1, "-1 x the correct value: check the sign.", ""),
        (-16, "-16 x", "check the sign; and did you forget to average"),
        (0.37, "0.37 x", "a constant factor is off"),
    ],
)
def test_constant_factors(factor: float, text: str, hint: str) -> None:
    found = _d(factor * T, batch_size=16)
    assert found.cause == "factor" and text in found.message and hint in found.message


def test_factor_two_without_a_batch_size_and_all_zeros() -> None:
    assert "16 x" in _d(16 * T).message and "average" not in _d(16 * T).message
    zeros = _d(np.zeros_like(T))
    assert zeros.cause == "factor" and "all zeros" in zeros.message


def test_known_mistakes_same_and_other_shape() -> None:
    wrong = np.maximum(T, 0)
    mistakes = {"the gradient without the ReLU mask": T + 1, "a clipped gradient": wrong}
    found = _d(wrong, mistakes=mistakes)
    assert found.cause == "mistake"
    assert found.message == "dW matches a clipped gradient, not the expected result."
    per_example = RNG.standard_normal((3, 5, 4))
    found = _d(per_example, mistakes={"one gradient per example": per_example})
    assert found.cause == "mistake"
    # a "mistake" equal to the truth never makes a right answer wrong
    assert _d(T, mistakes={"same": T}).ok


def test_rows_and_columns() -> None:
    bad = T.copy()
    bad[3] *= -2
    found = _d(bad)
    assert found.cause == "rows" and "is wrong only in row 3 (of 5)" in found.message
    bad[1] = 0.0
    found = _d(bad)
    assert found.cause == "rows" and "rows 1, 3" in found.message
    col = T.copy()
    col[:, 2] = 0.0
    found = _d(col)
    assert found.cause == "columns"
    assert "only in column 2 (of 4) (all zeros there)" in found.message


def test_a_few_entries() -> None:
    bad = T.copy()
    bad[1, 2] += 0.5
    found = _d(bad)
    assert found.cause == "entries"
    assert "wrong in 1 of 20 entries; worst at (1, 2): yours" in found.message
    close = T.copy()
    close[4, 3] *= 1 + 1e-3
    message = _d(close).message
    yours, expected = message.split("yours ")[1].rstrip(".").split(", expected ")
    assert yours != expected  # enough digits to tell them apart


def test_general_mismatch() -> None:
    found = _d(T + RNG.standard_normal(T.shape))
    assert found.cause == "mismatch" and "max relative error" in found.message
    zero = _d(V, np.zeros(4))
    assert zero.cause == "mismatch" and "should be all zeros" in zero.message
    assert _d(V[::-1] + 1, V).cause == "mismatch"


def test_default_name_and_vectors() -> None:
    found = diagnose(V * 3, V)
    assert found.message.startswith("the result is 3 x the correct value")
    assert diagnose(None, V).message == "the result is None: did you forget to return?"
