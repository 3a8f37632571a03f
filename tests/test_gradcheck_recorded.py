"""A gradient check against a recorded loss says exactly what the check on the loss says.

The student kit cannot evaluate a loss built from a reference answer, so the reference
records it (``record``) and the kit replays it (``check_recorded``). For smooth losses,
losses with kinks (with and without ``branches``), single arrays and named tensors, and
gradients right, wrong in one entry, scaled, in float32, of the wrong shape, with NaN or
missing: the verdict and the message are those of ``check_gradient`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from backprop_kit import harness
from backprop_kit.gradcheck import check_gradient, check_recorded, record
from backprop_kit.gradcheck.recorded import RecordingIncomplete

RNG = np.random.default_rng(5)
X, W, B = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 2)), RNG.standard_normal(2)
UP = RNG.standard_normal((4, 2))


def linear(x: Any, W: Any, b: Any) -> float:
    return float(np.sum(UP * (x @ W + b)))


def linear_grads() -> dict[str, Any]:
    return {"x": UP @ W.T, "W": X.T @ UP, "b": UP.sum(axis=0)}


def relu_net(x: Any, W: Any, b: Any) -> float:
    return float(np.sum(UP * np.maximum(x @ W + b, 0)))


def relu_branches(x: Any, W: Any, b: Any) -> Any:
    return (x @ W + b) > 0


def relu_grads(x: Any = X, W: Any = W, b: Any = B) -> dict[str, Any]:
    g = UP * ((x @ W + b) > 0)
    return {"x": g @ W.T, "W": x.T @ g, "b": g.sum(axis=0)}


def _variants(right: dict[str, Any]) -> dict[str, Any]:
    one = {k: v.copy() for k, v in right.items()}
    one["W"][1, 0] += 0.3
    return {
        "right": right,
        "one entry wrong": one,
        "twice": {k: 2 * v for k, v in right.items()},
        "float32": {k: v.astype(np.float32) for k, v in right.items()},
        "transposed W": {**right, "W": right["W"].T},
        "NaN": {**right, "b": np.full_like(right["b"], np.nan)},
        "missing b": {k: v for k, v in right.items() if k != "b"},
        "not a dict": right["W"],
    }


CASES: list[tuple[str, Callable[..., float], Any, dict[str, Any]]] = [
    ("linear", linear, None, {"x": X, "W": W, "b": B}),
    ("relu, one-sided rule", relu_net, None, {"x": X, "W": W, "b": B}),
    ("relu with branches", relu_net, relu_branches, {"x": X, "W": W, "b": B}),
]


def _pin_kink(at: dict[str, Any]) -> dict[str, Any]:
    """A pre-activation exactly at 0: the checker must skip, not fail, that entry."""
    pinned = {k: v.copy() for k, v in at.items()}
    z = pinned["x"] @ pinned["W"] + pinned["b"]
    pinned["b"] = pinned["b"] - z[0]  # row 0 sits on every kink
    return pinned


@pytest.mark.parametrize("kink", [False, True], ids=["off kinks", "on a kink"])
@pytest.mark.parametrize(("label", "loss", "branches", "point"), CASES, ids=[c[0] for c in CASES])
def test_recorded_check_says_what_check_gradient_says(
    label: str, loss: Callable[..., float], branches: Any, point: dict[str, Any], kink: bool
) -> None:
    at = _pin_kink(point) if kink else point
    right = linear_grads() if loss is linear else relu_grads(**at)
    recording = harness.loads(harness.dumps(record(loss, at, branches=branches)))  # as shipped
    for name, grads in _variants(right).items():
        direct = check_gradient(loss, at, grads, branches=branches)
        replayed = check_recorded(recording, grads)
        assert (replayed.passed, replayed.message) == (direct.passed, direct.message), name
        assert replayed.worst == direct.worst and replayed.skipped == direct.skipped, name


def test_a_single_array_point() -> None:
    def f(v: Any) -> float:
        return float(np.sum(np.sin(v) * v))

    v = RNG.standard_normal(5)
    right = np.sin(v) + v * np.cos(v)
    recording = record(f, v)
    for grads in (right, right * 1.5, right[:3], {"x": right}):
        direct, replayed = check_gradient(f, v, grads), check_recorded(recording, grads)
        assert (replayed.passed, replayed.message) == (direct.passed, direct.message)


def test_large_tensors_are_refused_and_gaps_are_named() -> None:
    with pytest.raises(ValueError, match="more than 4 entries"):
        record(linear, {"x": X, "W": W, "b": B}, max_entries=4)
    recording = record(linear, {"x": X, "W": W, "b": B})
    del recording["table"]["W/entry/0/1e-05"]
    wrong = {**linear_grads(), "W": linear_grads()["W"] + 1}
    with pytest.raises(RecordingIncomplete, match="W/entry/0"):
        check_recorded(recording, wrong)
    with pytest.raises(ValueError, match="not a recorded loss"):
        check_recorded({"table": {}}, wrong)
