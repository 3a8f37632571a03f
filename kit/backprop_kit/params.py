"""Initial parameters for the lessons' networks (not graded: a starting point)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from backprop_kit._types import Array


def init_mlp(sizes: Sequence[int], seed: int = 0) -> dict[str, Array]:
    """Parameters for an MLP with layer widths ``sizes = [M_0, M_1, ..., M_K]``.

    ``Wk ~ Normal(0, 2 / M_{k-1})`` (He initialisation, suited to ReLU) and ``bk = 0``,
    float64, from ``numpy.random.default_rng(seed)``; e.g. ``init_mlp([2, 64, 3])`` gives
    ``W1`` (2, 64), ``b1`` (64,), ``W2`` (64, 3), ``b2`` (3,).
    """
    if len(sizes) < 2:
        raise ValueError(f"sizes needs an input and an output width, got {list(sizes)}")
    rng = np.random.default_rng(seed)
    params: dict[str, Array] = {}
    for k, (M_in, M_out) in enumerate(itertools.pairwise(sizes), start=1):
        params[f"W{k}"] = rng.standard_normal((M_in, M_out)) * np.sqrt(2.0 / M_in)
        params[f"b{k}"] = np.zeros(M_out)
    return params
