"""`report`: pass rates per exercise, the score distribution, lateness, and every submission
that needs attention with its reason; printed and written to ``course/reports/``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from autograder import csvsafe
from autograder.console import clip, listing, shown
from autograder.course import Course
from autograder.grading import manual
from autograder.grading.results import SubmissionResult, load_all

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
        label = "submission time" if item.get("kind") == "time" else "not collected"
        rows.append((item["student_id"] or "?", item["origin"], f"{label}: {item['reason']}"))
    return rows


def plot_distribution(results: list[SubmissionResult], path: Path) -> Path:
    """Histogram of percentage scores per assignment; byte-identical for the same results."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from backprop_kit.plots import COURSE_RC, PALETTE

    assignments = sorted({r.assignment for r in results})
    # A file read on its own (not on a notebook's theme): opaque white, dark text.
    rc = {
        **COURSE_RC,
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.transparent": False,
        "text.color": "#222222",
        "axes.labelcolor": "#222222",
        "axes.titlecolor": "#222222",
        "xtick.color": "#333333",
        "ytick.color": "#333333",
        "axes.edgecolor": "#555555",
        "font.size": 11,
    }
    rows = max(len(assignments), 1)
    with plt.rc_context(rc):
        fig, axes = plt.subplots(rows, 1, figsize=(9, 2.4 * rows + 0.8), sharex=True, squeeze=False)
        for ax, name in zip(axes[:, 0], assignments, strict=False):
            pct = [
                100 * r.score / r.max_score
                for r in results
                if r.assignment == name and r.status != "missing" and r.max_score
            ]
            ax.hist(pct, bins=list(range(0, 105, 5)), color=PALETTE[5], edgecolor="white")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of students
            ax.set_ylabel("students")
            ax.set_title(f"{name} ({len(pct)} graded)", loc="left", fontsize=11)
            ax.set_xlim(0, 100)
        axes[-1, 0].set_xlabel("score (% of the automatic and manual points)")
        fig.suptitle("Score distribution", fontsize=14, x=0.02, ha="left")
        fig.tight_layout()
        fig.savefig(path, dpi=100, metadata={"Software": None})
        plt.close(fig)
    return path


def build(course: Course) -> str:
    """Write the report files (after bringing formgrader's scores into the results and the
    CSVs: :func:`autograder.grading.manual.sync`); return the text printed to the terminal."""
    results = manual.sync(course)
    reports = course.path("reports")
    reports.mkdir(parents=True, exist_ok=True)
    rates = pass_rates(results)
    needs = attention(course, results)
    late = [r for r in results if r.seconds_late > 0]
    csvsafe.write(
        reports / "pass_rates.csv",
        ["assignment", "function", "passed", "graded", "rate"],
        ([p.assignment, p.function, p.passed, p.graded, f"{p.rate:.3f}"] for p in rates),
    )
    csvsafe.write(reports / "attention.csv", ["student_id", "submission", "reason"], needs)
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
    out = ["# Grading report", ""]
    if warning := unsandboxed_warning(results):
        out += [f"**{warning}**", ""]
    out += [
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


def unsandboxed_warning(results: list[SubmissionResult]) -> str:
    """'' unless some submissions were graded with ``--no-sandbox``; then says how many."""
    ran = [r for r in results if r.sandboxed is not None]
    without = [r for r in ran if r.sandboxed is False]
    if not without:
        return ""
    return (
        f"Graded without the sandbox: {len(without)} of {len(ran)} submissions "
        "(--no-sandbox: student code ran with the grader's privileges)."
    )


def summary(course: Course, limit: int = 8) -> str:
    """The report on one screen: per assignment, the statuses, what needs attention, and
    where the full report is. ``build`` must have run (it writes the files named)."""
    from collections import Counter

    results = load_all(course.path("results"))
    rates = pass_rates(results)
    needs = attention(course, results)
    late = [r for r in results if r.seconds_late > 0]
    lines = []
    if warning := unsandboxed_warning(results):
        lines += [f"WARNING: {warning}"]
    lines.append(f"{'assignment':<24} {'submitted':>9} {'mean':>5}  lowest pass rate")
    for name in sorted({r.assignment for r in results}):
        mine = [r for r in results if r.assignment == name]
        handed = [r for r in mine if r.status != "missing"]
        mean = sum(r.score / r.max_score for r in handed if r.max_score) / max(len(handed), 1)
        hardest = min(
            (p for p in rates if p.assignment == name), key=lambda p: p.rate, default=None
        )
        low = f"{hardest.function} {hardest.rate:.0%}" if hardest else "-"
        lines.append(f"{name:<24} {f'{len(handed)}/{len(mine)}':>9} {mean:>5.0%}  {low}")
    counts = Counter(r.status for r in results)
    lines.append("statuses: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if counts.get("needs_manual"):
        lines.append(
            "  needs_manual: written answers await grading in formgrader "
            f"(jupyter lab in {shown(course.root)}); the next grade or report counts them"
        )
    if late:
        penalty = sum(r.late_penalty for r in late)
        lines.append(f"late: {len(late)} submission(s), {penalty:g} points of penalties in all")
    lines.append(f"needs attention: {len(needs) or 'nothing'}")
    reports = course.path("reports")
    more = f"see {shown(reports / 'attention.csv')}"
    shown_needs = (clip(f"{s} {w}: {y}") for s, w, y in needs)
    lines += ["  " + t for t in listing(shown_needs, limit, more)]
    lines.append(
        f"full report: {shown(reports / 'report.md')} "
        f"(with grades.csv, totals.csv, pass_rates.csv, attention.csv, {PNG})"
    )
    return "\n".join(lines)
