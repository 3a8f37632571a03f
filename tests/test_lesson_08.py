"""Lesson 08_convolution: its hidden-only mutants, its cases' promises, and the split of
its spec into a reference side and a compare-only judge side.

tests/test_mutants.py judges the ``wrong`` and ``correct`` mutants; here every
``hidden_only`` mutant (a wrong answer that the visible tests cannot see) must pass the
visible stage and fail the hidden stage and verification, and lose exactly its function's
points when graded by nbgrader for real.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.grading.extract import extract
from autograder.grading.tasks import TaskResult
from autograder.grading.verify import verify
from autograder.lessons import answers
from autograder.sandbox.base import Unsandboxed
from autograder.stages.grade import combine
from backprop_kit.harness import dumps, loads
from backprop_ref.specs import LESSONS
from backprop_ref.specs.core import check_function
from backprop_ref.specs.l08_convolution import EXPECT, cases
from tests.lessons import make_course, mutants, source_path

LESSON = "08_convolution"
VERIFY_SEEDS = (20261126, 7, 11, 12345)
SPEC_DIR = Path(__file__).resolve().parents[1] / "backprop_ref" / "specs" / "l08_convolution"
CARD_MODULE = (
    Path(__file__).resolve().parents[1] / "kit" / "backprop_kit" / "specs" / "l08_convolution.py"
)


def _namespace(source: str | None = None) -> dict[str, Any]:
    """The solution notebook's definitions (as verification extracts them), plus a mutant."""
    nb = answers.read(source_path(LESSON))
    code = [
        (str(i), answers.solution_text(c.source))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
    ]
    ns: dict[str, Any] = {}
    exec(compile(extract(code).source, f"<{LESSON} solutions>", "exec"), ns)
    if source is not None:
        exec(compile(source, "<mutant>", "exec"), ns)
    return ns


def _hidden_only() -> list[Any]:
    table = mutants(LESSON)
    return [
        pytest.param(fn, desc, id=f"{fn}-{desc}")
        for fn, kinds in table.items()
        for desc in kinds.get("hidden_only", {})
    ]


@pytest.mark.parametrize(("fn", "desc"), _hidden_only())
def test_hidden_only_mutant_passes_visible_and_fails_hidden_and_verify(fn: str, desc: str) -> None:
    spec = LESSONS[LESSON].spec(fn)
    ns = _namespace(mutants(LESSON)[fn]["hidden_only"][desc])
    assert check_function(spec, ns, "visible", 0).passed, "the visible tests should miss it"
    assert not check_function(spec, ns, "hidden", 1).passed, "the hidden tests should catch it"
    for seed in VERIFY_SEEDS:
        assert not check_function(spec, ns, "verify", seed).passed, f"verify seed {seed}"


def test_mutant_counts() -> None:
    table = mutants(LESSON)
    wrong = sum(len(k.get("wrong", {})) + len(k.get("hidden_only", {})) for k in table.values())
    assert wrong >= 25
    assert set(table) == {s.name for s in LESSONS[LESSON].specs}
    for fn, kinds in table.items():
        assert len(kinds["correct"]) >= 2, fn
    assert sum(len(k.get("hidden_only", {})) for k in table.values()) >= 5


def test_the_solution_passes_every_stage_on_many_seeds() -> None:
    ns = _namespace()
    for spec in LESSONS[LESSON].specs:
        for seed in range(8):
            report = check_function(spec, ns, "verify", seed)
            assert report.passed, report.message()


@pytest.mark.parametrize("seed", VERIFY_SEEDS)
def test_hidden_and_verify_cases_have_what_they_promise(seed: int) -> None:
    """Every feature the visible cases leave out is in the hidden stage and in every draw
    of the verify stage; the visible cases have none of them (that is what makes the
    hidden-only mutants hidden)."""
    rng = np.random.default_rng(seed)
    for stage in ("hidden", "verify"):
        drawn = cases.conv_cases(rng, stage)
        geo = [
            (c.inputs["x"].shape, c.inputs["W"].shape, c.inputs["stride"], c.inputs["pad"])
            for c in drawn
        ]
        assert any(x[0] == 1 for x, _, _, _ in geo), "a single image"
        assert any(x[1] == 1 for x, _, _, _ in geo), "a single channel"
        assert any(x[2] != x[3] for x, _, _, _ in geo), "a non-square image"
        assert any(w[2] != w[3] for _, w, _, _ in geo), "a non-square kernel"
        assert any(p == 0 for _, _, _, p in geo), "no padding"
        assert any(s >= 2 and (x[2] + 2 * p - w[2]) % s for x, w, s, p in geo), "rounded down"
        assert any(p == 0 and s >= 2 and (x[2] - w[2]) % s for x, w, s, p in geo), (
            "a row of x itself in no window"
        )
        pools = cases.pool_cases(rng, stage)
        assert any(c.inputs["stride"] < c.inputs["size"] for c in pools), "overlapping windows"
        assert any((c.inputs["x"].shape[2] - c.inputs["size"]) % c.inputs["stride"] for c in pools)
        assert any(c.inputs["x"].shape[0] == 1 for c in pools)
        assert any(c.inputs["x"].shape[1] == 1 for c in pools)
    for c in cases.conv_cases(rng, "visible"):
        x, W, S, P = c.inputs["x"], c.inputs["W"], c.inputs["stride"], c.inputs["pad"]
        assert x.shape[2] == x.shape[3] and W.shape[2] == W.shape[3] and P >= 1
        assert min(x.shape[:2]) >= 2 and (x.shape[2] + 2 * P - W.shape[2]) % S == 0


def test_visible_pooling_cases_have_ties_that_decide_the_winner() -> None:
    """A visible case has windows whose maximum is tied (so the tie rule is tested before
    submission), and the tests' finite-difference directions leave those entries alone."""
    rng = np.random.default_rng(0)
    tied_windows = 0
    for case in cases.pool_cases(rng, "visible"):
        x, size, S = case.inputs["x"], case.inputs["size"], case.inputs["stride"]
        for window in np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))[
            :, :, ::S, ::S
        ].reshape(-1, size * size):
            tied_windows += int((window == window.max()).sum() > 1)
        fd = EXPECT["maxpool_backward"](case)["fd"]
        for u in fd["directions"]["x"]:
            moved = u != 0
            assert moved.any()
    assert tied_windows >= 5


def test_expected_values_are_plain_data() -> None:
    """What the reference side hands the judges survives the sandbox's encoding (no pickle,
    no objects): the protocol in which judges get ``expected`` as data."""
    rng = np.random.default_rng(0)
    assert set(EXPECT) == {s.name for s in LESSONS[LESSON].specs}
    for spec in LESSONS[LESSON].specs:
        for case in spec.cases(rng, "hidden"):
            expected = EXPECT[spec.name](case)
            assert isinstance(loads(dumps(expected)), dict)


def test_judges_only_compare() -> None:
    """The judges (the kit's card module) import no reference answer: only numpy and the
    kit's comparison tools (nothing from backprop_ref); the lesson's words import nothing."""
    tree = ast.parse(CARD_MODULE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    allowed = {
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
    assert imported <= allowed, imported - allowed
    words = ast.parse((SPEC_DIR / "words.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(words) if isinstance(n, ast.Import | ast.ImportFrom)][1:]


def test_each_function_is_judged_on_its_own() -> None:
    """A wrong forward pass costs the backward passes nothing, and a wrong gradient costs
    only its own function: they get the forward pass's inputs, never another function's
    output."""
    table = mutants(LESSON)
    ns = _namespace(table["conv_forward_loops"]["wrong"]["kernel flipped (a true convolution)"])
    exec(compile(table["conv_backward_x_loops"]["wrong"]["stride ignored"], "<m>", "exec"), ns)
    passed = {s.name: check_function(s, ns, "visible", 0).passed for s in LESSONS[LESSON].specs}
    assert passed == {
        s.name: s.name not in ("conv_forward_loops", "conv_backward_x_loops")
        for s in LESSONS[LESSON].specs
    }


@pytest.mark.slow
def test_hidden_only_mutants_lose_exactly_their_points_when_graded(tmp_path: Path) -> None:
    """One hidden-only mutant per function, in one submission. Stock nbgrader gives their
    visible cells full marks and their hidden cells 0; verification fails exactly those
    functions; combined as ``grade`` combines them (each test cell scored by the verification
    of its own kind), each loses exactly its hidden cell's points, as nbgrader said."""
    course = make_course(tmp_path, LESSON)
    table = mutants(LESSON)
    lesson = LESSONS[LESSON]
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
        "hidden_only", LESSON, True, grades=dict(kernel), verification=verification.verdicts
    )
    result = combine(lesson, "hidden_only", out)
    scores = {c.grade_id: c.score for c in result.cells if c.grade_id in stock}
    # each test cell is scored by the verification of its own kind: the visible cell keeps
    # its points (fresh visible cases pass), the hidden cell loses them, as nbgrader said
    assert scores == stock
    for fn in chosen:
        stages = verification.verdicts[fn].stages
        assert stages["visible"].passed and not stages["hidden"].passed, fn
