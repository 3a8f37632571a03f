"""Verified scores: the student's functions judged outside the student's kernel.

1. Take only the allowed imports and the function definitions from the graded notebook
   (:mod:`autograder.grading.extract`); no other top-level code runs.
2. Draw each graded function's cases now, in this trusted process, stage by stage as the
   notebook tests it (:func:`plan`): for each of its test cells, *fresh* cases of that
   cell's kind (``visible`` or ``hidden``: the same sizes and degenerate shapes, new
   values) from seeds the student cannot know (derived from the course's secret and the
   submission), and the notebook's own *fixed* cases (``VISIBLE_SEED`` / ``HIDDEN_SEED``).
   The random sizes of the ``verify`` kind join the function's last test cell (the hidden
   one; the visible one when the function has no hidden cell).
3. Run the definitions on all those cases in a fresh sandboxed interpreter
   (:mod:`autograder.sandbox.inside.runner`), which brings back plain data (``.npz``
   without pickle).
4. Judge here with the spec's own judge: the same checks the notebook's tests use. A judge
   that raises costs that function only (its verdict says why; never the submission).

The result, per function and test cell, is a :class:`StageVerdict`: whether the fresh and
the fixed cases passed. The fixed cases tell tampering from an honest bug
(:func:`autograder.stages.grade.combine`): failing the very cases the notebook reported as passed
means the notebook's verdict was not the function's; passing them and failing fresh ones
is a bug those cases miss.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder.grading.extract import extract
from autograder.sandbox.base import Sandbox, read_output
from autograder.sandbox.inside import RUNNER
from backprop_kit import harness
from backprop_kit.harness import cut
from backprop_kit.verdicts import Case, Report
from backprop_ref.specs import HIDDEN_SEED, VISIBLE_SEED, Lesson
from backprop_ref.specs.core import Spec

HARNESS = Path(harness.__file__)
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
MAX_MESSAGE = 2000  # characters of a verdict's message (it reaches CSVs and pages)
SECONDS_PER_FUNCTION = 10.0  # all the cases of one function, in the runner
TIMEOUT_EXIT = 124  # runner.TIMEOUT_EXIT: its watchdog's status
REFERENCE = "backprop_ref"
REFERENCE_HINT = (
    "it uses backprop_ref (the course's reference solutions), which answers may not call"
)


#: The seeds of the notebook's own tests, by the kind of test cell.
FIXED_SEEDS = {"visible": VISIBLE_SEED, "hidden": HIDDEN_SEED}
JUDGE_FAILED = "the grader's check itself failed while judging this result"


@dataclass(frozen=True)
class StageVerdict:
    """One test cell of one function, verified: on fresh cases of the cell's kind, and on
    the notebook's own fixed cases. ``judge_error`` is set when the grader's judge raised
    (not the student's fault: the cell needs an instructor); ``unfinished`` when the function
    could not be run to the end (a crash, a timeout, unreadable results): then no case, fresh
    or fixed, was judged."""

    stage: str  # "visible" or "hidden": the kind of the test cell
    fresh: bool
    fresh_message: str = ""
    fixed: bool = True
    fixed_message: str = ""
    judge_error: bool = False
    unfinished: bool = False

    @property
    def passed(self) -> bool:
        return self.fresh and self.fixed

    @property
    def message(self) -> str:
        """The first failure's diagnosis: the notebook's own cases first."""
        if not self.fixed:
            return self.fixed_message
        return "" if self.fresh else self.fresh_message


@dataclass(frozen=True)
class FunctionVerdict:
    """Every verified test cell of one function, by stage."""

    function: str
    stages: dict[str, StageVerdict] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.stages.values())

    @property
    def message(self) -> str:
        return next((v.message for v in self.stages.values() if not v.passed), "")


@dataclass
class Verification:
    verdicts: dict[str, FunctionVerdict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Group:
    """A slice of one function's cases: ``stage``'s fresh or fixed cases."""

    stage: str
    fixed: bool
    start: int
    stop: int


@dataclass(frozen=True)
class Plan:
    """One function's cases, all run in one go, and which slice is which."""

    spec: Spec
    cases: list[Case]
    groups: list[Group]


def stage_seed(seed: int, function: str, kind: str) -> int:
    """A seed for one function's cases of one kind, derived from the grading seed."""
    digest = hashlib.sha256(f"{seed}\0{function}\0{kind}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def stages_of(lesson: Lesson, spec: Spec) -> list[str]:
    """The kinds of the function's test cells, in notebook order (visible before hidden)."""
    kinds = [c.kind for c in lesson.cells_of(spec.name) if c.kind in FIXED_SEEDS]
    return sorted(set(kinds), key=list(FIXED_SEEDS).index) or ["visible"]


def plan(lesson: Lesson, spec: Spec, seed: int) -> Plan:
    """The cases verification runs for ``spec``: per test cell, fresh cases of its kind
    (plus the random sizes of the ``verify`` kind for the last cell) and the fixed ones."""
    cases: list[Case] = []
    groups: list[Group] = []
    stages = stages_of(lesson, spec)
    for kind in stages:
        fresh = spec.draw(kind, stage_seed(seed, spec.name, kind))  # type: ignore[arg-type]
        if kind == stages[-1]:
            fresh += spec.draw("verify", stage_seed(seed, spec.name, "verify"))
        fixed = spec.draw(kind, FIXED_SEEDS[kind])  # type: ignore[arg-type]
        for is_fixed, chunk in ((False, fresh), (True, fixed)):
            groups.append(Group(kind, is_fixed, len(cases), len(cases) + len(chunk)))
            cases += chunk
    return Plan(spec, cases, groups)


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
    """Verify every graded function of ``lesson`` defined in ``nb``, test cell by test cell."""
    start = time.perf_counter()
    found = extract(code_cells(nb))
    result = Verification(notes=[f"syntax error in {e}" for e in found.syntax_errors])
    plans, broken = [], {}
    for spec in lesson.specs:
        try:
            plans.append(plan(lesson, spec, seed))
        except Exception as exc:  # the spec's own cases: never the submission's fault
            broken[spec.name] = (
                f"{spec.name}: the grader could not draw its cases ({type(exc).__name__}: "
                f"{str(exc)[:200]}); its points are withheld until an instructor looks"
            )
            empty = [Group(k, f, 0, 0) for k in stages_of(lesson, spec) for f in (False, True)]
            plans.append(Plan(spec, [], empty))
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        work = Path(tmp)
        _prepare(work, found.source, plans)
        results, crashed, errors = _run(work, len(plans), sandbox, timeout, per_function)
    result.notes += [f"defining {e}" for e in errors]
    for k, p in enumerate(plans):
        name = p.spec.name
        if name in broken:
            result.verdicts[name] = _all_failed(p, broken[name], judge_error=True)
            continue
        if k not in results:
            why = crashed.get(k, "the verification process ended early")
            result.verdicts[name] = _all_failed(p, f"{name}: {why}")
            continue
        try:
            outcomes = _safe_loads(results[k])
            if len(outcomes) != len(p.cases):
                raise ValueError("wrong number of results")
        except Exception as exc:
            why = f"{name}: its results could not be read back ({cut(str(exc), 300)})"
            result.verdicts[name] = _all_failed(p, why)
            continue
        result.verdicts[name] = judge(
            p, outcomes, found.refused_from, errors, found.refused_functions, found.refused_classes
        )
    result.seconds = time.perf_counter() - start
    return result


def _all_failed(p: Plan, message: str, judge_error: bool = False) -> FunctionVerdict:
    stages = {
        g.stage: StageVerdict(
            g.stage, False, message, False, message, judge_error, unfinished=not judge_error
        )
        for g in p.groups
    }
    return FunctionVerdict(p.spec.name, stages)


def judge(
    p: Plan,
    outcomes: list[Any],
    refused_from: dict[str, str] | None = None,
    errors: list[str] | None = None,
    refused_functions: dict[str, str] | None = None,
    refused_classes: dict[str, str] | None = None,
) -> FunctionVerdict:
    """Judge one function's outcomes group by group. A judge that raises fails only the
    group it raised in, with the reason, and marks it for an instructor."""
    refused_from = refused_from or {}
    found: dict[tuple[str, bool], tuple[bool, str, bool]] = {}
    for g in p.groups:
        report = Report(p.spec)
        broken = ""
        for case, outcome in zip(
            p.cases[g.start : g.stop], outcomes[g.start : g.stop], strict=True
        ):
            try:
                report.verdicts.append((case, p.spec.evaluate(case, outcome)))
            except Exception as exc:  # the grader's own bug, or a result it did not foresee
                broken = f"{type(exc).__name__}: {cut(str(exc), 200)}"
                where = f" [case: {case.note}]" if case.note else ""
                broken = (
                    f"{p.spec.name}: {JUDGE_FAILED} ({broken}){where}; its points are withheld "
                    "until an instructor looks"
                )
                break
        if broken:
            found[(g.stage, g.fixed)] = (False, broken, True)
        else:
            v = _verdict(report, refused_from, errors, refused_functions, refused_classes)
            found[(g.stage, g.fixed)] = (v[0], v[1], False)
    stages = {}
    for g in p.groups:
        if g.stage in stages:
            continue
        fresh, fixed = found[(g.stage, False)], found[(g.stage, True)]
        stages[g.stage] = StageVerdict(
            g.stage, fresh[0], fresh[1], fixed[0], fixed[1], fresh[2] or fixed[2]
        )
    return FunctionVerdict(p.spec.name, stages)


def _prepare(work: Path, source: str, plans: list[Plan]) -> None:
    shutil.copy(HARNESS, work / "harness.py")
    shutil.copy(RUNNER, work / "runner.py")
    (work / "student.py").write_text(source, encoding="utf-8")
    payload = [
        {
            "steps": list(p.spec.steps),
            "returns": list(p.spec.returns),
            "may_modify": list(p.spec.may_modify),
            "cases": [c.inputs for c in p.cases],
        }
        for p in plans
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
    """``harness.loads`` with its caps (numbers only, sizes checked before allocating), and
    the shape verification expects: a list of outcomes."""
    outcomes = harness.loads(data, MAX_OUTPUT_BYTES)
    if not isinstance(outcomes, list) or not all(isinstance(o, harness.Outcome) for o in outcomes):
        raise ValueError("unexpected contents")
    return outcomes


def _verdict(
    report: Report,
    refused_from: dict[str, str],
    errors: list[str] | None = None,
    refused_functions: dict[str, str] | None = None,
    refused_classes: dict[str, str] | None = None,
) -> tuple[bool, str]:
    """(passed, the first failure's diagnosis with hints about where it comes from)."""
    name = report.spec.name
    if report.passed:
        return True, ""
    case, finding = report.first_failure()  # type: ignore[misc]
    message = finding.message
    refused = [
        (refused_functions or {})[n] for n in report.spec.needs if n in (refused_functions or {})
    ]
    if refused:  # not defined for verification: say why, in the student's words
        why = refused[0] if refused[0].startswith(f"{name}:") else f"{name}: {refused[0]}"
        return False, cut(why, MAX_MESSAGE)
    undefined = [n for n in refused_from if f"name '{n}' is not defined" in message]
    if REFERENCE in message or any(refused_from[n].split(".")[0] == REFERENCE for n in undefined):
        message = f"{REFERENCE_HINT}; {message}"
    elif undefined:
        message = f"{message} (it was imported from a module answers may not use: only numpy, "
        message += "math and the standard helpers are available when answers are verified)"
    elif left_out := [
        why for n, why in (refused_classes or {}).items() if f"name '{n}' is not defined" in message
    ]:
        message += f" (the class was left out of verification: {left_out[0]})"
    elif "is not defined" in message and errors:
        message += f" (defining the notebook's code failed: {errors[0]})"
    elif (m := re.search(r"name '(\w+)' is not defined", message)) and m[
        1
    ] not in report.spec.needs:
        message += (
            f" ({m[1]} is set by top-level code: only imports, functions and constants written "
            "as literals are kept when answers are verified)"
        )
    where = f" [case: {case.note}]" if case.note else ""
    return False, cut(f"{name}: {message}{where}", MAX_MESSAGE)
