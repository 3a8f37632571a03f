"""Lesson 04_activations_losses's cases: the inputs of each graded function, drawn from a seed.

Every stage has a case with N > 1 and M > 1 (a missing 1/N, a mean over all N*M entries or
a column-major flatten would go unnoticed otherwise); the hidden and verification cases
add square and single-row inputs. ReLU's cases hold a few entries exactly 0 (the
convention ReLU'(0) = 0), the others are off the kink by at least 0.1; the sigmoid's and
tanh's hidden and verification cases add a saturated row (x up to +-30); the
cross-entropy's cases in every stage hold scores as large as 1e4.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_kit.verdicts import Case
from backprop_ref._types import Array
from backprop_ref.specs.core import CasesFn, Stage


def _sizes(rng: np.random.Generator, stage: Stage) -> list[tuple[int, int]]:
    """(N, M) per case."""
    if stage == "visible":
        return [(4, 3), (2, 5)]
    if stage == "hidden":
        return [(3, 3), (1, 6), (5, 2)]
    drawn = [(int(rng.integers(2, 8)), int(rng.integers(2, 7))) for _ in range(2)]
    return [*drawn, (int(rng.integers(1, 4)), int(rng.integers(2, 9)))]


def _note(N: int, M: int, extra: str = "") -> str:
    return f"N={N}, M={M}" + (f", {extra}" if extra else "")


def activation_cases(kind: str) -> CasesFn:
    """Inputs ``x`` and upstream gradients ``dL_dy`` of the same shape."""

    def cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
        out = []
        for N, M in _sizes(rng, stage):
            z = rng.standard_normal((N, M))
            dL_dy = rng.standard_normal((N, M))
            if kind == "relu":
                # Off the kink by at least 0.1 (finite differences never cross it), then a
                # few entries exactly at the kink to test the convention ReLU'(0) = 0.
                x = np.sign(z) * (0.1 + 1.5 * np.abs(z))
                zeros = rng.choice(N * M, size=max(1, N * M // 4), replace=False)
                x.reshape(-1)[zeros] = 0.0
                note = _note(N, M, f"{zeros.size} entries of x exactly 0")
            else:
                x = 3.0 * z
                note = _note(N, M)
            out.append(Case({"dL_dy": dL_dy, "x": x}, note))
        if kind != "relu" and stage != "visible":  # saturation: far out on both tails
            x = np.array([[-30.0, -12.0, 0.0, 12.0, 30.0], [-8.0, -3.0, 0.5, 3.0, 8.0]])
            x = x * rng.uniform(0.9, 1.1, size=x.shape)
            dL_dy = rng.standard_normal(x.shape)
            out.append(Case({"dL_dy": dL_dy, "x": x}, "N=2, M=5, x up to +-30 (saturated)"))
        return out

    return cases


def jacobian_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return [
        Case({"x": 3.0 * rng.standard_normal((N, M))}, _note(N, M)) for N, M in _sizes(rng, stage)
    ]


def _two(rng: np.random.Generator, low: int, high: int) -> tuple[int, int]:
    """Two different sizes in ``[low, high]``."""
    N, M = (int(v) for v in rng.choice(np.arange(low, high + 1), 2, replace=False))
    return N, M


def size_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """(N, M) for ``elementwise_jacobian_shape``: drawn in every stage (the answer is a
    formula of the sizes, so fixed sizes could be answered by heart); visible: N != M,
    hidden: also a square and a single-row case; verification as the other functions."""
    if stage == "visible":
        sizes = [_two(rng, 2, 7), _two(rng, 2, 7)]
    elif stage == "hidden":
        M = int(rng.integers(2, 8))
        sizes = [_two(rng, 2, 9), (M, M), (1, int(rng.integers(2, 9)))]
    else:
        sizes = _sizes(rng, stage)
    return [Case({"N": N, "M": M}, _note(N, M)) for N, M in sizes]


def mse_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    out = []
    for N, M in _sizes(rng, stage):
        y = rng.standard_normal((N, M))
        t = y + rng.standard_normal((N, M))
        out.append(Case({"y": y, "t": t}, _note(N, M)))
    return out


def _huge_scores(rng: np.random.Generator, N: int, C: int) -> tuple[Array, Any]:
    """Scores as large as 1e4 that break every unstable formula: a row of huge spread whose
    label's score is at least 5000 below the row's max (its probability underflows to 0, so
    log(softmax) gives -inf), and rows offset by +-1e4 from each other (a shift by the
    global max underflows every entry of the low row, and exp without a shift overflows)."""
    scores = rng.standard_normal((N, C))
    labels = rng.integers(0, C, size=N)
    scores[0] *= 1e4
    others = np.delete(scores[0], labels[0])
    scores[0, labels[0]] = others.max() - 1e4 * rng.uniform(0.5, 1.5)  # p underflows to 0
    scores[1] += 1e4
    if N > 2:
        scores[2] -= 1e4
    return scores, labels


def ce_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        plain_sizes, huge_sizes = [(4, 3)], [(3, 5)]
    elif stage == "hidden":
        plain_sizes, huge_sizes = [(5, 4), (1, 2)], [(6, 10)]
    else:
        plain_sizes = [(int(rng.integers(2, 9)), int(rng.integers(2, 11)))]
        huge_sizes = [(int(rng.integers(3, 9)), int(rng.integers(2, 11)))]
    out = []
    for N, C in plain_sizes:
        scores = 2.0 * rng.standard_normal((N, C))
        labels = rng.integers(0, C, size=N)
        out.append(Case({"scores": scores, "labels": labels}, f"N={N}, C={C}"))
    for N, C in huge_sizes:
        huge, huge_labels = _huge_scores(rng, N, C)
        note = f"N={N}, C={C}, scores as large as 1e4"
        out.append(Case({"scores": huge, "labels": huge_labels}, note))
    return out


def class_counts(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """C for ``uniform_scores_loss``: drawn in every stage (a formula of C, so fixed
    counts could be answered by heart); a few classes, some, and many."""
    if stage == "visible":
        counts = [int(rng.integers(2, 4)), int(rng.integers(4, 12)), int(rng.integers(12, 100))]
    elif stage == "hidden":
        counts = [
            int(rng.integers(4, 10)),
            int(rng.integers(10, 100)),
            int(rng.integers(500, 2000)),
        ]
    else:
        counts = [int(c) for c in rng.integers(2, 500, size=3)]
    return [Case({"C": C}, f"C={C}") for C in counts]
