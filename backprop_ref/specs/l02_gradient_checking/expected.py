"""Lesson 02_gradient_checking's expected data: the reference's outputs for a case and the
outputs of the wrong formulas students write (by name, with what to do about them). Plain
data only; the judges (the cards in ``backprop_kit.specs.l02_gradient_checking``) compare
with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_kit.verdicts import Case
from backprop_ref.gradcheck import numerical_gradient, rel_error

#: The default step of numerical_gradient (its signature is fixed: h=1e-5).
DEFAULT_H = 1e-5


def rel_error_mistakes(a: np.ndarray, b: np.ndarray) -> dict[str, tuple[float, str]]:
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


def rel(case: Case) -> dict[str, Any]:
    a, b = case.inputs["a"], case.inputs["b"]
    mistakes = [[value, why] for value, why in rel_error_mistakes(a, b).values()]
    return {"value": rel_error(a, b), "mistakes": mistakes}


def _one_sided(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """The forward difference (f(x + h e_i) - f(x)) / h, entry by entry."""
    fx = f(x.copy())
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        xp = x.copy()
        xp[idx] += h
        out[idx] = (f(xp) - fx) / h
    return out


def ng_mistakes(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float, truth: np.ndarray, default: bool
) -> dict[str, np.ndarray]:
    """The numerical gradients of the usual wrong methods, by what to do about them."""
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


def ng(case: Case) -> dict[str, Any]:
    """Per call (the case's h, then the default step): central differences and the wrong
    methods' results."""
    f, x = case.inputs["f"].resolve(), case.inputs["x"]
    calls = []
    for step, default in ((float(case.inputs["h"]), False), (DEFAULT_H, True)):
        truth = numerical_gradient(f, x, step)
        calls.append({"truth": truth, "mistakes": ng_mistakes(f, x, step, truth, default)})
    return {"calls": calls}


def gc(case: Case) -> dict[str, Any]:
    """The reference's rel_error of grad_f(x) and the central differences, grad_f(x)
    itself, and the wrong error formulas' values."""
    f, grad_f, x = (case.inputs[k] for k in ("f", "grad_f", "x"))
    f, analytic = f.resolve(), np.asarray(grad_f.resolve()(x.copy()))
    num = numerical_gradient(f, x)
    mistakes = [[name, v, fix] for name, (v, fix) in rel_error_mistakes(analytic, num).items()]
    return {
        "value": rel_error(analytic, num),
        "analytic": analytic,
        "mistakes": mistakes,
        "absolute": float(np.max(np.abs(analytic - num))),
    }


def _optimal_step(eps: float, f_abs: float, f3_abs: float) -> float:
    return float((3 * eps * f_abs / f3_abs) ** (1 / 3))


def step(case: Case) -> dict[str, Any]:
    eps, F, M = (float(case.inputs[k]) for k in ("eps", "f_abs", "f3_abs"))
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
    return {
        "value": _optimal_step(eps, F, M),
        "mistakes": [[value, why] for why, value in mistakes.items()],
    }
