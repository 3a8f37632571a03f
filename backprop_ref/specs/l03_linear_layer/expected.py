"""Lesson 03_linear_layer's expected data: the reference's outputs for a case, the outputs
of the wrong derivations students write (by name: the diagnoses recognise them), and the
finite differences the judges check against. Plain data only; the judges (the cards in
``backprop_kit.specs.l03_linear_layer``) compare with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_kit.gradcheck import LossToRecord
from backprop_kit.verdicts import Case
from backprop_ref.derivatives import (
    apply_jacobian,
    linear_jacobian_W,
    linear_jacobian_x,
    numerical_jacobian,
)
from backprop_ref.layers import linear_backward, linear_forward


def forward(case: Case) -> dict[str, Any]:
    x, W, b = (case.inputs[k] for k in ("x", "W", "b"))
    mistakes = {"x @ W without the bias b": x @ W, "x @ W - b (the bias subtracted)": x @ W - b}
    if W.shape[0] == W.shape[1]:
        mistakes["x @ W.T + b (W transposed)"] = x @ W.T + b
    if x.shape[0] == W.shape[1]:
        mistakes["b[:, None] added down the columns instead of along every row"] = (
            x @ W + b[:, None]
        )
        mistakes["W.T @ x.T + b (the column convention W x, not transposed back)"] = W.T @ x.T + b
    return {"y": linear_forward(x, W, b), "mistakes": mistakes}


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


def jacobian(wrt: str) -> Callable[[Case], dict[str, Any]]:
    def expect(case: Case) -> dict[str, Any]:
        x, W, b = (case.inputs[k] for k in ("x", "W", "b"))
        truth = linear_jacobian_W(x, W) if wrt == "W" else linear_jacobian_x(x, W)
        if wrt == "W":
            fd = _fd_tensor(lambda w: linear_forward(x, w, b), W, truth.shape[:2])
        else:
            fd = _fd_tensor(lambda v: linear_forward(v, W, b), x, truth.shape[:2])
        return {"J": truth, "mistakes": _jacobian_mistakes(wrt, x, W), "fd": fd}

    return expect


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


def contraction(case: Case) -> dict[str, Any]:
    """For ``contraction_subscripts``: what ``np.einsum`` with the right subscripts gives."""
    dL_dy, J = case.inputs["dL_dy"], case.inputs["J"]
    return {"dL_dv": apply_jacobian(dL_dy, J), "mistakes": _contraction_mistakes(dL_dy, J)}


def apply(case: Case) -> dict[str, Any]:
    dL_dy, J = case.inputs["dL_dy"], case.inputs["J"]

    # J is the derivative tensor of the linear map v -> y(v) = J . v (contracting v's axes),
    # so the contraction is the gradient of L(v) = sum(dL_dy * y(v)).
    def loss(v: Any) -> float:
        return float(np.sum(dL_dy * np.tensordot(J, v, axes=2)))

    return {**contraction(case), "fd": LossToRecord(loss, {"v": np.zeros(J.shape[2:])})}


def backward(case: Case) -> dict[str, Any]:
    x, W, b, dL_dy = (case.inputs[k] for k in ("x", "W", "b", "dL_dy"))
    dL_dx, dL_dW, dL_db = linear_backward(dL_dy, x, W)
    N, (M_in, M_out) = x.shape[0], W.shape
    mistakes: dict[str, dict[str, Any]] = {"dL_dx": {}, "dL_dW": {}, "dL_db": {}}
    if M_in == M_out:
        mistakes["dL_dx"]["dL_dy @ W (W not transposed)"] = dL_dy @ W
        mistakes["dL_dW"]["dL_dy.T @ x (the transposed product, shape M_out x M_in)"] = dL_dy.T @ x
    if N > 1:
        mistakes["dL_dW"][
            "x.T @ dL_dy / N, averaged over the batch: a 1/N belongs to the loss (if it "
            "averages) and is already inside dL_dy"
        ] = x.T @ dL_dy / N
        mistakes["dL_db"]["the mean over the batch instead of the sum"] = dL_dy.mean(axis=0)
    if N == M_out:
        mistakes["dL_db"]["dL_dy.sum(axis=1): a sum over the features instead of the batch"] = (
            dL_dy.sum(axis=1)
        )

    def loss(x: Any, W: Any, b: Any) -> float:
        return float(np.sum(dL_dy * linear_forward(x, W, b)))

    fd = LossToRecord(loss, {"x": x, "W": W, "b": b})
    return {"dL_dx": dL_dx, "dL_dW": dL_dW, "dL_db": dL_db, "mistakes": mistakes, "fd": fd}


def shapes(case: Case) -> dict[str, Any]:
    """For ``jacobian_shapes``: the shapes of dy/dW and dy/dx."""
    N, M_in, M_out = (case.inputs[k] for k in ("N", "M_in", "M_out"))
    return {"shapes": [[N, M_out, M_in, M_out], [N, M_out, N, M_in]]}
