"""Lesson 06_autodiff: the cases of ``topological_order``, graphs written as dicts of parent
lists.

Visible graphs are lesson 5's network (K = 2 or 3), a chain and a symmetric diamond, where
the root needs every node and every node has one distance to it; the chain's and the
diamond's names are drawn at random, so that the visible cases vary with the seed (a table
of the visible answers fails verification of the visible cell). Hidden
and verification graphs add skip connections (paths of different lengths, where visiting
breadth-first from the root goes wrong), nodes the root does not depend on, and an
operation that uses one value twice. Keys are never listed in a topological order, and
names never sort into one.
"""

from __future__ import annotations

import string

import numpy as np

from backprop_ref.autodiff import topological_order
from backprop_ref.specs.core import Case, Stage

Graph = dict[str, list[str]]

# ------------------------------------------------------------------ topological_order


def _shuffled(rng: np.random.Generator, graph: Graph, root: str) -> Graph:
    """The graph with its keys in a random order that is not a topological order (when the
    root depends on more than one node), so that listing the keys is never right."""
    needed = set(topological_order(graph, root))
    while True:
        keys = list(graph)
        rng.shuffle(keys)
        if len(needed) < 2 or not _valid([k for k in keys if k in needed], graph):
            return {k: list(graph[k]) for k in keys}


def _bfs_reversed(graph: Graph, root: str) -> list[str]:
    seen, queue = [root], [root]
    while queue:
        for p in graph[queue.pop(0)]:
            if p not in seen:
                seen.append(p)
                queue.append(p)
    return seen[::-1]


def _preorder_reversed(graph: Graph, root: str) -> list[str]:
    """A node listed *before* its parents (depth-first pre-order), then reversed."""
    seen: list[str] = []

    def visit(node: str) -> None:
        if node not in seen:
            seen.append(node)
            for p in graph[node]:
                visit(p)

    visit(root)
    return seen[::-1]


def _valid(order: list[str], graph: Graph) -> bool:
    pos = {n: i for i, n in enumerate(order)}
    return all(pos[p] < pos[c] for c in order for p in graph[c])


def _names(rng: np.random.Generator, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        name = "".join(rng.choice(list(string.ascii_lowercase), size=int(rng.integers(2, 4))))
        if name not in out:
            out.append(name)
    return out


def _random_dag(rng: np.random.Generator, n: int) -> tuple[Graph, str]:
    """A graph of n nodes whose root needs most of them, with skip connections, an
    operation that uses one value twice, and two nodes the root does not need; redrawn
    until no common wrong order is right for it (breadth-first from the root, the names
    sorted, or a depth-first pre-order reversed)."""
    while True:
        names = _names(rng, n + 2)
        graph: Graph = {}
        for k, name in enumerate(names[:n]):
            if k < 3:
                graph[name] = []  # leaves: inputs and parameters
                continue
            parents = [names[k - 1]]  # a spine, so that the root needs (nearly) everything
            extra = rng.choice(k - 1, size=int(rng.integers(0, 3)), replace=False)
            parents += [names[int(j)] for j in extra]  # skips: paths of different lengths
            graph[name] = [parents[int(i)] for i in rng.permutation(len(parents))]
        graph[names[n - 2]] = [names[n - 3], names[n - 3]]  # one value used twice (h + h)
        root = names[n - 1]
        graph[names[n]] = [root, names[2]]  # computed from the root: not needed by it
        graph[names[n + 1]] = [names[1]]  # needed by nothing
        wrong_orders = (
            _bfs_reversed(graph, root),
            sorted(topological_order(graph, root)),
            _preorder_reversed(graph, root),
        )
        if not any(_valid(order, graph) for order in wrong_orders):
            return graph, root


def _residual_graph() -> Graph:
    return {
        "x": [],
        "W1": [],
        "b1": [],
        "xW1": ["x", "W1"],
        "z1": ["xW1", "b1"],
        "h": ["z1"],
        "W2": [],
        "hW2": ["h", "W2"],
        "b2": [],
        "a": ["hW2", "b2"],
        "y": ["a", "h"],  # the skip connection: h feeds hW2 and y
        "L": ["y"],
        "acc": ["y"],  # the accuracy, computed from y: the loss does not need it
    }


def _mlp_graph(K: int) -> Graph:
    """Lesson 5's network of K layers as a graph (every node needed by the loss "L")."""
    graph: Graph = {"x": []}
    h = "x"
    for k in range(1, K + 1):
        product = f"{h[0]}W{k}"
        graph[f"W{k}"] = []
        graph[product] = [h, f"W{k}"]
        graph[f"b{k}"] = []
        graph[f"z{k}"] = [product, f"b{k}"]
        h = f"z{k}"
        if k < K:
            graph[f"h{k}"] = [h]
            h = f"h{k}"
    graph["L"] = [h]
    return graph


def _named(rng: np.random.Generator, graph: Graph) -> tuple[Graph, str]:
    """``graph`` (its last key the root) with its nodes renamed at random, so that the
    visible cases vary with the seed; redrawn until the names sorted are no topological
    order. Returns the renamed graph and its root."""
    while True:
        new = dict(zip(graph, _names(rng, len(graph)), strict=True))
        renamed = {new[k]: [new[p] for p in ps] for k, ps in graph.items()}
        if not _valid(sorted(renamed), renamed):
            return renamed, new[list(graph)[-1]]


def topological_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        K = int(rng.integers(2, 4))  # lesson 5's network, K = 2 or 3 layers
        diamond, top = _named(rng, {"u": [], "p": ["u"], "q": ["u"], "s": ["p", "q"], "e": ["s"]})
        length = int(rng.integers(4, 7))
        chain, end = _named(rng, {f"c{k}": [f"c{k - 1}"] if k else [] for k in range(length)})
        p, q = diamond[diamond[top][0]]  # the two nodes the sum s is computed from
        u = diamond[p][0]
        chosen = [
            (_mlp_graph(K), "L", f"lesson 5's network, K={K}"),
            (diamond, top, f"a diamond: {u} feeds {p}, {q}"),
            (chain, end, f"a chain of {length} nodes"),
        ]
    elif stage == "hidden":
        chosen = [
            (_residual_graph(), "L", "a residual block (h feeds two paths) and an accuracy node"),
            ({"a": [], "s": ["a", "a"], "o": ["s", "a"]}, "o", "a value used twice by one op"),
            ({"w": []}, "w", "a single leaf"),
        ]
        chosen += [(*_random_dag(rng, 12), "a random graph of 12 nodes")]
    else:
        chosen = [(_residual_graph(), "L", "a residual block")]
        chosen += [(*_random_dag(rng, int(n)), f"a random graph of {n} nodes") for n in (8, 15)]
    return [
        Case({"parents": _shuffled(rng, g, root), "root": root}, note) for g, root, note in chosen
    ]
