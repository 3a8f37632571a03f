"""check_gradient against plain entry-by-entry checking on an MNIST-size network.

The network is 784-128-10 (ReLU, softmax cross-entropy, batch 32, float64; 101,770
parameters) at initialisation (He weights, zero biases) on synthetic MNIST-like images
(28 x 28, a few blurred strokes, about a fifth of the pixels non-zero, exact zeros
elsewhere); no download. Each seed draws new images, labels and weights. Printed:

- speed: check_gradient on the correct gradient (median over the seeds) against the plain
  loop, a central difference for every entry. The loop is timed on a random sample of
  entries and extrapolated to all of them (the full loop takes minutes); said so in the
  output. Goal: >= 200x faster.
- detection over 100 seeds: one entry of dW1 (the largest tensor, the hardest case) off by
  1e-3 relative, on an entry with a non-negligible gradient (|g| at least the median of
  the non-zero |dW1|); detected when the check fails and names that entry. Also for an
  entry of a random tensor. Goal: 100%.
- false alarms over 100 seeds on the correct gradient, without and with ``branches``
  (the ReLU mask). Goal: 0.

Threads: BLAS uses ``OPENBLAS_NUM_THREADS`` (the Makefile sets 1), default 1.
Run: ``python benchmarks/bench_gradcheck.py [--seeds 100]`` (about a minute).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy is imported

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backprop_ref.gradcheck import check_gradient  # noqa: E402
from backprop_ref.layers import (  # noqa: E402
    linear_backward,
    linear_forward,
    relu_backward,
    relu_forward,
)
from backprop_ref.losses import softmax_cross_entropy  # noqa: E402

SIZES = (784, 128, 10)
BATCH = 32
SAMPLE = 3000  # entries timed in the plain loop


def images(rng: np.random.Generator, n: int) -> Any:
    """``n`` synthetic 28 x 28 "digits": three blurred random strokes each, in [0, 1]."""
    rows, cols = np.mgrid[0:28, 0:28]
    out = np.zeros((n, 28, 28))
    for k in range(n):
        for _ in range(3):
            (r0, c0), (r1, c1) = rng.uniform(6, 22, size=(2, 2))
            for t in np.linspace(0, 1, 12):  # a stroke: blobs along a segment
                r, c = r0 + t * (r1 - r0), c0 + t * (c1 - c0)
                out[k] += np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / 2.0)
    out = np.clip(out / 3.0, 0, 1)
    out[out < 0.1] = 0.0  # exact zeros, as in MNIST's background
    return out.reshape(n, 784)


class Net:
    """The network at one seed: loss, gradients and ReLU mask, over named parameters."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        D, H, C = SIZES
        self.x = images(rng, BATCH)
        self.labels = rng.integers(0, C, size=BATCH)
        self.params = {
            "W1": rng.standard_normal((D, H)) * np.sqrt(2 / D),
            "b1": np.zeros(H),
            "W2": rng.standard_normal((H, C)) * np.sqrt(2 / H),
            "b2": np.zeros(C),
        }

    def loss(self, W1: Any, b1: Any, W2: Any, b2: Any) -> float:
        a1 = relu_forward(linear_forward(self.x, W1, b1))
        return softmax_cross_entropy(linear_forward(a1, W2, b2), self.labels)[0]

    def mask(self, W1: Any, b1: Any, W2: Any, b2: Any) -> Any:
        return linear_forward(self.x, W1, b1) > 0

    def grads(self) -> dict[str, Any]:
        p = self.params
        z1 = linear_forward(self.x, p["W1"], p["b1"])
        a1 = relu_forward(z1)
        _, ds = softmax_cross_entropy(linear_forward(a1, p["W2"], p["b2"]), self.labels)
        da1, dW2, db2 = linear_backward(ds, a1, p["W2"])  # (N, H), (H, C), (C,)
        _, dW1, db1 = linear_backward(relu_backward(da1, z1), self.x, p["W1"])
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def timed_check(
    net: Net, grads: dict[str, Any], seed: int, branches: Any = None
) -> tuple[Any, float]:
    """check_gradient on the network's parameters, and its wall time."""
    start = time.perf_counter()
    result = check_gradient(net.loss, net.params, grads, seed=seed, branches=branches)
    return result, time.perf_counter() - start


def plain_loop_seconds_per_entry(net: Net, rng: np.random.Generator, h: float = 1e-5) -> float:
    """Time of the straightforward loop (central difference, compare) per entry, from a
    random sample of SAMPLE entries spread over the tensors by size."""
    grads, params = net.grads(), {k: v.copy() for k, v in net.params.items()}
    names = list(params)
    sizes = np.array([params[k].size for k in names])
    picks = rng.choice(len(names), size=SAMPLE, p=sizes / sizes.sum())
    start = time.perf_counter()
    for k in picks:
        name = names[k]
        flat = params[name].reshape(-1)
        i = int(rng.integers(flat.size))
        saved = flat[i]
        flat[i] = saved + h
        plus = net.loss(**params)
        flat[i] = saved - h
        minus = net.loss(**params)
        flat[i] = saved
        n = (plus - minus) / (2 * h)
        g = grads[name].reshape(-1)[i]
        abs(g - n) / max(abs(g), abs(n), 1e-12)  # the comparison, as a student writes it
    return (time.perf_counter() - start) / SAMPLE


def one_entry_off(
    net: Net, rng: np.random.Generator, tensor: str, any_size: bool = False
) -> tuple[Any, tuple[int, ...]]:
    """The gradient with one entry of ``tensor`` off by 1e-3 relative: an entry with
    |g| >= the median of the non-zero |g| (non-negligible), or any non-zero one."""
    grads = net.grads()
    g = grads[tensor].copy()
    magnitude = np.abs(g).reshape(-1)
    least = 0.0 if any_size else np.median(magnitude[magnitude > 0])
    eligible = np.flatnonzero((magnitude >= least) & (magnitude > 0))
    i = int(rng.choice(eligible))
    g.reshape(-1)[i] *= 1 + 1e-3
    grads[tensor] = g
    return grads, tuple(int(k) for k in np.unravel_index(i, g.shape))


@dataclass
class Tally:
    """What the seeds gave."""

    times: list[float] = field(default_factory=list)  # correct gradient
    times_bad: list[float] = field(default_factory=list)  # one wrong entry of dW1
    evaluations: list[int] = field(default_factory=list)
    passed: list[bool] = field(default_factory=list)  # correct gradient, no branches
    passed_branches: list[bool] = field(default_factory=list)
    caught_w1: list[bool] = field(default_factory=list)
    caught_any: list[bool] = field(default_factory=list)
    caught_small: list[bool] = field(default_factory=list)  # any non-zero entry of dW1


def one_seed(seed: int, tally: Tally) -> None:
    net = Net(seed)
    rng = np.random.default_rng(10_000 + seed)
    result, seconds = timed_check(net, net.grads(), seed)
    tally.passed.append(result.passed)
    tally.times.append(seconds)
    tally.evaluations.append(result.evaluations)
    tally.passed_branches.append(timed_check(net, net.grads(), seed, net.mask)[0].passed)
    cases = [
        ("W1", tally.caught_w1, False),
        ("W1 b1 W2 b2".split()[seed % 4], tally.caught_any, False),
        ("W1", tally.caught_small, True),
    ]
    for tensor, record, any_size in cases:
        wrong, index = one_entry_off(net, rng, tensor, any_size)
        result, seconds = timed_check(net, wrong, seed)
        named = [(e.tensor, e.index) for e in result.worst]
        record.append(not result.passed and (tensor, index) in named)
        if record is tally.caught_w1:
            tally.times_bad.append(seconds)


def run(seeds: int) -> None:
    t0 = time.perf_counter()
    D, H, C = SIZES
    total = D * H + H + H * C + C
    print(f"gradcheck benchmark: {D}-{H}-{C} ReLU MLP, softmax CE, batch {BATCH}, float64, "
          f"{total:,} parameters; {seeds} seeds; BLAS threads "
          f"{os.environ['OPENBLAS_NUM_THREADS']}")  # fmt: skip
    per_entry = plain_loop_seconds_per_entry(Net(0), np.random.default_rng(0))
    tally = Tally()
    for seed in range(seeds):
        one_seed(seed, tally)
    report(per_entry, total, tally)
    print(f"(whole run: {time.perf_counter() - t0:.0f} s)")


def report(per_entry: float, total: int, t: Tally) -> None:
    loop = per_entry * total
    fast, slow = statistics.median(t.times), statistics.median(t.times_bad)
    n = len(t.passed)
    print("\nspeed")
    print(f"  plain entry-by-entry loop: {per_entry * 1e3:.3f} ms per entry, timed on "
          f"{SAMPLE:,} random entries and extrapolated to all {total:,}: {loop:.1f} s")  # fmt: skip
    print(f"  check_gradient, correct gradient: median {fast * 1e3:.1f} ms "
          f"({statistics.median(t.evaluations):.0f} evaluations of f)")  # fmt: skip
    print(f"  ratio: {loop / fast:,.0f}x faster (goal >= 200x): {_goal(loop / fast >= 200)}")
    print(f"  check_gradient locating one wrong entry of dW1: median {slow * 1e3:.1f} ms "
          f"({loop / slow:,.0f}x faster than the loop)")  # fmt: skip
    print("\ndetection of one entry off by 1e-3 relative (|g| >= median non-zero |g|)")
    for label, caught in (
        ("in dW1:            ", t.caught_w1),
        ("in a random tensor:", t.caught_any),
    ):
        print(f"  {label} {sum(caught)}/{n} (goal {n}/{n}): {_goal(all(caught))}")
    small = t.caught_small
    print("  any non-zero entry of dW1 (for information; tiny entries are below the floored")
    print(f"    tolerance by design): {sum(small)}/{n}")
    print("\nfalse alarms on the correct gradient")
    for label, ok in (
        ("without branches:", t.passed),
        ("with the ReLU mask as branches:", t.passed_branches),
    ):
        print(f"  {label} {n - sum(ok)}/{n} (goal 0): {_goal(all(ok))}")


def _goal(met: bool) -> str:
    return "met" if met else "NOT MET"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=100)
    run(parser.parse_args().seeds)
