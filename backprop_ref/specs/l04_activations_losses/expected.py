"""Lesson 04_activations_losses's expected data: the reference's outputs for a case, the
outputs of the wrong derivations students write (by name: the diagnoses recognise them, in
the order they are tried), and the losses the finite-difference stages check against
(recorded at release). Plain data only; the judges (the cards in
``backprop_kit.specs.l04_activations_losses``) compare with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_kit.gradcheck import LossToRecord
from backprop_kit.verdicts import Case
from backprop_ref._types import Array, IntArray
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

Expect = Callable[[Case], dict[str, Any]]

#: The eps students add inside the log of a cross-entropy, log(p + eps) (or a clip at eps).
LOG_EPS = tuple(10.0**-k for k in range(5, 17))


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


_ACTIVATIONS = {
    "relu": (relu_forward, relu_backward, _relu_mistakes),
    "sigmoid": (sigmoid_forward, sigmoid_backward, _sigmoid_mistakes),
    "tanh": (tanh_forward, tanh_backward, _tanh_mistakes),
}


def activation(kind: str) -> Expect:
    """``dL_dx``, ``mistakes`` and ``fd``: the loss ``L = sum(dL_dy * f(x))`` as a function of
    the entries of x off the kink (x == 0 is left out: there a central difference averages
    the two one-sided slopes), at those entries."""
    forward, backward, wrong = _ACTIVATIONS[kind]

    def expect(case: Case) -> dict[str, Any]:
        dL_dy, x = case.inputs["dL_dy"], case.inputs["x"]
        off = x != 0

        def loss(x_off: Array) -> float:
            full = x.copy()
            full[off] = x_off
            return float(np.sum(dL_dy * forward(full)))

        fd = LossToRecord(loss, {"x_off": x[off]})
        return {"dL_dx": backward(dL_dy, x), "mistakes": wrong(dL_dy, x), "fd": fd}

    return expect


def _diagonal(values: Array) -> Array:
    """``J[n, i, m, j] = (n == m)(i == j) values[n, i]``, shape (N, M, N, M)."""
    N, M = values.shape
    J: Array = np.einsum("ni,nm,ij->nimj", values, np.eye(N), np.eye(M))
    return J


def sigmoid_jacobian(case: Case) -> dict[str, Any]:
    x = case.inputs["x"]
    N, M = x.shape
    s = sigmoid_forward(x)
    d = s * (1 - s)
    mistakes = {
        "s on the diagonal (the derivative of the sigmoid is s(1 - s))": _diagonal(s),
        "x(1 - x) on the diagonal (s(1 - s) needs s = sigmoid(x))": _diagonal(x * (1 - x)),
        "a tensor with J[n, i, m, i] non-zero for every pair of rows n, m (rows of the "
        "batch do not interact: the entry needs n == m as well as i == j)": np.einsum(
            "ni,m,ij->nimj", d, np.ones(N), np.eye(M)
        ),
        "the right values in the wrong places (a column-major flatten? J[n, i, n, i] "
        "must hold s(1 - s) of x[n, i])": np.diag(d.ravel(order="F")).reshape(N, M, N, M),
    }
    fd = numerical_jacobian(lambda v: sigmoid_forward(v.reshape(N, M)).ravel(), x.ravel())
    return {"J": _diagonal(d), "mistakes": mistakes, "fd": fd.reshape(N, M, N, M)}


def jacobian_shape(case: Case) -> dict[str, Any]:
    """The shape and the count, and the wrong ones students give with what to say (lists
    of [value, hint]: the first that equals the answer is named)."""
    N, M = case.inputs["N"], case.inputs["M"]
    shape_hints = {
        (N * M, N * M): "that is the flattened (NM x NM) matrix; the course indexes dy/dx "
        "by (entry of y, entry of x), two axes each",
        (N, M): "that is the shape of x and y; the derivative has an axis for each axis "
        "of y and each axis of x",
        (N, M, M): "that is one M x M Jacobian per row; the full tensor also has an axis "
        "for the row of x",
    }
    count_hints = {
        N * M * N * M: "that counts every entry; y[n, i] depends on x[m, j] only when "
        "n == m and i == j",
        N * M * M: "that allows every pair (i, j) within a row; an element-wise layer "
        "never mixes columns either",
        M * M: "count over the whole batch, and remember that columns do not mix",
    }
    return {
        "shape": [N, M, N, M],
        "count": N * M,
        "shape_mistakes": [[list(k), v] for k, v in shape_hints.items()],
        "count_mistakes": [[k, v] for k, v in count_hints.items()],
    }


def mse(case: Case) -> dict[str, Any]:
    y, t = case.inputs["y"], case.inputs["t"]
    N, M = y.shape
    L, dL_dy = mse_loss(y, t)
    r = y - t
    L_mistakes = {
        "np.mean((y - t)**2), the mean over all N*M entries (this course averages over "
        "the batch only and sums over the M outputs)": float(np.mean(r * r)),
        "half the squared error (this course's L has no factor 1/2)": L / 2,
        "0.5 * np.sum((y - t)**2), half the sum over the batch (this course's L is the "
        "mean over the batch, with no factor 1/2: np.sum((y - t)**2) / N)": 0.5
        * float(np.sum(r * r)),
    }
    dL_mistakes = {
        "2 (y - t) / (N M), the gradient of a mean over all N*M entries (L averages "
        "over the batch only)": 2 * r / (N * M),
        "(y - t) / N (the 2 from differentiating the square is missing)": r / N,
        "2 (y - t) (the 1/N of the batch mean is missing)": 2 * r,
        "y - t, the gradient of 0.5 * np.sum((y - t)**2), half the sum over the batch "
        "(L is the mean over the batch with no 1/2: dL/dy = 2 (y - t) / N)": r,
    }

    def loss(y: Array) -> float:
        return mse_loss(y, t)[0]

    return {
        "L": L,
        "dL_dy": dL_dy,
        "L_mistakes": L_mistakes,
        "dL_mistakes": dL_mistakes,
        "fd": LossToRecord(loss, {"y": y}),
    }


def _capped_losses(scores: Array, labels: IntArray) -> dict[str, float]:
    """The loss with log(p + eps) for the usual eps, where it differs from the true loss
    (a label's probability that underflows to 0 caps that row's loss at -log(eps))."""
    N = scores.shape[0]
    p_label = softmax(scores)[np.arange(N), labels]
    L = softmax_cross_entropy(scores, labels)[0]
    out: dict[str, float] = {}
    for eps in LOG_EPS:
        capped = -float(np.mean(np.log(p_label + eps)))
        if abs(capped - L) > 1e-3 * abs(L):
            out[
                f"the loss computed as -log(p + eps) (or with p clipped at eps), eps = "
                f"{eps:.0e}: a label whose probability underflows to 0 then costs only "
                f"-log(eps) = {-math.log(eps):.3g}, far less than its true loss"
            ] = capped
    return out


def cross_entropy(case: Case) -> dict[str, Any]:
    scores, labels = case.inputs["scores"], case.inputs["labels"]
    N, C = scores.shape
    L, g = softmax_cross_entropy(scores, labels)
    p = softmax(scores)
    onehot = np.eye(C)[labels]
    wrong_rows = p.copy()
    wrong_rows[:, labels] -= 1
    with np.errstate(all="ignore"):
        by_column = scores - scores.max(axis=0)
        log_p_col = by_column - np.log(np.exp(by_column).sum(axis=1, keepdims=True))
        L_col = -float(np.mean(log_p_col[np.arange(N), labels]))
    L_mistakes = {
        "the loss with each column shifted by its max (the shift must be the same "
        "for a whole row, so use each row's max: scores.max(axis=1, keepdims=True))": L_col,
        **_capped_losses(scores, labels),
    }
    dL_mistakes = {
        "p / N (the one-hot of the labels is missing: dL/ds = (p - onehot) / N)": p / N,
        "p with 1 subtracted from whole columns (p[:, labels] -= 1 hits every row; "
        "index one entry per row with p[np.arange(N), labels])": wrong_rows / N,
        "(p - onehot) / (N C) (divide by the batch size only)": (p - onehot) / (N * C),
    }

    def loss(scores: Array) -> float:
        return softmax_cross_entropy(scores, labels)[0]

    return {
        "L": L,
        "dL_dscores": g,
        "L_mistakes": L_mistakes,
        "dL_mistakes": dL_mistakes,
        "fd": LossToRecord(loss, {"scores": scores}),
    }


def uniform(case: Case) -> dict[str, Any]:
    C = case.inputs["C"]
    L = math.log(C)
    mistakes = {
        "-log C (the loss is -log p, and p = 1/C, so L = -log(1/C) = +log C)": -L,
        "1/C (that is the probability of each class; the loss is -log of it)": 1 / C,
        "log2(C) (numpy's and the course's log is the natural log)": math.log2(C),
        "log10(C) (the course's log is the natural log)": math.log10(C),
        "log(C)/C (the batch mean divides by N, not by C)": L / C,
    }
    return {"L": L, "mistakes": mistakes}
