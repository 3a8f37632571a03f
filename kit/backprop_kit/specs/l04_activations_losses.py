"""Lesson 04_activations_losses's cards: how each graded function is called and judged.

Graded functions (names and signatures fixed): ``relu_backward(dL_dy, x)``,
``sigmoid_backward(dL_dy, x)``, ``tanh_backward(dL_dy, x)``, ``mse_loss(y, t)``,
``softmax_cross_entropy(scores, labels)``, ``sigmoid_jacobian(x)``,
``elementwise_jacobian_shape(N, M)`` and ``uniform_scores_loss(C)``.

The judges compare only. What they compare with comes from the reference, per case
(``backprop_ref.specs.l04_activations_losses.expected``):

- the activations' backward: ``dL_dx``, ``mistakes``, ``fd`` (a recorded loss
  ``L = sum(dL_dy * f(x))`` of the entries of x off the kink, ``x_off = x[x != 0]``);
- ``sigmoid_jacobian``: ``J``, ``mistakes``, ``fd`` (the finite-difference tensor);
- ``elementwise_jacobian_shape``: ``shape``, ``count``, and ``shape_mistakes`` /
  ``count_mistakes`` as lists of [wrong value, what to say];
- ``mse_loss`` / ``softmax_cross_entropy``: ``L``, the gradient, ``L_mistakes``,
  ``dL_mistakes``, ``fd`` (the recorded loss);
- ``uniform_scores_loss``: ``L`` and ``mistakes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from backprop_kit.cards import Card, Judge
from backprop_kit.harness import Outcome
from backprop_kit.judging import (
    expect_array,
    expect_recorded_gradients,
    expect_scalar,
    expect_shape,
    expect_values,
    unpack,
)
from backprop_kit.verdicts import Case, Finding, Stop

Expected = Mapping[str, Any]


def _judge_activation(fn: str) -> Judge:
    def judge(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
        x = case.inputs["x"]
        dL_dx = expect_array(outcome.values["result"], fn)
        yield Finding("returns", True)
        truth = expected["dL_dx"]
        yield expect_shape(dL_dx, truth, "dL_dx")
        yield expect_values(dL_dx, truth, "dL_dx", mistakes=expected["mistakes"])
        # finite differences off the kink: x == 0 is left out (a central difference there
        # averages the two one-sided slopes)
        yield expect_recorded_gradients(expected["fd"], {"x_off": dL_dx[x != 0]})

    return judge


def _judge_sigmoid_jacobian(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    N, M = case.inputs["x"].shape
    J = expect_array(outcome.values["result"], "sigmoid_jacobian")
    yield Finding("returns", True)
    truth = expected["J"]
    if J.shape == (N * M, N * M):
        raise Stop(
            Finding(
                "shapes",
                False,
                f"dy/dx has shape {J.shape}, the flattened matrix; the course keeps the "
                f"tensor layout (entry of y, entry of x) = {truth.shape}: reshape it.",
            )
        )
    yield expect_shape(J, truth, "dy/dx")
    yield expect_values(J, truth, "dy/dx", mistakes=expected["mistakes"])
    try:
        expect_values(J, expected["fd"], "dy/dx")
    except Stop as stop:
        raise Stop(Finding("finite differences", False, stop.finding.message)) from None
    yield Finding("finite differences", True)


def _named(got: Any, pairs: list[list[Any]]) -> str:
    """The hint paired with the first wrong value equal to ``got`` ('' if none)."""
    return next((hint for value, hint in pairs if got == value), "")


def _judge_jacobian_shape(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    N, M = case.inputs["N"], case.inputs["M"]
    names = ("shape of dy/dx", "number of entries that can be non-zero")
    shape, count = unpack(outcome.values["result"], names, "elementwise_jacobian_shape")
    yield Finding("returns", True)
    if not isinstance(shape, list) or shape != expected["shape"]:
        hint = _named(shape, expected["shape_mistakes"]) if isinstance(shape, list) else ""
        msg = f"the shape of dy/dx for N={N}, M={M} is not {shape}"
        raise Stop(Finding("values", False, msg + (f": {hint}." if hint else ".")))
    if isinstance(count, bool) or not isinstance(count, int | float) or count != expected["count"]:
        hint = _named(count, expected["count_mistakes"]) if isinstance(count, int) else ""
        hint = hint or "y[n, i] depends on x[m, j] only when n == m and i == j"
        msg = f"the number of entries of dy/dx that can be non-zero (N={N}, M={M}) is not {count}"
        raise Stop(Finding("values", False, f"{msg}: {hint}."))
    yield Finding("values", True)


def _judge_mse(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    N = case.inputs["y"].shape[0]
    L, dL_dy = unpack(outcome.values["result"], ("L", "dL_dy"), "mse_loss")
    yield Finding("returns", True)
    yield expect_shape(L, np.float64(expected["L"]), "L")
    yield expect_shape(dL_dy, expected["dL_dy"], "dL_dy")
    yield expect_scalar(L, expected["L"], "L", batch_size=N, mistakes=expected["L_mistakes"])
    yield expect_values(
        dL_dy, expected["dL_dy"], "dL_dy", batch_size=N, mistakes=expected["dL_mistakes"]
    )
    yield expect_recorded_gradients(expected["fd"], {"y": dL_dy})


_OVERFLOW = (
    "These scores are as large as 1e4: exp(1e4) overflows and a softmax that underflows to 0 "
    "has log(0) = -inf. Subtract each row's max before exp, and compute log p = (s - max) - "
    "log(sum exp(s - max)) (log-sum-exp) instead of log(softmax)."
)
_HUGE = (
    " (These scores are as large as 1e4: for rows whose label has a probability that "
    "underflows to 0, compute log p with log-sum-exp, not log of the softmax, and shift "
    "each row by its own max, not by the max of the whole array.)"
)


def _judge_ce(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    scores = case.inputs["scores"]
    N = scores.shape[0]
    L, dL = unpack(outcome.values["result"], ("L", "dL_dscores"), "softmax_cross_entropy")
    yield Finding("returns", True)
    yield expect_shape(L, np.float64(expected["L"]), "L")
    yield expect_shape(dL, expected["dL_dscores"], "dL_dscores")
    huge = float(np.max(np.abs(scores))) > 1e3
    for value, name in ((L, "L"), (dL, "dL_dscores")):
        if not np.all(np.isfinite(value)):
            hint = _OVERFLOW if huge else "Look for exp overflowing or log(0)."
            raise Stop(Finding("values", False, f"{name} contains nan or inf. {hint}"))
    try:
        yield expect_scalar(L, expected["L"], "L", batch_size=N, mistakes=expected["L_mistakes"])
        yield expect_values(
            dL, expected["dL_dscores"], "dL_dscores", batch_size=N, mistakes=expected["dL_mistakes"]
        )
    except Stop as stop:
        raise Stop(
            Finding("values", False, stop.finding.message + (_HUGE if huge else ""))
        ) from None
    yield expect_recorded_gradients(expected["fd"], {"scores": dL})


def _judge_uniform(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    L = outcome.values["result"]
    if isinstance(L, bool) or not isinstance(L, int | float):
        got = "None: did you forget to return?" if L is None else type(L).__name__
        raise Stop(
            Finding("returns", False, f"uniform_scores_loss must return a number; got {got}")
        )
    yield Finding("returns", True)
    yield expect_scalar(L, expected["L"], "L", mistakes=expected["mistakes"])


CARDS = (
    Card.of_call("elementwise_jacobian_shape(N, M)", _judge_jacobian_shape),
    Card.of_call("sigmoid_jacobian(x)", _judge_sigmoid_jacobian),
    Card.of_call("relu_backward(dL_dy, x)", _judge_activation("relu_backward")),
    Card.of_call("sigmoid_backward(dL_dy, x)", _judge_activation("sigmoid_backward")),
    Card.of_call("tanh_backward(dL_dy, x)", _judge_activation("tanh_backward")),
    Card.of_call("mse_loss(y, t)", _judge_mse),
    Card.of_call("uniform_scores_loss(C)", _judge_uniform),
    # its judge names NaN and infinities itself: the huge scores' overflow, in words
    replace(
        Card.of_call("softmax_cross_entropy(scores, labels)", _judge_ce), judges_non_finite=True
    ),
)
