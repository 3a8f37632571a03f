"""Lesson 01_jacobians's cards: how each graded function is called and judged.

Graded functions (names and signatures fixed): ``numerical_jacobian(f, x, h)``,
``jacobian_tanh(x)``, ``jacobian_softmax(z)``, ``chain_rule_jacobian(jac_g, jac_f, f, x0)``
and ``vector_jacobian_product(dL_dy, J)``; and two derived results:
``chain_rule_shapes(n, m, k)`` and ``gradient_shapes(N, M_out)``.

The judges compare only. What they compare with comes from the reference, per case
(``backprop_ref.specs.l01_jacobians.expected``):

- ``numerical_jacobian``: ``J`` (central differences at the case's step), ``mistakes``,
  ``exact`` (the exact Jacobian) and ``atol`` (how far central differences may be from it);
- ``jacobian_tanh`` / ``jacobian_softmax`` / ``chain_rule_jacobian``: ``J``, ``mistakes``,
  ``fd`` (an independent finite-difference Jacobian); ``chain_rule_jacobian`` also ``m``;
- ``vector_jacobian_product``: ``dL_dx``, ``mistakes``, ``fd`` (a recorded loss,
  L(x) = dL_dy . J x);
- ``chain_rule_shapes`` / ``gradient_shapes``: ``shapes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from backprop_kit.cards import Card
from backprop_kit.gradcheck import diagnose
from backprop_kit.harness import Outcome
from backprop_kit.judging import (
    expect_array,
    expect_recorded_gradients,
    expect_shape,
    expect_values,
    unpack,
)
from backprop_kit.verdicts import Case, Finding, Stop

Expected = Mapping[str, Any]


def _stop(stage: str, message: str) -> Stop:
    return Stop(Finding(stage, False, message))


def _expect_close(J: np.ndarray, reference: Any, name: str, atol: float) -> Finding:
    """The ``finite differences`` stage: ``J`` agrees with an independent estimate to
    ``atol`` times the estimate's scale (at least 1): an absolute test, since the error of a
    finite difference is absolute, about the same size for tiny entries as for large ones."""
    reference = np.asarray(reference, dtype=float)
    scale = max(1.0, float(np.max(np.abs(reference), initial=0.0)))
    gap = float(np.max(np.abs(J - reference), initial=0.0)) if np.all(np.isfinite(J)) else np.inf
    if gap <= atol * scale:
        return Finding("finite differences", True)
    d = diagnose(J, reference, name=name, tol=atol)
    raise _stop(
        "finite differences",
        f"{name} disagrees with an independent finite-difference estimate by up to "
        f"{gap:.2g}: {d.message}",
    )


def _judge_numerical_jacobian(
    case: Case, expected: Expected, outcome: Outcome
) -> Iterator[Finding]:
    J = expect_array(outcome.values["result"], "numerical_jacobian")
    yield Finding("returns", True)
    truth = np.asarray(expected["J"])
    m, n = truth.shape
    if J.shape == (n, m) and m != n:
        raise _stop(
            "shapes",
            f"J has shape {J.shape} = (n, m) for f: R^{n} -> R^{m}; a Jacobian has one row "
            f"per output and one column per input, so ({m}, {n}). Did you stack the columns "
            "as rows? (np.stack(columns, axis=1) puts them side by side.)",
        )
    yield expect_shape(J, truth, "J")
    # Judged against central differences at the case's own step: at a large step they
    # differ measurably from the exact Jacobian, so only the real method passes.
    yield expect_values(J, truth, "J", mistakes=expected["mistakes"], tol=1e-6)
    name = "J (compared with the exact Jacobian)"
    yield _expect_close(J, expected["exact"], name, float(expected["atol"]))


def _vector_hint(n: int, what: str) -> str:
    return f"you returned a vector of shape ({n},): {what}"


def _judge_tanh(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    n = np.asarray(case.inputs["x"]).size
    J = expect_array(outcome.values["result"], "jacobian_tanh")
    yield Finding("returns", True)
    if J.shape == (n,):
        what = (
            f"the {n} derivatives tanh'(x_i). The Jacobian is the ({n}, {n}) matrix with them "
            "on its diagonal (every other entry is 0, because y_i depends on x_i only): see "
            "np.diag."
        )
        raise _stop("shapes", _vector_hint(n, what))
    yield expect_shape(J, expected["J"], "dy/dx")
    yield expect_values(J, expected["J"], "dy/dx", mistakes=expected["mistakes"])
    yield _expect_close(J, expected["fd"], "dy/dx", 1e-6)


def _judge_softmax(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    n = np.asarray(case.inputs["z"]).size
    J = expect_array(outcome.values["result"], "jacobian_softmax")
    yield Finding("returns", True)
    if J.shape == (n,):  # the same hint as jacobian_tanh's (issue 10)
        what = (
            f"{n} numbers, one per score. The Jacobian is the ({n}, {n}) matrix of the "
            "derivatives dp_i/dz_j, one row per output p_i and one column per score z_j; every "
            "p_i depends on every z_j through the shared denominator, so the entries off the "
            "diagonal are -p_i p_j, not 0: diag(p) - np.outer(p, p)."
        )
        raise _stop("shapes", _vector_hint(n, what))
    yield expect_shape(J, expected["J"], "dp/dz")
    if not np.all(np.isfinite(J)):
        raise _stop(
            "values",
            "your Jacobian contains NaN or inf: np.exp overflowed (exp(710) is already inf "
            "in float64) or the sum of the exponentials underflowed to 0. Softmax does not "
            "change when the same constant is subtracted from every score, so compute "
            "exp(z - z.max()).",
        )
    yield expect_values(J, expected["J"], "dp/dz", mistakes=expected["mistakes"])
    yield _expect_close(J, expected["fd"], "dp/dz", 1e-6)


def _judge_chain(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    J = expect_array(outcome.values["result"], "chain_rule_jacobian")
    yield Finding("returns", True)
    truth = np.asarray(expected["J"])
    (k, n), m = truth.shape, int(expected["m"])
    if J.shape == (n, k) and n != k:
        raise _stop(
            "shapes",
            f"the result has shape {J.shape} = (n, k); g o f maps R^{n} to R^{k}, so its "
            f"Jacobian is ({k}, {n}): dg/dy is ({k}, {m}), df/dx is ({m}, {n}), and their "
            f"product in that order is ({k}, {n}).",
        )
    yield expect_shape(J, truth, "d(g o f)/dx")
    yield expect_values(J, truth, "d(g o f)/dx", mistakes=expected["mistakes"])
    yield _expect_close(J, expected["fd"], "d(g o f)/dx", 1e-6)


def _expect_shapes(
    got: list[Any], truth: Sequence[Any], what: Sequence[str], hints: Sequence[str], note: str
) -> Finding:
    """The ``values`` stage of a derived-shapes function: each answer is the right tuple."""
    for g, t, w, hint in zip(got, truth, what, hints, strict=True):
        if not isinstance(g, list) or tuple(g) != tuple(t):
            shown = tuple(g) if isinstance(g, list) else g
            raise _stop("values", f"for {note}, the shape of {w} is not {shown}. {hint}")
    return Finding("values", True)


def _judge_chain_shapes(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    n, m, k = (case.inputs[v] for v in "nmk")
    names = ("shape of df/dx", "shape of dg/dy", "shape of d(g o f)/dx")
    got = unpack(outcome.values["result"], names, "chain_rule_shapes")
    yield Finding("returns", True)
    hints = (
        "f maps R^n to R^m: its Jacobian has one row per output and one column per input.",
        "g maps R^m to R^k: one row per output of g, one column per input of g.",
        "g o f maps R^n to R^k, and (k x m) . (m x n) must give the same shape.",
    )
    what = ("df/dx(x0)", "dg/dy(f(x0))", "d(g o f)/dx(x0)")
    yield _expect_shapes(got, expected["shapes"], what, hints, f"n={n}, m={m}, k={k}")


def _judge_gradient_shapes(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    N, M = case.inputs["N"], case.inputs["M_out"]
    names = ("shape of dL/dy in Jacobian layout", "shape of dL_dy in code")
    got = unpack(outcome.values["result"], names, "gradient_shapes")
    yield Finding("returns", True)
    hints = (
        "In Jacobian layout the derivative of the scalar L has the transposed shape of its "
        "variable (a column vector of m entries gives a 1 x m row), so that dL = dL/dy . dy "
        "pairs every entry of dy with its partial derivative.",
        "In code a gradient is stored in the shape of its variable (y is N x M_out), so that "
        "an update such as y - lr * dL_dy lines up entry by entry.",
    )
    what = ("dL/dy^K in Jacobian layout", "the array dL_dy in code")
    yield _expect_shapes(got, expected["shapes"], what, hints, f"N={N}, M_out={M}")


def _judge_vjp(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    g = expect_array(outcome.values["result"], "vector_jacobian_product")
    yield Finding("returns", True)
    n = np.asarray(case.inputs["J"]).shape[1]
    if g.shape in ((1, n), (n, 1)):
        raise _stop(
            "shapes",
            f"dL_dx has shape {g.shape}: that is the Jacobian-layout row (or a column). In "
            f"code a gradient has the shape of its variable: x has shape ({n},).",
        )
    yield expect_shape(g, expected["dL_dx"], "dL_dx")
    yield expect_values(g, expected["dL_dx"], "dL_dx", mistakes=expected["mistakes"])
    # y = J x and L = dL_dy . y: the gradient of that loss, checked on its differences.
    yield expect_recorded_gradients(expected["fd"], {"x": g})


CARDS = (
    Card.of_call("numerical_jacobian(f, x, h)", _judge_numerical_jacobian),
    Card.of_call("jacobian_tanh(x)", _judge_tanh),
    # its judge names the overflow of exp behind a NaN (the generic message cannot)
    replace(Card.of_call("jacobian_softmax(z)", _judge_softmax), judges_non_finite=True),
    Card.of_call("chain_rule_shapes(n, m, k)", _judge_chain_shapes),
    Card.of_call("chain_rule_jacobian(jac_g, jac_f, f, x0)", _judge_chain),
    Card.of_call("gradient_shapes(N, M_out)", _judge_gradient_shapes),
    Card.of_call("vector_jacobian_product(dL_dy, J)", _judge_vjp),
)
