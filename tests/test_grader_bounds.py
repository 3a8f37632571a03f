"""The grader's own memory and time per submission are bounded, whatever the sandbox writes:
the records of an executed notebook, a command's stdout and stderr, and a worker that
would otherwise hang."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from autograder.nbgrader_glue import preprocessors
from autograder.nbgrader_glue.preprocessors import MAX_NOTEBOOK_OUTPUT_BYTES, read_records
from autograder.sandbox.base import Limits, Unsandboxed, read_output

N_CELLS = 10


def record(index: int, text: str = "", error: bool = False) -> bytes:
    outputs: list[dict[str, Any]] = [{"output_type": "stream", "name": "stdout", "text": text}]
    if error:
        outputs.append({"output_type": "error", "ename": "E", "evalue": "v", "traceback": []})
    line = {"index": index, "execution_count": index + 1, "outputs": outputs}
    return json.dumps(line).encode() + b"\n"


class CountingJson:
    """json, counting the documents parsed (to show the work is bounded, not timed)."""

    def __init__(self) -> None:
        self.calls = 0

    def loads(self, data: Any) -> Any:
        self.calls += 1
        return json.loads(data)


def test_a_record_flood_is_parsed_only_up_to_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingJson()
    monkeypatch.setattr(preprocessors, "json", counting)
    honest = b"".join(record(i, "ok") for i in range(N_CELLS))
    flood = record(0, "forged") * 1_000_000  # ~70 MB of records for one cell
    cells, done = read_records(honest + flood + b'{"done": true}\n', N_CELLS)
    assert counting.calls <= 4 * N_CELLS + 16
    assert not done  # what came after the flood was never read
    texts = [c["outputs"][0]["text"] for c in cells["cells"]]
    assert texts == ["forged"] + ["ok"] * (N_CELLS - 1)  # the flood's cell: the student's


def test_huge_records_are_skipped_unparsed(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingJson()
    monkeypatch.setattr(preprocessors, "json", counting)
    huge = record(3, "x" * 5_000_000)
    cells, _ = read_records(record(3, "ok") + huge, N_CELLS, max_record_bytes=600_000)
    assert counting.calls == 1
    assert cells["cells"][3]["outputs"][0]["text"] == "ok"


def test_the_notebooks_outputs_have_a_budget() -> None:
    big = "y" * 200_000
    n = 40
    data = b"".join(record(i, big, error=(i == n - 1)) for i in range(n))
    cells, _ = read_records(data, n)
    kept = sum(len(json.dumps(c["outputs"])) for c in cells["cells"])
    assert kept <= MAX_NOTEBOOK_OUTPUT_BYTES + 250_000
    last = cells["cells"][n - 1]["outputs"]
    assert "output dropped" in last[0]["text"]
    assert last[-1]["output_type"] == "error"  # a failed test still fails
    assert cells["cells"][0]["outputs"][0]["text"] == big  # the first cells keep theirs


def test_records_are_read_up_to_a_limit(tmp_path: Path) -> None:
    path = tmp_path / "cells.jsonl"
    path.write_bytes(b"x" * 5_000_000)
    assert len(read_output(path, 1000, truncate=True)) == 1000
    with pytest.raises(OSError, match="larger than"):
        read_output(path, 1000)


def test_a_command_flooding_its_output_costs_no_memory(tmp_path: Path) -> None:
    flood = (
        "import sys\n"
        "for _ in range(1024):\n"
        "    sys.stdout.buffer.write(b'x' * 2**20)\n"
        "    sys.stderr.buffer.write(b'e' * 2**19)\n"
    )
    (tmp_path / "flood.py").write_text(flood)
    limits = Limits(output_bytes=64 * 1024)
    tracemalloc.start()
    run = Unsandboxed(limits).run([sys.executable, "flood.py"], tmp_path, timeout=120)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(run.stdout) == len(run.stderr) == 64 * 1024
    assert peak < 8 * 1024 * 1024, f"the grader held {peak} bytes"
    assert not run.timed_out


def test_a_worker_that_hangs_ends_itself(tmp_path: Path) -> None:
    """The in-worker watchdog (faulthandler's C thread): a task hanging past its time limit
    ends the process, as a Dask worker would need (a local pool also kills it from outside)."""
    code = (
        "import time\n"
        "from autograder.grading import tasks\n"
        "from autograder.grading.options import Options\n"
        "tasks.WATCHDOG_GRACE = 0\n"
        "tasks._run_task = lambda task: time.sleep(3600)  # the task hangs (injected here)\n"
        "options = Options(task_timeout=1)\n"
        "task = tasks.Task('s', '03_linear_layer', b'', None, b'', None, options=options)\n"
        "tasks.run_task(task)\n"
        "print('finished')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run.returncode == 1 and "finished" not in run.stdout
    assert "Timeout" in run.stderr  # faulthandler's report of where it was stuck
