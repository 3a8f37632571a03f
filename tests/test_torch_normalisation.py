"""Optional cross-check of lesson 07's reference against PyTorch (float64 autograd):
``torch.nn.functional.batch_norm(training=True)`` and ``layer_norm``; skipped without torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backprop_ref import normalisation as norm
from backprop_ref.gradcheck import rel_error

torch = pytest.importorskip("torch")
F = torch.nn.functional

CASES = [
    # (N, D, eps, offset): a batch of two rows, a large offset, a large eps
    (5, 3, 1e-5, 0.0),
    (2, 4, 1e-5, 0.0),
    (8, 3, 1e-5, 1e4),
    (4, 6, 0.5, 0.0),
]


def _case(N: int, D: int, eps: float, offset: float, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "x": offset + rng.standard_normal((N, D)),
        "gamma": rng.standard_normal(D),
        "beta": rng.standard_normal(D),
        "dL_dy": rng.standard_normal((N, D)),
        "eps": eps,
    }


def _torch(c: dict[str, Any], which: str) -> tuple[np.ndarray, ...]:
    """y, dL/dx, dL/dgamma, dL/dbeta by torch autograd on the same float64 arrays."""
    t = {
        k: torch.tensor(c[k], dtype=torch.float64, requires_grad=True)
        for k in ("x", "gamma", "beta")
    }
    if which == "batch":  # training mode: the batch's statistics, biased variance to normalise
        y = F.batch_norm(
            t["x"], None, None, t["gamma"], t["beta"], training=True, momentum=0.0, eps=c["eps"]
        )
    else:
        D = c["x"].shape[1]
        y = F.layer_norm(t["x"], (D,), t["gamma"], t["beta"], eps=c["eps"])
    y.backward(torch.tensor(c["dL_dy"], dtype=torch.float64))
    grads = (t[k].grad.numpy() for k in ("x", "gamma", "beta"))
    return (y.detach().numpy(), *grads)


@pytest.mark.parametrize("which", ["batch", "layer"])
@pytest.mark.parametrize(("N", "D", "eps", "offset"), CASES)
def test_forward_and_backward_match_torch(
    which: str, N: int, D: int, eps: float, offset: float
) -> None:
    c = _case(N, D, eps, offset, seed=N * D)
    forward = norm.batchnorm_forward if which == "batch" else norm.layernorm_forward
    backward = norm.batchnorm_backward if which == "batch" else norm.layernorm_backward
    y, cache = forward(c["x"], c["gamma"], c["beta"], eps)
    ours = (y, *backward(c["dL_dy"], cache))
    theirs = _torch(c, which)
    # an offset of 1e4 costs both sides the digits of x - mu: ~1e-12 of 1e4 on values of ~1
    tol = 1e-7 if offset else 1e-10
    for name, a, b in zip(("y", "dL/dx", "dL/dgamma", "dL/dbeta"), ours, theirs, strict=True):
        assert rel_error(a, b) < tol, (which, name, rel_error(a, b))


def test_staged_backward_and_network_match_torch() -> None:
    c = _case(6, 4, 1e-5, 0.0, seed=3)
    _, cache = norm.batchnorm_forward(c["x"], c["gamma"], c["beta"], c["eps"])
    staged = norm.batchnorm_backward_staged(c["dL_dy"], cache)
    _, dx, dgamma, dbeta = _torch(c, "batch")
    assert rel_error(staged["x"], dx) < 1e-10
    assert rel_error(staged["gamma"], dgamma) < 1e-10 and rel_error(staged["beta"], dbeta) < 1e-10

    rng = np.random.default_rng(4)
    x, labels = rng.standard_normal((7, 3)), rng.integers(0, 4, 7)
    params = {
        "W1": rng.standard_normal((3, 5)),
        "b1": rng.standard_normal(5),
        "gamma": rng.standard_normal(5),
        "beta": rng.standard_normal(5),
        "W2": rng.standard_normal((5, 4)),
        "b2": rng.standard_normal(4),
    }
    L, grads = norm.bn_network(x, labels, params)
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    z = torch.tensor(x) @ t["W1"] + t["b1"]
    a = F.batch_norm(z, None, None, t["gamma"], t["beta"], training=True, eps=1e-5)
    scores = torch.relu(a) @ t["W2"] + t["b2"]
    loss = F.cross_entropy(scores, torch.tensor(labels))
    loss.backward()
    assert abs(L - loss.item()) < 1e-12
    for k, v in t.items():
        if k == "b1":  # zero on both sides, up to rounding: compare absolutely
            assert np.abs(grads[k] - v.grad.numpy()).max() < 1e-14
        else:
            assert rel_error(grads[k], v.grad.numpy()) < 1e-10, k
