"""A training loop for a ``Sequential`` model or the lesson-5 MLP's parameter dict.

One step: forward on a batch, the loss and ``dL/dy^K``, backward to every ``dL/dW``, then
an :class:`~backprop_ref.optim.SGD` update in place. The loop returns the loss of every step.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any, Protocol

import numpy as np

from backprop_ref._types import Array, IntArray
from backprop_ref.losses import softmax_cross_entropy
from backprop_ref.mlp import mlp_backward, mlp_forward
from backprop_ref.optim import SGD

#: ``loss(y, target) -> (L, dL_dy)``, like the functions in :mod:`backprop_ref.losses`.
Loss = Callable[[Array, Any], tuple[float, Array]]
#: ``step(x, target) -> (L, grads)``: one forward and backward pass.
Step = Callable[[Array, Any], tuple[float, dict[str, Array]]]


class Model(Protocol):
    """What :func:`train` needs from a model (``Sequential`` has it)."""

    def forward(self, x: Array) -> Array: ...
    def backward(self, dL_dy: Array) -> Array: ...
    def parameters(self) -> dict[str, Array]: ...
    def gradients(self) -> dict[str, Array]: ...


def train(
    model: Model | MutableMapping[str, Array],
    x: Array,
    target: Array | IntArray,
    *,
    loss: Loss = softmax_cross_entropy,
    epochs: int = 100,
    lr: float = 0.1,
    momentum: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
) -> list[float]:
    """Train in place by (mini-batch) gradient descent; return the loss of every step.

    Parameters
    ----------
    model : Sequential, or the dict ``{"W1", "b1", ..., "WK", "bK"}`` of the lesson-5 MLP
        (trained through :func:`~backprop_ref.mlp.mlp_forward` / ``mlp_backward``).
    x : ndarray of shape (N, M_0)
    target : labels of shape (N,) or targets of shape (N, M_K), whatever ``loss`` takes
    loss : ``loss(y, target) -> (L, dL_dy)``, e.g. ``softmax_cross_entropy`` or ``mse_loss``
    epochs : int
        Passes over the data.
    lr, momentum : float
        For :class:`~backprop_ref.optim.SGD`.
    batch_size : int or None
        ``None`` (default) uses the full batch every step, in order; otherwise each epoch
        visits the data in a fresh random order (from ``seed``) in batches of this size.

    Returns
    -------
    history : list of float
        ``epochs * ceil(N / batch_size)`` losses, each before its step's update.
    """
    if isinstance(model, MutableMapping):
        params, step = model, _mlp_step(model, loss)
    else:
        params, step = model.parameters(), _model_step(model, loss)
    optimiser = SGD(params, lr, momentum)
    rng = np.random.default_rng(seed)
    N = x.shape[0]
    B = N if batch_size is None else batch_size
    history: list[float] = []
    for _ in range(epochs):
        order = None if batch_size is None else rng.permutation(N)
        for start in range(0, N, B):
            batch = slice(None) if order is None else order[start : start + B]
            L, grads = step(x[batch], target[batch])
            optimiser.step(grads)
            history.append(L)
    return history


def _model_step(model: Model, loss: Loss) -> Step:
    def step(x: Array, target: Any) -> tuple[float, dict[str, Array]]:
        L, dL_dy = loss(model.forward(x), target)
        model.backward(dL_dy)
        return L, model.gradients()

    return step


def _mlp_step(params: MutableMapping[str, Array], loss: Loss) -> Step:
    def step(x: Array, target: Any) -> tuple[float, dict[str, Array]]:
        scores, cache = mlp_forward(x, params)
        L, dL_dscores = loss(scores, target)
        return L, mlp_backward(dL_dscores, cache)

    return step


def accuracy(scores: Array, labels: IntArray) -> float:
    """Fraction of rows whose highest score is at the correct label.

    Parameters
    ----------
    scores : ndarray of shape (N, C)
    labels : int ndarray of shape (N,)
    """
    return float(np.mean(np.argmax(scores, axis=1) == labels))
