"""Layers as pure functions: each ``forward`` beside its ``backward``.

Course notation: a layer maps ``x`` of shape (N, M_in) to ``y`` of shape (N, M_out).
Given the upstream gradient ``dL_dy`` (shape of ``y``), ``backward`` returns the gradient
of the loss with respect to each input of ``forward``, each with the shape of its variable.
Row-major throughout: ``y = x @ W + b`` with ``W`` of shape (M_in, M_out).

The functions keep the dtype they are given (no silent float32 -> float64 upcast) and
never modify their arguments.
"""

from __future__ import annotations

import numpy as np

from backprop_ref._types import Array


def linear_forward(x: Array, W: Array, b: Array) -> Array:
    """Affine layer ``y = x W + b``.

    Parameters
    ----------
    x : ndarray of shape (N, M_in)
    W : ndarray of shape (M_in, M_out)
    b : ndarray of shape (M_out,)

    Returns
    -------
    y : ndarray of shape (N, M_out)
    """
    y = x @ W  # (N, M_in) @ (M_in, M_out) -> (N, M_out)
    y += b  # (N, M_out) + (M_out,) broadcast over the batch
    return y


def linear_backward(dL_dy: Array, x: Array, W: Array) -> tuple[Array, Array, Array]:
    """Gradients of the affine layer.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, M_out)
    x : ndarray of shape (N, M_in)
    W : ndarray of shape (M_in, M_out)

    Returns
    -------
    dL_dx : ndarray of shape (N, M_in)
    dL_dW : ndarray of shape (M_in, M_out)
    dL_db : ndarray of shape (M_out,)

    Notes
    -----
    In index form ``y[n, j] = sum_i x[n, i] W[i, j] + b[j]``, so
    ``dL/dW[i, j] = sum_n x[n, i] dL/dy[n, j]`` and ``dL/dx[n, i] = sum_j dL/dy[n, j] W[i, j]``.
    """
    dL_dx = dL_dy @ W.T  # (N, M_out) @ (M_out, M_in) -> (N, M_in)
    dL_dW = x.T @ dL_dy  # (M_in, N) @ (N, M_out) -> (M_in, M_out)
    dL_db = dL_dy.sum(axis=0)  # sum over the batch: (N, M_out) -> (M_out,)
    return dL_dx, dL_dW, dL_db


def relu_forward(x: Array) -> Array:
    """Rectified linear unit ``y = max(x, 0)``, element-wise; any shape."""
    return np.maximum(x, 0)


def relu_backward(dL_dy: Array, x: Array) -> Array:
    """Gradient of ReLU: pass ``dL_dy`` where ``x > 0``, zero elsewhere (0 at the kink).

    Parameters
    ----------
    dL_dy, x : ndarrays of the same shape

    Returns
    -------
    dL_dx : ndarray of that shape
    """
    return dL_dy * (x > 0)  # diagonal Jacobian: element-wise mask, shape of x


def sigmoid_forward(x: Array) -> Array:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, element-wise; no overflow warnings."""
    # exp(-log(1 + exp(-x))) never overflows: logaddexp is stable for any x.
    return np.exp(-np.logaddexp(0, -x))


def sigmoid_backward(dL_dy: Array, x: Array) -> Array:
    """Gradient of the sigmoid: ``dL_dx = dL_dy * s (1 - s)`` with ``s = sigmoid(x)``."""
    s = sigmoid_forward(x)
    return dL_dy * s * (1 - s)  # diagonal Jacobian s(1 - s), shape of x


def tanh_forward(x: Array) -> Array:
    """Hyperbolic tangent, element-wise."""
    return np.tanh(x)


def tanh_backward(dL_dy: Array, x: Array) -> Array:
    """Gradient of tanh: ``dL_dx = dL_dy * (1 - tanh(x)**2)``."""
    t: Array = np.tanh(x)
    return dL_dy * (1 - t * t)  # diagonal Jacobian 1 - tanh^2, shape of x
