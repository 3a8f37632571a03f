"""Checks every later lesson (06-08) runs on itself, written once: its hidden-only mutants,
its mutant counts, its solution on many seeds, its expected data as plain data, its card
module importing no answer, and its hidden-only mutants graded by nbgrader for real.

A lesson's test module calls these with its own name (``tests/test_lesson_07.py``, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.grading.tasks import TaskResult
from autograder.grading.verify import verify
from autograder.lessons import answers
from autograder.sandbox.base import Unsandboxed
from autograder.stages.grade import combine
from backprop_kit.harness import dumps, loads
from backprop_ref.specs import LESSONS
from backprop_ref.specs.core import check_function
from tests.lessons import make_course, mutants, solution_namespace

ROOT = Path(__file__).resolve().parents[1]
VERIFY_SEEDS = (20261126, 7, 11, 12345)
#: What a card module (the kit's judging side) may import: numpy and the kit's tools.
CARD_IMPORTS = {
    "__future__",
    "collections.abc",
    "typing",
    "numpy",
    "backprop_kit.cards",
    "backprop_kit.gradcheck",
    "backprop_kit.harness",
    "backprop_kit.judging",
    "backprop_kit.verdicts",
}


def spec_dir(lesson: str) -> Path:
    return ROOT / "backprop_ref" / "specs" / f"l{lesson}"


def card_module(lesson: str) -> Path:
    return ROOT / "kit" / "backprop_kit" / "specs" / f"l{lesson}.py"


def namespace(lesson: str, source: str | None = None) -> dict[str, Any]:
    """The solution notebook's definitions (as verification extracts them), plus a mutant."""
    ns = solution_namespace(lesson)
    if source is not None:
        exec(compile(source, "<mutant>", "exec"), ns)
    return ns


def hidden_only_params(lesson: str) -> list[Any]:
    return [
        pytest.param(fn, desc, id=f"{fn}-{desc}")
        for fn, kinds in mutants(lesson).items()
        for desc in kinds.get("hidden_only", {})
    ]


def assert_hidden_only(lesson: str, fn: str, desc: str) -> None:
    """The mutant passes the visible stage and fails the hidden one and verification."""
    spec = LESSONS[lesson].spec(fn)
    ns = namespace(lesson, mutants(lesson)[fn]["hidden_only"][desc])
    assert check_function(spec, ns, "visible", 0).passed, "the visible tests should miss it"
    assert not check_function(spec, ns, "hidden", 1).passed, "the hidden tests should catch it"
    for seed in VERIFY_SEEDS:
        assert not check_function(spec, ns, "verify", seed).passed, f"verify seed {seed}"


def assert_mutant_counts(lesson: str) -> None:
    table = mutants(lesson)
    wrong = sum(len(k.get("wrong", {})) + len(k.get("hidden_only", {})) for k in table.values())
    assert wrong >= 25
    assert set(table) == {s.name for s in LESSONS[lesson].specs}
    for fn, kinds in table.items():
        assert len(kinds["correct"]) >= 2, fn
    assert sum(len(k.get("hidden_only", {})) for k in table.values()) >= 5


def assert_solution_passes(lesson: str, seeds: int = 8) -> None:
    ns = namespace(lesson)
    for spec in LESSONS[lesson].specs:
        for seed in range(seeds):
            report = check_function(spec, ns, "verify", seed)
            assert report.passed, report.message()


def assert_expected_is_plain_data(lesson: str, expect: dict[str, Any]) -> None:
    """What the reference side hands the judges survives the sandbox's encoding (no pickle,
    no objects): the protocol in which judges get ``expected`` as data."""
    rng = np.random.default_rng(0)
    assert set(expect) == {s.name for s in LESSONS[lesson].specs}
    for spec in LESSONS[lesson].specs:
        for case in spec.cases(rng, "hidden"):
            assert isinstance(loads(dumps(expect[spec.name](case))), dict)


def assert_judges_only_compare(lesson: str) -> None:
    """The card module imports numpy and the kit's comparison tools, never the answers."""
    tree = ast.parse(card_module(lesson).read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= CARD_IMPORTS, imported - CARD_IMPORTS


def assert_modules_short(lesson: str) -> None:
    for path in [*spec_dir(lesson).glob("*.py"), card_module(lesson)]:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, path.name


def assert_hidden_only_lose_their_hidden_points(tmp_path: Path, lesson_name: str) -> None:
    """One hidden-only mutant per function, in one submission. Stock nbgrader gives their
    visible cells full marks and their hidden cells 0; verification fails exactly those
    functions; combined as ``grade`` combines them (each test cell scored by the verification
    of its own kind), each loses exactly its hidden cell's points, as nbgrader said."""
    course = make_course(tmp_path, lesson_name)
    table = mutants(lesson_name)
    lesson = LESSONS[lesson_name]
    chosen = {
        fn: next(iter(k["hidden_only"].values())) for fn, k in table.items() if k.get("hidden_only")
    }
    filled = dict(answers.solutions(course.source()))
    filled.update({f"sol_{fn}": src for fn, src in chosen.items()})
    nb = answers.fill(course.release(), filled)
    kernel = course.grade("hidden_only", nb)
    stock = {
        c.grade_id: 0.0 if c.kind == "hidden" and c.spec in chosen else float(c.points)
        for c in lesson.cells
        if c.kind != "manual"
    }
    assert {g: kernel.get(g) for g in stock} == stock

    verification = verify(lesson, nb, seed=20261126, sandbox=Unsandboxed())
    failed = {name for name, v in verification.verdicts.items() if not v.passed}
    assert failed == set(chosen)
    out = TaskResult(
        "hidden_only", lesson_name, True, grades=dict(kernel), verification=verification.verdicts
    )
    result = combine(lesson, "hidden_only", out)
    scores = {c.grade_id: c.score for c in result.cells if c.grade_id in stock}
    assert scores == stock  # the visible cell keeps its points, the hidden one loses them
    for fn in chosen:
        stages = verification.verdicts[fn].stages
        assert stages["visible"].passed and not stages["hidden"].passed, fn
