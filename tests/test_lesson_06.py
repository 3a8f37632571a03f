"""Lesson 06_autodiff beyond what every lesson's tests check: mutants that only the hidden
tests catch, the student's engine class surviving verification outside the notebook, the
message for a graded function that returns its own objects, and judges that only compare.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.grading.verify import verify
from autograder.lessons import answers
from autograder.sandbox.base import Unsandboxed
from backprop_ref.specs import LESSONS
from backprop_ref.specs.core import check_function
from tests import lesson_suite as suite
from tests.lessons import expect_scores, make_course, mutants, source_path
from tests.test_mutants import VERIFY_SEEDS, _with

LESSON = LESSONS["06_autodiff"]
TABLE = mutants("06_autodiff")
HIDDEN_ONLY = [
    pytest.param(fn, desc, id=f"{fn}-{desc}")
    for fn, kinds in TABLE.items()
    for desc in kinds.get("hidden_only", {})
]


def test_enough_mutants_of_every_kind() -> None:
    wrong = sum(len(k.get("wrong", {})) + len(k.get("hidden_only", {})) for k in TABLE.values())
    assert wrong >= 25
    assert len(HIDDEN_ONLY) >= 5
    for spec in LESSON.specs:
        assert len(TABLE[spec.name].get("correct", {})) >= 2, spec.name
        assert len(TABLE[spec.name].get("wrong", {})) >= 3, spec.name


@pytest.mark.parametrize(("fn", "desc"), HIDDEN_ONLY)
def test_hidden_only_mutant_passes_the_visible_tests_and_fails_the_others(
    fn: str, desc: str
) -> None:
    spec = LESSON.spec(fn)
    ns = _with("06_autodiff", TABLE[fn]["hidden_only"][desc])
    assert check_function(spec, ns, "visible", 0).passed, "the visible tests should miss it"
    assert not check_function(spec, ns, "hidden", 1).passed, "the hidden tests should catch it"
    for seed in (*VERIFY_SEEDS, 3, 11, 12345):
        assert not check_function(spec, ns, "verify", seed).passed, f"verify seed {seed}"


def _notebook(replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The solution notebook with some cells (by grade_id) replaced."""
    nb = answers.read(source_path("06_autodiff"))
    filled = {**answers.solutions(nb), **(replace or {})}
    return answers.fill(nb, filled)


def test_the_solution_verifies_outside_the_notebook_engine_class_included() -> None:
    result = verify(LESSON, _notebook(), seed=20261126, sandbox=Unsandboxed())
    failed = {k: v.message for k, v in result.verdicts.items() if not v.passed}
    assert not failed and len(result.verdicts) == len(LESSON.specs)


def test_an_engine_class_verification_leaves_out_is_named_in_the_message() -> None:
    cell = answers.solutions(answers.read(source_path("06_autodiff")))["engine_tensor"]
    decorated = "import functools\n\n" + cell.replace(
        "    def relu(self):", "    @functools.cache\n    def relu(self):"
    )
    result = verify(LESSON, _notebook({"engine_tensor": decorated}), 5, Unsandboxed())
    for fn in ("fan_out_gradient", "engine_gradients"):
        message = result.verdicts[fn].message
        assert not result.verdicts[fn].passed
        assert "name 'Tensor' is not defined" in message, message
        assert "the class was left out of verification" in message, message
        assert "decorator @functools.cache on relu is not allowed" in message, message
    assert result.verdicts["add_backward"].passed  # the rest is unaffected


RETURNS_TENSORS = """
def engine_gradients(x, params, labels):
    K = len(params) // 2
    t = {name: Tensor(value) for name, value in params.items()}
    h = Tensor(x)
    for k in range(1, K + 1):
        h = h @ t[f"W{k}"] + t[f"b{k}"]
        if k < K:
            h = h.relu()
    h.cross_entropy(labels).backward()
    return t
"""


def test_returning_tensors_gets_a_message_that_says_what_to_return() -> None:
    ns = _with("06_autodiff", RETURNS_TENSORS)
    report = check_function(LESSON.spec("engine_gradients"), ns, "visible", 0)
    message = report.message()
    assert not report.passed
    assert "engine_gradients must return plain data" in message, message
    assert "an object of type Tensor (at ['W1'])" in message, message
    assert "return its array instead (t.data, t.grad)" in message, message
    nb = _notebook({"sol_engine_gradients": RETURNS_TENSORS})
    verdict = verify(LESSON, nb, 7, Unsandboxed()).verdicts["engine_gradients"]
    assert not verdict.passed and "an object of type Tensor" in verdict.message


def test_judges_only_compare() -> None:
    """The judging side (the kit's card module) never imports the answers."""
    suite.assert_judges_only_compare(LESSON.name)


def test_every_module_of_the_spec_is_short() -> None:
    suite.assert_modules_short(LESSON.name)


@pytest.mark.slow
def test_hidden_only_mutants_graded_by_nbgrader_and_by_verification(tmp_path: Path) -> None:
    """nbgrader alone gives a hidden_only mutant its visible points; the verified score
    (what `grade` records) takes the whole function."""
    course = make_course(tmp_path, "06_autodiff")
    sols = answers.solutions(course.source())
    problems: list[Any] = []
    by_round: list[dict[str, str]] = []
    for fn, kinds in TABLE.items():
        for i, desc in enumerate(kinds.get("hidden_only", {})):
            while len(by_round) <= i:
                by_round.append({})
            by_round[i][fn] = desc
    for i, chosen in enumerate(by_round):
        nb = answers.fill(
            course.release(),
            {**sols, **{f"sol_{fn}": TABLE[fn]["hidden_only"][d] for fn, d in chosen.items()}},
        )
        scores = course.grade(f"hidden{i}", nb)
        expected = expect_scores(LESSON, set())
        for fn in chosen:
            expected[f"test_{fn}_hidden"] = 0.0
        got = {g: scores.get(g) for g in expected}
        if got != expected:
            problems.append(f"round {i} {chosen}: nbgrader gave {got}, expected {expected}")
        verdicts = verify(LESSON, nb, 1000 + i, Unsandboxed()).verdicts
        wrongly_passed = [fn for fn in chosen if verdicts[fn].passed]
        rightly_passed = [fn for fn in verdicts if fn not in chosen and not verdicts[fn].passed]
        if wrongly_passed or rightly_passed:
            problems.append(f"round {i}: verification {wrongly_passed} {rightly_passed}")
    assert not problems, "\n".join(problems)
