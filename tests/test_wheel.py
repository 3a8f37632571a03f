"""The course as users install it: wheels built from this repository, installed into a fresh
virtual environment outside the checkout, run ``release``, ``demo`` and ``grade``.

The lessons (``notebooks/``) and the demo's mistakes (the lessons' mutants) are package data
read with importlib.resources, so nothing here may read the repository: the commands run in
a folder of their own, with no ``PYTHONPATH``, and the course they write names no path of
the checkout. The wheels' dependencies come from the package index, as a user's would.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from backprop_ref.specs import LESSONS
from tests import system

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
#: What a copy of the working tree leaves out (local environments, caches, generated files).
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".hypothesis",
    "course", "demo-course", "site", "checks.npz", "screenshots",
)  # fmt: skip


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    run = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, f"{argv}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh venv with the two wheels (built from a copy of the working tree) installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    tree, wheels = tmp / "tree", tmp / "wheels"
    shutil.copytree(ROOT, tree, ignore=SKIP)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    for project in (tree / "kit", tree):
        _run([*pip, "wheel", "--no-deps", "-q", "-w", str(wheels), str(project)], tmp, env, 900)
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp, env, 300)
    found = sorted(str(w) for w in wheels.glob("*.whl"))
    assert len(found) == 2, found
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *found], tmp, env, 1800)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return venv, env


def test_the_wheel_carries_the_lessons_and_the_mutants(
    installed: tuple[Path, dict[str, str]],
) -> None:
    venv, env = installed
    wheel = next((venv.parent / "wheels").glob("backprop_course-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for lesson in LESSONS:
        assert f"autograder/lessons/notebooks/{lesson}/{lesson}.ipynb" in names
        assert f"autograder/lessons/mutants/{lesson}.py" in names
    assert "autograder/sandbox/inside/kernel_exec.py" in names
    assert "autograder/pages/templates/offline_math.html.j2" in names
    assert not any(n.startswith(("tests/", "notebooks/")) for n in names)
    code = "import autograder, backprop_ref, backprop_kit as k; from autograder import lessons\n"
    code += "print(autograder.__file__, backprop_ref.__file__, k.__file__)\n"
    code += "print(lessons.source('01_jacobians'))"
    out = _run([str(venv / "bin" / "python"), "-c", code], venv.parent, env, 120)
    for path in out.split():
        assert Path(path).is_relative_to(venv) and not Path(path).is_relative_to(ROOT), out


def test_release_demo_and_grade_run_from_the_wheel(
    installed: tuple[Path, dict[str, str]],
) -> None:
    venv, env = installed
    work = venv.parent / "elsewhere"  # not the checkout: nothing there to read by accident
    work.mkdir()
    python = str(venv / "bin" / "python")
    no_sandbox = [] if system.sandboxed() else ["--no-sandbox"]
    lesson = "03_linear_layer"
    _run(
        [python, "-m", "autograder", "release", "--course", "course", "--assignment", lesson],
        work,
        env,
        900,
    )
    assert (work / "course" / "release" / lesson / f"{lesson}.ipynb").exists()
    assert (work / "course" / "self-study" / lesson / f"{lesson}-solutions.html").exists()
    out = _run(
        [python, "-m", "autograder", "demo", "--course", "demo-course", *no_sandbox],
        work,
        env,
        1800,
    )
    assert "full report:" in out
    demo = work / "demo-course"
    _run(
        [python, "-m", "autograder", "grade", "--course", str(demo), "--force",
         "--assignment", lesson, *no_sandbox],
        work,
        env,
        900,
    )  # fmt: skip
    with (demo / "reports" / "totals.csv").open(newline="", encoding="utf-8") as f:
        totals = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}
    for name, spec in LESSONS.items():
        auto = sum(c.points for c in spec.cells if c.kind != "manual")
        perfect = totals[("ada_perfect", name)]
        assert perfect["status"] == "needs_manual"  # the written derivations wait for a human
        assert float(perfect["score"]) == auto, perfect
        assert float(totals[("ben_empty", name)]["score"]) == 0
    mistakes = totals[("cy_mistakes", lesson)]
    assert 0 < float(mistakes["score"]) < float(mistakes["max_score"])
    assert totals[("finn_broken", "01_jacobians")]["status"] == "ungradable"
    for config in (work / "course" / "nbgrader_config.py", demo / "nbgrader_config.py"):
        text = config.read_text(encoding="utf-8")
        assert str(ROOT) not in text and str(venv) in text  # the installed package's config
