"""Negative corpus: realistic wrong gradients of a 2-layer ReLU MLP with softmax
cross-entropy. ``check_gradient`` must reject every one, and ``diagnose`` must name the
cause the corpus gives (when it gives one).

The network (``Net``) is built here from ``backprop_ref.layers`` and ``losses``; the other
gradcheck tests import it from this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from backprop_ref.gradcheck import check_gradient, diagnose
from backprop_ref.layers import linear_backward, linear_forward, relu_backward, relu_forward
from backprop_ref.losses import softmax, softmax_cross_entropy

Grads = dict[str, Any]


@dataclass
class Net:
    """``L(x, W1, b1, W2, b2) = CE(softmax(relu(x W1 + b1) W2 + b2), labels)``, mean over N."""

    point: dict[str, np.ndarray]  # x, W1, b1, W2, b2
    labels: np.ndarray

    def loss(self, x: Any, W1: Any, b1: Any, W2: Any, b2: Any) -> float:
        a1 = relu_forward(linear_forward(x, W1, b1))
        return softmax_cross_entropy(linear_forward(a1, W2, b2), self.labels)[0]

    def branches(self, x: Any, W1: Any, b1: Any, W2: Any, b2: Any) -> np.ndarray:
        return linear_forward(x, W1, b1) > 0  # the ReLU mask decides the branch

    def cache(self) -> dict[str, Any]:
        """Everything the backward pass uses: z1, a1, ds (dL/dscores), da1, dz1."""
        p = self.point
        z1 = linear_forward(p["x"], p["W1"], p["b1"])
        a1 = relu_forward(z1)
        _, ds = softmax_cross_entropy(linear_forward(a1, p["W2"], p["b2"]), self.labels)
        da1 = ds @ p["W2"].T
        return {"z1": z1, "a1": a1, "ds": ds, "da1": da1, "dz1": relu_backward(da1, z1)}

    def grads(self, dz1: Any = None, ds: Any = None) -> Grads:
        """The true gradients, or those of a backward pass fed a wrong ``dz1`` or ``ds``."""
        p, c = self.point, self.cache()
        ds = c["ds"] if ds is None else ds
        da1, dW2, db2 = linear_backward(ds, c["a1"], p["W2"])
        dz1 = relu_backward(da1, c["z1"]) if dz1 is None else dz1
        dx, dW1, db1 = linear_backward(dz1, p["x"], p["W1"])
        return {"x": dx, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    @property
    def N(self) -> int:
        return int(self.point["x"].shape[0])


def make_net(seed: int, N: int = 8, D: int = 6, H: int = 6, C: int = 4, bias: float = 0.5) -> Net:
    """A small random network, W1 square by default; biases ~ bias * Normal(0, 1)."""
    rng = np.random.default_rng(seed)
    point = {
        "x": rng.standard_normal((N, D)),
        "W1": rng.standard_normal((D, H)) * np.sqrt(2 / D),
        "b1": bias * rng.standard_normal(H),
        "W2": rng.standard_normal((H, C)) * np.sqrt(2 / H),
        "b2": bias * rng.standard_normal(C),
    }
    return Net(point, rng.integers(0, C, size=N))


# ----------------------------------------------------------------------- the corpus


def _replace(g: Grads, **changes: Any) -> Grads:
    return {**g, **changes}


def _one_entry(net: Net, g: Grads) -> Grads:
    W = g["W1"].copy()
    W.flat[np.argmax(np.abs(W))] *= 1 + 1e-3  # the largest entry, off by 1e-3 relative
    return _replace(g, W1=W)


def _row(net: Net, g: Grads) -> Grads:
    W = g["W1"].copy()
    W[3] = net.point["x"][:, 2] @ net.cache()["dz1"]  # row 3 built from input column 2
    return _replace(g, W1=W)


def _column_zeroed(net: Net, g: Grads) -> Grads:
    W = g["W2"].copy()
    W[:, 1] = 0.0
    return _replace(g, W2=W)


def _nan(net: Net, g: Grads) -> Grads:
    W = g["W1"].copy()
    W[0, 0] = np.nan
    return _replace(g, W1=W)


def _without_mask(net: Net, g: Grads) -> Grads:
    return net.grads(dz1=net.cache()["da1"])


def _mask_from_gradient(net: Net, g: Grads) -> Grads:
    da1 = net.cache()["da1"]
    return net.grads(dz1=da1 * (da1 > 0))  # masked where dL/da > 0, not where z > 0


def _no_onehot(net: Net, g: Grads) -> Grads:
    p = net.point
    a1 = net.cache()["a1"]
    return net.grads(ds=softmax(a1 @ p["W2"] + p["b2"]) / net.N)  # forgot "- onehot"


def _dx_wrong_W(net: Net, g: Grads) -> Grads:
    return _replace(g, x=net.cache()["dz1"] @ net.point["W1"])  # should be @ W1.T


def _dW2_from_z1(net: Net, g: Grads) -> Grads:
    c = net.cache()
    return _replace(g, W2=c["z1"].T @ c["ds"])  # should be a1.T @ ds


def _db2_averaged(net: Net, g: Grads) -> Grads:
    return _replace(g, b2=net.cache()["ds"].mean(axis=0))  # ds already carries 1/N


Mutation = Callable[[Net, Grads], Grads]

#: (name, mutation, the tensor diagnose looks at, the cause it must name or None).
CORPUS: list[tuple[str, Mutation, str, str | None]] = [
    ("dW1 transposed (square W1)", lambda n, g: _replace(g, W1=g["W1"].T), "W1", "transposed"),
    ("dW2 transposed (wrong shape)", lambda n, g: _replace(g, W2=g["W2"].T), "W2", "transposed"),
    ("missing 1/N", lambda n, g: {k: v * n.N for k, v in g.items()}, "W2", "factor"),
    ("missing ReLU mask", _without_mask, "W1", "mistake"),
    ("sign error in dW2", lambda n, g: _replace(g, W2=-g["W2"]), "W2", "factor"),
    ("row 3 of dW1 from the wrong input column", _row, "W1", "rows"),
    ("one entry of dW1 off by 1e-3 relative", _one_entry, "W1", "entries"),
    ("dW2 doubled", lambda n, g: _replace(g, W2=2 * g["W2"]), "W2", "factor"),
    ("db1 not summed over the batch", lambda n, g: _replace(g, b1=n.cache()["dz1"]), "b1", "shape"),
    ("dx from the wrong W (W1, not W1.T)", _dx_wrong_W, "x", None),
    ("dW2 from the pre-activation z1", _dW2_from_z1, "W2", None),
    ("a column of dW2 zeroed", _column_zeroed, "W2", "columns"),
    ("dW1 divided by N twice", lambda n, g: _replace(g, W1=g["W1"] / n.N), "W1", "factor"),
    ("db2 averaged, not summed", _db2_averaged, "b2", "factor"),
    ("softmax gradient without the one-hot", _no_onehot, "W2", None),  # may name label columns
    ("mask from dL/da > 0 instead of z > 0", _mask_from_gradient, "W1", None),
    ("db1 left at zero", lambda n, g: _replace(g, b1=np.zeros_like(g["b1"])), "b1", "factor"),
    ("NaN in dW1", _nan, "W1", "nan"),
    ("dx not returned", lambda n, g: _replace(g, x=None), "x", "none"),
]  # fmt: skip


def known_mistakes(net: Net, tensor: str) -> dict[str, np.ndarray]:
    """The wrong derivations a spec would list for ``tensor``."""
    if tensor != "W1":
        return {}
    no_mask = net.point["x"].T @ net.cache()["da1"]
    return {"the gradient without the ReLU mask (dL_da passed through unchanged)": no_mask}


IDS = [c[0] for c in CORPUS]


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 12
    assert len({c[0] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("name", "mutate", "tensor", "cause"), CORPUS, ids=IDS)
def test_check_gradient_rejects(
    name: str, mutate: Mutation, tensor: str, cause: str | None, seed: int
) -> None:
    net = make_net(seed)
    wrong = mutate(net, net.grads())
    result = check_gradient(net.loss, net.point, wrong, seed=seed, branches=net.branches)
    assert not result.passed, f"{name}: accepted\n{result}"
    assert f"d{tensor}" in result.message  # the message names the wrong tensor
    # without branches (the one-sided rule) the verdict is the same
    assert not check_gradient(net.loss, net.point, wrong, seed=seed).passed


@pytest.mark.parametrize(("name", "mutate", "tensor", "cause"), CORPUS, ids=IDS)
def test_diagnose_names_the_cause(
    name: str, mutate: Mutation, tensor: str, cause: str | None
) -> None:
    net = make_net(0)
    truth = net.grads()
    found = diagnose(
        mutate(net, truth)[tensor],
        truth[tensor],
        name=f"dL_d{tensor}",
        batch_size=net.N,
        mistakes=known_mistakes(net, tensor),
    )
    assert not found.ok
    assert found.message.startswith(f"dL_d{tensor}")
    if cause is not None:
        assert found.cause == cause, found.message


def test_the_correct_gradients_pass_at_the_corpus_points() -> None:
    for seed in range(3):
        net = make_net(seed)
        result = check_gradient(net.loss, net.point, net.grads(), seed=seed)
        assert result.passed, result
        found = diagnose(net.grads()["W1"], net.grads()["W1"], mistakes=known_mistakes(net, "W1"))
        assert found.ok and found.cause == "ok"
