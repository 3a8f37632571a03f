"""Optional cross-check of lesson 6's engine against PyTorch autograd (float64); skipped
without torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backprop_ref import autodiff as ad

torch = pytest.importorskip("torch")


def _leaves(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in arrays.items()}


def _close(ours: dict[str, np.ndarray], theirs: dict[str, Any]) -> None:
    for name, t in theirs.items():
        np.testing.assert_allclose(ours[name], t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("sizes", [[3, 2], [4, 5, 3], [2, 6, 6, 4, 3]])
def test_engine_gradients_match_torch(sizes: list[int]) -> None:
    rng = np.random.default_rng(len(sizes))
    x = rng.standard_normal((7, sizes[0]))
    params = {}
    for k in range(1, len(sizes)):
        params[f"W{k}"] = rng.standard_normal((sizes[k - 1], sizes[k]))
        params[f"b{k}"] = rng.standard_normal(sizes[k])
    labels = rng.integers(0, sizes[-1], size=7)
    t = _leaves(params)
    h = torch.tensor(x)
    K = len(sizes) - 1
    for k in range(1, K + 1):
        h = h @ t[f"W{k}"] + t[f"b{k}"]
        if k < K:
            h = torch.relu(h)
    torch.nn.functional.cross_entropy(h, torch.tensor(labels)).backward()
    _close(ad.engine_gradients(x, params, labels), t)


def test_fan_out_gradient_matches_torch() -> None:
    rng = np.random.default_rng(0)
    point = {"x": rng.standard_normal((5, 3)), "W1": rng.standard_normal((3, 4))}
    point |= {"b1": rng.standard_normal(4), "W2": rng.standard_normal((4, 4))}
    point["b2"] = rng.standard_normal(4)
    labels = rng.integers(0, 4, size=5)
    t = _leaves(point)
    h = torch.relu(t["x"] @ t["W1"] + t["b1"])
    torch.nn.functional.cross_entropy(h @ t["W2"] + t["b2"] + h, torch.tensor(labels)).backward()
    params = {k: v for k, v in point.items() if k != "x"}
    _close(ad.fan_out_gradient(point["x"], params, labels), t)


@pytest.mark.parametrize(
    ("x_shape", "y_shape", "axis"),
    [((4, 3), (3,), None), ((4, 1), (1, 3), 0), ((2, 3, 4), (3, 1), -1), ((), (2, 2), 1)],
)
def test_broadcast_add_and_mean_rules_match_torch(
    x_shape: tuple[int, ...], y_shape: tuple[int, ...], axis: int | None
) -> None:
    rng = np.random.default_rng(1)
    arrays = {"x": rng.standard_normal(x_shape), "y": rng.standard_normal(y_shape)}
    t = _leaves(arrays)
    z = t["x"] + t["y"]
    m = z.mean() if axis is None else z.mean(dim=axis)
    upstream = rng.standard_normal(tuple(m.shape))
    m.backward(torch.tensor(upstream))
    dL_dz = ad.mean_backward(upstream, z.shape, axis)
    dL_dx, dL_dy = ad.add_backward(dL_dz, x_shape, y_shape)
    _close({"x": dL_dx, "y": dL_dy}, t)
