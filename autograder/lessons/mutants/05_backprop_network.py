"""Mutants of lesson 05_backprop_network: wrong and correct answers for each graded function.

The cache has the lesson's layout (``{"x": [x^1..x^K], "z": [z^1..z^(K-1)], "W":
[W^1..W^K]}``, extra keys allowed): ``mlp_forward`` is judged on it, ``mlp_backward`` gets
the reference forward pass's cache (so a wrong ``mlp_forward`` loses only its own points),
and ``cache_size`` is judged against what the notebook's ``mlp_forward`` caches (here the
solution's, which caches the lesson's design; tests/test_lesson_05.py tries other designs).
"""

FORWARD_HEAD = """def mlp_forward(x, params):
    K = len(params) // 2
    cache = {"x": [], "z": [], "W": []}
    h = x
    for k in range(1, K + 1):
        W = params[f"W{k}"]
        cache["x"].append(h)
        cache["W"].append(W)
"""

BACKWARD_HEAD = """def mlp_backward(dL_dscores, cache):
    K = len(cache["W"])
    grads = {}
    dL_dz = dL_dscores
    for k in range(K, 0, -1):
"""

MUTANTS = {
    "cache_size": {
        "wrong": {
            "only the layer inputs x^k (no z^k)": """def cache_size(sizes, N):
    return N * sum(sizes[:-1])
""",
            "counts the scores z^K too": """def cache_size(sizes, N):
    return N * (sum(sizes[:-1]) + sum(sizes[1:]))
""",
            "forgets the batch size": """def cache_size(sizes, N):
    return sum(sizes[:-1]) + sum(sizes[1:-1])
""",
            "every width once": """def cache_size(sizes, N):
    return N * sum(sizes)
""",
            "counts the weights instead": """def cache_size(sizes, N):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
""",
        },
        "correct": {
            "a loop over the layers": """def cache_size(sizes, N):
    K = len(sizes) - 1
    total = 0
    for k in range(1, K + 1):
        total += N * sizes[k - 1]  # x^k
        if k < K:
            total += N * sizes[k]  # z^k
    return total
""",
            "numpy, cast to int": """import numpy as np


def cache_size(sizes, N):
    m = np.asarray(sizes)
    return int(N * (2 * m[1:-1].sum() + m[0]))
""",
        },
    },
    "mlp_forward": {
        "wrong": {
            "ReLU after the last layer too": FORWARD_HEAD
            + """        z = linear_forward(h, W, params[f"b{k}"])
        if k < K:
            cache["z"].append(z)
        h = relu_forward(z)
    return h, cache
""",
            "returns softmax probabilities instead of scores": FORWARD_HEAD
            + """        z = linear_forward(h, W, params[f"b{k}"])
        if k < K:
            cache["z"].append(z)
            h = relu_forward(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True), cache
""",
            "no bias in the output layer": FORWARD_HEAD
            + """        if k < K:
            z = linear_forward(h, W, params[f"b{k}"])
            cache["z"].append(z)
            h = relu_forward(z)
        else:
            z = h @ W
    return z, cache
""",
            "a cache without z (the masks to be read from x^(k+1))": """def mlp_forward(x, params):
    K = len(params) // 2
    cache = {"x": [], "W": []}
    h = x
    for k in range(1, K + 1):
        cache["x"].append(h)
        cache["W"].append(params[f"W{k}"])
        z = linear_forward(h, params[f"W{k}"], params[f"b{k}"])
        if k < K:
            h = relu_forward(z)
    return z, cache
""",
            "scores transposed (M_K x N)": FORWARD_HEAD
            + """        z = linear_forward(h, W, params[f"b{k}"])
        if k < K:
            cache["z"].append(z)
            h = relu_forward(z)
    return z.T, cache
""",
        },
        "correct": {
            "while loop, caches relu(z) for the mask": """def mlp_forward(x, params):
    cache = {"x": [], "z": [], "W": []}
    k, h = 1, x
    while f"W{k}" in params:
        cache["x"].append(h)
        cache["W"].append(params[f"W{k}"])
        z = h @ params[f"W{k}"] + params[f"b{k}"]
        if f"W{k + 1}" in params:
            h = np.maximum(z, 0)
            cache["z"].append(h)
        k += 1
    return z, cache
""",
            "einsum, hidden layers first and the output layer apart": """import numpy as np


def mlp_forward(x, params):
    K = len(params) // 2
    xs, zs, Ws = [x], [], []
    for k in range(1, K):
        z = np.einsum("ni,ij->nj", xs[-1], params[f"W{k}"]) + params[f"b{k}"]
        zs.append(z)
        xs.append(np.where(z > 0, z, 0.0))
        Ws.append(params[f"W{k}"])
    Ws.append(params[f"W{K}"])
    scores = np.einsum("ni,ij->nj", xs[-1], params[f"W{K}"]) + params[f"b{K}"]
    return scores, {"x": xs, "z": zs, "W": Ws}
""",
        },
    },
    "mlp_backward": {
        "wrong": {
            "no ReLU mask": BACKWARD_HEAD
            + """        dL_dx, grads[f"W{k}"], grads[f"b{k}"] = linear_backward(
            dL_dz, cache["x"][k - 1], cache["W"][k - 1]
        )
        dL_dz = dL_dx
    return grads
""",
            "mask taken from the upstream gradient": BACKWARD_HEAD
            + """        dL_dx, grads[f"W{k}"], grads[f"b{k}"] = linear_backward(
            dL_dz, cache["x"][k - 1], cache["W"][k - 1]
        )
        dL_dz = relu_backward(dL_dx, dL_dx)
    return grads
""",
            "gradient not propagated below the last layer": BACKWARD_HEAD
            + """        if k == K:
            _, grads[f"W{k}"], grads[f"b{k}"] = linear_backward(
                dL_dz, cache["x"][k - 1], cache["W"][k - 1]
            )
        else:
            grads[f"W{k}"] = np.zeros_like(cache["W"][k - 1])
            grads[f"b{k}"] = np.zeros(cache["W"][k - 1].shape[1])
    return grads
""",
            "dL/db not summed over the batch": BACKWARD_HEAD
            + """        x_k, W = cache["x"][k - 1], cache["W"][k - 1]
        grads[f"W{k}"] = x_k.T @ dL_dz
        grads[f"b{k}"] = dL_dz
        if k > 1:
            dL_dz = relu_backward(dL_dz @ W.T, cache["z"][k - 2])
    return grads
""",
            "dL/db as the mean over the batch": BACKWARD_HEAD
            + """        dL_dx, grads[f"W{k}"], db = linear_backward(
            dL_dz, cache["x"][k - 1], cache["W"][k - 1]
        )
        grads[f"b{k}"] = db / dL_dz.shape[0]
        if k > 1:
            dL_dz = relu_backward(dL_dx, cache["z"][k - 2])
    return grads
""",
            "hard-coded for two layers": """def mlp_backward(dL_dscores, cache):
    x1, x2 = cache["x"]
    W1, W2 = cache["W"]
    (z1,) = cache["z"]
    grads = {}
    dL_dx2, grads["W2"], grads["b2"] = linear_backward(dL_dscores, x2, W2)
    dL_dz1 = relu_backward(dL_dx2, z1)
    _, grads["W1"], grads["b1"] = linear_backward(dL_dz1, x1, W1)
    return {"W1": grads["W1"], "b1": grads["b1"], "W2": grads["W2"], "b2": grads["b2"]}
""",
            "dW from the pre-activation z instead of the layer input": BACKWARD_HEAD
            + """        x_k = cache["z"][k - 2] if k > 1 else cache["x"][0]
        dL_dx, grads[f"W{k}"], grads[f"b{k}"] = linear_backward(dL_dz, x_k, cache["W"][k - 1])
        if k > 1:
            dL_dz = relu_backward(dL_dx, cache["z"][k - 2])
    return grads
""",
        },
        "correct": {
            "explicit products, mask from the next layer's input": BACKWARD_HEAD
            + """        x_k, W = cache["x"][k - 1], cache["W"][k - 1]
        grads[f"W{k}"] = x_k.T @ dL_dz
        grads[f"b{k}"] = dL_dz.sum(axis=0)
        if k > 1:
            dL_dz = (dL_dz @ W.T) * (x_k > 0)  # x^k = relu(z^(k-1)): the same mask
    return grads
""",
            "einsum in float32 intermediates, grads built bottom-up": """import numpy as np


def mlp_backward(dL_dscores, cache):
    xs, zs, Ws = cache["x"], cache["z"], cache["W"]
    K = len(Ws)
    upstream = [None] * (K + 1)
    upstream[K] = dL_dscores
    for k in range(K, 1, -1):
        d = np.einsum("nj,ij->ni", upstream[k].astype(np.float32), Ws[k - 1].astype(np.float32))
        upstream[k - 1] = d.astype(np.float64) * (zs[k - 2] > 0)
    grads = {}
    for k in range(1, K + 1):
        grads[f"W{k}"] = np.einsum("ni,nj->ij", xs[k - 1], upstream[k])
        grads[f"b{k}"] = np.einsum("nj->j", upstream[k])
    return grads
""",
        },
    },
    "sgd_step": {
        "wrong": {
            "a step uphill (+ instead of -)": """def sgd_step(params, grads, lr):
    for name in params:
        params[name] += lr * grads[name]
""",
            "returns new dicts, params unchanged": """def sgd_step(params, grads, lr):
    return {name: p - lr * grads[name] for name, p in params.items()}
""",
            "rebinds the loop variable (p = p - lr * g)": """def sgd_step(params, grads, lr):
    for name, p in params.items():
        p = p - lr * grads[name]
""",
            "updates only the weights": """def sgd_step(params, grads, lr):
    for name in params:
        if name.startswith("W"):
            params[name] -= lr * grads[name]
""",
            "ignores the learning rate": """def sgd_step(params, grads, lr):
    for name in params:
        params[name] -= grads[name]
""",
            "pairs params and grads by position": """def sgd_step(params, grads, lr):
    for p, g in zip(params.values(), grads.values()):
        p -= lr * g
""",
        },
        "correct": {
            "np.subtract with out=": """import numpy as np


def sgd_step(params, grads, lr):
    for name in grads:
        np.subtract(params[name], lr * grads[name], out=params[name])
""",
            "slice assignment": """def sgd_step(params, grads, lr):
    for name, p in params.items():
        p[...] = p - lr * grads[name]
    return None
""",
        },
    },
}

# ------------------------------------------ pass the visible tests, fail the hidden tests
# Each description is the one-line reason the hidden cases catch it (and the visible miss it).

MUTANTS["mlp_backward"]["hidden_only"] = {
    "tries dL_dz @ W, transposes W only when the shapes do not fit: wrong for square layers": (
        BACKWARD_HEAD
        + """        x, W = cache["x"][k - 1], cache["W"][k - 1]
        grads[f"W{k}"] = x.T @ dL_dz
        grads[f"b{k}"] = dL_dz.sum(axis=0)
        dL_dx = dL_dz @ W if dL_dz.shape[1] == W.shape[0] else dL_dz @ W.T
        if k > 1:
            dL_dz = dL_dx * (cache["z"][k - 2] > 0)
    return grads
"""
    ),
}

MUTANTS["sgd_step"]["hidden_only"] = {
    "squeeze() on each gradient: a (5, 1) weight's gradient becomes (5,) and no longer fits": """
def sgd_step(params, grads, lr):
    for name, p in params.items():
        p -= lr * np.squeeze(grads[name])
""",
}
