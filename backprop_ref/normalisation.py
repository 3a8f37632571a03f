"""Normalisation layers: batch normalisation (training mode) and layer normalisation.

Both normalise ``x`` of shape (N, D) to zero mean and unit variance along one axis, then
scale and shift it per feature with the learned ``gamma`` and ``beta`` (shape (D,)):

* **batch norm** takes the statistics of each feature over the batch (axis 0): ``mu``,
  ``var`` and ``std`` have shape (D,);
* **layer norm** takes the statistics of each example over its features (axis 1): ``mu``,
  ``var`` and ``std`` have shape (N, 1), so that they broadcast against ``x``.

The forward pass is the graph of intermediate values the lesson differentiates step by
step::

    mu   = mean(x)                    the mean along the axis
    xc   = x - mu                     centred
    var  = mean(xc ** 2)              biased variance (divide by the count, not count - 1)
    std  = sqrt(var + eps)            epsilon inside the square root
    xhat = xc / std                   normalised
    y    = gamma * xhat + beta        scaled and shifted per feature

The variance is computed from the centred values (two passes), never as
``mean(x**2) - mean(x)**2``, which cancels catastrophically when ``|mu| >> std``. The
cache is plain data (a dict of arrays and the float ``eps``) with the keys of
:data:`CACHE_KEYS`; it is what the graded ``*_backward`` functions receive.

The functions never modify their arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from backprop_ref._types import Array, IntArray
from backprop_ref.layers import linear_backward, linear_forward, relu_backward, relu_forward
from backprop_ref.losses import softmax_cross_entropy

#: The keys of a normalisation cache: the inputs, then every node of the graph but y.
CACHE_KEYS = ("x", "gamma", "eps", "mu", "xc", "var", "std", "xhat")
#: The keys of :func:`batchnorm_backward_staged`'s result, in the order it computes them.
STAGED_KEYS = ("beta", "gamma", "xhat", "std", "var", "xc", "mu", "x")
#: The parameters of :func:`bn_network`, in order.
NETWORK_KEYS = ("W1", "b1", "gamma", "beta", "W2", "b2")

Cache = dict[str, Any]


def _forward(x: Array, gamma: Array, beta: Array, eps: float, axis: int) -> tuple[Array, Cache]:
    """The normalisation graph along ``axis``; statistics keep their axis (keepdims)."""
    mu = x.mean(axis=axis, keepdims=True)  # (1, D) for axis 0, (N, 1) for axis 1
    xc = x - mu  # (N, D), broadcast over the axis
    var = (xc * xc).mean(axis=axis, keepdims=True)  # biased: / count, from centred values
    std = np.sqrt(var + eps)  # eps inside the root: std >= sqrt(eps) > 0
    xhat = xc / std  # (N, D)
    y = gamma * xhat + beta  # (D,) broadcast over the rows
    cache: Cache = {"x": x, "gamma": gamma, "eps": float(eps)}
    cache.update(mu=mu, xc=xc, var=var, std=std, xhat=xhat)
    return y, cache


def _backward(dL_dy: Array, cache: Mapping[str, Any], axis: int) -> tuple[Array, Array, Array]:
    """The compact backward along ``axis`` (statistics broadcast as in :func:`_forward`)."""
    xhat, std, gamma = cache["xhat"], cache["std"], cache["gamma"]
    count = xhat.shape[axis]  # N for batch norm, D for layer norm
    dL_dbeta = dL_dy.sum(axis=0)  # beta is shared by the rows: (N, D) -> (D,)
    dL_dgamma = (dL_dy * xhat).sum(axis=0)  # (N, D) -> (D,)
    g = dL_dy * gamma  # dL/dxhat, (N, D)
    s1 = g.sum(axis=axis, keepdims=True)  # the mean's path, (1, D) or (N, 1)
    s2 = (g * xhat).sum(axis=axis, keepdims=True)  # the variance's path
    dL_dx = (count * g - s1 - xhat * s2) / (count * std)  # (N, D)
    return dL_dx, dL_dgamma, dL_dbeta


def batchnorm_forward(
    x: Array, gamma: Array, beta: Array, eps: float = 1e-5
) -> tuple[Array, Cache]:
    """Batch normalisation in training mode: each feature normalised over the batch.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        A batch of N examples with D features; N >= 2 for the statistics to mean anything.
    gamma, beta : ndarrays of shape (D,)
        The learned scale and shift, one per feature.
    eps : float
        Added to the variance inside the square root.

    Returns
    -------
    y : ndarray of shape (N, D)
        ``gamma * (x - mu) / sqrt(var + eps) + beta`` with the batch's mean ``mu`` and
        biased variance ``var`` (as PyTorch normalises in training mode).
    cache : dict
        ``x``, ``gamma``, ``eps`` (a float), ``mu``, ``var``, ``std`` of shape (D,) and
        ``xc``, ``xhat`` of shape (N, D).
    """
    y, cache = _forward(x, gamma, beta, eps, axis=0)
    for key in ("mu", "var", "std"):
        cache[key] = cache[key][0]  # (1, D) -> (D,): one statistic per feature
    return y, cache


def batchnorm_backward_staged(dL_dy: Array, cache: Mapping[str, Any]) -> dict[str, Array]:
    """The backward pass of batch norm, node by node through the graph of the forward pass.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, D)
    cache : dict, as returned by :func:`batchnorm_forward`

    Returns
    -------
    grads : dict of the total derivative of the loss for every node: ``beta``, ``gamma``,
        ``std``, ``var``, ``mu`` of shape (D,) and ``xhat``, ``xc``, ``x`` of shape (N, D).
        Where a node feeds two others (``x`` feeds ``mu`` and ``xc``; ``xc`` feeds ``var``
        and ``xhat``) its gradient is the sum of what comes back along both paths.
    """
    x, gamma, xc, std, xhat = (cache[k] for k in ("x", "gamma", "xc", "std", "xhat"))
    N = x.shape[0]
    g: dict[str, Array] = {}
    g["beta"] = dL_dy.sum(axis=0)  # y = ... + beta, beta shared by rows: (D,)
    g["gamma"] = (dL_dy * xhat).sum(axis=0)  # y = gamma * xhat + ...: (N, D) -> (D,)
    g["xhat"] = dL_dy * gamma  # (N, D) * (D,) -> (N, D)
    g["std"] = -(g["xhat"] * xc).sum(axis=0) / std**2  # xhat = xc / std: (N, D) -> (D,)
    g["var"] = g["std"] / (2 * std)  # std = sqrt(var + eps): (D,)
    g["xc"] = g["xhat"] / std + (2.0 / N) * xc * g["var"]  # two paths: xhat and var, (N, D)
    g["mu"] = -g["xc"].sum(axis=0)  # xc = x - mu, mu shared by rows: (N, D) -> (D,)
    g["x"] = g["xc"] + g["mu"] / N  # two paths: xc and mu = mean(x): (N, D)
    return g


def batchnorm_backward(dL_dy: Array, cache: Mapping[str, Any]) -> tuple[Array, Array, Array]:
    """The backward pass of batch norm in its compact form.

    ``dL_dx = 1 / (N std) * (N g - sum_n g - xhat * sum_n(g * xhat))`` with
    ``g = dL_dy * gamma`` (= dL/dxhat) and the sums over the batch, for each feature.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, D)
    cache : dict, as returned by :func:`batchnorm_forward` (only ``gamma``, ``std`` and
        ``xhat`` are read)

    Returns
    -------
    dL_dx : ndarray of shape (N, D)
    dL_dgamma, dL_dbeta : ndarrays of shape (D,)
    """
    return _backward(dL_dy, cache, axis=0)


def layernorm_forward(
    x: Array, gamma: Array, beta: Array, eps: float = 1e-5
) -> tuple[Array, Cache]:
    """Layer normalisation: each example normalised over its features.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Any N >= 1; D >= 2 features.
    gamma, beta : ndarrays of shape (D,)
    eps : float

    Returns
    -------
    y : ndarray of shape (N, D)
    cache : dict
        The keys of :func:`batchnorm_forward`'s cache, with ``mu``, ``var`` and ``std`` of
        shape (N, 1) (one statistic per example, kept as a column so it broadcasts).
    """
    return _forward(x, gamma, beta, eps, axis=1)


def layernorm_backward(dL_dy: Array, cache: Mapping[str, Any]) -> tuple[Array, Array, Array]:
    """The backward pass of layer norm: batch norm's derivation along the other axis.

    ``dL_dx = 1 / (D std) * (D g - sum_j g - xhat * sum_j(g * xhat))`` with
    ``g = dL_dy * gamma`` and the sums over the features of each row; ``dL_dgamma`` and
    ``dL_dbeta`` still sum over the batch (gamma and beta are per feature).

    Parameters
    ----------
    dL_dy : ndarray of shape (N, D)
    cache : dict, as returned by :func:`layernorm_forward`

    Returns
    -------
    dL_dx : ndarray of shape (N, D)
    dL_dgamma, dL_dbeta : ndarrays of shape (D,)
    """
    return _backward(dL_dy, cache, axis=1)


def bn_network(
    x: Array, labels: IntArray, params: Mapping[str, Array], eps: float = 1e-5
) -> tuple[float, dict[str, Array]]:
    """Loss and gradients of affine -> batch norm -> ReLU -> affine -> softmax cross-entropy.

    Parameters
    ----------
    x : ndarray of shape (N, M_0)
    labels : int ndarray of shape (N,)
    params : dict with ``W1`` (M_0, H), ``b1`` (H,), ``gamma``, ``beta`` (H,), ``W2`` (H, C),
        ``b2`` (C,)
    eps : float, batch norm's epsilon

    Returns
    -------
    L : float, the mean cross-entropy over the batch
    grads : dict with the keys of ``params``, each of its parameter's shape. ``grads["b1"]``
        is zero up to rounding: batch norm subtracts the batch mean, which removes any
        bias added before it.
    """
    z = linear_forward(x, params["W1"], params["b1"])  # (N, H)
    a, bn_cache = batchnorm_forward(z, params["gamma"], params["beta"], eps)  # (N, H)
    h = relu_forward(a)  # (N, H)
    scores = linear_forward(h, params["W2"], params["b2"])  # (N, C)
    L, dL_dscores = softmax_cross_entropy(scores, labels)  # float, (N, C)
    grads: dict[str, Array] = {}
    dL_dh, grads["W2"], grads["b2"] = linear_backward(dL_dscores, h, params["W2"])  # (N, H)
    dL_da = relu_backward(dL_dh, a)  # mask of the ReLU's input a: (N, H)
    dL_dz, grads["gamma"], grads["beta"] = batchnorm_backward(dL_da, bn_cache)  # (N, H), (H,)
    _, grads["W1"], grads["b1"] = linear_backward(dL_dz, x, params["W1"])  # (M_0, H), (H,)
    return L, {k: grads[k] for k in NETWORK_KEYS}
