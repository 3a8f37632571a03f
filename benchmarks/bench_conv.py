"""Time the reference convolution's forward+backward against PyTorch's on a CIFAR-10 layer.

The layer: N=64 images of C=32 channels, 32x32, F=64 filters of 3x3, stride 1, padding 1
(the second layer of a small CIFAR-10 network). One step is the forward pass and the
backward pass to dL/dx, dL/dW and dL/db, given dL/dy:

- ours: ``backprop_ref.convolution.conv_forward`` then ``conv_backward``. Each pass is
  im2col (KH*KW strided copies of the image into a (N, C*KH*KW, H_out*W_out) array) and
  one batched matrix product: ``W2 @ cols`` forward, ``dL/dy @ cols^T`` for dL/dW and
  ``W2^T @ dL/dy`` for the columns' gradient, which col2im adds back onto the image
  (KH*KW strided adds). The three products do the arithmetic (3 x 2 N F C KH KW H_out W_out
  FLOP); the copies move C*KH*KW*H_out*W_out numbers per image each way.
- torch: ``torch.nn.functional.conv2d`` with ``requires_grad`` on x, W and b, then
  ``backward(dL/dy)`` (on the CPU that is oneDNN's or PyTorch's own convolution kernels).

Printed per dtype (float32, float64): the median time of each over several rounds after
warm-up, timed in alternation so that the machine's load affects both alike; the ratio
ours / torch (goal <= 2); and ours as a fraction of this machine's matrix-multiply rate.

Threads: numpy's BLAS and torch use the same count, from ``--threads`` or else the
environment's ``OPENBLAS_NUM_THREADS`` (the Makefile sets 1), default 1. Run it with any
Python that has numpy (and torch, for the ratio): ``python benchmarks/bench_conv.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

N, C, H, W, F, K, STRIDE, PAD = 64, 32, 32, 32, 64, 3, 1, 1
GOAL = 2.0


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--budget", type=float, default=3.0, help="seconds of timing per dtype")
    return parser.parse_args()


ARGS = _args()
THREADS = ARGS.threads or int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)  # before numpy (or torch) is imported

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backprop_ref.convolution import conv_backward, conv_forward  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def median_seconds(*fns: Callable[[], Any], budget: float, warmup: int = 2) -> list[float]:
    """Median wall time of each ``fn()``, timed in alternation; enough rounds (at least 7)
    to fill ``budget`` seconds."""
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
    """FLOP/s of one large product of ``dtype`` of the layer's own kind: (F, C*K*K) @
    (C*K*K, H*W) for every image, as one batched ``np.matmul``."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((F, C * K * K)).astype(dtype)
    B = rng.standard_normal((N, C * K * K, H * W)).astype(dtype)
    out = np.empty((N, F, H * W), dtype=dtype)
    seconds = median_seconds(lambda: np.matmul(A, B, out=out), budget=1.0)[0]
    return 2 * N * F * C * K * K * H * W / seconds


def layer(dtype: type) -> tuple[Any, Any, Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    Wt = (rng.standard_normal((F, C, K, K)) / np.sqrt(C * K * K)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    dL_dy = rng.standard_normal((N, F, H, W)).astype(dtype)  # stride 1, pad 1: same size
    return x, Wt, b, dL_dy


def ours(x: Any, Wt: Any, b: Any, dL_dy: Any) -> Callable[[], Any]:
    def step() -> Any:
        conv_forward(x, Wt, b, STRIDE, PAD)
        return conv_backward(dL_dy, x, Wt, STRIDE, PAD)

    return step


def twin(x: Any, Wt: Any, b: Any, dL_dy: Any) -> Callable[[], Any]:
    """The same step in PyTorch, on the same arrays (shared memory, no copies)."""
    assert torch is not None
    t = {k: torch.from_numpy(v).requires_grad_(True) for k, v in (("x", x), ("W", Wt), ("b", b))}
    dyt = torch.from_numpy(dL_dy)

    def step() -> Any:
        for v in t.values():
            v.grad = None
        y = torch.nn.functional.conv2d(t["x"], t["W"], t["b"], stride=STRIDE, padding=PAD)
        y.backward(dyt)
        return t["x"].grad, t["W"].grad, t["b"].grad

    return step


def agree(x: Any, Wt: Any, b: Any, dL_dy: Any) -> float:
    """The largest relative difference between our gradients and torch's (a sanity check
    that both do the same work)."""
    mine = ours(x, Wt, b, dL_dy)()
    theirs = [g.numpy() for g in twin(x, Wt, b, dL_dy)()]
    return max(
        float(np.abs(a - c).max() / np.abs(c).max()) for a, c in zip(mine, theirs, strict=True)
    )


def main() -> None:
    print(
        f"layer: x ({N}, {C}, {H}, {W}), W ({F}, {C}, {K}, {K}), stride {STRIDE}, pad {PAD}; "
        f"forward + backward"
    )
    if torch is not None:
        torch.set_num_threads(THREADS)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    else:
        print("torch is not installed: skipping the ratio ours / torch")
    print(f"numpy {np.__version__}, BLAS threads {THREADS}; load average {os.getloadavg()[0]:.1f}")
    flops = 3 * 2 * N * F * C * K * K * H * W  # three products of the layer's size
    print(
        f"{'dtype':>8} {'ours ms':>9} {'torch ms':>9} {'ratio':>6} {'of matmul':>10} {'agree':>8}"
    )
    ratios = []
    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        peak = matmul_rate(dtype)
        arrays = layer(dtype)
        if torch is not None:
            t_ours, t_torch = median_seconds(ours(*arrays), twin(*arrays), budget=ARGS.budget)
            ratios.append(t_ours / t_torch)
            torch_cols = f"{t_torch * 1e3:>9.1f} {t_ours / t_torch:>6.2f}"
            close = f"{agree(*arrays):>8.1g}"
        else:
            (t_ours,) = median_seconds(ours(*arrays), budget=ARGS.budget)
            torch_cols, close = f"{'-':>9} {'-':>6}", f"{'-':>8}"
        frac = flops / t_ours / peak
        print(f"{name:>8} {t_ours * 1e3:>9.1f} {torch_cols} {frac:>10.0%} {close}")
    if ratios:
        met = "met" if max(ratios) <= GOAL else "NOT met"
        print(f"goal ratio <= {GOAL:g} (ours within {GOAL:g}x of PyTorch's time): {met}")


if __name__ == "__main__":
    main()
