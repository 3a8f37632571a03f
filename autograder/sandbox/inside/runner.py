"""The verification runner: runs a student's functions on the grader's cases, in a sandbox.

This file is copied into an empty working directory with ``harness.py``, the student's
extracted definitions (``student.py``) and the cases (``cases.npz``); it imports nothing
from the course (so the reference solutions are not reachable even without a sandbox's
help) and writes one ``out-<k>.npz`` per graded function, as soon as it has it, so a
crash in one function loses nothing else. No pickle: plain arrays and JSON only.

Each top-level statement of ``student.py`` runs on its own (a definition that fails loses
only itself; the errors go to ``definitions.txt``). A watchdog thread ends the process
with exit status 124 when one function (or the definitions) runs longer than its time, so
an infinite loop costs only that function; the grader then carries on with the next.

Usage: ``python -I runner.py WORKDIR [FIRST_SPEC_INDEX [SECONDS_PER_FUNCTION]]``
"""

from __future__ import annotations

import ast
import importlib.abc
import os
import sys
import threading
import time

BLOCKED = ("backprop_ref", "autograder", "nbgrader")
TIMEOUT_EXIT = 124


class _Blocker(importlib.abc.MetaPathFinder):
    """Refuse the course's own packages, whatever sys.path says (defence in depth)."""

    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {name!r}: the course's reference code is not available "
                "when answers are verified"
            )
        return None


class Watchdog:
    """Ends the process (status 124) when the current step runs past its deadline. It holds
    its own references to what it needs, taken before any student code runs."""

    def __init__(self) -> None:
        self.deadline: float | None = None
        self._exit, self._now, self._sleep, self._write = (
            os._exit,
            time.monotonic,
            time.sleep,
            os.write,
        )
        threading.Thread(target=self._watch, daemon=True).start()

    def start(self, seconds: float) -> None:
        self.deadline = self._now() + seconds

    def _watch(self) -> None:
        while True:
            self._sleep(0.05)
            deadline = self.deadline
            if deadline is not None and self._now() > deadline:
                try:
                    self._write(2, b"runner: out of time\n")
                finally:
                    self._exit(TIMEOUT_EXIT)


def define(source: str, namespace: dict[str, object]) -> list[str]:
    """Run each top-level statement on its own; return the errors."""
    errors = []
    for node in ast.parse(source).body:
        code = compile(ast.Module(body=[node], type_ignores=[]), "student.py", "exec")
        try:
            exec(code, namespace)  # definitions only: extracted by AST in the trusted process
        except BaseException as exc:
            what = getattr(node, "name", type(node).__name__)
            errors.append(f"{what} (line {node.lineno}): {type(exc).__name__}: {exc}"[:500])
    return errors


def main(workdir: str, first: int = 0, seconds: float = 10.0) -> int:
    watchdog = Watchdog()
    sys.meta_path.insert(0, _Blocker())
    sys.path[:0] = [workdir]
    os.chdir(workdir)
    import harness  # the copy beside this file: numpy and the standard library only

    with open("cases.npz", "rb") as f:
        plan = harness.loads(f.read())
    with open("student.py", encoding="utf-8") as f:
        source = f.read()
    namespace: dict[str, object] = {"__name__": "student"}
    watchdog.start(seconds)
    errors = define(source, namespace)
    with open("definitions.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(errors)[:20000])
    for k, spec in enumerate(plan):
        if k < first:
            continue
        watchdog.start(seconds)
        outcomes = [
            harness.run_case(namespace, inputs, spec["steps"], spec["returns"], spec["may_modify"])
            for inputs in spec["cases"]
        ]
        watchdog.deadline = None
        data = harness.dumps(outcomes)
        with open(f"out-{k}.npz", "wb") as f:  # a file the grader bound here: written in place
            f.write(data)
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(
        main(
            args[0],
            int(args[1]) if len(args) > 1 else 0,
            float(args[2]) if len(args) > 2 else 10.0,
        )
    )
