"""The benchmarks still run: each one's pieces on a small case.

Their figures are for ``make benchmark`` on a quiet machine, never asserted here (speed
goals are not unit tests); this only keeps them from rotting unnoticed, as bench_grading
once did when a helper it called changed its signature.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``benchmarks/<name>.py`` as its own command line would (no arguments); the
    thread variables it sets on import are put back after the test."""
    monkeypatch.setattr(sys, "argv", [f"{name}.py"])
    for var in THREAD_VARIABLES:
        monkeypatch.setenv(var, "1")
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_mlp_step_trains(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load("bench_mlp", monkeypatch)
    step, net, x, _ = bench.ours(8, np.float64)
    step()
    assert bench.step_flops(8) > 0
    assert np.isfinite(net.forward(x)).all()


def test_bench_conv_step_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load("bench_conv", monkeypatch)
    dx, dW, db = bench.ours(*bench.layer(np.float32))()
    assert dx.shape == (bench.N, bench.C, bench.H, bench.W) and db.shape == (bench.F,)
    assert dW.shape == (bench.F, bench.C, bench.K, bench.K)


@pytest.mark.slow
def test_bench_gradcheck_runs_one_seed() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_gradcheck.py"), "--seeds", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "false alarms" in run.stdout.lower(), run.stdout


@pytest.mark.slow
def test_bench_grading_prepares_its_submissions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bench = load("bench_grading", monkeypatch)
    course = bench.prepared(tmp_path / "course", ["01_jacobians"])
    submitted = sorted(course.path("submitted").glob("*/01_jacobians/01_jacobians.ipynb"))
    assert len(submitted) == bench.PER_LESSON
