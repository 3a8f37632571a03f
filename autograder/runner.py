"""The verification runner: runs a student's functions on the grader's cases, in a sandbox.

This file is copied into an empty working directory with ``harness.py``, the student's
extracted definitions (``student.py``) and the cases (``cases.npz``); it imports nothing
from the course (so the reference solutions are not reachable even without a sandbox's
help) and writes one ``out-<k>.npz`` per graded function, as soon as it has it, so a
crash in one function loses nothing else. No pickle: plain arrays and JSON only.

Usage: ``python -I runner.py WORKDIR [FIRST_SPEC_INDEX]``
"""

from __future__ import annotations

import importlib.abc
import os
import sys

BLOCKED = ("backprop_ref", "autograder", "nbgrader")


class _Blocker(importlib.abc.MetaPathFinder):
    """Refuse the course's own packages, whatever sys.path says (defence in depth)."""

    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {name!r}: the course's reference code is not available "
                "when answers are verified"
            )
        return None


def main(workdir: str, first: int = 0) -> int:
    sys.meta_path.insert(0, _Blocker())
    sys.path[:0] = [workdir]
    os.chdir(workdir)
    import harness  # the copy beside this file: numpy and the standard library only

    with open("cases.npz", "rb") as f:
        plan = harness.loads(f.read())
    namespace: dict[str, object] = {"__name__": "student"}
    with open("student.py", encoding="utf-8") as f:
        code = compile(f.read(), "student.py", "exec")
    try:
        exec(code, namespace)  # definitions only: extracted by AST in the trusted process
    except BaseException as exc:
        with open("definition-error.txt", "w", encoding="utf-8") as f:
            f.write(f"{type(exc).__name__}: {exc}"[:2000])
    for k, spec in enumerate(plan):
        if k < first:
            continue
        outcomes = [
            harness.run_case(namespace, inputs, spec["steps"], spec["returns"], spec["may_modify"])
            for inputs in spec["cases"]
        ]
        data = harness.dumps(outcomes)
        with open(f"out-{k}.npz.part", "wb") as f:
            f.write(data)
        os.replace(f"out-{k}.npz.part", f"out-{k}.npz")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0))
