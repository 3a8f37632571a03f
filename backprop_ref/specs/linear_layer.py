"""Lesson 03_linear_layer: the affine layer ``y = x W + b``, its derivative tensors and its
compact backward pass.

Graded functions (names and signatures fixed): ``linear_forward(x, W, b)``,
``linear_jacobian_W(x, W)``, ``linear_jacobian_x(x, W)``, ``apply_jacobian(dL_dy, J)``,
``linear_backward(dL_dy, x, W)``; and two derived results: ``jacobian_shapes(N, M_in, M_out)``
(the shapes of dy/dW and dy/dx) and ``contraction_subscripts()`` (the ``np.einsum``
subscripts that apply dL/dy to a 4-D derivative tensor).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from backprop_ref.jacobians import (
    apply_jacobian,
    linear_jacobian_W,
    linear_jacobian_x,
    numerical_jacobian,
)
from backprop_ref.layers import linear_backward, linear_forward
from backprop_ref.specs.core import Case, Finding, Spec, Stage, Stop
from backprop_ref.specs.harness import Outcome, Step
from backprop_ref.specs.judging import expect_gradients, expect_shape, expect_values, unpack
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

# ----------------------------------------------------------------------------- cases


def _sizes(rng: np.random.Generator, stage: Stage) -> list[tuple[int, int, int]]:
    """(N, M_in, M_out) per case: distinct sizes show a transpose as a shape error in the
    visible tests; the hidden and verification cases add square and single-row layers."""
    if stage == "visible":
        return [(4, 3, 2), (2, 5, 3)]
    if stage == "hidden":
        return [(3, 3, 3), (1, 4, 2), (5, 2, 6)]
    return [tuple(int(v) for v in rng.integers(1, 7, size=3)) for _ in range(2)] + [(3, 4, 4)]


def _layer_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    cases = []
    for N, M_in, M_out in _sizes(rng, stage):
        x = rng.standard_normal((N, M_in))
        W = rng.standard_normal((M_in, M_out))
        b = rng.standard_normal(M_out)
        dL_dy = rng.standard_normal((N, M_out))
        note = f"N={N}, M_in={M_in}, M_out={M_out}"
        cases.append(Case({"x": x, "W": W, "b": b, "dL_dy": dL_dy}, note))
    return cases


def _apply_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    cases = []
    for N, M_in, M_out in _sizes(rng, stage):
        J = rng.standard_normal((N, M_out, M_in, M_out))
        dL_dy = rng.standard_normal((N, M_out))
        cases.append(Case({"dL_dy": dL_dy, "J": J}, f"J of shape {J.shape}"))
    return cases


def _size_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return [
        Case({"N": N, "M_in": M_in, "M_out": M_out}, f"N={N}, M_in={M_in}, M_out={M_out}")
        for N, M_in, M_out in _sizes(rng, stage)
    ]


def _no_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return [Case({}, "")]


# ---------------------------------------------------------------------------- judges


def _array(value: Any, fn: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        got = "None: did you forget to return?" if value is None else type(value).__name__
        raise Stop(Finding("returns", False, f"{fn} must return an ndarray; got {got}"))
    return value


def _judge_forward(case: Case, outcome: Outcome) -> Iterator[Finding]:
    x, W, b = (case.inputs[k] for k in ("x", "W", "b"))
    y = _array(outcome.values["result"], "linear_forward")
    yield Finding("returns", True)
    truth = linear_forward(x, W, b)
    yield expect_shape(y, truth, "y")
    mistakes = {"x @ W without the bias b": x @ W, "x @ W - b (the bias subtracted)": x @ W - b}
    yield expect_values(y, truth, "y", mistakes=mistakes)


def _fd_tensor(f: Any, v: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """Finite-difference derivative tensor of ``f(v)`` (shape out_shape) w.r.t. ``v``."""
    J = numerical_jacobian(lambda flat: f(flat.reshape(v.shape)).ravel(), v.ravel())
    return J.reshape(out_shape + v.shape)


def _judge_jacobian(wrt: str) -> Any:
    fn = f"linear_jacobian_{wrt}"
    ref = linear_jacobian_W if wrt == "W" else linear_jacobian_x

    def judge(case: Case, outcome: Outcome) -> Iterator[Finding]:
        x, W, b = (case.inputs[k] for k in ("x", "W", "b"))
        J = _array(outcome.values["result"], fn)
        yield Finding("returns", True)
        truth = ref(x, W)
        name = f"dy/d{wrt}"
        yield expect_shape(J, truth, name)
        swapped = {"the tensor with its last two axes swapped": truth.swapaxes(2, 3)}
        if truth.shape[1] == truth.shape[3]:
            swapped["the tensor with the axes of y and W mixed up"] = truth.swapaxes(1, 3)
        yield expect_values(J, truth, name, mistakes=swapped)
        if wrt == "W":
            fd = _fd_tensor(lambda w: linear_forward(x, w, b), W, truth.shape[:2])
        else:
            fd = _fd_tensor(lambda v: linear_forward(v, W, b), x, truth.shape[:2])
        try:
            expect_values(J, fd, name)
        except Stop as stop:
            raise Stop(Finding("finite differences", False, stop.finding.message)) from None
        yield Finding("finite differences", True)

    return judge


def _judge_apply(case: Case, outcome: Outcome) -> Iterator[Finding]:
    dL_dy, J = case.inputs["dL_dy"], case.inputs["J"]
    v = _array(outcome.values["result"], "apply_jacobian")
    yield Finding("returns", True)
    truth = apply_jacobian(dL_dy, J)
    yield expect_shape(v, truth, "dL/dv")
    wrong = {"a contraction over the batch axis only": np.tensordot(dL_dy, J, axes=([0], [0]))}
    yield expect_values(v, truth, "dL/dv", mistakes=wrong)


def _judge_backward(case: Case, outcome: Outcome) -> Iterator[Finding]:
    x, W, b, dL_dy = (case.inputs[k] for k in ("x", "W", "b", "dL_dy"))
    names = ("dL_dx", "dL_dW", "dL_db")
    got = unpack(outcome.values["result"], names, "linear_backward")
    yield Finding("returns", True)
    truth = linear_backward(dL_dy, x, W)
    for g, t, n in zip(got, truth, names, strict=True):
        yield expect_shape(g, t, n)
    N = x.shape[0]
    mistakes: list[dict[str, Any]] = [
        {"dL_dy @ W (W not transposed)": dL_dy @ W} if W.shape[0] == W.shape[1] else {},
        {"dL_dy.T @ x (the transposed product)": dL_dy.T @ x} if W.shape[0] == W.shape[1] else {},
        {"the mean over the batch instead of the sum": dL_dy.mean(axis=0)},
    ]
    for g, t, n, m in zip(got, truth, names, mistakes, strict=True):
        yield expect_values(g, t, n, batch_size=N, mistakes=m)

    def loss(x: Any, W: Any, b: Any) -> float:
        return float(np.sum(dL_dy * linear_forward(x, W, b)))

    grads = dict(zip(("x", "W", "b"), got, strict=True))
    yield expect_gradients(loss, {"x": x, "W": W, "b": b}, grads)


def _judge_shapes(case: Case, outcome: Outcome) -> Iterator[Finding]:
    N, M_in, M_out = (case.inputs[k] for k in ("N", "M_in", "M_out"))
    got = unpack(outcome.values["result"], ("shape of dy/dW", "shape of dy/dx"), "jacobian_shapes")
    yield Finding("returns", True)
    truth = [(N, M_out, M_in, M_out), (N, M_out, N, M_in)]
    for g, t, what in zip(got, truth, ("dy/dW", "dy/dx"), strict=True):
        if not isinstance(g, list) or tuple(g) != t:
            msg = f"the shape of {what} for N={N}, M_in={M_in}, M_out={M_out} is not {g}"
            raise Stop(Finding("values", False, msg + ": index it by (entry of y, entry of the "
                               "variable) and write down the size of each axis."))
    yield Finding("values", True)


def _judge_subscripts(case: Case, outcome: Outcome) -> Iterator[Finding]:
    s = outcome.values["result"]
    if not isinstance(s, str):
        raise Stop(Finding("returns", False, "contraction_subscripts must return a string "
                           "such as 'ab,abcd->cd'"))
    yield Finding("returns", True)
    rng = np.random.default_rng(7)
    dL_dy, J = rng.standard_normal((3, 2)), rng.standard_normal((3, 2, 4, 2))
    try:
        v = np.einsum(s, dL_dy, J)
    except Exception as exc:  # a malformed subscript string is the student's mistake
        raise Stop(Finding("values", False, f"np.einsum({s!r}, dL_dy, J) fails: {exc}")) from None
    yield expect_values(v, apply_jacobian(dL_dy, J), f"np.einsum({s!r}, dL_dy, J)")


# ----------------------------------------------------------------------------- specs


def _spec(name: str, signature: str, cases: Any, judge: Any) -> Spec:
    args = tuple(signature[signature.index("(") + 1 : -1].replace(" ", "").split(","))
    args = tuple(a for a in args if a)
    return Spec(name, signature, (Step(name, args),), ("result",), cases, judge)


linear_forward_spec = _spec("linear_forward", "linear_forward(x, W, b)", _layer_cases,
                            _judge_forward)
linear_jacobian_W_spec = _spec("linear_jacobian_W", "linear_jacobian_W(x, W)", _layer_cases,
                               _judge_jacobian("W"))
linear_jacobian_x_spec = _spec("linear_jacobian_x", "linear_jacobian_x(x, W)", _layer_cases,
                               _judge_jacobian("x"))
apply_jacobian_spec = _spec("apply_jacobian", "apply_jacobian(dL_dy, J)", _apply_cases,
                            _judge_apply)
linear_backward_spec = _spec("linear_backward", "linear_backward(dL_dy, x, W)", _layer_cases,
                             _judge_backward)
jacobian_shapes_spec = _spec("jacobian_shapes", "jacobian_shapes(N, M_in, M_out)", _size_cases,
                             _judge_shapes)
contraction_subscripts_spec = _spec("contraction_subscripts", "contraction_subscripts()",
                                    _no_cases, _judge_subscripts)

LESSON = Lesson(
    name="03_linear_layer",
    title="The linear layer: derivative tensors and the compact backward pass",
    specs=(
        jacobian_shapes_spec,
        linear_forward_spec,
        linear_jacobian_W_spec,
        linear_jacobian_x_spec,
        contraction_subscripts_spec,
        apply_jacobian_spec,
        linear_backward_spec,
    ),
    cells=(
        GradedCell("test_jacobian_shapes", 2, "visible", "jacobian_shapes"),
        *tests_for(linear_forward_spec, 1, 1),
        *tests_for(linear_jacobian_W_spec, 2, 1),
        *tests_for(linear_jacobian_x_spec, 2, 1),
        GradedCell("test_contraction_subscripts", 1, "visible", "contraction_subscripts"),
        *tests_for(apply_jacobian_spec, 1, 1),
        GradedCell("derive_dL_dW", 3, "manual"),
        *tests_for(linear_backward_spec, 3, 2),
    ),
)
