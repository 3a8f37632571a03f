"""Shared helpers for the lesson tests: paths, a throwaway nbgrader course, grading a notebook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from traitlets.config import Config

from autograder.course import Course as CourseDir
from autograder.grading.extract import extract
from autograder.lessons import answers, samples
from autograder.nbgrader_glue import nbg
from autograder.stages import release
from backprop_ref.specs import LESSONS, Lesson
from tests import system

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def source_path(lesson: str) -> Path:
    return NOTEBOOKS / lesson / f"{lesson}.ipynb"


def solution_namespace(lesson: str) -> dict[str, Any]:
    """The answer key's functions: the definitions of the lesson's source notebook, as
    verification extracts them."""
    nb = answers.read(source_path(lesson))
    code = [
        (str(i), answers.solution_text(c.source))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
    ]
    ns: dict[str, Any] = {}
    exec(compile(extract(code).source, f"<{lesson} solutions>", "exec"), ns)
    return ns


def mutants(lesson: str) -> dict[str, dict[str, dict[str, str]]]:
    """``{function: {"wrong": {description: source}, "correct": {description: source}}}``."""
    return samples.mutants(lesson)


@dataclass
class Course:
    """A throwaway nbgrader course holding one lesson, generated (released) once."""

    root: Path
    lesson: Lesson

    @property
    def db_url(self) -> str:
        return nbg.sqlite_url(self.root)

    def source(self) -> nbformat.NotebookNode:
        return answers.read(self.root / "source" / self.lesson.name / f"{self.lesson.name}.ipynb")

    def release(self) -> nbformat.NotebookNode:
        return answers.read(self.root / "release" / self.lesson.name / f"{self.lesson.name}.ipynb")

    def grade(self, student: str, nb: nbformat.NotebookNode) -> dict[str, float]:
        """Submit ``nb`` as ``student``, autograde it, return grade_id -> auto score."""
        name = self.lesson.name
        folder = self.root / "submitted" / student / name
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
        extra = Config()
        if not system.sandboxed():  # only where the run opted out (make test SANDBOX=0)
            extra.SandboxedExecute.sandbox = "none"
        with nbg.quiet_logs():
            result = nbg.open_api(self.root, None, extra).autograde(name, student)
        assert result["success"], f"autograde failed for {student}: {result.get('error')}"
        scores = nbg.notebook_scores(self.db_url, name, name, student)
        return {gid: (s.auto_score or 0.0) for gid, s in scores.items()}


def make_course(tmp: Path, lesson_name: str) -> Course:
    """The lesson released as ``release`` does it with no deadline set (building blocks as
    answer cells), with its check data: beside the source, and the grader's copy."""
    lesson = LESSONS[lesson_name]
    course = CourseDir.at(tmp)
    release.write_source(course, lesson_name)
    release.write_grading_checks(course, lesson_name)
    with nbg.quiet_logs():
        result = nbg.open_api(tmp).generate_assignment(lesson_name)
    assert result["success"], result.get("error")
    return Course(tmp, lesson)


def full_marks(lesson: Lesson) -> dict[str, float]:
    return {c.grade_id: float(c.points) for c in lesson.cells if c.kind != "manual"}


def expect_scores(lesson: Lesson, lost: set[str]) -> dict[str, Any]:
    """The autograded scores when exactly the functions in ``lost`` fail."""
    return {
        c.grade_id: (0.0 if c.spec in lost else float(c.points))
        for c in lesson.cells
        if c.kind != "manual"
    }
