"""Lesson 06_autodiff, reference side: ``expect_<fn>(case) -> dict``, everything a judge
compares with, as plain data: the reference outputs, the outputs of named wrong
derivations (``{description: value}``, read by :func:`~backprop_ref.gradcheck.diagnose`),
and for the engine's functions the precomputed slopes of the finite-difference stage.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

from backprop_ref import autodiff as ad
from backprop_ref._types import Array
from backprop_ref.layers import relu_backward
from backprop_ref.losses import softmax, softmax_cross_entropy
from backprop_ref.mlp import mlp_backward, mlp_forward
from backprop_ref.specs.core import Case
from backprop_ref.specs.l06_autodiff import engines

# ------------------------------------------------------------------ topological_order


def expect_topological_order(case: Case) -> dict[str, Any]:
    parents, root = case.inputs["parents"], case.inputs["root"]
    order = ad.topological_order(parents, root)
    return {
        "order": order,  # one right answer among several: for messages only
        "edges": [[p, c] for c in order for p in dict.fromkeys(parents[c])],
        "unneeded": sorted(set(parents) - set(order)),
    }


# ----------------------------------------------------------------------- add_backward


def _sum_to(
    g: Array, shape: tuple[int, ...], *, mean: bool = False, lead_only: bool = False
) -> Array:
    reduce = np.mean if mean else np.sum
    g = reduce(g, axis=tuple(range(g.ndim - len(shape))))
    if lead_only:
        return np.asarray(g)
    axes = tuple(i for i, m in enumerate(shape) if m == 1 and g.shape[i] != 1)
    return np.asarray(reduce(g, axis=axes, keepdims=True))


def _operand(dL_dz: Array, shape: tuple[int, ...]) -> dict[str, Any]:
    truth = ad.unbroadcast(dL_dz, shape)
    mistakes = {
        "dL_dz itself (an operand that numpy broadcast gets dL_dz summed back to its own "
        "shape: over the axes numpy put in front, and the axes where it has size 1)": dL_dz,
        "dL_dz summed over the axes numpy put in front only (also sum, keeping them, the "
        "axes where the operand has size 1)": _sum_to(dL_dz, shape, lead_only=True),
        "the mean of dL_dz over the broadcast axes (a broadcast copy feeds every entry it "
        "was copied to: their gradients add up, sum them)": _sum_to(dL_dz, shape, mean=True),
        "half of the right gradient (the gradient does not split at an addition: dz/dx and "
        "dz/dy are identities, each operand receives all of dL_dz)": 0.5 * truth,
        "dL_dz summed over axis 0 only (sum over every broadcast axis, whichever they "
        "are)": dL_dz.sum(axis=0) if dL_dz.ndim else dL_dz,
        "the sum of all of dL_dz, one number (sum only the broadcast axes)": np.sum(dL_dz),
    }
    return {"truth": truth, "mistakes": mistakes}


def expect_add_backward(case: Case) -> dict[str, Any]:
    dL_dz = case.inputs["dL_dz"]
    x_shape, y_shape = tuple(case.inputs["x_shape"]), tuple(case.inputs["y_shape"])
    out = {"dL_dx": _operand(dL_dz, x_shape), "dL_dy": _operand(dL_dz, y_shape)}
    swapped = "the gradient for the other operand (the results are swapped: dL_dx, then dL_dy)"
    for mine, other in (("dL_dx", "dL_dy"), ("dL_dy", "dL_dx")):
        if x_shape != y_shape:  # the first named match wins: a swap before any other
            out[mine]["mistakes"] = {swapped: out[other]["truth"], **out[mine]["mistakes"]}
    return out


# -------------------------------------------------------------------- matmul_backward


def expect_matmul_backward(case: Case) -> dict[str, Any]:
    dL_dz, x, W = (case.inputs[k] for k in ("dL_dz", "x", "W"))
    dL_dx, dL_dW = ad.matmul_backward(dL_dz, x, W)
    N = x.shape[0]
    x_mistakes: dict[str, Any] = {
        "x.T @ dL_dz, the gradient for W (the two results are swapped: return dL_dx, "
        "then dL_dW)": dL_dW,
    }
    W_mistakes: dict[str, Any] = {
        "dL_dz @ W.T, the gradient for x (the two results are swapped: return dL_dx, "
        "then dL_dW)": dL_dx,
        "x.T @ dL_dz / N (no average here: a mean over the batch belongs to the loss)": (dL_dW / N),
    }
    if W.shape[0] == W.shape[1]:
        x_mistakes["dL_dz @ W (W must be transposed: z[n, j] = sum_i x[n, i] W[i, j])"] = dL_dz @ W
    if x.shape[0] == x.shape[1]:
        W_mistakes["x @ dL_dz (x must be transposed: dL/dW[i, j] = sum_n x[n, i] dL/dz[n, j])"] = (
            x @ dL_dz
        )
    return {
        "dL_dx": {"truth": dL_dx, "mistakes": x_mistakes},
        "dL_dW": {"truth": dL_dW, "mistakes": W_mistakes},
        "N": N,
    }


# ---------------------------------------------------------------------- mean_backward


def expect_mean_backward(case: Case) -> dict[str, Any]:
    dL_dm, axis = np.asarray(case.inputs["dL_dm"], dtype=float), case.inputs["axis"]
    shape = tuple(case.inputs["x_shape"])
    truth = ad.mean_backward(dL_dm, shape, axis)
    spread = ad.sum_backward(dL_dm, shape, axis)
    count = math.prod(shape) if axis is None else shape[axis]
    mistakes = {
        "dL_dm copied to every averaged entry, not divided by their count (that is the rule "
        "of sum; every entry weighs 1/count in the mean)": spread,
        "dL_dm divided by the count but not spread back over the averaged axis (put the "
        "axis back with np.expand_dims, then broadcast to x's shape)": (
            dL_dm / count if axis is None else np.expand_dims(dL_dm, axis) / count
        ),
    }
    if axis is not None:
        mistakes[
            "the gradient divided by x's number of entries, not by the size of the averaged "
            "axis (count = x_shape[axis])"
        ] = spread / math.prod(shape)
        mistakes["the gradient divided by the size of axis 0 (count = x_shape[axis])"] = (
            spread / shape[0]
        )
        try:
            unaligned = np.broadcast_to(dL_dm, shape) / count
        except ValueError:
            pass
        else:
            mistakes[
                "dL_dm broadcast against x without putting the averaged axis back: numpy "
                "aligned it with the last axes (use np.expand_dims(dL_dm, axis))"
            ] = unaligned
    return {"truth": truth, "mistakes": mistakes}


# ------------------------------------------------------------- cross_entropy_backward


def expect_cross_entropy_backward(case: Case) -> dict[str, Any]:
    dL_dL, scores, labels = (case.inputs[k] for k in ("dL_dL", "scores", "labels"))
    N, C = scores.shape
    truth = ad.cross_entropy_backward(dL_dL, scores, labels)
    p, onehot = softmax(scores), np.eye(C)[labels]
    mistakes = {
        "(softmax(scores) - onehot) / N without the upstream dL_dL (the loss node's own "
        "gradient is dL_dL, 1 only when it is the final loss)": (p - onehot) / N,
        "dL_dL * softmax(scores) / N, without subtracting the one-hot labels": dL_dL * p / N,
        "dL_dL * (onehot - softmax(scores)) / N: the sign is flipped": dL_dL * (onehot - p) / N,
        "the softmax taken down the columns (axis 0) instead of along each row": dL_dL
        * (
            np.exp(scores - scores.max(axis=0)) / np.exp(scores - scores.max(axis=0)).sum(axis=0)
            - onehot
        )
        / N,
    }
    if labels.max() == 0 < C - 1:  # np.eye(1)[labels] broadcasts over every column
        mistakes[
            "the one-hot rows built from labels.max() + 1 classes: a batch need not contain "
            "every class (take C = scores.shape[1])"
        ] = dL_dL * (p - 1) / N
    return {"truth": truth, "mistakes": mistakes, "N": N}


# ------------------------------------------------------------ the engine's functions


_ORDER_MISTAKES = {
    "breadth-first": "the gradients of an engine that visits the nodes breadth-first from "
    "the loss: h's rule ran before the share coming back through W2 had arrived "
    "(visit in reverse topological order)",
    "no visited set": "the gradients of an engine whose topological order lists h once per "
    "path to it: h's rule ran twice (keep a set of visited nodes)",
    "creation (forward)": "the gradients of an engine that visits the nodes in the order "
    "they were created: each rule ran before its node's gradient was known (reverse the "
    "topological order)",
}


def expect_fan_out_gradient(case: Case) -> dict[str, Any]:
    x, params, labels = (case.inputs[k] for k in ("x", "params", "labels"))
    names = ["x", "W1", "b1", "W2", "b2"]
    build = partial(engines.residual, x, params, labels)
    truth = engines.grads_of(build, names)
    variants = {
        "the gradients with only the share that came back to h through W2: the skip "
        "path's share is lost (an engine that assigns, grad = ..., instead of adding, "
        "grad += ..., loses it; so does a skip added as a plain array, which is a leaf)": (
            engines.grads_of(build, names, accumulate=False)
        ),
    }
    for order, what in _ORDER_MISTAKES.items():
        variants[what] = engines.grads_of(build, names, order=order)
    mistakes = {n: {what: v[n] for what, v in variants.items()} for n in names}
    slopes = engines.residual_slopes(x, params, labels, truth)
    return {"truth": truth, "mistakes": mistakes, "N": x.shape[0], "fd": slopes}


def _hand_backward(x: Array, params: dict[str, Array], labels: Any, mask: str) -> dict[str, Array]:
    """Lesson 5's backward with the ReLU mask read from ``mask``: ``"z >= 0"`` (ReLU'(0) taken
    as 1) or ``"upstream"`` (the sign of the upstream gradient)."""
    K = len(params) // 2
    xs, zs = [x], []
    for k in range(1, K + 1):
        zs.append(xs[-1] @ params[f"W{k}"] + params[f"b{k}"])
        xs.append(np.maximum(zs[-1], 0))
    dL_dz = ad.cross_entropy_backward(1.0, zs[-1], labels)
    grads: dict[str, Array] = {}
    for k in range(K, 0, -1):
        grads[f"W{k}"], grads[f"b{k}"] = xs[k - 1].T @ dL_dz, dL_dz.sum(axis=0)
        dL_dx = dL_dz @ params[f"W{k}"].T
        if k > 1:
            dL_dz = dL_dx * (zs[k - 2] >= 0) if mask == "z >= 0" else relu_backward(dL_dx, dL_dx)
    return grads


def expect_engine_gradients(case: Case) -> dict[str, Any]:
    x, params, labels = (case.inputs[k] for k in ("x", "params", "labels"))
    K = len(params) // 2
    names = [f"{p}{k}" for k in range(1, K + 1) for p in "Wb"]
    scores, cache = mlp_forward(x, params)  # the truth: lesson 5's hand-written backward
    truth = mlp_backward(softmax_cross_entropy(scores, labels)[1], cache)
    N = x.shape[0]
    variants: dict[str, dict[str, Array]] = {
        "the gradients of a network with a ReLU after the last layer too (no ReLU after "
        "layer K: the scores go to the loss as they are)": engines.grads_of(
            partial(engines.network, x, params, labels, relu="everywhere"), names
        ),
        "the gradients of a network without any ReLU": engines.grads_of(
            partial(engines.network, x, params, labels, relu="nowhere"), names
        ),
        "the gradients with the ReLU mask taken from the sign of the upstream gradient, "
        "not from the ReLU's input": _hand_backward(x, params, labels, "upstream"),
        "the gradients with ReLU'(0) = 1 (mask z >= 0): at the kink z = 0 the course takes "
        "the slope from the left, 0 (mask z > 0)": _hand_backward(x, params, labels, "z >= 0"),
        "the gradients with the biases' gradient averaged over the batch, not summed "
        "(unbroadcast sums: every row of z received b)": {
            n: truth[n] / N if n.startswith("b") else truth[n] for n in names
        },
        "zeros: no rule sent anything back. Was the loss's own gradient set to 1 before "
        "the visit? Were the nodes visited from the loss back, in reverse topological order "
        "(in creation order each rule runs before its node's gradient arrives)?": {
            n: np.zeros_like(truth[n]) for n in names
        },
    }
    mistakes = {n: {what: v[n] for what, v in variants.items()} for n in names}
    kink = bool(np.any(np.all(x == 0, axis=1)))
    slopes = None if kink else engines.network_slopes(x, params, labels, truth)
    return {"truth": truth, "mistakes": mistakes, "N": N, "fd": slopes, "order": names}
