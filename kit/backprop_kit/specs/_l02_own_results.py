"""Lesson 02's ``gradient_check``, judged on its own intermediate results: the calls it made
to the student's ``numerical_gradient`` and ``rel_error``, as the harness recorded them
(:class:`~backprop_kit.harness.Step` ``watch``). Only compares: nothing here computes an
error or a gradient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from backprop_kit.harness import Outcome
from backprop_kit.verdicts import Case

Expected = Mapping[str, Any]


def _same(a: Any, b: Any) -> bool:
    """Equal as plain data (what gradient_check returned, what its rel_error gave it)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=True))
        )
    if isinstance(a, float) and isinstance(b, float) and bool(np.isnan(a) and np.isnan(b)):
        return True
    return type(a) is type(b) and bool(a == b)


def _is_x(value: Any, x: np.ndarray) -> bool:
    if value == {"input": "x"}:
        return True
    return isinstance(value, np.ndarray) and value.shape == x.shape and np.array_equal(value, x)


def _own_numgrads(calls: Sequence[Any], x: np.ndarray) -> list[Any]:
    """What gradient_check's own calls numerical_gradient(f, x) (default step) returned."""
    out = []
    for c in calls:
        args, kwargs = c["args"], c["kwargs"]
        if c["fn"] != "numerical_gradient" or len(args) < 2 or args[0] != {"input": "f"}:
            continue
        steps = [*args[2:], *kwargs.values()]
        if _is_x(args[1], x) and set(kwargs) <= {"h"} and all(h == 1e-5 for h in steps):
            out.append(c["result"])
    return out


def forwards_its_own_error(case: Case, expected: Expected, outcome: Outcome) -> bool:
    """gradient_check returned what its own call rel_error(grad_f(x), numerical_gradient(f, x))
    gave it: right, whatever the student's rel_error and numerical_gradient compute (they
    are judged in their own cells, so a bug there costs their points, not these too). Only
    the calls gradient_check made itself count: the checks never call the student's
    rel_error, so one that looks at who calls it cannot vouch for gradient_check."""
    got, calls = outcome.values["result"], outcome.values["result_calls"]
    if not isinstance(calls, list):
        return False
    numgrads = _own_numgrads(calls, np.asarray(case.inputs["x"]))
    analytic = np.asarray(expected["analytic"])
    for c in calls:
        if c["fn"] != "rel_error" or len(c["args"]) != 2 or c["kwargs"]:
            continue
        if not _same(got, c["result"]):
            continue
        for a, n in (c["args"], c["args"][::-1]):
            if (
                isinstance(a, np.ndarray)
                and a.shape == analytic.shape
                and np.allclose(a, analytic, rtol=1e-12, atol=0.0)
                and any(_same(n, own) for own in numgrads)
            ):
                return True
    return False
