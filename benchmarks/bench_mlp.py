"""Time one training step of a ``Sequential`` MLP against PyTorch and against matmul.

The step is forward, softmax cross-entropy and backward down to ``dL/dx^0`` (the course's
recursion computes every ``dL/dx^l``; the PyTorch twin is given an input that requires a
gradient so both do the same work) for widths 784-256-256-10, batch sizes 64, 256 and
1024, in float32 and float64. Printed per row:

- ours and torch: the median time of one step over several repetitions after warm-up;
- ratio: ours / torch (goal <= 1.0), when torch is importable;
- of matmul: the step's matrix-multiply FLOP rate (6 N M_in M_out per linear layer: forward,
  dL/dW and dL/dx) as a fraction of this machine's rate for one large ``x @ W`` of the same
  dtype, measured in the same run (goal >= 85% at batch 1024).

Threads: numpy's BLAS and torch use the same count, from ``--threads`` or else the
environment's ``OPENBLAS_NUM_THREADS`` (the Makefile sets 1), default 1. Run it with any
Python that has numpy (and torch, for the ratio): ``python benchmarks/bench_mlp.py``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WIDTHS = (784, 256, 256, 10)
BATCHES = (64, 256, 1024)


def _threads() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=None)
    given = parser.parse_args().threads
    return given or int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))


THREADS = _threads()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)  # before numpy (or torch) is imported

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backprop_ref.losses import softmax_cross_entropy  # noqa: E402
from backprop_ref.modules import Linear, ReLU, Sequential  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def median_seconds(*fns: Callable[[], Any], budget: float = 1.0, warmup: int = 3) -> list[float]:
    """Median wall time of each ``fn()``, timed in alternation so that a change in the
    machine's load affects every function alike; enough rounds to fill ``budget`` seconds."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    start = time.perf_counter()
    for fn in fns:
        fn()
    rounds = max(7, int(budget / max(time.perf_counter() - start, 1e-6)))
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for fn, t in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def matmul_rate(dtype: type) -> float:
    """FLOP/s of one large ``x @ W`` of ``dtype``: (2048, 1024) @ (1024, 1024)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2048, 1024)).astype(dtype)
    W = rng.standard_normal((1024, 1024)).astype(dtype)
    out = np.empty((2048, 1024), dtype=dtype)
    return 2 * 2048 * 1024 * 1024 / median_seconds(lambda: np.matmul(x, W, out=out))[0]


def step_flops(N: int) -> int:
    return sum(6 * N * a * b for a, b in itertools.pairwise(WIDTHS))


def ours(N: int, dtype: type) -> tuple[Callable[[], Any], Sequential, Any, Any]:
    rng = np.random.default_rng(0)
    layers: list[Any] = []
    for i, (a, b) in enumerate(itertools.pairwise(WIDTHS)):
        layers += [Linear(a, b, rng=i, dtype=dtype)] + ([ReLU()] if b != WIDTHS[-1] else [])
    net = Sequential(*layers)
    x = rng.standard_normal((N, WIDTHS[0])).astype(dtype)
    labels = rng.integers(0, WIDTHS[-1], N)

    def step() -> None:
        _, dL_dy = softmax_cross_entropy(net.forward(x), labels)
        net.backward(dL_dy)

    return step, net, x, labels


def twin(net: Sequential, x: Any, labels: Any) -> Callable[[], Any]:
    """The same model in PyTorch, from the same weights."""
    assert torch is not None
    mods: list[Any] = []
    for layer in net.layers:
        if isinstance(layer, Linear):
            lin = torch.nn.Linear(*layer.params["W"].shape, dtype=torch.from_numpy(x).dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.params["W"].T))
                lin.bias.copy_(torch.from_numpy(layer.params["b"]))
            mods.append(lin)
        else:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    xt = torch.from_numpy(x).requires_grad_(True)
    lt = torch.from_numpy(labels)

    def step() -> None:
        model.zero_grad(set_to_none=True)
        xt.grad = None
        torch.nn.functional.cross_entropy(model(xt), lt).backward()

    return step


def main() -> None:
    if torch is not None:
        torch.set_num_threads(THREADS)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    else:
        print("torch is not installed: skipping the ratio ours / torch")
    print(f"numpy {np.__version__}, BLAS threads {THREADS}; widths {'-'.join(map(str, WIDTHS))}")
    print(
        f"{'dtype':>8} {'batch':>6} {'ours ms':>9} {'torch ms':>9} {'ratio':>6} {'of matmul':>10}"
    )
    ratios, fractions = [], []
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        peak = matmul_rate(dtype)
        print(f"{name:>8} matmul (2048x1024 @ 1024x1024): {peak / 1e9:.1f} GFLOP/s")
        for N in BATCHES:
            step, net, x, labels = ours(N, dtype)
            if torch is not None:
                t_ours, t_torch = median_seconds(step, twin(net, x, labels))
                ratios.append(t_ours / t_torch)
                torch_cols = f"{t_torch * 1e3:>9.3f} {t_ours / t_torch:>6.2f}"
            else:
                (t_ours,) = median_seconds(step)
                torch_cols = f"{'-':>9} {'-':>6}"
            frac = step_flops(N) / t_ours / peak
            if N == max(BATCHES):
                fractions.append(frac)
            print(f"{name:>8} {N:>6} {t_ours * 1e3:>9.3f} {torch_cols} {frac:>10.0%}")
    if ratios:
        print(f"goal ratio <= 1.0 at every size: {'met' if max(ratios) <= 1 else 'NOT met'}")
    print(
        f"goal >= 85% of matmul at batch {max(BATCHES)}: "
        f"{'met' if min(fractions) >= 0.85 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
