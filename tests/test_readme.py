"""The README's course map agrees with the lessons' specs (points and graded functions)."""

from __future__ import annotations

import re
from pathlib import Path

from backprop_ref.specs import LESSONS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_course_map_lists_every_lesson_with_its_points_and_functions() -> None:
    rows = [line for line in README.splitlines() if line.startswith("| [0")]
    assert len(rows) == len(LESSONS)
    for row, lesson in zip(rows, LESSONS.values(), strict=True):
        assert f"notebooks/{lesson.name}/{lesson.name}.ipynb" in row
        auto, manual = re.search(r"\| (\d+) \+ (\d+) \|", row).groups()  # type: ignore[union-attr]
        assert (float(auto), float(manual)) == (lesson.auto_points, lesson.manual_points), row
        for spec in lesson.specs:
            assert f"`{spec.name}`" in row, f"{spec.name} missing from the course map"


def test_the_two_commands_come_first() -> None:
    first = README.index("## The two commands")
    assert first < README.index("## Course map") and "make demo" in README[first : first + 400]
