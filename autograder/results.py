"""Grading results: one JSON file per submission, and the CSVs built from all of them.

``course/results/<assignment>/<student>.json`` is written once per grading of a submission
and is the only input of the CSVs, the feedback summary and the report, so data flows one
way: submission -> result file -> reports.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

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
    """One graded cell of one submission."""

    grade_id: str
    score: float | None  # None while a manual grade is pending
    max_score: float
    status: Status
    message: str = ""
    function: str | None = None  # the graded function (autograded cells)
    kernel_score: float | None = None  # what nbgrader's run in the student's kernel gave


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


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_csvs(results: list[SubmissionResult], reports: Path) -> tuple[Path, Path]:
    """``grades.csv`` (student x graded cell) and ``totals.csv`` (student x assignment)."""
    reports.mkdir(parents=True, exist_ok=True)
    grades, totals = reports / "grades.csv", reports / "totals.csv"
    with grades.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        w.writerow(GRADE_COLUMNS)
        for r in results:
            for c in r.cells:
                w.writerow(
                    [
                        r.student_id,
                        r.assignment,
                        r.notebook,
                        c.grade_id,
                        _number(c.score),
                        _number(c.max_score),
                        c.status,
                        c.message,
                    ]
                )
    with totals.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        w.writerow(TOTAL_COLUMNS)
        for r in results:
            w.writerow(
                [r.student_id, r.assignment, _number(r.score), _number(r.max_score), r.status]
            )
    return grades, totals
