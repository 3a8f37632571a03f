"""Mutants of lesson 06_autodiff: the mistakes students make with topological orders,
backward rules and autodiff engines, and correct answers written differently.

Each source replaces one graded function's ``sol_<fn>`` cell. The notebook's own engine
(the ``Tensor`` class cell) and its ``unbroadcast`` helper are never replaced, so a mutant
of ``fan_out_gradient`` or ``engine_gradients`` whose mistake lives in an engine defines
that engine in its own cell under a private name (``_Eng``): the student's real mistake
would be in their ``Tensor`` and cost both engine functions; here each mutant loses exactly
its own function's points.

``wrong`` mutants fail the visible, hidden and verification stages; ``hidden_only`` ones
pass the visible tests and fail the hidden ones and verification; ``correct`` ones pass
everything.
"""

# ------------------------------------------------------------------- an engine to mutate

ENGINE = """import numpy as np


class _Eng:
    def __init__(self, data, parents=(), op=""):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self._parents = tuple(parents)
        self._op = op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, _Eng) else _Eng(other)
        out = _Eng(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += unbroadcast(out.grad, self.data.shape)
            other.grad += unbroadcast(out.grad, other.data.shape)

        out._backward = _backward
        return out

    def __matmul__(self, other):
        out = _Eng(self.data @ other.data, (self, other), "@")

        def _backward():
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = _Eng(np.maximum(self.data, 0), (self,), "relu")

        def _backward():
            self.grad += out.grad * (self.data > 0)

        out._backward = _backward
        return out

    def cross_entropy(self, labels):
        N = self.data.shape[0]
        shifted = self.data - self.data.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        out = _Eng(-log_p[np.arange(N), labels].mean(), (self,), "ce")

        def _backward():
            p = np.exp(log_p)
            p[np.arange(N), labels] -= 1
            self.grad += out.grad * p / N

        out._backward = _backward
        return out

    def backward(self):
        order, visited = [], set()

        def visit(t):
            if t not in visited:
                visited.add(t)
                for parent in t._parents:
                    visit(parent)
                order.append(t)

        visit(self)
        for t in order:
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)
        for t in reversed(order):
            t._backward()
"""

FAN_OUT = """

def fan_out_gradient(x, params, labels):
    t = {name: _Eng(value) for name, value in params.items()}
    t["x"] = _Eng(x)
    h = (t["x"] @ t["W1"] + t["b1"]).relu()
    y = h @ t["W2"] + t["b2"] + h
    y.cross_entropy(labels).backward()
    return {name: t[name].grad for name in ("x", "W1", "b1", "W2", "b2")}
"""

NETWORK = """

def engine_gradients(x, params, labels):
    K = len(params) // 2
    t = {name: _Eng(value) for name, value in params.items()}
    h = _Eng(x)
    for k in range(1, K + 1):
        h = h @ t[f"W{k}"] + t[f"b{k}"]
        if k < K:
            h = h.relu()
    h.cross_entropy(labels).backward()
    return {name: t[name].grad for name in params}
"""


def engine(*changes: tuple[str, str]) -> str:
    """The engine with each ``(old, new)`` change applied (each must apply)."""
    src = ENGINE
    for old, new in changes:
        assert old in src, old
        src = src.replace(old, new)
    return src


ASSIGN = [("self.grad +=", "self.grad ="), ("other.grad +=", "other.grad =")]
BFS = (
    """        order, visited = [], set()

        def visit(t):
            if t not in visited:
                visited.add(t)
                for parent in t._parents:
                    visit(parent)
                order.append(t)

        visit(self)
        for t in order:
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)
        for t in reversed(order):
            t._backward()
""",
    """        order, queue = [self], [self]
        while queue:
            for parent in queue.pop(0)._parents:
                if parent not in order:
                    order.append(parent)
                    queue.append(parent)
        for t in order:
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)
        for t in order:
            t._backward()
""",
)
NO_VISITED = (
    """            if t not in visited:
                visited.add(t)
                for parent in t._parents:
                    visit(parent)
                order.append(t)
""",
    """            for parent in t._parents:
                visit(parent)
            order.append(t)
""",
)
CREATION_ORDER = ("        for t in reversed(order):\n", "        for t in order:\n")
NO_SEED = ("        self.grad = np.ones_like(self.data)\n", "")
MASK_GE = ("self.grad += out.grad * (self.data > 0)", "self.grad += out.grad * (self.data >= 0)")
MASK_UPSTREAM = ("out.grad * (self.data > 0)", "out.grad * (out.grad > 0)")
CE_SUM = ("self.grad += out.grad * p / N", "self.grad += out.grad * p")
CE_EYE = (
    """            p = np.exp(log_p)
            p[np.arange(N), labels] -= 1
            self.grad += out.grad * p / N""",
    """            p = np.exp(log_p) - np.eye(labels.max() + 1)[labels]
            self.grad += out.grad * p / N""",
)
BIAS_RAW = ("other.grad += unbroadcast(out.grad, other.data.shape)", "other.grad += out.grad")
BIAS_MEAN = (
    "other.grad += unbroadcast(out.grad, other.data.shape)",
    "other.grad += out.grad.mean(axis=0) if out.grad.ndim > other.data.ndim else out.grad",
)

# ------------------------------------------------------------------ correct engines

KAHN_ENGINE = engine(
    (
        BFS[0],
        """        graph, todo = [], [self]
        while todo:
            t = todo.pop()
            if all(t is not g for g in graph):
                graph.append(t)
                todo.extend(t._parents)
        users = {id(t): 0 for t in graph}
        for t in graph:
            for parent in set(t._parents):
                users[id(parent)] += 1
        for t in graph:
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)
        ready = [self]
        while ready:
            t = ready.pop()
            t._backward()
            for parent in set(t._parents):
                users[id(parent)] -= 1
                if users[id(parent)] == 0:
                    ready.append(parent)
""",
    )
)

COUNTER_ENGINE = engine(
    (
        """class _Eng:
    def __init__(self, data, parents=(), op=""):""",
        '''class _Eng:
    """Tensors remember when they were made: creation order is a topological order."""

    created = 0

    def __init__(self, data, parents=(), op=""):
        _Eng.created += 1
        self.stamp = _Eng.created''',
    ),
    (
        BFS[0],
        """        graph, todo = {}, [self]
        while todo:
            t = todo.pop()
            if id(t) not in graph:
                graph[id(t)] = t
                todo.extend(t._parents)
        for t in graph.values():
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)
        for t in sorted(graph.values(), key=lambda t: t.stamp, reverse=True):
            t._backward()
""",
    ),
)

RULES_ENGINE = '''import numpy as np


class Rules:
    """The backward rules, one static method each (minitorch style)."""

    @staticmethod
    def add(g, x_shape, y_shape):
        return unbroadcast(g, x_shape), unbroadcast(g, y_shape)

    @staticmethod
    def matmul(g, x, W):
        return g @ W.T, x.T @ g

    @staticmethod
    def relu(g, x):
        return (g * (x > 0),)

    @classmethod
    def cross_entropy(cls, g, scores, labels):
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return (g * p / len(labels),)


class _Eng(object):
    def __init__(self, data, parents=(), rule=None, args=()):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self._parents, self._rule, self._args = tuple(parents), rule, args

    @property
    def shape(self):
        return self.data.shape

    def __add__(self, other):
        other = other if isinstance(other, _Eng) else _Eng(other)
        return _Eng(self.data + other.data, (self, other), Rules.add, (self.shape, other.shape))

    def __matmul__(self, other):
        return _Eng(self.data @ other.data, (self, other), Rules.matmul, (self.data, other.data))

    def relu(self):
        return _Eng(np.maximum(self.data, 0), (self,), Rules.relu, (self.data,))

    def cross_entropy(self, labels):
        s = self.data - self.data.max(axis=1, keepdims=True)
        log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        L = -log_p[np.arange(len(labels)), labels].mean()
        return _Eng(L, (self,), Rules.cross_entropy, (self.data, labels))

    def backward(self):
        order, stack, seen = [], [(self, False)], set()
        while stack:
            t, expanded = stack.pop()
            if expanded:
                order.append(t)
            elif id(t) not in seen:
                seen.add(id(t))
                stack.append((t, True))
                stack.extend((p, False) for p in t._parents)
        for t in order:
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)
        for t in reversed(order):
            if t._rule is not None:
                for parent, g in zip(t._parents, t._rule(t.grad, *t._args)):
                    parent.grad = parent.grad + g
'''


def private(src: str, tag: str) -> str:
    """The engine's classes renamed for one graded function (``_Eng`` -> ``_<tag>Eng``): two
    mutants in one notebook must not redefine each other's engine (verification defines
    every cell's names before it calls any function)."""
    return src.replace("_Eng", f"_{tag}Eng").replace("Rules", f"_{tag}Rules")


# ------------------------------------------------------------------------- the table

MUTANTS = {
    "topological_order": {
        "wrong": {
            "root first: the order backward visits": """
def topological_order(parents, root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for p in parents[node]:
                visit(p)
            order.append(node)

    visit(root)
    return order[::-1]
""",
            "the keys of parents, as listed": """
def topological_order(parents, root):
    return list(parents)
""",
            "the needed nodes sorted by name": """
def topological_order(parents, root):
    needed, todo = set(), [root]
    while todo:
        node = todo.pop()
        if node not in needed:
            needed.add(node)
            todo += parents[node]
    return sorted(needed)
""",
            "depth-first pre-order (node before its parents), reversed": """
def topological_order(parents, root):
    seen = []

    def visit(node):
        if node not in seen:
            seen.append(node)
            for p in parents[node]:
                visit(p)

    visit(root)
    return seen[::-1]
""",
            "no visited set: a node once per path": """
def topological_order(parents, root):
    order = []

    def visit(node):
        for p in parents[node]:
            visit(p)
        order.append(node)

    visit(root)
    return order
""",
            "the root left out": """
def topological_order(parents, root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for p in parents[node]:
                visit(p)
            order.append(node)

    for p in parents[root]:
        visit(p)
    return order
""",
            "leaves left out": """
def topological_order(parents, root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for p in parents[node]:
                visit(p)
            if parents[node]:
                order.append(node)

    visit(root)
    return order
""",
        },
        "hidden_only": {
            "breadth-first from the root, reversed": """
def topological_order(parents, root):
    seen, queue = [root], [root]
    while queue:
        for p in parents[queue.pop(0)]:
            if p not in seen:
                seen.append(p)
                queue.append(p)
    return seen[::-1]
""",
            "every node of the graph, needed or not": """
def topological_order(parents, root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for p in parents[node]:
                visit(p)
            order.append(node)

    for node in parents:
        visit(node)
    return order
""",
        },
        "correct": {
            "iterative depth-first search with a stack": """
def topological_order(parents, root):
    order, done, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in done:
            done.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in parents[node] if p not in done)
    return order
""",
            "Kahn's algorithm on the needed nodes": """
from collections import deque


def topological_order(parents, root):
    needed, todo = set(), [root]
    while todo:
        node = todo.pop()
        if node not in needed:
            needed.add(node)
            todo.extend(parents[node])
    waiting = {n: len(set(parents[n])) for n in needed}
    children = {n: [] for n in needed}
    for n in needed:
        for p in set(parents[n]):
            children[p].append(n)
    ready = deque(sorted(n for n in needed if waiting[n] == 0))
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for c in children[node]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    return order
""",
        },
    },
    "add_backward": {
        "wrong": {
            "dL_dz for both, not summed back": """
def add_backward(dL_dz, x_shape, y_shape):
    return dL_dz, dL_dz
""",
            "mean over the broadcast axes": """
import numpy as np


def add_backward(dL_dz, x_shape, y_shape):
    def back(shape):
        shape = tuple(shape)
        g = dL_dz.mean(axis=tuple(range(dL_dz.ndim - len(shape))))
        axes = tuple(i for i, m in enumerate(shape) if m == 1 and g.shape[i] != 1)
        return np.asarray(g.mean(axis=axes, keepdims=True))

    return back(x_shape), back(y_shape)
""",
            "leading axes only": """
import numpy as np


def add_backward(dL_dz, x_shape, y_shape):
    def back(shape):
        return np.asarray(dL_dz.sum(axis=tuple(range(dL_dz.ndim - len(shape)))))

    return back(x_shape), back(y_shape)
""",
            "the gradient split in half": """
def add_backward(dL_dz, x_shape, y_shape):
    return 0.5 * unbroadcast(dL_dz, x_shape), 0.5 * unbroadcast(dL_dz, y_shape)
""",
            "sum over axis 0 when the shapes differ": """
def add_backward(dL_dz, x_shape, y_shape):
    def back(shape):
        return dL_dz if tuple(shape) == dL_dz.shape else dL_dz.sum(axis=0)

    return back(x_shape), back(y_shape)
""",
            "the two gradients swapped": """
def add_backward(dL_dz, x_shape, y_shape):
    return unbroadcast(dL_dz, y_shape), unbroadcast(dL_dz, x_shape)
""",
        },
        "hidden_only": {
            "size-1 axes looked up before the leading axes are summed": """
def add_backward(dL_dz, x_shape, y_shape):
    def back(shape):
        g = dL_dz
        for i, m in enumerate(shape):
            if m == 1 and g.shape[i] != 1:
                g = g.sum(axis=i, keepdims=True)
        while g.ndim > len(shape):
            g = g.sum(axis=0)
        return g

    return back(x_shape), back(y_shape)
""",
            "one leading axis at most (a number handled apart)": """
import numpy as np


def add_backward(dL_dz, x_shape, y_shape):
    def back(shape):
        shape = tuple(shape)
        if shape == ():
            return np.asarray(dL_dz.sum())
        g = dL_dz.sum(axis=0) if dL_dz.ndim > len(shape) else dL_dz
        axes = tuple(i for i, m in enumerate(shape) if m == 1 and g.shape[i] != 1)
        return g.sum(axis=axes, keepdims=True)

    return back(x_shape), back(y_shape)
""",
        },
        "correct": {
            "sum one axis at a time": """
def add_backward(dL_dz, x_shape, y_shape):
    def back(shape):
        g = dL_dz
        while g.ndim > len(shape):
            g = g.sum(axis=0)
        for axis, size in enumerate(shape):
            if size == 1 and g.shape[axis] > 1:
                g = g.sum(axis=axis, keepdims=True)
        return g

    return back(x_shape), back(y_shape)
""",
            "pad the shape with ones, sum, reshape": """
def add_backward(dL_dz, x_shape, y_shape):
    def back(shape):
        shape = tuple(shape)
        padded = (1,) * (dL_dz.ndim - len(shape)) + shape
        axes = tuple(i for i, (p, z) in enumerate(zip(padded, dL_dz.shape)) if p == 1 != z)
        return dL_dz.sum(axis=axes, keepdims=True).reshape(shape)

    return back(x_shape), back(y_shape)
""",
            "the helper unbroadcast": """
def add_backward(dL_dz, x_shape, y_shape):
    return unbroadcast(dL_dz, x_shape), unbroadcast(dL_dz, y_shape)
""",
        },
    },
    "matmul_backward": {
        "wrong": {
            "W not transposed": """
def matmul_backward(dL_dz, x, W):
    return dL_dz @ W, x.T @ dL_dz
""",
            "dL_dW transposed": """
def matmul_backward(dL_dz, x, W):
    return dL_dz @ W.T, dL_dz.T @ x
""",
            "dL_dW averaged over the batch": """
def matmul_backward(dL_dz, x, W):
    return dL_dz @ W.T, x.T @ dL_dz / x.shape[0]
""",
            "the two results swapped": """
def matmul_backward(dL_dz, x, W):
    return x.T @ dL_dz, dL_dz @ W.T
""",
        },
        "hidden_only": {
            "the results squeezed (N = 1 loses its axis)": """
import numpy as np


def matmul_backward(dL_dz, x, W):
    return np.squeeze(dL_dz @ W.T), np.squeeze(x.T @ dL_dz)
""",
        },
        "correct": {
            "einsum": """
import numpy as np


def matmul_backward(dL_dz, x, W):
    return np.einsum("nj,ij->ni", dL_dz, W), np.einsum("ni,nj->ij", x, dL_dz)
""",
            "transposed products": """
def matmul_backward(dL_dz, x, W):
    return (W @ dL_dz.T).T, (dL_dz.T @ x).T
""",
        },
    },
    "mean_backward": {
        "wrong": {
            "not divided by the count (the rule of sum)": """
import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    g = np.asarray(dL_dm, dtype=float)
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, tuple(x_shape)).copy()
""",
            "divided by every entry's count": """
import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    g = np.asarray(dL_dm, dtype=float)
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, tuple(x_shape)) / np.prod(x_shape)
""",
            "no axis put back before broadcasting": """
import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    count = np.prod(x_shape) if axis is None else x_shape[axis]
    return np.broadcast_to(dL_dm, tuple(x_shape)) / count
""",
            "count from axis 0": """
import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    g = np.asarray(dL_dm, dtype=float)
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, tuple(x_shape)) / x_shape[0]
""",
            "divided, not spread back": """
import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    count = np.prod(x_shape) if axis is None else x_shape[axis]
    return np.asarray(dL_dm, dtype=float) / count
""",
        },
        "hidden_only": {
            "axis 0 or 1 of a 2-D array only": """
import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    dL_dm = np.asarray(dL_dm, dtype=float)
    if axis is None:
        return np.full(tuple(x_shape), float(dL_dm) / np.prod(x_shape))
    if len(x_shape) == 1:
        return np.full(tuple(x_shape), float(dL_dm) / x_shape[0])
    if axis == 0:
        return np.tile(dL_dm[None, :], (x_shape[0], 1)) / x_shape[0]
    return np.tile(dL_dm[:, None], (1, x_shape[1])) / x_shape[1]
""",
            "the axis put back with list.insert (wrong for a negative axis)": """
import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    if axis is None:
        return np.full(tuple(x_shape), float(dL_dm) / np.prod(x_shape))
    kept = list(np.shape(dL_dm))
    kept.insert(axis, 1)
    return np.broadcast_to(np.reshape(dL_dm, kept), tuple(x_shape)) / x_shape[axis]
""",
        },
        "correct": {
            "np.repeat along the axis": """
import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    if axis is None:
        return np.full(tuple(x_shape), float(dL_dm) / np.prod(x_shape))
    axis = axis % len(x_shape)
    g = np.repeat(np.expand_dims(dL_dm, axis), x_shape[axis], axis=axis)
    return g / x_shape[axis]
""",
            "ones times the expanded gradient": """
import math

import numpy as np


def mean_backward(dL_dm, x_shape, axis):
    ones = np.ones(tuple(x_shape))
    if axis is None:
        return ones * dL_dm / math.prod(x_shape)
    return ones * np.expand_dims(dL_dm, axis) / x_shape[axis]
""",
        },
    },
    "cross_entropy_backward": {
        "wrong": {
            "the upstream dL_dL ignored": """
import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(N), labels] -= 1
    return p / N
""",
            "no 1/N": """
import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(N), labels] -= 1
    return dL_dL * p
""",
            "no one-hot subtracted": """
import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return dL_dL * e / e.sum(axis=1, keepdims=True) / scores.shape[0]
""",
            "the sign flipped": """
import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(N), labels] -= 1
    return -dL_dL * p / N
""",
            "softmax down the columns": """
import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=0))
    p = e / e.sum(axis=0)
    p[np.arange(N), labels] -= 1
    return dL_dL * p / N
""",
        },
        "hidden_only": {
            "no max subtracted (overflows for large scores)": """
import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    N = scores.shape[0]
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(N), labels] -= 1
    return dL_dL * p / N
""",
            "one-hot rows from labels.max() + 1 classes": """
import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    onehot = np.eye(labels.max() + 1)[labels]
    return dL_dL * (p - onehot) / scores.shape[0]
""",
        },
        "correct": {
            "log-softmax, then exp": """
import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    onehot = np.eye(scores.shape[1])[labels]
    return dL_dL * (np.exp(log_p) - onehot) / len(labels)
""",
            "a loop over the rows": """
import math

import numpy as np


def cross_entropy_backward(dL_dL, scores, labels):
    N, C = scores.shape
    out = np.zeros((N, C))
    for n in range(N):
        top = max(scores[n])
        total = sum(math.exp(s - top) for s in scores[n])
        for c in range(C):
            out[n, c] = math.exp(scores[n, c] - top) / total - (c == labels[n])
    return out * dL_dL / N
""",
        },
    },
    "fan_out_gradient": {
        "wrong": {
            "the engine assigns (=) instead of adding (+=)": engine(*ASSIGN) + FAN_OUT,
            "the engine visits the nodes breadth-first": engine(BFS) + FAN_OUT,
            "the engine's order has no visited set": engine(NO_VISITED) + FAN_OUT,
            "the engine visits the nodes in creation order": engine(CREATION_ORDER) + FAN_OUT,
            "the skip path added as a plain array (h.data)": ENGINE
            + FAN_OUT.replace('+ t["b2"] + h\n', '+ t["b2"] + h.data\n'),
        },
        "hidden_only": {
            "the engine's one-hot from labels.max() + 1 classes": engine(CE_EYE) + FAN_OUT,
        },
        "correct": {
            "an engine with Kahn's order (counting each node's users)": KAHN_ENGINE + FAN_OUT,
            "an engine that visits by creation stamp, newest first": COUNTER_ENGINE + FAN_OUT,
            "an engine with the rules as static methods": RULES_ENGINE + FAN_OUT,
        },
    },
    "engine_gradients": {
        "wrong": {
            "a ReLU after the last layer too": ENGINE
            + NETWORK.replace(
                "        if k < K:\n            h = h.relu()\n", "        h = h.relu()\n"
            ),
            "no ReLU at all": ENGINE
            + NETWORK.replace("            h = h.relu()\n", "            pass\n"),
            "the loss's rule without 1/N": engine(CE_SUM) + NETWORK,
            "the engine visits the nodes in creation order": engine(CREATION_ORDER) + NETWORK,
            "the bias gradient not summed back to its shape": engine(BIAS_RAW) + NETWORK,
            "the bias gradient averaged over the batch": engine(BIAS_MEAN) + NETWORK,
            "the ReLU mask from the upstream gradient": engine(MASK_UPSTREAM) + NETWORK,
            "the loss's own gradient never set to 1": engine(NO_SEED) + NETWORK,
        },
        "hidden_only": {
            "the ReLU mask z >= 0 (ReLU'(0) = 1)": engine(MASK_GE) + NETWORK,
            "the engine's one-hot from labels.max() + 1 classes": engine(CE_EYE) + NETWORK,
        },
        "correct": {
            "an engine with the rules as static methods": RULES_ENGINE + NETWORK,
            "an engine that visits by creation stamp, newest first": COUNTER_ENGINE + NETWORK,
            "the notebook's Tensor, the layers in a list": """
def engine_gradients(x, params, labels):
    K = len(params) // 2
    tensors = {name: Tensor(value) for name, value in params.items()}
    layers = [(tensors[f"W{k}"], tensors[f"b{k}"]) for k in range(1, K + 1)]
    h = Tensor(x)
    for i, (W, b) in enumerate(layers):
        h = b + h @ W
        h = h.relu() if i < K - 1 else h
    h.cross_entropy(labels).backward()
    return {name: t.grad.copy() for name, t in tensors.items()}
""",
        },
    },
}

for _fn, _tag in (("fan_out_gradient", "FanOut"), ("engine_gradients", "Network")):
    for _kind in MUTANTS[_fn].values():
        for _desc in _kind:
            _kind[_desc] = private(_kind[_desc], _tag)
