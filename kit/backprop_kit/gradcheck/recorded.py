"""Gradient checks against a recorded loss: finite differences taken once, replayed anywhere.

A spec's "finite differences" stage checks a student's gradients against central
differences of a loss. When that loss is built from the reference solution (the loss of
``linear_backward`` is ``sum(dL_dy * linear_forward(x, W, b))``), the student kit cannot
evaluate it: :func:`record` evaluates it where the reference lives (at release, or in the
grader), at every point :func:`~backprop_kit.gradcheck.check_gradient` could ask about,
and :func:`check_recorded` runs the same staged check on those numbers. Both give exactly
what ``check_gradient(f, at, grads)`` gives, message included.

What is recorded, per tensor of at most ``max_entries`` entries (larger ones would need
bisection, whose points depend on the gradient under test): the gate's random directions
(``f`` at ``x +- h u``), every entry at steps ``h``, ``h/4`` and ``h/2`` (the second look
next to a kink), and, with ``branches``, whether each move crosses a kink. The recording
is plain data (numbers, strings, lists, dicts), so it travels in the lessons' check files.

A spec's ``expect`` hands the loss over as a :class:`LossToRecord`: the check files get its
recording, while the grader's side, which has the loss, checks against it directly (the
same verdict, without recording what it does not need).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from backprop_kit._types import Array
from backprop_kit.gradcheck.check import (
    RTOL,
    Settings,
    _private_point,
    _rng,
    check_gradient,
    staged,
)
from backprop_kit.gradcheck.localise import TensorCheck
from backprop_kit.gradcheck.messages import summarise, validate
from backprop_kit.gradcheck.objective import SINGLE, Objective
from backprop_kit.gradcheck.result import GradCheckResult

FORMAT = "recorded-loss/1"


class RecordingIncomplete(LookupError):
    """The check asked for a point the recording does not hold (a bug in the course)."""


class _Recorder(Objective):
    """The real loss, with every answer the checker gets written down under its query."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.table: dict[str, Any] = {}
        self.calls: Counter[str] = Counter()
        super().__init__(*args, **kwargs)

    def along(self, name: str, u: Array, step: float) -> tuple[float, float]:
        plus, minus = super().along(name, u, step)
        self.table[_nth(self.calls, name, "along")] = [plus, minus]
        return plus, minus

    def entry(self, name: str, i: int, step: float) -> tuple[float, float]:
        plus, minus = super().entry(name, i, step)
        self.table[_at(name, "entry", i, step)] = [plus, minus]
        return plus, minus

    def crosses(self, name: str, u: Array, step: float) -> bool:
        crossed = super().crosses(name, u, step)
        self.table[_nth(self.calls, name, "crosses")] = crossed
        return crossed

    def crosses_entry(self, name: str, i: int, step: float) -> bool:
        crossed = Objective.crosses(self, name, self._unit(name, i), step)
        self.table[_at(name, "crosses_entry", i, step)] = crossed
        return crossed

    def keeps_branch(self, name: str, i: int, step: float) -> bool:
        kept = super().keeps_branch(name, i, step)
        self.table[_at(name, "keeps", i, step)] = kept
        return kept


class _Replay(Objective):
    """Answers the checker's questions from a recording; never evaluates anything."""

    def __init__(self, recording: Mapping[str, Any]) -> None:  # no super().__init__: no f
        self.step = float(recording["h"])
        self.loss = float(recording["loss"])
        self.eps = float(recording["eps"])
        self.single = bool(recording["single"])
        self.tensors = _zeros(recording)
        self.branches = _no_call if recording["branches"] else None
        self.evaluations = 1
        self.branch_evaluations = 0
        self._table: Mapping[str, Any] = recording["table"]
        self._calls: Counter[str] = Counter()

    def _get(self, key: str) -> Any:
        try:
            return self._table[key]
        except KeyError:
            raise RecordingIncomplete(f"the recorded loss has no value for {key}") from None

    def along(self, name: str, u: Array, step: float) -> tuple[float, float]:
        self.evaluations += 2
        plus, minus = self._get(_nth(self._calls, name, "along"))
        return float(plus), float(minus)

    def entry(self, name: str, i: int, step: float) -> tuple[float, float]:
        self.evaluations += 2
        plus, minus = self._get(_at(name, "entry", i, step))
        return float(plus), float(minus)

    def crosses(self, name: str, u: Array, step: float) -> bool:
        self.branch_evaluations += 2
        return bool(self._get(_nth(self._calls, name, "crosses")))

    def crosses_entry(self, name: str, i: int, step: float) -> bool:
        self.branch_evaluations += 2
        return bool(self._get(_at(name, "crosses_entry", i, step)))

    def keeps_branch(self, name: str, i: int, step: float) -> bool:
        self.branch_evaluations += 1
        return bool(self._get(_at(name, "keeps", i, step)))


def record(
    f: Callable[..., Any],
    at: Mapping[str, ArrayLike] | ArrayLike,
    *,
    h: float = 1e-5,
    directions: int = 5,
    seed: int = 0,
    branches: Callable[..., ArrayLike] | None = None,
    rtol: float = RTOL,
    max_entries: int = 2048,
) -> dict[str, Any]:
    """Evaluate the loss ``f`` at ``at`` wherever :func:`check_gradient` could look (same
    arguments); returns the recording, as plain data, for :func:`check_recorded`."""
    single = not isinstance(at, Mapping)
    tensors = _private_point(at)
    big = [k for k, v in tensors.items() if v.size > max_entries]
    if big:
        raise ValueError(
            f"{', '.join(big)}: more than {max_entries} entries; a recording covers small "
            "tensors only (check large ones with check_gradient on a loss you can evaluate)"
        )
    rec = _Recorder(f, tensors, single, branches, h)
    for name, value in tensors.items():
        probe = np.zeros(value.shape)
        TensorCheck(rec, name, probe, 0.0, _rng(seed, name), h, rtol).gate(directions)
        # a gradient that disagrees everywhere visits every entry and every second look
        wrong = np.full(value.shape, np.nan)
        TensorCheck(rec, name, wrong, 0.0, _rng(seed, name), h, rtol).every_entry()
    return {
        "format": FORMAT,
        "names": list(tensors),
        "shapes": [list(v.shape) for v in tensors.values()],
        "single": single,
        "branches": branches is not None,
        "loss": rec.loss,
        "eps": rec.eps,
        "h": h,
        "directions": directions,
        "seed": seed,
        "rtol": rtol,
        "max_entries": max_entries,
        "table": rec.table,
    }


@dataclass(frozen=True)
class LossToRecord:
    """A loss (with its point) that a check file carries as its recording: :meth:`record`
    for the file; :func:`check_recorded` checks against the loss itself where it is at hand
    (the grader's side), with the same verdict as against its recording."""

    f: Callable[..., Any]
    at: Mapping[str, ArrayLike] | ArrayLike
    branches: Callable[..., ArrayLike] | None = None

    def record(self) -> dict[str, Any]:
        return record(self.f, self.at, branches=self.branches)


def check_recorded(
    recording: Mapping[str, Any] | LossToRecord, grads: Mapping[str, Any] | Any
) -> GradCheckResult:
    """:func:`check_gradient` of ``grads`` against a loss recorded by :func:`record` (or
    against the loss itself, given a :class:`LossToRecord`).

    Raises
    ------
    ValueError
        If ``recording`` is not one.
    RecordingIncomplete
        If the check needs a point the recording lacks (never, for a complete recording).
    """
    if isinstance(recording, LossToRecord):
        return check_gradient(recording.f, recording.at, grads, branches=recording.branches)
    if not isinstance(recording, Mapping) or recording.get("format") != FORMAT:
        raise ValueError("not a recorded loss (see backprop_kit.gradcheck.recorded.record)")
    tensors = _zeros(recording)
    single = bool(recording["single"])
    given, problems = validate(tensors, grads, single)
    if "" in problems:
        return summarise({}, problems, tensors, 0, 0)
    settings = Settings(
        directions=int(recording["directions"]),
        seed=int(recording["seed"]),
        rtol=float(recording["rtol"]),
        max_entries=int(recording["max_entries"]),
    )
    return staged(_Replay(recording), tensors, given, problems, settings)


def _zeros(recording: Mapping[str, Any]) -> dict[str, Array]:
    """Stand-ins of the right shapes for the point's tensors (only shapes are needed)."""
    names = list(recording["names"]) if not recording["single"] else [SINGLE]
    shapes = [tuple(int(n) for n in s) for s in recording["shapes"]]
    return {name: np.zeros(shape) for name, shape in zip(names, shapes, strict=True)}


def _nth(calls: Counter[str], name: str, what: str) -> str:
    """The key of the next query ``what`` about tensor ``name`` (they come in a fixed order)."""
    key = f"{name}/{what}"
    calls[key] += 1
    return f"{key}/{calls[key] - 1}"


def _at(name: str, what: str, i: int, step: float) -> str:
    return f"{name}/{what}/{i}/{step!r}"


def _no_call(*args: Any, **kwargs: Any) -> Any:  # a replay never evaluates branches
    raise RecordingIncomplete("a recorded loss has no branch function to call")
