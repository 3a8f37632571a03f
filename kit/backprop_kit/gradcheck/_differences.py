"""What the checker needs of finite differences: tolerances, random directions, and a floored
error between two arrays. Private on purpose.

The student kit does not hand out the lessons' exercises: ``numerical_gradient``,
``rel_error`` and friends are graded in lessons 01-02, so this module offers none of them
under their names or signatures. The checker itself differentiates along random
directions only (:mod:`backprop_kit.gradcheck.localise`), and compares arrays with
:func:`_worst_floored_error` (keyword-only ``floor``), which diagnoses need.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from backprop_kit._types import Array

EPS = float(np.finfo(np.float64).eps)
#: Safety factor on the round-off of one evaluation of f, ``eps * (|L| + 1)``: on MLPs the
#: measured gaps stay below ``eps * (|L| + 1) / h`` (see tests/test_gradcheck_check.py).
NOISE_FACTOR = 10.0
#: Share of ``||g||`` always allowed in a directional gap (truncation, ~h^2 f^(3) / 6).
GRAD_SLACK = 1e-10
#: Entries below FLOOR * the arrays' largest magnitude are compared on that scale.
FLOOR = 1e-3


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


def _worst_floored_error(a: ArrayLike, b: ArrayLike, *, floor: float) -> float:
    """``max |a - b| / max(|a|, |b|, floor * max(max|a|, max|b|))`` over the entries of two
    arrays of one shape: 0.0 when both are all zero, ``inf`` for a NaN or an unmatched inf."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ, {x.shape} and {y.shape}")
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
    denom = np.maximum(np.maximum(np.abs(x), np.abs(y)), floor * scale)
    diff = np.abs(x - y)
    ratio = np.divide(diff, denom, out=np.zeros_like(diff), where=denom > 0)
    return float(np.max(ratio))
