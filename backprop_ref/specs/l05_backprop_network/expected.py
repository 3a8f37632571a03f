"""Lesson 05_backprop_network's expected data: the reference's outputs for a case, the
outputs of the wrong derivations students write (by name, in the order they are tried),
and the losses the finite-difference stages check against (recorded at release). Plain
data only; the judges (the cards in ``backprop_kit.specs.l05_backprop_network``) compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from backprop_kit.gradcheck import LossToRecord
from backprop_kit.verdicts import Case
from backprop_ref.layers import relu_forward
from backprop_ref.losses import softmax
from backprop_ref.mlp import mlp_backward, mlp_forward
from backprop_ref.optim import sgd_step

Params = dict[str, np.ndarray]


def layout(x: np.ndarray, params: Mapping[str, np.ndarray]) -> dict[str, list[list[int]]]:
    """The shapes of the cache's lists in the lesson's layout: ``x`` (x^1..x^K), ``z``
    (z^1..z^(K-1)) and ``W`` (W^1..W^K)."""
    _, cache = mlp_forward(x, params)
    return {key: [list(a.shape) for a in arrays] for key, arrays in cache.items()}


def _forward_variant(
    x: np.ndarray,
    params: Mapping[str, np.ndarray],
    *,
    relu_at: str = "between",
    bias: bool = True,
    last_bias: bool = True,
) -> np.ndarray:
    """The scores of a network with the ReLUs in the wrong places: ``relu_at`` is
    ``"between"`` (correct), ``"everywhere"`` (after the last layer too), ``"nowhere"``, or
    ``"input"`` (also on the input x); or without biases (all, or the last layer's)."""
    K = len(params) // 2
    h = relu_forward(x) if relu_at == "input" else x
    for k in range(1, K + 1):
        with_b = bias and (last_bias or k < K)
        h = h @ params[f"W{k}"] + (params[f"b{k}"] if with_b else 0)
        if relu_at == "everywhere" or (relu_at in ("between", "input") and k < K):
            h = relu_forward(h)
    return h


def forward(case: Case) -> dict[str, Any]:
    x, params = case.inputs["x"], case.inputs["params"]
    scores, _ = mlp_forward(x, params)
    mistakes = {
        "the scores with a ReLU after the last layer too (the scores must be able to be "
        "negative: no ReLU after layer K)": _forward_variant(x, params, relu_at="everywhere"),
        "the scores of a network without any ReLU (apply relu_forward between the layers)": (
            _forward_variant(x, params, relu_at="nowhere")
        ),
        "the scores with a ReLU on the input x as well (the first layer reads x itself)": (
            _forward_variant(x, params, relu_at="input")
        ),
        "the scores without the biases b^k": _forward_variant(x, params, bias=False),
        "the scores without the bias b^K of the last layer": (
            _forward_variant(x, params, last_bias=False)
        ),
        "the softmax probabilities of the scores (mlp_forward returns the raw scores z^K; "
        "the loss applies the softmax)": softmax(scores),
    }
    return {"scores": scores, "mistakes": mistakes, "layout": layout(x, params)}


def _backward_variant(
    x: np.ndarray,
    params: Mapping[str, np.ndarray],
    dL_dscores: np.ndarray,
    *,
    mask: str = "z",
    db_mean: bool = False,
    dW_from_z: bool = False,
) -> Params:
    """Gradients by a backward pass with one known mistake switched on (none: correct).

    ``mask``: where the ReLU mask comes from: ``"z"`` (right), ``"none"``, or ``"grad"``
    (the sign of the upstream gradient, as in ``relu_backward(dL_dx, dL_dx)``)."""
    K = len(params) // 2
    xs, zs = [x], []
    for k in range(1, K + 1):
        zs.append(xs[-1] @ params[f"W{k}"] + params[f"b{k}"])
        xs.append(relu_forward(zs[-1]))
    grads: Params = {}
    dL_dz = dL_dscores
    for k in range(K, 0, -1):
        inp = zs[k - 2] if (dW_from_z and k > 1) else xs[k - 1]
        grads[f"W{k}"] = inp.T @ dL_dz
        grads[f"b{k}"] = dL_dz.mean(axis=0) if db_mean else dL_dz.sum(axis=0)
        dL_dx = dL_dz @ params[f"W{k}"].T
        if k > 1 and mask != "none":
            dL_dz = dL_dx * ((zs[k - 2] if mask == "z" else dL_dx) > 0)
        else:
            dL_dz = dL_dx
    return grads


def backward(case: Case) -> dict[str, Any]:
    """``grads`` of the reference backward pass on the case's cache, ``mistakes`` per
    gradient, and ``fd``: the loss ``sum(dL_dscores * scores(params))`` with its kinks
    (the signs of every hidden pre-activation) at the case's parameters."""
    x, params, dL = (case.inputs[k] for k in ("x", "params", "dL_dscores"))
    truth = mlp_backward(dL, case.inputs["cache"])
    variants = {
        "without the ReLU mask (dL/dx^k must be zeroed where z^(k-1) <= 0 before it becomes "
        "dL/dz^(k-1))": _backward_variant(x, params, dL, mask="none"),
        "with dL/db as the mean over the batch instead of the sum (the 1/N is already in "
        "dL/dscores)": _backward_variant(x, params, dL, db_mean=True),
        "with the ReLU mask taken from the sign of the upstream gradient instead of from "
        "z^(k-1) (check the arguments of relu_backward)": _backward_variant(
            x, params, dL, mask="grad"
        ),
        "with dL/dW^k computed from the pre-activation z^(k-1) instead of the layer's input "
        "x^k = relu(z^(k-1))": _backward_variant(x, params, dL, dW_from_z=True),
    }
    mistakes = {
        name: {f"the gradient {what}": v[name] for what, v in variants.items()} for name in truth
    }

    def loss(**p: np.ndarray) -> float:
        return float(np.sum(dL * mlp_forward(x, p)[0]))

    def branches(**p: np.ndarray) -> np.ndarray:
        _, c = mlp_forward(x, p)
        return np.concatenate([z.ravel() > 0 for z in c["z"]] + [np.zeros(0, dtype=bool)])

    fd = LossToRecord(loss, dict(params), branches)
    return {"grads": truth, "mistakes": mistakes, "fd": fd}


def sgd(case: Case) -> dict[str, Any]:
    params, grads, lr = (case.inputs[k] for k in ("params", "grads", "lr"))
    truth = {k: v.copy() for k, v in params.items()}
    sgd_step(truth, grads, lr)
    mistakes = {}
    for name, p in params.items():
        g = grads[name]
        mistakes[name] = {
            f"{name} + lr * dL/d{name} (a step uphill: the sign is wrong)": p + lr * g,
            f"{name} - dL/d{name} (the learning rate lr is missing)": p - g,
            "the value before the step (every parameter takes a step, the biases too)": p,
        }
    return {"params": truth, "mistakes": mistakes}


def cache_size(case: Case) -> dict[str, Any]:
    """The count of the lesson's design (x^k for k = 1..K, z^k for k < K), the shapes of
    its layout, and the wrong counts students give with what to say ([value, hint])."""
    sizes, N = case.inputs["sizes"], case.inputs["N"]
    inputs, hidden, outputs = sum(sizes[:-1]), sum(sizes[1:-1]), sum(sizes[1:])
    known = {
        N * inputs: "only the layer inputs x^k: add the pre-activations z^k of the hidden "
        "layers (the ReLU masks are read from them)",
        N * (inputs + outputs): "you also counted the scores z^K: the backward pass starts "
        "from dL/dscores and never needs the scores themselves",
        inputs + hidden: "the cache holds one row per example: multiply by N",
        N * sum(sizes): "every width once: count x^k for k = 1..K (widths M_0..M_(K-1)) and "
        "z^k for the hidden layers k = 1..K-1 (widths M_1..M_(K-1))",
    }
    return {
        "count": N * (inputs + hidden),
        "layout": layout(case.inputs["x"], case.inputs["params"]),
        "mistakes": [[value, hint] for value, hint in known.items()],
    }
