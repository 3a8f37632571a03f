"""Execute a notebook inside the sandbox: nbclient and the kernel both run in here.

Usage: ``python -I kernel_exec.py IN RECORDS CELL_TIMEOUT MAX_CELL_BYTES``

Appends one JSON line to ``RECORDS`` after every code cell (its index, execution count and
outputs), and ``{"done": true}`` at the end, so whatever happens later (a time limit, a
kill) the cells already run keep their outputs; a line cut short by a kill is simply
ignored by the reader. Everything in the file is untrusted (student code runs as the same
user and can write it too): the grader validates every output and decides nothing from it.

Each cell's output is capped in bytes while it runs (a print loop cannot exhaust this
process's memory). A cell that runs out of time is interrupted; if the kernel does not come
back (a loop that ignores SIGINT) or dies (``os._exit``, a crash, memory), the rest of the
notebook is marked as not run, with the reason, and this process ends normally.
"""

from __future__ import annotations

import json
import os
import sys
import time
from queue import Empty
from typing import Any, NoReturn

FORMAT_LIBRARIES = (
    "rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "isoduration",
    "fqdn", "idna", "webcolors", "jsonpointer", "uri_template",
)  # fmt: skip

# jsonschema (via nbformat) imports a library per string format it can check on import
# (rfc3987_syntax alone builds grammars for ~3 s per notebook); nbformat checks no format.
# Without the modules jsonschema skips those checks. (Only this process: not the kernel.)
for _unused in FORMAT_LIBRARIES:
    sys.modules.setdefault(_unused, None)  # type: ignore[arg-type]

import nbformat  # noqa: E402
from jupyter_client.asynchronous import AsyncKernelClient  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402
from nbclient.util import run_sync  # noqa: E402

#: What ``python -m ipykernel_launcher`` runs, minus the debugger: ipykernel imports debugpy
#: as it starts (a tenth of a CPU-second per notebook) and a grading run debugs nothing.
#: debugpy is hidden only while ipykernel looks for it; student code can still import it.
LAUNCH = (
    "import sys; from pathlib import Path\n"
    "if sys.path[0] in ('', str(Path.cwd())): del sys.path[0]\n"
    "sys.modules['debugpy'] = None\n"
    "import ipykernel.debugger\n"
    "del sys.modules['debugpy']\n"
    "from ipykernel import kernelapp\n"
    "kernelapp.launch_new_instance()\n"
)

#: Each figure drawn once: the inline backend's default ``bbox_inches="tight"`` draws every
#: figure twice (once to measure it). The lessons lay their figures out themselves
#: (constrained layout or tight_layout), so the feedback shows each at its own size, drawn
#: once: about 0.1 CPU-second less per figure.
KERNEL_ARGUMENTS = [
    "--HistoryManager.hist_file=:memory:",
    '--InlineBackend.print_figure_kwargs={"bbox_inches": None}',
]

PROBE_TIMEOUT = 5

#: How long the client looks on IOPub for the idle status of its ``kernel_info`` request
#: before it asks again: the first request is usually answered before IOPub is connected
#: (zmq retries a connection every 0.1 s), and then its status never comes.
IOPUB_LOOK = 0.05


def error_output(ename: str, evalue: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
    )


def _size(out: Any) -> int:
    try:
        return len(json.dumps(out))
    except (TypeError, ValueError, RecursionError):
        return 1 << 62


def cap_outputs(cell: nbformat.NotebookNode, max_bytes: int) -> None:
    """Keep at most ``max_bytes`` of each cell's output (text is cut, large images dropped)."""
    used = 0
    kept = []
    for out in cell.get("outputs", []):
        size = _size(out)
        if used + size <= max_bytes:
            kept.append(out)
            used += size
            continue
        if out.get("output_type") == "stream":
            room = max(max_bytes - used - 200, 0)
            out["text"] = str(out.get("text", ""))[:room] + "\n[output truncated]\n"
            kept.append(out)
        elif out.get("output_type") == "error":
            kept.append(error_output(str(out.get("ename", "Error"))[:200], "[message too large]"))
        else:
            kept.append(
                nbformat.v4.new_output(
                    "stream", name="stdout", text="[output dropped: too large]\n"
                )
            )
        break
    cell["outputs"] = kept


class CappedClient(NotebookClient):  # type: ignore[misc]
    """nbclient that stops collecting a cell's output once it passes ``max_cell_bytes``
    (one error is still kept, cut short), and ignores display updates and widget messages
    (which could rewrite earlier outputs)."""

    max_cell_bytes = 256 * 1024

    def output(
        self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int
    ) -> Any:
        if not hasattr(self, "_used"):
            self._used: dict[int, int] = {}
            self._cut: set[int] = set()
        if not outs:  # a new cell, or its output was cleared
            self._used[cell_index] = 0
            self._cut.discard(cell_index)
        used = self._used.get(cell_index, 0)
        size = len(json.dumps(msg.get("content", {}), default=str))
        if used + size <= self.max_cell_bytes:
            self._used[cell_index] = used + size
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self._cut:
            self._cut.add(cell_index)
            outs.append(
                nbformat.v4.new_output("stream", name="stdout", text="[output truncated]\n")
            )
            if msg.get("msg_type") == "error":
                ename = str(msg.get("content", {}).get("ename", "Error"))[:200]
                outs.append(error_output(ename, "[message too large]"))
        self._used[cell_index] = self.max_cell_bytes + 1
        return None

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        return None

    def handle_comm_msg(self, outs: list[Any], msg: dict[str, Any], cell_index: int) -> None:
        return None


class GradingKernelClient(AsyncKernelClient):  # type: ignore[misc]
    """jupyter_client's client, ready as soon as the kernel has answered one ``kernel_info``
    request on the shell channel and shown its idle status for it on IOPub.

    jupyter_client's own wait ends by reading IOPub until nothing comes for 0.2 s: a fixed
    fifth of a second per notebook. Waiting for the idle status of our own request instead
    proves the same things (the kernel answers; IOPub is connected, so no output of the
    first cell is lost) and ends at once; a message left over from an earlier request is
    ignored by nbclient, which keeps only the messages of the cell it runs."""

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                if await self._idle_after(request, min(IOPUB_LOOK, deadline - time.monotonic())):
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    wait_for_ready = _async_wait_for_ready  # the public name is bound to the base's method

    async def _idle_after(self, request: str, timeout: float) -> bool:
        """Whether IOPub shows the kernel idle after ``request`` within ``timeout`` s."""
        until = time.monotonic() + max(timeout, 0.0)
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            parent = msg.get("parent_header", {}).get("msg_id")
            state = msg.get("content", {}).get("execution_state")
            if parent == request and state == "idle":
                return True
        return False


class GradingKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """The python3 kernel, started by :data:`LAUNCH` instead of ``-m ipykernel_launcher``,
    with :class:`GradingKernelClient` as its client."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client_factory = GradingKernelClient

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd: list[str] = super().format_kernel_cmd(extra_arguments)
        if cmd[1:3] != ["-m", "ipykernel_launcher"]:
            return cmd  # another kernel spec: start it as it says
        return [cmd[0], "-c", LAUNCH, *cmd[3:]]


class Records:
    """The RECORDS file: one JSON line per executed cell."""

    def __init__(self, path: str) -> None:
        self.file = open(path, "a", encoding="utf-8")  # lives as long as the process

    def cell(self, index: int, cell: nbformat.NotebookNode) -> None:
        self.write(
            {
                "index": index,
                "execution_count": cell.get("execution_count"),
                "outputs": cell.outputs,
            }
        )

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(record, default=str) + "\n")
        self.file.flush()


def mark_rest(nb: nbformat.NotebookNode, start: int, reason: str, records: Records) -> None:
    for index, cell in enumerate(nb.cells[start:], start):
        if cell.cell_type == "code":
            cell.outputs = [error_output("NotebookStopped", reason)]
            records.cell(index, cell)


def timed_out(cell: nbformat.NotebookNode) -> bool:
    return any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))


class Replies:
    """nbclient's ``on_cell_executed`` hook: the last execute reply of each cell index. A
    cell that ran out of time has a reply made up by nbclient and, when the kernel ignores
    the interrupt, no error output at all: the reply is how a timeout is seen."""

    def __init__(self) -> None:
        self.last: dict[int, Any] = {}

    def __call__(self, cell: Any = None, cell_index: int = -1, execute_reply: Any = None) -> None:
        self.last[cell_index] = execute_reply

    def timed_out(self, index: int) -> bool:
        reply = self.last.pop(index, None)
        content = reply.get("content", {}) if isinstance(reply, dict) else {}
        return content.get("ename") == "CellTimeoutError"


def run_cell(client: NotebookClient, replies: Replies, cell: Any, index: int, **kw: Any) -> bool:
    """Execute one cell; True (and an error output saying so) when it ran out of time."""
    client.execute_cell(cell, index, **kw)
    if not replies.timed_out(index):
        return False
    if not timed_out(cell):
        cell.outputs.append(
            error_output(
                "CellTimeoutError", f"the cell ran longer than {client.timeout} s and was stopped"
            )
        )
    return True


def kernel_responds(client: NotebookClient, replies: Replies, index: int) -> bool:
    """Whether the kernel runs ``pass`` after cell ``index`` ran out of time. (nbclient puts
    the probe in the notebook at ``index``, over that cell: its record is written already.)"""
    probe = nbformat.v4.new_code_cell("pass")
    saved = client.timeout
    client.timeout = PROBE_TIMEOUT
    try:
        return not run_cell(client, replies, probe, index, store_history=False)
    except Exception:
        return False
    finally:
        client.timeout = saved


def end_now(client: NotebookClient) -> NoReturn:
    """Every record is written: kill the kernel's process group (as jupyter_client's
    immediate shutdown does) and leave at once. jupyter_client's shutdown would then poll
    for the kernel's end every 0.1 s; whatever else the kernel started dies with the
    sandbox's pid namespace."""
    try:
        run_sync(client.km.provisioner.kill)()
    except Exception:  # already gone: nothing left to stop
        pass
    os._exit(0)


def main(src: str, dst: str, cell_timeout: int, max_cell_bytes: int) -> int:
    nb = nbformat.read(src, as_version=4)
    client = CappedClient(
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
        kernel_manager_class=GradingKernelManager,
        shutdown_kernel="immediate",  # a kernel stuck in a loop must not hold the end up
        record_timing=False,
        extra_arguments=KERNEL_ARGUMENTS,
        resources={"metadata": {"path": os.getcwd()}},
    )
    client.max_cell_bytes = max_cell_bytes
    client.on_cell_executed = replies = Replies()
    records = Records(dst)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                stuck = run_cell(client, replies, cell, index)
            except DeadKernelError:
                cell.outputs.append(
                    error_output(
                        "DeadKernelError",
                        "the kernel died while running this cell "
                        "(os._exit, a crash, or out of memory)",
                    )
                )
                cap_outputs(cell, max_cell_bytes)
                records.cell(index, cell)
                mark_rest(nb, index + 1, "not run: the kernel died in an earlier cell", records)
                break
            cap_outputs(cell, max_cell_bytes)
            records.cell(index, cell)
            if stuck and not kernel_responds(client, replies, index):
                mark_rest(
                    nb,
                    index + 1,
                    "not run: the kernel stopped responding after an earlier cell ran out of time",
                    records,
                )
                break
        records.write({"done": True})
        end_now(client)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
