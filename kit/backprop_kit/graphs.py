"""Pictures of computational graphs: forward values and backward gradients on one figure.

A :class:`Graph` is plain data: per node its name, operation, parents, forward value and
gradient, and per arrow the share of the gradient that travelled back along it. Lessons
build one by hand (lesson 5's network, one scalar per node) or trace it from an engine
(lesson 6). :func:`draw_graph` lays it out from the inputs (left) to the loss (right) with
matplotlib only (no graphviz), in the course style (:mod:`backprop_kit.plots`): boxes with
each value and its gradient, grey arrows for the forward pass, and on each arrow, in
vermillion, the share of the gradient that came back along it. A value that feeds several
operations gets a vermillion box: its gradient is the sum of the shares that meet there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backprop_kit._types import Array
from backprop_kit.plots import GREY, PALETTE, course_style

#: Colour of gradients in the pictures (vermillion: readable on light and dark themes).
GRAD_COLOUR = PALETTE[4]


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
