"""What a spec is, and how one is checked.

A :class:`Spec` holds everything about one graded function in one place: how to call it
(:class:`~backprop_ref.specs.harness.Step`), the cases to call it on (drawn from a seed, for
the visible tests, the hidden tests, or the grader's verification), and the judge that
turns what came back into a :class:`Verdict`. The notebooks' tests call :func:`check`;
the grader draws the same cases, runs them in a sandbox through the harness, and calls the
same judge: one definition, so they never disagree.

Judging is staged, as a student reads it: the result's type and shapes first, then the
values against the reference, then an independent finite-difference check. The first
stage that fails gives the message, in words (see :func:`backprop_ref.gradcheck.diagnose`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from backprop_ref.specs.harness import Outcome, Step, run_case

Stage = Literal["visible", "hidden", "verify"]
STAGE_NAMES: tuple[str, ...] = ("returns", "shapes", "values", "finite differences")


@dataclass(frozen=True)
class Case:
    """One set of inputs for a spec, as plain data, with a short description for messages."""

    inputs: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class Finding:
    """The result of one stage of the judgement for one case."""

    stage: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class Verdict:
    """Everything the judge found for one case; ``passed`` when every stage passed."""

    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def failure(self) -> Finding | None:
        return next((f for f in self.findings if not f.ok), None)


class Stop(Exception):
    """Raised inside a judge with the finding of the first stage that failed."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


#: Draws the cases of a stage from a random generator.
CasesFn = Callable[[np.random.Generator, Stage], list["Case"]]

#: A judge yields one passing finding per stage and raises :class:`Stop` at a failure.
Judge = Callable[["Case", Outcome], Iterable[Finding]]


@dataclass(frozen=True)
class Spec:
    """One graded function: its call, its cases and its judge.

    Attributes
    ----------
    name : the function's name in the notebook (fixed: the grader depends on it)
    signature : as shown to students, e.g. ``"linear_backward(dL_dy, x, W)"``
    steps : the calls that make up one case (usually one; ``mlp_backward`` needs two)
    returns : the names of what comes back from the steps
    cases : ``cases(rng, stage)`` draws the inputs for a stage
    judge : ``judge(case, outcome)`` returns the findings, stage by stage
    may_modify : inputs the function is expected to change in place (``sgd_step``)
    """

    name: str
    signature: str
    steps: tuple[Step, ...]
    returns: tuple[str, ...]
    cases: CasesFn
    judge: Judge
    may_modify: tuple[str, ...] = ()

    @classmethod
    def of_call(cls, signature: str, cases: CasesFn, judge: Judge) -> Spec:
        """The usual spec: one call ``name(args...)`` whose return value is judged, e.g.
        ``Spec.of_call("linear_backward(dL_dy, x, W)", cases, judge)``."""
        name, _, rest = signature.partition("(")
        args = tuple(a.strip() for a in rest.rstrip(")").split(",") if a.strip())
        return cls(name, signature, (Step(name, args),), ("result",), cases, judge)

    @property
    def needs(self) -> tuple[str, ...]:
        """Every function name the steps call."""
        return tuple(dict.fromkeys(s.fn for s in self.steps))

    def draw(self, stage: Stage, seed: int) -> list[Case]:
        """The cases for ``stage``, deterministic for a given seed."""
        return self.cases(np.random.default_rng(seed), stage)

    def run(self, fns: Mapping[str, Callable[..., Any]], case: Case) -> Outcome:
        """Call the student's functions on ``case`` (in whatever process this runs)."""
        return run_case(fns, case.inputs, self.steps, self.returns, self.may_modify)

    def evaluate(self, case: Case, outcome: Outcome) -> Verdict:
        """Judge one outcome (always in the trusted process when grading)."""
        if outcome.error is not None:
            return Verdict((Finding("returns", False, _error_message(self, outcome)),))
        if outcome.mutated:  # first: modified inputs also spoil the values judged below
            names = ", ".join(outcome.mutated)
            message = (
                f"{self.name} modified its input {names}: work on a copy "
                f"(e.g. x = x.copy()) or build new arrays instead of writing into {names}."
            )
            return Verdict((Finding("values", False, message),))
        where = _not_finite(outcome.values)
        if where:  # no correct answer of the course is NaN or infinite: no judge sees one
            message = f"{self.name} returned NaN or infinity (in {where}): check for 0/0, "
            message += "log(0) or an overflowing exp."
            return Verdict((Finding("values", False, message),))
        findings: list[Finding] = []
        try:
            for finding in self.judge(case, outcome):
                findings.append(finding)
        except Stop as stop:
            findings.append(stop.finding)
        return Verdict(tuple(findings))


def _not_finite(value: Any, where: str = "") -> str:
    """The first place in plain data holding NaN or an infinity ('' if none)."""
    if isinstance(value, np.ndarray):
        bad = value.dtype.kind == "f" and not bool(np.all(np.isfinite(value)))
        return where or "the result" if bad else ""
    if isinstance(value, float):
        return (where or "the result") if not np.isfinite(value) else ""
    if isinstance(value, list):
        items: Iterable[tuple[str, Any]] = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    elif isinstance(value, dict):
        items = ((k if not where else f"{where}[{k!r}]", v) for k, v in value.items())
    else:
        return ""
    return next((found for w, v in items if (found := _not_finite(v, w))), "")


def _error_message(spec: Spec, outcome: Outcome) -> str:
    err = outcome.error or ""
    if err.startswith("NotImplementedError"):
        if len(spec.needs) == 1 and spec.needs[0] == spec.name:
            return f"{spec.name} is not implemented yet (it raised NotImplementedError)."
        return (
            f"{spec.name}, or a function it calls, is not implemented yet "
            "(NotImplementedError was raised)."
        )
    if err.startswith("NameError") and any(repr(n) in err for n in spec.needs):
        return f"{spec.name} is not defined: run the cell that defines it first. ({err})"
    hint = f" Warnings seen: {'; '.join(outcome.warnings)}." if outcome.warnings else ""
    return f"calling {spec.signature} raised {err}.{hint}"


@dataclass
class Report:
    """The result of checking one function on all the cases of one stage."""

    spec: Spec
    verdicts: list[tuple[Case, Verdict]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for _, v in self.verdicts)

    def first_failure(self) -> tuple[Case, Finding] | None:
        for case, verdict in self.verdicts:
            failure = verdict.failure
            if failure is not None:
                return case, failure
        return None

    def message(self) -> str:
        """What a student reads: the stages that passed, then the first that failed."""
        found = self.first_failure()
        lines = []
        for stage in STAGE_NAMES:
            if found is not None and found[1].stage == stage:
                case, failure = found
                where = f" [case: {case.note}]" if case.note else ""
                lines.append(f"  FAILED {stage}: {failure.message}{where}")
                break
            if any(f.stage == stage for _, v in self.verdicts for f in v.findings):
                lines.append(f"  ok     {stage}")
        head = "passed" if found is None else "FAILED"
        return f"{self.spec.name}: {head} on {len(self.verdicts)} cases\n" + "\n".join(lines)


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
