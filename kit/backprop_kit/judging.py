"""Building blocks for judges: the stages every spec shares.

A judge is a generator: it yields a passing :class:`~backprop_kit.verdicts.Finding` per
stage, and a helper raises :class:`~backprop_kit.verdicts.Stop` with the failing one, so
a judge reads as the list of what it checks::

    def judge(case, expected, outcome):
        dL_dx, dL_dW, dL_db = unpack(outcome.values["result"], ("dL_dx", "dL_dW", "dL_db"), fn)
        yield Finding("returns", True)
        yield expect_shape(dL_dW, expected["dL_dW"], "dL_dW")
        ...

Every helper compares what came back with data it is given; none computes an answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from backprop_kit.gradcheck import check_gradient, check_recorded, diagnose
from backprop_kit.verdicts import Finding, Stop

#: Default tolerance on the floored relative error when comparing with the reference:
#: loose enough for a correct answer computed in float32, far tighter than any real mistake.
TOL = 1e-5


def expect_array(value: Any, fn: str) -> np.ndarray:
    """The ``returns`` stage for a function that returns one array."""
    if not isinstance(value, np.ndarray):
        got = "None: did you forget to return?" if value is None else type(value).__name__
        raise Stop(Finding("returns", False, f"{fn} must return an ndarray; got {got}"))
    return value


def unpack(value: Any, names: Sequence[str], fn: str) -> list[Any]:
    """The ``returns`` stage for a function that returns a tuple of ``len(names)`` values."""
    if not isinstance(value, list) or len(value) != len(names):
        got = "None" if value is None else f"{_describe(value)}"
        raise Stop(
            Finding("returns", False, f"{fn} must return a tuple ({', '.join(names)}); got {got}.")
        )
    return value


def expect_shape(value: Any, truth: Any, name: str) -> Finding:
    """The ``shapes`` stage: ``value`` is an array of the shape of ``truth``."""
    truth = np.asarray(truth)
    if isinstance(value, np.ndarray) and value.shape == truth.shape:
        return Finding("shapes", True)
    if value is not None and not isinstance(value, np.ndarray) and truth.ndim == 0:
        if isinstance(value, int | float):
            return Finding("shapes", True)
    raise Stop(Finding("shapes", False, diagnose(value, truth, name=name).message))


def expect_values(
    value: Any,
    truth: Any,
    name: str,
    *,
    batch_size: int | None = None,
    mistakes: Mapping[str, Any] | None = None,
    tol: float = TOL,
) -> Finding:
    """The ``values`` stage: ``value`` matches the reference within ``tol`` (floored)."""
    d = diagnose(value, truth, name=name, batch_size=batch_size, mistakes=mistakes, tol=tol)
    if d.ok:
        return Finding("values", True)
    raise Stop(Finding("values", False, d.message))


def expect_scalar(
    value: Any,
    truth: float,
    name: str,
    *,
    batch_size: int | None = None,
    mistakes: Mapping[str, float] | None = None,
    tol: float = TOL,
) -> Finding:
    """The ``values`` stage for a number (a loss): close to ``truth``, or a message naming
    the likely mistake (``mistakes``: description -> wrong value, tried in order). A factor
    between two numbers is always "a constant factor", so only -1, the batch size N, 1/N,
    2 and 1/2 are named, after the known mistakes."""
    v = float(np.asarray(value, dtype=np.float64))
    if not math.isfinite(v):
        raise Stop(Finding("values", False, f"{name} is {v}: look for exp overflowing or log(0)."))

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= tol * max(abs(a), abs(b), 1e-12)

    if close(v, truth):
        return Finding("values", True)
    head = f"{name} = {v:.6g}, expected {truth:.6g}"
    for description, wrong in (mistakes or {}).items():
        if math.isfinite(wrong) and close(v, wrong):
            raise Stop(Finding("values", False, f"{head}: it matches {description}."))
    causes = [(-1.0, "-1 x the correct value: check the sign.")]
    if batch_size is not None and batch_size > 1:
        causes += [
            (
                float(batch_size),
                f"{batch_size} x the correct value: did you forget to average "
                "over the batch (divide by N)?",
            ),
            (1 / batch_size, f"1/{batch_size} x the correct value: did you divide by N twice?"),
        ]
    causes += [(2.0, "2 x the correct value."), (0.5, "1/2 x the correct value.")]
    for factor, text in causes:
        if close(v, factor * truth):
            raise Stop(Finding("values", False, f"{head}: {text}"))
    raise Stop(Finding("values", False, f"{head}."))


def expect_gradients(
    loss: Callable[..., float],
    at: Mapping[str, Any],
    grads: Mapping[str, Any],
    *,
    seed: int = 0,
    branches: Callable[..., Any] | None = None,
) -> Finding:
    """The ``finite differences`` stage: the student's gradients against central differences."""
    result = check_gradient(loss, at, grads, seed=seed, branches=branches)
    if result.passed:
        return Finding("finite differences", True)
    raise Stop(Finding("finite differences", False, result.message))


def expect_recorded_gradients(recording: Mapping[str, Any], grads: Mapping[str, Any]) -> Finding:
    """The ``finite differences`` stage against a loss the reference recorded at release
    (see :mod:`backprop_kit.gradcheck.recorded`): the same verdict as
    :func:`expect_gradients` on that loss."""
    result = check_recorded(recording, grads)
    if result.passed:
        return Finding("finite differences", True)
    raise Stop(Finding("finite differences", False, result.message))


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, list):
        return f"{len(value)} values"
    return f"a {type(value).__name__}"


def expect_number(value: Any, fn: str, what: str) -> float:
    """The ``returns`` stage for a function that returns one real number (``what`` says
    which, e.g. "the relative error"): a float, an int or a 0-d numeric array."""
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
