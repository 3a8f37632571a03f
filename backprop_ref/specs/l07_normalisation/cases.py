"""The cases of lesson 07's graded functions: what each stage feeds them.

Every stage has features (N rows, D columns) of different scales and offsets, so that a
statistic taken over the wrong axis or a forgotten shift shows in the values. Beyond that:

* visible: ordinary batches, and a column (batch norm) or row (layer norm) of nearly equal
  values, whose variance (1e-6) is below eps = 1e-5: where eps decides the result, so
  epsilon outside the square root, or none, shows at once;
* hidden and verify add a batch of two rows, an exactly constant column or row, large
  offsets (1e4 plus noise of 1e-3: ``mean(x**2) - mean(x)**2`` loses every digit there),
  an eps other than 1e-5 that matters (a value hard-coded instead of the argument shows),
  a square batch (N == D: normalising over the wrong axis keeps the shape) and, for layer
  norm, a single row (N = 1).

The backward cases carry the cache of the reference forward pass (plain data, the layout
the lesson prescribes), so a backward is judged on its own and never through the student's
forward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_ref.normalisation import batchnorm_forward, layernorm_forward
from backprop_ref.specs.core import Case, Stage

Inputs = dict[str, Any]

# (N, D, kind, eps) per case; kind: "plain", "flat" (one nearly constant line), "constant"
# (one exactly constant line and one nearly constant), "offset" (1e4 + 1e-3 noise)
Plan = list[tuple[int, int, str, float]]

BATCH_PLANS: dict[str, Plan] = {
    "visible": [(4, 3, "plain", 1e-5), (6, 4, "flat", 1e-5)],
    "hidden": [
        (2, 3, "plain", 1e-5),
        (5, 4, "constant", 1e-4),
        (8, 3, "offset", 1e-9),
        (4, 4, "plain", 0.1),
    ],
}
LAYER_PLANS: dict[str, Plan] = {
    "visible": [(4, 5, "plain", 1e-5), (3, 6, "flat", 1e-5)],
    "hidden": [
        (1, 5, "plain", 1e-5),
        (4, 5, "constant", 1e-4),
        (3, 8, "offset", 1e-9),
        (4, 4, "plain", 0.1),
    ],
}


def _verify_plan(rng: np.random.Generator, fewest_rows: int) -> Plan:
    """Drawn at grading time, with every feature of the hidden stage in some case; the
    fewest rows that make sense (two for batch norm, one for layer norm) every time."""

    def size(lo: int, hi: int) -> int:
        return int(rng.integers(lo, hi + 1))

    M = size(3, 5)
    return [
        (size(3, 7), size(2, 6), "flat", 1e-5),
        (fewest_rows, size(2, 5), "plain", float(rng.choice([1e-5, 1e-3]))),
        (size(4, 7), size(3, 5), "constant", float(rng.uniform(1e-5, 1e-3))),
        (size(5, 9), size(2, 4), "offset", 1e-9),
        (M, M, "plain", float(rng.uniform(0.05, 0.5))),
    ]


def _features(rng: np.random.Generator, N: int, D: int, kind: str, axis: int) -> np.ndarray:
    """x of shape (N, D): a different offset and scale per line along ``axis`` (the axis
    the statistics run over: 0 for batch norm, where a line is a column)."""
    lines = D if axis == 0 else N
    shape = (1, D) if axis == 0 else (N, 1)
    offset = rng.uniform(-2, 2, lines).reshape(shape)
    scale = rng.uniform(0.5, 2, lines).reshape(shape)
    if kind == "offset":
        sign = rng.choice([-1.0, 1.0], lines).reshape(shape)
        offset, scale = sign * 1e4 * rng.uniform(1, 2, lines).reshape(shape), np.full(shape, 1e-3)
    x = offset + scale * rng.standard_normal((N, D))
    if kind in ("flat", "constant"):
        k = int(rng.integers(lines))
        near = 3.0 + 1e-3 * rng.standard_normal(N if axis == 0 else D)
        if axis == 0:
            x[:, k] = near
        else:
            x[k] = near
        if kind == "constant":
            j = (k + 1) % lines
            if axis == 0:
                x[:, j] = -1.5
            else:
                x[j] = -1.5
    return np.asarray(x)


def _note(N: int, D: int, kind: str, eps: float, line: str) -> str:
    words = {
        "plain": "",
        "flat": f", a {line} of nearly equal values (variance 1e-6)",
        "constant": f", a constant {line} and a nearly constant one",
        "offset": ", large offsets (1e4 + noise of 1e-3)",
    }[kind]
    return f"N={N}, D={D}, eps={eps:.3g}{words}"


def _layer_cases(rng: np.random.Generator, stage: Stage, axis: int) -> list[Case]:
    plans = BATCH_PLANS if axis == 0 else LAYER_PLANS
    plan = plans[stage] if stage in plans else _verify_plan(rng, 2 if axis == 0 else 1)
    line = "column" if axis == 0 else "row"
    cases = []
    for N, D, kind, eps in plan:
        x = _features(rng, N, D, kind, axis)
        gamma = rng.choice([-1.0, 1.0], D) * rng.uniform(0.5, 2, D)
        beta = rng.uniform(-1, 1, D)
        dL_dy = rng.standard_normal((N, D))
        inputs = {"x": x, "gamma": gamma, "beta": beta, "eps": eps, "dL_dy": dL_dy}
        cases.append(Case(inputs, _note(N, D, kind, eps, line)))
    return cases


def _with_cache(cases: list[Case], axis: int) -> list[Case]:
    """The backward's cases: dL_dy and the cache of the reference forward pass."""
    forward = batchnorm_forward if axis == 0 else layernorm_forward
    out = []
    for case in cases:
        x, gamma, beta, eps = (case.inputs[k] for k in ("x", "gamma", "beta", "eps"))
        _, cache = forward(x, gamma, beta, eps)
        out.append(Case({**case.inputs, "cache": cache}, case.note))
    return out


def batchnorm_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return _layer_cases(rng, stage, axis=0)


def batchnorm_backward_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return _with_cache(_layer_cases(rng, stage, axis=0), axis=0)


def layernorm_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return _layer_cases(rng, stage, axis=1)


def layernorm_backward_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    return _with_cache(_layer_cases(rng, stage, axis=1), axis=1)


# ------------------------------------------------------------------------- network

#: (N, M_0, H, C) per case.
NETWORK_SIZES: dict[str, list[tuple[int, int, int, int]]] = {
    "visible": [(6, 3, 5, 4), (5, 2, 3, 3)],
    "hidden": [(2, 3, 4, 3), (7, 4, 4, 4), (10, 5, 6, 2)],
}


def network_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """A small batch through affine -> batch norm -> ReLU -> affine -> softmax CE, with
    biases b1 that are not zero (a bias before batch norm still gets a zero gradient)."""
    if stage in NETWORK_SIZES:
        sizes = NETWORK_SIZES[stage]
    else:
        H = int(rng.integers(2, 6))
        sizes = [
            (int(rng.integers(2, 4)), int(rng.integers(2, 5)), int(rng.integers(2, 6)), 3),
            (int(rng.integers(4, 9)), int(rng.integers(2, 5)), H, H),
        ]
    cases = []
    for N, M0, H, C in sizes:
        x = 2.0 * rng.standard_normal((N, M0)) + rng.uniform(-1, 1, M0)
        labels = rng.integers(0, C, N)
        params = _network_params(rng, x, M0, H, C)
        inputs = {"x": x, "labels": labels, "params": params, "eps": 1e-5}
        cases.append(Case(inputs, f"N={N}, sizes M_0={M0}, H={H}, C={C}"))
    return cases


def _network_params(rng: np.random.Generator, x: np.ndarray, M0: int, H: int, C: int) -> Any:
    """Parameters under which the ReLU's mask matters (some a < 0) and differs from the
    mask of z (so a mask taken from the wrong array changes the gradients): drawn again,
    from the same generator, until both hold (in a few draws: the biases b1 make z mostly
    positive, while a = batchnorm(z) has both signs in every column)."""
    for _ in range(1000):
        params = {
            "W1": rng.standard_normal((M0, H)) / np.sqrt(M0),
            "b1": rng.uniform(1, 2, H),
            "gamma": rng.uniform(0.5, 1.5, H),
            "beta": 0.5 * rng.standard_normal(H),
            "W2": rng.standard_normal((H, C)) / np.sqrt(H),
            "b2": 0.5 * rng.standard_normal(C),
        }
        z = x @ params["W1"] + params["b1"]
        a = batchnorm_forward(z, params["gamma"], params["beta"], 1e-5)[0]
        if np.any(a < 0) and np.any((a > 0) != (z > 0)):
            return params
    raise RuntimeError("no network parameters with a ReLU mask that matters")
