"""Running grading tasks: a pool of local worker processes, or a Dask cluster.

Either way each task result reaches ``on_result`` in the coordinating process as soon as
it is ready (so an interrupted run keeps what was graded), a task whose worker dies or
hangs is retried once, and a second failure becomes a failed result with the reason.
nbgrader changes the working directory of its process, so workers are processes (one
task at a time each), never threads.

Workers call ``runner`` on each task: :func:`~autograder.grading.tasks.run_task` unless the
caller passes another picklable callable (the tests pass one that wraps it, to make a worker
die or hang: faults are injected from outside, never read by the product).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograder.grading.tasks import Task, TaskResult, remove_private_courses, run_task
from backprop_kit.harness import cut

OnResult = Callable[[Task, TaskResult], None]
Runner = Callable[[Task], TaskResult]


def failed(task: Task, reason: str) -> TaskResult:
    return TaskResult(
        task.student, task.assignment, ok=False, reason=cut(reason, 2000), infrastructure=True
    )


#: Imported once in the fork server, so each worker starts without importing nbgrader again.
PRELOAD = [
    "autograder.grading.tasks",
    "autograder.grading.verify",
    "nbgrader.apps",
    "nbgrader.preprocessors",
]


def _context() -> Any:
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _worker(index: int, inbox: Any, outbox: Any, env: dict[str, str], runner: Runner) -> None:
    os.environ.clear()  # the coordinator's environment now, not the fork server's
    os.environ.update(env)
    while True:
        item = inbox.get()
        if item is None:
            remove_private_courses()
            return
        key, task = item
        try:
            result = runner(task)
        except Exception as exc:  # reported as the task's failure
            result = failed(task, f"grading failed: {type(exc).__name__}: {exc}")
        outbox.put((index, key, result))


@dataclass
class _Slot:
    process: Any
    inbox: Any
    key: int | None = None
    started: float = 0.0


class LocalPool:
    """``workers`` processes; each task gets ``timeout`` seconds before its worker is killed."""

    def __init__(self, workers: int, timeout: float, runner: Runner = run_task) -> None:
        self.ctx = _context()
        self.outbox = self.ctx.Queue()
        self.timeout = timeout
        self.runner = runner
        self.slots = [self._spawn(i) for i in range(max(workers, 1))]

    def _spawn(self, index: int) -> _Slot:
        inbox = self.ctx.Queue()
        args = (index, inbox, self.outbox, dict(os.environ), self.runner)
        process = self.ctx.Process(target=_worker, args=args, daemon=True)
        process.start()
        return _Slot(process, inbox)

    def run(self, tasks: list[Task], on_result: OnResult) -> None:
        self.tasks, self.on_result = tasks, on_result
        self.pending = list(range(len(tasks)))[::-1]
        self.attempts: dict[int, int] = {}
        try:
            while self.pending or any(slot.key is not None for slot in self.slots):
                self._dispatch()
                try:
                    index, key, result = self.outbox.get(timeout=0.2)
                except queue.Empty:
                    self._reap()
                    continue
                if self.slots[index].key == key:
                    self.slots[index].key = None
                    on_result(tasks[key], result)
        finally:
            self.close()

    def _dispatch(self) -> None:
        for slot in self.slots:
            if slot.key is None and self.pending:
                key = self.pending.pop()
                self.attempts[key] = self.attempts.get(key, 0) + 1
                slot.key, slot.started = key, time.monotonic()
                slot.inbox.put((key, self.tasks[key]))

    def _reap(self) -> None:
        """Workers that died or hang: restart them; retry their task once, then give up."""
        for i, slot in enumerate(self.slots):
            problem = self._problem(slot)
            if not problem or slot.key is None:
                continue
            key = slot.key
            self._restart(i)
            if self.attempts[key] < 2:
                self.pending.append(key)
            else:
                task = self.tasks[key]
                self.on_result(task, failed(task, f"{problem}, and again when retried"))

    def _problem(self, slot: _Slot) -> str:
        if slot.key is None:
            return ""
        if not slot.process.is_alive():
            return f"the grading worker died ({death(slot.process.exitcode)})"
        if time.monotonic() - slot.started > self.timeout:
            return f"grading took longer than {self.timeout:.0f} s"
        return ""

    def _restart(self, index: int) -> None:
        old = self.slots[index]
        old.process.kill()
        old.process.join(5)
        _abandon(old.inbox)
        self.slots[index] = self._spawn(index)

    def close(self) -> None:
        for slot in self.slots:
            if slot.process.is_alive():
                slot.inbox.put(None)
        for slot in self.slots:
            slot.process.join(2)
            if slot.process.is_alive():
                slot.process.kill()
            if slot.process.exitcode != 0:
                _abandon(slot.inbox)


def death(exitcode: int | None) -> str:
    """How a worker process ended, in words an instructor can act on."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        oom = " (out of memory? the system's OOM killer sends it)" if name == "SIGKILL" else ""
        return f"killed by {name}{oom}"
    if exitcode == 1:  # what Python exits with on an uncaught exception
        return (
            "exit code 1: a Python error in the worker itself, whose traceback is in the "
            "grader's own error output; a script that calls grade() must keep its top level "
            'under `if __name__ == "__main__":`, because each worker imports it'
        )
    return f"exit code {exitcode}"


def _abandon(inbox: Any) -> None:
    """Drop what a dead worker never read. Its queue's feeder thread would otherwise block
    on the full pipe (this process holds the reading end too) and hold up our exit."""
    inbox.cancel_join_thread()
    inbox.close()


def run_local(
    tasks: list[Task],
    workers: int,
    timeout: float,
    on_result: OnResult,
    runner: Runner = run_task,
) -> None:
    if tasks:
        LocalPool(min(workers, len(tasks)), timeout, runner).run(tasks, on_result)


def run_dask(
    tasks: list[Task], address: str, on_result: OnResult, runner: Runner = run_task
) -> None:
    """Run on a ``dask.distributed`` scheduler (workers started with ``--nthreads 1``)."""
    from distributed import Client, as_completed

    with Client(address) as client:
        futures = {client.submit(runner, t, pure=False, retries=1): t for t in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a worker lost twice, or the task failed
                result = failed(task, f"grading failed on the cluster: {type(exc).__name__}: {exc}")
            on_result(task, result)
