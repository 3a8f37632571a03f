"""Faults injected from outside the product: a task runner that wraps the real one.

``grade(..., runner=Faulty(...))`` hands it to every worker (it is pickled by reference to
this module, so the worker processes import it from here); the product reads no switch of
its own. A worker grading a student in ``die`` exits at once, one in ``hang`` sleeps for an
hour; a student in ``die_once`` makes the worker exit only the first time (a marker file
records that it happened), so the retry succeeds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.tasks import Task, TaskResult, run_task


@dataclass(frozen=True)
class Faulty:
    die: frozenset[str] = frozenset()
    hang: frozenset[str] = frozenset()
    die_once: dict[str, Path] = field(default_factory=dict)  # student: marker file

    def __call__(self, task: Task) -> TaskResult:
        marker = self.die_once.get(task.student)
        if marker is not None and not marker.exists():
            marker.touch()
            os._exit(70)
        if task.student in self.die:
            os._exit(70)
        if task.student in self.hang:
            time.sleep(3600)
        return run_task(task)
