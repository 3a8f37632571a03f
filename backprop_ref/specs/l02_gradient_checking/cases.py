"""Lesson 02_gradient_checking's cases: the inputs of each graded function, drawn from a seed.

The scalar test functions are :class:`~backprop_kit.harness.Probe` references (their names
in ``PROBE_TEXT``). ``numerical_gradient`` has a case with the step 1e-2 in every stage:
there central differences and the exact gradient differ by ~h^2/6 |f'''| (about 1e-4), far
more than the check allows, so the exact gradient (which a function could look up from
the probe it is given) does not pass for finite differences.
"""

from __future__ import annotations

import math

import numpy as np

from backprop_kit.harness import Probe
from backprop_kit.verdicts import Case
from backprop_ref.specs.core import Stage

#: The scalar probes, as the case notes describe them to students.
PROBE_TEXT = {
    "poly": "f(x) = sum(x**3 / 3 + sin(2x))",
    "logsumexp": "f(x) = log(sum(exp(x)))",
    "softplus_sum": "f(x) = sum_i i * log(1 + exp(x_i))",
    "poly_one_wrong": "f(x) = sum(x**3 / 3 + sin(2x))",
}


def random_shape(rng: np.random.Generator, min_size: int) -> tuple[int, ...]:
    while True:
        shape = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4))))
        if math.prod(shape) >= min_size:
            return shape


def rel_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        a1 = rng.standard_normal((2, 3))
        a3 = rng.standard_normal(4)
        b3 = a3.copy()
        b3[1] += 0.3 * abs(a3[1]) + 0.1  # one entry wrong, b larger than a
        a4 = 1e-4 * rng.standard_normal((3, 2))
        return [
            Case(
                {"a": a1, "b": a1 * (1 + 1e-6 * rng.standard_normal(a1.shape))},
                "two nearly equal arrays of shape (2, 3)",
            ),
            Case(
                {
                    "a": np.array([2.0, -1.5, 1e-9, 0.7, -0.3]),
                    "b": np.array([2.0 + 2e-8, -1.5, -3e-9, 0.7, -0.3 - 1e-9]),
                },
                "a = [2, -1.5, 1e-9, 0.7, -0.3] and b = [2 + 2e-8, -1.5, -3e-9, 0.7, -0.3 - 1e-9]",
            ),
            Case({"a": a3, "b": b3}, "b differs from a in one entry"),
            Case(
                {"a": a4, "b": a4 * (1 + 1e-3 * rng.standard_normal(a4.shape))},
                "arrays of size about 1e-4",
            ),
            Case({"a": np.zeros(3), "b": np.zeros(3)}, "a and b both all zero"),
        ]
    if stage == "hidden":
        a1 = 1e3 * rng.standard_normal((2, 2, 3))
        b1 = a1 * (1 + 1e-7 * rng.standard_normal(a1.shape))
        a1[0, 0, 0], b1[0, 0, 0] = 1e-6, -2e-6
        a2 = rng.standard_normal(5)
        a3 = rng.standard_normal((3, 3))
        a6 = 1e-3 * rng.standard_normal((2, 3))
        b6 = a6.copy()
        b6[1, 2] -= 0.2 * abs(a6[1, 2])
        return [
            Case({"a": a1, "b": b1}, "arrays of size about 1e3 with one tiny entry"),
            Case({"a": a2, "b": 2 * a2}, "b = 2 a"),
            Case({"a": a3, "b": -a3}, "b = -a"),
            Case({"a": np.array([3.0]), "b": np.array([3.0000003])}, "arrays of one entry"),
            Case({"a": np.zeros((2, 2)), "b": np.zeros((2, 2))}, "a and b both all zero"),
            Case({"a": np.zeros(4), "b": rng.standard_normal(4)}, "a all zero, b not"),
            Case({"a": a6, "b": b6}, "arrays of size about 1e-3, b smaller in one entry"),
        ]
    cases = []
    # the second scale is below the floor of a mistaken absolute floor (1e-3)
    for scale in (10 ** rng.uniform(-1, 3), 10 ** rng.uniform(-5, -4)):
        shape = random_shape(rng, min_size=4)
        a = scale * rng.standard_normal(shape)
        b = a * (1 + 10 ** rng.uniform(-8, -4) * rng.standard_normal(shape))
        k0, k1 = rng.choice(a.size, size=2, replace=False)
        a.flat[k0], b.flat[k0] = scale * 1e-9, -scale * 2e-9  # both zero on this scale
        b.flat[k1] = a.flat[k1] + abs(a.flat[k1]) * rng.uniform(0.05, 0.5)  # b > a here
        cases.append(Case({"a": a, "b": b}, f"arrays of shape {shape}, size about {scale:.0e}"))
    z = np.zeros(random_shape(rng, min_size=1))
    cases.append(Case({"a": z, "b": z.copy()}, "a and b both all zero"))
    a = rng.standard_normal(random_shape(rng, min_size=2))
    c = float(rng.choice([2.0, -1.0, 0.5, 3.0]))
    cases.append(Case({"a": a, "b": c * a}, f"b = {c:g} a"))
    return cases


def _ng_case(rng: np.random.Generator, probe: str, shape: tuple[int, ...], h: float) -> Case:
    x = rng.standard_normal(shape)
    return Case(
        {"f": Probe("f", probe), "x": x, "h": h, "x_default": x.copy()},
        f"{PROBE_TEXT[probe]}, x of shape {shape}, h = {h:g} and the default h",
    )


def ng_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        specs = [("poly", (3,), 1e-5), ("softplus_sum", (2, 3), 1e-5), ("poly", (2, 2), 1e-2)]
    elif stage == "hidden":
        specs = [
            ("logsumexp", (2, 3, 2), 1e-5),
            ("poly", (4, 1), 1e-3),
            ("softplus_sum", (1,), 1e-4),
            ("poly", (3,), 1e-2),
        ]
    else:
        probes = ("poly", "logsumexp", "softplus_sum")
        specs = [
            (str(rng.choice(probes)), random_shape(rng, 2), float(rng.choice([1e-4, 1e-3]))),
            ("poly", (int(rng.integers(1, 4)), int(rng.integers(2, 4))), 1e-2),
            (str(rng.choice(probes)), random_shape(rng, 3), 1e-5),
        ]
    return [_ng_case(rng, p, s, h) for p, s, h in specs]


def _gc_case(rng: np.random.Generator, probe: str, n: int, scale: float, note: str) -> Case:
    x = rng.standard_normal(n)
    inputs = {
        "f": Probe("f", probe),
        "grad_f": Probe("grad", probe, scale=scale),
        "x": x,
    }
    return Case(inputs, f"{PROBE_TEXT[probe]}, x of shape ({n},), {note}")


def gc_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    ok = "grad_f correct"
    if stage == "visible":
        specs = [
            ("poly", 5, 1.0, ok),
            ("logsumexp", 4, 2.0, "grad_f twice too large"),
            ("poly_one_wrong", 6, 1.0, "grad_f wrong in one entry"),
        ]
    elif stage == "hidden":
        specs = [
            ("softplus_sum", 4, 1.0, ok),
            ("softplus_sum", 3, -1.0, "grad_f of the wrong sign"),
            ("poly_one_wrong", 7, 1.0, "grad_f wrong in one entry"),
            ("logsumexp", 5, 1.001, "grad_f 0.1% too large"),
            ("poly", 1, 1.0, ok),
        ]
    else:
        probes = ("poly", "logsumexp", "softplus_sum")
        s = float(rng.choice([2.0, 0.5, -1.0, 1.01, 3.0]))
        specs = [
            (str(rng.choice(probes)), int(rng.integers(2, 8)), 1.0, ok),
            ("poly_one_wrong", int(rng.integers(3, 9)), 1.0, "grad_f wrong in one entry"),
            (str(rng.choice(probes)), int(rng.integers(2, 8)), s, f"grad_f scaled by {s:g}"),
        ]
    return [_gc_case(rng, p, n, s, note) for p, n, s, note in specs]


def _magnitude(rng: np.random.Generator, low: float, high: float) -> float:
    """A size between 10**low and 10**high, with three significant digits (as the notes
    print it)."""
    return float(f"{10 ** rng.uniform(low, high):.3g}")


def step_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """(eps, |f|, |f'''|). A derived result: the sizes are drawn from the seed in every
    stage, so answers learnt by heart from the visible cases fail verification."""
    eps64, eps32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
    if stage == "visible":  # float64 and float32, sizes near 1
        triples = [
            (eps64, _magnitude(rng, -0.5, 0.5), _magnitude(rng, -0.5, 0.5)),
            (eps32, _magnitude(rng, -0.5, 0.5), _magnitude(rng, -0.5, 0.5)),
        ]
    elif stage == "hidden":  # a large |f| with a flat f''', a custom eps, a curved f
        triples = [
            (eps64, _magnitude(rng, 1.5, 2.5), _magnitude(rng, -1.5, -0.5)),
            (_magnitude(rng, -11, -9), _magnitude(rng, 0, 0.5), _magnitude(rng, 1.5, 2)),
            (eps32, _magnitude(rng, -0.2, 0.2), _magnitude(rng, 0.7, 1)),
        ]
    else:
        triples = [
            (
                float(rng.choice([eps64, eps32, 10 ** rng.uniform(-14, -8)])),
                float(10 ** rng.uniform(-2, 3)),
                float(10 ** rng.uniform(-2, 3)),
            )
            for _ in range(3)
        ]
    return [
        Case({"eps": e, "f_abs": f, "f3_abs": t}, f"eps = {e:.3g}, |f| = {f:.3g}, |f'''| = {t:.3g}")
        for e, f, t in triples
    ]
