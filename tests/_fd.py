"""A tiny finite-difference oracle for the tests (independent of backprop_ref.gradcheck)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def fd_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every entry of ``x``.

    ``x`` is perturbed in place (and restored), so ``f`` may read it through a closure or a
    model that holds it. Returns a float64 array of the shape of ``x``.
    """
    g = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f()
        x[idx] = old - h
        f_minus = f()
        x[idx] = old
        g[idx] = (f_plus - f_minus) / (2 * h)
    return g


def crossed_kinks(branches: Callable[[], np.ndarray], x: np.ndarray, h: float = 1e-6) -> Any:
    """Boolean array, shape of ``x``: entries whose +-h perturbation changes ``branches()``."""
    crossed = np.zeros(x.shape, dtype=bool)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        b_plus = branches()
        x[idx] = old - h
        b_minus = branches()
        x[idx] = old
        crossed[idx] = not np.array_equal(b_plus, b_minus)
    return crossed


def contract(y: np.ndarray, dL_dy: np.ndarray) -> float:
    """The scalar ``L = sum(dL_dy * y)``, whose gradient through a layer is its backward."""
    return float(np.sum(dL_dy * y))


def assert_close(
    actual: Any, expected: Any, what: str, rtol: float = 1e-6, atol: float = 1e-8
) -> None:
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)
