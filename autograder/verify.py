"""Verified scores: the student's functions judged outside the student's kernel.

1. Take only the allowed imports and the function definitions from the graded notebook
   (:mod:`autograder.extract`); no other top-level code runs.
2. Draw each graded function's cases now, from a seed the student cannot know (derived
   from the course's secret and the submission), in this trusted process.
3. Run the definitions on those cases in a fresh sandboxed interpreter
   (:mod:`autograder.runner`), which brings back plain data (``.npz`` without pickle).
4. Judge here with the spec's own judge: the same checks the notebook's tests use.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import shutil
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder.extract import extract
from autograder.sandbox import Sandbox, read_output
from backprop_kit import harness
from backprop_kit.verdicts import Report
from backprop_ref.specs import Lesson

RUNNER = Path(__file__).with_name("runner.py")
HARNESS = Path(harness.__file__)
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
SECONDS_PER_FUNCTION = 10.0  # all the cases of one function, in the runner
TIMEOUT_EXIT = 124  # runner.TIMEOUT_EXIT: its watchdog's status
REFERENCE = "backprop_ref"
REFERENCE_HINT = (
    "it uses backprop_ref (the course's reference solutions), which answers may not call"
)


@dataclass(frozen=True)
class FunctionVerdict:
    function: str
    passed: bool
    message: str = ""


@dataclass
class Verification:
    verdicts: dict[str, FunctionVerdict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def course_secret(course_root: Path) -> bytes:
    """The course's verification secret (made once; never inside a sandbox)."""
    path = course_root / ".grading-secret"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def verification_seed(secret: bytes, student: str, assignment: str, digest: str) -> int:
    """Unknowable to the student, yet the same for the same submission (reproducible grades)."""
    msg = f"{student}\0{assignment}\0{digest}".encode()
    return int.from_bytes(hmac.new(secret, msg, hashlib.sha256).digest()[:8], "big")


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(f"cell {i + 1}", c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def verify(
    lesson: Lesson,
    nb: nbformat.NotebookNode,
    seed: int,
    sandbox: Sandbox,
    timeout: float = 60.0,
    per_function: float = SECONDS_PER_FUNCTION,
) -> Verification:
    """Verify every graded function of ``lesson`` defined in ``nb``."""
    start = time.perf_counter()
    found = extract(code_cells(nb))
    result = Verification(notes=[f"syntax error in {e}" for e in found.syntax_errors])
    plans = [(spec, spec.draw("verify", seed + k)) for k, spec in enumerate(lesson.specs)]
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        work = Path(tmp)
        _prepare(work, found.source, plans)
        results, crashed, errors = _run(work, len(plans), sandbox, timeout, per_function)
    result.notes += [f"defining {e}" for e in errors]
    for k, (spec, cases) in enumerate(plans):
        if k not in results:
            why = crashed.get(k, "the verification process ended early")
            result.verdicts[spec.name] = FunctionVerdict(spec.name, False, f"{spec.name}: {why}")
            continue
        try:
            outcomes = _safe_loads(results[k])
            if len(outcomes) != len(cases):
                raise ValueError("wrong number of results")
        except Exception as exc:
            why = f"{spec.name}: its results could not be read back ({str(exc)[:200]})"
            result.verdicts[spec.name] = FunctionVerdict(spec.name, False, why)
            continue
        report = Report(
            spec, [(c, spec.evaluate(c, o)) for c, o in zip(cases, outcomes, strict=True)]
        )
        result.verdicts[spec.name] = _verdict(report, found.refused_from, errors)
    result.seconds = time.perf_counter() - start
    return result


def _prepare(work: Path, source: str, plans: list) -> None:  # type: ignore[type-arg]
    shutil.copy(HARNESS, work / "harness.py")
    shutil.copy(RUNNER, work / "runner.py")
    (work / "student.py").write_text(source, encoding="utf-8")
    payload = [
        {
            "steps": list(spec.steps),
            "returns": list(spec.returns),
            "may_modify": list(spec.may_modify),
            "cases": [c.inputs for c in cases],
        }
        for spec, cases in plans
    ]
    (work / "cases.npz").write_bytes(harness.dumps(payload))


def _run(
    work: Path, n: int, sandbox: Sandbox, timeout: float, per_function: float
) -> tuple[dict[int, bytes], dict[int, str], list[str]]:
    """Run the runner; if it dies in function k, record why and carry on from k + 1.

    Returns each function's raw results (read as soon as a run ends, so a later run cannot
    touch them), why the others have none, and the errors defining the student's code."""
    results: dict[int, bytes] = {}
    crashed: dict[int, str] = {}
    errors: list[str] = []
    first = 0
    deadline = time.monotonic() + timeout
    while first < n:
        left = max(deadline - time.monotonic(), 1.0)
        outputs = ("definitions.txt", *(f"out-{k}.npz" for k in range(first, n)))
        argv = [sys.executable, "-I", "runner.py", ".", str(first), str(per_function)]
        run = sandbox.run(argv, work, left, outputs=outputs)
        for k in range(first, n):
            data = _read(work / f"out-{k}.npz")
            if data:
                results[k] = data
        if first == 0:
            text = _read(work / "definitions.txt").decode("utf-8", "replace")
            errors = [line for line in text.splitlines() if line.strip()][:20]
        missing = next((k for k in range(first, n) if k not in results), None)
        if missing is None:
            break
        if run.timed_out or run.returncode == TIMEOUT_EXIT:
            crashed[missing] = (
                f"did not finish in time (over {per_function:g} s; an infinite loop or a very "
                "slow answer?)"
            )
        else:
            crashed[missing] = f"the process ended while running it ({run.describe()})"
        first = missing + 1
        if run.timed_out and time.monotonic() >= deadline:
            for k in range(first, n):
                crashed.setdefault(k, "not run: the verification time limit was reached")
            break
    return results, crashed, errors


def _read(path: Path) -> bytes:
    try:
        return read_output(path, MAX_OUTPUT_BYTES)
    except OSError:
        return b""


def _safe_loads(data: bytes) -> list[Any]:
    """``harness.loads``, after refusing archives that would expand past the size cap."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if sum(i.file_size for i in z.infolist()) > MAX_OUTPUT_BYTES:
            raise ValueError("the results are too large")
    outcomes = harness.loads(data)
    if not isinstance(outcomes, list) or not all(isinstance(o, harness.Outcome) for o in outcomes):
        raise ValueError("unexpected contents")
    return outcomes


def _verdict(
    report: Report, refused_from: dict[str, str], errors: list[str] | None = None
) -> FunctionVerdict:
    name = report.spec.name
    if report.passed:
        return FunctionVerdict(name, True)
    case, finding = report.first_failure()  # type: ignore[misc]
    message = finding.message
    undefined = [n for n in refused_from if f"name '{n}' is not defined" in message]
    if REFERENCE in message or any(refused_from[n].split(".")[0] == REFERENCE for n in undefined):
        message = f"{REFERENCE_HINT}; {message}"
    elif undefined:
        message = f"{message} (it was imported from a module answers may not use: only numpy, "
        message += "math and the standard helpers are available when answers are verified)"
    elif "is not defined" in message and errors:
        message += f" (defining the notebook's code failed: {errors[0]})"
    where = f" [case: {case.note}]" if case.note else ""
    return FunctionVerdict(name, False, f"{name}: {message}{where}")
