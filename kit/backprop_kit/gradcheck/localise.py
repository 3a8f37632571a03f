"""Checking one tensor's gradient: a directional gate, then localisation if it fails.

The gate compares ``<g, u>`` with ``(f(x + hu) - f(x - hu)) / 2h`` along a few random unit
directions ``u``; a wrong entry shows in every direction with a component along it. Only
when the gate fails are entries checked one by one: all of them for a small tensor, or,
for a large one, by bisection: a direction supported on each half of a failing range
tells which halves hold an error, down to ranges of a few entries (a failing direction
is measured again at a quarter of the step, which a wrong gradient survives and a kink
crossed by the larger step does not). Errors in many places at once (a wrong factor, a
missing mask) make many ranges fail: a random sample of their entries is then checked
and reported ("errors throughout"); otherwise the strongest ranges are followed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from backprop_kit._types import Array
from backprop_kit.gradcheck._differences import GRAD_SLACK, unit_direction
from backprop_kit.gradcheck.kinks import SHRINK, Tolerance, kink_verdict
from backprop_kit.gradcheck.objective import Objective
from backprop_kit.gradcheck.result import Entry, floored_error, make_entry

FLOOR = 1e-3  #: entries below FLOOR * max|grad| are compared on the tensor's scale
ROUNDING_FACTOR = 64.0  #: allowance for a float32 (or float16) gradient, in its eps
MAX_REDRAWS = 3  #: new directions tried when one crosses a kink (with ``branches``)
LEAF = 16  #: ranges this small are checked entry by entry
MAX_DIRTY = 16  #: failing ranges followed per round of bisection
SAMPLE = 48  #: entries checked when errors are found throughout


@dataclass
class Findings:
    """What checking one tensor found."""

    ratio: float = 0.0  #: worst gap / threshold of the gate (nan: every direction crossed)
    rel_gap: float = 0.0  #: worst relative gap of the gate
    method: str = "gate"  #: "gate", "entries", "bisection" or "sample"
    failed: list[Entry] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    worst_error: float = -1.0  #: worst floored error of the entries checked (-1: none)
    checked: int = 0  #: entries checked one by one
    sampled: int = 0  #: of which in the random sample
    regions: int = 0  #: most failing ranges seen in one round of bisection
    stopped: bool = False  #: the bisection ran out of budget


class TensorCheck:
    """The gate and the localisation for tensor ``name`` with gradient ``g`` (float64)."""

    def __init__(
        self,
        obj: Objective,
        name: str,
        g: Array,
        eps_g: float,
        rng: np.random.Generator,
        h: float,
        rtol: float,
    ) -> None:
        self.obj, self.name, self.rng, self.h = obj, name, rng, h
        self.g = g.reshape(-1)  # flat view, float64
        self.shape = g.shape
        scale = float(np.max(np.abs(self.g), initial=0.0))
        self.slack = GRAD_SLACK + ROUNDING_FACTOR * eps_g  # share of ||g_S|| allowed per gap
        self.tol = Tolerance(rtol, FLOOR * scale, ROUNDING_FACTOR * eps_g * scale)
        self.found = Findings()

    # ---------------------------------------------------------------- directions

    def probe(self, start: int, stop: int, confirm: bool = False) -> tuple[float, float] | None:
        """(gap / threshold, relative gap) along a random unit direction supported on flat
        entries ``start:stop``; None when every draw crossed a kink (with ``branches``).

        With ``confirm``, a failing direction is measured again at step ``h / 4``: a wrong
        gradient leaves the same gap at any step, a kink crossed only by the larger step
        none, so the smaller ratio of the two is returned."""
        for _ in range(1 + MAX_REDRAWS):
            flat = np.zeros(self.g.size)
            flat[start:stop] = unit_direction(self.rng, (stop - start,))
            if self.obj.branches is not None and self.obj.crosses(self.name, self._u(flat), self.h):
                continue
            ratio, rel = self._gap(flat, start, stop, self.h)
            if confirm and ratio > 1.0:
                ratio = min(ratio, self._gap(flat, start, stop, SHRINK * self.h)[0])
            return ratio, rel
        return None

    def _u(self, flat: Array) -> Array:
        return flat.reshape(self.shape)

    def _gap(self, flat: Array, start: int, stop: int, step: float) -> tuple[float, float]:
        plus, minus = self.obj.along(self.name, self._u(flat), step)
        slope = (plus - minus) / (2 * step)  # directional derivative of f along u
        g_u = float(np.dot(self.g[start:stop], flat[start:stop]))  # <g, u>
        norm = float(np.linalg.norm(self.g[start:stop]))
        threshold = self.obj.noise(step) + self.slack * norm
        return abs(g_u - slope) / threshold, floored_error(g_u, slope, FLOOR * norm)

    def gate(self, directions: int) -> bool:
        """Run the gate on the whole tensor; True when it passed."""
        ratios, rels = [], []
        for _ in range(directions):
            probed = self.probe(0, self.g.size)
            if probed is not None:
                ratios.append(probed[0])
                rels.append(probed[1])
        self.found.ratio = max(ratios) if ratios else math.nan
        self.found.rel_gap = max(rels, default=0.0)
        return self.found.ratio <= 1.0  # False for nan: nothing usable, so localise

    def strength(self, start: int, stop: int) -> float:
        """Worst gap / threshold of two confirmed directions on flat entries
        ``start:stop`` (inf when they crossed a kink): above 1, the range holds an error."""
        ratios: list[float] = []
        for _ in range(2):
            probed = self.probe(start, stop, confirm=True)
            ratios.append(math.inf if probed is None or math.isnan(probed[0]) else probed[0])
            if ratios[-1] > 1.0:
                break  # one failing direction is enough
        return max(ratios)

    def split(self, lo: int, hi: int) -> list[tuple[float, int, int]]:
        """The halves of a failing range that hold an error, with their strength: those
        whose gate fails, or, when the signal is too weak in both, the stronger one."""
        halves = [(self.strength(a, b), a, b) for a, b in _halves(lo, hi)]
        failing = [r for r in halves if r[0] > 1.0]
        return failing or [max(halves)]

    # ------------------------------------------------------------------- entries

    def entries(self, indices: list[int]) -> None:
        """Check flat entries one by one: agree, cross a kink (skipped) or disagree."""
        values = [self.obj.entry(self.name, i, self.h) for i in indices]  # f(x +- h e_i)
        numerical = [(plus - minus) / (2 * self.h) for plus, minus in values]
        scale = max(self.tol.floor / FLOOR, max(map(abs, numerical), default=0.0))
        noise = self.obj.noise(self.h)
        for i, n, (plus, minus) in zip(indices, numerical, values, strict=True):
            g = float(self.g[i])
            entry = make_entry(self.name, self.shape, i, g, n, FLOOR * scale)
            if not abs(g - n) <= self.tol(g, n, noise):  # NaN disagrees
                kink, estimate = kink_verdict(self.obj, self.name, i, g, plus, minus, self.tol)
                if kink:
                    self.found.skipped.append(entry)
                    continue
                entry = make_entry(self.name, self.shape, i, g, estimate, FLOOR * scale)
                self.found.failed.append(entry)
            self.found.worst_error = max(self.found.worst_error, entry.rel_error)
            self.found.checked += 1

    def every_entry(self) -> None:
        self.found.method = "entries"
        self.entries(list(range(self.g.size)))

    # ----------------------------------------------------------------- bisection

    def bisect(self, budget: int) -> None:
        """Follow the failing halves down to ranges of LEAF entries, within ``budget``."""
        self.found.method = "bisection"
        start_count = self.obj.evaluations
        frontier = [(0, self.g.size)]  # ranges known to hold an error
        while frontier:
            if self.obj.evaluations - start_count > budget:
                self.found.stopped = True
                return
            found = [half for lo, hi in frontier for half in self.split(lo, hi)]
            self.entries([i for _, lo, hi in found if hi - lo <= LEAF for i in range(lo, hi)])
            ranges = sorted((r for r in found if r[2] - r[1] > LEAF), reverse=True)
            self.found.regions = max(self.found.regions, len(ranges))
            if len(ranges) > MAX_DIRTY and self.found.sampled == 0:
                if self.sample([(lo, hi) for _, lo, hi in ranges]):
                    return
            frontier = sorted((lo, hi) for _, lo, hi in ranges[:MAX_DIRTY])  # the strongest

    def sample(self, dirty: list[tuple[int, int]]) -> bool:
        """Check a random sample of the failing ranges; True when it found errors."""
        pool = np.concatenate([np.arange(lo, hi) for lo, hi in dirty])
        chosen = self.rng.choice(pool, size=min(SAMPLE, pool.size), replace=False)
        before = len(self.found.failed)
        self.entries(sorted(int(i) for i in chosen))
        self.found.sampled = int(chosen.size)
        if len(self.found.failed) > before:
            self.found.method = "sample"
            return True
        return False


def _halves(lo: int, hi: int) -> list[tuple[int, int]]:
    mid = (lo + hi) // 2
    return [(lo, mid), (mid, hi)] if hi - lo > 1 else [(lo, hi)]
