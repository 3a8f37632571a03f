"""A graded function's card: how it is called and how its results are judged.

The card is the half of a spec that students may hold: the function's name and
signature, the calls that make up one case (:class:`~backprop_kit.harness.Step`), what
comes back, which inputs it may modify, and the **judge**. A judge only compares: it gets
the case, the ``expected`` data the reference produced for that case (plain data: arrays,
numbers, strings, lists, dicts) and the student's outcome, and yields findings. It never
computes an answer; the other half of the spec (in ``backprop_ref``, the answer key)
draws the cases and computes ``expected``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backprop_kit.harness import Outcome, Step
from backprop_kit.verdicts import Case, Finding

#: ``judge(case, expected, outcome)``: one passing finding per stage; raises ``Stop``.
Judge = Callable[[Case, Mapping[str, Any], Outcome], Iterable[Finding]]


@dataclass(frozen=True)
class Card:
    """One graded function, as the student kit knows it.

    Attributes
    ----------
    name : the function's name in the notebook (fixed: the grader depends on it)
    signature : as shown to students, e.g. ``"linear_backward(dL_dy, x, W)"``
    steps : the calls that make up one case (usually one; ``mlp_backward`` needs two)
    returns : the names of what comes back from the steps
    judge : ``judge(case, expected, outcome)`` yields the findings, stage by stage
    may_modify : inputs the function is expected to change in place (``sgd_step``)
    uses : other graded functions it calls by name, beyond its steps (``gradient_check``
        calls the student's ``rel_error``): its result depends on them, so they count
        among what it ``needs``
    judges_non_finite : the judge itself explains a NaN or infinite result (say, where the
        overflow comes from) instead of the generic message of
        :func:`~backprop_kit.verdicts.evaluate`
    """

    name: str
    signature: str
    steps: tuple[Step, ...]
    returns: tuple[str, ...]
    judge: Judge
    may_modify: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    judges_non_finite: bool = False

    @classmethod
    def of_call(cls, signature: str, judge: Judge) -> Card:
        """The usual card: one call ``name(args...)`` whose return value is judged, e.g.
        ``Card.of_call("linear_backward(dL_dy, x, W)", judge)``."""
        name, _, rest = signature.partition("(")
        args = tuple(a.strip() for a in rest.rstrip(")").split(",") if a.strip())
        return cls(name, signature, (Step(name, args),), ("result",), judge)

    @property
    def needs(self) -> tuple[str, ...]:
        """Every function name the steps call, then the ones it uses."""
        return tuple(dict.fromkeys([*(s.fn for s in self.steps), *self.uses]))
