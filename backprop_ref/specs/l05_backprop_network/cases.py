"""Lesson 05_backprop_network's cases: the inputs of each graded function, drawn from a seed.

Every stage has networks with K = 1, K = 2 and K >= 3, so code that hard-codes two layers
fails each of them; the hidden and verification cases add a single example (N = 1) and
equal hidden widths (where a transpose or a mask taken from the wrong layer runs without a
shape error and only the values show it). ``mlp_backward``'s cases carry the cache of the
reference forward pass (the lesson's layout), so it is judged on its own, whatever the
student's ``mlp_forward`` does; ``cache_size``'s carry a network of the case's widths, for
the student's ``mlp_forward`` to show what it caches.
"""

from __future__ import annotations

import itertools

import numpy as np

from backprop_kit.verdicts import Case
from backprop_ref.mlp import mlp_forward
from backprop_ref.specs.core import Stage

Params = dict[str, np.ndarray]


def _network_sizes(rng: np.random.Generator, stage: Stage) -> list[tuple[int, list[int]]]:
    """(N, [M_0, ..., M_K]) per case."""
    if stage == "visible":
        return [(4, [3, 5, 2]), (3, [4, 2]), (2, [3, 4, 6, 2])]
    if stage == "hidden":
        return [(5, [2, 3, 3, 3]), (1, [4, 6, 3]), (3, [6, 2]), (3, [5, 4, 4, 7, 2])]
    cases: list[tuple[int, list[int]]] = []
    for K in (1, 2, 3):
        N = int(rng.integers(1, 6))
        cases.append((N, [int(m) for m in rng.integers(2, 7, size=K + 1)]))
    M = int(rng.integers(2, 6))
    cases.append((int(rng.integers(2, 6)), [int(rng.integers(2, 6)), M, M, M]))
    return cases


def _params(rng: np.random.Generator, sizes: list[int]) -> Params:
    """Random weights of scale 1/sqrt(M_in) and non-zero biases (no unit sits on a kink)."""
    params: Params = {}
    for k, (M_in, M_out) in enumerate(itertools.pairwise(sizes), start=1):
        params[f"W{k}"] = rng.standard_normal((M_in, M_out)) / np.sqrt(M_in)
        params[f"b{k}"] = 0.5 * rng.standard_normal(M_out)
    return params


def _note(N: int, sizes: list[int]) -> str:
    return f"N={N}, layer widths {sizes} (K={len(sizes) - 1})"


def network_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    cases = []
    for N, sizes in _network_sizes(rng, stage):
        x = rng.standard_normal((N, sizes[0]))
        params = _params(rng, sizes)
        dL_dscores = rng.standard_normal((N, sizes[-1]))
        inputs = {"x": x, "params": params, "dL_dscores": dL_dscores}
        cases.append(Case(inputs, _note(N, sizes)))
    return cases


def backward_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """The network cases with the reference forward pass's cache (``x``, ``z``, ``W``)."""
    out = []
    for case in network_cases(rng, stage):
        _, cache = mlp_forward(case.inputs["x"], case.inputs["params"])
        out.append(Case({**case.inputs, "cache": cache}, case.note))
    return out


def sgd_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """Parameters of a network, gradients of the same shapes and a learning rate that is
    never 1. The last case of each stage lists the gradients in another key order than the
    parameters: a step must pair them by name, not by position."""
    sizes = {"visible": [[3, 4, 2], [2, 3]], "hidden": [[4, 3, 3, 2], [5, 1]]}
    lrs = {"visible": [0.1, 0.5], "hidden": [0.05, 0.3]}
    if stage == "verify":
        shapes = [[int(m) for m in rng.integers(1, 6, size=K + 1)] for K in (1, 2, 3)]
        rates = [float(r) for r in rng.uniform(0.01, 0.9, size=3)]
    else:
        shapes, rates = sizes[stage], lrs[stage]
    cases = []
    for i, (widths, lr) in enumerate(zip(shapes, rates, strict=True)):
        params = _params(rng, widths)
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        note = f"K={len(widths) - 1}, lr={lr:.3g}"
        if i == len(shapes) - 1:
            grads = dict(reversed(list(grads.items())))
            note += ", grads listed in another key order than params"
        cases.append(Case({"params": params, "grads": grads, "lr": lr}, note))
    return cases


def _widths(rng: np.random.Generator, K: int, low: int, high: int) -> list[int]:
    return [int(m) for m in rng.integers(low, high + 1, size=K + 1)]


def size_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """Widths and a batch size for ``cache_size``, drawn in every stage (the answer is a
    formula of them, so fixed sizes could be answered by heart), with a network of those
    widths and a batch ``x`` for the student's ``mlp_forward``. Visible: K = 2, 1, 3;
    hidden: a wide network with a large batch, a single example, K = 4."""
    if stage == "visible":
        chosen = [(_widths(rng, K, 2, 9), int(rng.integers(2, 13))) for K in (2, 1, 3)]
    elif stage == "hidden":
        M = int(rng.integers(32, 65))
        chosen = [
            ([int(rng.integers(2, 5)), M, M, int(rng.integers(2, 5))], int(rng.integers(100, 301))),
            (_widths(rng, 1, 1, 9), 1),
            (_widths(rng, 4, 2, 9), int(rng.integers(2, 10))),
        ]
    else:
        chosen = [(_widths(rng, K, 1, 39), int(rng.integers(2, 500))) for K in (1, 2, 3, 4)]
    cases = []
    for sizes, N in chosen:
        inputs = {"sizes": sizes, "N": N, "x": rng.standard_normal((N, sizes[0]))}
        inputs["params"] = _params(rng, sizes)
        cases.append(Case(inputs, f"sizes={sizes}, N={N}"))
    return cases
