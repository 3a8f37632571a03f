"""Untrusted territory: standard library + numpy only, copied into the sandbox.

The files of this folder are not imported by the grader: each is copied into the
sandbox's scratch directory and run there with ``python -I`` beside student code (see
``README.md`` here). This module only says where they are, for the trusted side.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Runs a notebook: nbclient and the kernel (``SandboxedExecute``).
KERNEL_EXEC = HERE / "kernel_exec.py"
#: Runs the student's extracted functions on the grader's cases (verification).
RUNNER = HERE / "runner.py"
