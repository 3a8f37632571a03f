"""Mutants of lesson 07_normalisation: the mistakes students make with batch and layer
normalisation, and correct answers written differently.

Each source replaces a whole ``sol_<fn>`` cell, imports included. ``wrong`` mutants fail
the visible, hidden and verification stages of their function; ``hidden_only`` ones pass
the visible tests and fail the hidden tests and verification (tests/test_lesson_07.py);
``correct`` ones pass everything. No mutant calls another graded function, so a mutant
loses exactly its own function's points.
"""


def _bn_forward(
    mu: str, var: str, std: str, y: str = "gamma * xhat + beta", extra: str = ""
) -> str:
    """A batch-norm forward pass with the given lines (the cache of the lesson's layout)."""
    return f"""
import numpy as np


def batchnorm_forward(x, gamma, beta, eps):
    N = x.shape[0]
    mu = {mu}
    xc = x - mu
    var = {var}
    std = {std}
    xhat = xc / std
    y = {y}
    cache = {{"x": x, "gamma": gamma, "eps": eps, "mu": mu, "xc": xc, "var": var,
             "std": std, "xhat": xhat}}{extra}
    return y, cache
"""


_MU, _VAR, _STD = "x.mean(axis=0)", "(xc**2).mean(axis=0)", "np.sqrt(var + eps)"

_BN_FORWARD = {
    "wrong": {
        "unbiased variance (N - 1)": _bn_forward(_MU, "(xc**2).sum(axis=0) / (N - 1)", _STD),
        "epsilon outside the square root": _bn_forward(_MU, _VAR, "np.sqrt(var) + eps"),
        "no epsilon": _bn_forward(_MU, _VAR, "np.sqrt(var)"),
        "statistics over the features (axis=1)": _bn_forward(
            "x.mean(axis=1, keepdims=True)", "(xc**2).mean(axis=1, keepdims=True)", _STD
        ),
        "statistics of the whole array": _bn_forward("x.mean()", "(xc**2).mean()", _STD),
        "gamma and beta swapped": _bn_forward(_MU, _VAR, _STD, y="beta * xhat + gamma"),
        "no shift beta": _bn_forward(_MU, _VAR, _STD, y="gamma * xhat"),
        "divides by the variance, not the standard deviation": _bn_forward(_MU, _VAR, "var + eps"),
        "cache statistics kept as (1, D)": _bn_forward(
            "x.mean(axis=0, keepdims=True)", "(xc**2).mean(axis=0, keepdims=True)", _STD
        ),
        "cache without xc": _bn_forward(_MU, _VAR, _STD, extra='\n    del cache["xc"]'),
    },
    "hidden_only": {
        "variance as mean(x**2) - mean(x)**2": _bn_forward(
            _MU, "(x**2).mean(axis=0) - mu**2", _STD
        ),
        "epsilon hard-coded as 1e-5": _bn_forward(_MU, _VAR, "np.sqrt(var + 1e-5)"),
    },
    "correct": {
        "np.mean and np.var": """
import numpy as np


def batchnorm_forward(x, gamma, beta, eps):
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    xc = x - mu
    std = np.sqrt(var + eps)
    xhat = xc / std
    cache = dict(x=x, gamma=gamma, eps=eps, mu=mu, xc=xc, var=var, std=std, xhat=xhat)
    return gamma * xhat + beta, cache
""",
        "a loop over the columns": """
import numpy as np


def batchnorm_forward(x, gamma, beta, eps):
    N, D = x.shape
    names = ("mu", "var", "std")
    stats = {k: np.zeros(D) for k in names}
    xc, xhat, y = np.zeros((N, D)), np.zeros((N, D)), np.zeros((N, D))
    for j in range(D):
        col = x[:, j]
        stats["mu"][j] = sum(col) / N
        xc[:, j] = col - stats["mu"][j]
        stats["var"][j] = sum(v * v for v in xc[:, j]) / N
        stats["std"][j] = (stats["var"][j] + eps) ** 0.5
        xhat[:, j] = xc[:, j] / stats["std"][j]
        y[:, j] = gamma[j] * xhat[:, j] + beta[j]
    return y, {"x": x, "gamma": gamma, "eps": eps, "xc": xc, "xhat": xhat, **stats}
""",
        "einsum for the sums, 1/std kept": """
import numpy as np


def batchnorm_forward(x, gamma, beta, eps):
    N = x.shape[0]
    mu = np.einsum("nd->d", x) / N
    xc = x - mu
    var = np.einsum("nd,nd->d", xc, xc) / N
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv_std
    cache = {"x": x, "gamma": gamma, "eps": eps, "mu": mu, "xc": xc, "var": var,
             "std": 1.0 / inv_std, "xhat": xhat, "inv_std": inv_std}
    return xhat * gamma + beta, cache
""",
    },
}

# ---------------------------------------------------------------------- staged backward

_STAGED_LINES = {
    "beta": 'g["beta"] = dL_dy.sum(axis=0)',
    "gamma": 'g["gamma"] = (dL_dy * xhat).sum(axis=0)',
    "xhat": 'g["xhat"] = dL_dy * gamma',
    "std": 'g["std"] = -(g["xhat"] * xc).sum(axis=0) / std**2',
    "var": 'g["var"] = g["std"] / (2 * std)',
    "xc": 'g["xc"] = g["xhat"] / std + (2 / N) * xc * g["var"]',
    "mu": 'g["mu"] = -g["xc"].sum(axis=0)',
    "x": 'g["x"] = g["xc"] + g["mu"] / N',
}


def _staged(head: str = "", **lines: str) -> str:
    body = "\n    ".join(lines.get(k, v) for k, v in _STAGED_LINES.items())
    return f"""
import numpy as np


def batchnorm_backward_staged(dL_dy, cache):
    x, gamma, xc, std, xhat = (cache[k] for k in ("x", "gamma", "xc", "std", "xhat"))
    N = x.shape[0]{head}
    g = {{}}
    {body}
    return g
"""


_BN_STAGED = {
    "wrong": {
        "dL/dxc without the variance's path": _staged(xc='g["xc"] = g["xhat"] / std'),
        "dL/dx without the mean's path": _staged(x='g["x"] = g["xc"]'),
        "dL/dstd with the wrong sign": _staged(
            std='g["std"] = (g["xhat"] * xc).sum(axis=0) / std**2'
        ),
        "dL/dvar without the 1/2": _staged(var='g["var"] = g["std"] / std'),
        "dL/dvar = dL/dstd * std / 2": _staged(var='g["var"] = g["std"] * std / 2'),
        "dL/dgamma without xhat": _staged(gamma='g["gamma"] = dL_dy.sum(axis=0)'),
        "dL/dmu a mean, not a sum": _staged(mu='g["mu"] = -g["xc"].mean(axis=0)'),
        "dL/dbeta keeps a (1, D) shape": _staged(
            beta='g["beta"] = dL_dy.sum(axis=0, keepdims=True)'
        ),
        "dL/dxhat without gamma": _staged(xhat='g["xhat"] = dL_dy'),
    },
    "hidden_only": {
        "std recomputed with eps hard-coded as 1e-5": _staged(
            head='\n    std = np.sqrt(cache["var"] + 1e-5)'
        ),
    },
    "correct": {
        "dL/dstd through xhat, dL/dmu through the direct path": _staged(
            std='g["std"] = -(g["xhat"] * xhat).sum(axis=0) / std',
            mu='g["mu"] = -(g["xhat"] / std).sum(axis=0)',
        ),
        "eps read from the cache, every step written out": """
import numpy as np


def batchnorm_backward_staged(dL_dy, cache):
    N = dL_dy.shape[0]
    var, eps, xc, gamma = cache["var"], cache["eps"], cache["xc"], cache["gamma"]
    std = np.sqrt(var + eps)
    xhat = xc / std
    d_beta = np.sum(dL_dy, axis=0)
    d_gamma = np.sum(dL_dy * xhat, axis=0)
    d_xhat = dL_dy * gamma
    d_std = np.sum(d_xhat * xc * (-1.0 / std**2), axis=0)
    d_var = d_std * 0.5 * (var + eps) ** -0.5
    d_xc = d_xhat / std + d_var * 2.0 * xc / N
    d_mu = -np.sum(d_xc, axis=0)
    d_x = d_xc + np.ones_like(xc) * d_mu / N
    return dict(beta=d_beta, gamma=d_gamma, xhat=d_xhat, std=d_std, var=d_var, xc=d_xc,
                mu=d_mu, x=d_x)
""",
    },
}

# --------------------------------------------------------------------- compact backward


def _compact(dx: str, dgamma: str = "(dL_dy * xhat).sum(axis=0)", head: str = "") -> str:
    return f"""
import numpy as np


def batchnorm_backward(dL_dy, cache):
    xhat, std, gamma = cache["xhat"], cache["std"], cache["gamma"]
    N = dL_dy.shape[0]{head}
    g = dL_dy * gamma
    dL_dx = {dx}
    return dL_dx, {dgamma}, dL_dy.sum(axis=0)
"""


_DX = "(N * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)) / (N * std)"

_BN_COMPACT = {
    "wrong": {
        "only gamma / std * dL_dy": _compact("g / std"),
        "without the variance's path": _compact("(g - g.mean(axis=0)) / std"),
        "without the mean's path": _compact("(g - xhat * (g * xhat).mean(axis=0)) / std"),
        "without gamma": _compact(
            "(N * dL_dy - dL_dy.sum(axis=0) - xhat * (dL_dy * xhat).sum(axis=0)) / (N * std)"
        ),
        "N - 1 on the variance's path": _compact(
            "(g - g.mean(axis=0) - xhat * (g * xhat).sum(axis=0) / (N - 1)) / std"
        ),
        "dL/dgamma summed over the features": _compact(_DX, dgamma="(dL_dy * xhat).sum(axis=1)"),
        "dL/dgamma keeps a (1, D) shape": _compact(
            _DX, dgamma="(dL_dy * xhat).sum(axis=0, keepdims=True)"
        ),
        "sums over the features (layer norm's backward)": _compact(
            "(g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))"
            " / std"
        ),
    },
    "hidden_only": {
        "std recomputed with eps hard-coded as 1e-5": _compact(
            _DX, head='\n    std = np.sqrt(cache["var"] + 1e-5)'
        ),
        "var recomputed from x as mean(x**2) - mean(x)**2": _compact(
            _DX,
            head='\n    x = cache["x"]\n    var = (x**2).mean(axis=0) - x.mean(axis=0) ** 2'
            '\n    std = np.sqrt(var + cache["eps"])\n    xhat = (x - x.mean(axis=0)) / std',
        ),
    },
    "correct": {
        "gamma / (N std) outside, dL_dy inside": _compact(
            "gamma / (N * std)"
            " * (N * dL_dy - dL_dy.sum(axis=0) - xhat * (dL_dy * xhat).sum(axis=0))"
        ),
        "from xc and var, with means": """
import numpy as np


def batchnorm_backward(dL_dy, cache):
    xc, var, eps, gamma = cache["xc"], cache["var"], cache["eps"], cache["gamma"]
    inv = 1.0 / np.sqrt(var + eps)
    dxhat = dL_dy * gamma
    dx = inv * (dxhat - dxhat.mean(axis=0) - xc * inv**2 * (dxhat * xc).mean(axis=0))
    return dx, np.sum(dL_dy * xc * inv, axis=0), np.sum(dL_dy, axis=0)
""",
        "the staged steps inline": """
import numpy as np


def batchnorm_backward(dL_dy, cache):
    N = dL_dy.shape[0]
    xc, std, xhat, gamma = cache["xc"], cache["std"], cache["xhat"], cache["gamma"]
    dxhat = dL_dy * gamma
    dvar = -(dxhat * xc).sum(axis=0) / std**2 / (2 * std)
    dxc = dxhat / std + 2 * xc * dvar / N
    dx = dxc - dxc.sum(axis=0) / N
    return dx, (dL_dy * xhat).sum(axis=0), dL_dy.sum(axis=0)
""",
    },
}

# ------------------------------------------------------------------------- layer norm


def _ln_forward(
    stats: str = "axis=1, keepdims=True",
    std: str = "np.sqrt(var + eps)",
    var: str = "(xc**2).mean({stats})",
    extra: str = "",
) -> str:
    var = var.format(stats=stats)
    return f"""
import numpy as np


def layernorm_forward(x, gamma, beta, eps):
    D = x.shape[1]
    mu = x.mean({stats})
    xc = x - mu
    var = {var}
    std = {std}
    xhat = xc / std
    cache = {{"x": x, "gamma": gamma, "eps": eps, "mu": mu, "xc": xc, "var": var,
             "std": std, "xhat": xhat}}{extra}
    return gamma * xhat + beta, cache
"""


_LN_FORWARD = {
    "wrong": {
        "normalised over the batch (batch norm)": _ln_forward(stats="axis=0, keepdims=True"),
        "unbiased variance (D - 1)": _ln_forward(var="(xc**2).sum({stats}) / (D - 1)"),
        "row statistics without keepdims": _ln_forward(stats="axis=1"),
        "epsilon outside the square root": _ln_forward(std="np.sqrt(var) + eps"),
        "cache statistics squeezed to (N,)": _ln_forward(
            extra="\n    cache.update(mu=mu[:, 0], var=var[:, 0], std=std[:, 0])"
        ),
    },
    "hidden_only": {
        "variance as mean(x**2) - mean(x)**2": _ln_forward(var="(x**2).mean({stats}) - mu**2"),
        "epsilon hard-coded as 1e-5": _ln_forward(std="np.sqrt(var + 1e-5)"),
    },
    "correct": {
        "np.var with keepdims": """
import numpy as np


def layernorm_forward(x, gamma, beta, eps):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    xhat = (x - mu) / std
    cache = {"x": x, "gamma": gamma, "eps": eps, "mu": mu, "xc": x - mu, "var": var,
             "std": std, "xhat": xhat}
    return gamma * xhat + beta, cache
""",
        "batch norm's statistics of x.T, transposed back": """
import numpy as np


def layernorm_forward(x, gamma, beta, eps):
    t = x.T
    mu = t.mean(axis=0)
    tc = t - mu
    var = (tc * tc).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = (tc / std).T
    cache = {"x": x, "gamma": gamma, "eps": eps, "mu": mu[:, None], "xc": tc.T,
             "var": var[:, None], "std": std[:, None], "xhat": xhat}
    return gamma * xhat + beta, cache
""",
        "a loop over the rows": """
import math

import numpy as np


def layernorm_forward(x, gamma, beta, eps):
    N, D = x.shape
    mu, var, std = np.zeros((N, 1)), np.zeros((N, 1)), np.zeros((N, 1))
    xc, xhat = np.zeros((N, D)), np.zeros((N, D))
    for n in range(N):
        mu[n, 0] = math.fsum(x[n]) / D
        xc[n] = x[n] - mu[n, 0]
        var[n, 0] = math.fsum(xc[n] ** 2) / D
        std[n, 0] = math.sqrt(var[n, 0] + eps)
        xhat[n] = xc[n] / std[n, 0]
    cache = {"x": x, "gamma": gamma, "eps": eps, "mu": mu, "xc": xc, "var": var,
             "std": std, "xhat": xhat}
    return gamma * xhat + beta, cache
""",
    },
}


def _ln_backward(
    dx: str,
    dgamma: str = "(dL_dy * xhat).sum(axis=0)",
    dbeta: str = "dL_dy.sum(axis=0)",
    head: str = "",
) -> str:
    return f"""
import numpy as np


def layernorm_backward(dL_dy, cache):
    xhat, std, gamma = cache["xhat"], cache["std"], cache["gamma"]
    N, D = dL_dy.shape{head}
    g = dL_dy * gamma

    def mean(v):
        return v.mean(axis=1, keepdims=True)

    dL_dx = {dx}
    return dL_dx, {dgamma}, {dbeta}
"""


_LN_DX = "(g - mean(g) - xhat * mean(g * xhat)) / std"

_LN_BACKWARD = {
    "wrong": {
        "batch norm's sums over the batch": _ln_backward(
            "(g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0)) / std"
        ),
        "gamma outside the sums": _ln_backward(
            "gamma * (dL_dy - mean(dL_dy) - xhat * mean(dL_dy * xhat)) / std"
        ),
        "dL/dgamma summed over the features": _ln_backward(
            _LN_DX, dgamma="(dL_dy * xhat).sum(axis=1)"
        ),
        "only gamma / std * dL_dy": _ln_backward("g / std"),
        "divides by N instead of D": _ln_backward(
            "(D * g - g.sum(axis=1, keepdims=True) - xhat * (g * xhat).sum(axis=1, keepdims=True))"
            " / (N * std)"
        ),
        "without the variance's path": _ln_backward("(g - mean(g)) / std"),
        "dL/dbeta a mean over the batch": _ln_backward(_LN_DX, dbeta="dL_dy.mean(axis=0)"),
    },
    "hidden_only": {
        "std recomputed with eps hard-coded as 1e-5": _ln_backward(
            _LN_DX, head='\n    std = np.sqrt(cache["var"] + 1e-5)'
        ),
        "row statistics squeezed and re-expanded (breaks N = 1)": _ln_backward(
            "(g - mean(g) - xhat * mean(g * xhat)) / s[:, None]",
            head="\n    s = np.squeeze(std)",
        ),
    },
    "correct": {
        "1/(D std) outside, sums inside": _ln_backward(
            "(D * g - g.sum(axis=1, keepdims=True) - xhat * (g * xhat).sum(axis=1, keepdims=True))"
            " / (D * std)"
        ),
        "batch norm's formula on the transpose": """
import numpy as np


def layernorm_backward(dL_dy, cache):
    xhat, std, gamma = cache["xhat"].T, cache["std"].T, cache["gamma"]
    g = (dL_dy * gamma).T
    D = g.shape[0]
    dxT = (D * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)) / (D * std)
    return dxT.T, np.sum(dL_dy * cache["xhat"], axis=0), np.sum(dL_dy, axis=0)
""",
    },
}

# ---------------------------------------------------------------------------- network


def _network(
    mask: str = "a > 0",
    dz: str = "(g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0)) / std",
    db2: str = "db2",
    extra: str = "",
) -> str:
    return f"""
import numpy as np


def bn_network(x, labels, params, eps):
    W1, b1, gamma, beta, W2, b2 = (params[k] for k in ("W1", "b1", "gamma", "beta", "W2", "b2"))
    z = linear_forward(x, W1, b1)
    mu = z.mean(axis=0)
    std = np.sqrt(((z - mu) ** 2).mean(axis=0) + eps)
    xhat = (z - mu) / std
    a = gamma * xhat + beta
    h = relu_forward(a)
    L, dscores = softmax_cross_entropy(linear_forward(h, W2, b2), labels)
    dh, dW2, db2 = linear_backward(dscores, h, W2)
    da = dh * ({mask})
    g = da * gamma
    dz = {dz}
    _, dW1, db1 = linear_backward(dz, x, W1)
    grads = {{"W1": dW1, "b1": db1, "gamma": (da * xhat).sum(axis=0), "beta": da.sum(axis=0),
             "W2": dW2, "b2": {db2}}}{extra}
    return L, grads
"""


_NETWORK = {
    "wrong": {
        "batch-norm backward as gamma / std only": _network(dz="g / std"),
        "ReLU mask taken from z": _network(mask="z > 0"),
        "no ReLU mask": _network(mask="1.0"),
        "dL/db2 a mean over the batch": _network(db2="dscores.mean(axis=0)"),
        "batch norm skipped in the backward pass": _network(dz="da"),
        "no gradient for b1": _network(extra='\n    del grads["b1"]'),
    },
    "correct": {
        "the lesson's compact form with sums": _network(
            dz="(len(x) * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)) / (len(x) * std)"
        ),
        "b1 set to zero, the staged steps inline": """
import numpy as np


def bn_network(x, labels, params, eps):
    N = x.shape[0]
    z = x @ params["W1"] + params["b1"]
    xc = z - z.mean(axis=0)
    var = (xc**2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = xc / std
    a = params["gamma"] * xhat + params["beta"]
    h = np.maximum(a, 0)
    scores = h @ params["W2"] + params["b2"]
    L, dscores = softmax_cross_entropy(scores, labels)
    dh = dscores @ params["W2"].T
    da = dh * (a > 0)
    dxhat = da * params["gamma"]
    dvar = -(dxhat * xc).sum(axis=0) / (2 * std**3)
    dxc = dxhat / std + 2 * xc * dvar / N
    dz = dxc - dxc.mean(axis=0)
    return L, {
        "W1": x.T @ dz,
        "b1": np.zeros_like(params["b1"]),
        "gamma": (da * xhat).sum(axis=0),
        "beta": da.sum(axis=0),
        "W2": h.T @ dscores,
        "b2": dscores.sum(axis=0),
    }
""",
    },
}

MUTANTS = {
    "batchnorm_forward": _BN_FORWARD,
    "batchnorm_backward_staged": _BN_STAGED,
    "batchnorm_backward": _BN_COMPACT,
    "layernorm_forward": _LN_FORWARD,
    "layernorm_backward": _LN_BACKWARD,
    "bn_network": _NETWORK,
}
