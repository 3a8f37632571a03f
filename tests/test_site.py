"""The self-study site, offline MathJax and the students' JupyterLab settings, without a
browser (tests/test_browser.py opens the same pages in Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from autograder.commands import site as site_command
from autograder.commands import student_env
from autograder.pages import mathjax, site
from autograder.stages import release

ROOT = Path(__file__).resolve().parents[1]
LESSONS = release.lessons_in()


def _readme_points() -> dict[str, float]:
    """Lesson -> auto + manual points, from the README's course map."""
    out = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| \[(\d\d) .*?\]\(notebooks/([^/]+)/.*\| (\d+) \+ (\d+) \|", line)
        if m:
            out[m.group(2)] = float(m.group(3)) + float(m.group(4))
    return out


@pytest.mark.parametrize("name", LESSONS)
def test_the_course_map_is_read_from_the_lesson(name: str) -> None:
    nb = nbformat.read(ROOT / "notebooks" / name / f"{name}.ipynb", as_version=4)
    s = site.summarise(name, nb)
    assert s.title.startswith("Lesson ")
    assert len(s.sections) >= 5
    numbers = [n for n, _ in s.sections]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # the lesson's own
    assert all(not t.startswith(("#", "Summary", "Going further")) for _, t in s.sections)
    assert s.functions and all(re.fullmatch(r"[A-Za-z_0-9]+", f) for f in s.functions)
    assert s.written >= 1
    assert s.points == _readme_points()[name]


def test_mathjax_copy_and_relative_addresses(tmp_path: Path) -> None:
    js = mathjax.install(tmp_path)
    assert js == tmp_path / "_mathjax" / "MathJax.js" and js.exists()
    assert (tmp_path / "_mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").exists()
    assert (tmp_path / "_mathjax" / "fonts" / "HTML-CSS" / "STIX-Web").is_dir()
    stamp = js.parent / ".source"
    before = stamp.stat().st_mtime_ns
    assert mathjax.install(tmp_path) == js and stamp.stat().st_mtime_ns == before  # kept
    assert mathjax.url(tmp_path / "lesson", js).startswith("../_mathjax/MathJax.js?config=")
    assert mathjax.url(tmp_path, js).startswith("_mathjax/MathJax.js?config=")


def _tiny_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# T\n\n$y = xW + b$"),
        nbformat.v4.new_code_cell(
            "def f(x):\n    return x",
            metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "sol_f"}},
        ),
    ]
    return nb


def _script_sources(html: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", html)


def test_self_study_pages_load_nothing_from_the_network(tmp_path: Path) -> None:
    from nbconvert import HTMLExporter

    js = mathjax.install(tmp_path)
    html, _ = HTMLExporter(**mathjax.exporter_settings(tmp_path / "x", js)).from_notebook_node(
        _tiny_notebook()
    )
    assert _script_sources(html) == [f"../_mathjax/MathJax.js?config={mathjax.CONFIG}"]
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert '<details class="course-solution">' in html and "<code>f</code>" in html
    assert "STIX-Web" in html


@pytest.mark.parametrize(
    ("template", "resources", "expected"),
    [
        (
            "formgrade",
            {"base_url": "/user/ada", "submission_id": "s1", "index": 0, "total": 1},
            "/user/ada/static/jupyter_server_mathjax/MathJax.js",
        ),
        (
            "feedback",
            {"nbgrader": {"notebook": "n", "score": 1, "max_score": 2, "late_penalty": 0}},
            "../../_mathjax/MathJax.js",
        ),
    ],
)
def test_nbgrader_pages_load_mathjax_from_the_local_copy(
    template: str, resources: dict[str, object], expected: str
) -> None:
    from nbconvert import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    bootstrap = Path(handlers.static_path) / "node_modules" / "bootstrap" / "dist" / "css"
    exporter = HTMLExporter(  # as nbgrader configures it, plus our course config
        template_name=template,
        extra_template_basedirs=[handlers.template_path],
        extra_template_paths=[str(bootstrap)],
        **mathjax.nbgrader_config(),
    )
    html, _ = exporter.from_notebook_node(_tiny_notebook(), resources=resources)
    assert [s for s in _script_sources(html) if "MathJax" in s] == [
        f"{expected}?config={mathjax.CONFIG}"
    ]
    assert "cdnjs" not in html and "STIX-Web" in html


def test_the_course_config_selects_the_offline_template() -> None:
    text = (ROOT / "autograder" / "nbgrader_glue" / "nbgrader_config.py").read_text()
    assert "c.HTMLExporter.template_file" in text and "offline_math.html.j2" in text
    assert (ROOT / "autograder" / "pages" / "templates" / "offline_math.html.j2").exists()


def test_student_settings_switch_off_the_instructor_extensions(tmp_path: Path) -> None:
    page = tmp_path / "labconfig" / "page_config.json"
    page.parent.mkdir(parents=True)
    page.write_text(json.dumps({"disabledExtensions": {"other:plugin": True}}))
    files = student_env.write(tmp_path)
    student_env.write(tmp_path)  # twice: same result
    off = json.loads(page.read_text())["disabledExtensions"]
    assert off.pop("other:plugin") is True  # what was there stays
    assert set(off) == {
        "@jupyter/nbgrader:create-assignment",
        "@jupyter/nbgrader:formgrader",
        "@jupyter/nbgrader:course-list",
        "@jupyter/nbgrader:assignment-list",
        "@jupyter/nbgrader:menu",
    }
    server = json.loads(files[1].read_text())["ServerApp"]["jpserver_extensions"]
    assert server["nbgrader.server_extensions.formgrader"] is False
    assert server["nbgrader.server_extensions.validate_assignment"] is True


def test_browser_tests_fail_without_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import browser

    monkeypatch.setenv("CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        browser.chromium()


def test_released_notebooks_carry_the_kernels_language_info(tmp_path: Path) -> None:
    path = tmp_path / "n.ipynb"
    nbformat.write(_tiny_notebook(), path)
    release.complete_language_info(path)
    info = nbformat.read(path, as_version=4).metadata["language_info"]
    assert info["name"] == "python" and info["pygments_lexer"] == "ipython3"
    assert info["codemirror_mode"] == {"name": "ipython", "version": 3}
    assert re.fullmatch(r"3\.\d+\.\d+.*", info["version"])


@pytest.mark.slow
def test_site_build_has_figures_whatever_the_matplotlib_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as make exports it
    index = site_command.build(tmp_path / "site", lessons=["02_gradient_checking"])
    text = index.read_text(encoding="utf-8")
    assert 'href="02_gradient_checking/02_gradient_checking-solutions.html"' in text
    assert "01_jacobians" not in text
    page = tmp_path / "site" / "02_gradient_checking" / "02_gradient_checking-solutions.html"
    html = page.read_text(encoding="utf-8")
    assert html.count('src="data:image/png') >= 3
    assert "BEGIN SOLUTION" not in html and "BEGIN HIDDEN TESTS" not in html
    assert (tmp_path / "site" / "02_gradient_checking" / "02_gradient_checking.ipynb").exists()
    assert (tmp_path / "site" / "_mathjax" / "MathJax.js").exists()
