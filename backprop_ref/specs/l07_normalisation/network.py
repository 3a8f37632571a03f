"""What ``bn_network`` must return on a case, the networks students build by mistake, and
the slopes of the reference loss (the reference side of the network's spec).

The network: ``z = x W1 + b1``, ``a = batchnorm(z; gamma, beta)``, ``h = relu(a)``,
``scores = h W2 + b2``, ``L = softmax cross-entropy`` (mean over the batch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_ref.layers import linear_backward, linear_forward, relu_forward
from backprop_ref.losses import softmax_cross_entropy
from backprop_ref.normalisation import NETWORK_KEYS, batchnorm_forward, bn_network
from backprop_ref.specs.core import Case
from backprop_ref.specs.slopes import directional_slopes

BN_DIRECT = (
    "the gradients of a network whose batch-norm backward is gamma / std * dL/da alone "
    "(the paths through the batch mean and variance are missing): use the compact formula"
)
BN_NO_VAR = (
    "the gradients of a network whose batch-norm backward leaves out the variance's path "
    "(the term - xhat * mean(dL/da * xhat))"
)
BN_IDENTITY = (
    "the gradients of a network without batch norm in the backward pass (dL/dz = dL/da): "
    "pass the gradient through batchnorm's backward"
)
MASK_FROM_Z = (
    "the gradients with the ReLU mask taken from z = x W1 + b1, before batch norm: the ReLU "
    "acts on a, the output of batch norm, so its mask is a > 0"
)
NO_MASK = "the gradients without the ReLU mask: dL/da = dL/dh * (a > 0)"
MEAN_DB = "the gradients with dL/db2 the mean over the batch instead of the sum"
SUM_LOSS = (
    "the cross-entropy summed over the batch, not averaged: L and every gradient are N "
    "times too large"
)


def _variant(case: Case, *, bn: str = "compact", mask: str = "a", db2: str = "sum") -> Any:
    """The network's gradients with one known mistake switched on (none: correct)."""
    x, labels, p, eps = (case.inputs[k] for k in ("x", "labels", "params", "eps"))
    z = linear_forward(x, p["W1"], p["b1"])
    a, cache = batchnorm_forward(z, p["gamma"], p["beta"], eps)
    h = relu_forward(a)
    _, dL_dscores = softmax_cross_entropy(linear_forward(h, p["W2"], p["b2"]), labels)
    grads: dict[str, Any] = {}
    dL_dh, grads["W2"], grads["b2"] = linear_backward(dL_dscores, h, p["W2"])
    if db2 == "mean":
        grads["b2"] = dL_dscores.mean(axis=0)
    masks: dict[str, Any] = {"a": a > 0, "z": z > 0, "none": 1.0}
    dL_da = dL_dh * masks[mask]
    xhat, std, gamma = cache["xhat"], cache["std"], p["gamma"]
    grads["gamma"] = (dL_da * xhat).sum(axis=0)
    grads["beta"] = dL_da.sum(axis=0)
    g = dL_da * gamma
    dL_dz = {
        "compact": lambda: (g - g.mean(0) - xhat * (g * xhat).mean(0)) / std,
        "direct": lambda: g / std,
        "no_var": lambda: (g - g.mean(0)) / std,
        "identity": lambda: dL_da,
    }[bn]()
    _, grads["W1"], grads["b1"] = linear_backward(dL_dz, x, p["W1"])
    return grads


def expect_network(case: Case) -> dict[str, Any]:
    x, labels, params, eps = (case.inputs[k] for k in ("x", "labels", "params", "eps"))
    L, grads = bn_network(x, labels, params, eps)
    N = x.shape[0]
    variants = {
        BN_DIRECT: _variant(case, bn="direct"),
        BN_NO_VAR: _variant(case, bn="no_var"),
        BN_IDENTITY: _variant(case, bn="identity"),
        MASK_FROM_Z: _variant(case, mask="z"),
        NO_MASK: _variant(case, mask="none"),
        MEAN_DB: _variant(case, db2="mean"),
        SUM_LOSS: {k: N * v for k, v in grads.items()},
    }
    mistakes = {k: {what: v[k] for what, v in variants.items()} for k in NETWORK_KEYS}

    def loss(**p: Any) -> float:
        return bn_network(x, labels, p, eps)[0]

    def masks(**p: Any) -> Any:
        z = linear_forward(x, p["W1"], p["b1"])
        return batchnorm_forward(z, p["gamma"], p["beta"], eps)[0] > 0

    steps = dict.fromkeys(NETWORK_KEYS, 1e-5)
    fd = directional_slopes(loss, params, grads, steps, scale=abs(L) + 1.0, branches=masks)
    # dL/db1 is zero up to rounding: judged absolutely, against the other gradients' scale
    scale = max(float(np.max(np.abs(grads[k]))) for k in NETWORK_KEYS if k != "b1")
    return {
        "L": L,
        "L_mistakes": {SUM_LOSS: N * L},
        "grads": grads,
        "mistakes": mistakes,
        "zero_tolerance": {"b1": 1e-8 * scale},
        "fd": fd,
    }
