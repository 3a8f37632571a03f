"""A student's environment: a fresh virtual environment with only the student kit installed
(its wheel, built from ``kit/``, installed outside the checkout, with a Jupyter kernel).

There ``import backprop_ref`` fails, and every released student notebook runs from its own
folder (the notebook and its ``checks.npz``, as released): the perfect solutions pass every
visible check, quietly, and the blank notebook fails every visible check with the message the
reference's path gives (``check_function``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.course import Course
from autograder.grading.extract import extract
from autograder.lessons import answers
from autograder.stages import release as release_mod
from backprop_ref.specs import LESSONS, VISIBLE_SEED
from backprop_ref.specs.core import check_function

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "backprop-kit-only"


@pytest.fixture(scope="module")
def student_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the fresh environment's python, a JUPYTER_PATH holding its kernel spec)."""
    base = tmp_path_factory.mktemp("student-env")
    dist, source = base / "dist", base / "kit"  # built from a copy: nothing written to kit/
    shutil.copytree(ROOT / "kit", source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(dist), str(source)], check=True)
    (wheel,) = dist.glob("backprop_course_kit-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*install, str(wheel), "ipykernel"], check=True, cwd=base)
    spec = base / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "student kit only",
                "language": "python",
                "env": {"PYTHONPATH": "", "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg"},
            }
        )
    )
    return python, base / "jupyter"


def _python(python: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_only_the_kit_is_installed(student_env: tuple[Path, Path], tmp_path: Path) -> None:
    python, _ = student_env
    kit = _python(python, "import backprop_kit; print(backprop_kit.__file__)", tmp_path)
    assert kit.returncode == 0 and kit.stdout.startswith(str(python.parents[1])), kit
    for package in ("backprop_ref", "autograder"):
        run = _python(python, f"import {package}", tmp_path)
        assert run.returncode != 0 and "ModuleNotFoundError" in run.stderr, package


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """The course released before any deadline (building blocks as answer cells)."""
    course = Course.at(tmp_path_factory.mktemp("course"))
    release_mod.release(course, list(LESSONS), self_study=False)
    return course


def _run(nb: nbformat.NotebookNode, folder: Path, jupyter: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(jupyter)
    try:
        client = NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=120,
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
        )
        client.execute()
    finally:
        if old is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = old
    return nb


def _visible_checks(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The visible test cells, by the graded function they check."""
    out = {}
    for cell in nb.cells:
        gid = answers.grade_id(cell) or ""
        if gid.startswith("test_") and not gid.endswith("_hidden"):
            out[gid.removeprefix("test_")] = cell
    return out


def _student_folder(course: Course, lesson: str, tmp_path: Path) -> Path:
    """The released folder as a student downloads it, outside the checkout."""
    folder = tmp_path / "student" / lesson
    shutil.copytree(course.path("release", lesson), folder)
    assert (folder / "checks.npz").is_file()
    return folder


def _errors(cell: nbformat.NotebookNode) -> list[Any]:
    return [o for o in cell.outputs if o.output_type == "error"]


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_perfect_solutions_pass_every_visible_check(
    lesson: str, released: Course, student_env: tuple[Path, Path], tmp_path: Path
) -> None:
    folder = _student_folder(released, lesson, tmp_path)
    release = answers.read(folder / f"{lesson}.ipynb")
    perfect = answers.fill(
        release, answers.solutions(answers.read(released.path("source", lesson, f"{lesson}.ipynb")))
    )
    nb = _run(perfect, folder, student_env[1])
    checks = _visible_checks(nb)
    assert set(checks) == {c.spec for c in LESSONS[lesson].cells if c.kind == "visible"}
    for name, cell in checks.items():
        assert not _errors(cell), f"{name}: {_errors(cell)}"
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert f"{name}: passed on" in text, text
        assert not any(o.get("name") == "stderr" for o in cell.outputs), cell.outputs


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_blank_notebook_fails_with_the_reference_messages(
    lesson: str, released: Course, student_env: tuple[Path, Path], tmp_path: Path
) -> None:
    folder = _student_folder(released, lesson, tmp_path)
    blank = answers.read(folder / f"{lesson}.ipynb")
    code = [(str(i), c.source) for i, c in enumerate(blank.cells) if c.cell_type == "code"]
    stubs: dict[str, Any] = {}
    exec(compile(extract(code).source, "<blank>", "exec"), stubs)
    nb = _run(blank, folder, student_env[1])
    for name, cell in _visible_checks(nb).items():
        spec = LESSONS[lesson].spec(name)
        expected = check_function(spec, stubs, "visible", VISIBLE_SEED).message()
        (error,) = _errors(cell)
        assert error.ename == "CheckFailed" and error.evalue == expected, name
        assert error.traceback == expected.splitlines(), name  # the diagnosis, no traceback
