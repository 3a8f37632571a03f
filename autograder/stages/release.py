"""`release`: the lessons become nbgrader assignments, plus a self-study bundle.

For each lesson (package data: :mod:`autograder.lessons`, the repository's ``notebooks/``
in a checkout): write the source notebook into ``course/source/`` (its
building-block cells provided or turned into answer cells by the deadlines: see
:mod:`autograder.lessons.blocks`) with the lesson's visible check data beside it (``checks.npz``,
which nbgrader copies into the release and restores when autograding), run nbgrader's
``generate_assignment`` (student version in ``course/release/``), record the deadline in
the gradebook, write the grader's check data (visible and hidden cases:
``course/grading-checks/``, never released), and write ``course/self-study/<lesson>/``: the
student version with the building blocks provided, its check data, and the worked
solutions as HTML (executed, hidden tests removed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from autograder import lessons
from autograder.course import Course
from autograder.lessons import blocks
from autograder.lessons.answers import nbgrader_meta, solution_text
from autograder.lessons.authoring import render
from autograder.nbgrader_glue import nbg
from autograder.pages import mathjax, safe_html, site
from backprop_kit.checkfile import FILENAME as CHECKS
from backprop_ref.specs.checkdata import GRADER, lesson_checks, write_checks

# Figures on the self-study pages: the kernel draws inline even when MPLBACKEND=Agg is set.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class ReleaseError(RuntimeError):
    """A lesson could not be released; the message says which and why."""


def lessons_in() -> list[str]:
    """The lessons that can be released, in course order."""
    return lessons.names()


def release(
    course: Course,
    assignments: list[str] | None = None,
    *,
    self_study: bool = True,
    execute_solutions: bool = True,
    progress: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Release ``assignments`` (default: every lesson); returns the names released.

    ``progress`` is called with each lesson's name once it is released; ``now`` (default:
    the current time) decides which lessons are past their deadline, and so which building
    blocks are provided."""
    available = lessons_in()
    names = assignments or available
    unknown = [a for a in names if a not in available]
    if unknown:
        raise ReleaseError(
            f"no lesson called {', '.join(unknown)} (lessons: {', '.join(available)})"
        )
    course.root.mkdir(parents=True, exist_ok=True)
    nbg.write_course_config(course.root)
    api = course.api()
    policy = course.policy()
    due = blocks.due_by(policy, now)
    for name in names:
        write_source(course, name, due)
        with nbg.quiet_logs():
            result = api.generate_assignment(name)
        if not result.get("success"):
            raise ReleaseError(f"nbgrader could not generate {name}:\n{result.get('error')}")
        _set_deadline(course, name, policy.deadline(name))
        write_grading_template(course, name)
        write_grading_checks(course, name)
        if progress and not self_study:
            progress(name)
    if self_study:
        write_self_study_all(course, names, execute=execute_solutions, progress=progress)
    return names


def write_self_study_all(
    course: Course,
    names: list[str],
    *,
    execute: bool = True,
    progress: Callable[[str], None] | None = None,
) -> None:
    """:func:`write_self_study` for each lesson, one kernel per core at a time (each lesson
    runs in a kernel of its own, so they run side by side), then the course map once."""
    folder = course.path("self-study")
    folder.mkdir(parents=True, exist_ok=True)
    mathjax.install(folder)  # before the lessons, which share it
    jobs = max(1, min(len(names), os.cpu_count() or 1))
    with ThreadPoolExecutor(jobs, thread_name_prefix="self-study") as pool:
        futures = {pool.submit(write_self_study, course, n, execute=execute): n for n in names}
        for future in as_completed(futures):
            future.result()
            if progress:
                progress(futures[future])
    site.write_index(folder)


def write_source(course: Course, name: str, due: Callable[[str], bool] | None = None) -> Path:
    """``course/source/<name>/``: the lesson's source notebook as released (building blocks
    by ``due``, default: nothing due) and its visible check data."""
    src = course.path("source", name)
    src.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(lessons.source(name), as_version=4)
    nb = blocks.for_release(nb, due or (lambda lesson: False))
    target = src / f"{name}.ipynb"
    target.write_text(render(nb), encoding="utf-8")
    complete_language_info(target)
    write_checks(src, name)
    return target


def grading_checks_path(course: Course, name: str) -> Path:
    """The grader's check data of an assignment (visible and hidden cases)."""
    return course.path("grading-checks", f"{name}.npz")


def write_grading_checks(course: Course, name: str) -> Path:
    """Write the grader's check data (never released: it holds the hidden cases)."""
    path = grading_checks_path(course, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(lesson_checks(name, GRADER))
    return path


def complete_language_info(path: Path) -> None:
    """Give the notebook the ``language_info`` a Python 3 kernel reports.

    The lessons carry only ``{"name": "python"}`` (jupytext writes no more); JupyterLab
    fills in the rest from the kernel as soon as the notebook opens, and the student sees a
    freshly released notebook marked as modified. With the full record it stays clean.
    """
    import platform

    nb = nbformat.read(path, as_version=4)
    nb.metadata["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": platform.python_version(),
    }
    nbformat.write(nb, path)


def template_paths(course: Course, name: str) -> tuple[Path, Path]:
    """The grading template of an assignment and the digest of the source it was made from."""
    db = course.path("grading-templates", f"{name}.db")
    return db, db.with_suffix(".sha256")


def write_grading_template(course: Course, name: str) -> Path:
    """A SQLite gradebook holding just this assignment, built from its source.

    Grading workers start their private course from it (it travels with each task), so no
    worker runs nbgrader's generate_assignment, or creates a gradebook, while grading.
    """
    source = course.path("source", name, f"{name}.ipynb")
    db, digest = template_paths(course, name)
    with tempfile.TemporaryDirectory(prefix="template-") as tmp:
        root = Path(tmp)
        (root / "source" / name).mkdir(parents=True)
        shutil.copy(source, root / "source" / name / f"{name}.ipynb")
        with nbg.quiet_logs():
            result = nbg.open_api(root).generate_assignment(name)
        if not result.get("success"):
            raise ReleaseError(f"nbgrader could not generate {name}:\n{result.get('error')}")
        db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / "gradebook.db", db)
    digest.write_text(hashlib.sha256(source.read_bytes()).hexdigest())
    return db


def _set_deadline(course: Course, name: str, deadline: object) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        due = None if deadline is None else deadline.replace(tzinfo=None)  # type: ignore[attr-defined]
        gb.update_or_create_assignment(name, duedate=due)


def write_self_study(course: Course, name: str, *, execute: bool = True) -> Path:
    """Student notebook (building blocks provided) and its check data, plus the lesson with
    worked solutions (HTML) for self-learners (the course map: :func:`write_self_study_all`).

    The solutions page is the source notebook, hidden tests removed, executed with the
    inline matplotlib backend (whatever ``MPLBACKEND`` the caller has, so every figure is
    on the page), each solution behind a ``<details>`` toggle, math from the MathJax copy in
    ``self-study/_mathjax`` (:mod:`autograder.pages.mathjax`).
    """
    from nbconvert import HTMLExporter
    from nbgrader.preprocessors import ClearHiddenTests

    out = course.path("self-study", name)
    out.mkdir(parents=True, exist_ok=True)
    original = nbformat.read(lessons.source(name), as_version=4)
    student = nbformat.read(course.path("release", name, f"{name}.ipynb"), as_version=4)
    blocks.provided(student, original)
    nbformat.write(student, out / f"{name}.ipynb")
    shutil.copy(course.path("source", name, CHECKS), out / CHECKS)
    nb = blocks.for_release(original, lambda lesson: True)
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            cell.source = solution_text(cell.source)
    if execute:
        from nbclient import NotebookClient

        client = NotebookClient(
            nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(out)}}
        )
        env = {**os.environ, "MPLBACKEND": INLINE_BACKEND}
        client.execute(stderr=subprocess.DEVNULL, env=env)  # no kernel start-up chatter
    settings = mathjax.exporter_settings(out, mathjax.install(out.parent))
    html, _ = HTMLExporter(**settings).from_notebook_node(
        safe_html.clean_notebook(nb),
        resources={"course_nav": site.lesson_nav(name, lessons_in())},
    )
    return safe_html.write_page(out / f"{name}-solutions.html", html)
