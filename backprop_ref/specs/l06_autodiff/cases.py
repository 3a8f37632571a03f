"""Lesson 06_autodiff: the cases of each graded function, for the visible tests, the hidden
tests and the grader's verification (drawn at grading time from a secret seed).

What each stage shows (so that a mistake the visible tests miss has somewhere to show):

* ``topological_order``: see :mod:`.graph_cases`.
* ``add_backward``: visible shapes broadcast along leading axes or size-1 axes (not both),
  hidden and verification shapes do both at once, with two leading axes.
* ``mean_backward``: visible arrays are 1-D or 2-D with non-negative axes; hidden and
  verification ones are 3-D, with negative axes and square shapes.
* ``cross_entropy_backward``: visible scores are small and every class appears; hidden and
  verification ones add scores near 1000 and batches without the last class.
* ``fan_out_gradient`` / ``engine_gradients``: visible labels hold every class; hidden and
  verification cases add N = 1, batches without the last class, square layers, deeper
  networks and (for the network) a zero input row with zero biases: units exactly on the
  ReLU kink, where ReLU'(0) = 0.
"""

from __future__ import annotations

import itertools

import numpy as np

from backprop_ref.specs.core import Case, Stage

# ----------------------------------------------------------------------- add_backward


def _derived(rng: np.random.Generator, full: tuple[int, ...], lead: int) -> tuple[int, ...]:
    """A shape that broadcasts to ``full``: ``lead`` leading axes dropped, one axis set to 1."""
    rest = list(full[lead:])
    if rest:
        rest[int(rng.integers(len(rest)))] = 1
    return tuple(rest)


Shape = tuple[int, ...]


def add_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    pairs: list[tuple[Shape, Shape]]
    if stage == "visible":
        pairs = [((4, 3), (3,)), ((4, 1), (4, 3)), ((2, 3), ()), ((3, 2), (3, 2))]
    elif stage == "hidden":
        pairs = [((2, 3, 4), (3, 1)), ((1, 3), (4, 1)), ((4,), (2, 3, 4)), ((1, 1), (2, 3))]
    else:
        pairs = []
        for lead in (1, 2):  # leading axes prepended and an axis stretched, at once
            full = tuple(int(m) for m in rng.integers(2, 5, size=3))
            small = _derived(rng, full, lead)
            pairs.append((full, small) if rng.random() < 0.5 else (small, full))
        two_d = tuple(int(m) for m in rng.integers(2, 6, size=2))
        pairs.append(((two_d[0], 1), (1, two_d[1])))
    cases = []
    for x_shape, y_shape in pairs:
        z_shape = np.broadcast_shapes(x_shape, y_shape)
        dL_dz = rng.standard_normal(z_shape)
        note = f"x of shape {x_shape} + y of shape {y_shape}"
        cases.append(
            Case({"dL_dz": dL_dz, "x_shape": list(x_shape), "y_shape": list(y_shape)}, note)
        )
    return cases


# -------------------------------------------------------------------- matmul_backward


def _three(values: np.ndarray) -> tuple[int, int, int]:
    a, b, c = (int(v) for v in values)
    return a, b, c


def matmul_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    sizes: list[tuple[int, int, int]]
    if stage == "visible":
        sizes = [(4, 3, 2), (2, 5, 3)]
    elif stage == "hidden":
        sizes = [(3, 3, 3), (1, 4, 2), (5, 2, 6)]
    else:
        M = int(rng.integers(2, 6))
        distinct = _three(rng.choice(np.arange(2, 8), 3, replace=False))
        single = (1, int(rng.integers(2, 6)), int(rng.integers(2, 6)))  # N = 1
        sizes = [distinct, (int(rng.integers(2, 6)), M, M), single]
    cases = []
    for N, M_in, M_out in sizes:
        inputs = {
            "dL_dz": rng.standard_normal((N, M_out)),
            "x": rng.standard_normal((N, M_in)),
            "W": rng.standard_normal((M_in, M_out)),
        }
        cases.append(Case(inputs, f"x of shape {(N, M_in)} @ W of shape {(M_in, M_out)}"))
    return cases


# ---------------------------------------------------------------------- mean_backward


def mean_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        chosen = [((4, 3), None), ((4, 3), 0), ((2, 5), 1), ((6,), 0)]
    elif stage == "hidden":
        chosen = [((2, 3, 4), 2), ((2, 3, 4), -1), ((3, 3), 1), ((1, 4), 0), ((2, 3, 4), None)]
    else:
        shape = tuple(int(m) for m in rng.integers(2, 5, size=3))
        M = int(rng.integers(2, 6))
        chosen = [
            (shape, int(rng.choice([-1, -2]))),  # a negative axis, counted from the end
            (shape, int(rng.integers(0, 3))),
            ((M, M), 1),
            (shape[:2], None),
        ]
    cases = []
    for x_shape, axis in chosen:
        m_shape = () if axis is None else np.delete(np.array(x_shape), axis).tolist()
        dL_dm = float(rng.standard_normal()) if axis is None else rng.standard_normal(m_shape)
        note = f"x of shape {x_shape}, m = x.mean(axis={axis})"
        cases.append(Case({"dL_dm": dL_dm, "x_shape": list(x_shape), "axis": axis}, note))
    return cases


# ------------------------------------------------------------- cross_entropy_backward


def _labels(rng: np.random.Generator, N: int, C: int, every_class: bool) -> np.ndarray:
    if every_class:  # each class at least once (N >= C): the last class is always there
        return rng.permutation(np.concatenate([np.arange(C), rng.integers(0, C, N - C)]))
    return rng.integers(0, C - 1, size=N)  # never the last class


def cross_entropy_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    # (N, C, dL_dL, offset of the scores, every class present)
    if stage == "visible":
        chosen = [(4, 3, 1.0, 0.0, True), (5, 4, 0.5, 0.0, True), (3, 2, -2.0, 0.0, True)]
    elif stage == "hidden":
        chosen = [(4, 3, 1.0, 1000.0, True), (1, 3, 1.0, 0.0, False), (6, 5, 3.0, 0.0, False)]
    else:
        C = int(rng.integers(2, 6))
        chosen = [
            (int(rng.integers(C, 8)), C, float(rng.uniform(0.2, 3)), 800.0, True),
            (int(rng.integers(1, 6)), C, float(rng.uniform(-3, -0.2)), 0.0, False),
        ]
    cases = []
    for N, C, dL_dL, offset, every in chosen:
        scores = rng.standard_normal((N, C)) + offset
        labels = _labels(rng, N, C, every)
        note = f"N={N}, C={C}, dL_dL={dL_dL:g}" + (f", scores near {offset:g}" if offset else "")
        if not every:
            note += ", the last class absent from labels"
        cases.append(Case({"dL_dL": dL_dL, "scores": scores, "labels": labels}, note))
    return cases


# ------------------------------------------------------------ the engine's functions


def _off_kinks(rng: np.random.Generator, x: np.ndarray, sizes: list[int]) -> dict[str, np.ndarray]:
    """Parameters (scale 1/sqrt(M_in), biases N(0, 0.5)) with every hidden pre-activation at
    least 1e-3 from 0, so that finite differences never straddle a kink."""
    while True:
        params: dict[str, np.ndarray] = {}
        for k, (M_in, M_out) in enumerate(itertools.pairwise(sizes), start=1):
            params[f"W{k}"] = rng.standard_normal((M_in, M_out)) / np.sqrt(M_in)
            params[f"b{k}"] = 0.5 * rng.standard_normal(M_out)
        h, near = x, False
        for k in range(1, len(sizes) - 1):
            z = h @ params[f"W{k}"] + params[f"b{k}"]
            near = near or bool(np.min(np.abs(z)) < 1e-3)
            h = np.maximum(z, 0)
        if not near:
            return params


def fan_out_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    sizes: list[tuple[int, int, int]]
    if stage == "visible":
        sizes = [(5, 3, 4), (3, 2, 3)]
    elif stage == "hidden":
        sizes = [(1, 4, 3), (5, 4, 4), (6, 2, 5)]
    else:
        M = int(rng.integers(2, 6))
        sizes = [_three(rng.integers(1, 6, size=3)), (M, M, M)]
    cases = []
    for k, (N, M, H) in enumerate(sizes):
        H = max(H, 2)
        x = rng.standard_normal((N, M))
        params = _off_kinks(rng, x, [M, H, H])
        params["W2"] = params["W2"] * 0.8  # a residual branch (a skip carries the rest)
        every = stage == "visible" or (k > 0 and N >= H)
        labels = _labels(rng, N, H, every)
        note = f"N={N}, x of width {M}, h and y of width {H}"
        if not every:
            note += ", the last class absent from labels"
        cases.append(Case({"x": x, "params": params, "labels": labels}, note))
    return cases


def engine_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    # (N, sizes, kink): kink puts an all-zero input row and zero first-layer biases in
    if stage == "visible":
        chosen = [(4, [3, 5, 2], False), (3, [4, 3], False), (5, [3, 4, 6, 3], False)]
    elif stage == "hidden":
        chosen = [(1, [4, 6, 3], False), (5, [2, 3, 3, 3, 4], False), (4, [3, 5, 2], True)]
    else:
        chosen = [
            (int(rng.integers(1, 6)), [int(m) for m in rng.integers(2, 7, size=K + 1)], False)
            for K in (1, 2, 3)
        ]
        chosen.append((int(rng.integers(3, 6)), [int(m) for m in rng.integers(2, 6, 3)], True))
    cases: list[Case] = []
    for N, sizes, kink in chosen:
        x = rng.standard_normal((N, sizes[0]))
        if kink:
            x[1] = 0.0
            params = _off_kinks(rng, x[[0, 2]], sizes)
            params["b1"] = np.zeros(sizes[1])
        else:
            params = _off_kinks(rng, x, sizes)
        every = stage == "visible" or (not kink and N >= sizes[-1] and len(cases) > 0)
        labels = _labels(rng, N, sizes[-1], every)
        note = f"N={N}, layer widths {sizes} (K={len(sizes) - 1})"
        if not every:
            note += ", the last class absent from labels"
        if kink:
            note += ", input row 1 all zeros and b1 = 0: units exactly on the ReLU kink"
        cases.append(Case({"x": x, "params": params, "labels": labels}, note))
    return cases
