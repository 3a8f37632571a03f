"""What a spec is, and how one is checked on the grader's side.

A :class:`Spec` holds everything about one graded function in one place: its
:class:`~backprop_kit.cards.Card` (how to call it, and the judge, which only compares:
the half students hold, in ``backprop_kit.specs``), ``cases(rng, stage)`` (the inputs,
drawn from a seed, for the visible tests, the hidden tests, or the grader's verification)
and ``expect(case)`` (what the judge compares with: the reference's outputs, the outputs of
the named wrong derivations, finite differences; plain data). The release writes the
visible and hidden cases with their expected data into the lessons' check files, which
the notebooks' ``check`` reads; the grader draws fresh cases, runs them in a sandbox
through the harness, and calls :meth:`Spec.evaluate`: the same judge on the same kind of
data, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from backprop_kit import harness
from backprop_kit.cards import Card
from backprop_kit.gradcheck import LossToRecord
from backprop_kit.harness import Outcome, Step, run_case
from backprop_kit.verdicts import (
    STAGE_NAMES,
    Case,
    Finding,
    Report,
    Stop,
    Verdict,
    evaluate,
)

Stage = Literal["visible", "hidden", "verify"]

__all__ = [
    "STAGE_NAMES",
    "Case",
    "Finding",
    "Report",
    "Spec",
    "Stage",
    "Stop",
    "Verdict",
    "check_function",
]

#: Draws the cases of a stage from a random generator.
CasesFn = Callable[[np.random.Generator, Stage], list[Case]]
#: The expected data of one case (plain data: arrays, numbers, strings, lists, dicts).
ExpectFn = Callable[[Case], dict[str, Any]]


@dataclass(frozen=True)
class Spec:
    """One graded function: its card (call and judge), its cases and its expected data.

    Attributes
    ----------
    card : the student kit's half (``backprop_kit.specs.lNN_topic``)
    cases : ``cases(rng, stage)`` draws the inputs for a stage
    expect : ``expect(case)``, the data the card's judge compares with
    """

    card: Card
    cases: CasesFn
    expect: ExpectFn

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def signature(self) -> str:
        return self.card.signature

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.card.steps

    @property
    def returns(self) -> tuple[str, ...]:
        return self.card.returns

    @property
    def may_modify(self) -> tuple[str, ...]:
        return self.card.may_modify

    @property
    def needs(self) -> tuple[str, ...]:
        """Every function name the steps call."""
        return self.card.needs

    def draw(self, stage: Stage, seed: int) -> list[Case]:
        """The cases for ``stage``, deterministic for a given seed."""
        return self.cases(np.random.default_rng(seed), stage)

    def run(self, fns: Mapping[str, Callable[..., Any]], case: Case) -> Outcome:
        """Call the student's functions on ``case`` (in whatever process this runs)."""
        return run_case(fns, case.inputs, self.steps, self.returns, self.may_modify)

    def expected(self, case: Case) -> Any:
        """``expect(case)`` as the student kit reads it from a check file (encoded and
        decoded: tuples become lists), so both judge exactly the same data; a
        :class:`~backprop_kit.gradcheck.LossToRecord` stays the loss itself here (the
        judge's verdict is the same as on its recording)."""
        live: list[LossToRecord] = []

        def keep(loss: LossToRecord) -> int:
            live.append(loss)
            return len(live) - 1

        plain = _swap(self.expect(case), keep)
        return _swap(harness.roundtrip(plain), None, live)

    def evaluate(self, case: Case, outcome: Outcome) -> Verdict:
        """Judge one outcome (always in the trusted process when grading)."""
        return evaluate(self.card, case, self.expected(case), outcome)

    def check_data(self, stage: Stage, seed: int) -> list[dict[str, Any]]:
        """The cases of ``stage`` with their expected data, for a check file (losses
        recorded)."""
        return [
            {"inputs": c.inputs, "note": c.note, "expected": _swap(self.expect(c), _record)}
            for c in self.draw(stage, seed)
        ]


_LIVE = "__loss_to_record__"


def _record(loss: LossToRecord) -> Any:
    return loss.record()


def _swap(
    value: Any,
    out: Callable[[LossToRecord], Any] | None,
    back: list[LossToRecord] | None = None,
) -> Any:
    """``value`` with each LossToRecord replaced by ``out(loss)`` (a placeholder holds its
    index when ``out`` gives one), or, with ``back``, the placeholders replaced again."""
    if isinstance(value, LossToRecord) and out is not None:
        found = out(value)
        return {_LIVE: found} if isinstance(found, int) else found
    if isinstance(value, dict):
        if back is not None and set(value) == {_LIVE}:
            return back[value[_LIVE]]
        return {k: _swap(v, out, back) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_swap(v, out, back) for v in value]
    return value


def check_function(
    spec: Spec,
    fns: Mapping[str, Callable[..., Any]],
    stage: Stage,
    seed: int,
) -> Report:
    """Run and judge every case of one stage in this process."""
    report = Report(spec)
    for case in spec.draw(stage, seed):
        report.verdicts.append((case, spec.evaluate(case, spec.run(fns, case))))
    return report
