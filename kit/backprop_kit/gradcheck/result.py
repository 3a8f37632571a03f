"""What a gradient check reports: entries, per-tensor findings and the overall result."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Entry:
    """One entry of a gradient, compared with its central difference.

    Attributes
    ----------
    tensor : the tensor's name (a key of ``at``, or ``"x"`` for a single array)
    index : the entry's index in that tensor
    yours : the gradient under test at that entry
    numerical : the finite difference it was compared with: the central difference of
        step ``h``, or, next to a kink, the difference that stays on the point's branch
    rel_error : ``|yours - numerical| / max(|yours|, |numerical|, floor)``, the floor being
        1e-3 of the largest magnitude in the tensor (as in ``rel_error``)
    """

    tensor: str
    index: tuple[int, ...]
    yours: float
    numerical: float
    rel_error: float

    def where(self) -> str:
        """The index as a student reads it: ``3`` for a vector, ``(3, 7)`` for a matrix."""
        return format_index(self.index)

    def describe(self) -> str:
        """``yours 0.41, numerical 0.82 (rel. error 0.5)``, with digits enough to differ."""
        yours, numerical = format_pair(self.yours, self.numerical)
        return f"yours {yours}, numerical {numerical} (rel. error {self.rel_error:.2g})"


@dataclass(frozen=True)
class GradCheckResult:
    """The outcome of :func:`~backprop_ref.gradcheck.check_gradient`.

    Attributes
    ----------
    passed : no checked entry disagrees and every gradient is a finite array of the right shape
    message : what to do next, in words, one line per tensor that failed
    max_rel_error : worst floored per-entry relative error among the entries checked one by
        one (kinks excluded), or the worst directional relative gap if no entry was checked
    directional : per tensor, the worst ``gap / threshold`` of the gate's directions
        (<= 1: the gate passed; ``inf`` for an invalid gradient; ``nan`` when every
        direction crossed a kink)
    worst : up to five disagreeing entries, worst first
    skipped : entries whose finite difference crossed a kink: reported, not failed
    evaluations : number of evaluations of f
    branch_evaluations : number of evaluations of ``branches``
    localised : the tensors checked beyond the gate, with how (``"entries"``,
        ``"bisection"`` or ``"sample"``)
    """

    passed: bool
    message: str
    max_rel_error: float
    directional: dict[str, float]
    worst: tuple[Entry, ...]
    skipped: tuple[Entry, ...]
    evaluations: int
    branch_evaluations: int = 0
    localised: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        gate = ", ".join(f"{k} {v:.2g}" for k, v in self.directional.items())
        lines = [
            self.message,
            f"  max rel. error {self.max_rel_error:.2g}; gate (gap / threshold): {gate or '-'}",
        ]
        lines += [f"  wrong: {e.tensor} at {e.where()}: {e.describe()}" for e in self.worst]
        if self.skipped:
            shown = ", ".join(f"{e.tensor} {e.where()}" for e in self.skipped[:8])
            more = ", ..." if len(self.skipped) > 8 else ""
            lines.append(f"  skipped at kinks ({len(self.skipped)}): {shown}{more}")
        checked = ", ".join(f"{k} ({v})" for k, v in self.localised.items())
        if checked:
            lines.append(f"  checked entry by entry: {checked}")
        lines.append(
            f"  evaluations: {self.evaluations} of f, {self.branch_evaluations} of branches"
        )
        return "\n".join(lines)


def format_index(index: tuple[int, ...]) -> str:
    """``(3, 7)`` for a matrix entry, ``3`` for a vector entry, ``()`` for a scalar."""
    if len(index) == 1:
        return str(index[0])
    return "(" + ", ".join(str(i) for i in index) + ")"


def format_pair(a: float, b: float) -> tuple[str, str]:
    """Two numbers with 3 significant digits, or more until they read differently."""
    for digits in range(3, 13):
        sa, sb = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if sa != sb:
            break
    return sa, sb


def floored_error(yours: float, numerical: float, floor: float) -> float:
    """``|yours - numerical| / max(|yours|, |numerical|, floor)``; 0 when both are 0."""
    denom = max(abs(yours), abs(numerical), floor)
    diff = abs(yours - numerical)
    if denom == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / denom if np.isfinite(diff) else float("inf")


def make_entry(
    name: str, shape: tuple[int, ...], i: int, yours: float, n: float, floor: float
) -> Entry:
    """An :class:`Entry` for flat index ``i`` of a tensor of ``shape``."""
    index = tuple(int(k) for k in np.unravel_index(i, shape)) if shape else ()
    return Entry(name, index, float(yours), float(n), floored_error(yours, n, floor))
