"""Lesson 01_jacobians's expected data: the reference's outputs for a case, the outputs of
the wrong derivations students write (by name: the diagnoses recognise them), and the
independent finite differences the judges check against. Plain data only; the judges (the
cards in ``backprop_kit.specs.l01_jacobians``) compare with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_kit.gradcheck import LossToRecord
from backprop_kit.harness import Probe
from backprop_kit.verdicts import Case
from backprop_ref._types import Array
from backprop_ref.derivatives import (
    chain_rule_jacobian,
    jacobian_softmax,
    jacobian_tanh,
    numerical_jacobian,
)
from backprop_ref.losses import softmax

# What the diagnosis says when a result matches a known wrong derivation.
FORWARD = (
    "the forward difference (f(x + h e_k) - f(x)) / h (use central differences, "
    "(f(x + h e_k) - f(x - h e_k)) / (2h): their error is O(h^2), not O(h))"
)
OVER_H = (
    "twice the central difference (divide by 2h, the distance between x - h e_k and "
    "x + h e_k, not by h)"
)
PRECEDENCE = (
    "(f(x + h e_k) - f(x - h e_k)) / 2 * h (Python reads / 2 * h as (/ 2) * h: write / (2 * h))"
)
TRANSPOSED = "the transpose of the Jacobian (one row per output, one column per input)"
TANH_NO_SQUARE = "diag(1 - tanh(x)) (the derivative of tanh is 1 - tanh(x)^2: square it)"
TANH_OF_X = "diag(1 - x^2) (the derivative is 1 - tanh(x)^2: square tanh(x), not x)"
TANH_FULL = (
    "1 - tanh(x_j)^2 in every entry of column j (y_i does not depend on x_j for j != i, "
    "so the entries off the diagonal are 0: use np.diag)"
)
TANH_SIGN = "diag(tanh(x)^2 - 1) (the sign is flipped)"
SOFTMAX_SIGN = "diag(p) + p p^T (the entries off the diagonal are -p_i p_j, with a minus sign)"
SOFTMAX_DIAG = (
    "diag(p (1 - p)) alone (z_j changes every p_i through the shared denominator, so the "
    "entries off the diagonal are -p_i p_j, not 0)"
)
SOFTMAX_DOT = (
    "diag(p) - (p . p) (p p^T is the outer product, an n x n matrix from np.outer, not "
    "the dot product)"
)
CHAIN_ORDER = (
    "jac_f(x0) @ jac_g(f(x0)), the product in the wrong order (the Jacobian of the "
    "function applied last goes on the left: dg/dy (k x m) . df/dx (m x n))"
)
CHAIN_AT_X0 = "jac_g(x0) @ jac_f(x0) (evaluate dg/dy where g is applied, at y0 = f(x0), not at x0)"
CHAIN_F_AT_Y0 = "jac_g(f(x0)) @ jac_f(f(x0)) (evaluate df/dx at x0)"
CHAIN_ELEMENTWISE = (
    "the element-wise product jac_g(f(x0)) * jac_f(x0) (the chain rule is a matrix product)"
)
VJP_NOT_TRANSPOSED = (
    "J @ dL_dy (dL/dx = dL/dy . dy/dx multiplies J by the row dL/dy from the left; with "
    "dL_dy stored as a vector that is J.T @ dL_dy)"
)
VJP_WRONG_AXIS = (
    "dL_dy * J.sum(axis=1), a sum over the wrong axis (dL_dx[k] = sum_i dL_dy[i] J[i, k] "
    "sums over i, down the columns of J)"
)
VJP_MEAN = "J.T @ dL_dy / m (nothing is averaged here)"


def _forward_difference(f: Any, x: Array, h: float) -> Array:
    f0 = np.asarray(f(x), dtype=float)
    cols = []
    for k in range(x.size):
        xp = x.astype(float)
        xp[k] += h
        cols.append((np.asarray(f(xp), dtype=float) - f0) / h)
    return np.stack(cols, axis=1)


def numerical(case: Case) -> dict[str, Any]:
    """Central differences at the case's step, and the exact Jacobian with the distance
    central differences at that step may keep from it (O(h^2))."""
    probe, x, h = case.inputs["f"], case.inputs["x"], float(case.inputs["h"])
    f = probe.resolve()
    truth = numerical_jacobian(f, x, h)
    m, n = truth.shape
    mistakes = {
        FORWARD: _forward_difference(f, x, h),
        OVER_H: 2 * truth,
        PRECEDENCE: truth * h * h,
    }
    if m == n:
        mistakes[TRANSPOSED] = truth.T
    exact = Probe("vjac", probe.name, probe.A).resolve()(x)
    atol = 1e-7 + 50 * h * h  # central differences are exact up to O(h^2)
    return {"J": truth, "mistakes": mistakes, "exact": exact, "atol": atol}


def tanh(case: Case) -> dict[str, Any]:
    x = case.inputs["x"]
    truth = jacobian_tanh(x)
    t, n = np.tanh(x), x.size
    mistakes = {
        TANH_NO_SQUARE: np.diag(1 - t),
        TANH_OF_X: np.diag(1 - x * x),
        TANH_FULL: np.ones((n, n)) * (1 - t * t),
        TANH_SIGN: -truth,
    }
    return {"J": truth, "mistakes": mistakes, "fd": numerical_jacobian(np.tanh, x)}


def _stable_softmax(v: Array) -> Array:
    return np.asarray(softmax(v[None, :])[0])


def softmax_jacobian(case: Case) -> dict[str, Any]:
    z = case.inputs["z"]
    p = _stable_softmax(z)
    mistakes = {
        SOFTMAX_SIGN: np.diag(p) + np.outer(p, p),
        SOFTMAX_DIAG: np.diag(p * (1 - p)),
        SOFTMAX_DOT: np.diag(p) - float(p @ p),
    }
    fd = numerical_jacobian(_stable_softmax, z)
    return {"J": jacobian_softmax(z), "mistakes": mistakes, "fd": fd}


def chain(case: Case) -> dict[str, Any]:
    x0, jac_g_probe = case.inputs["x0"], case.inputs["jac_g"]
    f, jac_f, jac_g = (case.inputs[k].resolve() for k in ("f", "jac_f", "jac_g"))
    g = Probe("vf", jac_g_probe.name, jac_g_probe.A).resolve()
    truth = chain_rule_jacobian(jac_g, jac_f, f, x0)
    y0 = f(x0)
    (k, n), m = truth.shape, y0.size
    Jg, Jf = jac_g(y0), jac_f(x0)
    mistakes: dict[str, Any] = {}
    if n == k:
        mistakes[CHAIN_ORDER] = Jf @ Jg
    if n == m:
        mistakes[CHAIN_AT_X0] = jac_g(x0) @ Jf
        mistakes[CHAIN_F_AT_Y0] = Jg @ jac_f(y0)
    if Jg.shape == Jf.shape:
        mistakes[CHAIN_ELEMENTWISE] = Jg * Jf
    fd = numerical_jacobian(lambda v: g(f(v)), x0)
    return {"J": truth, "m": m, "mistakes": mistakes, "fd": fd}


def chain_shapes(case: Case) -> dict[str, Any]:
    """The shapes of df/dx, dg/dy and d(g o f)/dx."""
    n, m, k = (case.inputs[v] for v in "nmk")
    return {"shapes": [[m, n], [k, m], [k, n]]}


def gradient_shapes(case: Case) -> dict[str, Any]:
    """The shapes of dL/dy in Jacobian layout and of the array dL_dy in code."""
    N, M = case.inputs["N"], case.inputs["M_out"]
    return {"shapes": [[M, N], [N, M]]}


def vjp(case: Case) -> dict[str, Any]:
    dL_dy, J = case.inputs["dL_dy"], case.inputs["J"]
    truth = J.T @ dL_dy
    m, n = J.shape
    mistakes = {VJP_MEAN: truth / m} if m > 1 else {}
    if m == n:
        mistakes[VJP_NOT_TRANSPOSED] = J @ dL_dy
        mistakes[VJP_WRONG_AXIS] = dL_dy * J.sum(axis=1)

    def loss(x: Any) -> float:  # y = J x and L = dL_dy . y, so dL/dx = J^T dL_dy
        return float(dL_dy @ (J @ x))

    x0 = np.random.default_rng(3).standard_normal(n)
    return {"dL_dx": truth, "mistakes": mistakes, "fd": LossToRecord(loss, {"x": x0})}
