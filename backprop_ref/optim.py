"""Gradient descent: one step as a function (graded in lesson 5) and with momentum.

Parameters and gradients are dicts of arrays with the same keys and shapes, e.g.
``{"W1": ..., "b1": ...}`` (the lesson-5 network) or ``Sequential.parameters()``. Updates
are in place, so a model whose parameters are in the dict learns without any copying back.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from backprop_ref._types import Array


def sgd_step(params: Mapping[str, Array], grads: Mapping[str, Array], lr: float) -> None:
    """One step of gradient descent, in place: ``W <- W - lr * dL/dW`` for every key.

    Parameters
    ----------
    params : dict of name -> ndarray
        Updated in place: the arrays keep their identity, shape and dtype.
    grads : dict of name -> ndarray
        The gradient of the loss for each parameter, same keys and shapes.
    lr : float
        The learning rate (step size).

    Returns
    -------
    None
    """
    _check_keys(params, grads)
    for name, W in params.items():
        W -= lr * grads[name]  # in place, shape of W


class SGD:
    """Gradient descent with classical (heavy-ball) momentum.

    With velocity ``v`` (zero at the start) and momentum ``mu``, each step does::

        v <- mu * v - lr * dL/dW
        W <- W + v

    so ``mu = 0`` is plain :func:`sgd_step`. The parameters are updated in place.

    Parameters
    ----------
    params : dict of name -> ndarray
        The arrays to train (references, e.g. ``Sequential.parameters()``).
    lr : float
        The learning rate.
    momentum : float in [0, 1)
        The fraction ``mu`` of the previous step that is kept.
    """

    def __init__(self, params: Mapping[str, Array], lr: float, momentum: float = 0.0) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), not {momentum}")
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.velocity = {name: np.zeros_like(W) for name, W in params.items()}

    def step(self, grads: Mapping[str, Array]) -> None:
        """Update every parameter from its gradient (same keys as ``params``)."""
        if self.momentum == 0.0:
            sgd_step(self.params, grads, self.lr)
            return
        _check_keys(self.params, grads)
        for name, W in self.params.items():
            v = self.velocity[name]
            v *= self.momentum  # mu * v
            v -= self.lr * grads[name]  # mu * v - lr * dL/dW
            W += v


def _check_keys(params: Mapping[str, Array], grads: Mapping[str, Array]) -> None:
    if params.keys() != grads.keys():
        raise KeyError(f"params and grads need the same keys: {sorted(params)} vs {sorted(grads)}")
