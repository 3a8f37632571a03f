"""One spec per graded function, shared by the notebooks' tests and the grader.

A spec is a card (the student kit's half: the call and a judge that only compares, in
``backprop_kit.specs``), the cases and ``expect(case)`` (this package: the answer key's
half); see :mod:`backprop_ref.specs.core` and the protocol in :mod:`backprop_kit`. The
notebooks call ``backprop_kit.check``, which reads the cases and expected data that
:func:`backprop_ref.specs.checkdata.lesson_checks` writes at release.

:func:`check` here runs a spec in this process (the reference path: authors, tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backprop_kit.checks import CheckFailed
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
        raise CheckFailed(report.message())
    print(report.message())
