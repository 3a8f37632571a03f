"""Binder: the environment repo2docker builds from environment.yml runs the student notebooks.

repo2docker installs environment.yml with conda, then runs ``postBuild``. Conda is not
available here, so the test builds the closest equivalent: a fresh virtual environment with
the same packages from PyPI (tests/test_packaging.py keeps environment.yml and
pyproject.toml listing the same ones), installs what environment.yml lists (the student kit
and JupyterLab) into it, runs ``postBuild`` there (which installs the course to build the
worked solutions), and runs every student notebook, filled with the lesson's solutions, in
that environment's kernel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BINDER = re.compile(r"https://mybinder\.org/v2/gh/([\w.-]+)/([\w.-]+)/(\w+)\?urlpath=([\w%./-]+)")


def test_readme_links_to_binder_opening_a_student_notebook() -> None:
    link = BINDER.search(README)
    assert link, "no Binder link in the README"
    target = link.group(4).replace("%2F", "/")
    assert target.startswith("lab/tree/self-study/"), target
    assert target.endswith(".ipynb")
    postbuild = (ROOT / "postBuild").read_text()
    assert "autograder.commands.site --out self-study" in postbuild
    assert "autograder.commands.student_env" in postbuild
    assert os.access(ROOT / "postBuild", os.X_OK)
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists(), (
        "repo2docker ignores environment.yml and postBuild at the root when binder/ exists"
    )


def _environment_yml_packages(repo: Path) -> list[str]:
    """What repo2docker installs from environment.yml, as pip arguments: the conda
    dependencies (their conda-forge names are their PyPI names) and the ``pip:`` section
    (``./kit``, the student kit), both read from the file itself."""
    text = (repo / "environment.yml").read_text(encoding="utf-8")
    packages = []
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        item = re.fullmatch(r"\s+- ([^\s#:]+)\s*(#.*)?", line)
        if item and not re.match(r"(python|pip)\b", item.group(1)):
            packages.append(item.group(1))
    assert "./kit" in packages, packages
    return packages


RUN_LESSONS = r"""
import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from autograder.lessons import answers
site, repo = Path(sys.argv[1]), Path(sys.argv[2])
for page in sorted(site.glob("*/*.ipynb")):
    name = page.stem
    source = answers.read(repo / "notebooks" / name / f"{name}.ipynb")
    nb = answers.fill(answers.read(page), answers.solutions(source))
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(page.parent)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    print(name, text.count(": passed on"), flush=True)
"""


@pytest.mark.slow
def test_a_fresh_environment_builds_and_runs_the_student_notebooks(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
        text=True, check=True,
    ).stdout.split()  # fmt: skip
    for f in files:
        if (ROOT / f).is_file():
            (repo / f).parent.mkdir(parents=True, exist_ok=True)
            (repo / f).write_bytes((ROOT / f).read_bytes())
    (repo / "postBuild").chmod(0o755)
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MPLBACKEND")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", *_environment_yml_packages(repo)],
        capture_output=True, text=True, env=env, cwd=repo, timeout=1200,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    build = subprocess.run(
        ["bash", "postBuild"], capture_output=True, text=True, env=env, cwd=repo, timeout=1200
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-3000:]
    site = repo / "self-study"
    lessons = sorted(p.name for p in (repo / "notebooks").iterdir() if p.is_dir())
    assert (site / "index.html").exists()
    for name in lessons:
        assert (site / name / f"{name}.ipynb").exists()
        page = (site / name / f"{name}-solutions.html").read_text(encoding="utf-8")
        assert 'src="data:image/png' in page, f"{name}: no figure on the solutions page"
    page_config = json.loads((env_dir / "etc/jupyter/labconfig/page_config.json").read_text())
    assert page_config["disabledExtensions"]["@jupyter/nbgrader:create-assignment"] is True
    run = subprocess.run(
        [str(py), "-c", RUN_LESSONS, str(site), str(repo)],
        capture_output=True, text=True, env=env, cwd=repo, timeout=1200,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    passed = dict(line.split() for line in run.stdout.split("\n") if line.strip())
    assert sorted(passed) == lessons
    assert all(int(n) > 0 for n in passed.values()), passed
