"""The student kit's ``check``: from check files, in words, with a time limit, quiet on success.

Each test writes a lesson's check file with the reference (as ``release`` does) into a
temporary folder and runs ``check`` there, as a notebook in that folder would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backprop_kit import CheckFailed, check, checkfile
from backprop_kit.specs import CARDS
from backprop_ref.specs import LESSONS
from backprop_ref.specs.checkdata import GRADER, STUDENT, write_checks
from tests.test_mutants import _solution_namespace

LESSON = "03_linear_layer"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A notebook's folder with the lesson's visible check data, as released."""
    monkeypatch.delenv(checkfile.ENV, raising=False)
    write_checks(tmp_path, LESSON, STUDENT)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture(scope="module")
def solutions() -> dict[str, Any]:
    return _solution_namespace(LESSON)


def test_every_converted_function_has_a_card_and_data(folder: Path) -> None:
    content = checkfile.loads((folder / checkfile.FILENAME).read_bytes())
    names = {s.name for s in LESSONS[LESSON].specs}
    assert names <= set(CARDS)
    assert set(content["functions"]) == names
    for stages in content["functions"].values():
        assert set(stages) == {"visible"}  # the student's copy: no hidden cases


def test_a_correct_function_passes_quietly(
    folder: Path, solutions: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    for name in CARDS:
        check(name, solutions[name])
    out, err = capfd.readouterr()
    assert err == ""  # nbgrader zeroes a cell that writes to stderr
    assert out.count(": passed on 2 cases") == len(CARDS)


def test_a_failure_lists_every_failing_case_without_a_traceback(folder: Path) -> None:
    def forward(x: Any, W: Any, b: Any) -> Any:  # right on the first case only
        return x @ W + b if x.shape[0] == 4 else x @ W

    with pytest.raises(CheckFailed) as caught:
        check("linear_forward", forward)
    message = str(caught.value)
    assert message.startswith("linear_forward: FAILED on 1 of 2 cases")
    assert "[case: N=2, M_in=5, M_out=3]" in message and "N=4" not in message

    def mixed(x: Any, W: Any, b: Any) -> Any:  # a different mistake in each case
        return x @ W if x.shape[0] == 4 else x @ W - b

    with pytest.raises(CheckFailed) as caught:
        check("linear_forward", mixed)
    lines = str(caught.value).splitlines()
    assert lines[0] == "linear_forward: FAILED on 2 of 2 cases"
    failed = [ln for ln in lines if ln.startswith("  FAILED values")]
    assert len(failed) == 2 and "without the bias" in failed[0] and "subtracted" in failed[1]
    rendered = caught.value._render_traceback_()  # what IPython shows instead of a traceback
    assert rendered == lines
    assert not any("File " in ln or ".py" in ln for ln in rendered)


def test_a_case_that_never_returns_is_stopped(folder: Path) -> None:
    def forever(x: Any, W: Any, b: Any) -> Any:
        while True:
            x = x + 0

    start = time.monotonic()
    with pytest.raises(CheckFailed) as caught:
        check("linear_forward", forever, time_limit=0.3)
    assert time.monotonic() - start < 5
    assert "linear_forward did not return within 0.3 s: does your loop advance?" in str(
        caught.value
    )


def test_a_loop_catching_exceptions_is_still_stopped(folder: Path) -> None:
    def stubborn(x: Any, W: Any, b: Any) -> Any:
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # the time limit is not an Exception
                pass

    with pytest.raises(CheckFailed, match=r"did not return within 0\.2 s"):
        check("linear_forward", stubborn, time_limit=0.2)


def test_without_check_data_it_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, solutions: dict[str, Any]
) -> None:
    monkeypatch.delenv(checkfile.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(checkfile.NoCheckData, match=r"checks\.npz that comes with this notebook"):
        check("linear_forward", solutions["linear_forward"])
    write_checks(tmp_path, LESSON, STUDENT)
    with pytest.raises(checkfile.NoCheckData, match="run when your notebook is graded"):
        check("linear_forward", solutions["linear_forward"], hidden=True)


def test_the_graders_data_comes_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, solutions: dict[str, Any]
) -> None:
    grader = tmp_path / "grader"
    grader.mkdir()
    path = write_checks(grader, LESSON, GRADER)
    notebook = tmp_path / "notebook"
    notebook.mkdir()
    monkeypatch.chdir(notebook)
    monkeypatch.setenv(checkfile.ENV, str(path))
    check("linear_backward", solutions["linear_backward"], hidden=True)
    with pytest.raises(CheckFailed, match="FAILED on 3 of 3 cases"):
        check("linear_forward", lambda x, W, b: np.zeros((x.shape[0], W.shape[1])), hidden=True)


def test_a_check_file_is_data_only(folder: Path) -> None:
    data = (folder / checkfile.FILENAME).read_bytes()
    with np.load(folder / checkfile.FILENAME, allow_pickle=False) as z:
        assert "__json__" in z.files and all(z[k].dtype != object for k in z.files)
    with pytest.raises(ValueError, match="not a check file"):
        checkfile.loads(_other_npz())
    assert checkfile.loads(data)["lesson"] == LESSON


def _other_npz() -> bytes:
    from backprop_kit import harness

    return harness.dumps({"format": "something else"})


def test_importing_the_kit_imports_no_answers() -> None:
    code = (
        "import sys, backprop_kit, backprop_kit.plots, backprop_kit.graphs,"
        " backprop_kit.data, backprop_kit.params\n"
        "from backprop_kit import check, gradcheck, specs\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('backprop_ref', 'autograder', 'nbgrader')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]", run.stdout


def test_a_timer_that_outlives_its_case_does_nothing() -> None:
    """A notebook's own cell timeout (KeyboardInterrupt) can cut check's clean-up short; the
    leftover alarm must not raise in the kernel later."""
    import signal

    from backprop_kit import checks

    previous = signal.signal(signal.SIGALRM, checks._ring)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        time.sleep(0.3)  # the alarm rings here, outside any case: nothing happens
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
