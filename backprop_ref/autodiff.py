"""Reverse-mode automatic differentiation over numpy arrays: a small tensor engine.

Every operation computes its value and, right beside it, its backward rule: a closure that
receives nothing, reads ``dL/d(out)`` from ``out.grad`` and **adds** ``dL/d(out) . d(out)/d
(parent)`` (a vector-Jacobian product) into each parent's ``grad``. ``backward()`` visits
the graph in reverse topological order, so a node's gradient is complete (every consumer
has added its share) before its own rule runs; where a value feeds several operations
(fan-out) the shares add up.

The rules are pure functions first (:func:`unbroadcast`, :func:`add_backward`,
:func:`matmul_backward`, :func:`mean_backward`, :func:`cross_entropy_backward`, and
:func:`~backprop_ref.layers.relu_backward`), then :class:`Tensor` calls them; the last two
functions build lesson 5's network and a residual block with the engine. The attribute
names (``data``, ``grad``, ``name``, ``_parents``, ``_op``, ``_backward``) are those of the
lesson's skeleton, so :func:`backprop_kit.graphs.trace` draws either engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike

from backprop_ref._types import Array, IntArray
from backprop_ref.layers import relu_backward
from backprop_ref.losses import log_softmax, softmax_cross_entropy

K = TypeVar("K", bound=Hashable)

# ------------------------------------------------------------------------------ rules


def topological_order(parents: Mapping[K, Sequence[K]], root: K) -> list[K]:
    """The nodes ``root`` depends on (itself included), each after all of its parents.

    Parameters
    ----------
    parents : node -> the nodes it is computed from (a leaf maps to ``[]``)
    root : the node to differentiate, usually the loss

    Returns
    -------
    order : list of nodes, ``root`` last; nodes ``root`` does not depend on are left out.
        Reversed, it is the order in which ``backward`` visits the nodes.

    Notes
    -----
    A depth-first search that appends a node once all its parents are appended (post-order),
    iterative so that deep graphs do not reach Python's recursion limit; each node is
    appended once, however many paths lead to it.
    """
    order: list[K] = []
    done: set[K] = set()
    stack: list[tuple[K, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)  # every parent is already in order
        elif node not in done:
            done.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(parents.get(node, ())) if p not in done)
    return order


def unbroadcast(dL_dz: ArrayLike, shape: Sequence[int]) -> Array:
    """Sum a gradient back to the shape of an operand that numpy broadcast.

    Parameters
    ----------
    dL_dz : ndarray of the broadcast shape, the gradient for the result z
    shape : the operand's shape, e.g. ``(M,)`` for a bias added to an (N, M) array

    Returns
    -------
    dL_doperand : ndarray of ``shape``: one copy of the operand fed every entry it was
        broadcast to, so their gradients add up.
    """
    g = np.asarray(dL_dz)
    target = tuple(shape)
    g = g.sum(axis=tuple(range(g.ndim - len(target))))  # axes numpy prepended: summed away
    stretched = tuple(i for i, m in enumerate(target) if m == 1 and g.shape[i] != 1)
    return np.asarray(g.sum(axis=stretched, keepdims=True))  # size-1 axes: summed, kept


def add_backward(
    dL_dz: ArrayLike, x_shape: Sequence[int], y_shape: Sequence[int]
) -> tuple[Array, Array]:
    """Gradients of ``z = x + y`` (numpy broadcasting) for ``x`` and ``y``.

    dz/dx and dz/dy are identities (each entry of z is x's entry plus y's), so both
    operands receive dL/dz, each summed back to its own shape (:func:`unbroadcast`).
    """
    return unbroadcast(dL_dz, x_shape), unbroadcast(dL_dz, y_shape)


def matmul_backward(dL_dz: Array, x: Array, W: Array) -> tuple[Array, Array]:
    """Gradients of ``z = x @ W``: x (N, M_in), W (M_in, M_out), dL_dz (N, M_out).

    Returns ``dL_dx`` (N, M_in) and ``dL_dW`` (M_in, M_out): lesson 3's rules without b.
    """
    dL_dx = dL_dz @ W.T  # (N, M_out) @ (M_out, M_in) -> (N, M_in)
    dL_dW = x.T @ dL_dz  # (M_in, N) @ (N, M_out) -> (M_in, M_out)
    return dL_dx, dL_dW


def sum_backward(dL_ds: ArrayLike, x_shape: Sequence[int], axis: int | None = None) -> Array:
    """Gradient of ``s = x.sum(axis)``: every entry of x that was summed receives dL/ds.

    Parameters
    ----------
    dL_ds : ndarray of the shape of s (x's shape without ``axis``; a number when axis is None)
    x_shape : x's shape
    axis : the summed axis (negative counts from the end), or None for all of them

    Returns
    -------
    dL_dx : ndarray of ``x_shape``
    """
    g = np.asarray(dL_ds, dtype=np.float64)
    if axis is not None:
        g = np.expand_dims(g, axis)  # put the summed axis back, with size 1
    return np.broadcast_to(g, tuple(x_shape)).copy()  # size 1 -> the size it had in x


def mean_backward(dL_dm: ArrayLike, x_shape: Sequence[int], axis: int | None = None) -> Array:
    """Gradient of ``m = x.mean(axis)``: :func:`sum_backward` divided by the count averaged.

    The count is the size of ``axis`` in x, or x's number of entries when axis is None.
    """
    count = math.prod(x_shape) if axis is None else x_shape[axis]
    return sum_backward(dL_dm, x_shape, axis) / count  # each entry weighs 1/count in m


def cross_entropy_backward(dL_dL: ArrayLike, scores: Array, labels: IntArray) -> Array:
    """Gradient of the mean softmax cross-entropy ``L(scores, labels)`` for the scores.

    Parameters
    ----------
    dL_dL : number, the upstream gradient of the loss node (1 when it is the final loss;
        another value when the loss is itself scaled or added to something)
    scores : ndarray of shape (N, C)
    labels : int ndarray of shape (N,)

    Returns
    -------
    dL_dscores : ndarray (N, C), ``dL_dL * (softmax(scores) - onehot(labels)) / N``
    """
    _, dl_dscores = softmax_cross_entropy(scores, labels)  # (p - onehot) / N, (N, C)
    return np.asarray(dL_dL, dtype=np.float64) * dl_dscores  # chain rule with the upstream


# ----------------------------------------------------------------------------- engine


class Tensor:
    """A value in a computational graph: its data, its gradient, its parents and the rule
    that sends its gradient to them.

    Parameters
    ----------
    data : array_like (stored as a float64 array)
    parents : the tensors this one was computed from
    op : the operation's name, for pictures (``"@"``, ``"+"``, ``"relu"``, ...)
    name : a label, for pictures
    """

    __array_priority__ = 1000  # ndarray + Tensor calls Tensor.__radd__

    def __init__(
        self, data: ArrayLike, parents: Sequence[Tensor] = (), op: str = "", name: str = ""
    ) -> None:
        self.data: Array = np.asarray(data, dtype=np.float64)
        self.grad: Array = np.zeros_like(self.data)
        self.name = name
        self._parents = tuple(parents)
        self._op = op
        self._backward: Callable[[], None] = lambda: None  # a leaf sends nothing

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"Tensor{label}(shape={self.data.shape}, op={self._op!r})"

    def __add__(self, other: Tensor | ArrayLike) -> Tensor:
        y = other if isinstance(other, Tensor) else Tensor(other)
        out = Tensor(self.data + y.data, (self, y), "+")

        def _backward() -> None:
            dL_dx, dL_dy = add_backward(out.grad, self.data.shape, y.data.shape)
            self.grad += dL_dx  # add, never assign: self may feed other nodes too
            y.grad += dL_dy  # (and y may be self: h + h sends dL/dz twice)

        out._backward = _backward
        return out

    def __radd__(self, other: ArrayLike) -> Tensor:
        return Tensor(other) + self

    def __matmul__(self, other: Tensor) -> Tensor:
        out = Tensor(self.data @ other.data, (self, other), "@")

        def _backward() -> None:
            dL_dx, dL_dW = matmul_backward(out.grad, self.data, other.data)
            self.grad += dL_dx  # (N, M_in)
            other.grad += dL_dW  # (M_in, M_out)

        out._backward = _backward
        return out

    def relu(self) -> Tensor:
        out = Tensor(np.maximum(self.data, 0), (self,), "relu")

        def _backward() -> None:
            self.grad += relu_backward(out.grad, self.data)  # mask x > 0, shape of x

        out._backward = _backward
        return out

    def sum(self, axis: int | None = None) -> Tensor:
        out = Tensor(self.data.sum(axis=axis), (self,), "sum")

        def _backward() -> None:
            self.grad += sum_backward(out.grad, self.data.shape, axis)

        out._backward = _backward
        return out

    def mean(self, axis: int | None = None) -> Tensor:
        out = Tensor(self.data.mean(axis=axis), (self,), "mean")

        def _backward() -> None:
            self.grad += mean_backward(out.grad, self.data.shape, axis)

        out._backward = _backward
        return out

    def cross_entropy(self, labels: IntArray) -> Tensor:
        """Mean softmax cross-entropy of these scores (N, C) for int ``labels`` (N,)."""
        labels = np.asarray(labels)
        logp = log_softmax(self.data)  # (N, C)
        L = -logp[np.arange(len(labels)), labels].mean()
        out = Tensor(L, (self,), "cross-entropy")

        def _backward() -> None:
            self.grad += cross_entropy_backward(out.grad, self.data, labels)  # (N, C)

        out._backward = _backward
        return out

    def graph(self) -> list[Tensor]:
        """Every tensor this one depends on, itself last, each after its parents."""
        by_id = {}
        parents: dict[int, list[int]] = {}
        todo = [self]
        while todo:
            t = todo.pop()
            if id(t) not in by_id:
                by_id[id(t)] = t
                parents[id(t)] = [id(p) for p in t._parents]
                todo.extend(t._parents)
        return [by_id[i] for i in topological_order(parents, id(self))]

    def backward(self) -> None:
        """Fill ``grad`` of every tensor this one depends on with dL/d(tensor), L = self.

        Gradients are reset first, so calling backward twice gives the same result.
        """
        order = self.graph()
        for t in order:
            t.grad = np.zeros_like(t.data)
        self.grad = np.ones_like(self.data)  # dL/dL = 1
        for t in reversed(order):  # consumers before producers
            t._backward()


# --------------------------------------------------------------------------- networks


def engine_gradients(x: Array, params: Mapping[str, Array], labels: IntArray) -> dict[str, Array]:
    """Lesson 5's network by the engine: gradients of the mean softmax cross-entropy.

    ``K = len(params) // 2`` affine layers ``z^k = x^k W^k + b^k`` with a ReLU between
    consecutive ones; returns ``{"W1": dL/dW^1, "b1": ..., "WK": ..., "bK": ...}``.
    """
    K = len(params) // 2
    leaves = {name: Tensor(value, name=name) for name, value in params.items()}
    h = Tensor(x, name="x")
    for k in range(1, K + 1):
        h = h @ leaves[f"W{k}"] + leaves[f"b{k}"]  # z^k
        if k < K:
            h = h.relu()  # x^{k+1}
    h.cross_entropy(labels).backward()
    return {name: leaves[name].grad for k in range(1, K + 1) for name in (f"W{k}", f"b{k}")}


def fan_out_gradient(x: Array, params: Mapping[str, Array], labels: IntArray) -> dict[str, Array]:
    """A residual block by the engine, where ``h`` feeds two paths:

    ``h = relu(x W1 + b1)``, ``y = h W2 + b2 + h``, ``L = cross_entropy(y, labels)``;
    so ``dL/dh = dL/dy W2^T + dL/dy``. Returns the gradients for x, W1, b1, W2, b2.
    """
    t = {name: Tensor(value, name=name) for name, value in params.items()}
    t["x"] = Tensor(x, name="x")
    h = (t["x"] @ t["W1"] + t["b1"]).relu()
    y = h @ t["W2"] + t["b2"] + h  # the skip connection: h is used twice
    y.cross_entropy(labels).backward()
    return {name: t[name].grad for name in ("x", "W1", "b1", "W2", "b2")}
