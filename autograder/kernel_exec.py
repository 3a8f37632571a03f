"""Execute a notebook inside the sandbox: nbclient and the kernel both run in here.

Usage: ``python -I kernel_exec.py IN OUT CELL_TIMEOUT MAX_CELL_BYTES``

Writes ``OUT`` after every cell (atomically), so whatever happens later (a time limit, a
kill) the cells already run keep their outputs. Each cell's output is capped in bytes. A
cell that runs out of time is interrupted; if the kernel does not come back (a loop that
ignores SIGINT) or dies (``os._exit``, a crash, memory), the rest of the notebook is marked
as not run, with the reason, and this process ends normally.
"""

from __future__ import annotations

import json
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

PROBE_TIMEOUT = 5


def error_output(ename: str, evalue: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def cap_outputs(cell: nbformat.NotebookNode, max_bytes: int) -> None:
    """Keep at most ``max_bytes`` of each cell's output (text is cut, large images dropped)."""
    used = 0
    kept = []
    for out in cell.get("outputs", []):
        size = len(json.dumps(out))
        if used + size <= max_bytes:
            kept.append(out)
            used += size
            continue
        if out.get("output_type") == "stream":
            room = max(max_bytes - used - 200, 0)
            out["text"] = str(out.get("text", ""))[:room] + "\n[output truncated]\n"
            kept.append(out)
        else:
            kept.append(
                nbformat.v4.new_output(
                    "stream", name="stdout", text="[output dropped: too large]\n"
                )
            )
        break
    cell["outputs"] = kept


def save(nb: nbformat.NotebookNode, path: str) -> None:
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, path)


def mark_rest(nb: nbformat.NotebookNode, start: int, reason: str) -> None:
    for cell in nb.cells[start:]:
        if cell.cell_type == "code":
            cell.outputs = [error_output("NotebookStopped", reason)]


def timed_out(cell: nbformat.NotebookNode) -> bool:
    return any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))


def kernel_responds(client: NotebookClient) -> bool:
    probe = nbformat.v4.new_code_cell("pass")
    saved = client.timeout
    client.timeout = PROBE_TIMEOUT
    try:
        client.execute_cell(probe, 0, store_history=False)
    except Exception:
        return False
    finally:
        client.timeout = saved
    return not timed_out(probe)


def main(src: str, dst: str, cell_timeout: int, max_cell_bytes: int) -> int:
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"the cell ran longer than {cell_timeout} s and was stopped",
            "traceback": ["CellTimeoutError: the cell ran out of time"],
        },
        kernel_name="python3",
        record_timing=False,
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
        resources={"metadata": {"path": os.getcwd()}},
    )
    save(nb, dst)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                cell.outputs.append(
                    error_output(
                        "DeadKernelError",
                        "the kernel died while running this cell "
                        "(os._exit, a crash, or out of memory)",
                    )
                )
                mark_rest(nb, index + 1, "not run: the kernel died in an earlier cell")
                break
            finally:
                cap_outputs(cell, max_cell_bytes)
                save(nb, dst)
            if timed_out(cell) and not kernel_responds(client):
                mark_rest(
                    nb,
                    index + 1,
                    "not run: the kernel stopped responding after an earlier cell ran out of time",
                )
                break
    save(nb, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
