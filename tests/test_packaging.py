"""environment.yml (conda-forge) lists the same packages as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Conda-forge names that differ from PyPI's (extras are dropped: conda has none).
CONDA_NAMES = {"psycopg[binary]": "psycopg"}


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", requirement.strip()).groups()  # type: ignore[union-attr]
    return CONDA_NAMES.get(name.lower(), name.lower()), spec.replace(" ", "")


def pyproject_packages() -> set[tuple[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith(project["name"])]
    return {_split(r) for r in reqs}


def environment_packages() -> tuple[set[tuple[str, str]], list[str], list[str]]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    conda, pip, channels, section = set(), [], [], ""
    for line in lines:
        if not line.strip() or line.strip().startswith("#"):
            continue
        if not line.startswith(" "):
            section = line.split(":")[0]
        elif section == "channels":
            channels.append(line.strip(" -"))
        elif line.startswith("  - pip:"):
            section = "pip"
        elif section == "pip":
            pip.append(line.strip().removeprefix("- "))
        elif section == "dependencies":
            name, spec = _split(line.strip()[2:])
            if name not in ("python", "pip"):
                conda.add((name, spec))
    return conda, pip, channels


def test_environment_yml_matches_pyproject() -> None:
    conda, pip, channels = environment_packages()
    ours = pyproject_packages()
    assert conda == ours, (
        f"only in pyproject: {ours - conda}; only in environment.yml: {conda - ours}"
    )
    assert channels == ["conda-forge"]
    assert pip == ["-e ."]


def test_python_version_agrees() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert "  - python>=3.11" in (ROOT / "environment.yml").read_text().splitlines()
