"""What a check finds, and how it reads: cases, findings, verdicts and the report.

Judging is staged, as a student reads it: what came back (``returns``), its shapes, its
values against the expected ones, then an independent finite-difference check. A judge
yields one passing :class:`Finding` per stage and raises :class:`Stop` with the first
that fails; :func:`evaluate` turns one case's outcome into a :class:`Verdict`, and
:class:`Report` puts a function's verdicts into words. The notebooks' ``check`` and the
grader's verification both go through :func:`evaluate`, so they say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop_kit.harness import Outcome

if TYPE_CHECKING:
    from backprop_kit.cards import Card

STAGE_NAMES: tuple[str, ...] = ("returns", "shapes", "values", "finite differences")


@dataclass(frozen=True)
class Case:
    """One set of inputs for a graded function, as plain data, with a short description."""

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


def evaluate(card: Card, case: Case, expected: Mapping[str, Any], outcome: Outcome) -> Verdict:
    """Judge one outcome: errors and modified inputs first, then the card's judge."""
    if outcome.error is not None:
        return Verdict((Finding("returns", False, error_message(card, outcome)),))
    if outcome.mutated:  # first: modified inputs also spoil the values judged below
        names, first = ", ".join(outcome.mutated), outcome.mutated[0]
        message = (  # the copy named after the input itself (issue 10: not always x)
            f"{card.name} modified its input {names}: work on a copy "
            f"(e.g. {first} = {first}.copy()) or build new arrays instead of writing into "
            f"{names}."
        )
        return Verdict((Finding("values", False, message),))
    where = "" if card.judges_non_finite else _not_finite(outcome.values)
    if where:  # no correct answer of the course is NaN or infinite: no judge sees one
        message = f"{card.name} returned NaN or infinity (in {where}): check for 0/0, "
        message += "log(0) or an overflowing exp."
        return Verdict((Finding("values", False, message),))
    findings: list[Finding] = []
    try:
        for finding in card.judge(case, expected, outcome):
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


def error_message(card: Card, outcome: Outcome) -> str:
    """What to say when calling the student's function raised ``outcome.error``."""
    err = outcome.error or ""
    if err.startswith("NotImplementedError"):
        if len(card.needs) == 1 and card.needs[0] == card.name:
            return f"{card.name} is not implemented yet (it raised NotImplementedError)."
        return (
            f"{card.name}, or a function it calls, is not implemented yet "
            "(NotImplementedError was raised)."
        )
    if err.startswith("NotPlainData: "):
        return (
            f"{card.name} must return plain data (numpy arrays, numbers, strings, lists, "
            f"dicts), but it returned {err.removeprefix('NotPlainData: ')}. An object of "
            "your own (a Tensor, say) cannot be graded: return its array instead (t.data, "
            "t.grad)."
        )
    if err.startswith("NameError") and any(repr(n) in err for n in card.needs):
        return f"{card.name} is not defined: run the cell that defines it first. ({err})"
    hint = f" Warnings seen: {'; '.join(outcome.warnings)}." if outcome.warnings else ""
    return f"calling {card.signature} raised {err}.{hint}"


@dataclass
class Report:
    """The result of checking one function on all the cases of one stage.

    ``spec`` is what was checked: a :class:`~backprop_kit.cards.Card`, or anything with its
    ``name`` (the reference's ``Spec``)."""

    spec: Any
    verdicts: list[tuple[Case, Verdict]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for _, v in self.verdicts)

    def failures(self) -> list[tuple[Case, Finding]]:
        """Every failing case with the first stage it failed, in the order of the cases."""
        return [(c, f) for c, v in self.verdicts if (f := v.failure) is not None]

    def first_failure(self) -> tuple[Case, Finding] | None:
        found = self.failures()
        return found[0] if found else None

    def message(self) -> str:
        """What a student reads: the stages every case passed, then each failing case."""
        failures = self.failures()
        total = len(self.verdicts)
        if not failures:
            return f"{self.spec.name}: passed on {total} cases\n" + "\n".join(
                f"  ok     {stage}" for stage in self._stages_seen()
            )
        order = {stage: k for k, stage in enumerate(STAGE_NAMES)}
        first = min(order.get(f.stage, len(STAGE_NAMES)) for _, f in failures)
        lines = [f"  ok     {stage}" for stage in self._stages_seen() if order[stage] < first]
        grouped: dict[tuple[str, str], list[str]] = {}
        for case, failure in failures:  # the same failure on several cases: one line
            grouped.setdefault((failure.stage, failure.message), []).append(case.note)
        for (stage, message), notes in grouped.items():
            named = [n for n in notes if n]
            label = "case" if len(named) == 1 else "cases"
            where = f" [{label}: {'; '.join(named)}]" if named else ""
            lines.append(f"  FAILED {stage}: {message}{where}")
        head = f"FAILED on {len(failures)} of {total} cases"
        return f"{self.spec.name}: {head}\n" + "\n".join(lines)

    def _stages_seen(self) -> list[str]:
        seen = {f.stage for _, v in self.verdicts for f in v.findings}
        return [stage for stage in STAGE_NAMES if stage in seen]
