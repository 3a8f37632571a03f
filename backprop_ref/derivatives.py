"""Explicit Jacobians and derivative tensors, for teaching (never on a hot path).

Course notation: for ``f: R^n -> R^m`` the differential at ``x0`` is the m x n Jacobian
``J[i, k] = d f_i / d x_k``, and the chain rule reads
``d(g o f)/dx (x0) = dg/dy (f(x0)) . df/dx (x0)``, a k x n matrix.

For a layer with matrix-valued input and output the derivative is a higher-order tensor:
``dy/dW`` of the linear layer has shape (N, M_out, M_in, M_out), indexed by (an entry of
``y``, an entry of ``W``). Applying the upstream gradient ``dL/dy`` (shape (N, M_out))
contracts the first two axes, leaving the shape of ``W``: :func:`apply_jacobian`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backprop_ref._types import Array
from backprop_ref.losses import softmax


def numerical_jacobian(f: Callable[[Array], Array], x: Array, h: float = 1e-5) -> Array:
    """Central-difference Jacobian of ``f: R^n -> R^m`` at ``x``.

    Parameters
    ----------
    f : callable taking an ndarray of shape (n,) and returning one of shape (m,)
    x : ndarray of shape (n,)
    h : float
        Step size; 1e-5 balances truncation and round-off in float64.

    Returns
    -------
    J : ndarray of shape (m, n), float64
        Column ``k`` is ``(f(x + h e_k) - f(x - h e_k)) / 2h``.
    """
    x = np.array(x, dtype=np.float64)  # a private float64 copy: the caller's x is never touched
    columns = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        columns.append((np.asarray(f(x + e), float) - np.asarray(f(x - e), float)) / (2 * h))
    return np.stack(columns, axis=1)  # m values per column, n columns -> (m, n)


def jacobian_tanh(x: Array) -> Array:
    """Jacobian of element-wise ``tanh`` at ``x`` of shape (n,): ``diag(1 - tanh(x)^2)``, (n, n)."""
    t = np.tanh(x)
    return np.diag(1 - t * t)


def jacobian_softmax(z: Array) -> Array:
    """Jacobian of ``softmax`` at ``z`` of shape (n,): ``diag(p) - p p^T``, shape (n, n)."""
    p = softmax(z[None, :])[0]  # (n,)
    return np.diag(p) - np.outer(p, p)


def chain_rule_jacobian(
    jac_g: Callable[[Array], Array],
    jac_f: Callable[[Array], Array],
    f: Callable[[Array], Array],
    x0: Array,
) -> Array:
    """Jacobian of ``g o f`` at ``x0`` by the chain rule: ``dg/dy(f(x0)) @ df/dx(x0)``.

    ``jac_f(x0)`` is (m, n) and ``jac_g(f(x0))`` is (k, m), so the product is (k, n).
    """
    return jac_g(f(x0)) @ jac_f(x0)  # (k, m) @ (m, n) -> (k, n)


def linear_jacobian_W(x: Array, W: Array) -> Array:
    """Derivative tensor ``dy/dW`` of ``y = x W + b``.

    Parameters
    ----------
    x : ndarray of shape (N, M_in)
    W : ndarray of shape (M_in, M_out)

    Returns
    -------
    J : ndarray of shape (N, M_out, M_in, M_out)
        ``J[n, j, i, k] = dy[n, j] / dW[i, k] = x[n, i] * (j == k)``.
    """
    M_out = W.shape[1]
    eye: Array = np.eye(M_out, dtype=np.result_type(x, W))
    return x[:, None, :, None] * eye[None, :, None, :]  # (N,1,M_in,1) * (1,M_out,1,M_out)


def linear_jacobian_x(x: Array, W: Array) -> Array:
    """Derivative tensor ``dy/dx`` of ``y = x W + b``.

    Parameters
    ----------
    x : ndarray of shape (N, M_in)
    W : ndarray of shape (M_in, M_out)

    Returns
    -------
    J : ndarray of shape (N, M_out, N, M_in)
        ``J[n, j, m, i] = dy[n, j] / dx[m, i] = (n == m) * W[i, j]``: rows of the batch
        do not interact.
    """
    N = x.shape[0]
    eye = np.eye(N, dtype=np.result_type(x, W))
    return eye[:, None, :, None] * W.T[None, :, None, :]  # (N,1,N,1) * (1,M_out,1,M_in)


def apply_jacobian(dL_dy: Array, J: Array) -> Array:
    """Contract the upstream gradient with a derivative tensor: ``dL/dy . dy/dv``.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, M_out)
    J : ndarray of shape (N, M_out, *v_shape)

    Returns
    -------
    dL_dv : ndarray of shape v_shape
        ``sum_{n, j} dL_dy[n, j] * J[n, j, ...]``.
    """
    return np.tensordot(dL_dy, J, axes=([0, 1], [0, 1]))  # (N, M_out) . (N, M_out, *v) -> v
