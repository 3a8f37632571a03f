"""Optional cross-check against PyTorch (float64 autograd); skipped without torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backprop_ref.gradcheck import check_gradient, numerical_gradient, rel_error
from tests.test_gradcheck_corpus import make_net

torch = pytest.importorskip("torch")


def _torch_grads(net: Any) -> dict[str, np.ndarray]:
    """The MLP's gradients by torch autograd in float64, from the same arrays."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.point.items()}
    scores = torch.relu(t["x"] @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(net.labels))
    loss.backward()
    return {k: v.grad.numpy() for k, v in t.items()}


@pytest.mark.parametrize("seed", range(5))
def test_torch_gradients_pass_and_match_ours(seed: int) -> None:
    net = make_net(seed)
    theirs = _torch_grads(net)
    assert check_gradient(net.loss, net.point, theirs, seed=seed).passed
    ours = net.grads()
    for k in theirs:
        assert rel_error(ours[k], theirs[k]) < 1e-12


def test_numerical_gradient_matches_torch() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4))
    tx = torch.tensor(x, requires_grad=True)
    (torch.logsumexp(tx, dim=1).sum() + (tx**3).sum()).backward()

    def f(v: Any) -> float:
        m = v.max(axis=1, keepdims=True)
        return float((m[:, 0] + np.log(np.exp(v - m).sum(axis=1))).sum() + (v**3).sum())

    assert rel_error(numerical_gradient(f, x), tx.grad.numpy()) < 1e-7
