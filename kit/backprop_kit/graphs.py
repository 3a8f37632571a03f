"""Pictures of computational graphs: forward values and backward gradients on one figure.

A :class:`Graph` is plain data: per node its name, operation, parents, forward value and
gradient, and per arrow the share of the gradient that travelled back along it. Lessons
build one by hand (lesson 5's network, one scalar per node) or trace it from an engine
(lesson 6).

:func:`trace` reads a graph built by a micrograd-style engine (lesson 6's ``Tensor``):
objects with ``data``, ``grad``, ``name``, ``_op``, ``_parents`` and a ``_backward()``
closure that adds into the parents' ``grad``. It visits the nodes in the order given by a
``topological_order(parents, root)`` function, the student's own from lesson 6 (the kit
holds no graded answer: it sorts nothing itself), runs the backward pass one closure at a
time, records what each one sends to each parent, and returns plain data.

:func:`draw_graph` lays a graph out from the inputs (left) to the loss (right) with
matplotlib only (no graphviz), in the course style (:mod:`backprop_kit.plots`): boxes with
each value and its gradient, grey arrows for the forward pass, and on each arrow, in
vermillion, the share of the gradient that came back along it. A value that feeds several
operations gets a vermillion box: its gradient is the sum of the shares that meet there.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop_kit._types import Array
from backprop_kit.plots import GREY, PALETTE, course_style

#: Colour of gradients in the pictures (vermillion: readable on light and dark themes).
GRAD_COLOUR = PALETTE[4]
#: ``topological_order(parents, root)``: every node ``root`` depends on, parents first.
OrderFn = Callable[[dict[str, list[str]], str], Sequence[Hashable]]


@dataclass(frozen=True)
class Graph:
    """A traced graph, nodes in topological order (the root last).

    Attributes
    ----------
    labels, ops : per node, its name (or "") and its operation ("" for a leaf)
    parents : per node, the indices of its parents
    values, grads : per node, its forward value and dL/d(node)
    shares : (child, parent) -> what the child's backward rule added to the parent's grad
    """

    labels: list[str]
    ops: list[str]
    parents: list[list[int]]
    values: list[Array]
    grads: list[Array]
    shares: dict[tuple[int, int], Array]

    @property
    def children(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.labels]
        for child, ps in enumerate(self.parents):
            for p in dict.fromkeys(ps):
                out[p].append(child)
        return out


def trace(root: Any, topological_order: OrderFn) -> Graph:
    """Run ``root``'s backward pass closure by closure and record the graph (see module).

    Parameters
    ----------
    root : the loss, a tensor of the engine
    topological_order : ``topological_order(parents, root)`` (lesson 6's exercise): called
        with the graph as a dict of parent lists (node names ``"n0"``, ``"n1"``, ...) and
        the root's name; it must list every node the root depends on, parents first

    Returns
    -------
    Graph, its nodes in that order (the root last)
    """
    nodes: list[Any] = []
    names: dict[int, str] = {}
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) not in names:
            names[id(node)] = f"n{len(nodes)}"
            nodes.append(node)
            todo.extend(node._parents)
    by_name = {names[id(n)]: n for n in nodes}
    parents = {names[id(n)]: [names[id(p)] for p in n._parents] for n in nodes}
    listed = list(topological_order({k: list(v) for k, v in parents.items()}, names[id(root)]))
    position = {name: k for k, name in enumerate(listed)}
    if sorted(map(str, listed)) != sorted(parents) or any(
        position[p] > position[c] for c in parents for p in parents[c]
    ):
        raise ValueError(
            "trace needs a topological_order that lists every node the root depends on once, "
            "each after its parents: run the tests of topological_order first."
        )
    order = [by_name[str(name)] for name in listed]
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


def _fmt(a: Array) -> str:
    if a.size == 1:
        return f"{float(a.reshape(-1)[0]):.3g}"
    return f"{a.shape[0]}x{a.shape[1]}" if a.ndim == 2 else f"shape {a.shape}"


def _layout(graph: Graph) -> list[tuple[float, float]]:
    """Columns by depth (an operation one right of its deepest parent; a leaf just left of
    its first consumer); in each column, rows ordered by the mean row of each node's
    neighbours (two sweeps), so that few arrows cross."""
    n = len(graph.labels)
    depth = [0] * n
    for k in range(n):  # topological order: parents first
        if graph.parents[k]:
            depth[k] = 1 + max(depth[p] for p in graph.parents[k])
    children = graph.children
    for k in range(n):
        if not graph.parents[k] and children[k]:
            depth[k] = min(depth[c] for c in children[k]) - 1
    columns: dict[int, list[int]] = {}
    for k in range(n):
        columns.setdefault(depth[k], []).append(k)
    row = [0.0] * n
    for sweep in range(3):
        for members in columns.values():
            if sweep:
                members.sort(key=lambda k: _mean_row(row, graph.parents[k] + children[k], row[k]))
            for r, k in enumerate(members):
                row[k] = (len(members) - 1) / 2 - r
    return [(float(depth[k]), row[k]) for k in range(n)]


def _mean_row(row: list[float], neighbours: list[int], default: float) -> float:
    return -sum(row[j] for j in neighbours) / len(neighbours) if neighbours else -default


def draw_graph(graph: Graph, *, ax: Any = None, title: str | None = None) -> Any:
    """Draw a traced graph: forward values in grey, gradients (and their shares along each
    arrow) in vermillion; a value that feeds several operations gets a vermillion box, as
    its gradient is the sum of the shares that come back to it."""
    xy = _layout(graph)
    children = graph.children
    with course_style():
        if ax is None:
            width = 1.0 + 1.45 * (max(x for x, _ in xy) - min(x for x, _ in xy) + 1)
            height = 1.0 + 1.2 * max(2.0, max(y for _, y in xy) - min(y for _, y in xy) + 1)
            import matplotlib.pyplot as plt

            ax = plt.subplots(figsize=(width, height))[1]
        for child, ps in enumerate(graph.parents):
            for p in dict.fromkeys(ps):
                (x0, y0), (x1, y1) = xy[p], xy[child]
                bend = 0.35 if x1 - x0 > 1 else 0.0  # a long arrow arcs around the columns
                ax.annotate(
                    "",
                    xy=(x1 - 0.3, y1),
                    xytext=(x0 + 0.3, y0),
                    arrowprops={
                        "arrowstyle": "->",
                        "color": GREY,
                        "lw": 1.2,
                        "connectionstyle": f"arc3,rad={-bend}",
                    },
                )
                share = graph.shares.get((child, p))
                if share is not None and share.size == 1:
                    # the arc's middle lies bend/2 of the chord's length off the chord
                    lift = bend * (x1 - x0) / 2
                    ax.text(
                        (x0 + x1) / 2,
                        (y0 + y1) / 2 + 0.1 + lift,
                        _fmt(share),
                        color=GRAD_COLOUR,
                        fontsize=8,
                        ha="center",
                        va="bottom",
                    )
        for k, (x, y) in enumerate(xy):
            head = graph.labels[k] or graph.ops[k]
            if graph.labels[k] and graph.ops[k]:
                head = f"{graph.labels[k]} = {graph.ops[k]}"
            fanout = len(children[k]) > 1
            ax.text(
                x,
                y + 0.08,
                f"{head}\n{_fmt(graph.values[k])}",
                ha="center",
                va="bottom",
                fontsize=9,
                color=GREY,
                bbox={
                    "boxstyle": "round,pad=0.35",
                    "fc": "none",
                    "ec": GRAD_COLOUR if fanout else GREY,
                    "lw": 1.8 if fanout else 1.0,
                },
            )
            ax.text(
                x,
                y - 0.02,
                f"grad {_fmt(graph.grads[k])}",
                ha="center",
                va="top",
                fontsize=9,
                color=GRAD_COLOUR,
            )
        xs, ys = [x for x, _ in xy], [y for _, y in xy]
        ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
        ax.set_ylim(min(ys) - 0.6, max(ys) + 0.7)
        ax.axis("off")
        if title:
            ax.set_title(title)
    return ax
