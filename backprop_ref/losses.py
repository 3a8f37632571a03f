"""Losses: each returns the value and its gradient together, ``(L, dL_dy)``.

Both losses average over the batch (the first axis, of size N), so ``dL_dy`` carries a
factor ``1/N``. This is where the backward recursion starts.
"""

from __future__ import annotations

import numpy as np

from backprop_ref._types import Array, IntArray


def mse_loss(y: Array, t: Array) -> tuple[float, Array]:
    """Mean squared error over the batch: ``L = (1/N) sum_n ||y_n - t_n||^2``.

    Parameters
    ----------
    y : ndarray of shape (N, M)
        Predictions.
    t : ndarray of shape (N, M)
        Targets.

    Returns
    -------
    L : float
    dL_dy : ndarray of shape (N, M)
        ``2 (y - t) / N``.
    """
    N = y.shape[0]
    r = y - t  # residual, (N, M)
    L = float(np.sum(r * r)) / N
    dL_dy = r * (2.0 / N)  # d/dy of (1/N) sum r^2: (N, M)
    return L, dL_dy


def log_softmax(scores: Array) -> Array:
    """Row-wise ``log softmax``, stable for any finite scores; shape of ``scores``."""
    shifted: Array = scores - scores.max(axis=1, keepdims=True)  # largest entry per row is 0
    log_norm: Array = np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, 1)
    return shifted - log_norm


def softmax(scores: Array) -> Array:
    """Row-wise softmax ``p[n, c] = exp(s[n, c]) / sum_k exp(s[n, k])``, stable."""
    return np.exp(log_softmax(scores))


def softmax_cross_entropy(scores: Array, labels: IntArray) -> tuple[float, Array]:
    """Softmax followed by cross-entropy, mean over the batch.

    Parameters
    ----------
    scores : ndarray of shape (N, C)
        Unnormalised class scores (logits). Stable for scores as large as 1e4.
    labels : int ndarray of shape (N,)
        The correct class of each row, in ``0 .. C-1``.

    Returns
    -------
    L : float
        ``-(1/N) sum_n log p[n, labels[n]]``.
    dL_dscores : ndarray of shape (N, C)
        ``(p - onehot(labels)) / N``.
    """
    N = scores.shape[0]
    logp = log_softmax(scores)  # (N, C)
    rows = np.arange(N)
    L = -float(logp[rows, labels].sum()) / N
    dL_dscores = np.exp(logp)  # p, (N, C)
    dL_dscores[rows, labels] -= 1  # p - onehot, (N, C)
    dL_dscores /= N  # mean over the batch
    return L, dL_dscores
