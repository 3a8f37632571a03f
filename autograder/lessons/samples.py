"""Sample submissions for the demo, generated deterministically from the lesson sources.

A perfect student, an empty one, two students with typical mistakes (the lessons' mutants:
:mod:`autograder.lessons.mutants`, package data), a late one and one whose notebook is
broken. The demo test pins what each must score, cell by cell.
"""

from __future__ import annotations

import datetime as dt
import runpy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.lessons import answers, mutants_file
from backprop_ref.specs import LESSONS

#: The demo course's deadlines: every lesson is due at the same (fixed) time.
DEADLINE = dt.datetime(2026, 12, 1, 23, 59, tzinfo=dt.UTC)
ON_TIME = DEADLINE - dt.timedelta(days=2)
LATE = DEADLINE + dt.timedelta(days=1, hours=3)  # two started days late


@dataclass
class Sample:
    """One student's submission of one lesson, and the functions it is meant to lose."""

    student: str
    lesson: str
    notebook: bytes
    timestamp: dt.datetime
    loses: set[str] = field(default_factory=set)
    broken: bool = False


def mutants(lesson: str) -> dict[str, dict[str, dict[str, str]]]:
    """``{function: {"wrong": {description: source}, "correct": {...}, ...}}`` of a lesson."""
    return runpy.run_path(str(mutants_file(lesson)))["MUTANTS"]  # type: ignore[no-any-return]


def _mistakes(lesson: str, which: int) -> dict[str, str]:
    """One wrong mutant (the ``which``-th) for every other graded function, keeping the
    mutated functions independent of each other (none calls another)."""
    specs = LESSONS[lesson].specs
    table = mutants(lesson)
    chosen: dict[str, str] = {}
    for spec in specs[which % 2 :: 2]:
        wrong = list(table[spec.name]["wrong"].values())
        clash = any(spec.name in LESSONS[lesson].spec(o).needs or o in spec.needs for o in chosen)
        if wrong and not clash:
            chosen[spec.name] = wrong[which % len(wrong)]
    return chosen


def _dump(nb: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(nb).encode()


def samples(release_dir: Path, source_dir: Path, lessons: list[str] | None = None) -> list[Sample]:
    """Every sample submission (of ``lessons``, default all), in a fixed order."""
    out: list[Sample] = []
    chosen = [name for name in LESSONS if lessons is None or name in lessons]
    for i, lesson in enumerate(chosen):
        release = answers.read(release_dir / lesson / f"{lesson}.ipynb")
        perfect = answers.solutions(answers.read(source_dir / lesson / f"{lesson}.ipynb"))
        filled = _dump(answers.fill(release, perfect))
        out.append(Sample("ada_perfect", lesson, filled, ON_TIME))
        out.append(
            Sample(
                "ben_empty",
                lesson,
                _dump(release),
                ON_TIME,
                {s.name for s in LESSONS[lesson].specs},
            )
        )
        for student, which in (("cy_mistakes", 0), ("dee_mistakes", 1)):
            wrong = _mistakes(lesson, which)
            nb = answers.fill(
                release, {**perfect, **{f"sol_{fn}": src for fn, src in wrong.items()}}
            )
            out.append(Sample(student, lesson, _dump(nb), ON_TIME, set(wrong)))
        out.append(Sample("eve_late", lesson, filled, LATE if i == 0 else ON_TIME))
        if i == 0:
            out.append(
                Sample("finn_broken", lesson, filled[: len(filled) // 2], ON_TIME, broken=True)
            )
        elif i == 1:
            out.append(Sample("finn_broken", lesson, filled, ON_TIME))
    return out


def write(samples_: list[Sample], folder: Path) -> Path:
    """Lay the samples out as ``<student>/<lesson>/<lesson>.ipynb``, plus one file
    ``collect`` must refuse (a stray text file). Their times go in a separate file
    (:func:`write_times`): a time inside a submission is never trusted."""
    for s in samples_:
        target = folder / s.student / s.lesson
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{s.lesson}.ipynb").write_bytes(s.notebook)
    stray = folder / "finn_broken" / samples_[0].lesson / "notes.txt"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("my notes, not a notebook\n")
    return folder


def write_times(samples_: list[Sample], path: Path) -> Path:
    """The instructor's record of when each sample was handed in (``collect --times``)."""
    lines = ["student_id,assignment,submitted_at"]
    lines += [f"{s.student},{s.lesson},{s.timestamp.isoformat()}" for s in samples_]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
