"""`feedback`: HTML per student and notebook, with the test output and the diagnosis hints,
and never the source of hidden tests.

nbgrader's feedback renders the autograded notebook, where hidden tests were restored, so
students would read them (source and traceback). We render a redacted copy instead: hidden
test cells get the student version's source back and keep only the final error line of
their output (the diagnosis), and a summary cell with each function's verified result
opens the notebook. nbgrader's own ``generate_feedback`` then renders it, with the scores
from the gradebook. formgrader's "Generate feedback" button goes through the same
redaction (:mod:`autograder.nbgrader_glue.formgrader`, set in the course config).
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat
from traitlets.config import Config

from autograder.course import Course
from autograder.grading import manual
from autograder.grading.results import SubmissionResult
from autograder.lessons.answers import grade_id
from autograder.nbgrader_glue import nbg
from autograder.pages import mathjax, safe_html
from backprop_ref.specs import LESSONS

STAGING = "feedback-staging"
SUMMARY = "autograder_summary"  # metadata key of the summary cell (it is added once)


def redact(
    graded: nbformat.NotebookNode, release: nbformat.NotebookNode, hidden_ids: set[str]
) -> nbformat.NotebookNode:
    """A copy of ``graded`` in which hidden test cells show nothing of the hidden tests."""
    nb = copy.deepcopy(graded)
    student_source = {grade_id(c): c.source for c in release.cells if grade_id(c)}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid not in hidden_ids:
            continue
        cell.source = student_source.get(gid, "# hidden tests")
        outputs = []
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                out.traceback = [f"{out.ename}: {out.evalue}"]
                outputs.append(out)
            elif out.output_type == "stream" and out.name == "stdout":
                outputs.append(out)
        cell.outputs = outputs
    return nb


def summary_cell(result: SubmissionResult) -> nbformat.NotebookNode:
    """Markdown: the verified result of each graded function, in words."""
    lines = [
        f"## Feedback: {result.assignment}",
        "",
        f"**Score: {result.score:g} / {result.max_score:g}** ({result.status.replace('_', ' ')})",
    ]
    if result.late_penalty or result.seconds_late:
        hours = result.seconds_late / 3600
        lines.append(f"\nSubmitted {hours:.1f} h late; penalty {result.late_penalty:g} points.")
    lines += ["", "| cell | points | result |", "| --- | --- | --- |"]
    for c in result.cells:
        score = "pending" if c.score is None else f"{c.score:g} / {c.max_score:g}"
        text = (c.message or ("passed" if c.score == c.max_score else "")).replace("|", "\\|")
        lines.append(f"| `{c.grade_id}` | {score} | {text.replace(chr(10), ' ')} |")
    lines += [
        "",
        "Your functions were also checked on new inputs outside your notebook; "
        "that check decides the points. Hidden tests are not shown.",
    ]
    cell = nbformat.v4.new_markdown_cell("\n".join(lines))
    cell.metadata[SUMMARY] = True
    return cell


def feedback(
    course: Course,
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write ``course/feedback/<student>/<assignment>/<assignment>.html`` for graded work
    (after bringing formgrader's scores into the results: :func:`autograder.grading.manual.sync`).
    ``progress(done, total)`` is called before the first page and after each one."""
    written = []
    results = manual.sync(course)
    extra = Config()
    extra.CourseDirectory.autograded_directory = STAGING
    # Math from the copy in feedback/_mathjax, not a CDN (see autograder.pages.mathjax).
    extra.HTMLExporter.update(mathjax.nbgrader_config())
    mathjax.install(course.path("feedback"))
    api = nbg.open_api(course.root, course.db_url, extra)
    todo = []
    for result in results:
        if assignments and result.assignment not in assignments:
            continue
        if students and result.student_id not in students:
            continue
        graded = course.path(
            "autograded", result.student_id, result.assignment, f"{result.notebook}.ipynb"
        )
        if graded.exists():
            todo.append((result, graded))
    for done, (result, graded) in enumerate(todo):
        if progress:
            progress(done, len(todo))
        _stage(course, result, graded)
        with nbg.quiet_logs():
            run = api.generate_feedback(result.assignment, result.student_id)
        html = course.path(
            "feedback", result.student_id, result.assignment, f"{result.notebook}.html"
        )
        if run.get("success") and html.exists():
            written.append(safe_html.sanitize_file(html))
    if progress:
        progress(len(todo), len(todo))
    shutil.rmtree(course.path(STAGING), ignore_errors=True)
    return written


def _stage(course: Course, result: SubmissionResult, graded: Path) -> None:
    lesson = LESSONS[result.assignment]
    hidden = {c.grade_id for c in lesson.cells if c.kind == "hidden"}
    release = nbformat.read(
        course.path("release", result.assignment, f"{result.notebook}.ipynb"), as_version=4
    )
    nb = redact(nbformat.read(graded, as_version=4), release, hidden)
    nb.cells.insert(0, summary_cell(result))
    nb = safe_html.clean_notebook(nb)
    folder = course.path(STAGING, result.student_id, result.assignment)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{result.notebook}.ipynb")
    stamp = graded.parent / "timestamp.txt"
    if stamp.exists():
        shutil.copy(stamp, folder / "timestamp.txt")
