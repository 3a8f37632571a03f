"""formgrader's own "Generate feedback", made safe: the same redaction as ``feedback``.

formgrader's button (and ``nbgrader generate_feedback``) renders the autograded notebook,
where nbgrader restored the hidden tests, so students would read them. The course config
(``autograder/nbgrader_glue/nbgrader_config.py``) puts :class:`RedactFeedback` first in
``GenerateFeedback.preprocessors``: every feedback nbgrader renders for this course, from
whichever button or command, goes through :func:`autograder.stages.feedback.redact` and opens
with the verified summary (:func:`autograder.stages.feedback.summary_cell`), its hand-given
scores read from the gradebook at that moment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.course import LatePolicy
from autograder.grading import gradebook, manual
from autograder.grading.results import SubmissionResult
from autograder.lessons.answers import grade_id
from autograder.stages.feedback import SUMMARY, redact, summary_cell
from backprop_ref.specs import LESSONS


def hidden_cells(
    nb: nbformat.NotebookNode, release: nbformat.NotebookNode, assignment: str
) -> set[str]:
    """The hidden test cells: the lesson's, and (for any assignment) every test cell whose
    source differs from the student version's (nbgrader restored something hidden there)."""
    lesson = LESSONS.get(assignment)
    hidden = {c.grade_id for c in lesson.cells if c.kind == "hidden"} if lesson else set()
    released = {grade_id(c): c.source for c in release.cells if grade_id(c)}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = grade_id(cell)
        if gid and meta.get("grade") and not meta.get("solution"):
            if released.get(gid) != cell.source:
                hidden.add(gid)
    return hidden


class RedactFeedback(NbGraderPreprocessor):  # type: ignore[misc]
    """Hide the hidden tests (source and tracebacks) and put the verified summary first."""

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        info = resources["nbgrader"]
        assignment, student, notebook = info["assignment"], info["student"], info["notebook"]
        root = Path(CourseDirectory(config=self.config).root)
        path = root / "release" / assignment / f"{notebook}.ipynb"
        release = nbformat.read(path, as_version=4) if path.exists() else nbformat.v4.new_notebook()
        nb = redact(nb, release, hidden_cells(nb, release, assignment))
        if not any(c.get("metadata", {}).get(SUMMARY) for c in nb.cells):
            saved = root / "results" / assignment / f"{student}.json"
            if saved.exists():
                result = self._current(SubmissionResult.load(saved), info["db_url"])
                nb.cells.insert(0, summary_cell(result))
        return nb, resources

    def _current(self, result: SubmissionResult, db_url: str) -> SubmissionResult:
        """The saved result with the gradebook's hand-given scores as they are now."""
        from nbgrader.api import Gradebook

        with Gradebook(db_url) as gb:
            hand = gradebook.hand_grades(gb)
        key = (result.student_id, result.assignment, result.notebook)
        manual.apply(result, hand.get(key, {}), LatePolicy(config=self.config))
        return result
