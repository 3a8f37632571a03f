"""Answers in notebooks: reading the solutions out of a source notebook and writing answers
into a student's copy. Used to build sample submissions (the demo) and the mutant tests.

A lesson's solution cell for graded function ``f`` has grade_id ``sol_f`` and holds the
whole ``def f(...)``; an answer for it is the source of a complete replacement cell.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict[str, object]:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def solution_text(source: str) -> str:
    """A solution cell's source with the solution markers removed and the code kept."""
    return "\n".join(line for line in source.split("\n") if line.strip() not in (BEGIN, END))


def solutions(source_nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> the instructor's answer, for every solution cell of a source notebook."""
    return {
        gid: solution_text(cell.source)
        for cell in source_nb.cells
        if nbgrader_meta(cell).get("solution") and (gid := grade_id(cell)) is not None
    }


def fill(release_nb: nbformat.NotebookNode, answers: Mapping[str, str]) -> nbformat.NotebookNode:
    """A copy of a student's notebook with the given solution cells' sources replaced."""
    nb = copy.deepcopy(release_nb)
    unknown = set(answers) - {grade_id(c) for c in nb.cells}
    if unknown:
        raise KeyError(f"no cells with grade_id {sorted(unknown)} in the notebook")
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in answers:
            cell.source = answers[gid]
    return nb


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)
