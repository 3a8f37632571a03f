"""nbgrader preprocessors of the course: sandboxed execution and robust sanitising.

:class:`SandboxedExecute` replaces nbgrader's ``Execute`` in ``Autograde``: the notebook
runs in a fresh sandbox (:mod:`autograder.kernel_exec`, nbclient and the kernel together),
and only the outputs come back: sources and metadata stay the trusted ones.

:class:`KeepFirstGradeId` runs before nbgrader's own sanitising: a cell copied by the
student (same grade_id twice) keeps its first occurrence and loses its nbgrader metadata
in the copies, so a duplicated cell never fails a submission (jupyter/nbgrader#1083).
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
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, List, Unicode

from autograder.sandbox import Limits, Sandbox, Unsandboxed, read_output

KERNEL_EXEC = Path(__file__).with_name("kernel_exec.py")


class KeepFirstGradeId(NbGraderPreprocessor):  # type: ignore[misc]
    """Drop the nbgrader metadata of every repeated grade_id after its first cell."""

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        seen: set[str] = set()
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if not isinstance(meta, dict) or "grade_id" not in meta:
                continue
            if meta["grade_id"] in seen:
                self.log.warning("dropping the metadata of a repeated cell %s", meta["grade_id"])
                del cell.metadata["nbgrader"]
            seen.add(meta["grade_id"])
        return nb, resources


class SandboxedExecute(NbGraderPreprocessor):  # type: ignore[misc]
    """Execute the notebook in a sandbox and copy back the outputs, capped in bytes."""

    sandbox = Unicode("bubblewrap", help="'bubblewrap' or 'none' (--no-sandbox)").tag(config=True)
    uid = Integer(60000, help="unprivileged uid the sandboxed kernel runs as").tag(config=True)
    readable = List(Unicode(), help="extra read-only paths (packages the lesson imports)").tag(
        config=True
    )
    cell_timeout = Integer(60, help="seconds per cell before it is interrupted").tag(config=True)
    notebook_timeout = Integer(300, help="wall-clock seconds for the whole notebook").tag(
        config=True
    )
    max_cell_bytes = Integer(256 * 1024, help="bytes of output kept per cell").tag(config=True)

    def make_sandbox(self) -> Sandbox:
        if self.sandbox == "none":
            return Unsandboxed(Limits())
        from autograder.bwrap import Bubblewrap

        return Bubblewrap(uid=self.uid, readable=tuple(Path(p) for p in self.readable))

    def preprocess(
        self, nb: NotebookNode, resources: ResourcesDict
    ) -> tuple[NotebookNode, ResourcesDict]:
        with tempfile.TemporaryDirectory(prefix="kernel-") as tmp:
            work = Path(tmp)
            nbformat.write(nb, work / "in.ipynb")
            shutil.copy(KERNEL_EXEC, work / "kernel_exec.py")
            seed_matplotlib_cache(work / ".matplotlib")
            run = self.make_sandbox().run(
                [
                    sys.executable,
                    "-I",
                    "kernel_exec.py",
                    "in.ipynb",
                    "out.ipynb",
                    str(self.cell_timeout),
                    str(self.max_cell_bytes),
                ],
                work,
                self.notebook_timeout,
                env={
                    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                    "MPLCONFIGDIR": "/submission/.matplotlib",
                    "IPYTHONDIR": "/tmp/ipython",
                },
            )
            executed = self._read(work / "out.ipynb")
        reason = "the notebook ran out of time" if run.timed_out else f"it ended ({run.describe()})"
        if executed is None and not run.timed_out:
            tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            reason += f": {tail[0][:300]}"
        copy_outputs(nb, executed, f"not run: {reason} before this cell")
        return nb, resources

    def _read(self, path: Path) -> Any:
        try:
            data = read_output(path, 64 * 1024 * 1024)
            return rejoin_lines(nbformat.from_dict(json.loads(data.decode("utf-8"))))
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            self.log.warning("no executed notebook came back: %s", exc)
            return None


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
    under the nbformat schema. A code cell with no usable result gets one error output
    saying why, so its tests score 0 (nbgrader gives full marks to a test cell with no
    error, so an empty result must never pass as a success).
    """
    cells = executed.get("cells", []) if isinstance(executed, dict) else []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        other = cells[index] if index < len(cells) and isinstance(cells[index], dict) else {}
        count = other.get("execution_count")
        outputs = _valid_outputs(other.get("outputs")) if other.get("cell_type") == "code" else None
        if outputs is None or not isinstance(count, int):
            why = missing_reason if outputs is not None or not other else "malformed output"
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
        cell.outputs, cell.execution_count = outputs, count


def _valid_outputs(outputs: Any) -> list[NotebookNode] | None:
    if not isinstance(outputs, list):
        return None
    try:
        nodes = [nbformat.from_dict(o) for o in outputs]
        for node in nodes:
            nbformat.validate(node, ref="output", version=4, version_minor=5)
    except Exception:
        return None
    return nodes
