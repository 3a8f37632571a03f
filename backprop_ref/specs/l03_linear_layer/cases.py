"""Lesson 03_linear_layer's cases: the inputs of each graded function, drawn from a seed.

Sizes are chosen so that mistakes show: the visible cases have three different sizes (a
transpose is a shape error there, the message says so), the hidden and verification cases
add square layers (``M_in == M_out``, where a transpose keeps the shape and only the values
give it away) and single-row batches.
"""

from __future__ import annotations

import numpy as np

from backprop_kit.verdicts import Case
from backprop_ref.specs.core import Stage

Sizes = tuple[int, int, int]  # (N, M_in, M_out)


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


def layer_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    cases = []
    for N, M_in, M_out in _sizes(rng, stage):
        x = rng.standard_normal((N, M_in))
        W = rng.standard_normal((M_in, M_out))
        b = rng.standard_normal(M_out)
        dL_dy = rng.standard_normal((N, M_out))
        note = f"N={N}, M_in={M_in}, M_out={M_out}"
        cases.append(Case({"x": x, "W": W, "b": b, "dL_dy": dL_dy}, note))
    return cases


def contraction_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
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


def size_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return [
        Case({"N": N, "M_in": M_in, "M_out": M_out}, f"N={N}, M_in={M_in}, M_out={M_out}")
        for N, M_in, M_out in _shape_sizes(rng, stage)
    ]
