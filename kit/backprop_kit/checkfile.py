"""The lessons' check files: each graded function's cases and the expected data, as plain data.

The reference (the instructor's side) writes them at release: ``checks.npz`` beside each
student notebook holds the visible cases; the grader's copy also holds the hidden ones.
A file is one ``.npz`` archive written by :func:`backprop_kit.harness.dumps`: arrays plus
one JSON document, never pickle. Its content::

    {"format": "backprop-checks/1",
     "lesson": "03_linear_layer",
     "functions": {"linear_forward": {"visible": [{"inputs": {...}, "note": "...",
                                                   "expected": {...}}, ...],
                                      "hidden": [...]}, ...}}

``check`` looks for the file through the environment variable ``BACKPROP_KIT_CHECKS``
(one or more paths, ``os.pathsep``-separated; the grader sets it), then ``checks.npz`` in
the working directory (Jupyter runs a notebook in its own folder).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from backprop_kit import harness
from backprop_kit.verdicts import Case

FORMAT = "backprop-checks/1"
FILENAME = "checks.npz"
ENV = "BACKPROP_KIT_CHECKS"
MAX_BYTES = 64 * 1024 * 1024


class NoCheckData(LookupError):
    """No check file holds the cases asked for; the message says what to do (in IPython,
    only the message is shown)."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def dumps(lesson: str, functions: Mapping[str, Mapping[Any, list[dict[str, Any]]]]) -> bytes:
    """A check file's bytes. ``functions``: name -> stage -> cases, each case a dict with
    ``inputs``, ``note`` and ``expected`` (plain data)."""
    return harness.dumps({"format": FORMAT, "lesson": lesson, "functions": dict(functions)})


def loads(data: bytes) -> dict[str, Any]:
    """A check file's content (refusing archives that would expand past the size cap)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if sum(i.file_size for i in z.infolist()) > MAX_BYTES:
            raise ValueError("the check file is too large")
    content = harness.loads(data)
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ValueError("not a check file of this course")
    return content


_CACHE: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}


def _read(path: Path) -> dict[str, Any]:
    """A check file's content, decoded once for as long as the file stays the same."""
    info = path.stat()
    stamp = (info.st_mtime_ns, info.st_size)
    known = _CACHE.get(str(path))
    if known is None or known[0] != stamp:
        known = (stamp, loads(path.read_bytes()))
        _CACHE[str(path)] = known
    return known[1]


def candidates() -> list[Path]:
    """Where check files are looked for, in order."""
    paths = [Path(p) for p in os.environ.get(ENV, "").split(os.pathsep) if p]
    return [*paths, Path.cwd() / FILENAME]


def cases(name: str, stage: str, places: Iterable[Path] | None = None) -> list[tuple[Case, Any]]:
    """The ``(case, expected)`` pairs of function ``name`` for ``stage``, from the first
    check file that has them."""
    looked: list[str] = []
    for path in candidates() if places is None else places:
        if path.is_dir():
            path = path / FILENAME
        looked.append(str(path))
        if not path.is_file():
            continue
        stages = _read(path)["functions"].get(name)
        if stages is not None and stage in stages:
            return [(Case(c["inputs"], c["note"]), c["expected"]) for c in stages[stage]]
    if stage == "hidden":
        raise NoCheckData(f"the hidden tests of {name} run when your notebook is graded.")
    raise NoCheckData(
        f"no check data for {name}: the file {FILENAME} that comes with this notebook must "
        f"be in the notebook's folder (looked in: {', '.join(looked)})."
    )
