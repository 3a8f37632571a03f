"""The lessons as the pipeline reads them: package data, found with :mod:`importlib.resources`.

- ``autograder.lessons.notebooks``: the lessons' nbgrader sources,
  ``<lesson>/<lesson>.ipynb``. Authors keep them in the repository's ``notebooks/``;
  ``setup.py`` maps that folder to this package, so a wheel carries them and an editable
  install reads the checkout's (nothing reads the repository root by path at run time).
- ``autograder.lessons.mutants``: the lessons' typical mistakes, from which the demo's
  sample students are made (:mod:`.samples`).

Also here: authoring (:mod:`.authoring`), answers in notebooks (:mod:`.answers`),
building-block cells (:mod:`.blocks`) and the demo's sample submissions (:mod:`.samples`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

NOTEBOOKS = "autograder.lessons.notebooks"
MUTANTS = "autograder.lessons.mutants"


def _folder(package: str) -> Path:
    try:
        root = files(package)
    except ModuleNotFoundError as exc:  # an editable install from before setup.py mapped it
        raise RuntimeError(
            f"{package} is not installed: reinstall the course (make venv, or pip install -e .)"
        ) from exc
    if not isinstance(root, Path):  # a zipped install: the course needs real files
        raise RuntimeError(f"{package} is not installed as files ({root!r}): reinstall unzipped")
    return root


def sources_folder() -> Path:
    """The folder of the lessons' sources: ``<lesson>/<lesson>.ipynb`` in it."""
    return _folder(NOTEBOOKS)


def names() -> list[str]:
    """The lessons, in course order (``NN_topic`` folders holding ``NN_topic.ipynb``)."""
    root = sources_folder()
    return sorted(
        d.name
        for d in root.iterdir()
        if d.is_dir() and d.name[:2].isdigit() and (d / f"{d.name}.ipynb").exists()
    )


def source(name: str) -> Path:
    """The nbgrader source notebook of lesson ``name``."""
    return sources_folder() / name / f"{name}.ipynb"


def mutants_file(name: str) -> Path:
    """The mutants of lesson ``name`` (a Python file defining ``MUTANTS``)."""
    return _folder(MUTANTS) / f"{name}.py"
