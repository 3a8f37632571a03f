"""Checks a graded function cannot game (issue 11, section 4), lessons 01-02, in-process.

- ``numerical_jacobian`` / ``numerical_gradient`` that read the test function's matrix (or
  its name) out of what they are given and return the exact derivative, without finite
  differences: every stage has a case whose step is large enough that central differences
  at that step and the exact derivative differ measurably, and it is judged against
  central differences at that step.
- ``gradient_check`` is judged against the reference on the student's own numerical
  gradient, never via the student's ``rel_error``: a ``rel_error`` that looks at the call
  stack cannot make a ``gradient_check`` that returns None pass, the harness never calls
  ``rel_error`` for it, and a known bug in ``numerical_gradient`` does not cost
  ``gradient_check`` its points too.
- Derived results (``optimal_step``, ``chain_rule_shapes``, ``gradient_shapes``): answers
  learnt by heart from the visible cases fail on fresh visible cases (other seeds), as
  verification draws them.

The same attacks go through the real pipeline in the hostile corpus (tests/hostile/).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from backprop_kit import harness
from backprop_kit.gradcheck._differences import FLOOR, _worst_floored_error
from backprop_ref.derivatives import numerical_jacobian
from backprop_ref.gradcheck import numerical_gradient, rel_error
from backprop_ref.specs import SPECS
from backprop_ref.specs.core import check_function
from backprop_ref.specs.l01_jacobians.cases import numjac_cases

STAGES = [("visible", 0), ("hidden", 1)] + [("verify", s) for s in (7, 20261126, 3, 11)]


def _arrays_reachable(fn: Any, depth: int = 0) -> list[np.ndarray]:
    """Every ndarray in the closures (and defaults) of ``fn``, recursively."""
    found: list[np.ndarray] = []
    if depth > 4 or not callable(fn):
        return found
    cells = [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())]
    for value in cells + list(getattr(fn, "__defaults__", None) or ()):
        if isinstance(value, np.ndarray):
            found.append(value)
        elif callable(value):
            found += _arrays_reachable(value, depth + 1)
    return found


def exact_from_closure(f: Callable[[Any], Any], x: Any, h: float = 1e-5) -> np.ndarray:
    """The closure attack: find the matrix A inside f, find which family f is, and return
    that family's exact Jacobian; no finite differences at all."""
    x = np.asarray(x, dtype=float)
    for A in _arrays_reachable(f):
        if A.ndim != 2 or A.shape[1] != x.size:
            continue
        z = A @ x
        families = {
            "tanh": (np.tanh(z), (1 - np.tanh(z) ** 2)[:, None] * A),
            "sin": (np.sin(z) + x[0], np.cos(z)[:, None] * A + np.eye(A.shape[1])[0]),
            "square": (z**2, 2 * z[:, None] * A),
        }
        for value, J in families.values():
            if np.allclose(f(x), value):
                return J
    raise AssertionError("the attack found no matrix")


def test_the_closure_attack_really_finds_the_exact_jacobian() -> None:
    """The attack is real: it reads the matrix and returns the exact Jacobian."""
    case = numjac_cases(np.random.default_rng(0), "visible")[0]
    f, x = case.inputs["f"], case.inputs["x"]
    exact = harness.Probe("vjac", f.name, f.A).resolve()(x)
    np.testing.assert_allclose(exact_from_closure(f.resolve(), x), exact, rtol=1e-12)


@pytest.mark.parametrize(("stage", "seed"), STAGES)
def test_reading_the_exact_jacobian_fails_every_stage(stage: str, seed: int) -> None:
    report = check_function(
        SPECS["numerical_jacobian"], {"numerical_jacobian": exact_from_closure}, stage, seed
    )  # type: ignore[arg-type]
    assert not report.passed
    case, finding = report.first_failure()  # type: ignore[misc]
    assert finding.stage == "values" and "h=0." in case.note, report.message()


@pytest.mark.parametrize("stage", ["visible", "hidden", "verify"])
def test_the_large_step_tells_central_differences_from_the_exact_jacobian(stage: str) -> None:
    """On every seed, the last case's central differences are at least 100 times the
    judge's tolerance (1e-6) away from the exact Jacobian."""
    for seed in range(40):
        case = numjac_cases(np.random.default_rng(seed), stage)[-1]  # type: ignore[arg-type]
        f, x, h = case.inputs["f"], case.inputs["x"], case.inputs["h"]
        central = numerical_jacobian(f.resolve(), x, h)
        exact = harness.Probe("vjac", f.name, f.A).resolve()(x)
        assert h >= 0.2 and _worst_floored_error(central, exact, floor=FLOOR) > 1e-4, seed


def exact_gradient_from_probe(f: Callable[[Any], Any], x: Any, h: float = 1e-5) -> np.ndarray:
    """The same attack on numerical_gradient: the probe's function is in f's closure, and
    the kit's table of probes gives its exact gradient."""
    inner = f.__closure__[0].cell_contents  # type: ignore[index]
    for g, grad in harness.SCALAR_PROBES.values():
        if g is inner:
            return np.asarray(grad(np.asarray(x, dtype=float)), dtype=float)
    raise AssertionError("the attack found no probe")


@pytest.mark.parametrize(("stage", "seed"), STAGES)
def test_reading_the_exact_gradient_fails_every_stage(stage: str, seed: int) -> None:
    fns = {"numerical_gradient": exact_gradient_from_probe}
    report = check_function(SPECS["numerical_gradient"], fns, stage, seed)  # type: ignore[arg-type]
    assert not report.passed
    failed = [case.note for case, _ in report.failures()]
    assert any("h = 0.01" in note for note in failed), report.message()


def _called_from(name: str) -> bool:
    return any(frame.function == name for frame in inspect.stack()[2:])


def stack_rel_error(a: Any, b: Any) -> Any:
    """Honest inside gradient_check; elsewhere (a judge asking) it agrees with anything by
    returning None, what the gradient_check below returns."""
    if _called_from("gradient_check"):
        return rel_error(a, b)
    return None


def none_gradient_check(f: Any, grad_f: Any, x: Any) -> Any:
    stack_rel_error(grad_f(x), numerical_gradient(f, x))


@pytest.mark.parametrize(("stage", "seed"), STAGES)
def test_a_stack_inspecting_rel_error_cannot_pass_gradient_check(stage: str, seed: int) -> None:
    fns = {
        "gradient_check": none_gradient_check,
        "rel_error": stack_rel_error,
        "numerical_gradient": numerical_gradient,
    }
    report = check_function(SPECS["gradient_check"], fns, stage, seed)  # type: ignore[arg-type]
    assert not report.passed
    assert report.first_failure()[1].stage == "returns"  # type: ignore[index]


#: A student's notebook: a correct gradient_check on top of a forward-difference
#: numerical_gradient and a rel_error that averages (both wrong, judged in their own
#: cells); the rel_error refuses to be called by anything but gradient_check.
HELPERS_WRONG = """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    out, fx = np.zeros_like(x), f(x.copy())
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += h
        out[i] = (f(xp) - fx) / h
    return out

def rel_error(a, b):
    try:
        raise RuntimeError
    except RuntimeError as exc:
        frame = exc.__traceback__.tb_frame.f_back
    while frame is not None and frame.f_code.co_name != "gradient_check":
        frame = frame.f_back
    assert frame is not None, "the checks called rel_error"
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.mean(np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))))

def gradient_check(f, grad_f, x):
    return rel_error(grad_f(x), numerical_gradient(f, x))
"""


@pytest.mark.parametrize(("stage", "seed"), STAGES)
def test_gradient_check_is_judged_on_its_own_intermediate_results(stage: str, seed: int) -> None:
    """A gradient_check that returns what its own helpers give it passes, whatever they
    compute; the checks never call the student's rel_error themselves."""
    ns: dict[str, Any] = {}
    exec(HELPERS_WRONG, ns)
    fns = {n: ns[n] for n in ("gradient_check", "rel_error", "numerical_gradient")}
    report = check_function(SPECS["gradient_check"], fns, stage, seed)  # type: ignore[arg-type]
    assert report.passed, report.message()
    # calling rel_error on the wrong things is not forwarding its own error
    exec("def gradient_check(f, grad_f, x):\n    return rel_error(grad_f(x), grad_f(x))\n", ns)
    fns["gradient_check"] = ns["gradient_check"]
    assert not check_function(SPECS["gradient_check"], fns, stage, seed).passed  # type: ignore[arg-type]


def _by_heart(name: str) -> Callable[..., Any]:
    """The answers of the visible cases (seed 0), looked up by the inputs."""
    spec = SPECS[name]
    params = spec.card.steps[0].args
    table = {repr([c.inputs[p] for p in params]): spec.expected(c) for c in spec.draw("visible", 0)}
    first = next(iter(table.values()))

    def answer(*args: Any) -> Any:
        found = table.get(repr(list(args)), first)
        if name == "optimal_step":
            return found["value"]
        return tuple(tuple(s) for s in found["shapes"])

    return answer


@pytest.mark.parametrize("name", ["optimal_step", "chain_rule_shapes", "gradient_shapes"])
def test_answers_learnt_by_heart_fail_fresh_visible_cases(name: str) -> None:
    fn = _by_heart(name)
    assert check_function(SPECS[name], {name: fn}, "visible", 0).passed  # they are the answers
    for seed in (1, 2, 3, 12345):
        assert not check_function(SPECS[name], {name: fn}, "visible", seed).passed, seed
