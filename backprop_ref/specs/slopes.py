"""Directional finite differences of a reference loss, precomputed for the judges.

The ``finite differences`` stage compares the student's gradient ``g`` with the slope of
the loss along a few seeded random unit directions ``u``: ``<g, u>`` against
``(L(p + h u) - L(p - h u)) / 2h``, computed here on the reference side with a tolerance
per direction (2e-5 of the reference gradient's norm, 1e-6 of the slope, and the round-off
of two evaluations of L divided by ``2h``); the judge only compares.

Shared by the lessons whose judges check gradients along directions (07, 08). Max pooling
(lesson 08) has kinks where a window's maximum is tied. A direction that moved a tied
entry would cross the kink (the two one-sided slopes differ), so ``support`` limits the
directions to the entries off ties: along them every window keeps its winner, the loss is
smooth, and the slope checks every gradient entry but those the tie rule decides (which
the values stage checks against the reference).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

EPS = float(np.finfo(np.float64).eps)
DIRECTIONS = 3


def directional_slopes(
    loss: Callable[..., float],
    at: Mapping[str, Any],
    grads: Mapping[str, Any],
    steps: Mapping[str, float],
    *,
    scale: float = 1.0,
    support: Mapping[str, Any] | None = None,
    branches: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Slopes of ``loss(**at)`` along ``DIRECTIONS`` unit directions per tensor in ``steps``.

    Parameters
    ----------
    loss : the reference loss, called with the tensors of ``at`` as keyword arguments
    at : the point
    grads : the reference gradients (for the tolerance, and a self-check)
    steps : the step ``h`` per tensor
    scale : the magnitude of the terms that make up L (for its round-off)
    support : optional boolean mask per tensor: the entries a direction may move
    branches : optional, same arguments as ``loss``; a direction whose branches differ
        between ``p + h u`` and ``p - h u`` crosses a kink and is drawn again

    Returns
    -------
    dict with ``directions``, ``slopes`` and ``tolerances``, each ``{name: [...]}``
    """
    point = {k: np.array(v, dtype=np.float64) for k, v in at.items()}
    out: dict[str, Any] = {"directions": {}, "slopes": {}, "tolerances": {}}
    for name, h in steps.items():
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        mask = np.ones(point[name].shape, dtype=bool)
        if support is not None and name in support:
            mask = np.asarray(support[name], dtype=bool)
        g = np.asarray(grads[name], dtype=np.float64)
        dirs: list[Any] = []
        slopes: list[float] = []
        tols: list[float] = []
        for _ in range(100 * DIRECTIONS if mask.any() else 0):
            if len(dirs) == DIRECTIONS:
                break
            u = np.where(mask, rng.standard_normal(mask.shape), 0.0)
            u /= np.linalg.norm(u)
            plus = {**point, name: point[name] + h * u}
            minus = {**point, name: point[name] - h * u}
            if branches is not None and not np.array_equal(branches(**plus), branches(**minus)):
                continue  # a kink between the two evaluations: this direction says nothing
            slope = (loss(**plus) - loss(**minus)) / (2 * h)
            tol = 2e-5 * float(np.linalg.norm(g)) + 1e-6 * abs(slope) + 100 * EPS * scale / h
            if abs(float(np.vdot(g, u)) - slope) > tol:  # the reference must pass its own test
                raise RuntimeError(f"reference gradient of {name} fails its own check")
            dirs.append(u)
            slopes.append(float(slope))
            tols.append(float(tol))
        out["directions"][name] = dirs
        out["slopes"][name] = slopes
        out["tolerances"][name] = tols
    return out
