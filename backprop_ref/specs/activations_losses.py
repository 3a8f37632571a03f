"""Lesson 04_activations_losses: element-wise layers (diagonal Jacobians) and the losses that
start the backward recursion.

Graded functions (names and signatures fixed): ``relu_backward(dL_dy, x)``,
``sigmoid_backward(dL_dy, x)``, ``tanh_backward(dL_dy, x)``, ``mse_loss(y, t)`` and
``softmax_cross_entropy(scores, labels)``; the explicit derivative tensor
``sigmoid_jacobian(x)`` (built once, to see why it is never built again); and two derived
results: ``elementwise_jacobian_shape(N, M)`` (the shape of dy/dx of an element-wise layer and
how many of its entries can be non-zero) and ``uniform_scores_loss(C)`` (the cross-entropy of
uniform scores, ``log C``).

Conventions tested here:

- ReLU'(0) = 0 (the mask is ``x > 0``, as :func:`backprop_ref.layers.relu_backward`). Every
  stage's ReLU cases hold a few entries exactly 0, so ``x >= 0`` loses the points; the
  finite-difference stage checks only the entries off the kink.
- Both losses average over the batch (first axis) and sum over everything else.
- ``softmax_cross_entropy`` must be stable: every stage has rows of scores as large as 1e4,
  rows whose magnitudes differ by 1e4 (a shift by the global max is not enough) and labels
  whose probability underflows to 0 (log of a softmax is not enough: use log-sum-exp).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from backprop_kit.harness import Outcome
from backprop_kit.judging import (
    TOL,
    expect_array,
    expect_gradients,
    expect_shape,
    expect_values,
    unpack,
)
from backprop_ref._types import Array
from backprop_ref.derivatives import numerical_jacobian
from backprop_ref.layers import (
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from backprop_ref.losses import mse_loss, softmax, softmax_cross_entropy
from backprop_ref.specs.core import Case, Finding, Spec, Stage, Stop
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

# ----------------------------------------------------------------------------- sizes


def _sizes(rng: np.random.Generator, stage: Stage) -> list[tuple[int, int]]:
    """(N, M) per case. Every stage has a case with N > 1 and M > 1 (a missing 1/N, a mean
    over all N*M entries or a column-major flatten would go unnoticed otherwise); the
    hidden and verification cases add square and single-row inputs."""
    if stage == "visible":
        return [(4, 3), (2, 5)]
    if stage == "hidden":
        return [(3, 3), (1, 6), (5, 2)]
    drawn = [(int(rng.integers(2, 8)), int(rng.integers(2, 7))) for _ in range(2)]
    return [*drawn, (int(rng.integers(1, 4)), int(rng.integers(2, 9)))]


def _note(N: int, M: int, extra: str = "") -> str:
    return f"N={N}, M={M}" + (f", {extra}" if extra else "")


# ----------------------------------------------------------------------------- cases


def _activation_cases(kind: str) -> Callable[[np.random.Generator, Stage], list[Case]]:
    """Inputs ``x`` and upstream gradients ``dL_dy`` of the same shape."""

    def cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
        out = []
        for N, M in _sizes(rng, stage):
            z = rng.standard_normal((N, M))
            dL_dy = rng.standard_normal((N, M))
            if kind == "relu":
                # Off the kink by at least 0.1 (finite differences never cross it), then a
                # few entries exactly at the kink to test the convention ReLU'(0) = 0.
                x = np.sign(z) * (0.1 + 1.5 * np.abs(z))
                zeros = rng.choice(N * M, size=max(1, N * M // 4), replace=False)
                x.reshape(-1)[zeros] = 0.0
                note = _note(N, M, f"{zeros.size} entries of x exactly 0")
            else:
                x = 3.0 * z
                note = _note(N, M)
            out.append(Case({"dL_dy": dL_dy, "x": x}, note))
        if kind != "relu" and stage != "visible":  # saturation: far out on both tails
            x = np.array([[-30.0, -12.0, 0.0, 12.0, 30.0], [-8.0, -3.0, 0.5, 3.0, 8.0]])
            x = x * rng.uniform(0.9, 1.1, size=x.shape)
            dL_dy = rng.standard_normal(x.shape)
            out.append(Case({"dL_dy": dL_dy, "x": x}, "N=2, M=5, x up to +-30 (saturated)"))
        return out

    return cases


def _jacobian_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return [
        Case({"x": 3.0 * rng.standard_normal((N, M))}, _note(N, M)) for N, M in _sizes(rng, stage)
    ]


def _size_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return [Case({"N": N, "M": M}, _note(N, M)) for N, M in _sizes(rng, stage)]


def _mse_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    out = []
    for N, M in _sizes(rng, stage):
        y = rng.standard_normal((N, M))
        t = y + rng.standard_normal((N, M))
        out.append(Case({"y": y, "t": t}, _note(N, M)))
    return out


def _huge_scores(rng: np.random.Generator, N: int, C: int) -> tuple[Array, Any]:
    """Scores as large as 1e4 that break every unstable formula: a row of huge spread whose
    label's score is at least 5000 below the row's max (its probability underflows to 0, so
    log(softmax) gives -inf), and rows offset by +-1e4 from each other (a shift by the
    global max underflows every entry of the low row, and exp without a shift overflows)."""
    scores = rng.standard_normal((N, C))
    labels = rng.integers(0, C, size=N)
    scores[0] *= 1e4
    others = np.delete(scores[0], labels[0])
    scores[0, labels[0]] = others.max() - 1e4 * rng.uniform(0.5, 1.5)  # p underflows to 0
    scores[1] += 1e4
    if N > 2:
        scores[2] -= 1e4
    return scores, labels


def _ce_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        plain_sizes, huge_sizes = [(4, 3)], [(3, 5)]
    elif stage == "hidden":
        plain_sizes, huge_sizes = [(5, 4), (1, 2)], [(6, 10)]
    else:
        plain_sizes = [(int(rng.integers(2, 9)), int(rng.integers(2, 11)))]
        huge_sizes = [(int(rng.integers(3, 9)), int(rng.integers(2, 11)))]
    out = []
    for N, C in plain_sizes:
        scores = 2.0 * rng.standard_normal((N, C))
        labels = rng.integers(0, C, size=N)
        out.append(Case({"scores": scores, "labels": labels}, f"N={N}, C={C}"))
    for N, C in huge_sizes:
        huge, huge_labels = _huge_scores(rng, N, C)
        note = f"N={N}, C={C}, scores as large as 1e4"
        out.append(Case({"scores": huge, "labels": huge_labels}, note))
    return out


def _class_counts(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        counts = [2, 3, 10]
    elif stage == "hidden":
        counts = [4, 7, 1000]
    else:
        counts = [int(c) for c in rng.integers(2, 500, size=3)]
    return [Case({"C": C}, f"C={C}") for C in counts]


# ---------------------------------------------------------------------------- judges


def _expect_scalar(
    value: Any,
    truth: float,
    name: str,
    *,
    batch_size: int | None = None,
    mistakes: dict[str, float] | None = None,
    tol: float = TOL,
) -> Finding:
    """The ``values`` stage for a number (a loss): close to ``truth``, or a message naming the
    likely mistake. (A factor between two numbers is always "a constant factor", so only the
    factors with a known cause are named.)"""
    v = float(np.asarray(value, dtype=np.float64))
    if not math.isfinite(v):
        raise Stop(Finding("values", False, f"{name} is {v}: look for exp overflowing or log(0)."))

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= tol * max(abs(a), abs(b), 1e-12)

    if close(v, truth):
        return Finding("values", True)
    head = f"{name} = {v:.6g}, expected {truth:.6g}"
    for description, wrong in (mistakes or {}).items():
        if math.isfinite(wrong) and close(v, wrong):
            raise Stop(Finding("values", False, f"{head}: it matches {description}."))
    causes = [(-1.0, "-1 x the correct value: check the sign.")]
    if batch_size is not None and batch_size > 1:
        causes += [
            (
                float(batch_size),
                f"{batch_size} x the correct value: did you forget to average "
                "over the batch (divide by N)?",
            ),
            (1 / batch_size, f"1/{batch_size} x the correct value: did you divide by N twice?"),
        ]
    causes += [(2.0, "2 x the correct value."), (0.5, "1/2 x the correct value.")]
    for factor, text in causes:
        if close(v, factor * truth):
            raise Stop(Finding("values", False, f"{head}: {text}"))
    raise Stop(Finding("values", False, f"{head}."))


def _fd_elementwise(
    forward: Callable[[Array], Array], x: Array, dL_dy: Array, dL_dx: Array
) -> Finding:
    """Finite differences of ``L(x) = sum(dL_dy * f(x))`` over the entries of x off the kink
    (x == 0 is left out: there a central difference averages the two one-sided slopes)."""
    off = x != 0

    def loss(x_off: Array) -> float:
        full = x.copy()
        full[off] = x_off
        return float(np.sum(dL_dy * forward(full)))

    return expect_gradients(loss, {"x_off": x[off]}, {"x_off": dL_dx[off]})


def _activation_judge(
    fn: str,
    forward: Callable[[Array], Array],
    backward: Callable[[Array, Array], Array],
    mistakes: Callable[[Array, Array], dict[str, Array]],
) -> Callable[[Case, Outcome], Iterator[Finding]]:
    def judge(case: Case, outcome: Outcome) -> Iterator[Finding]:
        dL_dy, x = case.inputs["dL_dy"], case.inputs["x"]
        dL_dx = expect_array(outcome.values["result"], fn)
        yield Finding("returns", True)
        truth = backward(dL_dy, x)
        yield expect_shape(dL_dx, truth, "dL_dx")
        yield expect_values(dL_dx, truth, "dL_dx", mistakes=mistakes(dL_dy, x))
        yield _fd_elementwise(forward, x, dL_dy, dL_dx)

    return judge


def _relu_mistakes(dL_dy: Array, x: Array) -> dict[str, Array]:
    return {
        "dL_dy * (x >= 0) (where x == 0 exactly, the course takes ReLU'(0) = 0: use the "
        "mask x > 0)": dL_dy * (x >= 0),
        "dL_dy masked by dL_dy > 0 (the mask comes from the forward input: ReLU passes the "
        "gradient where x > 0)": dL_dy * (dL_dy > 0),
        "dL_dy * relu(x) (the forward value; the backward pass needs the derivative, "
        "1 where x > 0 and 0 elsewhere)": dL_dy * relu_forward(x),
        "the mask x > 0 alone (the chain rule multiplies it by dL_dy)": (x > 0) * 1.0,
    }


def _sigmoid_mistakes(dL_dy: Array, x: Array) -> dict[str, Array]:
    s = sigmoid_forward(x)
    return {
        "dL_dy * x * (1 - x) (s(1 - s) needs s = sigmoid(x), not x itself)": dL_dy * x * (1 - x),
        "dL_dy * s (the derivative is s(1 - s), not s)": dL_dy * s,
        "dL_dy * (1 - s**2) (that is the tanh formula; the sigmoid's is s(1 - s))": dL_dy
        * (1 - s * s),
        "s(1 - s) alone (the chain rule multiplies it by dL_dy)": s * (1 - s),
    }


def _tanh_mistakes(dL_dy: Array, x: Array) -> dict[str, Array]:
    t = np.tanh(x)
    return {
        "dL_dy * (1 - x**2) (1 - t^2 needs t = tanh(x), not x itself)": dL_dy * (1 - x * x),
        "dL_dy * (1 - tanh(x))**2 (square tanh first, then subtract from 1)": dL_dy * (1 - t) ** 2,
        "dL_dy * (1 - tanh(x)) (the square is missing)": dL_dy * (1 - t),
        "dL_dy * t * (1 - t) (that is the sigmoid formula; tanh's is 1 - t^2)": dL_dy * t * (1 - t),
        "1 - t^2 alone (the chain rule multiplies it by dL_dy)": 1 - t * t,
    }


def _sigmoid_jacobian_ref(x: Array) -> Array:
    """``J[n, i, m, j] = (n == m)(i == j) s(1 - s)[n, i]``, shape (N, M, N, M)."""
    N, M = x.shape
    s = sigmoid_forward(x)
    d = s * (1 - s)
    J: Array = np.einsum("ni,nm,ij->nimj", d, np.eye(N), np.eye(M))
    return J


def _judge_sigmoid_jacobian(case: Case, outcome: Outcome) -> Iterator[Finding]:
    x = case.inputs["x"]
    N, M = x.shape
    J = expect_array(outcome.values["result"], "sigmoid_jacobian")
    yield Finding("returns", True)
    truth = _sigmoid_jacobian_ref(x)
    if isinstance(J, np.ndarray) and J.shape == (N * M, N * M):
        raise Stop(
            Finding(
                "shapes",
                False,
                f"dy/dx has shape {J.shape}, the flattened matrix; the course keeps the "
                f"tensor layout (entry of y, entry of x) = {truth.shape}: reshape it.",
            )
        )
    yield expect_shape(J, truth, "dy/dx")
    s = sigmoid_forward(x)
    d = s * (1 - s)
    mistakes = {
        "s on the diagonal (the derivative of the sigmoid is s(1 - s))": np.einsum(
            "ni,nm,ij->nimj", s, np.eye(N), np.eye(M)
        ),
        "x(1 - x) on the diagonal (s(1 - s) needs s = sigmoid(x))": np.einsum(
            "ni,nm,ij->nimj", x * (1 - x), np.eye(N), np.eye(M)
        ),
        "a tensor with J[n, i, m, i] non-zero for every pair of rows n, m (rows of the "
        "batch do not interact: the entry needs n == m as well as i == j)": np.einsum(
            "ni,m,ij->nimj", d, np.ones(N), np.eye(M)
        ),
        "the right values in the wrong places (a column-major flatten? J[n, i, n, i] "
        "must hold s(1 - s) of x[n, i])": np.diag(d.ravel(order="F")).reshape(N, M, N, M),
    }
    yield expect_values(J, truth, "dy/dx", mistakes=mistakes)
    fd = numerical_jacobian(lambda v: sigmoid_forward(v.reshape(N, M)).ravel(), x.ravel())
    try:
        expect_values(J, fd.reshape(N, M, N, M), "dy/dx")
    except Stop as stop:
        raise Stop(Finding("finite differences", False, stop.finding.message)) from None
    yield Finding("finite differences", True)


def _judge_jacobian_shape(case: Case, outcome: Outcome) -> Iterator[Finding]:
    N, M = case.inputs["N"], case.inputs["M"]
    names = ("shape of dy/dx", "number of entries that can be non-zero")
    shape, count = unpack(outcome.values["result"], names, "elementwise_jacobian_shape")
    yield Finding("returns", True)
    truth = (N, M, N, M)
    if not isinstance(shape, list) or tuple(shape) != truth:
        hint = {
            (N * M, N * M): "that is the flattened (NM x NM) matrix; the course indexes dy/dx "
            "by (entry of y, entry of x), two axes each",
            (N, M): "that is the shape of x and y; the derivative has an axis for each axis "
            "of y and each axis of x",
            (N, M, M): "that is one M x M Jacobian per row; the full tensor also has an axis "
            "for the row of x",
        }.get(tuple(shape) if isinstance(shape, list) else (), "")
        msg = f"the shape of dy/dx for N={N}, M={M} is not {shape}"
        raise Stop(Finding("values", False, msg + (f": {hint}." if hint else ".")))
    if isinstance(count, bool) or not isinstance(count, int | float) or count != N * M:
        hint = {
            N * M * N * M: "that counts every entry; y[n, i] depends on x[m, j] only when "
            "n == m and i == j",
            N * M * M: "that allows every pair (i, j) within a row; an element-wise layer "
            "never mixes columns either",
            M * M: "count over the whole batch, and remember that columns do not mix",
        }.get(
            count if isinstance(count, int) else -1,
            "y[n, i] depends on x[m, j] only when n == m and i == j",
        )
        msg = f"the number of entries of dy/dx that can be non-zero (N={N}, M={M}) is not {count}"
        raise Stop(Finding("values", False, f"{msg}: {hint}."))
    yield Finding("values", True)


def _judge_mse(case: Case, outcome: Outcome) -> Iterator[Finding]:
    y, t = case.inputs["y"], case.inputs["t"]
    N, M = y.shape
    L, dL_dy = unpack(outcome.values["result"], ("L", "dL_dy"), "mse_loss")
    yield Finding("returns", True)
    L_true, g_true = mse_loss(y, t)
    yield expect_shape(L, np.float64(L_true), "L")
    yield expect_shape(dL_dy, g_true, "dL_dy")
    r = y - t
    yield _expect_scalar(
        L,
        L_true,
        "L",
        batch_size=N,
        mistakes={
            "np.mean((y - t)**2), the mean over all N*M entries (this course averages over "
            "the batch only and sums over the M outputs)": float(np.mean(r * r)),
            "half the squared error (this course's L has no factor 1/2)": L_true / 2,
        },
    )
    yield expect_values(
        dL_dy,
        g_true,
        "dL_dy",
        batch_size=N,
        mistakes={
            "2 (y - t) / (N M), the gradient of a mean over all N*M entries (L averages "
            "over the batch only)": 2 * r / (N * M),
            "(y - t) / N (the 2 from differentiating the square is missing)": r / N,
            "2 (y - t) (the 1/N of the batch mean is missing)": 2 * r,
        },
    )

    def loss(y: Array) -> float:
        return mse_loss(y, t)[0]

    yield expect_gradients(loss, {"y": y}, {"y": dL_dy})


def _judge_ce(case: Case, outcome: Outcome) -> Iterator[Finding]:
    scores, labels = case.inputs["scores"], case.inputs["labels"]
    N, C = scores.shape
    L, dL = unpack(outcome.values["result"], ("L", "dL_dscores"), "softmax_cross_entropy")
    yield Finding("returns", True)
    L_true, g_true = softmax_cross_entropy(scores, labels)
    yield expect_shape(L, np.float64(L_true), "L")
    yield expect_shape(dL, g_true, "dL_dscores")
    huge = float(np.max(np.abs(scores))) > 1e3
    for value, name in ((L, "L"), (dL, "dL_dscores")):
        if not np.all(np.isfinite(value)):
            raise Stop(
                Finding(
                    "values",
                    False,
                    f"{name} contains nan or inf. "
                    + (
                        "These scores are as large as 1e4: exp(1e4) overflows and a softmax "
                        "that underflows to 0 has log(0) = -inf. Subtract each row's max "
                        "before exp, and compute log p = (s - max) - log(sum exp(s - max)) "
                        "(log-sum-exp) instead of log(softmax)."
                        if huge
                        else "Look for exp overflowing or log(0)."
                    ),
                )
            )
    p = softmax(scores)
    onehot = np.eye(C)[labels]
    wrong_rows = p.copy()
    wrong_rows[:, labels] -= 1
    hint = (
        " (These scores are as large as 1e4: for rows whose label has a probability that "
        "underflows to 0, compute log p with log-sum-exp, not log of the softmax, and shift "
        "each row by its own max, not by the max of the whole array.)"
        if huge
        else ""
    )
    try:
        with np.errstate(all="ignore"):
            by_column = scores - scores.max(axis=0)
            log_p_col = by_column - np.log(np.exp(by_column).sum(axis=1, keepdims=True))
            L_col = -float(np.mean(log_p_col[np.arange(N), labels]))
        yield _expect_scalar(
            L,
            L_true,
            "L",
            batch_size=N,
            mistakes={
                "the loss with each column shifted by its max (the shift must be the same "
                "for a whole row, so use each row's max: scores.max(axis=1, keepdims=True))": (
                    L_col
                ),
            },
        )
        yield expect_values(
            dL,
            g_true,
            "dL_dscores",
            batch_size=N,
            mistakes={
                "p / N (the one-hot of the labels is missing: dL/ds = (p - onehot) / N)": p / N,
                "p with 1 subtracted from whole columns (p[:, labels] -= 1 hits every row; "
                "index one entry per row with p[np.arange(N), labels])": wrong_rows / N,
                "(p - onehot) / (N C) (divide by the batch size only)": (p - onehot) / (N * C),
            },
        )
    except Stop as stop:
        raise Stop(Finding("values", False, stop.finding.message + hint)) from None

    def loss(scores: Array) -> float:
        return softmax_cross_entropy(scores, labels)[0]

    yield expect_gradients(loss, {"scores": scores}, {"scores": dL})


def _judge_uniform(case: Case, outcome: Outcome) -> Iterator[Finding]:
    C = case.inputs["C"]
    L = outcome.values["result"]
    if isinstance(L, bool) or not isinstance(L, int | float):
        got = "None: did you forget to return?" if L is None else type(L).__name__
        raise Stop(
            Finding("returns", False, f"uniform_scores_loss must return a number; got {got}")
        )
    yield Finding("returns", True)
    truth = math.log(C)
    mistakes = {
        "-log C (the loss is -log p, and p = 1/C, so L = -log(1/C) = +log C)": -truth,
        "1/C (that is the probability of each class; the loss is -log of it)": 1 / C,
        "log2(C) (numpy's and the course's log is the natural log)": math.log2(C),
        "log10(C) (the course's log is the natural log)": math.log10(C),
        "log(C)/C (the batch mean divides by N, not by C)": truth / C,
    }
    yield _expect_scalar(L, truth, "L", mistakes=mistakes)


# ----------------------------------------------------------------------------- specs


elementwise_jacobian_shape_spec = Spec.legacy_call(
    "elementwise_jacobian_shape(N, M)",
    _size_cases,
    _judge_jacobian_shape,
)
sigmoid_jacobian_spec = Spec.legacy_call(
    "sigmoid_jacobian(x)", _jacobian_cases, _judge_sigmoid_jacobian
)
relu_backward_spec = Spec.legacy_call(
    "relu_backward(dL_dy, x)",
    _activation_cases("relu"),
    _activation_judge("relu_backward", relu_forward, relu_backward, _relu_mistakes),
)
sigmoid_backward_spec = Spec.legacy_call(
    "sigmoid_backward(dL_dy, x)",
    _activation_cases("sigmoid"),
    _activation_judge("sigmoid_backward", sigmoid_forward, sigmoid_backward, _sigmoid_mistakes),
)
tanh_backward_spec = Spec.legacy_call(
    "tanh_backward(dL_dy, x)",
    _activation_cases("tanh"),
    _activation_judge("tanh_backward", tanh_forward, tanh_backward, _tanh_mistakes),
)
mse_loss_spec = Spec.legacy_call("mse_loss(y, t)", _mse_cases, _judge_mse)
uniform_scores_loss_spec = Spec.legacy_call("uniform_scores_loss(C)", _class_counts, _judge_uniform)
softmax_cross_entropy_spec = Spec.legacy_call(
    "softmax_cross_entropy(scores, labels)", _ce_cases, _judge_ce
)

LESSON = Lesson(
    name="04_activations_losses",
    title="Activations and losses: diagonal Jacobians and where the recursion starts",
    specs=(
        elementwise_jacobian_shape_spec,
        sigmoid_jacobian_spec,
        relu_backward_spec,
        sigmoid_backward_spec,
        tanh_backward_spec,
        mse_loss_spec,
        uniform_scores_loss_spec,
        softmax_cross_entropy_spec,
    ),
    cells=(
        GradedCell("test_elementwise_jacobian_shape", 2, "visible", "elementwise_jacobian_shape"),
        *tests_for(sigmoid_jacobian_spec, 2, 1),
        *tests_for(relu_backward_spec, 2, 1),
        *tests_for(sigmoid_backward_spec, 2, 1),
        *tests_for(tanh_backward_spec, 1, 1),
        *tests_for(mse_loss_spec, 2, 1),
        GradedCell("test_uniform_scores_loss", 1, "visible", "uniform_scores_loss"),
        GradedCell("derive_softmax_cross_entropy", 4, "manual"),
        *tests_for(softmax_cross_entropy_spec, 3, 2),
    ),
)
