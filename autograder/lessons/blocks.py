"""Building blocks: cells of a lesson that provide earlier lessons' graded functions.

Lesson 4 builds on lesson 3's ``linear_forward``/``linear_backward``, lesson 5 on the
layers of lessons 3 and 4, lessons 3 and 4 on lesson 1's ``numerical_jacobian``. The source
notebook holds the reference code of those functions in a locked cell whose metadata names
the lessons it draws on::

    # %% nbgrader={..., "locked": true, ...} building_blocks=["01_jacobians"]

At release such a cell stays a locked cell with the reference code only when every lesson
it draws on is past its deadline (``c.LatePolicy.deadlines``; a lesson without a deadline
is not due). Otherwise it is released as an editable, ungraded answer cell: the same
``def`` lines and docstrings with stub bodies, and a note asking for the student's own
functions from those lessons. The graded functions then call the student's own (the
verification extracts every definition of the notebook, so it grades them the same way).
The self-study bundle always gets the provided code.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
from collections.abc import Callable

import nbformat

from autograder.course import LatePolicy
from autograder.lessons.answers import BEGIN, END, nbgrader_meta

KEY = "building_blocks"  #: cell metadata: the lessons (assignment names) a cell draws on

#: nbgrader metadata of a building-block cell released before its lessons are due.
ANSWER_META = {"grade": False, "locked": False, "schema_version": 3, "solution": True}


def drawn_on(cell: nbformat.NotebookNode) -> list[str]:
    """The lessons a building-block cell draws on ([] for any other cell)."""
    found = cell.get("metadata", {}).get(KEY, [])
    return [str(x) for x in found] if isinstance(found, list) else []


def lesson_words(lessons: list[str]) -> str:
    """``lesson 3`` or ``lessons 3 and 4`` for ``["03_linear_layer", ...]``."""
    numbers = [str(int(name[:2])) if name[:2].isdigit() else name for name in lessons]
    if len(numbers) == 1:
        return f"lesson {numbers[0]}"
    return f"lessons {', '.join(numbers[:-1])} and {numbers[-1]}"


def due_by(policy: LatePolicy, now: dt.datetime | None = None) -> Callable[[str], bool]:
    """Whether a lesson is past its deadline (no deadline configured: not due)."""
    moment = now or dt.datetime.now(dt.UTC)

    def due(lesson: str) -> bool:
        deadline = policy.deadline(lesson)
        return deadline is not None and deadline <= moment

    return due


def for_release(nb: nbformat.NotebookNode, due: Callable[[str], bool]) -> nbformat.NotebookNode:
    """The source notebook as released: building-block cells kept (every lesson they draw
    on is due) or turned into answer cells; the marker metadata removed either way."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        lessons = drawn_on(cell)
        if not lessons:
            continue
        del cell.metadata[KEY]
        if not all(due(lesson) for lesson in lessons):
            cell.source = answer_source(cell.source, lessons)
            meta = {**nbgrader_meta(cell), **ANSWER_META}
            cell.metadata["nbgrader"] = nbformat.from_dict(meta)
    return out


def answer_source(source: str, lessons: list[str]) -> str:
    """A building-block cell as an answer cell: a note, then each function with its
    docstring and its body between the solution markers (nbgrader replaces it with a stub)."""
    lines = source.split("\n")
    tree = ast.parse(source)
    body_spans = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        inner = node.body
        if isinstance(inner[0], ast.Expr) and isinstance(inner[0].value, ast.Constant):
            inner = inner[1:]  # keep the docstring
        if inner:
            body_spans.append((inner[0].lineno - 1, node.end_lineno or inner[-1].lineno))
    for start, stop in reversed(body_spans):
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        lines[start:stop] = [f"{indent}{BEGIN}", *lines[start:stop], f"{indent}{END}"]
    heading = next((k for k, line in enumerate(lines) if not line.startswith("#")), len(lines))
    code = "\n".join(lines[heading:])  # the provided cell's own comment gives way to the note
    where = lesson_words(lessons)
    note = (
        f"# Building blocks from {where}: paste your own functions from {where} here\n"
        f"# (replace each body below). They are provided once {where} "
        f"{'is' if len(lessons) == 1 else 'are'} past the\n"
        "# deadline; until then this notebook (and its graded functions) uses your own.\n"
    )
    return note + code.lstrip("\n")


def provided(student_nb: nbformat.NotebookNode, source_nb: nbformat.NotebookNode) -> None:
    """Give ``student_nb`` (a released copy) the provided code of every building-block cell
    of ``source_nb`` (the lesson's source in the repository), locked: the self-study copy."""
    blocks = {nbgrader_meta(c).get("grade_id"): c for c in source_nb.cells if drawn_on(c)}
    for cell in student_nb.cells:
        original = blocks.get(nbgrader_meta(cell).get("grade_id"))
        if original is not None:
            cell.source = original.source
            cell.metadata["nbgrader"] = copy.deepcopy(original.metadata["nbgrader"])
