"""The student kit's ``check`` and the grader's judge say the same thing, word for word.

For every lesson (its specs are cards with expected data), every mutant of
``autograder/lessons/mutants/`` (wrong and correct), the solution and the blank stub: ``check``
run from the released check file (visible cases; the grader's file for the hidden ones)
prints or raises exactly the report the grader's path (``check_function``: the reference draws the
cases and computes ``expected``) gives.
"""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path
from typing import Any

import pytest

from backprop_kit import CheckFailed, check, checkfile
from backprop_ref.specs import HIDDEN_SEED, LESSONS, VISIBLE_SEED
from backprop_ref.specs.checkdata import GRADER, write_checks
from backprop_ref.specs.core import check_function
from tests.lessons import mutants
from tests.test_mutants import _solution_namespace

BLANK = "def {name}(*args, **kwargs):\n    raise NotImplementedError()\n"


def _variants() -> list[Any]:
    out = []
    for lesson in LESSONS:
        table = mutants(lesson)
        for spec in LESSONS[lesson].specs:
            out.append(pytest.param(lesson, spec.name, None, id=f"{spec.name}-solution"))
            out.append(
                pytest.param(
                    lesson, spec.name, BLANK.format(name=spec.name), id=f"{spec.name}-blank"
                )
            )
            for kind in ("wrong", "correct"):
                for desc, src in table[spec.name].get(kind, {}).items():
                    out.append(
                        pytest.param(lesson, spec.name, src, id=f"{spec.name}-{kind}-{desc}")
                    )
    return out


@pytest.fixture(scope="module")
def check_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The grader's check file of each lesson (visible and hidden cases)."""
    return {
        lesson: write_checks(tmp_path_factory.mktemp(lesson), lesson, GRADER) for lesson in LESSONS
    }


@functools.cache
def _solutions(lesson: str) -> dict[str, Any]:
    return _solution_namespace(lesson)


def _kit_says(name: str, fns: dict[str, Any], hidden: bool) -> str:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            check(name, fns[name], hidden=hidden, **{k: v for k, v in fns.items() if k != name})
    except CheckFailed as failed:
        return str(failed)
    return out.getvalue().rstrip("\n")


@pytest.mark.parametrize(("lesson", "name", "source"), _variants())
def test_kit_and_grader_agree(
    lesson: str,
    name: str,
    source: str | None,
    check_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = LESSONS[lesson].spec(name)
    ns = dict(_solutions(lesson))
    if source is not None:
        exec(compile(source, "<mutant>", "exec"), ns)
    fns = {n: ns[n] for n in spec.needs}
    monkeypatch.setenv(checkfile.ENV, str(check_files[lesson]))
    for hidden, stage, seed in ((False, "visible", VISIBLE_SEED), (True, "hidden", HIDDEN_SEED)):
        grader = check_function(spec, fns, stage, seed).message()  # type: ignore[arg-type]
        assert _kit_says(name, fns, hidden) == grader, stage
