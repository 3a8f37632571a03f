"""The grading pipeline's parts, each on its own: extraction, the runner's plain data,
combining kernel and verified results, CSVs, lateness, feedback redaction, output copying."""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.course import LatePolicy, parse_time
from autograder.grading.extract import extract
from autograder.grading.results import CellResult, SubmissionResult, write_csvs
from autograder.grading.scoring import DIFFER, combine
from autograder.grading.tasks import TaskResult
from autograder.grading.verify import (
    FunctionVerdict,
    StageVerdict,
    stages_of,
    verification_seed,
    verify,
)
from autograder.nbgrader_glue.nbg import failure_reason
from autograder.nbgrader_glue.preprocessors import KeepFirstGradeId, copy_outputs
from autograder.sandbox.base import Unsandboxed
from autograder.stages.feedback import redact
from backprop_kit.harness import Outcome, Probe, Step, dumps, loads
from backprop_ref.specs import LESSONS, Lesson

LINEAR = LESSONS["03_linear_layer"]


def test_extract_keeps_only_allowed_imports_definitions_and_literals() -> None:
    cells = [
        ("1", "import numpy as np\nimport os\nfrom backprop_ref.layers import linear_forward"),
        ("2", "EPS = 1e-12\nN = len([1])\nprint('hi')\nnp.allclose = lambda *a: True"),
        ("3", "@decorate\ndef f(x):\n    return x + EPS\n%matplotlib inline\nwhile True: pass"),
        ("4", "def broken(:\n"),
    ]
    found = extract(cells)
    assert "import numpy as np" in found.source and "EPS = 1e-12" in found.source
    for absent in ("import os", "backprop_ref", "print", "allclose", "while", "decorate", "N ="):
        assert absent not in found.source
    assert found.functions == ["f"]
    assert found.refused_imports == ["os", "backprop_ref.layers"]
    assert found.refused_names == ["os", "linear_forward"]
    assert found.syntax_errors and found.syntax_errors[0].startswith("4:")


def test_plain_data_round_trip_without_pickle() -> None:
    data = {
        "x": np.arange(6.0).reshape(2, 3),
        "f": Probe("f", "poly"),
        "n": [1, 2.5, "s", None],
        "o": Outcome({"result": np.float32([1, 2])}, None, ["x"]),
        "s": Step("g", ("a",), ("b", "c")),
    }
    back = loads(dumps(data))
    assert np.array_equal(back["x"], data["x"]) and back["f"] == data["f"]
    assert back["n"] == [1, 2.5, "s", None] and back["s"] == data["s"]
    assert back["o"].values["result"].dtype == np.float32 and back["o"].mutated == ["x"]


def test_verification_seed_is_stable_and_secret_dependent() -> None:
    a = verification_seed(b"k1", "ada", "03", "d1")
    assert a == verification_seed(b"k1", "ada", "03", "d1")
    assert (
        len(
            {
                a,
                verification_seed(b"k2", "ada", "03", "d1"),
                verification_seed(b"k1", "ada", "03", "d2"),
            }
        )
        == 3
    )


def _verdicts(
    lesson: Lesson, failing: dict[str, StageVerdict] | None = None
) -> dict[str, FunctionVerdict]:
    """Every function of ``lesson`` verified as passing, except the stages in ``failing``."""
    out = {}
    for spec in lesson.specs:
        stages = {k: StageVerdict(k, True) for k in stages_of(lesson, spec)}
        for key, verdict in (failing or {}).items():
            fn, _, stage = key.partition(":")
            if fn == spec.name:
                stages[stage] = verdict
        out[spec.name] = FunctionVerdict(spec.name, stages)
    return out


def test_combine_scores_each_test_cell_by_its_own_stage() -> None:
    bug = StageVerdict("hidden", False, "linear_backward: dL_dx is wrong [case: N=3, M_in=3]")
    verdicts = _verdicts(LINEAR, {"linear_backward:hidden": bug})
    grades = {c.grade_id: float(c.points) for c in LINEAR.cells if c.kind != "manual"}
    grades["test_linear_backward_hidden"] = 0.0  # the notebook's hidden test failed too
    out = TaskResult("ada", LINEAR.name, True, grades=grades, verification=verdicts)
    result = combine(LINEAR, "ada", out)
    by_id = {c.grade_id: c for c in result.cells}
    visible, hidden = by_id["test_linear_backward"], by_id["test_linear_backward_hidden"]
    assert (visible.score, visible.status, visible.message) == (3.0, "graded", "")
    assert (hidden.score, hidden.status) == (0.0, "graded") and "dL_dx is wrong" in hidden.message
    assert by_id["derive_dL_dW"].status == "needs_manual" and by_id["derive_dL_dW"].score is None
    assert result.status == "needs_manual" and not result.reason
    assert all(c.auto_status == c.status and c.auto_score == c.score for c in result.cells)
    unanswered = TaskResult(
        "ada", LINEAR.name, True, grades={"derive_dL_dW": 0.0}, verification=verdicts
    )
    cell = {c.grade_id: c for c in combine(LINEAR, "ada", unanswered).cells}["derive_dL_dW"]
    assert (cell.status, cell.score, cell.message) == ("graded", 0.0, "no answer")


def test_combine_flags_a_function_that_fails_the_cases_the_notebook_passed() -> None:
    tampered = StageVerdict("visible", False, "wrong", False, "linear_forward: y is 2 x")
    verdicts = _verdicts(LINEAR, {"linear_forward:visible": tampered})
    grades = {c.grade_id: float(c.points) for c in LINEAR.cells if c.kind != "manual"}
    out = TaskResult("ada", LINEAR.name, True, grades=grades, verification=verdicts)
    result = combine(LINEAR, "ada", out)
    bad = {c.grade_id: c for c in result.cells}["test_linear_forward"]
    assert bad.score == 0 and bad.status == "needs_attention" and DIFFER in bad.message
    assert "tampered" in bad.message and "y is 2 x" in bad.message
    assert result.status == "needs_attention" and "tampered" in result.reason


def test_csvs_quote_and_parse_back(tmp_path: Path) -> None:
    cells = [CellResult("test_a", 1.0, 2.0, "graded", 'says "no", then, a comma\nand a line')]
    result = SubmissionResult(
        "o'brien, jr", "03_linear_layer", "03_linear_layer", "graded", cells=cells
    )
    grades, totals = write_csvs([result], tmp_path)
    rows = list(csv.DictReader(grades.open(newline="")))
    assert rows[0]["student_id"] == "o'brien, jr"
    assert rows[0]["message"] == 'says "no", then, a comma\nand a line'
    assert next(iter(csv.DictReader(totals.open(newline=""))))["score"] == "1"


def test_late_policy() -> None:
    policy = LatePolicy(deadlines={"a": "2026-12-01T23:59:00+00:00"}, penalty_per_day=0.1)
    due = policy.deadline("a")
    assert due == parse_time("2026-12-01 23:59:00 UTC")
    assert policy.penalty(0, 10, 20) == 0
    assert policy.penalty(3600, 10, 20) == pytest.approx(2.0)  # one started day: 10% of 20
    assert policy.penalty(30 * 86400, 10, 20) == pytest.approx(10.0)  # never more than scored
    assert LatePolicy().penalty(86400, 10, 20) == 0  # default: recorded, not penalised
    assert policy.deadline("other") is None
    assert isinstance(due, dt.datetime)


def test_failure_reason_names_the_exception() -> None:
    log = (
        "[ERROR] Traceback ...\n    TypeError: expected string, got 'list'\n[ERROR] Please see the"
    )
    assert failure_reason({"log": log, "error": "NbGraderException: Please see"}).endswith(
        "TypeError: expected string, got 'list'"
    )


def _cell(source: str, gid: str | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if gid:
        cell.metadata["nbgrader"] = {
            "grade": True,
            "grade_id": gid,
            "locked": True,
            "points": 1,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    return cell


def test_redaction_hides_hidden_test_source_and_tracebacks() -> None:
    graded = nbformat.v4.new_notebook(
        cells=[
            _cell(
                "check('f', f)\n### BEGIN HIDDEN TESTS\n"
                "check('f', f, hidden=True)\n### END HIDDEN TESTS",
                "test_f_hidden",
            )
        ]
    )
    graded.cells[0].outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="f: FAILED",
            traceback=["line: check('f', f, hidden=True)"],
        )
    ]
    release = nbformat.v4.new_notebook(
        cells=[_cell("# hidden tests run when graded", "test_f_hidden")]
    )
    out = redact(graded, release, {"test_f_hidden"})
    text = nbformat.writes(out)
    assert "hidden=True" not in text and "BEGIN HIDDEN" not in text
    assert out.cells[0].outputs[0].traceback == ["AssertionError: f: FAILED"]


def test_empty_or_malformed_results_never_pass_as_success() -> None:
    nb = nbformat.v4.new_notebook(cells=[_cell("check('f', f)", "test_f"), _cell("x = 1")])
    copy_outputs(nb, None, "not run: timed out")
    assert all(c.outputs[0].ename == "NotebookStopped" for c in nb.cells)
    evil = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": 5}],
            }
        ]
    }
    copy_outputs(nb, evil, "x")
    assert nb.cells[0].outputs[0].ename == "NotebookStopped"


def test_duplicated_cells_keep_the_first() -> None:
    nb = nbformat.v4.new_notebook(cells=[_cell("a", "test_f"), _cell("b", "test_f")])
    out, _ = KeepFirstGradeId().preprocess(nb, {})
    assert "nbgrader" in out.cells[0].metadata and "nbgrader" not in out.cells[1].metadata


def test_verify_in_a_subprocess_judges_and_survives_crashes() -> None:
    src = (
        "import numpy as np\nimport os\n"
        "def linear_forward(x, W, b):\n    return x @ W + b\n"
        "def linear_jacobian_W(x, W):\n    return os.getcwd()\n"
        "def linear_backward(dL_dy, x, W):\n    __import__('os')._exit(3)\n"
        "def apply_jacobian(dL_dy, J):\n"
        "    return np.tensordot(dL_dy, J, axes=([0, 1], [0, 1])) * 2\n"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)])
    result = verify(LINEAR, nb, seed=5, sandbox=Unsandboxed())
    v = result.verdicts
    assert v["linear_forward"].passed
    assert not v["linear_backward"].passed and "process ended" in v["linear_backward"].message
    assert not v["apply_jacobian"].passed and "2 x" in v["apply_jacobian"].message
    assert "not defined" in v["jacobian_shapes"].message
    assert "imported from a module answers may not use" in v["linear_jacobian_W"].message


POOL_EXITS = """
from autograder.grading.workers import LocalPool
from tests.faults import Faulty

if __name__ == "__main__":
    pool = LocalPool(1, 60, Faulty())
    dead = pool.slots[0]
    dead.process.kill()
    dead.process.join()
    dead.inbox.put(b"x" * 4_000_000)  # a task the dead worker never reads: fills the pipe
    pool._restart(0)
    pool.close()
    print("closed")
"""


def test_a_pool_whose_worker_died_unread_still_lets_the_grader_exit(tmp_path: Path) -> None:
    """A worker that dies before reading its task leaves it in a full pipe; the coordinator
    must still exit (its queue's feeder thread would otherwise wait for ever at exit)."""
    script = tmp_path / "pool_exits.py"
    script.write_text(POOL_EXITS)
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    run = subprocess.run(
        [sys.executable, str(script)], cwd=repo, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "closed"


def test_a_dead_workers_reason_says_what_to_do() -> None:
    from autograder.grading.workers import death

    assert death(70) == "exit code 70"
    assert "out of memory" in death(-signal.SIGKILL) and "SIGKILL" in death(-signal.SIGKILL)
    assert death(-signal.SIGSEGV) == "killed by SIGSEGV"
    assert "__main__" in death(1) and "traceback" in death(1)


def test_the_gradebook_schema_version_read_in_process_is_nbgraders_own() -> None:
    """nbg.alembic_head (read in this process) is what nbgrader's own ``alembic heads``
    subprocess answers; reuse_alembic_version puts it where nbgrader asks."""
    import nbgrader.api
    from nbgrader.dbutil import _temp_alembic_ini

    from autograder.nbgrader_glue import nbg

    alembic = Path(sys.executable).with_name("alembic")
    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:
        heads = subprocess.run([alembic, "-c", ini, "heads"], capture_output=True, text=True)
    assert heads.returncode == 0, heads.stderr
    assert heads.stdout.split()[0] == nbg.alembic_head()
    nbg.reuse_alembic_version()
    assert nbgrader.api.get_alembic_version() == nbg.alembic_head()


def test_nbgraders_metadata_check_still_rejects_what_it_rejected() -> None:
    """With its schemas compiled once (nbg.compile_metadata_schemas), nbgrader's cell
    metadata validator accepts a valid graded cell and rejects a malformed one, as before."""
    from jsonschema import ValidationError
    from nbgrader.nbgraderformat import MetadataValidator

    from autograder.nbgrader_glue import nbg

    nbg.compile_metadata_schemas()
    meta = {"grade": True, "grade_id": "t1", "locked": True, "points": 2, "schema_version": 3}
    meta |= {"solution": False, "task": False}
    cell = nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": meta})
    MetadataValidator().validate_cell(cell)
    for wrong in ({"points": "two"}, {"grade": "yes"}, {"grade_id": 7}):
        bad = nbformat.v4.new_code_cell("", metadata={"nbgrader": {**meta, **wrong}})
        with pytest.raises(ValidationError):
            MetadataValidator().validate_cell(bad)
