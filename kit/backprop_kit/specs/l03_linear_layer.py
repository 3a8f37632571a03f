"""Lesson 03_linear_layer's cards: how each graded function is called and judged.

Graded functions (names and signatures fixed): ``linear_forward(x, W, b)``,
``linear_jacobian_W(x, W)``, ``linear_jacobian_x(x, W)``, ``apply_jacobian(dL_dy, J)``,
``linear_backward(dL_dy, x, W)``, ``jacobian_shapes(N, M_in, M_out)`` and
``contraction_subscripts()``.

The judges compare only. What they compare with comes from the reference, per case
(``backprop_ref.specs.l03_linear_layer.expected``):

- ``linear_forward``: ``y``, ``mistakes`` (description -> wrong y);
- ``linear_jacobian_W`` / ``_x``: ``J``, ``mistakes``, ``fd`` (the finite-difference tensor);
- ``apply_jacobian``: ``dL_dv``, ``mistakes``, ``fd`` (a recorded loss: L(v) = dL_dy . J v);
- ``linear_backward``: ``dL_dx``, ``dL_dW``, ``dL_db``, ``mistakes`` (per gradient),
  ``fd`` (a recorded loss: L = sum(dL_dy * y(x, W, b)));
- ``jacobian_shapes``: ``shapes`` (of dy/dW and dy/dx);
- ``contraction_subscripts``: ``dL_dv`` and ``mistakes`` (the student's subscripts are
  applied with ``np.einsum`` to the case's arrays: that is evaluating their answer).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from backprop_kit.cards import Card, Judge
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


def _judge_forward(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    y = expect_array(outcome.values["result"], "linear_forward")
    yield Finding("returns", True)
    yield expect_shape(y, expected["y"], "y")
    yield expect_values(y, expected["y"], "y", mistakes=expected["mistakes"])


def _expect_tensor_shape(
    J: np.ndarray, truth: np.ndarray, name: str, mistakes: Mapping[str, Any], axes: str
) -> Finding:
    """The shapes stage of a derivative tensor, naming a known wrong layout."""
    if J.shape == truth.shape:
        return Finding("shapes", True)
    message = diagnose(J, truth, name=name, mistakes=mistakes).message
    rule = (
        f" The axes of {name} are (n, j), the entry of y, then {axes}, the entry of the "
        f"variable: shape {truth.shape}."
    )
    raise Stop(Finding("shapes", False, message + rule))


def _judge_jacobian(wrt: str) -> Judge:
    fn = f"linear_jacobian_{wrt}"
    name = f"dy/d{wrt}"
    axes = "(i, k)" if wrt == "W" else "(m, i)"

    def judge(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
        J = expect_array(outcome.values["result"], fn)
        yield Finding("returns", True)
        truth, mistakes = expected["J"], expected["mistakes"]
        yield _expect_tensor_shape(J, truth, name, mistakes, axes)
        yield expect_values(J, truth, name, mistakes=mistakes)
        try:
            expect_values(J, expected["fd"], name)
        except Stop as stop:
            raise Stop(Finding("finite differences", False, stop.finding.message)) from None
        yield Finding("finite differences", True)

    return judge


def _judge_apply(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    v = expect_array(outcome.values["result"], "apply_jacobian")
    yield Finding("returns", True)
    yield expect_shape(v, expected["dL_dv"], "dL/dv")
    yield expect_values(v, expected["dL_dv"], "dL/dv", mistakes=expected["mistakes"])
    # J is the derivative tensor of the linear map v -> y(v) = J . v, so the contraction is
    # the gradient of L(v) = sum(dL_dy * y(v)): checked against that loss's differences.
    yield expect_recorded_gradients(expected["fd"], {"v": v})


def _judge_backward(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    dL_dy, x = case.inputs["dL_dy"], case.inputs["x"]
    names = ("dL_dx", "dL_dW", "dL_db")
    got = unpack(outcome.values["result"], names, "linear_backward")
    yield Finding("returns", True)
    truth = [expected[n] for n in names]
    db = got[2]
    if isinstance(db, np.ndarray) and db.shape == dL_dy.shape and db.shape != truth[2].shape:
        raise Stop(
            Finding(
                "shapes",
                False,
                f"dL_db has shape {db.shape}, the shape of dL_dy; it must have the shape of b, "
                f"{truth[2].shape}. The same b is added to every row of the batch, so its "
                "gradient collects (sums) the contributions of all N rows.",
            )
        )
    for g, t, n in zip(got, truth, names, strict=True):
        yield expect_shape(g, t, n)
    N = x.shape[0]
    for g, t, n in zip(got, truth, names, strict=True):
        yield expect_values(g, t, n, batch_size=N, mistakes=expected["mistakes"][n])
    grads = dict(zip(("x", "W", "b"), got, strict=True))
    yield expect_recorded_gradients(expected["fd"], grads)


def _shape_hint(got: Any, truth: list[int], N: int, M_out: int, what: str) -> str:
    flat = [truth[0] * truth[1], truth[2] * truth[3]]  # the Jacobian matrix: (y's, variable's)
    if got == flat:
        return (
            " That is the shape of the flattened Jacobian matrix; here keep every index as its "
            "own axis: first the two axes of y, then the two axes of the variable."
        )
    if isinstance(got, list) and len(got) != 4:
        return (
            f" A derivative tensor has one axis per index of y and one per index of the "
            f"variable: y has two, (n, j), and so does {what[-1]}; four in all."
        )
    if isinstance(got, list) and got[:2] == [M_out, N] and M_out != N:
        return (
            " The axes of y come first, in y's own order (n, j): (N, M_out). (M_out, N) is "
            "the Jacobian layout of dL/dy, which these tensors do not use."
        )
    if isinstance(got, list) and sorted(got) == sorted(truth):
        return (
            " The sizes are right but not their order: the axes are (row of y, column of y, "
            "then the variable's two axes in the variable's own order)."
        )
    return (
        " Index an entry of the tensor by (an entry of y, an entry of the variable) and write "
        "down the size of each of the four axes."
    )


def _judge_shapes(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    N, M_in, M_out = (case.inputs[k] for k in ("N", "M_in", "M_out"))
    got = unpack(outcome.values["result"], ("shape of dy/dW", "shape of dy/dx"), "jacobian_shapes")
    yield Finding("returns", True)
    for g, t, what in zip(got, expected["shapes"], ("dy/dW", "dy/dx"), strict=True):
        if isinstance(g, np.ndarray):
            g = g.tolist()
        if not isinstance(g, list) or not all(isinstance(v, int) for v in g):
            msg = f"the shape of {what} must be a tuple of ints such as (2, 3, 4, 5); got {g!r}."
            raise Stop(Finding("returns", False, msg))
        if g != t:
            msg = f"for N={N}, M_in={M_in}, M_out={M_out} the shape of {what} is not {tuple(g)}."
            raise Stop(Finding("values", False, msg + _shape_hint(g, t, N, M_out, what)))
    yield Finding("values", True)


def _judge_subscripts(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    s = outcome.values["result"]
    if not isinstance(s, str):
        raise Stop(
            Finding(
                "returns",
                False,
                "contraction_subscripts must return a string of np.einsum subscripts, "
                "like 'ik,kj->ij' for a matrix product",
            )
        )
    yield Finding("returns", True)
    dL_dy, J = case.inputs["dL_dy"], case.inputs["J"]
    call = f"np.einsum({s!r}, dL_dy, J)"
    try:
        v = np.einsum(s, dL_dy, J)  # the student's answer, applied
    except Exception as exc:  # a malformed subscript string is the student's mistake
        msg = (
            f"{call} fails with dL_dy of shape {dL_dy.shape} and J of shape {J.shape}: {exc}. "
            "A repeated letter must stand for axes of the same size."
        )
        raise Stop(Finding("values", False, msg)) from None
    yield expect_shape(v, expected["dL_dv"], call)
    yield expect_values(v, expected["dL_dv"], call, mistakes=expected["mistakes"])


CARDS = (
    Card.of_call("linear_forward(x, W, b)", _judge_forward),
    Card.of_call("jacobian_shapes(N, M_in, M_out)", _judge_shapes),
    Card.of_call("linear_jacobian_W(x, W)", _judge_jacobian("W")),
    Card.of_call("linear_jacobian_x(x, W)", _judge_jacobian("x")),
    # contraction_subscripts() takes no arguments; its cases carry the arrays the judge
    # feeds to np.einsum with the returned subscripts.
    Card.of_call("contraction_subscripts()", _judge_subscripts),
    Card.of_call("apply_jacobian(dL_dy, J)", _judge_apply),
    Card.of_call("linear_backward(dL_dy, x, W)", _judge_backward),
)
