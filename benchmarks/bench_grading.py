"""Grading throughput: stock nbgrader against ours with 1 and 2 workers, in one run.

The same generated submissions (8 per lesson, every lesson: perfect, partial and broken)
are graded three ways:

1. stock nbgrader ``autograde`` through its Python API in one process over every student
   (the best a stock user gets: nbgrader imported once, in-process kernels, no sandbox,
   no verification);
2. ``python -m autograder grade --workers 1`` (sandbox and verification on);
3. the same with ``--workers 2``.

The lessons are graded in two rounds, in alternating order (the peer first, then last), so
that a machine whose speed drifts during the run affects both alike. Prints each round,
notebooks per minute and the ratios, the per-notebook cost broken down, and a
projection for 1,000 and 10,000 students (five lessons each) on k workers.

Usage: ``python benchmarks/bench_grading.py`` (a few minutes on 2 cores).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import console  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.grading.results import load_all  # noqa: E402
from autograder.lessons import answers, samples  # noqa: E402
from autograder.nbgrader_glue import nbg  # noqa: E402
from autograder.stages import collect, release  # noqa: E402
from autograder.stages import grade as grade_mod  # noqa: E402
from backprop_ref.specs import LESSONS  # noqa: E402

PER_LESSON = 8
#: The lessons graded in each round (every other lesson: cheap and costly ones in each).
ROUNDS = [list(LESSONS)[0::2], list(LESSONS)[1::2]]


def make_submissions(course: Course, folder: Path, lessons: list[str]) -> int:
    """8 per lesson: 3 perfect, 3 partial (different mistakes), 1 invalid JSON, 1 crashing."""
    count = 0
    for lesson in lessons:
        rel = answers.read(course.path("release", lesson, f"{lesson}.ipynb"))
        sols = answers.solutions(answers.read(course.path("source", lesson, f"{lesson}.ipynb")))
        notebooks: list[bytes] = []
        perfect = nbformat.writes(answers.fill(rel, sols)).encode()
        notebooks += [perfect] * 3
        for which in range(3):
            wrong = samples._mistakes(lesson, which)
            filled = {**sols, **{f"sol_{fn}": src for fn, src in wrong.items()}}
            notebooks.append(nbformat.writes(answers.fill(rel, filled)).encode())
        notebooks.append(perfect[: len(perfect) // 3])  # truncated: not JSON
        first_sol = next(k for k in sols if k.startswith("sol_"))
        crash = {**sols, first_sol: "raise RuntimeError('broken on purpose')"}
        notebooks.append(nbformat.writes(answers.fill(rel, crash)).encode())
        for i, data in enumerate(notebooks):
            target = folder / f"student{i:02d}" / lesson
            target.mkdir(parents=True, exist_ok=True)
            (target / f"{lesson}.ipynb").write_bytes(data)
            count += 1
    return count


def prepared(root: Path, lessons: list[str] | None = None) -> Course:
    """A course with ``lessons`` (default: all) released and their submissions collected."""
    lessons = lessons or list(LESSONS)
    course = Course.at(root)
    release.release(course, lessons, self_study=False)
    with tempfile.TemporaryDirectory() as tmp:
        make_submissions(course, Path(tmp), lessons)
        collect.collect(course, Path(tmp))
    return course


def stock(course: Course, lessons: list[str]) -> float:
    """Stock nbgrader in a process of its own (benchmarks/stock_nbgrader.py), so nothing of
    ours (imports, settings) helps or hinders it; nbgrader's import is not counted."""
    script = Path(__file__).with_name("stock_nbgrader.py")
    run = subprocess.run(
        [sys.executable, str(script), str(course.root), *lessons],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(run.stdout.strip().splitlines()[-1])


def ours(course: Course, workers: int, lessons: list[str]) -> float:
    from autograder.sandbox import bwrap

    sandboxed = not bwrap.unavailable()
    if not sandboxed:
        print("  (no bubblewrap here: measuring without the sandbox)")
    # as `python -m autograder grade` runs: nbgrader's and SQLAlchemy's warnings to the log
    with console.session(course.root, "grade"):
        start = time.perf_counter()
        options = grade_mod.Options(sandboxed=sandboxed, workers=workers, backup=False)
        grade_mod.grade(course, options, assignments=lessons)
        return time.perf_counter() - start


def grades(course: Course) -> dict[tuple[str, str], tuple[str, tuple[float | None, ...]]]:
    """Each submission's status and cell scores, as saved."""
    return {
        (r.student_id, r.assignment): (r.status, tuple(c.score for c in r.cells))
        for r in load_all(course.path("results"))
    }


def kernel_start_cost(course: Course) -> float:
    """A sandboxed run of a one-cell notebook: sandbox + executor + kernel start and stop."""
    from autograder.nbgrader_glue.preprocessors import SandboxedExecute

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    pp = SandboxedExecute(config=nbg.load_config(course.root))
    times = []
    for _ in range(3):
        t = time.perf_counter()
        pp.preprocess(nb, {})
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def breakdown(course: Course, kernel_start: float) -> dict[str, float]:
    results = [r for r in load_all(course.path("results")) if r.seconds]
    mean = lambda key: statistics.fmean(r.seconds.get(key, 0.0) for r in results)  # noqa: E731
    return {
        "sandbox + kernel start/stop": kernel_start,
        "execution and nbgrader bookkeeping": max(mean("autograde") - kernel_start, 0.0),
        "verification": mean("verify"),
        "gradebook write (coordinator)": mean("record"),
    }


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        base = prepared(work / "base")
        n = sum(1 for _ in base.path("submitted").glob("*/*/*.ipynb"))
        print(f"{n} submissions ({PER_LESSON} per lesson, {len(LESSONS)} lessons)")
        labels = ["stock nbgrader", "ours, 1 worker", "ours, 2 workers"]
        graders: dict[str, Callable[[Course, list[str]], float]] = {
            labels[0]: stock,
            labels[1]: lambda c, lessons: ours(c, 1, lessons),
            labels[2]: lambda c, lessons: ours(c, 2, lessons),
        }
        courses, seconds = {}, dict.fromkeys(labels, 0.0)
        for label in labels:
            courses[label] = Course.at(work / label.replace(" ", "_").replace(",", ""))
            shutil.copytree(base.root, courses[label].root)
        # Rounds in alternating order (A B C, then C B A): a machine whose speed drifts
        # during the run (a shared VM does) slows the peer and ours alike.
        for r, lessons in enumerate(ROUNDS):
            order = labels if r % 2 == 0 else labels[::-1]
            took = {}
            for label in order:
                took[label] = graders[label](courses[label], lessons)
                seconds[label] += took[label]
            ratio = took[labels[0]] / took[labels[2]]
            print(
                f"round {r + 1} ({len(lessons)} lessons, {' / '.join(order)}): "
                + ", ".join(f"{k} {v:.1f} s" for k, v in took.items())
                + f"; 2 workers / stock {ratio:.2f}x"
            )
        for label in labels:
            print(
                f"{label:18s} {seconds[label]:7.1f} s  {60 * n / seconds[label]:6.1f} notebooks/min"
            )
        one, two = (grades(courses[k]) for k in ("ours, 1 worker", "ours, 2 workers"))
        differ = sorted(k for k in one.keys() | two.keys() if one.get(k) != two.get(k))
        print(
            f"same grades at 1 and 2 workers: {'yes' if not differ else 'NO'} "
            f"({len(one)} submissions; differing: {differ[:5]})"
        )
        s0 = seconds["stock nbgrader"]
        for label in ("ours, 1 worker", "ours, 2 workers"):
            print(f"throughput {label} / stock: {s0 / seconds[label]:.2f}x")
        costs = breakdown(courses["ours, 1 worker"], kernel_start_cost(base))
        print("per-notebook cost (ours, 1 worker, mean seconds):")
        for key, value in costs.items():
            print(f"  {key:38s} {value:6.2f}")
        per_nb = seconds["ours, 1 worker"] / n
        write = costs["gradebook write (coordinator)"]
        print("projection (5 lessons per student; k workers each on its own core):")
        for students in (1_000, 10_000):
            row = []
            for k in (1, 2, 8, 32, 128):
                hours = max(students * 5 * per_nb / k, students * 5 * write) / 3600
                row.append(f"k={k}: {hours:6.1f} h")
            print(f"  {students:>6,} students  " + "  ".join(row))
        print(json.dumps({k: round(v, 2) for k, v in seconds.items()}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
