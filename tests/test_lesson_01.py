"""Lesson 01's checks say what students need (issue 10): a vector returned for a Jacobian
gets the same hint from ``jacobian_softmax`` as from ``jacobian_tanh``; an input modified
in place is named by its own name; a NaN from an overflowing exp is explained."""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_ref.specs import SPECS
from backprop_ref.specs.core import check_function


def _first_failure(name: str, fn: Any) -> str:
    report = check_function(SPECS[name], {name: fn}, "visible", 0)
    found = report.first_failure()
    assert found is not None, report.message()
    return found[1].message


def test_a_vector_for_a_jacobian_gets_the_same_hint_from_tanh_and_softmax() -> None:
    tanh = _first_failure("jacobian_tanh", lambda x: 1 - np.tanh(x) ** 2)
    p = lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum()  # noqa: E731
    softmax = _first_failure("jacobian_softmax", lambda z: p(z) * (1 - p(z)))
    for message in (tanh, softmax):
        assert message.startswith("you returned a vector of shape (4,):"), message
        assert "(4, 4) matrix" in message, message
    assert "np.diag" in tanh and "np.outer" in softmax


def test_an_input_modified_in_place_is_named_by_its_own_name() -> None:
    def vjp(dL_dy: Any, J: Any) -> Any:
        dL_dy *= 1.0 + 1e-3  # in place: the caller's dL_dy changes
        return J.T @ dL_dy

    message = _first_failure("vector_jacobian_product", vjp)
    assert "modified its input dL_dy" in message, message
    assert "dL_dy = dL_dy.copy()" in message and "x.copy()" not in message, message


def test_an_overflowing_exp_is_explained() -> None:
    def naive(z: Any) -> Any:
        p = np.exp(z) / np.exp(z).sum()
        return np.diag(p) - np.outer(p, p)

    report = check_function(SPECS["jacobian_softmax"], {"jacobian_softmax": naive}, "visible", 0)
    assert "exp(z - z.max())" in report.message(), report.message()
