"""The lesson-5 network as plain functions over a dict of parameters.

``K`` affine layers with a ReLU between consecutive ones and none after the last::

    x^1 = x,   z^k = x^k W^k + b^k   (k = 1..K),   x^{k+1} = relu(z^k)   (k < K),
    scores = z^K.

Parameters are ``{"W1", "b1", ..., "WK", "bK"}`` with ``Wk`` of shape (M_{k-1}, M_k) and
``bk`` of shape (M_k,); ``K >= 1`` is read off the keys. The signatures of
:func:`mlp_forward` and :func:`mlp_backward` are those of the graded functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backprop_kit.params import init_mlp
from backprop_ref._types import Array
from backprop_ref.layers import linear_backward, linear_forward, relu_backward, relu_forward

__all__ = ["Cache", "depth", "init_mlp", "mlp_backward", "mlp_forward"]

#: What ``mlp_forward`` hands to ``mlp_backward``: see :func:`mlp_forward`.
Cache = dict[str, list[Array]]


def depth(params: Mapping[str, Any]) -> int:
    """The number ``K`` of affine layers, checking the keys are exactly W1, b1, ..., WK, bK."""
    K = len(params) // 2
    expected = {f"{p}{k}" for k in range(1, K + 1) for p in "Wb"}
    if K < 1 or set(params) != expected:
        raise KeyError(f"expected keys W1, b1, ..., WK, bK; got {sorted(params)}")
    return K


def mlp_forward(x: Array, params: Mapping[str, Array]) -> tuple[Array, Cache]:
    """Scores of the MLP for a batch, and the cache for :func:`mlp_backward`.

    Parameters
    ----------
    x : ndarray of shape (N, M_0)
    params : dict with W1, b1, ..., WK, bK

    Returns
    -------
    scores : ndarray of shape (N, M_K)
    cache : dict of lists of arrays (references, nothing is copied)
        ``"x"``: the input ``x^k`` of each affine layer, K arrays of shape (N, M_{k-1});
        ``"z"``: the pre-activation ``z^k`` of each hidden layer, K-1 arrays (N, M_k);
        ``"W"``: the weights ``Wk``, K arrays.
    """
    K = depth(params)
    cache: Cache = {"x": [], "z": [], "W": []}
    z = x
    for k in range(1, K + 1):
        if k > 1:
            cache["z"].append(z)
            x = relu_forward(z)  # x^k = relu(z^{k-1})
        W = params[f"W{k}"]
        cache["x"].append(x)
        cache["W"].append(W)
        z = linear_forward(x, W, params[f"b{k}"])  # (N, M_{k-1}) -> (N, M_k)
    return z, cache


def mlp_backward(dL_dscores: Array, cache: Cache) -> dict[str, Array]:
    """Gradients of the loss for every parameter, from ``dL/dscores`` of shape (N, M_K).

    Returns
    -------
    grads : dict with keys W1, b1, ..., WK, bK (in that order), shapes of the parameters
    """
    K = len(cache["W"])
    grads: dict[str, Array] = {}
    dL_dz = dL_dscores  # dL/dz^K
    for k in range(K, 0, -1):
        dL_dx, grads[f"W{k}"], grads[f"b{k}"] = linear_backward(
            dL_dz, cache["x"][k - 1], cache["W"][k - 1]
        )  # dL/dx^k (N, M_{k-1}), dL/dW^k (M_{k-1}, M_k), dL/db^k (M_k,)
        if k > 1:
            dL_dz = relu_backward(dL_dx, cache["z"][k - 2])  # dL/dz^{k-1} = dL/dx^k * mask
    return {name: grads[name] for k in range(1, K + 1) for name in (f"W{k}", f"b{k}")}
