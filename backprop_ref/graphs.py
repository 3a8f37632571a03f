"""Tracing computational graphs for pictures.

:func:`trace` reads a graph built by a micrograd-style engine (lesson 6's ``Tensor``, or
:class:`backprop_ref.autodiff.Tensor`): objects with ``data``, ``grad``, ``name``,
``_op``, ``_parents`` and a ``_backward()`` closure that adds into the parents' ``grad``.
It runs the backward pass itself, one closure at a time, recording what each one sends to
each parent, and returns plain data (:class:`Graph`). The drawing, :func:`draw_graph`,
lives in the student kit (:mod:`backprop_kit.graphs`) and is re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_kit.graphs import GRAD_COLOUR, Graph, draw_graph
from backprop_ref._types import Array
from backprop_ref.autodiff import topological_order

__all__ = ["GRAD_COLOUR", "Graph", "draw_graph", "trace"]


def trace(root: Any) -> Graph:
    """Run ``root``'s backward pass closure by closure and record the graph (see module)."""
    nodes: dict[int, Any] = {}
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            todo.extend(node._parents)
    order = [
        nodes[i]
        for i in topological_order(
            {i: [id(p) for p in n._parents] for i, n in nodes.items()}, id(root)
        )
    ]
    index = {id(n): k for k, n in enumerate(order)}
    for node in order:
        node.grad = np.zeros_like(node.data)
    root.grad = np.ones_like(root.data)
    shares: dict[tuple[int, int], Array] = {}
    for node in reversed(order):
        distinct = list(dict.fromkeys(node._parents))
        saved = [p.grad for p in distinct]
        for p in distinct:
            p.grad = np.zeros_like(p.data)
        node._backward()  # adds into the (zeroed) parents' grads: exactly this node's share
        for p, before in zip(distinct, saved, strict=True):
            shares[(index[id(node)], index[id(p)])] = np.array(p.grad, dtype=np.float64)
            p.grad = before + p.grad
    return Graph(
        labels=[str(getattr(n, "name", "") or "") for n in order],
        ops=[str(getattr(n, "_op", "") or "") for n in order],
        parents=[[index[id(p)] for p in n._parents] for n in order],
        values=[np.array(n.data, dtype=np.float64) for n in order],
        grads=[np.array(n.grad, dtype=np.float64) for n in order],
        shares=shares,
    )
