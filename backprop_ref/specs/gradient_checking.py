"""Lesson 02_gradient_checking: finite differences done right.

Graded functions (names and signatures fixed): ``rel_error(a, b)`` (the floored relative
error, exactly :func:`backprop_ref.gradcheck.rel_error` with its default floor),
``numerical_gradient(f, x, h=1e-5)`` (central differences, any shape, ``x`` unchanged),
``gradient_check(f, grad_f, x)`` (``rel_error`` of ``grad_f(x)`` and the numerical
gradient); and one derived result: ``optimal_step(eps, f_abs, f3_abs)``, the step that
minimises the error model ``h^2/6 |f'''| + eps |f| / h`` of a central difference.

``gradient_check`` is graded on its own mistakes only: it passes when it returns what the
student's own ``rel_error`` says about ``grad_f(x)`` and the student's own
``numerical_gradient(f, x)`` (or the reference value), so a bug in those two costs their
points, not these twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from backprop_kit.harness import Outcome, Probe, Step
from backprop_ref.gradcheck import numerical_gradient, rel_error
from backprop_ref.specs.core import Case, Finding, Spec, Stage, Stop
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

#: Agreement asked of numbers computed by the same formula in another way (round-off only).
RTOL = 1e-9
#: Agreement asked of a numerical gradient with the reference one at the same step: far
#: below the error of a forward difference (~h f'' / 2) or of another step, far above
#: round-off (~eps |f| / h).
NG_TOL = 1e-8
#: The default step of numerical_gradient (its signature is fixed: h=1e-5).
DEFAULT_H = 1e-5

# ------------------------------------------------------------------------ shared helpers


def _number(value: Any, fn: str, what: str) -> float:
    """The ``returns`` stage for a function that returns one real number."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        if value is None:
            got = "None (did you forget the return statement?)"
        elif isinstance(value, bool):
            got = f"the boolean {value}: return the number itself, not a verdict about it"
        elif isinstance(value, np.ndarray):
            got = f"an array of shape {value.shape}"
        else:
            got = f"a {type(value).__name__}"
        raise Stop(Finding("returns", False, f"{fn} must return {what} (a float); got {got}."))
    return float(value)


def _close(a: float, b: float, rtol: float = RTOL, atol: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + atol


# ------------------------------------------------------------------------------ rel_error


def _rel_error_mistakes(a: np.ndarray, b: np.ndarray) -> dict[str, tuple[float, str]]:
    """Values of the usual wrong formulas, each with what to do about it."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = np.abs(a - b)
    big = np.maximum(np.abs(a), np.abs(b))
    scale = float(big.max(initial=0.0))
    with np.errstate(all="ignore"):
        floored = np.maximum(big, 1e-3 * scale)
        out = {
            "no floor": (
                float(np.max(diff / big, initial=0.0)),
                "that is the relative error without the floor: an entry where a and b are both "
                "tiny (say 1e-9 and -3e-9, zero on the scale of the arrays) counts as a huge "
                "error. Divide by max(|a|, |b|, 1e-3 * scale), scale = the largest |entry| of "
                "a and b.",
            ),
            "absolute floor": (
                float(np.max(diff / np.maximum(big, 1e-3), initial=0.0)),
                "the floor must scale with the arrays: 1e-3 times the largest |entry| of a and "
                "b, not the number 1e-3 (gradients of 1e-4 or 1e3 are just as valid).",
            ),
            "sum in the denominator": (
                float(np.max(diff / np.maximum(np.abs(a) + np.abs(b), 1e-3 * scale), initial=0.0)),
                "that divides by |a| + |b|; the course's error divides by the larger of the two, "
                "max(|a|, |b|, floor), so that b = 2a gives 0.5 and b = -a gives 2.",
            ),
            "mean over entries": (
                float(np.mean(diff / floored)) if a.size else 0.0,
                "that is the mean over the entries; take the largest (np.max): one wrong entry "
                "among thousands must not be averaged away.",
            ),
            "signed difference": (
                float(np.max((a - b) / floored, initial=0.0)),
                "the difference needs an absolute value, |a - b|: an entry where b is larger "
                "than a is just as wrong.",
            ),
            "norm-wise": (
                float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b))),
                "that is a norm-wise error ||a - b|| / max(||a||, ||b||): it waters down a "
                "wrong entry. Compare entry by entry and take the largest.",
            ),
        }
    return out


def _rel_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
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
        shape = _random_shape(rng, min_size=4)
        a = scale * rng.standard_normal(shape)
        b = a * (1 + 10 ** rng.uniform(-8, -4) * rng.standard_normal(shape))
        k0, k1 = rng.choice(a.size, size=2, replace=False)
        a.flat[k0], b.flat[k0] = scale * 1e-9, -scale * 2e-9  # both zero on this scale
        b.flat[k1] = a.flat[k1] + abs(a.flat[k1]) * rng.uniform(0.05, 0.5)  # b > a here
        cases.append(Case({"a": a, "b": b}, f"arrays of shape {shape}, size about {scale:.0e}"))
    z = np.zeros(_random_shape(rng, min_size=1))
    cases.append(Case({"a": z, "b": z.copy()}, "a and b both all zero"))
    a = rng.standard_normal(_random_shape(rng, min_size=2))
    c = float(rng.choice([2.0, -1.0, 0.5, 3.0]))
    cases.append(Case({"a": a, "b": c * a}, f"b = {c:g} a"))
    return cases


def _random_shape(rng: np.random.Generator, min_size: int) -> tuple[int, ...]:
    while True:
        shape = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4))))
        if math.prod(shape) >= min_size:
            return shape


def _judge_rel_error(case: Case, outcome: Outcome) -> Iterator[Finding]:
    a, b = case.inputs["a"], case.inputs["b"]
    got = _number(outcome.values["result"], "rel_error", "one number, the largest error")
    yield Finding("returns", True)
    truth = rel_error(a, b)
    if _close(got, truth, atol=1e-300):
        yield Finding("values", True)
        return
    lead = f"rel_error(a, b) returned {got:.6g}; the floored relative error is {truth:.6g}"
    if truth == 0.0 and math.isnan(got):
        why = (
            "when a and b are both all zero, the scale and every denominator are 0 and 0/0 "
            "is nan: return 0.0 in that case (two zero gradients agree perfectly)."
        )
        raise Stop(Finding("values", False, f"{lead}: {why}"))
    for value, why in _rel_error_mistakes(a, b).values():
        if _close(got, value, rtol=1e-6):
            raise Stop(Finding("values", False, f"{lead}: {why}"))
    why = (
        "compute max over entries of |a - b| / max(|a|, |b|, 1e-3 * s), where s is the "
        "largest |entry| of a and b."
    )
    raise Stop(Finding("values", False, f"{lead}: {why}"))


# --------------------------------------------------------------------- numerical_gradient


#: The scalar probes, as the case notes describe them to students.
PROBE_TEXT = {
    "poly": "f(x) = sum(x**3 / 3 + sin(2x))",
    "logsumexp": "f(x) = log(sum(exp(x)))",
    "softplus_sum": "f(x) = sum_i i * log(1 + exp(x_i))",
    "poly_one_wrong": "f(x) = sum(x**3 / 3 + sin(2x))",
}


def _probe_f(name: str) -> Callable[[np.ndarray], float]:
    return Probe("f", name).resolve()


def _ng_case(rng: np.random.Generator, probe: str, shape: tuple[int, ...], h: float) -> Case:
    x = rng.standard_normal(shape)
    return Case(
        {"f": Probe("f", probe), "x": x, "h": h, "x_default": x.copy()},
        f"{PROBE_TEXT[probe]}, x of shape {shape}, h = {h:g} and the default h",
    )


def _ng_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
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
            (str(rng.choice(probes)), _random_shape(rng, 2), float(rng.choice([1e-4, 1e-3]))),
            ("poly", (int(rng.integers(1, 4)), int(rng.integers(2, 4))), 1e-2),
            (str(rng.choice(probes)), _random_shape(rng, 3), 1e-5),
        ]
    return [_ng_case(rng, p, s, h) for p, s, h in specs]


def _one_sided(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """The forward difference (f(x + h e_i) - f(x)) / h, entry by entry."""
    fx = f(x.copy())
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        xp = x.copy()
        xp[idx] += h
        out[idx] = (f(xp) - fx) / h
    return out


def _ng_mistakes(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float,
    truth: np.ndarray,
    default: bool = False,
) -> dict[str, np.ndarray]:
    forward = _one_sided(f, x, h)
    out = {
        "a forward difference (f(x + h e_i) - f(x)) / h: its error is about (h/2) |f''|, "
        "far larger than the (h^2/6) |f'''| of the central difference "
        "(f(x + h e_i) - f(x - h e_i)) / (2h)": forward,
        "a backward difference (f(x) - f(x - h e_i)) / h: use the central difference "
        "(f(x + h e_i) - f(x - h e_i)) / (2h)": 2 * truth - forward,
        "(f(x + h e_i) - f(x - h e_i)) / h: it is twice the slope; the two points are 2h "
        "apart, so divide by 2h": 2 * truth,
        "the slope divided by 2 once too often: the two points are 2h apart, divide by 2h "
        "once": truth / 2,
    }
    for step in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7):
        if step != h:
            fix = "keep the default of the signature, h=1e-5" if default else "use the argument h"
            out[f"central differences with the step {step:g} instead of h = {h:g}: {fix}"] = (
                numerical_gradient(f, x, step)
            )
    out[
        "central differences computed in float32: with eps = 1.2e-7, float32 loses almost "
        "every digit of f(x + h) - f(x - h); keep float64"
    ] = numerical_gradient(lambda v: float(f(np.asarray(v, dtype=np.float32).astype(float))), x, h)
    return out


def _restored_message(x: np.ndarray, after: Any) -> str | None:
    """What to say about the caller's ``x`` after the call (None if it is unchanged)."""
    if (
        isinstance(after, np.ndarray)
        and after.shape == x.shape
        and after.dtype == x.dtype
        and np.array_equal(after, x)
    ):
        return None
    if not isinstance(after, np.ndarray) or after.shape != x.shape:
        return "numerical_gradient replaced or reshaped the caller's x: leave x as it was."
    gap = float(np.max(np.abs(after - x)))
    idx = np.unravel_index(int(np.argmax(np.abs(after - x))), x.shape)
    where = (
        f"entry {tuple(int(i) for i in idx)} went from {float(x[idx])!r} to {float(after[idx])!r}"
    )
    if gap <= 1e-12 * max(1.0, float(np.max(np.abs(x)))):
        return (
            f"numerical_gradient changed the caller's x by a rounding error ({where}): "
            "adding h and then subtracting it does not always give back the same float. "
            "Save each entry before you perturb it and put the saved value back, or "
            "perturb a copy of x."
        )
    return (
        f"numerical_gradient changed the caller's x ({where}): put every perturbed entry "
        "back to its saved value, or perturb a copy of x. Code that checks a gradient "
        "must never move the point it checks."
    )


def _judge_numerical_gradient(case: Case, outcome: Outcome) -> Iterator[Finding]:
    probe, x, h = case.inputs["f"], case.inputs["x"], float(case.inputs["h"])
    calls = [
        (outcome.values["result"], outcome.values["x"], h, f"h = {h:g}"),
        (
            outcome.values["result_default"],
            outcome.values["x_default"],
            DEFAULT_H,
            "the default step (numerical_gradient(f, x) without h)",
        ),
    ]
    for got, _, _, _ in calls:
        if not isinstance(got, np.ndarray) or got.ndim == 0:
            raise Stop(Finding("returns", False, _not_an_array(got)))
    yield Finding("returns", True)
    for got, _, _, _ in calls:
        if got.shape != x.shape:
            hint = (
                " (the same numbers, flattened: reshape them to x.shape, or fill an array "
                "made with np.zeros_like(x))"
                if got.size == x.size
                else ""
            )
            msg = (
                f"numerical_gradient returned shape {got.shape} for x of shape {x.shape}: "
                f"a gradient has the shape of its variable{hint}."
            )
            raise Stop(Finding("shapes", False, msg))
    yield Finding("shapes", True)
    for _, after, _, _ in calls:
        moved = _restored_message(x, after)
        if moved is not None:
            raise Stop(Finding("values", False, moved))
    f = _probe_f(probe.name)
    for got, _, step, label in calls:
        truth = numerical_gradient(f, x, step)
        err = rel_error(got, truth)
        if err > NG_TOL:
            raise Stop(Finding("values", False, _ng_diagnosis(f, x, step, label, got, truth)))
    yield Finding("values", True)


def _not_an_array(got: Any) -> str:
    head = "numerical_gradient must return an array of the shape of x, one slope per entry of x"
    if got is None:
        return f"{head}; got None (did you forget the return statement?)."
    if isinstance(got, int | float | np.ndarray) and not isinstance(got, bool):
        return (
            f"{head}; got a single number, {float(got):.6g}. Perturbing every entry at once "
            "gives the slope along the all-ones direction, not the gradient: perturb one "
            "entry at a time."
        )
    return f"{head}; got a {type(got).__name__}."


def _ng_diagnosis(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float,
    label: str,
    got: np.ndarray,
    truth: np.ndarray,
) -> str:
    err = rel_error(got, truth)
    lead = f"with {label}, numerical_gradient differs from central differences (error {err:.2g})"
    mistakes = _ng_mistakes(f, x, h, truth, default=label.startswith("the default"))
    best = min(((rel_error(got, v), d) for d, v in mistakes.items()), key=lambda t: t[0])
    if best[0] <= 1e-6:
        return f"{lead}: it matches {best[1]}."
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(got - truth))), x.shape))
    msg = (
        f"{lead}; worst at entry {idx}: yours {got[idx]:.6g}, expected {truth[idx]:.6g}. "
        "Entry i of the gradient is (f(x + h e_i) - f(x - h e_i)) / (2h), with e_i the "
        "array that is 1 at entry i and 0 elsewhere."
    )
    if got.dtype != np.float64:
        msg += (
            f" Your result is {got.dtype}: compute in float64 (eps = 2.2e-16); float32 "
            "(eps = 1.2e-7) loses most digits of f(x + h) - f(x - h)."
        )
    return msg


# ------------------------------------------------------------------------- gradient_check


def _gc_case(rng: np.random.Generator, probe: str, n: int, scale: float, note: str) -> Case:
    x = rng.standard_normal(n)
    analytic = Probe("grad", probe, scale=scale).resolve()(x.copy())
    inputs = {
        "f": Probe("f", probe),
        "grad_f": Probe("grad", probe, scale=scale),
        "x": x,
        "x_ng": x.copy(),
        "analytic": np.asarray(analytic),
    }
    return Case(inputs, f"{PROBE_TEXT[probe]}, x of shape ({n},), {note}")


def _gc_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
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


def _same_data(a: Any, b: Any) -> bool:
    """``a`` and ``b`` are the same plain data up to round-off (for answers that are not a
    number because the student's own ``rel_error`` does not return one)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-8, equal_nan=True))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_data(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return _close(float(a), float(b), rtol=1e-6, atol=1e-8)
    return type(a) is type(b) and a == b


def _judge_gradient_check(case: Case, outcome: Outcome) -> Iterator[Finding]:
    got = outcome.values["result"]
    own = [outcome.values["own_ab"], outcome.values["own_ba"]]
    if any(_same_data(got, o) for o in own):  # consistent with the student's own helpers
        yield Finding("returns", True)
        yield Finding("values", True)
        return
    value = _number(got, "gradient_check", "the relative error")
    yield Finding("returns", True)
    f = _probe_f(case.inputs["f"].name)
    analytic, x = case.inputs["analytic"], case.inputs["x"]
    truth = rel_error(analytic, numerical_gradient(f, x))
    if _close(value, truth, rtol=1e-6, atol=1e-8):
        yield Finding("values", True)
        return
    lead = (
        f"gradient_check returned {value:.6g}, but rel_error(grad_f(x), "
        f"numerical_gradient(f, x)) is {truth:.6g}"
    )
    for mistake, (wrong, fix) in _rel_error_mistakes(analytic, numerical_gradient(f, x)).items():
        if _close(value, wrong, rtol=1e-6, atol=1e-8):
            raise Stop(
                Finding(
                    "values",
                    False,
                    f"{lead} ({mistake}): {fix} Simplest: "
                    "return rel_error(grad_f(x), numerical_gradient(f, x)).",
                )
            )
    num = numerical_gradient(f, x)
    if _close(value, float(np.max(np.abs(analytic - num))), rtol=1e-6, atol=1e-8):
        why = (
            "that is the absolute error max |a - b|: it depends on the size of the "
            "gradient. Return the relative error, rel_error(grad_f(x), "
            "numerical_gradient(f, x))."
        )
        raise Stop(Finding("values", False, f"{lead}: {why}"))
    why = (
        "compute the analytic gradient grad_f(x), the numerical gradient "
        "numerical_gradient(f, x) (default step), and return rel_error of the two."
    )
    raise Stop(Finding("values", False, f"{lead}: {why}"))


# --------------------------------------------------------------------------- optimal_step


def _optimal_step(eps: float, f_abs: float, f3_abs: float) -> float:
    return float((3 * eps * f_abs / f3_abs) ** (1 / 3))


def _step_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    eps64, eps32 = float(np.finfo(np.float64).eps), float(np.finfo(np.float32).eps)
    if stage == "visible":
        triples = [(eps64, 1.0, 1.0), (eps32, 0.84, 0.54)]
    elif stage == "hidden":
        triples = [(eps64, 100.0, 0.1), (1e-10, 2.0, 50.0), (eps32, 1.0, 8.0)]
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


def _judge_optimal_step(case: Case, outcome: Outcome) -> Iterator[Finding]:
    eps, F, M = (float(case.inputs[k]) for k in ("eps", "f_abs", "f3_abs"))
    got = _number(outcome.values["result"], "optimal_step", "the step h*")
    yield Finding("returns", True)
    truth = _optimal_step(eps, F, M)
    if _close(got, truth, rtol=1e-9):
        yield Finding("values", True)
        return
    lead = f"optimal_step returned {got:.6g}; the minimum of the error model is at {truth:.6g}"
    mistakes = {
        "(eps |f| / |f'''|)^(1/3): the factor 3 is missing. Differentiate h^2/6 |f'''| + "
        "eps |f| / h, set the derivative to zero and solve for h^3": (eps * F / M) ** (1 / 3),
        "(6 eps |f| / |f'''|)^(1/3): that is where the two error terms are equal, not where "
        "their sum is smallest. Set the derivative of the sum to zero": (6 * eps * F / M)
        ** (1 / 3),
        "a square root: that is the shape of the forward-difference optimum. For central "
        "differences the truncation term is ~h^2, so h^3 appears": (3 * eps * F / M) ** 0.5,
        "(3 eps |f'''| / |f|)^(1/3): the ratio is upside down. A larger |f'''| (more "
        "curvature) calls for a smaller step": (3 * eps * M / F) ** (1 / 3),
        "3 eps |f| / |f'''| / 3: in Python, x ** 1/3 means (x ** 1) / 3. Write "
        "x ** (1 / 3) or np.cbrt(x)": eps * F / M,
    }
    for why, value in mistakes.items():
        if _close(got, value, rtol=1e-6):
            raise Stop(Finding("values", False, f"{lead}: it looks like {why}."))
    why = "minimise E(h) = h^2/6 |f'''| + eps |f| / h: E'(h) = h |f'''| / 3 - eps |f| / h^2 = 0."
    raise Stop(Finding("values", False, f"{lead}: {why}"))


# ---------------------------------------------------------------------------------- specs

rel_error_spec = Spec.legacy_call("rel_error(a, b)", _rel_cases, _judge_rel_error)
numerical_gradient_spec = Spec.legacy_steps(
    "numerical_gradient",
    "numerical_gradient(f, x, h)",
    (
        Step("numerical_gradient", ("f", "x", "h")),
        Step("numerical_gradient", ("f", "x_default"), "result_default"),
    ),
    ("result", "x", "result_default", "x_default"),
    _ng_cases,
    _judge_numerical_gradient,
    may_modify=("x", "x_default"),  # judged in _restored_message, which says how to restore
)
gradient_check_spec = Spec.legacy_steps(
    "gradient_check",
    "gradient_check(f, grad_f, x)",
    (
        Step("gradient_check", ("f", "grad_f", "x")),
        # the student's own pieces, on private copies: gradient_check is judged against them
        Step("numerical_gradient", ("f", "x_ng"), "own_numgrad"),
        Step("rel_error", ("analytic", "own_numgrad"), "own_ab"),
        Step("rel_error", ("own_numgrad", "analytic"), "own_ba"),
    ),
    ("result", "own_ab", "own_ba"),
    _gc_cases,
    _judge_gradient_check,
    may_modify=("x", "x_ng", "analytic"),  # numerical_gradient's job, judged there
)
optimal_step_spec = Spec.legacy_call(
    "optimal_step(eps, f_abs, f3_abs)", _step_cases, _judge_optimal_step
)

LESSON = Lesson(
    name="02_gradient_checking",
    title="Gradient checking: finite differences done right",
    specs=(numerical_gradient_spec, optimal_step_spec, rel_error_spec, gradient_check_spec),
    cells=(
        *tests_for(numerical_gradient_spec, 3, 2),
        GradedCell("derive_step_size", 3, "manual"),
        *tests_for(optimal_step_spec, 1, 1),
        *tests_for(rel_error_spec, 2, 1),
        *tests_for(gradient_check_spec, 1, 1),
    ),
)
