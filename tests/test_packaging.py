"""The two distributions and the students' environment agree.

- ``pyproject.toml`` (backprop-course: the reference and the grader) depends on the student
  kit ``kit/pyproject.toml`` (backprop-course-kit) at the same version;
- ``environment.yml`` (conda-forge; what students and Binder get) is the kit with its
  dependencies and the notebook front ends, with the versions pyproject.toml asks for.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What students need beside the kit to open the notebooks (pinned in pyproject.toml).
FRONT_ENDS = ("jupyterlab", "notebook", "nbgrader")  # nbgrader: the students' Validate button


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", requirement.strip()).groups()  # type: ignore[union-attr]
    return name.lower(), spec.replace(" ", "")


def _project(path: Path) -> dict:  # type: ignore[type-arg]
    return tomllib.loads(path.read_text())["project"]  # type: ignore[no-any-return]


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


def test_the_course_depends_on_the_kit_of_the_same_version() -> None:
    course, kit = _project(ROOT / "pyproject.toml"), _project(ROOT / "kit" / "pyproject.toml")
    assert kit["name"] == "backprop-course-kit" and course["name"] == "backprop-course"
    assert kit["version"] == course["version"]
    assert f"backprop-course-kit=={kit['version']}" in [
        r.split("#")[0].strip() for r in course["dependencies"]
    ]


def test_environment_yml_is_the_kit_and_the_notebook_front_ends() -> None:
    conda, pip, channels = environment_packages()
    course, kit = _project(ROOT / "pyproject.toml"), _project(ROOT / "kit" / "pyproject.toml")
    wanted = {_split(r) for r in kit["dependencies"]}
    wanted |= {_split(r) for r in course["dependencies"] if _split(r)[0] in FRONT_ENDS}
    assert conda == wanted, f"only in pyproject: {wanted - conda}; only in yml: {conda - wanted}"
    assert channels == ["conda-forge"]
    assert pip == ["./kit"]  # the kit only: never the reference (the answers)


def test_the_kit_needs_only_numpy_and_matplotlib() -> None:
    kit = _project(ROOT / "kit" / "pyproject.toml")
    assert {_split(r)[0] for r in kit["dependencies"]} == {"numpy", "matplotlib"}


def test_python_version_agrees() -> None:
    for path in (ROOT / "pyproject.toml", ROOT / "kit" / "pyproject.toml"):
        assert _project(path)["requires-python"] == ">=3.11"
    assert "  - python>=3.11" in (ROOT / "environment.yml").read_text().splitlines()
