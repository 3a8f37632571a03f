"""nbgrader preprocessors of the course: sandboxed execution and robust sanitising.

:class:`SandboxedExecute` replaces nbgrader's ``Execute`` in ``Autograde``: the notebook
runs in a fresh sandbox (:mod:`autograder.sandbox.inside.kernel_exec`, nbclient and the
kernel together), and only the outputs come back, as untrusted data: sources and metadata
stay the trusted ones, and a code cell without a usable result gets an error saying why
(nbgrader gives full marks to a test cell with no error, so no result must never pass as a
success).

Sanitising, before nbgrader's own checks, so that nothing a student does to the cells'
metadata fails a submission (stock nbgrader fails the whole notebook, and in a batch can
stop every student after it):

- :class:`KeepFirstGradeId`: of a cell copied by the student (same grade_id twice), one copy
  keeps the nbgrader metadata (the unmodified test cell, else the first) and the others lose
  it (jupyter/nbgrader#1083).
- :class:`RestoreCellMetadata`: every cell's nbgrader metadata is the lesson's, by
  grade_id (flipped grade/solution/locked flags, edited points, a bogus schema_version are
  put back); metadata naming no cell of the lesson, or not even a dict, is dropped.
- :class:`RestoreMissingCells`: nbgrader's ``OverwriteCells``, whose re-adding of deleted
  test cells does not fail when the cells around them were deleted too.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4.rwbase import rejoin_lines
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Integer, List, Unicode, default

from autograder.sandbox.base import Limits, Sandbox, own_uid, read_output
from autograder.sandbox.choice import sandbox_for
from autograder.sandbox.inside import KERNEL_EXEC
from backprop_kit.checkfile import ENV as CHECKS_ENV

RECORDS = "cells.jsonl"  # what kernel_exec.py writes: one JSON line per executed cell
MAX_RECORDS_BYTES = 64 * 1024 * 1024  # never more than this is read, whatever the notebook
#: All the outputs kept in one graded notebook (each cell's are capped by max_cell_bytes):
#: past this, a cell keeps a note instead of its outputs (and a short error if it had one).
MAX_NOTEBOOK_OUTPUT_BYTES = 3 * 1024 * 1024


class KeepFirstGradeId(NbGraderPreprocessor):  # type: ignore[misc]
    """Of the cells sharing a grade_id, keep the nbgrader metadata of one: the first copy of a
    locked cell whose source is still the released one (a student's edited copy of a test
    cell, even placed first, is not the test), else the first; the others lose it."""

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        groups: dict[str, list[NotebookNode]] = {}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
                groups.setdefault(meta["grade_id"], []).append(cell)
        for gid, cells in groups.items():
            if len(cells) < 2:
                continue
            keep = next((c for c in cells if _unmodified(c)), cells[0])
            for cell in cells:
                if cell is not keep:
                    self.log.warning("dropping the metadata of a repeated cell %s", gid)
                    del cell.metadata["nbgrader"]
        return nb, resources


def _unmodified(cell: NotebookNode) -> bool:
    """A locked cell whose source and metadata still match the checksum it was released with."""
    from nbgrader.utils import compute_checksum

    meta = cell.metadata["nbgrader"]
    try:
        return bool(meta.get("locked")) and compute_checksum(cell) == meta.get("checksum")
    except Exception:
        return False


def _canonical_metadata(resources: ResourcesDict) -> dict[str, dict[str, Any]]:
    """grade_id -> the nbgrader metadata the lesson's source gives that cell."""
    from nbgrader.api import Gradebook

    info = resources["nbgrader"]
    with Gradebook(info["db_url"]) as gb:
        source = gb.find_notebook(info["notebook"], info["assignment"])
        grades = {c.name: float(c.max_score) for c in source.grade_cells}
        solutions = {c.name for c in source.solution_cells}
        tasks = {c.name for c in source.task_cells}
        out: dict[str, dict[str, Any]] = {}
        for cell in source.source_cells:
            name = cell.name
            meta: dict[str, Any] = {
                "grade": name in grades,
                "grade_id": name,
                "locked": bool(cell.locked),
                "schema_version": 3,
                "solution": name in solutions,
                "task": name in tasks,
            }
            if name in grades:
                meta["points"] = grades[name]
            out[name] = meta
    return out


class RestoreCellMetadata(NbGraderPreprocessor):  # type: ignore[misc]
    """Put back the lesson's nbgrader metadata on every cell, by grade_id (first one wins)."""

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        canonical = _canonical_metadata(resources)
        seen: set[str] = set()
        for cell in nb.cells:
            if not isinstance(cell.get("metadata"), dict):
                cell["metadata"] = NotebookNode()
            meta = cell.metadata.get("nbgrader")
            if meta is None:
                continue
            gid = meta.get("grade_id") if isinstance(meta, dict) else None
            if not isinstance(gid, str) or gid not in canonical or gid in seen:
                self.log.warning("dropping nbgrader metadata that is not the lesson's: %.80r", meta)
                del cell.metadata["nbgrader"]
                continue
            seen.add(gid)
            cell.metadata["nbgrader"] = NotebookNode(canonical[gid])
        return nb, resources


class RestoreMissingCells(OverwriteCells):  # type: ignore[misc]
    """``OverwriteCells``; a deleted grade cell is re-added after the nearest earlier cell of
    the lesson still present (stock nbgrader fails when that one was deleted too)."""

    def add_missing_grade_cells(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [c.name for c in source_nb.source_cells]
        by_name = {c.name: c for c in source_nb.source_cells}
        points = {c.name: c.max_score for c in source_nb.grade_cells}
        solutions = {c.name for c in source_nb.solution_cells}

        def present() -> dict[str, int]:
            found: dict[str, int] = {}
            for i, cell in enumerate(nb.cells):
                meta = cell.get("metadata", {}).get("nbgrader", {})
                gid = meta.get("grade_id") if isinstance(meta, dict) else None
                if isinstance(gid, str):
                    found.setdefault(gid, i)
            return found

        for k, name in enumerate(order):
            where = present()
            if name not in points or name in where:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", name)
            cell = self.missing_cell_transform(
                by_name[name], points[name], is_solution=name in solutions
            )
            earlier = [where[p] for p in order[:k] if p in where]
            nb.cells.insert(max(earlier) + 1 if earlier else 0, cell)
        return nb, resources


class SandboxedExecute(NbGraderPreprocessor):  # type: ignore[misc]
    """Execute the notebook in a sandbox and copy back the outputs, capped in bytes."""

    sandbox = Unicode("bubblewrap", help="'bubblewrap' or 'none' (--no-sandbox)").tag(config=True)
    uid = Integer(
        help="unprivileged uid the sandboxed kernel runs as (default: one of this process's own)"
    ).tag(config=True)
    readable = List(Unicode(), help="extra read-only paths (packages the lesson imports)").tag(
        config=True
    )
    cell_timeout = Integer(60, help="seconds per cell before it is interrupted").tag(config=True)
    notebook_timeout = Integer(300, help="wall-clock seconds for the whole notebook").tag(
        config=True
    )
    max_cell_bytes = Integer(256 * 1024, help="bytes of output kept per cell").tag(config=True)
    checks_dir = Unicode(
        "",
        help="the grader's check data, <assignment>.npz (default: <course>/grading-checks)",
    ).tag(config=True)

    @default("uid")
    def _own_uid(self) -> int:
        return own_uid()

    def make_sandbox(self, readable: tuple[Path, ...] = ()) -> Sandbox:
        paths = tuple(Path(p) for p in self.readable) + readable
        return sandbox_for(self.sandbox != "none", self.uid, paths, Limits())

    def checks_file(self, resources: ResourcesDict) -> Path | None:
        """The grader's check data for this assignment (visible and hidden cases), which
        the kernel's ``check`` reads (read-only); None when there is none."""
        assignment = resources.get("nbgrader", {}).get("assignment")
        root = _course_root(self.config)
        folder = self.checks_dir or (str(Path(root) / "grading-checks") if root else "")
        if not assignment or not folder:
            return None
        path = Path(folder) / f"{assignment}.npz"
        return path if path.is_file() else None

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        checks = self.checks_file(resources)
        env = {
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MPLCONFIGDIR": "/submission/.matplotlib",
            "IPYTHONDIR": "/tmp/ipython",
        }
        readable: tuple[Path, ...] = ()  # the kernel never sees backprop_ref (the answers)
        with (
            tempfile.TemporaryDirectory(prefix="kernel-") as tmp,
            tempfile.TemporaryDirectory(prefix="checks-") as data,
        ):
            if checks is not None:  # a copy in a folder of its own, bound read-only
                copied = Path(data) / "checks.npz"
                shutil.copy(checks, copied)
                copied.chmod(0o444)
                Path(data).chmod(0o755)  # readable by the sandbox's unprivileged uid
                env[CHECKS_ENV] = str(copied)
                readable += (Path(data),)
            work = Path(tmp)
            nbformat.write(nb, work / "in.ipynb")
            shutil.copy(KERNEL_EXEC, work / "kernel_exec.py")
            seed_matplotlib_cache(work / ".matplotlib")
            run = self.make_sandbox(readable).run(
                [
                    sys.executable,
                    "-I",
                    "kernel_exec.py",
                    "in.ipynb",
                    RECORDS,
                    str(self.cell_timeout),
                    str(self.max_cell_bytes),
                ],
                work,
                self.notebook_timeout,
                env=env,
                outputs=(RECORDS,),
            )
            executed, done = self._read(work / RECORDS, len(nb.cells))
        if run.timed_out:
            reason = f"the notebook ran out of time ({self.notebook_timeout} s in all)"
        else:
            reason = f"the notebook stopped ({run.describe()})"
            tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            if not done and tail:
                reason += f": {tail[0][:300]}"
        copy_outputs(nb, executed, f"not run: {reason} before this cell")
        return nb, resources

    def _read(self, path: Path, n_cells: int) -> tuple[dict[str, Any], bool]:
        """The records, read within caps that follow from the notebook: a flood of records
        (or a few huge ones) costs the grader no more than an honest run of this notebook."""
        per_record = 2 * self.max_cell_bytes + 64 * 1024
        limit = min(MAX_RECORDS_BYTES, (n_cells + 2) * per_record)
        try:
            data = read_output(path, limit, truncate=True)
        except OSError as exc:
            self.log.warning("no executed cells came back: %s", exc)
            data = b""
        return read_records(data, n_cells, per_record)


def _course_root(config: Any) -> str:
    """The course directory from the nbgrader config (``CourseDirectory.root``), or ''."""
    try:
        root = config.CourseDirectory.root
    except AttributeError:
        return ""
    return root if isinstance(root, str) else ""


def read_records(
    data: bytes, n_cells: int, max_record_bytes: int = MAX_RECORDS_BYTES
) -> tuple[dict[str, Any], bool]:
    """kernel_exec's records (untrusted) as an executed notebook's ``{"cells": [...]}`` (the
    last record of each cell wins; lines that are not a record are ignored), and whether
    the run said it finished.

    Bounded whatever ``data`` holds: lines longer than ``max_record_bytes`` are skipped
    unparsed, at most ``4 * n_cells + 16`` records are parsed (an honest run writes one
    per code cell and one to say it is done), and the outputs kept add up to at most
    MAX_NOTEBOOK_OUTPUT_BYTES (later cells keep a note, and a short error if they had one).
    """
    cells: list[dict[str, Any]] = [{} for _ in range(n_cells)]
    sizes = [0] * n_cells
    done = False
    parsed = 0
    for line in data.split(b"\n"):
        if not line.strip() or len(line) > max_record_bytes:
            continue
        parsed += 1
        if parsed > 4 * n_cells + 16:
            break
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        if record.get("done") is True:
            done = True
            continue
        index = record.get("index")
        if type(index) is int and 0 <= index < n_cells:
            cells[index] = {
                "cell_type": "code",
                "execution_count": record.get("execution_count"),
                "outputs": record.get("outputs"),
            }
            sizes[index] = len(line)
    used = 0
    for index, cell in enumerate(cells):
        used += sizes[index]
        if cell and used > MAX_NOTEBOOK_OUTPUT_BYTES:
            cell["outputs"] = _over_budget(cell.get("outputs"))
    return {"cells": cells}, done


def _over_budget(outputs: Any) -> list[dict[str, Any]]:
    """A note in place of outputs past the notebook's budget; an error stays an error."""
    text = f"[output dropped: the notebook's outputs passed {MAX_NOTEBOOK_OUTPUT_BYTES} bytes]\n"
    kept: list[dict[str, Any]] = [{"output_type": "stream", "name": "stdout", "text": text}]
    outputs = outputs if isinstance(outputs, list) else []
    errors = [o for o in outputs if isinstance(o, dict) and o.get("output_type") == "error"]
    if errors:
        ename = str(errors[-1].get("ename", "Error"))[:200]
        evalue = str(errors[-1].get("evalue", ""))[:500]
        kept.append(
            {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [ename]}
        )
    return kept


def seed_matplotlib_cache(target: Path) -> None:
    """Give the kernel matplotlib's font list, so it does not rebuild it (slowly, on stderr)."""
    import matplotlib
    from matplotlib import font_manager  # noqa: F401 (builds the cache if missing)

    target.mkdir(exist_ok=True)
    for f in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(f, target / f.name)


def copy_outputs(nb: NotebookNode, executed: Any, missing_reason: str) -> None:
    """Outputs and execution counts from ``executed`` (untrusted JSON) onto ``nb``'s cells.

    Only cells at the same index with the same type take outputs, and only outputs valid
    under the nbformat schema, from a cell that has an execution count or an error. A code
    cell with no usable result gets one error output saying why, so its tests score 0
    (nbgrader gives full marks to a test cell with no error, so an empty result must never
    pass as a success).
    """
    cells = executed.get("cells", []) if isinstance(executed, dict) else []
    cells = cells if isinstance(cells, list) else []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        other = cells[index] if index < len(cells) and isinstance(cells[index], dict) else {}
        count = other.get("execution_count")
        outputs = _valid_outputs(other.get("outputs")) if other.get("cell_type") == "code" else None
        counted = type(count) is int and count >= 0
        failed = outputs is not None and any(o.output_type == "error" for o in outputs)
        if outputs is None or not (counted or failed):
            why = missing_reason if not other or other.get("outputs") == [] else "malformed output"
            cell.outputs = [
                nbformat.v4.new_output(
                    "error",
                    ename="NotebookStopped",
                    evalue=why,
                    traceback=[f"NotebookStopped: {why}"],
                )
            ]
            cell.execution_count = None
            continue
        cell.outputs, cell.execution_count = outputs, count if counted else None


def _valid_outputs(outputs: Any) -> list[NotebookNode] | None:
    """The outputs as nbformat nodes (multi-line text joined), or None unless all are valid."""
    if not isinstance(outputs, list):
        return None
    try:
        nodes = [nbformat.from_dict(o) for o in outputs]
        # all at once, as the outputs of one code cell of an nbformat 4.5 notebook: the same
        # output schema, checked by nbformat's compiled validator (one output at a time,
        # ``ref="output"`` goes through jsonschema, some ms per output)
        cell = {"cell_type": "code", "id": "x", "metadata": {}, "source": ""}
        shell = nbformat.from_dict(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [{**cell, "execution_count": None, "outputs": nodes}],
            }
        )
        nbformat.validate(shell, version=4, version_minor=5)
        nodes = rejoin_lines(shell).cells[0].outputs
        for node in nodes:  # traceback lines are strings (the schema says so); ename too
            if node.output_type == "error" and not all(
                isinstance(v, str) for v in (node.ename, node.evalue, *node.traceback)
            ):
                return None
    except Exception:
        return None
    return nodes
