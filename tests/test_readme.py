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


ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "notebooks" / "AUTHORING.md", *(ROOT / "docs").glob("*.md")]


def test_the_repository_stands_alone() -> None:
    """Every local link resolves inside the clone; nothing points outside it."""
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (doc.parent / target).resolve().is_relative_to(ROOT), (doc, target)
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
    for folder in ("autograder", "backprop_ref", "notebooks", "docs", "scripts"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".md", ".json", ""):
                text = path.read_text(encoding="utf-8", errors="replace")
                assert "shared/reference" not in text, path
    for name in ("README.md", "Makefile", "Dockerfile", "pyproject.toml"):
        assert "shared/reference" not in (ROOT / name).read_text(encoding="utf-8"), name


def test_license_names_both_parts_and_pyproject_agrees() -> None:
    import tomllib

    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in text and "CC BY 4.0" in text and "notebooks/" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT AND CC-BY-4.0" and project["license-files"] == ["LICENSE"]


def test_readme_says_course_or_demo_course_never_a_third_name() -> None:
    """`course/` is the instructor's directory (--course), `demo-course/` the demo's."""
    dirs = set(re.findall(r"`\.?/?([a-z-]*course)/", README))
    assert dirs <= {"course", "demo-course"}, dirs
