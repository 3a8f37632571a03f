"""Authoring the lessons: each nbgrader source notebook is built from a paired py:percent file.

``notebooks/NN_topic/NN_topic.py`` is what authors edit and review (readable diffs, nbgrader
metadata in the cell headers); ``NN_topic.ipynb`` beside it is the nbgrader source, generated
by ``make notebooks`` (``python -m autograder.lessons.authoring``), outputs stripped, with no
jupytext metadata (so released student copies do not pair themselves with a .py file). A test
checks that every ``.ipynb`` equals what its ``.py`` builds. ``make notebooks`` also writes
each lesson's check data beside its source notebook (``checks.npz``, visible and hidden
cases, git-ignored), which the notebook's ``check`` cells read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

from autograder.lessons import points_tables

#: Cell metadata keys jupytext adds for its own round trip; nbgrader needs none of them.
_JUPYTEXT_KEYS = ("lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker")

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def notation(root: Path) -> str:
    """The course's notation block (``notebooks/NOTATION.md``): the README states it, and
    every lesson carries it verbatim as a markdown cell near its top (a test checks both)."""
    return (root / "notebooks" / "NOTATION.md").read_text(encoding="utf-8").strip()


def notation_cell(root: Path) -> str:
    """The notation block as a py:percent markdown cell, ready to paste into a lesson."""
    lines = notation(root).splitlines()
    return "# %% [markdown]\n" + "\n".join(f"# {line}".rstrip() for line in lines) + "\n"


def notation_problems(root: Path, nb: nbformat.NotebookNode) -> list[str]:
    """The lesson must carry the notation block verbatim, in a markdown cell of its own."""
    block = notation(root)
    if any(c.cell_type == "markdown" and c.source.strip() == block for c in nb.cells):
        return []
    return ["no markdown cell holds notebooks/NOTATION.md verbatim (--notation prints it)"]


def lesson_dirs(root: Path) -> list[Path]:
    """The lesson folders ``notebooks/NN_topic`` in course order."""
    return sorted(p for p in (root / "notebooks").iterdir() if p.is_dir() and p.name[:2].isdigit())


def build(py_path: Path) -> nbformat.NotebookNode:
    """The nbgrader source notebook for a py:percent lesson file."""
    nb = jupytext.read(py_path, fmt="py:percent")
    nb.metadata = nbformat.from_dict(
        {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    )
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"  # stable ids: rebuilding never rewrites a notebook
        for key in _JUPYTEXT_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """The exact text written to disk (stable key order, one trailing newline)."""
    return nbformat.writes(nb, version=4) + "\n"


def write_checks(root: Path) -> list[Path]:
    """``checks.npz`` beside every source notebook (visible and hidden cases: authors run
    the hidden tests too), generated from the reference."""
    from backprop_ref.specs.checkdata import GRADER, write_checks

    return [write_checks(folder, folder.name, GRADER) for folder in lesson_dirs(root)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.lessons.authoring",
        description="Build each notebooks/NN_topic/NN_topic.ipynb from its paired .py file.",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument("--check", action="store_true", help="only report notebooks out of date")
    parser.add_argument(
        "--notation",
        action="store_true",
        help="print the notation block as a py:percent cell (to paste into a new lesson)",
    )
    args = parser.parse_args(argv)
    if args.notation:
        print(notation_cell(args.root), end="")
        return 0
    stale, problems = [], []
    for folder in lesson_dirs(args.root):
        py = folder / f"{folder.name}.py"
        if not py.exists():
            continue
        ipynb = py.with_suffix(".ipynb")
        nb = build(py)
        problems += [f"{py.name}: {p}" for p in notation_problems(args.root, nb)]
        problems += [f"{py.name}: {p}" for p in points_tables.table_problems(nb)]
        text = render(nb)
        if ipynb.exists() and ipynb.read_text(encoding="utf-8") == text:
            continue
        stale.append(ipynb)
        if not args.check:
            ipynb.write_text(text, encoding="utf-8")
            print(f"built {ipynb}")
    if problems:
        print("the lessons disagree with the course's single sources:", *problems, sep="\n  ")
    if args.check and stale:
        print("out of date (run `make notebooks`):", *map(str, stale), sep="\n  ")
        return 1
    if not args.check:
        write_checks(args.root)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
