"""Points are defined once: in each lesson's nbgrader metadata (the ``points`` of its graded
cells). Every table that shows them is checked against it: the README's course map (auto +
manual per lesson), each lesson's "What is graded" table (one row per graded function or
written answer, and a total) and the points an exercise heading announces.
``python -m autograder.lessons.authoring`` reports a disagreement, and a test fails on one.

The lesson's table, in the notebook's first markdown cell::

    | part | graded | points |
    | --- | --- | --- |
    | 2. Computing a Jacobian numerically | `numerical_jacobian` | 2 + 2 hidden |
    | 4. Softmax | written: the softmax Jacobian | 4 by hand |
    | total | 7 functions, 1 written answer | 16 + 4 by hand |

A function's points are ``V + H hidden`` (its visible and hidden test cells) or ``V`` when it
has no hidden cell; a written answer's are ``P by hand``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nbformat

from autograder.lessons import answers

TABLE_HEADER = "| part | graded | points |"
_NUMBER = r"(\d+(?:\.\d+)?)"
_FUNCTION = re.compile(rf"^{_NUMBER}(?: \+ {_NUMBER} hidden)?$")
_BY_HAND = re.compile(rf"^{_NUMBER} by hand$")
_TOTAL = re.compile(rf"^{_NUMBER} \+ {_NUMBER} by hand$")
_HEADING_POINTS = re.compile(rf"\({_NUMBER} points?(, graded by hand)?\)")


@dataclass
class LessonPoints:
    """A lesson's points as its nbgrader metadata defines them."""

    functions: dict[str, tuple[float, float]] = field(default_factory=dict)  # fn: (vis, hid)
    written: dict[str, float] = field(default_factory=dict)  # grade_id: points

    @property
    def auto(self) -> float:
        return sum(v + h for v, h in self.functions.values())

    @property
    def manual(self) -> float:
        return sum(self.written.values())


def lesson_points(nb: nbformat.NotebookNode) -> LessonPoints:
    """The points of every graded cell, by function (``test_<fn>``, ``test_<fn>_hidden``)
    and by written answer (a graded markdown or solution cell)."""
    points = LessonPoints()
    for cell in nb.cells:
        meta = answers.nbgrader_meta(cell)
        if not meta or not meta.get("grade"):
            continue
        gid, value = str(meta["grade_id"]), float(meta["points"])
        if cell.cell_type == "markdown" or meta.get("solution"):
            points.written[gid] = value
            continue
        hidden = gid.endswith("_hidden")
        fn = gid.removeprefix("test_").removesuffix("_hidden")
        visible_pts, hidden_pts = points.functions.get(fn, (0.0, 0.0))
        points.functions[fn] = (visible_pts, value) if hidden else (value, hidden_pts)
    return points


def _rows(text: str) -> list[list[str]]:
    """The rows of the markdown table that starts with :data:`TABLE_HEADER` in ``text``."""
    lines = [line.strip() for line in text.splitlines()]
    if TABLE_HEADER not in lines:
        return []
    rows = []
    for line in lines[lines.index(TABLE_HEADER) + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([part.strip() for part in line.strip("|").split("|")])
    return rows


def _num(text: str | None) -> float:
    return float(text) if text is not None else 0.0


def table_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Where the lesson's "What is graded" table or an exercise heading disagrees with the
    notebook's metadata (an empty list when everything agrees)."""
    points = lesson_points(nb)
    intro = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    rows = _rows(intro)
    if not rows:
        return [f"the first markdown cell has no table starting {TABLE_HEADER!r}"]
    problems: list[str] = []
    seen: list[str] = []
    written: list[float] = []
    total = None
    for part, graded, shown in rows:
        names = re.findall(r"`([A-Za-z_]\w*)", graded)
        if part == "total":
            total = _TOTAL.match(shown)
            if total is None:
                problems.append(f"total row: {shown!r} is not 'A + M by hand'")
        elif names:
            if len(names) != 1:
                problems.append(f"one function per row: {graded!r}")
                continue
            fn = names[0]
            seen.append(fn)
            match = _FUNCTION.match(shown)
            if fn not in points.functions:
                problems.append(f"`{fn}` is in the table but has no graded test cell")
            elif match is None:
                problems.append(f"`{fn}`: {shown!r} is not 'V + H hidden' or 'V'")
            elif (_num(match[1]), _num(match[2])) != points.functions[fn]:
                vis, hid = points.functions[fn]
                problems.append(f"`{fn}`: the table says {shown!r}, the metadata {vis:g} + {hid:g}")
        else:
            match = _BY_HAND.match(shown)
            if match is None:
                problems.append(f"row {graded!r}: {shown!r} is not 'P by hand'")
            else:
                written.append(float(match[1]))
    missing = [fn for fn in points.functions if fn not in seen]
    if missing or len(seen) != len(set(seen)):
        problems.append(f"each graded function once: missing {missing}, listed {seen}")
    if sorted(written) != sorted(points.written.values()):
        problems.append(f"written answers: the table says {written}, the metadata {points.written}")
    if total is not None and (float(total[1]), float(total[2])) != (points.auto, points.manual):
        problems.append(f"total: the metadata gives {points.auto:g} + {points.manual:g} by hand")
    problems += _heading_problems(nb, points)
    return problems


def _heading_problems(nb: nbformat.NotebookNode, points: LessonPoints) -> list[str]:
    """An exercise heading that announces points: ``### Exercise 1: `fn` (4 points)`` must
    give the function's total, ``(4 points, graded by hand)`` a written answer's."""
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = _HEADING_POINTS.search(line) if line.startswith("#") else None
            if match is None:
                continue
            value = float(match[1])
            names = [n for n in re.findall(r"`([A-Za-z_]\w*)", line) if n in points.functions]
            if match[2]:
                ok = value in points.written.values()
            elif names:
                ok = all(value == sum(points.functions[n]) for n in names)
            else:
                ok = False
            if not ok:
                problems.append(f"heading {line.strip()!r} disagrees with the metadata")
    return problems


def course_map_problems(readme: str, lessons: dict[str, LessonPoints]) -> list[str]:
    """Where the README's course map (``| [NN topic](...) | ... | A + M | ... |``) disagrees
    with the lessons' metadata."""
    problems = []
    rows = {}
    for line in readme.splitlines():
        found = re.match(r"^\| \[\d\d [^\]]*\]\(notebooks/([^/]+)/", line)
        if found:
            rows[found[1]] = line
    if list(rows) != list(lessons):
        problems.append(f"the course map lists {list(rows)}, the course has {list(lessons)}")
    for name, points in lessons.items():
        match = re.search(rf"\| {_NUMBER} \+ {_NUMBER} \|", rows.get(name, ""))
        if match is None or (float(match[1]), float(match[2])) != (points.auto, points.manual):
            problems.append(
                f"{name}: the course map's points should be {points.auto:g} + {points.manual:g}"
            )
    return problems
