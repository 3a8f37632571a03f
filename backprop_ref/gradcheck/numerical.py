"""The lesson 01-02 answers on finite differences: ``numerical_gradient``, ``rel_error``
(graded exercises, so they live here and not in the student kit), and ``directional_check``.

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

from backprop_kit.gradcheck._differences import (
    GRAD_SLACK,
    _worst_floored_error,
    noise_level,
    unit_direction,
)
from backprop_ref._types import Array


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
    return _worst_floored_error(x, y, floor=floor)


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
