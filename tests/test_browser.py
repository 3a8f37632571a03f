"""What students, self-learners and instructors see, in a real browser.

Debian's Chromium, driven by Playwright, against a ``jupyter lab`` server started here on a
loopback port with a token: a student's JupyterLab (the student settings of
``autograder.commands.student_env``) opens each released notebook, renders its math, runs it
and shows the first diagnosis; then, with the lesson's own answers typed in, shows every stage
passed; and validates; an instructor's JupyterLab in the course directory shows formgrader. The
feedback and self-study pages are opened as files with every request off this machine
aborted. Screenshots go to tests/browser/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Self

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
WIDTH = 4  # JupyterLab tabs loading or running at once, in all
DRIVERS = 2  # threads, each driving a browser of its own with WIDTH / DRIVERS tabs
LAB_VIEWPORT = {"width": 1400, "height": 1000}
FILE_VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """All lessons released; the graded submissions and the self-study site come later
    (``backstage``)."""
    c = Course.at(tmp_path_factory.mktemp("browser") / "course")
    release.release(c, self_study=False)
    return c


def _grade_two(course: Course) -> None:
    """Two submissions of the graded lesson (perfect and empty), graded, with feedback."""
    chosen = [
        s
        for s in samples.samples(course.path("release"), course.path("source"), lessons=[GRADED])
        if s.student in {"ada_perfect", "ben_empty"}
    ]
    with tempfile.TemporaryDirectory() as tmp:
        collect.collect(course, samples.write(chosen, Path(tmp)))
    grade_mod.grade(course, grade_mod.Options(sandboxed=not bwrap.unavailable(), workers=2))
    feedback.feedback(course)


@pytest.fixture(scope="module")
def backstage(course: Course) -> Iterator[dict[str, Future[None]]]:
    """The instructor's side of the course, made in a thread while the browser opens and
    runs the student's notebooks: first the two graded submissions with their feedback
    ("graded"), then the self-study site ("site"), as ``release`` writes it. A test (or
    page) that needs one waits for it, and fails with its error."""
    with ThreadPoolExecutor(1, thread_name_prefix="backstage") as pool:
        yield {
            "graded": pool.submit(_grade_two, course),
            "site": pool.submit(release.write_self_study_all, course, LESSONS),
        }


def _ready(backstage: dict[str, Future[None]], *parts: str) -> None:
    for part in parts:
        backstage[part].result(timeout=900)


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=b.chromium())
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    """A student's JupyterLab, launched before the course is built (it starts meanwhile;
    the notebooks arrive with ``student_files``): wait_ready() before use."""
    root = tmp_path_factory.mktemp("student")
    config = root.parent / "student-config"
    student_env.write(config)
    _quiet_lab(config)
    home = root.parent / "student-home"
    with b.jupyter_lab(root, home, config, wait=False, expose_app=True) as server:
        yield server


@pytest.fixture(scope="module")
def student_files(course: Course, student_lab: b.Server) -> None:
    """Each released notebook as released (``blank/<lesson>/``, with the files released
    beside it), and the graded lesson's filled with its own solutions (``solved/<GRADED>/``,
    for the Validate button: it reads the notebook from disk)."""
    root = student_lab.root
    for name in LESSONS:
        released = course.path("release", name, f"{name}.ipynb")
        shutil.copytree(released.parent, root / "blank" / name)  # beside its check data
    released = course.path("release", GRADED, f"{GRADED}.ipynb")
    solved = root / "solved" / GRADED
    shutil.copytree(released.parent, solved)
    filled = answers.fill(answers.read(released), _solutions(course, GRADED))
    nbformat.write(filled, solved / released.name)


def _solutions(course: Course, name: str) -> dict[str, str]:
    """grade_id -> the lesson's own answer, for each of its solution cells."""
    return answers.solutions(answers.read(course.path("source", name, f"{name}.ipynb")))


@pytest.fixture(scope="module")
def instructor_lab(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    """The instructor's JupyterLab, started in the course directory as the README says
    (launched without waiting: wait_ready() before use)."""
    home = tmp_path_factory.mktemp("instructor")
    _quiet_lab(home / ".jupyter")
    with b.jupyter_lab(course.root, home, home / ".jupyter", wait=False) as server:
        yield server


def _quiet_lab(config: Path) -> None:
    """No "get notified about Jupyter news?" toast over the screenshots (test setting)."""
    page = config / "labconfig" / "page_config.json"
    page.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(page.read_text()) if page.exists() else {}
    data.setdefault("disabledExtensions", {})["@jupyterlab/apputils-extension:announcements"] = True
    page.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def context(chrome: Any) -> Iterator[tuple[Any, b.Offline]]:
    """One browser context for every page of the module (each page its own tab), with every
    request off this machine aborted and recorded."""
    ctx = chrome.new_context(viewport=LAB_VIEWPORT)
    offline = b.Offline()
    offline.attach(ctx)
    yield ctx, offline
    ctx.close()
    offline.assert_clean()


@dataclass
class Record:
    """What a page showed, kept by its script; or the script's failure."""

    error: BaseException | None = None

    def ready(self) -> Self:
        """What the page showed, or the failure of its script (raised in the test)."""
        if self.error is not None:
            raise self.error
        return self


@dataclass
class Opened(Record):
    """What a notebook page of the student's JupyterLab showed, at one point of its script."""

    dirty: bool | None = None
    math: int = 0
    raw_math: list[str] = field(default_factory=list)
    menus: list[str] = field(default_factory=list)
    toolbar: str = ""
    create_assignment: int = 0
    dialog: str = ""  # the Validate button's answer
    stderr: list[str] = field(default_factory=list)  # after Run All: the red outputs
    outputs: list[str] = field(default_factory=list)  # every output's text
    figures: int = 0  # images shown


def _lesson_script(
    page: Any,
    blank: Opened,
    solved: Opened,
    server: b.Server,
    name: str,
    solutions: dict[str, str],
    graded: list[str],
) -> b.Script:
    """A student's way through a lesson: open the released notebook and note what it shows
    before running; Run All, and read the first diagnosis (``blank``); then type the lesson's
    own answers into its solution cells, clear the outputs and Run All again, until the
    checks of every graded function have said "passed" (or one said what is wrong), however
    late the page shows the last outputs (``solved``)."""
    path = f"blank/{name}/{name}.ipynb"
    yield from b.open_notebook_script(page, server, path, f"blank-{name}")
    blank.dirty = b.is_dirty(page)
    blank.menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    blank.toolbar = page.locator(".jp-NotebookPanel-toolbar").inner_text()
    blank.create_assignment = page.locator("text=Create Assignment").count()
    yield from b.lab_math_script(page)
    blank.math = page.locator(".jp-NotebookPanel mjx-container").count()
    # (JupyterLab's own table of contents shows headings' TeX raw: not the notebook's doing)
    blank.raw_math = page.evaluate(b.RAW_MATH_JS, ".jp-NotebookPanel")
    if name == GRADED:
        b.screenshot(page, "student-lab")
    yield from b.run_all_script(page)
    red = b.outputs(page, b.STDERR)
    # Run All stops at the first check that fails: wait until the page shows it
    yield from b.until(red.count, 60, f"the first diagnosis in {name} to show")
    _read_outputs(page, blank)
    if blank.stderr:  # the first diagnosis, as the student reads it
        yield from b.centre_script(red.first)
        b.screenshot(page, f"lab-{name}-blank-diagnosis")

    typed = page.evaluate(b.TYPE_ANSWERS_JS, {"path": path, "answers": solutions})
    assert typed == len(solutions), f"typed {typed} of {len(solutions)} answers into {name}"
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    yield from b.until(lambda: not b.outputs(page).count(), 30, f"{name}'s outputs to clear")
    yield from b.run_all_script(page)
    yield from b.until(
        lambda: (
            red.count()
            or all(b.outputs(page).filter(has_text=f"{f}: passed on").count() for f in graded)
        ),
        120,
        f"the checks of {name} to show",
    )
    _read_outputs(page, solved)
    images = page.locator(".jp-NotebookPanel .jp-RenderedImage img")
    if solved.figures:
        yield from b.centre_script(images.last)
        b.screenshot(page, f"lab-{name}-solved-figure")
    passed = b.outputs(page).filter(has_text="passed on")
    if passed.count():
        yield from b.centre_script(passed.first)
        b.screenshot(page, f"lab-{name}-solved-stages")


def _read_outputs(page: Any, opened: Opened) -> None:
    opened.stderr = b.outputs_text(page, b.STDERR)
    opened.outputs = b.outputs_text(page)
    opened.figures = page.locator(".jp-NotebookPanel .jp-RenderedImage img").count()


def _validate_script(page: Any, opened: Opened, server: b.Server, which: str) -> b.Script:
    """Open the graded lesson's notebook and press Validate; keep the dialog's text."""
    yield from b.open_notebook_script(
        page, server, f"{which}/{GRADED}/{GRADED}.ipynb", f"validate-{which}"
    )
    page.locator(".jp-NotebookPanel-toolbar >> text=Validate").click()
    dialog = page.locator(".jp-Dialog-content")
    yield from b.until(dialog.count, 30, "the validation dialog")
    yield from b.until(
        lambda: "Validating" not in dialog.inner_text(), 300, "the validation to finish"
    )
    opened.dialog = dialog.inner_text()
    b.screenshot(page, f"lab-validate-{which}")
    page.keyboard.press("Escape")  # the dialog closed, as the student would
    yield from b.until(lambda: not dialog.count(), 30, "the validation dialog to close")


#: A script to run in a tab: its name, what it records (its failure goes to each), its start.
Start = tuple[str, list[Opened], Callable[[Any], b.Script]]


@pytest.fixture(scope="module")
def student_pages(
    backstage: dict[str, Future[None]],  # started first: it runs while these pages do
    file_pages: Future[dict[str, Shown]],  # (likewise, once backstage has written them)
    course: Course,
    student_lab: b.Server,
    instructor_lab: b.Server,  # launched first, so that it starts while these pages run
    student_files: None,
    context: tuple[Any, b.Offline],
) -> dict[tuple[str, str], Opened]:
    """Every released notebook opened and run blank, then with the lesson's answers typed in,
    and the graded lesson's notebook validated blank and solved: in WIDTH tabs side by side
    (DRIVERS threads with a browser each), so kernels start and notebooks run while other
    tabs load; each tab loads JupyterLab once and opens its notebooks one after another, as a
    student moves from lesson to lesson. Each script keeps what its page showed and takes its
    screenshots. Keys: ("blank"|"solved", lesson name) and ("validate", "solved"|"blank")."""
    student_lab.wait_ready()
    pages: dict[tuple[str, str], Opened] = {}

    def validate(which: str) -> Start:
        opened = pages["validate", which] = Opened()
        start = partial(_validate_script, opened=opened, server=student_lab, which=which)
        return f"validate/{which}", [opened], start

    # the longest first, so that the last to finish is short
    starts = [validate("solved")]
    for name in reversed(LESSONS):
        blank = pages["blank", name] = Opened()
        solved = pages["solved", name] = Opened()
        starts.append(
            (name, [blank, solved],
             partial(_lesson_script, blank=blank, solved=solved, server=student_lab, name=name,
                     solutions=_solutions(course, name), graded=_graded_functions(course, name)))
        )  # fmt: skip
    starts.append(validate("blank"))
    groups = [starts[i::DRIVERS] for i in range(DRIVERS)]
    with ThreadPoolExecutor(DRIVERS, thread_name_prefix="driver") as pool:
        for offline in pool.map(_drive, groups):
            context[1].blocked += offline.blocked
    return pages


def _drive(scripts: list[Start]) -> b.Offline:
    """Run ``scripts`` in a browser of this thread's own, in WIDTH / DRIVERS tabs side by
    side, each tab one script after another: JupyterLab loads once per tab and opens the
    next notebook in place of the last (Playwright's sync API drives one browser per
    thread: a call to a page whose renderer is busy holds up only this thread's tabs). A
    failure outside any script goes to every script that has not finished. Returns the
    requests it blocked."""
    from playwright.sync_api import sync_playwright

    mine = b.Offline()
    width = WIDTH // DRIVERS
    finished: set[str] = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=b.chromium())
        try:
            ctx = browser.new_context(viewport=LAB_VIEWPORT)
            mine.attach(ctx)
            tabs: dict[str, Callable[[], b.Script]] = {}
            for i in range(min(width, len(scripts))):
                page, share = ctx.new_page(), scripts[i::width]
                tabs[f"tab{i}"] = lambda p=page, s=share: _one_by_one(p, s, finished)
            for error in b.run_together(tabs, width=width).values():
                if error is None:
                    continue
                for key, records, _ in scripts:  # failed outside any script: so did each
                    for opened in records if key not in finished else []:  # unfinished one
                        opened.error = opened.error or error
        finally:
            browser.close()
    return mine


def _one_by_one(page: Any, scripts: list[Start], finished: set[str]) -> b.Script:
    """The scripts one after another in ``page``, each one's failure kept in what it records
    (the page is then left, so that the next one loads JupyterLab afresh)."""
    for key, records, start in scripts:
        try:
            yield from start(page)
        except Exception as exc:  # reported by the tests that read these records
            for opened in records:
                opened.error = exc
            page.goto("about:blank")
        finally:
            finished.add(key)


@dataclass
class Shown(Record):
    """What a page opened as a file (feedback, self-study) showed, read by its script."""

    math: int = 0  # typeset formulas
    raw_math: list[str] = field(default_factory=list)
    text: str = ""
    hrefs: list[str] = field(default_factory=list)
    rows: int = 0  # of the page's tables
    figures: int = 0
    figures_drawn: int = 0  # loaded, and wider than 100 px
    toggles: int = 0  # solution toggles
    open_toggles: int = 0  # as the page loads
    solutions: dict[str, tuple[int, bool]] = field(default_factory=dict)  # function ->
    # (toggles that hold its code, whether the first one's code is folded)
    open_after_click: int = 0  # after a click on the first toggle's summary


FIGURES = "img[src^='data:image/png']"
SOLUTION = "details.course-solution"


def _file_script(
    page: Any, path: Path, shown: Shown, shot: str, functions: list[str], after: Future[None]
) -> b.Script:
    """Once ``after`` is done (the part of ``backstage`` that writes the page), load the page
    from its file, wait for MathJax, note what it shows and take its screenshots
    (``shot``-top, -figure; a self-study page's solution unfolded: -solution-open)."""
    yield from b.until(after.done, 900, f"{path.name} to be written")
    after.result()  # (its failure, if it failed)
    page.goto(path.as_uri(), wait_until="commit")
    yield from b.until(
        lambda: page.evaluate("document.readyState") == "complete", 60, f"{path.name} to load"
    )
    yield from b.typeset_script(page)
    shown.math = page.locator(".MathJax, .MathJax_Display").count()
    shown.raw_math = page.evaluate(b.RAW_MATH_JS)
    shown.text = page.locator("body").inner_text()
    shown.hrefs = page.eval_on_selector_all("a", "as => as.map(a => a.getAttribute('href'))")
    shown.rows = page.locator("tbody tr").count()
    figures = page.locator(FIGURES)
    shown.figures = figures.count()
    shown.figures_drawn = page.eval_on_selector_all(
        FIGURES, "imgs => imgs.filter(i => i.complete && i.naturalWidth > 100).length"
    )
    toggles = page.locator(SOLUTION)
    shown.toggles = toggles.count()
    shown.open_toggles = page.locator(f"{SOLUTION}[open]").count()
    for fn in functions:
        code = page.locator(SOLUTION, has_text=f"def {fn}(")
        shown.solutions[fn] = (code.count(), code.first.locator(".jp-Cell").first.is_hidden())
    if shot == "site-index":
        b.screenshot(page, shot, full_page=True)
        return
    b.screenshot(page, f"{shot}-top")
    if shown.figures:
        yield from b.centre_script(figures.first)
        b.screenshot(page, f"{shot}-figure")
    if shown.toggles:
        toggles.first.locator("summary").click()
        shown.open_after_click = page.locator(f"{SOLUTION}[open]").count()
        yield from b.typeset_script(page)
        yield from b.centre_script(toggles.first, "start")
        b.screenshot(page, f"{shot}-solution-open")


@pytest.fixture(scope="module")
def file_pages(
    course: Course, backstage: dict[str, Future[None]], context: tuple[Any, b.Offline]
) -> Iterator[Future[dict[str, Shown]]]:
    """The feedback page, the self-study index and every self-study page, once ``backstage``
    has written them: each in a tab of its own, side by side, in a thread with a browser of
    its own, which starts now and runs while the student's JupyterLab pages do. Keys:
    "feedback", "index" and each lesson's name; its blocked requests go to ``context``."""
    with ThreadPoolExecutor(1, thread_name_prefix="files") as pool:
        yield pool.submit(_show_files, course, backstage, context[1])


def _show_files(
    course: Course, backstage: dict[str, Future[None]], offline: b.Offline
) -> dict[str, Shown]:
    from playwright.sync_api import sync_playwright

    feedback = course.path("feedback", "ada_perfect", GRADED, f"{GRADED}.html")
    pages = {  # key: (file, screenshot name, graded functions, the part that writes it)
        "feedback": (feedback, "feedback", [], backstage["graded"]),
        "index": (course.path("self-study", "index.html"), "site-index", [], backstage["site"]),
    }
    for name in LESSONS:
        solutions = course.path("self-study", name, f"{name}-solutions.html")
        functions = _graded_functions(course, name)
        pages[name] = (solutions, f"site-{name}", functions, backstage["site"])
    shown = {key: Shown() for key in pages}
    mine = b.Offline()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=b.chromium())
        try:
            ctx = browser.new_context(viewport=FILE_VIEWPORT)
            mine.attach(ctx)
            scripts = {
                key: partial(_file_script, ctx.new_page(), path, shown[key], shot, functions, after)
                for key, (path, shot, functions, after) in pages.items()
            }  # fmt: skip
            for key, error in b.run_together(scripts, width=len(scripts)).items():
                shown[key].error = error
        finally:
            browser.close()
    offline.blocked += mine.blocked
    return shown


def _shown(file_pages: Future[dict[str, Shown]], key: str) -> Shown:
    return file_pages.result(timeout=900)[key].ready()


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
    student_pages: dict[tuple[str, str], Opened],
    student_lab: b.Server,
    instructor_lab: b.Server,
    context: tuple[Any, b.Offline],
) -> None:
    opened = student_pages["blank", GRADED]
    opened.ready()  # (its screenshot "student-lab" was taken as it opened)
    assert "Nbgrader" not in opened.menus, opened.menus
    assert "Validate" in opened.toolbar
    assert not opened.create_assignment
    page = context[0].new_page()
    page.goto(student_lab.at("/formgrader"))
    assert "Manage Assignments" not in page.content()

    page.goto(instructor_lab.wait_ready().at("/lab?reset"))
    page.wait_for_selector(".lm-MenuBar-itemLabel >> text=Nbgrader", timeout=120_000)
    b.menu(page, "Nbgrader", "Formgrader")
    page.wait_for_selector("iframe", timeout=60_000)
    b.screenshot(page, "instructor-lab")
    page.close()


@pytest.mark.parametrize("name", LESSONS)
def test_released_notebook_opens_clean_renders_math_and_diagnoses(
    name: str, student_pages: dict[tuple[str, str], Opened]
) -> None:
    opened = student_pages["blank", name].ready()
    assert opened.dirty is False, "a freshly opened released notebook shows as modified"
    assert opened.math > 20
    assert opened.raw_math == []
    assert opened.stderr, "a blank notebook raised nothing"
    assert "is not implemented yet" in opened.stderr[0], opened.stderr[0][-600:]
    # (screenshot lab-<name>-blank-diagnosis: the first diagnosis, taken by the script)


@pytest.mark.parametrize("name", LESSONS)
def test_the_lessons_own_answers_typed_in_pass_every_stage_with_figures(
    name: str, course: Course, student_pages: dict[tuple[str, str], Opened]
) -> None:
    opened = student_pages["solved", name].ready()
    assert opened.stderr == []
    text = "\n".join(opened.outputs)
    functions = _graded_functions(course, name)
    for fn in functions:
        assert re.search(rf"{fn}: passed on \d+ cases", text), fn
    assert "ok     values" in text
    assert opened.figures == _figures_in_solutions_page(course, name) > 0
    # (the blank notebook of the test above, its answers typed in and run again; screenshots
    # lab-<name>-solved-figure and -solved-stages: taken by the script)


@pytest.mark.parametrize("which", ["solved", "blank"])
def test_validate_button(which: str, student_pages: dict[tuple[str, str], Opened]) -> None:
    text = student_pages["validate", which].ready().dialog  # (screenshot lab-validate-*)
    if which == "solved":
        assert "Success" in text, text
    else:
        assert "Success" not in text
        assert "not implemented yet" in text or "NotImplementedError" in text, text


# -- the instructor's formgrader -----------------------------------------------------------


def test_formgrader_lists_the_lessons_and_opens_a_submission(
    instructor_lab: b.Server, backstage: dict[str, Future[None]], context: tuple[Any, b.Offline]
) -> None:
    _ready(backstage, "graded")
    page = context[0].new_page()
    page.goto(instructor_lab.wait_ready().at("/formgrader/manage_assignments"))
    page.wait_for_selector(f"text={GRADED}", timeout=60_000)
    listed = page.locator("body").inner_text()
    for name in LESSONS:
        assert name in listed
    b.screenshot(page, "formgrader-assignments")
    page.goto(instructor_lab.at(f"/formgrader/gradebook/{GRADED}/{GRADED}"))
    page.wait_for_selector("a.name-hidden >> text=Submission #", timeout=60_000)
    b.screenshot(page, "formgrader-submissions")
    # names are hidden by default ("Submission #n"); open the perfect student's
    href = page.locator("a.name-shown", has_text="ada_perfect").get_attribute("href")
    page.goto(instructor_lab.at(href))
    page.wait_for_selector("#notebook", timeout=60_000)
    b.drive(b.typeset_script(page))
    assert page.locator(".MathJax, .MathJax_Display").count() > 20
    assert page.evaluate(b.RAW_MATH_JS) == []
    b.screenshot(page, "formgrader-submission")
    page.close()
    context[1].assert_clean()


# -- pages opened as files, no network ---------------------------------------------------------


def test_feedback_page_renders_math_and_figures_offline(
    course: Course, file_pages: Future[dict[str, Shown]], context: tuple[Any, b.Offline]
) -> None:
    shown = _shown(file_pages, "feedback")  # (screenshots feedback-top, feedback-figure)
    assert shown.math > 20
    assert shown.raw_math == []
    assert shown.figures > 0, _figure_cells(course)
    assert "linear_backward: passed" in shown.text
    assert "¶" not in shown.text  # headings' anchor links show on hover only
    context[1].assert_clean()


def test_self_study_index_is_the_course_map_offline(
    file_pages: Future[dict[str, Shown]], context: tuple[Any, b.Offline]
) -> None:
    shown = _shown(file_pages, "index")  # (screenshot site-index)
    assert shown.rows == len(LESSONS)
    for name in LESSONS:
        assert shown.hrefs.count(f"{name}/{name}-solutions.html") == 1
        assert shown.hrefs.count(f"{name}/{name}.ipynb") == 1
    assert shown.raw_math == []
    context[1].assert_clean()


@pytest.mark.parametrize("name", LESSONS)
def test_self_study_page_offline_math_figures_and_solution_toggles(
    name: str, course: Course, file_pages: Future[dict[str, Shown]], context: tuple[Any, b.Offline]
) -> None:
    shown = _shown(file_pages, name)  # (screenshots site-<name>-top, -figure, -solution-open)
    assert shown.math > 20
    assert shown.raw_math == []
    assert shown.figures > 0
    assert shown.figures_drawn == shown.figures
    functions = _graded_functions(course, name)
    assert shown.toggles >= len(functions)
    assert shown.open_toggles == 0
    for fn in functions:
        assert shown.solutions[fn] == (1, True), f"{fn}: (toggles with its code, folded)"
    assert shown.open_after_click == 1
    context[1].assert_clean()
