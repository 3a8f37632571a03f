"""Scores that match what the student did: verification mirrors the notebook's test cells
(fresh cases of each cell's kind, and the notebook's own fixed cases), tampering is told
from a bug the fixed cases miss, a judge that raises costs one function, and hand-given
scores are applied over what grading found (in this process; the gradebook and formgrader
are in ``test_manual_grades.py``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import nbformat
import pytest

from autograder.course import LatePolicy
from autograder.grading import manual
from autograder.grading.gradebook import HandGrade
from autograder.grading.results import SubmissionResult
from autograder.grading.scoring import (
    DIFFER,
    MISSED,
    NOTHING_RAN,
    UNCLEAN,
    combine,
    judge_cell,
    kernel_failure,
)
from autograder.grading.tasks import TaskResult
from autograder.grading.verify import (
    JUDGE_FAILED,
    FunctionVerdict,
    StageVerdict,
    judge,
    plan,
    stages_of,
    verify,
)
from autograder.lessons import answers
from autograder.sandbox.base import Unsandboxed
from backprop_kit.harness import Outcome
from backprop_ref.specs import HIDDEN_SEED, LESSONS, VISIBLE_SEED, GradedCell, Lesson
from backprop_ref.specs.core import Case, Finding, check_function
from tests.lessons import mutants, source_path
from tests.test_mutants import _with

LINEAR = LESSONS["03_linear_layer"]
ACTIVATIONS = LESSONS["04_activations_losses"]
SEEDS = (11, 20261126, 987654321)
CLIPPED_SIGMOID = """
def sigmoid_backward(dL_dy, x):
    s = 1 / (1 + np.exp(-np.clip(x, -20, 20)))
    return dL_dy * s * (1 - s)
"""


def hidden_only() -> list[Any]:
    """Every pass-visible/fail-hidden mutant: (lesson, function, reason)."""
    out = []
    for lesson in LESSONS:
        for fn, kinds in mutants(lesson).items():
            for reason in kinds.get("hidden_only", {}):
                out.append(pytest.param(lesson, fn, reason, id=f"{fn}-{reason[:40]}"))
    return out


def test_every_lesson_with_hidden_cells_has_hidden_only_mutants() -> None:
    with_hidden = {
        n for n, lesson in LESSONS.items() if any(c.kind == "hidden" for c in lesson.cells)
    }
    covered = {p.values[0] for p in hidden_only()}
    assert with_hidden == set(LESSONS) and covered == with_hidden


@pytest.mark.parametrize(("lesson", "fn", "reason"), hidden_only())
def test_hidden_only_mutant_passes_visible_and_fails_hidden(
    lesson: str, fn: str, reason: str
) -> None:
    ns = _with(lesson, mutants(lesson)[fn]["hidden_only"][reason])
    spec = LESSONS[lesson].spec(fn)
    assert check_function(spec, ns, "visible", VISIBLE_SEED).passed, "the visible tests fail"
    assert not check_function(spec, ns, "hidden", HIDDEN_SEED).passed, "the hidden tests pass"
    for seed in SEEDS:  # as verification judges it: each test cell on its own cases
        p = plan(LESSONS[lesson], spec, seed)
        verdict = judge(p, [spec.run(ns, c) for c in p.cases])
        visible, hidden = verdict.stages["visible"], verdict.stages["hidden"]
        assert visible.passed, f"seed {seed}: visible stage failed: {visible.message}"
        assert not hidden.passed and not hidden.fixed, f"seed {seed}: hidden stage passed"


def test_plan_mirrors_the_test_cells() -> None:
    both = LINEAR.spec("linear_backward")
    p = plan(LINEAR, both, 5)
    kinds = [(g.stage, g.fixed) for g in p.groups]
    assert kinds == [("visible", False), ("visible", True), ("hidden", False), ("hidden", True)]
    sizes = {(g.stage, g.fixed): g.stop - g.start for g in p.groups}
    n_visible = len(both.draw("visible", 0))
    n_hidden = len(both.draw("hidden", 0)) + len(both.draw("verify", 0))  # random sizes join
    assert sizes == {
        ("visible", False): n_visible,
        ("visible", True): n_visible,
        ("hidden", False): n_hidden,
        ("hidden", True): len(both.draw("hidden", 0)),
    }
    fixed = p.cases[p.groups[1].start : p.groups[1].stop]
    assert [c.note for c in fixed] == [c.note for c in both.draw("visible", VISIBLE_SEED)]
    assert plan(LINEAR, both, 5).cases[0].note == p.cases[0].note  # reproducible
    only_visible = LINEAR.spec("jacobian_shapes")  # no hidden cell: visible kind + verify
    assert stages_of(LINEAR, only_visible) == ["visible"]
    q = plan(LINEAR, only_visible, 5)
    assert {g.stage for g in q.groups} == {"visible"}
    assert q.groups[0].stop == len(only_visible.draw("visible", 0)) + len(
        only_visible.draw("verify", 0)
    )


def _passing(lesson: Lesson) -> dict[str, FunctionVerdict]:
    return {
        s.name: FunctionVerdict(s.name, {k: StageVerdict(k, True) for k in stages_of(lesson, s)})
        for s in lesson.specs
    }


def _verified(kernel: dict[str, float], verdicts: Any) -> TaskResult:
    return TaskResult("ada", LINEAR.name, True, grades=kernel, verification=verdicts)


def test_hidden_only_mutants_verified_out_of_process_keep_the_visible_points() -> None:
    table = mutants(LINEAR.name)
    source = answers.read(source_path(LINEAR.name))
    filled = {**answers.solutions(source)}
    lost = set()
    for fn in ("linear_forward", "linear_backward"):
        filled[f"sol_{fn}"] = next(iter(table[fn]["hidden_only"].values()))
        lost.add(fn)
    nb = answers.fill(source, filled)
    v = verify(LINEAR, nb, seed=12345, sandbox=Unsandboxed())
    for fn in lost:
        assert v.verdicts[fn].stages["visible"].passed
        assert not v.verdicts[fn].stages["hidden"].passed
    kernel = {
        c.grade_id: (0.0 if c.spec in lost and c.kind == "hidden" else float(c.points))
        for c in LINEAR.cells
        if c.kind != "manual"
    }
    result = combine(LINEAR, "ada", _verified(kernel, v.verdicts))
    for c in result.cells:
        cell = next(x for x in LINEAR.cells if x.grade_id == c.grade_id)
        if cell.kind == "manual":
            continue
        want = 0.0 if cell.spec in lost and cell.kind == "hidden" else float(cell.points)
        assert (c.score, c.status) == (want, "graded"), c
        if want == 0.0:
            assert c.message.startswith(f"{cell.spec}:") and DIFFER not in c.message
    assert result.status == "needs_manual" and not result.reason


def _first_seed(passes: bool) -> tuple[int, Any]:
    spec = ACTIVATIONS.spec("sigmoid_backward")
    ns = _with(ACTIVATIONS.name, CLIPPED_SIGMOID)
    for seed in range(100):
        p = plan(ACTIVATIONS, spec, seed)
        verdict = judge(p, [spec.run(ns, c) for c in p.cases])
        if verdict.stages["hidden"].passed == passes:
            return seed, verdict
    raise AssertionError("no such seed")


@pytest.mark.parametrize("passes", [False, True])
def test_a_sigmoid_clipped_at_20_is_graded_never_flagged(passes: bool) -> None:
    """It passes both of the notebook's seeds and fails on many grading seeds (saturated
    inputs near +-30): a bug the fixed cases miss, graded with a message saying so."""
    spec = ACTIVATIONS.spec("sigmoid_backward")
    ns = _with(ACTIVATIONS.name, CLIPPED_SIGMOID)
    assert check_function(spec, ns, "visible", VISIBLE_SEED).passed
    assert check_function(spec, ns, "hidden", HIDDEN_SEED).passed
    _, verdict = _first_seed(passes)
    assert verdict.stages["visible"].passed and verdict.stages["hidden"].fixed
    kernel = {c.grade_id: float(c.points) for c in ACTIVATIONS.cells if c.kind != "manual"}
    verdicts = _passing(ACTIVATIONS)
    verdicts["sigmoid_backward"] = verdict
    out = TaskResult("ada", ACTIVATIONS.name, True, grades=kernel, verification=verdicts)
    by_id = {c.grade_id: c for c in combine(ACTIVATIONS, "ada", out).cells}
    visible, hidden = by_id["test_sigmoid_backward"], by_id["test_sigmoid_backward_hidden"]
    assert (visible.score, visible.status) == (2.0, "graded")
    assert hidden.status == "graded"
    if passes:
        assert (hidden.score, hidden.message) == (1.0, "")
    else:
        assert hidden.score == 0.0 and hidden.message.startswith(MISSED)
        assert "saturated" in hidden.message and DIFFER not in hidden.message


def _raising_judge(case: Case, expected: Any, outcome: Outcome) -> Iterable[Finding]:
    yield Finding("returns", True)
    raise ZeroDivisionError("the judge divided by zero")


def test_a_judge_that_raises_costs_that_function_only() -> None:
    spec = LINEAR.spec("apply_jacobian")
    broken = dataclasses.replace(spec, card=dataclasses.replace(spec.card, judge=_raising_judge))
    lesson = Lesson(
        LINEAR.name,
        LINEAR.title,
        tuple(broken if s.name == broken.name else s for s in LINEAR.specs),
        LINEAR.cells,
    )
    source = answers.read(source_path(LINEAR.name))
    nb = answers.fill(source, answers.solutions(source))
    v = verify(lesson, nb, seed=99, sandbox=Unsandboxed())  # never raises
    assert all(x.passed for n, x in v.verdicts.items() if n != broken.name)
    stages = v.verdicts[broken.name].stages
    assert all(s.judge_error and not s.passed for s in stages.values())
    assert "ZeroDivisionError: the judge divided by zero" in stages["visible"].message
    kernel = {c.grade_id: float(c.points) for c in LINEAR.cells if c.kind != "manual"}
    result = combine(lesson, "ada", _verified(kernel, v.verdicts))
    for c in result.cells:
        if c.function == broken.name:
            assert (c.score, c.status) == (0.0, "needs_attention")
            assert JUDGE_FAILED in c.message and "instructor" in c.message
        elif c.function is not None:
            assert (c.score, c.status) == (c.max_score, "graded")
    assert result.status == "needs_attention" and JUDGE_FAILED in result.reason


def _graded_cell(gid: str, outputs: list[Any]) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("check('f', f)")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": gid, "points": 1}
    cell.outputs = outputs
    return nbformat.v4.new_notebook(cells=[cell])


def test_kernel_failure_tells_a_judgement_from_a_test_that_did_not_run() -> None:
    cell = GradedCell("test_f", 1, "visible", "f")
    judged = nbformat.v4.new_output(
        "error", ename="AssertionError", evalue="f: FAILED on 2 cases\n  ok returns", traceback=[]
    )
    assert kernel_failure(_graded_cell("test_f", [judged]), cell) == (
        True,
        "AssertionError: f: FAILED on 2 cases",
    )
    died = nbformat.v4.new_output("error", ename="DeadKernelError", evalue="the kernel died")
    assert kernel_failure(_graded_cell("test_f", [died]), cell)[0] is False
    stderr = nbformat.v4.new_output("stream", name="stderr", text="something odd\n")
    assert kernel_failure(_graded_cell("test_f", [stderr]), cell) == (
        False,
        "it wrote to stderr: something odd",
    )
    assert kernel_failure(None, cell)[0] is False


def test_judge_cell_decides_every_combination() -> None:
    ok = StageVerdict("hidden", True)
    bug = StageVerdict("hidden", False, "f: off by one [case: N=1]")
    tampered = StageVerdict("hidden", False, "f: x", False, "f: 2 x [case: N=4]")
    broken = StageVerdict("hidden", False, f"f: {JUDGE_FAILED}", True, "", judge_error=True)
    unclean = lambda: (False, "it wrote to stderr: hello")  # noqa: E731
    judged = lambda: (True, "AssertionError: f: FAILED")  # noqa: E731
    assert judge_cell(True, ok, unclean) == ("graded", "")
    assert judge_cell(False, bug, unclean) == ("graded", bug.fresh_message)
    status, message = judge_cell(True, bug, unclean)
    assert status == "graded" and message == f"{MISSED}: {bug.fresh_message}"
    status, message = judge_cell(True, tampered, unclean)
    assert status == "needs_attention" and DIFFER in message and "2 x" in message
    status, message = judge_cell(False, ok, unclean)
    assert status == "graded" and message.startswith(UNCLEAN) and "stderr: hello" in message
    status, message = judge_cell(False, ok, judged)
    assert status == "needs_attention" and DIFFER in message and "AssertionError" in message
    assert judge_cell(True, broken, unclean)[0] == "needs_attention"
    crashed = StageVerdict(
        "hidden", False, "f: did not finish", False, "f: did not finish", unfinished=True
    )
    status, message = judge_cell(True, crashed, unclean)
    assert status == "needs_attention" and "could not run the function" in message
    assert judge_cell(False, crashed, unclean) == ("graded", "f: did not finish")


def _graded_result() -> SubmissionResult:
    verdicts = _passing(LINEAR)
    kernel = {c.grade_id: float(c.points) for c in LINEAR.cells if c.kind != "manual"}
    result = combine(LINEAR, "ada", _verified(kernel, verdicts))
    result.timestamp = "2026-12-03T10:00:00+00:00"  # 2 started days after the deadline
    return result


def test_hand_grades_apply_over_what_grading_found_and_the_penalty_follows() -> None:
    policy = LatePolicy(
        deadlines={LINEAR.name: "2026-12-01T23:59:00+00:00"}, penalty_per_day=0.1, max_penalty=0.2
    )
    result = _graded_result()
    assert manual.apply(result, {}, policy)  # lateness: min(2 days x 2.1, 0.2 x 18)
    assert (result.status, result.score, result.late_penalty) == ("needs_manual", 14.4, 3.6)
    hand = {
        "derive_dL_dW": HandGrade(3.0, None),
        "test_linear_forward_hidden": HandGrade(0.5, 0.25),
    }
    assert manual.apply(result, hand, policy)
    by_id = {c.grade_id: c for c in result.cells}
    assert (by_id["derive_dL_dW"].score, by_id["derive_dL_dW"].message) == (3.0, manual.BY_HAND)
    override = by_id["test_linear_forward_hidden"]
    assert override.score == 0.75 and "set by hand" in override.message
    assert "automatic: 1 / 1" in override.message and "+0.25 extra credit" in override.message
    assert result.status == "graded"
    assert result.late_penalty == pytest.approx(4.15)  # min(4.2, 0.2 x 20.75): the new total
    assert result.score == pytest.approx(20.75 - 4.15)
    assert not manual.apply(result, hand, policy)  # idempotent: nothing changes
    stale = {"derive_dL_dW": HandGrade(3.0, None, stale=True)}
    manual.apply(result, stale, policy)
    cell = {c.grade_id: c for c in result.cells}["derive_dL_dW"]
    assert (cell.score, cell.status) == (None, "needs_manual")
    assert "before the answer changed" in cell.message and "3 points" in cell.message
    manual.apply(result, {}, policy)  # the hand grades removed: back to what grading found
    assert [(c.score, c.status, c.message) for c in result.cells] == [
        (c.auto_score, c.auto_status, c.auto_message) for c in result.cells
    ]


def test_hand_grades_never_touch_a_submission_that_was_not_graded() -> None:
    cells = [dataclasses.replace(c) for c in _graded_result().cells]
    for c in cells:
        c.score, c.status, c.message, c.auto_status = 0.0, "ungradable", "broken", ""
    result = SubmissionResult("ada", LINEAR.name, LINEAR.name, "ungradable", "broken", cells)
    assert not manual.apply(result, {"derive_dL_dW": HandGrade(3.0, None)}, LatePolicy())
    assert result.score == 0 and result.status == "ungradable"


def _raising_cases(rng: Any, stage: Any) -> list[Case]:
    raise IndexError("the cases ran off the end")


def test_a_spec_whose_cases_cannot_be_drawn_costs_that_function_only() -> None:
    broken = dataclasses.replace(LINEAR.spec("linear_forward"), cases=_raising_cases)
    lesson = Lesson(
        LINEAR.name,
        LINEAR.title,
        tuple(broken if s.name == broken.name else s for s in LINEAR.specs),
        LINEAR.cells,
    )
    source = answers.read(source_path(LINEAR.name))
    v = verify(lesson, answers.fill(source, answers.solutions(source)), 7, Unsandboxed())
    assert all(x.passed for n, x in v.verdicts.items() if n != broken.name)
    stages = v.verdicts[broken.name].stages
    assert set(stages) == {"visible", "hidden"}
    assert all(s.judge_error and "could not draw" in s.message for s in stages.values())


def test_a_verification_that_ran_nothing_is_listed_not_graded_zero() -> None:
    """Every function unfinished (the sandbox could not start a process, say): listed for an
    instructor with the reason, never a silent 0."""
    why = "f: the process ended while running it (exit code 1)"
    verdicts = {
        s.name: FunctionVerdict(
            s.name,
            {
                k: StageVerdict(k, False, why, False, why, unfinished=True)
                for k in stages_of(LINEAR, s)
            },
        )
        for s in LINEAR.specs
    }
    out = _verified({c.grade_id: 0.0 for c in LINEAR.cells}, verdicts)
    result = combine(LINEAR, "ada", out)
    auto = [c for c in result.cells if c.function is not None]
    assert all(c.status == "needs_attention" and NOTHING_RAN in c.message for c in auto)
    assert result.status == "needs_attention" and NOTHING_RAN in result.reason
