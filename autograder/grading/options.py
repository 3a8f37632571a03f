"""How to grade: the options of one grading run, which every task carries whole."""

from __future__ import annotations

from dataclasses import dataclass

from traitlets.config import Config

from autograder.sandbox.base import Sandbox
from autograder.sandbox.choice import sandbox_for


@dataclass(frozen=True)
class Options:
    """How to grade. ``sandboxed=False`` is ``--no-sandbox``: the same runs, no isolation."""

    sandboxed: bool = True
    verify: bool = True
    force: bool = False
    backup: bool = True
    workers: int = 1
    scheduler: str | None = None  # a dask.distributed scheduler address
    uid: int = 60000  # the sandbox's unprivileged uid (plus the worker's index)
    cell_timeout: int | None = None  # None: the course config's
    notebook_timeout: int | None = None
    task_timeout: float = 900.0  # a worker still busy after this is killed (then retried)

    def sandbox(self) -> Sandbox:
        return sandbox_for(self.sandboxed, self.uid)

    def nbgrader_config(self) -> Config:
        c = Config()
        c.SandboxedExecute.sandbox = "bubblewrap" if self.sandboxed else "none"
        c.SandboxedExecute.uid = self.uid
        if self.cell_timeout is not None:
            c.SandboxedExecute.cell_timeout = self.cell_timeout
        if self.notebook_timeout is not None:
            c.SandboxedExecute.notebook_timeout = self.notebook_timeout
        return c
