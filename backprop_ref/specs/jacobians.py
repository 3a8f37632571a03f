"""Lesson 01_jacobians: the differential as an m x n matrix, and the chain rule.

Graded functions (names and signatures fixed): ``numerical_jacobian(f, x, h)``,
``jacobian_tanh(x)``, ``jacobian_softmax(z)``, ``chain_rule_jacobian(jac_g, jac_f, f, x0)``
and ``vector_jacobian_product(dL_dy, J)``; and two derived results:
``chain_rule_shapes(n, m, k)`` (the shapes of the three Jacobians of the chain rule) and
``gradient_shapes(N, M_out)`` (dL/dy in Jacobian layout against the gradient array in code).

The callables of the cases are :class:`~backprop_kit.harness.Probe` references: vector
functions ``R^n -> R^m`` built from a matrix ``A`` (kind ``"vf"``) and their exact Jacobians
(kind ``"vjac"``), so the cases stay plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from backprop_kit.harness import Outcome, Probe
from backprop_kit.judging import expect_array, expect_gradients, expect_shape, expect_values, unpack
from backprop_ref._types import Array
from backprop_ref.derivatives import (
    chain_rule_jacobian,
    jacobian_softmax,
    jacobian_tanh,
    numerical_jacobian,
)
from backprop_ref.gradcheck import diagnose
from backprop_ref.losses import softmax
from backprop_ref.specs.core import Case, Finding, Spec, Stage, Stop
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

VECTOR_PROBES = ("tanh_affine", "sin_affine", "quadratic")

# ----------------------------------------------------------------------------- cases


def _probe_pair(rng: np.random.Generator, name: str, m: int, n: int) -> tuple[Probe, Probe]:
    """A vector function R^n -> R^m (as data) and its exact Jacobian."""
    A = rng.standard_normal((m, n)) / np.sqrt(n)  # keeps A x of order 1 for any n
    return Probe("vf", name, A), Probe("vjac", name, A)


def _pick(rng: np.random.Generator) -> str:
    return VECTOR_PROBES[int(rng.integers(len(VECTOR_PROBES)))]


def _numjac_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """(m, n, probe, h): non-square first, so a transposed result is a shape error; a large
    step in every stage, so forward differences (error O(h)) cannot pass for central ones."""
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
    cases = []
    for m, n, name, h in plan:
        f, _ = _probe_pair(rng, name, m, n)
        x = rng.standard_normal(n)
        cases.append(Case({"f": f, "x": x, "h": h}, f"f: R^{n} -> R^{m} ({name}), h={h:g}"))
    return cases


def _tanh_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        xs = [rng.standard_normal(4) * 1.5, rng.standard_normal(3)]
    elif stage == "hidden":
        big = rng.standard_normal(6) * 2
        big[[1, 4]] = [25.0, -30.0]  # saturated: tanh'(x) is 0 to machine precision
        xs = [rng.standard_normal(1), big, rng.standard_normal(5) * 0.5]
    else:
        xs = [rng.standard_normal(int(rng.integers(lo, 8))) * rng.uniform(0.3, 3) for lo in (2, 1)]
    return [Case({"x": x}, f"x of shape ({x.size},)") for x in xs]


def _softmax_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
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


def _chain_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
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
        f, jac_f = _probe_pair(rng, f_name, m, n)
        _, jac_g = _probe_pair(rng, g_name, k, m)
        x0 = rng.standard_normal(n)
        note = f"f: R^{n} -> R^{m} ({f_name}), g: R^{m} -> R^{k} ({g_name})"
        cases.append(Case({"jac_g": jac_g, "jac_f": jac_f, "f": f, "x0": x0}, note))
    return cases


def _distinct_sizes(rng: np.random.Generator, count: int) -> list[int]:
    return [int(v) for v in rng.choice(np.arange(2, 10), size=count, replace=False)]


def _chain_shape_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        sizes = [[2, 3, 4], [5, 1, 3]]
    elif stage == "hidden":
        sizes = [[3, 2, 6], [1, 4, 2]]
    else:
        sizes = [_distinct_sizes(rng, 3) for _ in "ab"]
    return [Case(dict(zip("nmk", s, strict=True)), "n={}, m={}, k={}".format(*s)) for s in sizes]


def _gradient_shape_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        sizes = [[4, 3], [2, 5]]
    elif stage == "hidden":
        sizes = [[1, 6], [7, 2]]
    else:
        sizes = [_distinct_sizes(rng, 2) for _ in "ab"]
    return [Case({"N": N, "M_out": M}, f"N={N}, M_out={M}") for N, M in sizes]


def _vjp_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
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


# ---------------------------------------------------------------------------- judges

# What the diagnosis says when a result matches a known wrong derivation.
FORWARD = (
    "the forward difference (f(x + h e_k) - f(x)) / h (use central differences, "
    "(f(x + h e_k) - f(x - h e_k)) / (2h): their error is O(h^2), not O(h))"
)
OVER_H = (
    "twice the central difference (divide by 2h, the distance between x - h e_k and "
    "x + h e_k, not by h)"
)
PRECEDENCE = (
    "(f(x + h e_k) - f(x - h e_k)) / 2 * h (Python reads / 2 * h as (/ 2) * h: write / (2 * h))"
)
TRANSPOSED = "the transpose of the Jacobian (one row per output, one column per input)"
TANH_NO_SQUARE = "diag(1 - tanh(x)) (the derivative of tanh is 1 - tanh(x)^2: square it)"
TANH_OF_X = "diag(1 - x^2) (the derivative is 1 - tanh(x)^2: square tanh(x), not x)"
TANH_FULL = (
    "1 - tanh(x_j)^2 in every entry of column j (y_i does not depend on x_j for j != i, "
    "so the entries off the diagonal are 0: use np.diag)"
)
TANH_SIGN = "diag(tanh(x)^2 - 1) (the sign is flipped)"
SOFTMAX_SIGN = "diag(p) + p p^T (the entries off the diagonal are -p_i p_j, with a minus sign)"
SOFTMAX_DIAG = (
    "diag(p (1 - p)) alone (z_j changes every p_i through the shared denominator, so the "
    "entries off the diagonal are -p_i p_j, not 0)"
)
SOFTMAX_DOT = (
    "diag(p) - (p . p) (p p^T is the outer product, an n x n matrix from np.outer, not "
    "the dot product)"
)
CHAIN_ORDER = (
    "jac_f(x0) @ jac_g(f(x0)), the product in the wrong order (the Jacobian of the "
    "function applied last goes on the left: dg/dy (k x m) . df/dx (m x n))"
)
CHAIN_AT_X0 = "jac_g(x0) @ jac_f(x0) (evaluate dg/dy where g is applied, at y0 = f(x0), not at x0)"
CHAIN_F_AT_Y0 = "jac_g(f(x0)) @ jac_f(f(x0)) (evaluate df/dx at x0)"
CHAIN_ELEMENTWISE = (
    "the element-wise product jac_g(f(x0)) * jac_f(x0) (the chain rule is a matrix product)"
)
VJP_NOT_TRANSPOSED = (
    "J @ dL_dy (dL/dx = dL/dy . dy/dx multiplies J by the row dL/dy from the left; with "
    "dL_dy stored as a vector that is J.T @ dL_dy)"
)
VJP_WRONG_AXIS = (
    "dL_dy * J.sum(axis=1), a sum over the wrong axis (dL_dx[k] = sum_i dL_dy[i] J[i, k] "
    "sums over i, down the columns of J)"
)
VJP_MEAN = "J.T @ dL_dy / m (nothing is averaged here)"


def _stop(stage: str, message: str) -> Stop:
    return Stop(Finding(stage, False, message))


def _expect_close(J: Array, reference: Array, name: str, atol: float) -> Finding:
    """The ``finite differences`` stage: ``J`` agrees with an independent estimate to
    ``atol`` times the estimate's scale (at least 1): an absolute test, since the error of a
    finite difference is absolute, about the same size for tiny entries as for large ones."""
    scale = max(1.0, float(np.max(np.abs(reference), initial=0.0)))
    gap = float(np.max(np.abs(J - reference), initial=0.0)) if np.all(np.isfinite(J)) else np.inf
    if gap <= atol * scale:
        return Finding("finite differences", True)
    d = diagnose(J, reference, name=name, tol=atol)
    raise _stop(
        "finite differences",
        f"{name} disagrees with an independent finite-difference estimate by up to "
        f"{gap:.2g}: {d.message}",
    )


def _forward_difference(f: Callable[[Array], Array], x: Array, h: float) -> Array:
    f0 = np.asarray(f(x), dtype=float)
    cols = []
    for k in range(x.size):
        xp = x.astype(float)
        xp[k] += h
        cols.append((np.asarray(f(xp), dtype=float) - f0) / h)
    return np.stack(cols, axis=1)


def _judge_numerical_jacobian(case: Case, outcome: Outcome) -> Iterator[Finding]:
    probe, x, h = case.inputs["f"], case.inputs["x"], case.inputs["h"]
    f = probe.resolve()
    J = expect_array(outcome.values["result"], "numerical_jacobian")
    yield Finding("returns", True)
    if "x" in outcome.mutated:
        raise _stop(
            "values",
            "numerical_jacobian changed the caller's x in place: every later column is then "
            "computed around a shifted point, and the caller's x is corrupted. Perturb a "
            "private copy (xp = np.array(x, dtype=float)), and put each entry back exactly "
            "(xp[k] = old) rather than by subtracting h, which can leave a rounding error.",
        )
    truth = numerical_jacobian(f, x, h)
    m, n = truth.shape
    if J.shape == (n, m) and m != n:
        raise _stop(
            "shapes",
            f"J has shape {J.shape} = (n, m) for f: R^{n} -> R^{m}; a Jacobian has one row "
            f"per output and one column per input, so ({m}, {n}). Did you stack the columns "
            "as rows? (np.stack(columns, axis=1) puts them side by side.)",
        )
    yield expect_shape(J, truth, "J")
    mistakes = {
        FORWARD: _forward_difference(f, x, h),
        OVER_H: 2 * truth,
        PRECEDENCE: truth * h * h,
    }
    if m == n:
        mistakes[TRANSPOSED] = truth.T
    yield expect_values(J, truth, "J", mistakes=mistakes, tol=1e-6)
    exact = Probe("vjac", probe.name, probe.A).resolve()(x)
    atol = 1e-7 + 50 * h * h  # central differences are exact up to O(h^2)
    yield _expect_close(J, exact, "J (compared with the exact Jacobian)", atol)


def _judge_tanh(case: Case, outcome: Outcome) -> Iterator[Finding]:
    x = case.inputs["x"]
    J = expect_array(outcome.values["result"], "jacobian_tanh")
    yield Finding("returns", True)
    n = x.size
    if J.shape == (n,):
        raise _stop(
            "shapes",
            f"you returned a vector of shape ({n},): the {n} derivatives tanh'(x_i). The "
            f"Jacobian is the ({n}, {n}) matrix with them on its diagonal (every other entry "
            "is 0, because y_i depends on x_i only): see np.diag.",
        )
    truth = jacobian_tanh(x)
    yield expect_shape(J, truth, "dy/dx")
    t = np.tanh(x)
    mistakes = {
        TANH_NO_SQUARE: np.diag(1 - t),
        TANH_OF_X: np.diag(1 - x * x),
        TANH_FULL: np.ones((n, n)) * (1 - t * t),
        TANH_SIGN: -truth,
    }
    yield expect_values(J, truth, "dy/dx", mistakes=mistakes)
    fd = numerical_jacobian(np.tanh, x)
    yield _expect_close(J, fd, "dy/dx", 1e-6)


def _stable_softmax(v: Array) -> Array:
    return np.asarray(softmax(v[None, :])[0])


def _judge_softmax(case: Case, outcome: Outcome) -> Iterator[Finding]:
    z = case.inputs["z"]
    J = expect_array(outcome.values["result"], "jacobian_softmax")
    yield Finding("returns", True)
    truth = jacobian_softmax(z)
    yield expect_shape(J, truth, "dp/dz")
    if not np.all(np.isfinite(J)):
        raise _stop(
            "values",
            "your Jacobian contains NaN or inf: np.exp overflowed (exp(710) is already inf "
            "in float64) or the sum of the exponentials underflowed to 0. Softmax does not "
            "change when the same constant is subtracted from every score, so compute "
            "exp(z - z.max()).",
        )
    p = _stable_softmax(z)
    mistakes = {
        SOFTMAX_SIGN: np.diag(p) + np.outer(p, p),
        SOFTMAX_DIAG: np.diag(p * (1 - p)),
        SOFTMAX_DOT: np.diag(p) - float(p @ p),
    }
    yield expect_values(J, truth, "dp/dz", mistakes=mistakes)
    fd = numerical_jacobian(_stable_softmax, z)
    yield _expect_close(J, fd, "dp/dz", 1e-6)


def _judge_chain(case: Case, outcome: Outcome) -> Iterator[Finding]:
    x0, jac_g_probe = case.inputs["x0"], case.inputs["jac_g"]
    f, jac_f, jac_g = (case.inputs[k].resolve() for k in ("f", "jac_f", "jac_g"))
    g = Probe("vf", jac_g_probe.name, jac_g_probe.A).resolve()
    J = expect_array(outcome.values["result"], "chain_rule_jacobian")
    yield Finding("returns", True)
    truth = chain_rule_jacobian(jac_g, jac_f, f, x0)
    y0 = f(x0)
    (k, n), m = truth.shape, y0.size
    if J.shape == (n, k) and n != k:
        raise _stop(
            "shapes",
            f"the result has shape {J.shape} = (n, k); g o f maps R^{n} to R^{k}, so its "
            f"Jacobian is ({k}, {n}): dg/dy is ({k}, {m}), df/dx is ({m}, {n}), and their "
            f"product in that order is ({k}, {n}).",
        )
    yield expect_shape(J, truth, "d(g o f)/dx")
    Jg, Jf = jac_g(y0), jac_f(x0)
    mistakes: dict[str, Any] = {}
    if n == k:
        mistakes[CHAIN_ORDER] = Jf @ Jg
    if n == m:
        mistakes[CHAIN_AT_X0] = jac_g(x0) @ Jf
        mistakes[CHAIN_F_AT_Y0] = Jg @ jac_f(y0)
    if Jg.shape == Jf.shape:
        mistakes[CHAIN_ELEMENTWISE] = Jg * Jf
    yield expect_values(J, truth, "d(g o f)/dx", mistakes=mistakes)
    fd = numerical_jacobian(lambda v: g(f(v)), x0)
    yield _expect_close(J, fd, "d(g o f)/dx", 1e-6)


def _expect_shapes(
    fn: str,
    got: list[Any],
    truth: Sequence[tuple[int, ...]],
    what: tuple[str, ...],
    hints: tuple[str, ...],
    note: str,
) -> Finding:
    """The ``values`` stage of a derived-shapes function: each answer is the right tuple."""
    for g, t, w, hint in zip(got, truth, what, hints, strict=True):
        if not isinstance(g, list) or tuple(g) != t:
            shown = tuple(g) if isinstance(g, list) else g
            raise _stop("values", f"for {note}, the shape of {w} is not {shown}. {hint}")
    return Finding("values", True)


def _judge_chain_shapes(case: Case, outcome: Outcome) -> Iterator[Finding]:
    n, m, k = (case.inputs[v] for v in "nmk")
    names = ("shape of df/dx", "shape of dg/dy", "shape of d(g o f)/dx")
    got = unpack(outcome.values["result"], names, "chain_rule_shapes")
    yield Finding("returns", True)
    hints = (
        "f maps R^n to R^m: its Jacobian has one row per output and one column per input.",
        "g maps R^m to R^k: one row per output of g, one column per input of g.",
        "g o f maps R^n to R^k, and (k x m) . (m x n) must give the same shape.",
    )
    what = ("df/dx(x0)", "dg/dy(f(x0))", "d(g o f)/dx(x0)")
    truth = [(m, n), (k, m), (k, n)]
    yield _expect_shapes("chain_rule_shapes", got, truth, what, hints, f"n={n}, m={m}, k={k}")


def _judge_gradient_shapes(case: Case, outcome: Outcome) -> Iterator[Finding]:
    N, M = case.inputs["N"], case.inputs["M_out"]
    names = ("shape of dL/dy in Jacobian layout", "shape of dL_dy in code")
    got = unpack(outcome.values["result"], names, "gradient_shapes")
    yield Finding("returns", True)
    hints = (
        "In Jacobian layout the derivative of the scalar L has the transposed shape of its "
        "variable (a column vector of m entries gives a 1 x m row), so that dL = dL/dy . dy "
        "pairs every entry of dy with its partial derivative.",
        "In code a gradient is stored in the shape of its variable (y is N x M_out), so that "
        "an update such as y - lr * dL_dy lines up entry by entry.",
    )
    what = ("dL/dy^K in Jacobian layout", "the array dL_dy in code")
    truth = [(M, N), (N, M)]
    yield _expect_shapes("gradient_shapes", got, truth, what, hints, f"N={N}, M_out={M}")


def _judge_vjp(case: Case, outcome: Outcome) -> Iterator[Finding]:
    dL_dy, J = case.inputs["dL_dy"], case.inputs["J"]
    g = expect_array(outcome.values["result"], "vector_jacobian_product")
    yield Finding("returns", True)
    m, n = J.shape
    if g.shape in ((1, n), (n, 1)):
        raise _stop(
            "shapes",
            f"dL_dx has shape {g.shape}: that is the Jacobian-layout row (or a column). In "
            f"code a gradient has the shape of its variable: x has shape ({n},).",
        )
    truth = J.T @ dL_dy
    yield expect_shape(g, truth, "dL_dx")
    mistakes = {VJP_MEAN: truth / m} if m > 1 else {}
    if m == n:
        mistakes[VJP_NOT_TRANSPOSED] = J @ dL_dy
        mistakes[VJP_WRONG_AXIS] = dL_dy * J.sum(axis=1)
    yield expect_values(g, truth, "dL_dx", mistakes=mistakes)

    def loss(x: Array) -> float:  # y = J x and L = dL_dy . y, so dL/dx = J^T dL_dy
        return float(dL_dy @ (J @ x))

    x0 = np.random.default_rng(3).standard_normal(n)
    yield expect_gradients(loss, {"x": x0}, {"x": g})


# ----------------------------------------------------------------------------- specs


numerical_jacobian_spec = Spec.legacy_call(
    "numerical_jacobian(f, x, h)", _numjac_cases, _judge_numerical_jacobian
)
jacobian_tanh_spec = Spec.legacy_call("jacobian_tanh(x)", _tanh_cases, _judge_tanh)
jacobian_softmax_spec = Spec.legacy_call("jacobian_softmax(z)", _softmax_cases, _judge_softmax)
chain_rule_shapes_spec = Spec.legacy_call(
    "chain_rule_shapes(n, m, k)", _chain_shape_cases, _judge_chain_shapes
)
chain_rule_jacobian_spec = Spec.legacy_call(
    "chain_rule_jacobian(jac_g, jac_f, f, x0)", _chain_cases, _judge_chain
)
gradient_shapes_spec = Spec.legacy_call(
    "gradient_shapes(N, M_out)", _gradient_shape_cases, _judge_gradient_shapes
)
vector_jacobian_product_spec = Spec.legacy_call(
    "vector_jacobian_product(dL_dy, J)", _vjp_cases, _judge_vjp
)

LESSON = Lesson(
    name="01_jacobians",
    title="Jacobians and the chain rule",
    specs=(
        numerical_jacobian_spec,
        jacobian_tanh_spec,
        jacobian_softmax_spec,
        chain_rule_shapes_spec,
        chain_rule_jacobian_spec,
        gradient_shapes_spec,
        vector_jacobian_product_spec,
    ),
    cells=(
        *tests_for(numerical_jacobian_spec, 2, 2),
        *tests_for(jacobian_tanh_spec, 1, 1),
        GradedCell("derive_softmax_jacobian", 4, "manual"),
        *tests_for(jacobian_softmax_spec, 2, 1),
        GradedCell("test_chain_rule_shapes", 1, "visible", "chain_rule_shapes"),
        *tests_for(chain_rule_jacobian_spec, 2, 1),
        GradedCell("test_gradient_shapes", 1, "visible", "gradient_shapes"),
        *tests_for(vector_jacobian_product_spec, 1, 1),
    ),
)
