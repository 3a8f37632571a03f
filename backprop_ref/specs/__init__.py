"""One spec per graded function, shared by the notebooks' tests and the grader.

In a notebook's test cell::

    from backprop_ref.specs import check
    check("linear_backward", linear_backward)               # visible tests
    check("linear_backward", linear_backward, hidden=True)  # hidden tests, other shapes/seeds

``check`` prints what passed and raises ``AssertionError`` with a diagnosis in words at
the first stage that fails. It never writes to stderr (nbgrader would zero the cell).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backprop_ref.specs.core import Case, Finding, Report, Spec, Stage, Verdict, check_function
from backprop_ref.specs.lesson import GradedCell, Lesson
from backprop_ref.specs.registry import LESSONS, SPECS, lesson_of

#: Seeds of the notebooks' tests. The grader's verification draws its own at grading time.
VISIBLE_SEED = 0
HIDDEN_SEED = 1

__all__ = [
    "HIDDEN_SEED",
    "LESSONS",
    "SPECS",
    "VISIBLE_SEED",
    "Case",
    "Finding",
    "GradedCell",
    "Lesson",
    "Report",
    "Spec",
    "Stage",
    "Verdict",
    "check",
    "lesson_of",
]


def check(
    name: str,
    fn: Callable[..., Any],
    /,
    *,
    hidden: bool = False,
    seed: int | None = None,
    **others: Callable[..., Any],
) -> None:
    """Check the student's ``fn`` against the spec called ``name``.

    Parameters
    ----------
    name : the graded function's name, e.g. ``"linear_backward"``
    fn : the student's function
    hidden : run the hidden cases (other shapes and seeds) instead of the visible ones
    seed : override the stage's seed
    **others : other functions the spec calls, e.g. ``mlp_forward=mlp_forward``
    """
    spec = SPECS[name]
    stage: Stage = "hidden" if hidden else "visible"
    default = HIDDEN_SEED if hidden else VISIBLE_SEED
    report = check_function(spec, {name: fn, **others}, stage, default if seed is None else seed)
    if not report.passed:
        raise AssertionError(report.message())
    print(report.message())
