"""`make demo`: the whole pipeline on the sample submissions, with every figure pinned.

The perfect student gets full automatic marks, the empty one 0, each mistake sample loses
exactly the cells of the functions its mistakes touch, the late one loses the configured
penalty, the broken notebook is `ungradable` with a readable reason while the rest are
graded, the stray file is kept aside, feedback never shows hidden tests, and the CSVs
parse back. The report's figure is byte-for-byte reproducible.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.grading.results import load_all
from autograder.lessons import samples
from autograder.pages import safe_html
from autograder.stages import report
from backprop_ref.specs import LESSONS
from tests import system

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """Run the demo the way `make demo` does (through make when this is the project venv)."""
    root = tmp_path_factory.mktemp("demo") / "demo-course"
    venv = ROOT / ".venv"
    if not system.sandboxed():  # only where the run opted out (make test SANDBOX=0)
        argv = [sys.executable, "-m", "autograder", "demo", "--course", str(root), "--no-sandbox"]
    elif (venv / ".installed").exists() and Path(sys.prefix).resolve() == venv.resolve():
        argv = ["make", "-s", "-C", str(ROOT), "demo", f"DEMO_COURSE={root}"]
    else:
        argv = [sys.executable, "-m", "autograder", "demo", "--course", str(root)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    run = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1500)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    _check_terminal(run.stdout, run.stderr, root, sandboxed=argv[-1] != "--no-sandbox")
    return Course.at(root)


def _check_terminal(out: str, err: str, root: Path, *, sandboxed: bool) -> None:
    """One screen of our own lines; nbgrader's and the libraries' chatter only in the log."""
    assert "full report:" in out and "reports/report.md" in out
    assert len(out.splitlines()) <= 40, out
    for noise in ("SAWarning", "Traceback", "[NbGraderAPI", "alembic", "traitlets"):
        assert noise not in out + err, noise
    logs = list((root / "logs").glob("demo-*.log"))
    assert len(logs) == 1 and logs[0].name in out
    report_md = (root / "reports" / "report.md").read_text(encoding="utf-8")
    if sandboxed:
        assert err == "" and "in the sandbox, verified" in out
        assert "without the sandbox" not in out + report_md
    else:  # make demo SANDBOX=0: said on the terminal and in the report
        assert "WITHOUT the sandbox" in out and "Graded without the sandbox" in report_md
        assert "warning: --no-sandbox" in err


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def expected_cells(course: Course) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(student, lesson, grade_id) -> (score, status) from what each sample was built to be."""
    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    made = samples.samples(course.path("release"), course.path("source"))
    submitted = {(s.student, s.lesson) for s in made}
    students = sorted({s.student for s in made})
    for sample in made:
        for cell in LESSONS[sample.lesson].cells:
            key = (sample.student, sample.lesson, cell.grade_id)
            if sample.broken:
                out[key] = ("0", "ungradable")
            elif cell.kind == "manual":
                empty = sample.student == "ben_empty"
                out[key] = ("0", "graded") if empty else ("", "needs_manual")
            else:
                lost = cell.spec in sample.loses
                out[key] = ("0" if lost else f"{cell.points:g}", "graded")
    for student in students:
        for lesson in LESSONS:
            if (student, lesson) not in submitted:
                for cell in LESSONS[lesson].cells:
                    out[(student, lesson, cell.grade_id)] = ("0", "missing")
    return out


def test_every_cell_scores_exactly_as_the_samples_say(demo: Course) -> None:
    rows = _csv(demo.path("reports", "grades.csv"))
    got = {
        (r["student_id"], r["assignment"], r["grade_id"]): (r["score"], r["status"]) for r in rows
    }
    expected = expected_cells(demo)
    wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
    assert not wrong, f"{len(wrong)} cells differ (got, expected): {list(wrong.items())[:10]}"
    assert len(rows) == len(expected)


def test_totals_late_penalty_and_statuses(demo: Course) -> None:
    totals = {
        (r["student_id"], r["assignment"]): r for r in _csv(demo.path("reports", "totals.csv"))
    }
    first = next(iter(LESSONS))
    lesson = LESSONS[first]
    auto = sum(c.points for c in lesson.cells if c.kind != "manual")
    full = auto + sum(c.points for c in lesson.cells if c.kind == "manual")
    assert float(totals[("ada_perfect", first)]["score"]) == auto
    late = totals[("eve_late", first)]
    penalty = min(2 * 0.1 * full, auto)  # 1 day 3 h late: two started days at 10 % a day
    assert float(late["score"]) == pytest.approx(auto - penalty)
    assert totals[("finn_broken", first)]["status"] == "ungradable"
    assert totals[("ben_empty", first)]["score"] == "0"
    results = {(r.student_id, r.assignment): r for r in load_all(demo.path("results"))}
    assert results[("eve_late", first)].seconds_late == pytest.approx(27 * 3600)
    assert "not a valid notebook" in results[("finn_broken", first)].reason


def test_report_lists_what_needs_attention(demo: Course) -> None:
    text = (demo.path("reports", "report.md")).read_text()
    assert "finn_broken" in text and "not a valid notebook" in text
    assert "notes.txt" in text and "not a notebook" in text
    assert "eve_late" in text and "27.0 h late" in text
    attention = _csv(demo.path("reports", "attention.csv"))
    assert {r["student_id"] for r in attention} >= {"finn_broken"}


def test_feedback_never_shows_hidden_tests(demo: Course) -> None:
    pages = list(demo.path("feedback").rglob("*.html"))
    graded = [
        r for r in load_all(demo.path("results")) if r.status not in ("missing", "ungradable")
    ]
    assert len(pages) == len(graded)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "hidden=True" not in html and "BEGIN HIDDEN TESTS" not in html, page
        assert "cdnjs" not in html and "../../_mathjax/MathJax.js" in html, page  # offline
        assert safe_html.active_content(html) == [], page
    solutions = list(demo.path("self-study").rglob("*.html"))
    assert solutions
    texts = [page.read_text(encoding="utf-8") for page in solutions]
    for page, html in zip(solutions, texts, strict=True):
        assert safe_html.active_content(html) == [], page
        assert "x-mathjax-config" in html, page  # MathJax still renders the derivations
    assert any("data:image/png;base64," in html for html in texts)  # and figures show
    ada = demo.path("feedback", "ada_perfect", "03_linear_layer", "03_linear_layer.html").read_text(
        encoding="utf-8"
    )
    assert "linear_backward: passed" in ada
    assert (demo.path("feedback", "_mathjax", "MathJax.js")).exists()
    released = sorted(p.name for p in demo.path("release").iterdir())
    assert released
    for name in released:  # every lesson's worked solutions show its figures, despite Agg
        page = demo.path("self-study", name, f"{name}-solutions.html").read_text("utf-8")
        assert 'src="data:image/png' in page, name


def test_figure_is_reproducible(demo: Course, tmp_path: Path) -> None:
    png = demo.path("reports", report.PNG).read_bytes()
    again = report.plot_distribution(load_all(demo.path("results")), tmp_path / "again.png")
    assert again.read_bytes() == png
