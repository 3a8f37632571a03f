"""``check``: a notebook's test of one graded function, from the lesson's check file.

In a notebook's test cell::

    from backprop_kit import check
    check("linear_backward", linear_backward)               # visible tests
    check("linear_backward", linear_backward, hidden=True)  # hidden tests (when graded)

Each case's inputs and expected data come from the check file the reference wrote at
release (:mod:`backprop_kit.checkfile`); the student's function runs through the harness
with a time limit per case; the card's judge (:mod:`backprop_kit.specs`) compares. ``check``
prints the stages that passed; when a case fails it raises :class:`CheckFailed`, which a
notebook shows as the diagnosis alone (no traceback through the course's files) and
nbgrader still counts as a failed cell. It never writes to stderr (nbgrader would zero
the cell).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from backprop_kit import checkfile
from backprop_kit.cards import Card
from backprop_kit.harness import Outcome, run_case
from backprop_kit.specs import CARDS
from backprop_kit.verdicts import Case, Finding, Report, Verdict, evaluate

#: Seconds one case may run before it is stopped (each case of each check).
TIME_LIMIT = 10.0


class CheckFailed(AssertionError):
    """A check that failed. In IPython (Jupyter) only the diagnosis is shown."""

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class _TimeUp(BaseException):
    """Raised in the student's code when a case runs out of time (not an ``Exception``,
    so an ``except Exception`` in the student's loop does not swallow it)."""


def check(
    name: str,
    fn: Callable[..., Any],
    /,
    *,
    hidden: bool = False,
    time_limit: float = TIME_LIMIT,
    **others: Callable[..., Any],
) -> None:
    """Check the student's ``fn``, graded as ``name``, on the lesson's cases.

    Parameters
    ----------
    name : the graded function's name, e.g. ``"linear_backward"``
    fn : the student's function
    hidden : run the hidden cases (other shapes and seeds; available when grading)
    time_limit : seconds each case may take
    **others : other functions the checks call, e.g. ``mlp_forward=mlp_forward``
    """
    fns = {name: fn, **others}
    stage = "hidden" if hidden else "visible"
    card = CARDS.get(name)
    if card is None:
        raise ValueError(f"{name!r} is not a graded function of the course")
    report = Report(card)
    for case, expected in checkfile.cases(name, stage):
        report.verdicts.append((case, _judge(card, case, expected, fns, time_limit)))
    if not report.passed:
        raise CheckFailed(report.message())
    print(report.message())


def _judge(
    card: Card,
    case: Case,
    expected: Mapping[str, Any],
    fns: Mapping[str, Callable[..., Any]],
    seconds: float,
) -> Verdict:
    outcome = timed_run(card, fns, case, seconds)
    if outcome is None:
        return Verdict((Finding("returns", False, too_slow(card.name, seconds)),))
    return evaluate(card, case, expected, outcome)


def too_slow(name: str, seconds: float) -> str:
    return f"{name} did not return within {seconds:g} s: does your loop advance?"


def timed_run(
    card: Any, fns: Mapping[str, Callable[..., Any]], case: Case, seconds: float
) -> Outcome | None:
    """Run one case through the harness; None when it ran out of time."""
    try:
        with _time_limit(seconds):
            return run_case(fns, case.inputs, card.steps, card.returns, card.may_modify)
    except _TimeUp:
        return None


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_TimeUp` in this (main) thread after ``seconds`` (a SIGALRM timer).
    Elsewhere (another thread, or no SIGALRM: Windows) the case runs without a limit."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _ring(signum: int, frame: Any) -> None:
    """SIGALRM: stop the case that is running, and only that. A timer that outlives its
    case (a KeyboardInterrupt from the notebook's own cell timeout can cut the clean-up
    short) finds no case on the stack and does nothing, instead of raising in the kernel."""
    while frame is not None:
        if frame.f_code is _RUN_CASE:
            raise _TimeUp()
        frame = frame.f_back


_RUN_CASE = run_case.__code__
