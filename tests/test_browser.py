"""What students, self-learners and instructors see, in a real browser.

Debian's Chromium, driven by Playwright, against a ``jupyter lab`` server started here on a
loopback port with a token: a student's JupyterLab (the student settings of
``autograder.commands.student_env``) opens each released notebook, renders its math, runs it, shows
the first diagnosis (blank notebook) or every stage passed (the lesson's own solutions), and
validates; an instructor's JupyterLab in the course directory shows formgrader. The
feedback and self-study pages are opened as files with every request off this machine
aborted. Each test saves a screenshot in tests/browser/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.commands import student_env
from autograder.course import Course
from autograder.lessons import answers, samples
from autograder.sandbox import bwrap
from autograder.stages import collect, feedback, release
from autograder.stages import grade as grade_mod
from tests import browser as b

pytestmark = [pytest.mark.slow, pytest.mark.browser]
LESSONS = release.lessons_in()
GRADED = "03_linear_layer"  # the lesson graded for the feedback and formgrader tests


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """All lessons released (with the self-study site); two submissions of one lesson graded."""
    c = Course.at(tmp_path_factory.mktemp("browser") / "course")
    release.release(c)
    chosen = [
        s
        for s in samples.samples(c.path("release"), c.path("source"), lessons=[GRADED])
        if s.student in {"ada_perfect", "ben_empty"}
    ]
    with tempfile.TemporaryDirectory() as tmp:
        collect.collect(c, samples.write(chosen, Path(tmp)))
    grade_mod.grade(c, grade_mod.Options(sandboxed=not bwrap.unavailable()))
    feedback.feedback(c)
    return c


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=b.chromium())
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def student_lab(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    """A student's JupyterLab: each released notebook as released, and filled with the
    lesson's own solutions."""
    root = tmp_path_factory.mktemp("student")
    (root / "blank").mkdir()
    (root / "solved").mkdir()
    for name in LESSONS:
        released = course.path("release", name, f"{name}.ipynb")
        shutil.copy(released, root / "blank" / released.name)
        source = answers.read(course.path("source", name, f"{name}.ipynb"))
        solved = answers.fill(answers.read(released), answers.solutions(source))
        nbformat.write(solved, root / "solved" / released.name)
    config = root.parent / "student-config"
    student_env.write(config)
    _quiet_lab(config)
    with b.jupyter_lab(root, root.parent / "student-home", config) as server:
        yield server


@pytest.fixture(scope="module")
def instructor_lab(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    """The instructor's JupyterLab, started in the course directory as the README says."""
    home = tmp_path_factory.mktemp("instructor")
    _quiet_lab(home / ".jupyter")
    with b.jupyter_lab(course.root, home, home / ".jupyter") as server:
        yield server


def _quiet_lab(config: Path) -> None:
    """No "get notified about Jupyter news?" toast over the screenshots (test setting)."""
    page = config / "labconfig" / "page_config.json"
    page.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(page.read_text()) if page.exists() else {}
    data.setdefault("disabledExtensions", {})["@jupyterlab/apputils-extension:announcements"] = True
    page.write_text(json.dumps(data))


@pytest.fixture
def lab_page(chrome: Any) -> Iterator[Any]:
    context = chrome.new_context(viewport={"width": 1400, "height": 1000})
    offline = b.Offline()
    offline.attach(context)
    page = context.new_page()
    yield page
    context.close()
    offline.assert_clean()


@pytest.fixture
def file_page(chrome: Any) -> Iterator[tuple[Any, b.Offline]]:
    context = chrome.new_context(viewport={"width": 1280, "height": 900})
    offline = b.Offline()
    offline.attach(context)
    yield context.new_page(), offline
    context.close()


def _graded_functions(course: Course, name: str) -> list[str]:
    nb = answers.read(course.path("source", name, f"{name}.ipynb"))
    return [
        gid[4:]
        for c in nb.cells
        if c.cell_type == "code" and (gid := answers.grade_id(c) or "").startswith("sol_")
    ]


def _figure_cells(course: Course) -> str:
    """What the graded notebook's plotting cells output (to explain a page with no figure)."""
    graded = course.path("autograded", "ada_perfect", GRADED, f"{GRADED}.ipynb")
    if not graded.exists():
        return f"no graded notebook at {graded}"
    out = []
    for cell in answers.read(graded).cells:
        if cell.cell_type == "code" and "plt." in cell.source:
            kinds = [(o.output_type, o.get("ename") or o.get("name") or list(o.get("data", {})))
                     for o in cell.get("outputs", [])]  # fmt: skip
            out.append(f"{cell.source.splitlines()[0][:50]!r}: {kinds}")
    return "plotting cells of the graded notebook: " + "; ".join(out)


def _figures_in_solutions_page(course: Course, name: str) -> int:
    page = course.path("self-study", name, f"{name}-solutions.html").read_text(encoding="utf-8")
    return page.count('src="data:image/png')


# -- the student's JupyterLab ------------------------------------------------------------


def test_students_see_only_the_student_extensions(
    student_lab: b.Server, instructor_lab: b.Server, lab_page: Any
) -> None:
    b.open_notebook(lab_page, student_lab, f"blank/{GRADED}.ipynb")
    menus = lab_page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "Nbgrader" not in menus, menus
    toolbar = lab_page.locator(".jp-NotebookPanel-toolbar").inner_text()
    assert "Validate" in toolbar
    assert not lab_page.locator("text=Create Assignment").count()
    b.screenshot(lab_page, "student-lab")
    lab_page.goto(student_lab.at("/formgrader"))
    assert "Manage Assignments" not in lab_page.content()

    lab_page.goto(instructor_lab.at("/lab?reset"))
    lab_page.wait_for_selector(".lm-MenuBar-itemLabel >> text=Nbgrader", timeout=60_000)
    b.menu(lab_page, "Nbgrader", "Formgrader")
    lab_page.wait_for_selector("iframe", timeout=30_000)
    b.screenshot(lab_page, "instructor-lab")


@pytest.mark.parametrize("name", LESSONS)
def test_released_notebook_opens_clean_renders_math_and_diagnoses(
    name: str, student_lab: b.Server, lab_page: Any
) -> None:
    b.open_notebook(lab_page, student_lab, f"blank/{name}.ipynb")
    assert not b.is_dirty(lab_page), "a freshly opened released notebook shows as modified"
    assert b.lab_math(lab_page) > 20
    # (JupyterLab's own table of contents shows headings' TeX raw: not the notebook's doing)
    assert lab_page.evaluate(b.RAW_MATH_JS, ".jp-NotebookPanel") == []
    b.run_all(lab_page)
    errors = b.outputs_text(lab_page, "application/vnd.jupyter.stderr")
    assert errors, "a blank notebook raised nothing"
    assert "is not implemented yet" in errors[0], errors[0][-600:]
    first = lab_page.locator(
        '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    ).first
    b.centre(first)
    b.screenshot(lab_page, f"lab-{name}-blank-diagnosis")


@pytest.mark.parametrize("name", LESSONS)
def test_the_lessons_own_solutions_pass_every_stage_with_figures(
    name: str, course: Course, student_lab: b.Server, lab_page: Any
) -> None:
    b.open_notebook(lab_page, student_lab, f"solved/{name}.ipynb")
    b.run_all(lab_page)
    assert b.outputs_text(lab_page, "application/vnd.jupyter.stderr") == []
    text = "\n".join(b.outputs_text(lab_page))
    functions = _graded_functions(course, name)
    for fn in functions:
        assert re.search(rf"{fn}: passed on \d+ cases", text), fn
    assert "ok     values" in text
    figures = lab_page.locator(".jp-NotebookPanel .jp-RenderedImage img").count()
    assert figures == _figures_in_solutions_page(course, name) > 0
    b.centre(lab_page.locator(".jp-NotebookPanel .jp-RenderedImage img").last)
    b.screenshot(lab_page, f"lab-{name}-solved-figure")
    passed = lab_page.locator(".jp-NotebookPanel .jp-OutputArea-output", has_text="passed on")
    b.centre(passed.first)
    b.screenshot(lab_page, f"lab-{name}-solved-stages")


@pytest.mark.parametrize("which", ["solved", "blank"])
def test_validate_button(which: str, student_lab: b.Server, lab_page: Any) -> None:
    b.open_notebook(lab_page, student_lab, f"{which}/{GRADED}.ipynb")
    lab_page.locator(".jp-NotebookPanel-toolbar >> text=Validate").click()
    dialog = lab_page.locator(".jp-Dialog-content")
    dialog.wait_for(timeout=30_000)
    lab_page.wait_for_function(
        "!document.querySelector('.jp-Dialog-content').innerText.includes('Validating')",
        timeout=120_000,
    )
    text = dialog.inner_text()
    b.screenshot(lab_page, f"lab-validate-{which}")
    if which == "solved":
        assert "Success" in text, text
    else:
        assert "Success" not in text
        assert "not implemented yet" in text or "NotImplementedError" in text, text


# -- the instructor's formgrader -----------------------------------------------------------


def test_formgrader_lists_the_lessons_and_opens_a_submission(
    instructor_lab: b.Server, lab_page: Any
) -> None:
    lab_page.goto(instructor_lab.at("/formgrader/manage_assignments"))
    lab_page.wait_for_selector(f"text={GRADED}", timeout=30_000)
    listed = lab_page.locator("body").inner_text()
    for name in LESSONS:
        assert name in listed
    b.screenshot(lab_page, "formgrader-assignments")
    lab_page.goto(instructor_lab.at(f"/formgrader/gradebook/{GRADED}/{GRADED}"))
    lab_page.wait_for_selector("a.name-hidden >> text=Submission #", timeout=30_000)
    b.screenshot(lab_page, "formgrader-submissions")
    # names are hidden by default ("Submission #n"); open the perfect student's
    href = lab_page.locator("a.name-shown", has_text="ada_perfect").get_attribute("href")
    lab_page.goto(instructor_lab.at(href))
    lab_page.wait_for_selector("#notebook", timeout=30_000)
    _typeset(lab_page)
    assert lab_page.locator(".MathJax, .MathJax_Display").count() > 20
    assert lab_page.evaluate(b.RAW_MATH_JS) == []
    b.screenshot(lab_page, "formgrader-submission")


# -- pages opened as files, no network ---------------------------------------------------------


def _typeset(page: Any) -> None:
    """Wait until MathJax 2 has typeset the page."""
    page.wait_for_function("window.MathJax && MathJax.isReady", timeout=30_000)
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(() => done(true)))")


def _open_file(page: Any, path: Path) -> None:
    page.goto(path.as_uri())
    _typeset(page)


def test_feedback_page_renders_math_and_figures_offline(
    course: Course, file_page: tuple[Any, b.Offline]
) -> None:
    page, offline = file_page
    html = course.path("feedback", "ada_perfect", GRADED, f"{GRADED}.html")
    _open_file(page, html)
    assert page.locator(".MathJax, .MathJax_Display").count() > 20
    assert page.evaluate(b.RAW_MATH_JS) == []
    assert page.locator("img[src^='data:image/png']").count() > 0, _figure_cells(course)
    assert "linear_backward: passed" in page.locator("body").inner_text()
    b.screenshot(page, "feedback-top")
    b.centre(page.locator("img[src^='data:image/png']").first)
    b.screenshot(page, "feedback-figure")
    offline.assert_clean()


def test_self_study_index_is_the_course_map_offline(
    course: Course, file_page: tuple[Any, b.Offline]
) -> None:
    page, offline = file_page
    _open_file(page, course.path("self-study", "index.html"))
    rows = page.locator("tbody tr")
    assert rows.count() == len(LESSONS)
    for name in LESSONS:
        assert page.locator(f"a[href='{name}/{name}-solutions.html']").count() == 1
        assert page.locator(f"a[href='{name}/{name}.ipynb']").count() == 1
    assert page.evaluate(b.RAW_MATH_JS) == []
    b.screenshot(page, "site-index", full_page=True)
    offline.assert_clean()


@pytest.mark.parametrize("name", LESSONS)
def test_self_study_page_offline_math_figures_and_solution_toggles(
    name: str, course: Course, file_page: tuple[Any, b.Offline]
) -> None:
    page, offline = file_page
    _open_file(page, course.path("self-study", name, f"{name}-solutions.html"))
    assert page.locator(".MathJax, .MathJax_Display").count() > 20
    assert page.evaluate(b.RAW_MATH_JS) == []
    figures = page.locator("img[src^='data:image/png']")
    assert figures.count() > 0
    assert all(
        page.evaluate("img => img.naturalWidth > 100 && img.complete", el)
        for el in figures.element_handles()
    )
    toggles = page.locator("details.course-solution")
    assert toggles.count() >= len(_graded_functions(course, name))
    assert page.locator("details.course-solution[open]").count() == 0
    for fn in _graded_functions(course, name):
        code = page.locator("details.course-solution", has_text=f"def {fn}(")
        assert code.count() == 1
        assert code.first.locator(".jp-Cell").first.is_hidden()  # folded until opened
    b.screenshot(page, f"site-{name}-top")
    b.centre(figures.first)
    b.screenshot(page, f"site-{name}-figure")
    first = toggles.first
    first.locator("summary").click()
    assert page.locator("details.course-solution[open]").count() == 1
    _typeset(page)
    b.centre(first, "start")
    b.screenshot(page, f"site-{name}-solution-open")
    offline.assert_clean()
