"""Lesson 02_gradient_checking's cards: how each graded function is called and judged.

Graded functions (names and signatures fixed): ``rel_error(a, b)``,
``numerical_gradient(f, x, h=1e-5)``, ``gradient_check(f, grad_f, x)`` and one derived
result, ``optimal_step(eps, f_abs, f3_abs)``.

The judges compare only. What they compare with comes from the reference, per case
(``backprop_ref.specs.l02_gradient_checking.expected``):

- ``rel_error`` / ``optimal_step``: ``value`` and ``mistakes`` (a list of [value, why]);
- ``numerical_gradient``: ``calls``, one per call (with the case's h, then the default):
  ``truth`` (central differences at that step) and ``mistakes`` (description -> array);
- ``gradient_check``: ``value`` (the reference's rel_error of grad_f(x) and the central
  differences), ``analytic`` (grad_f(x)), ``mistakes`` (wrong error formulas: [name, value,
  fix]) and ``absolute`` (max |a - b|). It passes when it returns what its own call
  ``rel_error(grad_f(x), numerical_gradient(f, x))`` gave it (the calls it makes are
  recorded: see :class:`~backprop_kit.harness.Step`), so a bug in the student's helpers
  costs their points only; otherwise it is judged against ``value``. The checks never call
  the student's ``rel_error`` themselves: one that looks at who calls it cannot vouch for
  gradient_check.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from backprop_kit.cards import Card
from backprop_kit.gradcheck._differences import FLOOR, _worst_floored_error
from backprop_kit.harness import Outcome, Step
from backprop_kit.judging import expect_number
from backprop_kit.specs._l02_own_results import forwards_its_own_error
from backprop_kit.verdicts import Case, Finding, Stop

Expected = Mapping[str, Any]

#: Agreement asked of numbers computed by the same formula in another way (round-off only).
RTOL = 1e-9
#: Agreement asked of a numerical gradient with the reference one at the same step: far
#: below the error of a forward difference (~h f'' / 2) or of another step, far above
#: round-off (~eps |f| / h).
NG_TOL = 1e-8


def _close(a: float, b: float, rtol: float = RTOL, atol: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + atol


def _gap(a: np.ndarray, b: Any) -> float:
    """How far apart two arrays of one shape are (the floored relative error)."""
    return _worst_floored_error(a, b, floor=FLOOR)


def _fail(message: str) -> Stop:
    return Stop(Finding("values", False, message))


# ------------------------------------------------------------------------------ rel_error


def _judge_rel_error(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    got = expect_number(outcome.values["result"], "rel_error", "one number, the largest error")
    yield Finding("returns", True)
    truth = float(expected["value"])
    if _close(got, truth, atol=1e-300):
        yield Finding("values", True)
        return
    lead = f"rel_error(a, b) returned {got:.6g}; the floored relative error is {truth:.6g}"
    if truth == 0.0 and math.isnan(got):
        why = (
            "when a and b are both all zero, the scale and every denominator are 0 and 0/0 "
            "is nan: return 0.0 in that case (two zero gradients agree perfectly)."
        )
        raise _fail(f"{lead}: {why}")
    for value, why in expected["mistakes"]:
        if _close(got, float(value), rtol=1e-6):
            raise _fail(f"{lead}: {why}")
    why = (
        "compute max over entries of |a - b| / max(|a|, |b|, 1e-3 * s), where s is the "
        "largest |entry| of a and b."
    )
    raise _fail(f"{lead}: {why}")


# --------------------------------------------------------------------- numerical_gradient


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


def _ng_diagnosis(
    label: str, got: np.ndarray, truth: np.ndarray, mistakes: Mapping[str, Any]
) -> str:
    err = _gap(got, truth)
    lead = f"with {label}, numerical_gradient differs from central differences (error {err:.2g})"
    gaps = [(_gap(got, v), d) for d, v in mistakes.items()]
    best = min(gaps, key=lambda t: t[0]) if gaps else (math.inf, "")
    if best[0] <= 1e-6:
        return f"{lead}: it matches {best[1]}."
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(got - truth))), got.shape))
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


def _judge_numerical_gradient(
    case: Case, expected: Expected, outcome: Outcome
) -> Iterator[Finding]:
    x, h = case.inputs["x"], float(case.inputs["h"])
    labels = (f"h = {h:g}", "the default step (numerical_gradient(f, x) without h)")
    results = [outcome.values["result"], outcome.values["result_default"]]
    afters = [outcome.values["x"], outcome.values["x_default"]]
    for got in results:
        if not isinstance(got, np.ndarray) or got.ndim == 0:
            raise Stop(Finding("returns", False, _not_an_array(got)))
    yield Finding("returns", True)
    for got in results:
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
    for after in afters:
        moved = _restored_message(x, after)
        if moved is not None:
            raise _fail(moved)
    for got, label, call in zip(results, labels, expected["calls"], strict=True):
        truth = np.asarray(call["truth"])
        if _gap(got, truth) > NG_TOL:
            raise _fail(_ng_diagnosis(label, got, truth, call["mistakes"]))
    yield Finding("values", True)


# ------------------------------------------------------------------------- gradient_check


def _judge_gradient_check(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    if forwards_its_own_error(case, expected, outcome):
        yield Finding("returns", True)
        yield Finding("values", True)
        return
    value = expect_number(outcome.values["result"], "gradient_check", "the relative error")
    yield Finding("returns", True)
    truth = float(expected["value"])
    if _close(value, truth, rtol=1e-6, atol=1e-8):
        yield Finding("values", True)
        return
    lead = (
        f"gradient_check returned {value:.6g}, but rel_error(grad_f(x), "
        f"numerical_gradient(f, x)) is {truth:.6g}"
    )
    for mistake, wrong, fix in expected["mistakes"]:
        if _close(value, float(wrong), rtol=1e-6, atol=1e-8):
            raise _fail(
                f"{lead} ({mistake}): {fix} Simplest: "
                "return rel_error(grad_f(x), numerical_gradient(f, x))."
            )
    if _close(value, float(expected["absolute"]), rtol=1e-6, atol=1e-8):
        why = (
            "that is the absolute error max |a - b|: it depends on the size of the "
            "gradient. Return the relative error, rel_error(grad_f(x), "
            "numerical_gradient(f, x))."
        )
        raise _fail(f"{lead}: {why}")
    why = (
        "compute the analytic gradient grad_f(x), the numerical gradient "
        "numerical_gradient(f, x) (default step), and return rel_error of the two."
    )
    raise _fail(f"{lead}: {why}")


# --------------------------------------------------------------------------- optimal_step


def _judge_optimal_step(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    got = expect_number(outcome.values["result"], "optimal_step", "the step h*")
    yield Finding("returns", True)
    truth = float(expected["value"])
    if _close(got, truth, rtol=1e-9):
        yield Finding("values", True)
        return
    lead = f"optimal_step returned {got:.6g}; the minimum of the error model is at {truth:.6g}"
    for value, why in expected["mistakes"]:
        if _close(got, float(value), rtol=1e-6):
            raise _fail(f"{lead}: it looks like {why}.")
    why = "minimise E(h) = h^2/6 |f'''| + eps |f| / h: E'(h) = h |f'''| / 3 - eps |f| / h^2 = 0."
    raise _fail(f"{lead}: {why}")


WATCHED = ("numerical_gradient", "rel_error")

CARDS = (
    # its judge says where a NaN comes from (0/0 when a and b are both all zero)
    replace(Card.of_call("rel_error(a, b)", _judge_rel_error), judges_non_finite=True),
    Card(
        "numerical_gradient",
        "numerical_gradient(f, x, h)",
        (
            Step("numerical_gradient", ("f", "x", "h")),
            Step("numerical_gradient", ("f", "x_default"), "result_default"),
        ),
        ("result", "x", "result_default", "x_default"),
        _judge_numerical_gradient,
        may_modify=("x", "x_default"),  # judged in _restored_message, which says how to restore
    ),
    Card(
        "gradient_check",
        "gradient_check(f, grad_f, x)",
        # the calls gradient_check makes to the student's own helpers are recorded (its
        # intermediate results); the checks never call them themselves
        (Step("gradient_check", ("f", "grad_f", "x"), watch=WATCHED),),
        ("result", "result_calls"),
        _judge_gradient_check,
        may_modify=("x",),  # numerical_gradient's job, judged there
        uses=WATCHED,
        judges_non_finite=True,  # a NaN from the student's rel_error is forwarded, not judged
    ),
    Card.of_call("optimal_step(eps, f_abs, f3_abs)", _judge_optimal_step),
)
