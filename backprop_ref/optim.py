"""Gradient descent: one step as a function (graded in lesson 5).

Parameters and gradients are dicts of arrays with the same keys and shapes, e.g.
``{"W1": ..., "b1": ...}`` (the lesson-5 network) or ``Sequential.parameters()``. Updates
are in place, so a model whose parameters are in the dict learns without any copying back.
"""

from __future__ import annotations

from collections.abc import Mapping

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


def _check_keys(params: Mapping[str, Array], grads: Mapping[str, Array]) -> None:
    if params.keys() != grads.keys():
        raise KeyError(f"params and grads need the same keys: {sorted(params)} vs {sorted(grads)}")
