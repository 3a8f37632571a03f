"""Lesson 06_autodiff, reference side: the lesson's two networks built with the reference
engine, mistaken engines (how a student's ``backward()`` goes wrong), and the directional
slopes of the reference loss that the finite-difference stage compares with.

A mistaken engine is simulated on the reference graph, one backward rule at a time: each
rule's share for each parent is measured (parents' gradients zeroed, the rule run, read
back), then *added* (right) or *assigned* (the ``=`` instead of ``+=`` mistake), in the
order the mistaken engine would visit the nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from backprop_ref._types import Array, IntArray
from backprop_ref.autodiff import Tensor
from backprop_ref.losses import softmax_cross_entropy

Params = Mapping[str, Array]
#: How a mistaken ``backward()`` orders the nodes it visits.
ORDERS = ("reverse topological", "creation (forward)", "breadth-first", "no visited set")


def residual(x: Array, params: Params, labels: IntArray) -> tuple[Tensor, dict[str, Tensor]]:
    """``h = relu(x W1 + b1)``, ``y = h W2 + b2 + h``, ``L = cross_entropy(y)``: (L, leaves)."""
    t = {name: Tensor(v, name=name) for name, v in params.items()}
    t["x"] = Tensor(x, name="x")
    h = (t["x"] @ t["W1"] + t["b1"]).relu()
    return (h @ t["W2"] + t["b2"] + h).cross_entropy(labels), t


def network(
    x: Array, params: Params, labels: IntArray, *, relu: str = "between"
) -> tuple[Tensor, dict[str, Tensor]]:
    """Lesson 5's network (``relu="between"``), or with a ReLU after every layer
    (``"everywhere"``) or none (``"nowhere"``): (L, leaves)."""
    K = len(params) // 2
    t = {name: Tensor(v, name=name) for name, v in params.items()}
    h = Tensor(x, name="x")
    for k in range(1, K + 1):
        h = h @ t[f"W{k}"] + t[f"b{k}"]
        if relu == "everywhere" or (relu == "between" and k < K):
            h = h.relu()
    return h.cross_entropy(labels), t


def _visits(root: Tensor, order: str) -> list[Tensor]:
    graph = root.graph()  # every node once, parents first
    if order == "reverse topological":
        return graph[::-1]
    if order == "creation (forward)":
        return graph
    if order == "breadth-first":
        seen, queue = [root], [root]
        while queue:
            for p in queue.pop(0)._parents:
                if all(p is not s for s in seen):
                    seen.append(p)
                    queue.append(p)
        return seen
    post: list[Tensor] = []  # "no visited set": a node is listed once per path to it

    def visit(t: Tensor) -> None:
        for p in t._parents:
            visit(p)
        post.append(t)

    visit(root)
    return post[::-1]


def mistaken_backward(
    root: Tensor, *, order: str = "reverse topological", accumulate: bool = True
) -> None:
    """Fill the gradients of ``root``'s graph as a mistaken engine would (see module)."""
    for t in root.graph():
        t.grad = np.zeros_like(t.data)
    root.grad = np.ones_like(root.data)
    for node in _visits(root, order):
        distinct = list({id(p): p for p in node._parents}.values())
        saved = [p.grad for p in distinct]
        for p in distinct:
            p.grad = np.zeros_like(p.data)
        node._backward()  # adds this node's share into each (zeroed) parent
        for p, before in zip(distinct, saved, strict=True):
            p.grad = before + p.grad if accumulate else p.grad


def grads_of(
    build: Callable[[], tuple[Tensor, dict[str, Tensor]]], names: list[str], **mistake: Any
) -> dict[str, Array]:
    """Build a graph, run a (mistaken) backward pass, return the named leaves' gradients."""
    L, leaves = build()
    mistaken_backward(L, **mistake)
    return {name: np.array(leaves[name].grad) for name in names}


def _residual_loss(point: Mapping[str, Array], labels: IntArray) -> float:
    h = np.maximum(point["x"] @ point["W1"] + point["b1"], 0)
    return softmax_cross_entropy(h @ point["W2"] + point["b2"] + h, labels)[0]


def _network_loss(x: Array, labels: IntArray) -> Callable[[Mapping[str, Array]], float]:
    def loss(point: Mapping[str, Array]) -> float:
        K = len(point) // 2
        h = x
        for k in range(1, K + 1):
            h = h @ point[f"W{k}"] + point[f"b{k}"]
            if k < K:
                h = np.maximum(h, 0)
        return softmax_cross_entropy(h, labels)[0]

    return loss


def slopes(
    loss: Callable[[Mapping[str, Array]], float],
    point: Mapping[str, Array],
    truth: Mapping[str, Array],
    *,
    directions: int = 3,
    h: float = 1e-5,
) -> dict[str, Any]:
    """Central-difference slopes of ``loss`` at ``point`` along seeded random unit
    directions (over all the named arrays at once), and the tolerance on a gap."""
    rng = np.random.default_rng(6)
    out: dict[str, Any] = {"directions": [], "slopes": []}
    for _ in range(directions):
        u = {k: rng.standard_normal(v.shape) for k, v in point.items()}
        norm = float(np.sqrt(sum(np.sum(a * a) for a in u.values())))
        u = {k: a / norm for k, a in u.items()}
        up = loss({k: point[k] + h * u[k] for k in point})
        down = loss({k: point[k] - h * u[k] for k in point})
        out["directions"].append(u)
        out["slopes"].append((up - down) / (2 * h))
    g_norm = float(np.sqrt(sum(np.sum(g * g) for g in truth.values())))
    out["tolerance"] = 1e-6 * max(1.0, g_norm, *(abs(s) for s in out["slopes"]))
    return out


def residual_slopes(x: Array, params: Params, labels: IntArray, truth: Params) -> dict[str, Any]:
    point = {"x": x, **params}
    return slopes(lambda p: _residual_loss(p, labels), point, truth)


def network_slopes(x: Array, params: Params, labels: IntArray, truth: Params) -> dict[str, Any]:
    return slopes(_network_loss(x, labels), dict(params), truth)
