"""Finite differences and how to compare their results.

Central differences ``(f(x + h e) - f(x - h e)) / 2h`` have error
``(h^2 / 6) f''' + eps |f| / h``, smallest near ``h = 1e-5`` in float64. Everything here
computes in float64, whatever the dtype it is given, and works on private copies: the
caller's arrays are never written to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from backprop_ref._types import Array

EPS = float(np.finfo(np.float64).eps)
#: Safety factor on the round-off of one evaluation of f, ``eps * (|L| + 1)``: on MLPs the
#: measured gaps stay below ``eps * (|L| + 1) / h`` (see tests/test_gradcheck_check.py).
NOISE_FACTOR = 10.0
#: Share of ``||g||`` always allowed in a directional gap (truncation, ~h^2 f^(3) / 6).
GRAD_SLACK = 1e-10


def numerical_gradient(f: Callable[[Array], float], x: ArrayLike, h: float = 1e-5) -> Array:
    """Central-difference gradient of a scalar function, entry by entry.

    Parameters
    ----------
    f : callable taking an ndarray of the shape of ``x`` and returning a number
    x : array_like of any shape
        The point. It is copied to a private float64 array, so ``x`` is unchanged even
        when ``f`` raises.
    h : float
        Step size; 1e-5 balances truncation and round-off in float64.

    Returns
    -------
    grad : ndarray of the shape of ``x``, float64
        ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / 2h``.
    """
    xp = np.array(x, dtype=np.float64)  # private, C-contiguous: reshape(-1) is a view
    flat = xp.reshape(-1)
    grad = np.empty_like(flat)
    for i in range(flat.size):
        saved = flat[i]
        try:
            flat[i] = saved + h
            f_plus = float(f(xp))
            flat[i] = saved - h
            f_minus = float(f(xp))
        finally:
            flat[i] = saved  # restore exactly, not by subtracting h
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(xp.shape)


def rel_error(a: ArrayLike, b: ArrayLike, floor: float = 1e-3) -> float:
    """Largest floored relative error between two arrays of the same shape.

    ``max_i |a_i - b_i| / max(|a_i|, |b_i|, floor * max(max|a|, max|b|))``: relative for
    large entries, absolute (relative to the array's scale) for entries near zero, where a
    plain relative error is meaningless.

    Parameters
    ----------
    a, b : array_like of the same shape
    floor : float
        Share of the largest magnitude below which entries are compared absolutely.

    Returns
    -------
    float
        0.0 when both arrays are all zero (or empty); ``inf`` when a NaN appears or an
        entry is infinite in one array and not equal in the other.

    Raises
    ------
    ValueError
        If the shapes differ (the message names both).
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error: shapes differ, {x.shape} and {y.shape}")
    if x.size == 0:
        return 0.0
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.all():
        same = (x == y)[~finite]  # equal infinities agree; NaN never equals anything
        if not same.all():
            return float("inf")
        x, y = x[finite], y[finite]
    scale = max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0)))
    if scale == 0.0:
        return 0.0
    denom = np.maximum(np.maximum(np.abs(x), np.abs(y)), floor * scale)  # > 0 unless floor = 0
    diff = np.abs(x - y)
    ratio = np.divide(diff, denom, out=np.zeros_like(diff), where=denom > 0)
    return float(np.max(ratio))


def noise_level(loss: float, h: float, eps: float = EPS) -> float:
    """Round-off allowance for a central difference of step ``h`` at a loss value ``loss``.

    One evaluation of f is trusted to ``NOISE_FACTOR * eps * (|L| + 1)``; the difference of
    two divided by ``2h`` is trusted to that over ``h``. ``eps``: of the dtype f computes in.
    """
    return NOISE_FACTOR * eps * (abs(loss) + 1.0) / h


def unit_direction(rng: np.random.Generator, shape: tuple[int, ...]) -> Array:
    """A random unit vector of ``shape``: Gaussian entries, normalised (uniform on the sphere)."""
    u = rng.standard_normal(shape)
    norm = float(np.linalg.norm(u))
    return u / norm if norm > 0 else np.ones(shape) / np.sqrt(max(u.size, 1))


@dataclass(frozen=True)
class DirectionalResult:
    """Outcome of :func:`directional_check`.

    Attributes
    ----------
    passed : every direction's gap is within its threshold
    ratio : worst ``gap / threshold`` over the directions (<= 1 means passed)
    gaps : per direction, ``|<g, u> - (f(x + hu) - f(x - hu)) / 2h|``
    thresholds : per direction, ``noise_level(L, h) + GRAD_SLACK ||g||``
    evaluations : number of f evaluations used (``1 + 2 * directions``)
    """

    passed: bool
    ratio: float
    gaps: tuple[float, ...]
    thresholds: tuple[float, ...]
    evaluations: int


def directional_check(
    f: Callable[[Array], float],
    x: ArrayLike,
    grad: ArrayLike,
    *,
    directions: int = 5,
    h: float = 1e-5,
    seed: int = 0,
) -> DirectionalResult:
    """Compare ``grad`` with f along a few random unit directions; never forms a Jacobian.

    For each direction ``u``, the directional derivative ``<grad, u>`` is compared with
    ``(f(x + hu) - f(x - hu)) / 2h``. A wrong entry shows in every direction that has a
    component along it, so a handful of directions catch a single wrong entry among
    thousands, at ``1 + 2 * directions`` evaluations of f. No kink handling: see
    :func:`~backprop_ref.gradcheck.check_gradient` for that.

    Parameters
    ----------
    f : callable taking an ndarray of the shape of ``x`` and returning a number
    x, grad : array_like of the same shape (copied to float64; never modified)
    directions : number of random directions
    h : step size
    seed : seeds the directions (deterministic for a given seed)

    Returns
    -------
    DirectionalResult
    """
    xp = np.array(x, dtype=np.float64)
    g = np.array(grad, dtype=np.float64)
    if g.shape != xp.shape:
        raise ValueError(f"directional_check: grad has shape {g.shape}, x has {xp.shape}")
    rng = np.random.default_rng(seed)
    loss = float(f(xp.copy()))
    slack = noise_level(loss, h) + GRAD_SLACK * float(np.linalg.norm(g))
    gaps = []
    for _ in range(directions):
        u = unit_direction(rng, xp.shape)
        slope = (float(f(xp + h * u)) - float(f(xp - h * u))) / (2 * h)
        gaps.append(abs(float(np.vdot(g, u)) - slope))
    ratio = max(gaps, default=0.0) / slack
    return DirectionalResult(
        passed=bool(ratio <= 1.0),
        ratio=ratio,
        gaps=tuple(gaps),
        thresholds=(slack,) * directions,
        evaluations=1 + 2 * directions,
    )
