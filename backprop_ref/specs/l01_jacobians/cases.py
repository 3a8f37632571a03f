"""Lesson 01_jacobians's cases: the inputs of each graded function, drawn from a seed.

The callables of the cases are :class:`~backprop_kit.harness.Probe` references: vector
functions ``R^n -> R^m`` built from a matrix ``A`` (kind ``"vf"``) and their exact Jacobians
(kind ``"vjac"``), so the cases stay plain data. ``numerical_jacobian`` gets the function
only (never its Jacobian), and each stage ends with a case of a large step, where central
differences and the exact Jacobian differ measurably: reading the exact Jacobian off the
function's matrix does not pass for finite differences.
"""

from __future__ import annotations

import numpy as np

from backprop_kit.harness import Probe
from backprop_kit.verdicts import Case
from backprop_ref._types import Array
from backprop_ref.specs.core import Stage

VECTOR_PROBES = ("tanh_affine", "sin_affine", "quadratic")
#: The steps of the cases that tell central differences from the exact Jacobian: their
#: truncation error, ~h^2/6 |f'''|, is 1e-3 or more of the entries, far above the 1e-6
#: the values stage allows, and far below a forward difference's ~h/2 |f''|.
LARGE_STEPS = (0.2, 0.25, 0.3)


def probe_pair(rng: np.random.Generator, name: str, m: int, n: int) -> tuple[Probe, Probe]:
    """A vector function R^n -> R^m (as data) and its exact Jacobian."""
    A = rng.standard_normal((m, n)) / np.sqrt(n)  # keeps A x of order 1 for any n
    return Probe("vf", name, A), Probe("vjac", name, A)


def _pick(rng: np.random.Generator) -> str:
    return VECTOR_PROBES[int(rng.integers(len(VECTOR_PROBES)))]


def numjac_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """(m, n, probe, h): non-square first, so a transposed result is a shape error; a large
    step in every stage, so forward differences (error O(h)) cannot pass for central ones;
    last, a step so large that the exact Jacobian cannot pass for central differences."""
    plan: list[tuple[int, int, str, float]]
    if stage == "visible":
        plan = [(3, 4, "tanh_affine", 1e-5), (2, 3, "sin_affine", 1e-3)]
    elif stage == "hidden":
        plan = [(4, 4, "quadratic", 1e-4), (1, 3, "tanh_affine", 1e-3), (5, 2, "sin_affine", 1e-5)]
    else:
        h2 = float(rng.choice([1e-5, 1e-4]))
        plan = [
            (int(rng.integers(1, 7)), int(rng.integers(1, 7)), _pick(rng), h) for h in (1e-3, h2)
        ]
        plan.append((3, 3, _pick(rng), 1e-3))
    cases = [_numjac_case(rng, m, n, name, h) for m, n, name, h in plan]
    # drawn after the others, so their inputs stay what they were
    m, n = (int(v) for v in rng.integers(2, 6, size=2))
    h = float(rng.choice(LARGE_STEPS))
    cases.append(_numjac_case(rng, m, n, ("tanh_affine", "sin_affine")[int(rng.integers(2))], h))
    return cases


def _numjac_case(rng: np.random.Generator, m: int, n: int, name: str, h: float) -> Case:
    f, _ = probe_pair(rng, name, m, n)
    x = rng.standard_normal(n)
    return Case({"f": f, "x": x, "h": h}, f"f: R^{n} -> R^{m} ({name}), h={h:g}")


def tanh_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        xs = [rng.standard_normal(4) * 1.5, rng.standard_normal(3)]
    elif stage == "hidden":
        big = rng.standard_normal(6) * 2
        big[[1, 4]] = [25.0, -30.0]  # saturated: tanh'(x) is 0 to machine precision
        xs = [rng.standard_normal(1), big, rng.standard_normal(5) * 0.5]
    else:
        xs = [rng.standard_normal(int(rng.integers(lo, 8))) * rng.uniform(0.3, 3) for lo in (2, 1)]
    return [Case({"x": x}, f"x of shape ({x.size},)") for x in xs]


def softmax_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """Small scores, and scores where exp overflows (two near 2000: exp(2000) = inf in
    float64) or underflows (all near -1500: the naive sum is 0); shifting by the mean fails
    too when the others stay near 0."""
    cases = []

    def add(z: Array, note: str) -> None:
        cases.append(Case({"z": z}, f"z of shape ({z.size},), {note}"))

    def large(n: int, sign: float) -> Array:
        z = rng.standard_normal(n)
        z[:2] += sign * 2000.0
        return z

    if stage == "visible":
        add(rng.standard_normal(4), "moderate scores")
        add(large(5, 1.0), "two scores near 2000")
    elif stage == "hidden":
        add(np.array([0.7]), "a single score")
        add(rng.standard_normal(6) * 3, "moderate scores")
        add(rng.standard_normal(4) - 1500.0, "all scores near -1500")
        add(large(6, 1.0), "two scores near 2000")
    else:
        n = int(rng.integers(2, 8))
        add(rng.standard_normal(n) * rng.uniform(0.5, 4), "moderate scores")
        add(large(int(rng.integers(4, 9)), 1.0), "two scores near 2000")
        add(rng.standard_normal(int(rng.integers(2, 6))) - 1500.0, "all scores near -1500")
    return cases


def chain_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """(n, m, k): a square case first (a wrong product order or evaluation point gives
    numbers, which the diagnosis can name), then rectangular ones."""
    sizes: list[tuple[int, int, int]]
    if stage == "visible":
        sizes = [(3, 3, 3), (4, 3, 2)]
    elif stage == "hidden":
        sizes = [(4, 4, 4), (2, 5, 3), (3, 1, 2)]
    else:
        s = int(rng.integers(2, 6))
        sizes = [(s, s, s)]
        for _ in "ab":
            n, m, k = (int(v) for v in rng.integers(1, 7, size=3))
            sizes.append((n, m, k))
    cases = []
    for i, (n, m, k) in enumerate(sizes):
        f_name, g_name = VECTOR_PROBES[i % 3], VECTOR_PROBES[(i + 1) % 3]
        f, jac_f = probe_pair(rng, f_name, m, n)
        _, jac_g = probe_pair(rng, g_name, k, m)
        x0 = rng.standard_normal(n)
        note = f"f: R^{n} -> R^{m} ({f_name}), g: R^{m} -> R^{k} ({g_name})"
        cases.append(Case({"jac_g": jac_g, "jac_f": jac_f, "f": f, "x0": x0}, note))
    return cases


def _distinct_sizes(rng: np.random.Generator, count: int) -> list[int]:
    return [int(v) for v in rng.choice(np.arange(2, 10), size=count, replace=False)]


def chain_shape_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """Sizes drawn from the seed in every stage (a derived result: constant cases could be
    answered by heart); the visible and hidden kinds each hold a size 1."""
    if stage == "visible":
        n, k = _distinct_sizes(rng, 2)
        sizes = [_distinct_sizes(rng, 3), [n, 1, k]]
    elif stage == "hidden":
        m, k = _distinct_sizes(rng, 2)
        sizes = [_distinct_sizes(rng, 3), [1, m, k]]
    else:
        sizes = [_distinct_sizes(rng, 3) for _ in "ab"]
    return [Case(dict(zip("nmk", s, strict=True)), "n={}, m={}, k={}".format(*s)) for s in sizes]


def gradient_shape_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """Sizes drawn from the seed in every stage; the hidden kind has a batch of one."""
    if stage == "visible":
        sizes = [_distinct_sizes(rng, 2) for _ in "ab"]
    elif stage == "hidden":
        sizes = [[1, _distinct_sizes(rng, 1)[0]], _distinct_sizes(rng, 2)]
    else:
        sizes = [_distinct_sizes(rng, 2) for _ in "ab"]
    return [Case({"N": N, "M_out": M}, f"N={N}, M_out={M}") for N, M in sizes]


def vjp_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """(m, n): square first (J @ dL_dy then gives numbers the diagnosis can name)."""
    if stage == "visible":
        sizes = [(4, 4), (3, 5)]
    elif stage == "hidden":
        sizes = [(3, 3), (1, 4), (5, 2)]
    else:
        s = int(rng.integers(2, 7))
        sizes = [(s, s), (int(rng.integers(1, 7)), int(rng.integers(1, 7)))]
    cases = []
    for m, n in sizes:
        dL_dy, J = rng.standard_normal(m), rng.standard_normal((m, n))
        cases.append(Case({"dL_dy": dL_dy, "J": J}, f"dL_dy of shape ({m},), J of shape {J.shape}"))
    return cases
