"""Grading results: one JSON file per submission, and the CSVs built from all of them.

``course/results/<assignment>/<student>.json`` is written when a submission is graded, and
again when hand-given scores change (:mod:`autograder.grading.manual` copies formgrader's scores
from the gradebook into it); it is the only input of the CSVs, the feedback summary and
the report, so data flows one way: submission (and gradebook manual scores) -> result file
-> reports.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from autograder import csvsafe
from backprop_kit.harness import cut

MAX_REASON = 4000  # characters of a submission's reason (each cell's message: 2,000)
Status = Literal["graded", "needs_manual", "needs_attention", "missing", "ungradable"]
#: Worst first: a submission's status is the worst of its cells'.
SEVERITY: tuple[Status, ...] = (
    "ungradable",
    "needs_attention",
    "missing",
    "needs_manual",
    "graded",
)

GRADE_COLUMNS = (
    "student_id",
    "assignment",
    "notebook",
    "grade_id",
    "score",
    "max_score",
    "status",
    "message",
)
TOTAL_COLUMNS = ("student_id", "assignment", "score", "max_score", "status")


@dataclass
class CellResult:
    """One graded cell of one submission.

    ``score``, ``status`` and ``message`` are what reports show. The ``auto_*`` fields keep
    what grading found before any hand-given score (set by ``grade``; empty ``auto_status``
    for a submission that was not graded cell by cell), so hand grades can be applied again
    whenever they change; ``manual_score`` and ``extra_credit`` are formgrader's.
    """

    grade_id: str
    score: float | None  # None while a manual grade is pending
    max_score: float
    status: Status
    message: str = ""
    function: str | None = None  # the graded function (autograded cells)
    kernel_score: float | None = None  # what nbgrader's run in the student's kernel gave
    auto_score: float | None = None
    auto_status: Status | Literal[""] = ""
    auto_message: str = ""
    manual_score: float | None = None
    extra_credit: float | None = None
    basis: str = ""  # digest of what a hand-given score refers to (the answer, the notebook)


@dataclass
class SubmissionResult:
    """Everything known about grading one student's assignment."""

    student_id: str
    assignment: str
    notebook: str
    status: Status
    reason: str = ""
    cells: list[CellResult] = field(default_factory=list)
    digest: str = ""  # sha256 of the submitted notebook (regrade only what changed)
    timestamp: str | None = None
    seconds_late: float = 0.0
    late_penalty: float = 0.0
    verification: dict[str, str] = field(default_factory=dict)  # function -> "passed"/message
    seconds: dict[str, float] = field(default_factory=dict)  # cost breakdown
    sandboxed: bool | None = None  # False: graded with --no-sandbox; None: no code was run

    @property
    def score(self) -> float:
        raw = sum(c.score or 0.0 for c in self.cells)
        return max(raw - self.late_penalty, 0.0)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)  # atomic: a crash never leaves half a result

    def summarize(self) -> None:
        """The submission's status and reason, from its cells (worst status first)."""
        self.status = worst([c.status for c in self.cells])
        reasons = {
            c.message if (c.function or "") in c.message else f"{c.function}: {c.message}"
            for c in self.cells
            if c.status == "needs_attention"
        }
        self.reason = cut("; ".join(sorted(reasons)), MAX_REASON)  # reaches attention.csv

    @classmethod
    def load(cls, path: Path) -> SubmissionResult:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["cells"] = [CellResult(**c) for c in data["cells"]]
        return cls(**data)


def worst(statuses: list[Status]) -> Status:
    return min(statuses, key=SEVERITY.index, default="graded")


def load_all(results_dir: Path) -> list[SubmissionResult]:
    """Every saved result, ordered by assignment then student."""
    files = sorted(results_dir.glob("*/*.json")) if results_dir.exists() else []
    results = [SubmissionResult.load(f) for f in files]
    return sorted(results, key=lambda r: (r.assignment, r.student_id))


def _grade_row(r: SubmissionResult, c: CellResult) -> list[csvsafe.Cell]:
    ids = [r.student_id, r.assignment, r.notebook, c.grade_id]
    return [*ids, c.score, c.max_score, c.status, c.message]


def write_csvs(results: list[SubmissionResult], reports: Path) -> tuple[Path, Path]:
    """``grades.csv`` (student x graded cell) and ``totals.csv`` (student x assignment),
    through :mod:`autograder.csvsafe` (numbers stay numbers, no cell is a formula)."""
    grades = csvsafe.write(
        reports / "grades.csv",
        GRADE_COLUMNS,
        (_grade_row(r, c) for r in results for c in r.cells),
    )
    totals = csvsafe.write(
        reports / "totals.csv",
        TOTAL_COLUMNS,
        ([r.student_id, r.assignment, r.score, r.max_score, r.status] for r in results),
    )
    return grades, totals
