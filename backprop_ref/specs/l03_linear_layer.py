"""Lesson 03_linear_layer: the affine layer ``y = x W + b``, its derivative tensors and its
compact backward pass.

Graded functions (names and signatures fixed): ``linear_forward(x, W, b)``,
``linear_jacobian_W(x, W)``, ``linear_jacobian_x(x, W)``, ``apply_jacobian(dL_dy, J)``,
``linear_backward(dL_dy, x, W)``; and two derived results: ``jacobian_shapes(N, M_in, M_out)``
(the shapes of dy/dW and dy/dx) and ``contraction_subscripts()`` (the ``np.einsum``
subscripts that apply dL/dy to a 4-D derivative tensor).

Sizes are chosen so that mistakes show: the visible cases have three different sizes (a
transpose is a shape error there, the message says so), the hidden and verification cases
add square layers (``M_in == M_out``, where a transpose keeps the shape and only the values
give it away) and single-row batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from backprop_ref.gradcheck import diagnose
from backprop_ref.jacobians import (
    apply_jacobian,
    linear_jacobian_W,
    linear_jacobian_x,
    numerical_jacobian,
)
from backprop_ref.layers import linear_backward, linear_forward
from backprop_ref.specs.core import Case, Finding, Judge, Spec, Stage, Stop
from backprop_ref.specs.harness import Outcome
from backprop_ref.specs.judging import expect_gradients, expect_shape, expect_values, unpack
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

Sizes = tuple[int, int, int]  # (N, M_in, M_out)

# ----------------------------------------------------------------------------- cases


def _distinct(rng: np.random.Generator, low: int, high: int) -> Sizes:
    """Three different sizes in ``[low, high]``: every axis of a tensor tells which it is."""
    N, M_in, M_out = (int(v) for v in rng.choice(np.arange(low, high + 1), 3, replace=False))
    return N, M_in, M_out


def _sizes(rng: np.random.Generator, stage: Stage) -> list[Sizes]:
    """(N, M_in, M_out) per case of the layer functions."""
    if stage == "visible":
        return [(4, 3, 2), (2, 5, 3)]
    if stage == "hidden":
        return [(3, 3, 3), (1, 4, 2), (5, 2, 6)]
    # verify: drawn at grading time; one case of distinct sizes (a transpose cannot hide),
    # one that may be degenerate, and one square layer with a real batch (N >= 2).
    M = int(rng.integers(2, 7))
    return [_distinct(rng, 2, 7), _distinct(rng, 1, 7), (int(rng.integers(2, 7)), M, M)]


def _shape_sizes(rng: np.random.Generator, stage: Stage) -> list[Sizes]:
    """(N, M_in, M_out) per case of ``jacobian_shapes``: always three different sizes, or a
    shape with two axes swapped could not be told from the right one."""
    if stage == "visible":
        return [(4, 3, 2), (2, 5, 3)]
    if stage == "hidden":
        return [(3, 5, 2), (6, 1, 4), (7, 8, 9)]
    return [_distinct(rng, 1, 9), _distinct(rng, 2, 40)]


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


def _contraction_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """An upstream gradient (N, M_out) and a random 4-D tensor J (N, M_out, P, Q) shaped like
    dy/dW (P, Q = M_in, M_out) or like dy/dx (P, Q = N, M_in), alternately."""
    cases = []
    for k, (N, M_in, M_out) in enumerate(_sizes(rng, stage)):
        like_W = k % 2 == 0
        tail = (M_in, M_out) if like_W else (N, M_in)
        J = rng.standard_normal((N, M_out, *tail))
        dL_dy = rng.standard_normal((N, M_out))
        what = "dy/dW" if like_W else "dy/dx"
        cases.append(Case({"dL_dy": dL_dy, "J": J}, f"J of shape {J.shape}, like {what}"))
    return cases


def _size_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return [
        Case({"N": N, "M_in": M_in, "M_out": M_out}, f"N={N}, M_in={M_in}, M_out={M_out}")
        for N, M_in, M_out in _shape_sizes(rng, stage)
    ]


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
    if W.shape[0] == W.shape[1]:
        mistakes["x @ W.T + b (W transposed)"] = x @ W.T + b
    if x.shape[0] == W.shape[1]:
        mistakes["b[:, None] added down the columns instead of along every row"] = (
            x @ W + b[:, None]
        )
        mistakes["W.T @ x.T + b (the column convention W x, not transposed back)"] = W.T @ x.T + b
    yield expect_values(y, truth, "y", mistakes=mistakes)


def _fd_tensor(f: Callable[[Any], Any], v: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """Finite-difference derivative tensor of ``f(v)`` (shape out_shape) w.r.t. ``v``."""
    J = numerical_jacobian(lambda flat: f(flat.reshape(v.shape)).ravel(), v.ravel())
    return J.reshape(out_shape + v.shape)


def _jacobian_mistakes(wrt: str, x: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    """Wrong derivative tensors students build, by name (of any shape: a mistake that
    changes the shape is named at the shapes stage)."""
    (N, M_in), M_out = x.shape, W.shape[1]
    truth = linear_jacobian_W(x, W) if wrt == "W" else linear_jacobian_x(x, W)
    out: dict[str, np.ndarray] = {}
    if wrt == "W":
        ones, eye = np.ones((M_out, M_out)), np.eye(M_out)
        out["x[n, i] everywhere, without the delta(j == k) (an entry of W feeds one column)"] = (
            x[:, None, :, None] * ones[None, :, None, :]
        )
        out["W[i, k] where x[n, i] belongs (the derivative of x W by W is x, not W)"] = (
            W[None, None, :, :] * eye[None, :, None, :] * np.ones((N, 1, 1, 1))
        )
        out["the tensor with W's two axes swapped (indexed [n, j, k, i])"] = (
            x[:, None, None, :] * eye[None, :, :, None]
        )
    else:
        ones, eye = np.ones((N, N)), np.eye(N)
        out["W[i, j] everywhere, without the delta(n == m) (rows of a batch are independent)"] = (
            ones[:, None, :, None] * W.T[None, :, None, :]
        )
        out["W where W.T belongs (J[n, j, m, i] must be W[i, j])"] = (
            eye[:, None, :, None] * W[None, :, None, :]
        )
        out["x where W belongs (the derivative of x W by x is W, not x)"] = (
            eye[:, None, :, None] * x[:, None, None, :] * np.ones((1, M_out, 1, 1))
        )
        out["one (M_out, M_in) block per row, without the second batch axis m"] = np.broadcast_to(
            W.T, (N, M_out, M_in)
        )
    out["the tensor with y's axes in the Jacobian-layout order (j, n)"] = truth.swapaxes(0, 1)
    return out


def _expect_tensor_shape(
    J: np.ndarray, truth: np.ndarray, name: str, mistakes: dict[str, np.ndarray], axes: str
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
    ref = linear_jacobian_W if wrt == "W" else linear_jacobian_x

    def judge(case: Case, outcome: Outcome) -> Iterator[Finding]:
        x, W, b = (case.inputs[k] for k in ("x", "W", "b"))
        J = _array(outcome.values["result"], fn)
        yield Finding("returns", True)
        truth = ref(x, W)
        name = f"dy/d{wrt}"
        mistakes = _jacobian_mistakes(wrt, x, W)
        yield _expect_tensor_shape(J, truth, name, mistakes, "(i, k)" if wrt == "W" else "(m, i)")
        yield expect_values(J, truth, name, mistakes=mistakes)
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


def _contraction_mistakes(dL_dy: np.ndarray, J: np.ndarray) -> dict[str, np.ndarray]:
    N, M_out = dL_dy.shape
    out: dict[str, np.ndarray] = {}
    if N > 1 and M_out > 1:
        out[
            "dL/dy with its axes swapped (the M_out x N Jacobian layout, transposed or "
            "flattened column by column) against J, whose first two axes follow y: (n, j)"
        ] = (dL_dy.T.reshape(-1) @ J.reshape(N * M_out, -1)).reshape(J.shape[2:])
    if J.shape[2:] == dL_dy.shape:
        out[
            "a contraction with the last two axes of J (the variable's) instead of the first two"
        ] = np.tensordot(J, dL_dy, axes=([2, 3], [0, 1]))
    return out


def _judge_apply(case: Case, outcome: Outcome) -> Iterator[Finding]:
    dL_dy, J = case.inputs["dL_dy"], case.inputs["J"]
    v = _array(outcome.values["result"], "apply_jacobian")
    yield Finding("returns", True)
    truth = apply_jacobian(dL_dy, J)
    yield expect_shape(v, truth, "dL/dv")
    yield expect_values(v, truth, "dL/dv", mistakes=_contraction_mistakes(dL_dy, J))

    # J is the derivative tensor of the linear map v -> y(v) = J . v (contracting v's axes),
    # so the contraction is the gradient of L(v) = sum(dL_dy * y(v)): check it independently.
    def loss(v: Any) -> float:
        return float(np.sum(dL_dy * np.tensordot(J, v, axes=2)))

    yield expect_gradients(loss, {"v": np.zeros(J.shape[2:])}, {"v": v})


def _judge_backward(case: Case, outcome: Outcome) -> Iterator[Finding]:
    x, W, b, dL_dy = (case.inputs[k] for k in ("x", "W", "b", "dL_dy"))
    names = ("dL_dx", "dL_dW", "dL_db")
    got = unpack(outcome.values["result"], names, "linear_backward")
    yield Finding("returns", True)
    truth = linear_backward(dL_dy, x, W)
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
    N, (M_in, M_out) = x.shape[0], W.shape
    mistakes: list[dict[str, Any]] = [{}, {}, {}]
    if M_in == M_out:
        mistakes[0]["dL_dy @ W (W not transposed)"] = dL_dy @ W
        mistakes[1]["dL_dy.T @ x (the transposed product, shape M_out x M_in)"] = dL_dy.T @ x
    if N > 1:
        mistakes[1][
            "x.T @ dL_dy / N, averaged over the batch: a 1/N belongs to the loss (if it "
            "averages) and is already inside dL_dy"
        ] = x.T @ dL_dy / N
        mistakes[2]["the mean over the batch instead of the sum"] = dL_dy.mean(axis=0)
    if N == M_out:
        mistakes[2]["dL_dy.sum(axis=1): a sum over the features instead of the batch"] = dL_dy.sum(
            axis=1
        )
    for g, t, n, m in zip(got, truth, names, mistakes, strict=True):
        yield expect_values(g, t, n, batch_size=N, mistakes=m)

    def loss(x: Any, W: Any, b: Any) -> float:
        return float(np.sum(dL_dy * linear_forward(x, W, b)))

    grads = dict(zip(("x", "W", "b"), got, strict=True))
    yield expect_gradients(loss, {"x": x, "W": W, "b": b}, grads)


def _shape_hint(got: Any, N: int, M_in: int, M_out: int, what: str) -> str:
    variable = (M_in, M_out) if what == "dy/dW" else (N, M_in)
    flat = [N * M_out, variable[0] * variable[1]]
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
    if isinstance(got, list) and sorted(got) == sorted([N, M_out, *variable]):
        return (
            " The sizes are right but not their order: the axes are (row of y, column of y, "
            "then the variable's two axes in the variable's own order)."
        )
    return (
        " Index an entry of the tensor by (an entry of y, an entry of the variable) and write "
        "down the size of each of the four axes."
    )


def _judge_shapes(case: Case, outcome: Outcome) -> Iterator[Finding]:
    N, M_in, M_out = (case.inputs[k] for k in ("N", "M_in", "M_out"))
    got = unpack(outcome.values["result"], ("shape of dy/dW", "shape of dy/dx"), "jacobian_shapes")
    yield Finding("returns", True)
    truth = [(N, M_out, M_in, M_out), (N, M_out, N, M_in)]
    for g, t, what in zip(got, truth, ("dy/dW", "dy/dx"), strict=True):
        if isinstance(g, np.ndarray):
            g = g.tolist()
        if not isinstance(g, list) or not all(isinstance(v, int) for v in g):
            msg = f"the shape of {what} must be a tuple of ints such as (2, 3, 4, 5); got {g!r}."
            raise Stop(Finding("returns", False, msg))
        if tuple(g) != t:
            msg = f"for N={N}, M_in={M_in}, M_out={M_out} the shape of {what} is not {tuple(g)}."
            raise Stop(Finding("values", False, msg + _shape_hint(g, N, M_in, M_out, what)))
    yield Finding("values", True)


def _judge_subscripts(case: Case, outcome: Outcome) -> Iterator[Finding]:
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
        v = np.einsum(s, dL_dy, J)
    except Exception as exc:  # a malformed subscript string is the student's mistake
        msg = (
            f"{call} fails with dL_dy of shape {dL_dy.shape} and J of shape {J.shape}: {exc}. "
            "A repeated letter must stand for axes of the same size."
        )
        raise Stop(Finding("values", False, msg)) from None
    truth = apply_jacobian(dL_dy, J)
    yield expect_shape(v, truth, call)
    yield expect_values(v, truth, call, mistakes=_contraction_mistakes(dL_dy, J))


# ----------------------------------------------------------------------------- specs

jacobian_shapes_spec = Spec.of_call("jacobian_shapes(N, M_in, M_out)", _size_cases, _judge_shapes)
linear_forward_spec = Spec.of_call("linear_forward(x, W, b)", _layer_cases, _judge_forward)
linear_jacobian_W_spec = Spec.of_call("linear_jacobian_W(x, W)", _layer_cases, _judge_jacobian("W"))
linear_jacobian_x_spec = Spec.of_call("linear_jacobian_x(x, W)", _layer_cases, _judge_jacobian("x"))
# contraction_subscripts() takes no arguments; its cases carry the arrays the judge feeds to
# np.einsum with the returned subscripts.
contraction_subscripts_spec = Spec.of_call(
    "contraction_subscripts()", _contraction_cases, _judge_subscripts
)
apply_jacobian_spec = Spec.of_call("apply_jacobian(dL_dy, J)", _contraction_cases, _judge_apply)
linear_backward_spec = Spec.of_call("linear_backward(dL_dy, x, W)", _layer_cases, _judge_backward)

LESSON = Lesson(
    name="03_linear_layer",
    title="The linear layer: derivative tensors and the compact backward pass",
    specs=(
        linear_forward_spec,
        jacobian_shapes_spec,
        linear_jacobian_W_spec,
        linear_jacobian_x_spec,
        contraction_subscripts_spec,
        apply_jacobian_spec,
        linear_backward_spec,
    ),
    cells=(
        *tests_for(linear_forward_spec, 1, 1),
        GradedCell("test_jacobian_shapes", 2, "visible", "jacobian_shapes"),
        *tests_for(linear_jacobian_W_spec, 2, 1),
        *tests_for(linear_jacobian_x_spec, 2, 1),
        GradedCell("test_contraction_subscripts", 1, "visible", "contraction_subscripts"),
        *tests_for(apply_jacobian_spec, 1, 1),
        GradedCell("derive_dL_dW", 3, "manual"),
        *tests_for(linear_backward_spec, 3, 2),
    ),
)
