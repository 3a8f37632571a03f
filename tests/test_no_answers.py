"""What students get holds no answers: nothing they are given returns a graded function's
output on its visible inputs, for any lesson not yet due.

The candidates: every public callable reachable from the student kit (its modules' own
functions and classes, and the public static and class methods of those classes), and
every function defined or imported by a locked cell of each released student notebook,
plus every import of the code cells students are given (released before any deadline, and
with lessons 01-03 past theirs). Each candidate is called, through the harness, with the
visible inputs of every graded function of every lesson not yet due, in that function's
place; none may return what the reference returns.

Point it at the layout before the student kit with ``KIT_PACKAGE=backprop_ref`` (what
students installed then), e.g. in a checkout of an older commit::

    KIT_PACKAGE=backprop_ref .venv/bin/python -m pytest tests/test_no_answers.py
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import io
import math
import os
import pkgutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from autograder.course import Course
from autograder.lessons import answers
from autograder.nbgrader_glue import nbg
from autograder.stages import release as release_mod
from backprop_ref.specs import LESSONS, VISIBLE_SEED
from tests.lessons import solution_namespace

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
KIT = os.environ.get("KIT_PACKAGE", "backprop_kit")
try:  # the harness: in the kit, or (the layout before it) in the reference's specs
    harness: Any = importlib.import_module("backprop_kit.harness")
except ImportError:
    harness = importlib.import_module("backprop_ref.specs.harness")

#: Lessons past their deadline in the second release (the others are not due).
DUE_EARLY = ("01_jacobians", "02_gradient_checking", "03_linear_layer")
SECONDS = 2.0


# ------------------------------------------------------------------------- candidates


def kit_callables(package: str) -> dict[str, Callable[..., Any]]:
    """Public callables defined in the package's public modules (and classes' public
    static and class methods)."""
    root = importlib.import_module(package)
    modules = [root] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(root.__path__, f"{package}.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    found: dict[str, Callable[..., Any]] = {}
    seen: set[int] = set()
    for module in modules:
        for attr, value in vars(module).items():
            if attr.startswith("_") or not callable(value) or id(value) in seen:
                continue  # (a name imported into several modules is called once)
            if not str(getattr(value, "__module__", "")).startswith(package):
                continue  # numpy, the standard library: not the course's
            seen.add(id(value))
            found[f"{module.__name__}.{attr}"] = value
            if inspect.isclass(value):
                for name, member in vars(value).items():
                    if not name.startswith("_") and isinstance(member, staticmethod | classmethod):
                        found[f"{module.__name__}.{attr}.{name}"] = getattr(value, name)
    return found


def _bound_names(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def notebook_callables(nb: nbformat.NotebookNode, label: str) -> dict[str, Callable[..., Any]]:
    """What the locked cells define or import, and what every given cell imports."""
    found: dict[str, Callable[..., Any]] = {}
    namespace: dict[str, Any] = {"np": np, "math": math}
    for i, cell in enumerate(nb.cells):
        meta = answers.nbgrader_meta(cell)
        if cell.cell_type != "code" or meta.get("solution") or meta.get("grade"):
            continue  # answer cells are the student's; test cells define nothing
        source = "\n".join(
            ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))
        )
        tree = ast.parse(source)
        if meta.get("locked"):
            names = _bound_names(tree)
            body = source
        else:  # a given cell that students may change: its imports only
            imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
            names = _bound_names(ast.Module(body=imports, type_ignores=[]))
            body = ast.unparse(ast.Module(body=imports, type_ignores=[]))
        if not names:
            continue
        with contextlib.suppress(Exception), _quiet():
            exec(compile(body, f"<{label} cell {i}>", "exec"), namespace)
        for name in names:
            value = namespace.get(name)
            if callable(value):
                found[f"{label}: {name}"] = value
    return found


# ---------------------------------------------------------------------- the reference


def solutions(lesson: str) -> dict[str, Any]:
    """The answer key's functions: the definitions of the lesson's source notebook."""
    return solution_namespace(lesson)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


class _TimeUp(BaseException):
    pass


def _timed(call: Callable[..., Any], *args: Any) -> Any:
    def ring(signum: int, frame: Any) -> None:
        raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, SECONDS)
    try:
        return call(*args)
    except _TimeUp:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def same(a: Any, b: Any) -> bool:
    """Equal as plain data (numbers and arrays to a close tolerance)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        except (TypeError, ValueError):
            return False
        return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-7, atol=1e-12))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool | str | None) or isinstance(b, bool | str | None):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-12)
    return False


def matches(candidates: dict[str, Callable[..., Any]], lessons: list[str]) -> tuple[list[str], int]:
    """Each (candidate, graded function, case) where the candidate returns the reference's
    output; and how many calls were made."""
    found, calls = [], 0
    import matplotlib.pyplot as plt

    for lesson in lessons:
        ref = solutions(lesson)
        for spec in LESSONS[lesson].specs:
            for case in spec.draw("visible", VISIBLE_SEED):
                expected = spec.run(ref, case)
                assert expected.error is None, f"the reference fails {spec.name}: {expected}"
                for label, fn in candidates.items():
                    calls += 1
                    with _quiet():
                        got = _timed(spec.run, {**ref, spec.name: fn}, case)
                    plt.close("all")
                    if got is not None and got.error is None and same(got.values, expected.values):
                        found.append(f"{label} returns {spec.name}'s output [{case.note}]")
    return found, calls


# --------------------------------------------------------------------------- releases


def _release(root: Path, deadlines: dict[str, str]) -> dict[str, nbformat.NotebookNode]:
    course = Course.at(root)
    root.mkdir(parents=True)
    config = nbg.write_course_config(root)
    with config.open("a", encoding="utf-8") as f:
        f.write(f"c.LatePolicy.deadlines = {deadlines!r}\n")
    names = release_mod.release(course, self_study=False)
    return {n: answers.read(course.path("release", n, f"{n}.ipynb")) for n in names}


@pytest.fixture(scope="module")
def kit() -> dict[str, Callable[..., Any]]:
    found = kit_callables(KIT)
    assert found, f"nothing public in {KIT}?"
    return found


@pytest.mark.parametrize("scenario", ["before any deadline", "lessons 01-03 past due"])
def test_nothing_students_get_returns_an_answer(
    scenario: str, kit: dict[str, Callable[..., Any]], tmp_path: Path
) -> None:
    past = "2000-01-01T00:00:00+00:00"
    deadlines = {} if scenario == "before any deadline" else dict.fromkeys(DUE_EARLY, past)
    released = _release(tmp_path / "course", deadlines)
    candidates = dict(kit)
    for name, nb in released.items():
        candidates.update(notebook_callables(nb, name))
    not_due = [name for name in LESSONS if name not in deadlines]
    found, calls = matches(candidates, not_due)
    assert calls > 1000  # the test really ran
    assert not found, f"{len(found)} answers handed out ({KIT}, {scenario}):\n" + "\n".join(
        sorted(found)
    )
