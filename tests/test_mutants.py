"""Mutants: every plausible wrong implementation of a graded function loses that function's
points, and correct implementations written differently keep them.

Fast tests judge the mutants with the specs in this process (visible, hidden and grading
stages). Slow tests grade them with nbgrader for real: each round submits a notebook with
one mutant for each of several independent functions and checks every cell's score.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autograder.lessons import answers
from backprop_ref.specs import LESSONS, Spec
from backprop_ref.specs.core import check_function
from tests.lessons import expect_scores, make_course, mutants, solution_namespace

VERIFY_SEEDS = (20261126, 7)


_solution_namespace = solution_namespace


def _with(lesson: str, source: str) -> dict[str, Any]:
    ns = _solution_namespace(lesson)
    exec(compile(source, "<mutant>", "exec"), ns)
    return ns


def _results(spec: Spec, ns: dict[str, Any]) -> dict[str, bool]:
    runs = [("visible", 0), ("hidden", 1)] + [("verify", s) for s in VERIFY_SEEDS]
    return {
        f"{stage}:{seed}": check_function(spec, ns, stage, seed).passed  # type: ignore[arg-type]
        for stage, seed in runs
    }


def _cases() -> list[Any]:
    out = []
    for lesson in LESSONS:
        try:
            table = mutants(lesson)
        except FileNotFoundError:
            out.append(pytest.param(lesson, "", "", "", id=f"{lesson}-missing"))
            continue
        for fn, kinds in table.items():
            for kind in ("wrong", "correct"):
                for desc in kinds.get(kind, {}):
                    out.append(pytest.param(lesson, fn, kind, desc, id=f"{fn}-{kind}-{desc}"))
    return out


@pytest.mark.parametrize(("lesson", "fn", "kind", "desc"), _cases())
def test_mutant_is_judged_right(lesson: str, fn: str, kind: str, desc: str) -> None:
    table = mutants(lesson)
    spec = LESSONS[lesson].spec(fn)
    results = _results(spec, _with(lesson, table[fn][kind][desc]))
    if kind == "wrong":
        assert not any(results.values()), f"{fn} mutant '{desc}' passed some stages: {results}"
    else:
        assert all(results.values()), f"correct {fn} '{desc}' failed: {results}"


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_enough_mutants(lesson: str) -> None:
    table = mutants(lesson)
    for spec in LESSONS[lesson].specs:
        kinds = table.get(spec.name, {})
        assert len(kinds.get("wrong", {})) >= 3, f"{spec.name}: fewer than 3 wrong mutants"
        assert len(kinds.get("correct", {})) >= 2, f"{spec.name}: fewer than 2 correct variants"


def rounds(lesson: str) -> list[dict[str, tuple[str, str]]]:
    """Group mutants into submissions: each round mutates independent functions only
    (none calls another mutated one), one mutant each; every mutant appears in one round."""
    table = mutants(lesson)
    specs = {s.name: s for s in LESSONS[lesson].specs}
    queue = [
        (fn, kind, d)
        for fn, kinds in table.items()
        for kind in ("wrong", "correct")
        for d in kinds.get(kind, {})
    ]
    out: list[dict[str, tuple[str, str]]] = []
    while queue:
        chosen: dict[str, tuple[str, str]] = {}
        for item in list(queue):
            fn, kind, desc = item
            deps = set(specs[fn].needs)
            clash = fn in chosen or any(
                fn in specs[other].needs or other in deps for other in chosen
            )
            if not clash:
                chosen[fn] = (kind, desc)
                queue.remove(item)
        out.append(chosen)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lesson", list(LESSONS))
def test_mutants_graded_by_nbgrader(lesson: str, tmp_path: Path) -> None:
    course = make_course(tmp_path, lesson)
    table = mutants(lesson)
    sols = answers.solutions(course.source())
    problems = []
    for i, chosen in enumerate(rounds(lesson)):
        filled = dict(sols)
        for fn, (kind, desc) in chosen.items():
            filled[f"sol_{fn}"] = table[fn][kind][desc]
        scores = course.grade(f"round{i}", answers.fill(course.release(), filled))
        lost = {fn for fn, (kind, _) in chosen.items() if kind == "wrong"}
        expected = expect_scores(LESSONS[lesson], lost)
        got = {g: scores.get(g) for g in expected}
        if got != expected:
            problems.append(f"round {i} {chosen}: expected {expected}, got {got}")
    assert not problems, "\n".join(problems)
