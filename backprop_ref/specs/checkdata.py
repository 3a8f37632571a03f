"""The lessons' check files, generated from the reference (see :mod:`backprop_kit.checkfile`).

``release`` writes each lesson's visible cases beside the student notebook (``checks.npz``)
and a grader-only copy with the hidden cases too; ``make notebooks`` writes the latter
beside each source notebook (authors, tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from backprop_kit import checkfile
from backprop_ref.specs import HIDDEN_SEED, LESSONS, VISIBLE_SEED
from backprop_ref.specs.core import Stage

SEEDS: dict[Stage, int] = {"visible": VISIBLE_SEED, "hidden": HIDDEN_SEED}
#: What a student's copy holds, and what the grader's (and an author's) holds.
STUDENT: tuple[Stage, ...] = ("visible",)
GRADER: tuple[Stage, ...] = ("visible", "hidden")


def lesson_checks(lesson: str, stages: Sequence[Stage] = STUDENT) -> bytes:
    """The check file of ``lesson`` with the cases of ``stages``."""
    functions = {
        spec.name: {stage: spec.check_data(stage, SEEDS[stage]) for stage in stages}
        for spec in LESSONS[lesson].specs
    }
    return checkfile.dumps(lesson, functions)


def write_checks(folder: Path, lesson: str, stages: Sequence[Stage] = STUDENT) -> Path:
    """Write ``folder/checks.npz`` for ``lesson`` (only when its content changed)."""
    path = folder / checkfile.FILENAME
    data = lesson_checks(lesson, stages)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path
