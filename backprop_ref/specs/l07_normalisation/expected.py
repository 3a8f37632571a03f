"""What lesson 07's normalisation functions must return on a case, and the named wrong
derivations students write, as plain data (the reference side: the judges only compare).

``axis`` is the axis the statistics run over: 0 for batch norm (per feature, over the
batch), 1 for layer norm (per example, over its features).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_ref.normalisation import (
    batchnorm_backward,
    batchnorm_backward_staged,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
)
from backprop_ref.specs.core import Case
from backprop_ref.specs.l07_normalisation import words
from backprop_ref.specs.slopes import directional_slopes

Expected = dict[str, Any]


def _forward(axis: int) -> Any:
    return batchnorm_forward if axis == 0 else layernorm_forward


def _inputs(case: Case) -> tuple[Any, Any, Any, float]:
    return tuple(case.inputs[k] for k in ("x", "gamma", "beta", "eps"))


def _normalised(x: Any, eps: float, axis: int | None, keep: bool = True) -> Any:
    """xhat with the statistics over ``axis`` (None: the whole array)."""
    with np.errstate(all="ignore"):
        mu = x.mean(axis=axis, keepdims=keep)
        xc = x - mu
        return xc / np.sqrt((xc * xc).mean(axis=axis, keepdims=keep) + eps)


def _xhat_mistakes(x: Any, eps: float, axis: int) -> dict[str, Any]:
    """Wrong normalisations, by their description (see :mod:`.words`)."""
    count = x.shape[axis]
    mu = x.mean(axis=axis, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=axis, keepdims=True)
    out: dict[str, Any] = {}
    with np.errstate(all="ignore"):
        if count > 1:
            unbiased = (xc * xc).sum(axis=axis, keepdims=True) / (count - 1)
            out[words.UNBIASED[axis]] = xc / np.sqrt(unbiased + eps)
        out[words.EPS_OUTSIDE] = xc / (np.sqrt(var) + eps)
        out[words.NO_EPS] = xc / np.sqrt(var)
        out[words.NO_SQRT] = xc / (var + eps)
        naive = (x * x).mean(axis=axis, keepdims=True) - mu * mu
        out[words.NAIVE_VAR] = xc / np.sqrt(naive + eps)
        out[words.NOT_CENTRED] = x / np.sqrt(var + eps)
        out[words.WRONG_AXIS[axis]] = _normalised(x, eps, 1 - axis)
        out[words.WHOLE_ARRAY] = _normalised(x, eps, None)
        if axis == 1 and x.shape[0] == x.shape[1]:
            out[words.NO_KEEPDIMS] = _normalised(x, eps, 1, keep=False)
    return out


def expect_forward(case: Case, axis: int) -> Expected:
    """``y`` and the cache of the forward pass, and what wrong ones look like."""
    x, gamma, beta, eps = _inputs(case)
    y, cache = _forward(axis)(x, gamma, beta, eps)
    xhat_wrong = _xhat_mistakes(x, eps, axis)
    y_wrong = {k: gamma * v + beta for k, v in xhat_wrong.items()}
    xhat = cache["xhat"]
    y_wrong[words.GAMMA_BETA_SWAPPED] = beta * xhat + gamma
    y_wrong[words.NO_AFFINE] = xhat
    y_wrong[words.NO_BETA] = gamma * xhat
    if eps != 1e-5:
        y_wrong[words.EPS_FIXED] = _forward(axis)(x, gamma, beta, 1e-5)[0]
    var, count = cache["var"], x.shape[axis]
    cache_wrong: dict[str, dict[str, Any]] = {"xhat": xhat_wrong, "var": {}, "std": {}}
    with np.errstate(all="ignore"):
        if count > 1:
            cache_wrong["var"][words.UNBIASED[axis]] = var * count / (count - 1)
        mu = cache["mu"]
        cache_wrong["var"][words.NAIVE_VAR] = (x * x).mean(axis=axis) - mu * mu
        if axis == 1:
            cache_wrong["var"][words.NAIVE_VAR] = (x * x).mean(axis=1, keepdims=True) - mu * mu
        cache_wrong["std"][words.NO_EPS] = np.sqrt(var)
        cache_wrong["std"][words.EPS_OUTSIDE] = np.sqrt(var) + eps
        cache_wrong["std"][words.NO_SQRT] = var + eps
    return {
        "y": y,
        "cache": cache,
        "mistakes": {"y": y_wrong, **cache_wrong},
        "line": "column" if axis == 0 else "row",
        "other_stats_shape": (x.shape[0], 1) if axis == 0 else (1, x.shape[1]),
    }


# -------------------------------------------------------------------------- backward


def _layer_slopes(case: Case, grads: dict[str, Any], axis: int) -> dict[str, Any]:
    """Slopes of L = sum(dL_dy * y(x, gamma, beta)) for the finite-difference stage.

    L does not change when a constant is added to a line of x (the mean removes it), so
    the slopes are taken at x minus each line's rounded mean: the same function, without
    the round-off of offsets such as 1e4 (the subtraction is exact)."""
    x, gamma, beta, eps = _inputs(case)
    dL_dy = case.inputs["dL_dy"]
    forward = _forward(axis)
    shifted = x - np.round(x.mean(axis=axis, keepdims=True))
    std = forward(x, gamma, beta, eps)[1]["std"]

    def loss(x: Any, gamma: Any, beta: Any) -> float:
        return float(np.sum(dL_dy * forward(x, gamma, beta, eps)[0]))

    steps = {"x": 1e-5 * float(np.min(std)), "gamma": 1e-5, "beta": 1e-5}
    scale = float(np.sum(np.abs(dL_dy)) * (np.max(np.abs(gamma)) + np.max(np.abs(beta))))
    at = {"x": shifted, "gamma": gamma, "beta": beta}
    return directional_slopes(loss, at, grads, steps, scale=scale)


def _param_mistakes(case: Case, xhat: Any, xc: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wrong dL/dgamma and dL/dbeta, by description."""
    x, dL_dy = case.inputs["x"], case.inputs["dL_dy"]
    dgamma = {
        words.DGAMMA_NO_XHAT: dL_dy.sum(axis=0),
        words.DGAMMA_X: (dL_dy * x).sum(axis=0),
        words.DGAMMA_XC: (dL_dy * xc).sum(axis=0),
        words.MEAN_NOT_SUM: (dL_dy * xhat).mean(axis=0),
    }
    dbeta = {words.MEAN_NOT_SUM: dL_dy.mean(axis=0)}
    if x.shape[0] == x.shape[1]:
        dgamma[words.SUM_AXIS_1] = (dL_dy * xhat).sum(axis=1)
        dbeta[words.SUM_AXIS_1] = dL_dy.sum(axis=1)
    return dgamma, dbeta


def _dx_mistakes(case: Case, axis: int) -> dict[str, Any]:
    """Wrong dL/dx of the compact backward, by description."""
    cache, dL_dy = case.inputs["cache"], case.inputs["dL_dy"]
    xhat, std, gamma, var = cache["xhat"], cache["std"], cache["gamma"], cache["var"]
    count = xhat.shape[axis]
    g = dL_dy * gamma  # dL/dxhat

    def mean(v: Any) -> Any:
        return v.mean(axis=axis, keepdims=True)

    out = {
        words.DX_DIRECT: g / std,
        words.DX_NO_VAR: (g - mean(g)) / std,
        words.DX_NO_MEAN: (g - xhat * mean(g * xhat)) / std,
        words.DX_NO_GAMMA: (dL_dy - mean(dL_dy) - xhat * mean(dL_dy * xhat)) / std,
        words.DX_NO_ONE_OVER_N[axis]: (count * g - count * mean(g) - xhat * count * mean(g * xhat))
        / std,
        words.DX_OTHER_AXIS[axis]: _compact_along(g, xhat, std, 1 - axis),
        words.DX_WRONG_COUNT[axis]: count
        / xhat.shape[1 - axis]
        * _compact_along(g, xhat, std, axis),
    }
    if cache["eps"] != 1e-5:
        out[words.EPS_FIXED] = _compact_along(g, xhat, np.sqrt(var + 1e-5), axis)
    with np.errstate(all="ignore"):
        out[words.DX_STD_NO_EPS] = (g - mean(g) - xhat * mean(g * xhat)) / np.sqrt(var)
    if count > 1:
        s = count / (count - 1)
        out[words.DX_UNBIASED[axis]] = (g - mean(g) - s * xhat * mean(g * xhat)) / std
    if axis == 1:
        gsum = dL_dy.mean(axis=1, keepdims=True)
        gxsum = (dL_dy * xhat).mean(axis=1, keepdims=True)
        out[words.DX_GAMMA_OUTSIDE] = gamma * (dL_dy - gsum - xhat * gxsum) / std
    return out


def _compact_along(g: Any, xhat: Any, std: Any, axis: int) -> Any:
    """The compact formula with its sums over the other axis (the wrong normalisation)."""
    mean_g = g.mean(axis=axis, keepdims=True)
    mean_gx = (g * xhat).mean(axis=axis, keepdims=True)
    return (g - mean_g - xhat * mean_gx) / std


def expect_backward(case: Case, axis: int) -> Expected:
    """dL/dx, dL/dgamma, dL/dbeta of the compact backward, wrong ones, and the slopes."""
    cache, dL_dy = case.inputs["cache"], case.inputs["dL_dy"]
    backward = batchnorm_backward if axis == 0 else layernorm_backward
    dx, dgamma, dbeta = backward(dL_dy, cache)
    wrong_gamma, wrong_beta = _param_mistakes(case, cache["xhat"], cache["xc"])
    grads = {"x": dx, "gamma": dgamma, "beta": dbeta}
    return {
        "grads": grads,
        "mistakes": {"x": _dx_mistakes(case, axis), "gamma": wrong_gamma, "beta": wrong_beta},
        "fd": _layer_slopes(case, grads, axis),
    }


def expect_staged(case: Case) -> Expected:
    """Every node's gradient, and the wrong steps of each, from the right upstream values."""
    cache, dL_dy = case.inputs["cache"], case.inputs["dL_dy"]
    g = batchnorm_backward_staged(dL_dy, cache)
    x, xc, std, var, gamma = (cache[k] for k in ("x", "xc", "std", "var", "gamma"))
    N = x.shape[0]
    wrong_gamma, wrong_beta = _param_mistakes(case, cache["xhat"], xc)
    with np.errstate(all="ignore"):
        mistakes = {
            "beta": wrong_beta,
            "gamma": wrong_gamma,
            "xhat": {words.XHAT_NO_GAMMA: dL_dy, words.XHAT_DIVIDED: dL_dy / gamma},
            "std": {
                words.STD_SIGN: (g["xhat"] * xc).sum(axis=0) / std**2,
                words.STD_POWER: -(g["xhat"] * xc).sum(axis=0) / std,
                words.STD_X: -(g["xhat"] * x).sum(axis=0) / std**2,
                words.STD_NOT_SUMMED: (-(g["xhat"] * xc) / std**2).mean(axis=0),
                words.EPS_FIXED: -(g["xhat"] * xc).sum(axis=0) / (var + 1e-5),
            },
            "var": {
                words.VAR_TIMES: g["std"] * std / 2,
                words.VAR_NO_HALF: g["std"] / std,
                words.VAR_NO_EPS: g["std"] / (2 * np.sqrt(var)),
                words.VAR_NEG: -g["std"] / (2 * std),
            },
            "xc": {
                words.XC_NO_VAR: g["xhat"] / std,
                words.XC_NO_XHAT: (2.0 / N) * xc * g["var"],
                words.XC_NO_N: g["xhat"] / std + 2.0 * xc * g["var"],
                words.XC_NO_2: g["xhat"] / std + xc * g["var"] / N,
            },
            "mu": {
                words.MU_SIGN: g["xc"].sum(axis=0),
                words.MU_MEAN: -g["xc"].mean(axis=0),
            },
            "x": {
                words.X_NO_MEAN: g["xc"],
                words.X_NO_N: g["xc"] + g["mu"],
                words.X_SIGN: g["xc"] - g["mu"] / N,
                words.DX_DIRECT: g["xhat"] / std,
            },
        }
    grads = {k: g[k] for k in ("x", "gamma", "beta")}
    return {"grads": g, "mistakes": mistakes, "fd": _layer_slopes(case, grads, 0)}
