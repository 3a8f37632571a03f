"""`report`: pass rates per exercise, the score distribution, lateness, and every submission
that needs attention with its reason; printed and written to ``course/reports/``."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from autograder.course import Course
from autograder.results import SubmissionResult, load_all

PNG = "score_distribution.png"


@dataclass(frozen=True)
class PassRate:
    assignment: str
    function: str
    passed: int
    graded: int

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


def pass_rates(results: list[SubmissionResult]) -> list[PassRate]:
    """Per graded function: submissions with all its points / submissions graded."""
    counts: dict[tuple[str, str], list[int]] = {}
    for r in results:
        if r.status in ("missing", "ungradable"):
            continue
        by_fn: dict[str, bool] = {}
        for c in r.cells:
            if c.function is not None:
                by_fn[c.function] = by_fn.get(c.function, True) and c.score == c.max_score
        for fn, ok in by_fn.items():
            n = counts.setdefault((r.assignment, fn), [0, 0])
            n[0] += ok
            n[1] += 1
    return [PassRate(a, f, p, g) for (a, f), (p, g) in counts.items()]


def attention(course: Course, results: list[SubmissionResult]) -> list[tuple[str, str, str]]:
    """(student, what, reason) for everything an instructor must look at."""
    rows = [
        (r.student_id, r.assignment, r.reason or r.status)
        for r in results
        if r.status in ("needs_attention", "ungradable")
    ]
    log = course.path("attention", "attention.json")
    for item in json.loads(log.read_text()) if log.exists() else []:
        rows.append((item["student_id"] or "?", item["origin"], f"not collected: {item['reason']}"))
    return rows


def plot_distribution(results: list[SubmissionResult], path: Path) -> Path:
    """Histogram of percentage scores per assignment; byte-identical for the same results."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from backprop_kit.plots import course_style

    assignments = sorted({r.assignment for r in results})
    with course_style():
        fig, axes = plt.subplots(
            len(assignments) or 1,
            1,
            figsize=(6, 1.8 * max(len(assignments), 1)),
            sharex=True,
            squeeze=False,
        )
        for ax, name in zip(axes[:, 0], assignments, strict=False):
            pct = [
                100 * r.score / r.max_score
                for r in results
                if r.assignment == name and r.status != "missing" and r.max_score
            ]
            ax.hist(pct, bins=list(range(0, 105, 5)))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of students
            ax.set_ylabel(name, rotation=0, ha="right", va="center")
        axes[-1, 0].set_xlabel("score (% of the automatic and manual points)")
        fig.suptitle("Score distribution")
        fig.tight_layout()
        fig.savefig(path, dpi=80, metadata={"Software": None})
        plt.close(fig)
    return path


def build(course: Course) -> str:
    """Write the report files; return the text printed to the terminal."""
    results = load_all(course.path("results"))
    reports = course.path("reports")
    reports.mkdir(parents=True, exist_ok=True)
    rates = pass_rates(results)
    needs = attention(course, results)
    late = [r for r in results if r.seconds_late > 0]
    with (reports / "pass_rates.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assignment", "function", "passed", "graded", "rate"])
        w.writerows([p.assignment, p.function, p.passed, p.graded, f"{p.rate:.3f}"] for p in rates)
    with (reports / "attention.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student_id", "submission", "reason"])
        w.writerows(needs)
    plot_distribution(results, reports / PNG)
    text = _text(results, rates, needs, late)
    (reports / "report.md").write_text(text, encoding="utf-8")
    return text


def _text(
    results: list[SubmissionResult],
    rates: list[PassRate],
    needs: list[tuple[str, str, str]],
    late: list[SubmissionResult],
) -> str:
    out = [
        "# Grading report",
        "",
        "## Pass rates per exercise",
        "",
        "| assignment | function | passed | rate |",
        "| --- | --- | --- | --- |",
    ]
    out += [
        f"| {p.assignment} | {p.function} | {p.passed}/{p.graded} | {p.rate:.0%} |" for p in rates
    ]
    out += [
        "",
        "## Totals",
        "",
        "| student | assignment | score | status |",
        "| --- | --- | --- | --- |",
    ]
    out += [
        f"| {r.student_id} | {r.assignment} | {r.score:g}/{r.max_score:g} | {r.status} |"
        for r in results
    ]
    out += ["", f"## Late submissions ({len(late)})", ""]
    out += [
        f"- {r.student_id} {r.assignment}: {r.seconds_late / 3600:.1f} h late, "
        f"penalty {r.late_penalty:g}"
        for r in late
    ] or ["none"]
    out += ["", f"## Needs attention ({len(needs)})", ""]
    out += [f"- {s} {what}: {why}" for s, what, why in needs] or ["none"]
    out += ["", f"Score distribution: {PNG}", ""]
    return "\n".join(out)
