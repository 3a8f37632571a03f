"""A lesson's graded layout: which cells are graded, for how many points, and by which spec.

The notebook's nbgrader metadata must agree with this (a test checks it), and the grader
scores each autograded cell by the verified result of the spec it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backprop_ref.specs.core import Spec

CellKind = Literal["visible", "hidden", "manual"]


@dataclass(frozen=True)
class GradedCell:
    """One graded cell: an autograded test cell of ``spec`` (visible or hidden tests), or a
    manually graded written answer (``spec`` is None)."""

    grade_id: str
    points: float
    kind: CellKind
    spec: str | None = None


@dataclass(frozen=True)
class Lesson:
    """One lesson (one nbgrader assignment with one notebook of the same name)."""

    name: str  # e.g. "03_linear_layer": folder, assignment and notebook name
    title: str
    specs: tuple[Spec, ...]
    cells: tuple[GradedCell, ...]

    @property
    def auto_points(self) -> float:
        return sum(c.points for c in self.cells if c.kind != "manual")

    @property
    def manual_points(self) -> float:
        return sum(c.points for c in self.cells if c.kind == "manual")

    def spec(self, name: str) -> Spec:
        for s in self.specs:
            if s.name == name:
                return s
        raise KeyError(f"lesson {self.name} has no graded function {name!r}")

    def cells_of(self, spec_name: str) -> tuple[GradedCell, ...]:
        return tuple(c for c in self.cells if c.spec == spec_name)


def tests_for(spec: Spec, visible: float, hidden: float) -> tuple[GradedCell, ...]:
    """The usual pair of test cells of a graded function: ``test_<name>`` (visible tests)
    and ``test_<name>_hidden`` (hidden tests on other shapes and seeds)."""
    return (
        GradedCell(f"test_{spec.name}", visible, "visible", spec.name),
        GradedCell(f"test_{spec.name}_hidden", hidden, "hidden", spec.name),
    )
