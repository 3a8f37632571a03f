"""The grading kernel has the student kit and the grader's check data, not the answers.

Every lesson's notebook runs in the sandbox with ``backprop_kit`` importable (bound
read-only), ``backprop_ref`` not, and the assignment's check data (visible and hidden
cases) bound read-only where ``check`` finds it.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder.nbgrader_glue import nbg
from autograder.nbgrader_glue.preprocessors import SandboxedExecute
from backprop_ref.specs import LESSONS
from backprop_ref.specs.checkdata import GRADER, write_checks
from tests.test_sandbox import needs_bwrap

UID = 60940  # + the test's index: not test_sandbox's (60950+) nor the corpus's (61000+)


def _execute(lesson: str, sources: list[str], checks_dir: Path, uid: int) -> list[str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    config = nbg.load_config(checks_dir)  # the course config: the kit is bound read-only
    config.SandboxedExecute.uid = uid
    config.SandboxedExecute.checks_dir = str(checks_dir)
    config.SandboxedExecute.cell_timeout = 20
    pre = SandboxedExecute(config=config)
    out, _ = pre.preprocess(nb, {"nbgrader": {"assignment": lesson}})
    return [json.dumps(c.outputs) for c in out.cells]


@needs_bwrap
@pytest.mark.slow
def test_a_converted_lesson_gets_the_kit_and_its_checks_but_no_answers(tmp_path: Path) -> None:
    lesson = "03_linear_layer"
    data = write_checks(tmp_path, lesson, GRADER).rename(tmp_path / f"{lesson}.npz")
    cells = _execute(
        lesson,
        [
            "import backprop_ref",
            "import backprop_kit, os\n"
            "print('KIT', os.path.dirname(backprop_kit.__file__))\n"
            "print('DATA', os.environ['BACKPROP_KIT_CHECKS'])",
            "def linear_forward(x, W, b):\n    return x @ W + b\n"
            "from backprop_kit import check\n"
            "check('linear_forward', linear_forward)\n"
            "check('linear_forward', linear_forward, hidden=True)",
            "check('linear_forward', lambda x, W, b: x @ W, hidden=True)",
            "import os\nopen(os.environ['BACKPROP_KIT_CHECKS'], 'ab').write(b'x')",
            f"open({str(data)!r}, 'rb')",
        ],
        tmp_path,
        UID,
    )
    assert "ModuleNotFoundError" in cells[0] and "backprop_ref" in cells[0], cells[0]
    assert "KIT" in cells[1] and "DATA" in cells[1] and "error" not in cells[1], cells[1]
    assert "passed on 2 cases" in cells[2] and "passed on 3 cases" in cells[2], cells[2]
    assert '"ename": "CheckFailed"' in cells[3] and "FAILED on 3 of 3 cases" in cells[3]
    assert "PermissionError" in cells[4] or "Read-only" in cells[4], cells[4]
    assert "FileNotFoundError" in cells[5], cells[5]  # the course's own copy is not there


@needs_bwrap
@pytest.mark.slow
def test_no_lesson_s_kernel_can_import_the_answers(tmp_path: Path) -> None:
    lessons = list(LESSONS)
    source = "import importlib.util\nprint('REF', importlib.util.find_spec('backprop_ref'))"
    for k, lesson in enumerate(lessons):
        cells = _execute(lesson, [source], tmp_path, UID + 1 + k)
        assert "REF None" in cells[0], (lesson, cells[0])
