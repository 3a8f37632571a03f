"""Mutants of lesson 04_activations_losses: the mistakes students make with element-wise
layers and losses, and correct answers written differently.

Each source replaces a whole ``sol_<fn>`` cell. The notebook's set-up cell provides ``np``,
``math`` and the forward passes ``relu_forward``, ``sigmoid_forward``, ``tanh_forward``.
"""

# ---------------------------------------------------------------- elementwise_jacobian_shape

_SHAPE_WRONG = {
    "flattened matrix": """
def elementwise_jacobian_shape(N, M):
    return (N * M, N * M), N * M
""",
    "every entry counted": """
def elementwise_jacobian_shape(N, M):
    return (N, M, N, M), N * M * N * M
""",
    "per-row Jacobians": """
def elementwise_jacobian_shape(N, M):
    return (N, M, M), N * M
""",
    "full blocks within a row": """
def elementwise_jacobian_shape(N, M):
    return (N, M, N, M), N * M * M
""",
}

_SHAPE_CORRECT = {
    "tuple arithmetic": """
def elementwise_jacobian_shape(N, M):
    shape_x = (N, M)
    return shape_x + shape_x, int(np.prod(shape_x))
""",
    "count by building a small tensor": """
def elementwise_jacobian_shape(N, M):
    J = np.einsum("nm,ij->nimj", np.eye(N), np.eye(M))
    return tuple(J.shape), int(np.count_nonzero(J))
""",
}

# -------------------------------------------------------------------------- sigmoid_jacobian

_JAC_WRONG = {
    "s on the diagonal": """
def sigmoid_jacobian(x):
    N, M = x.shape
    J = np.zeros((N, M, N, M))
    n, i = np.indices((N, M))
    J[n, i, n, i] = sigmoid_forward(x)
    return J
""",
    "x(1-x) on the diagonal": """
def sigmoid_jacobian(x):
    N, M = x.shape
    J = np.zeros((N, M, N, M))
    n, i = np.indices((N, M))
    J[n, i, n, i] = x * (1 - x)
    return J
""",
    "no delta over the batch": """
def sigmoid_jacobian(x):
    N, M = x.shape
    s = sigmoid_forward(x)
    return np.einsum("ni,m,ij->nimj", s * (1 - s), np.ones(N), np.eye(M))
""",
    "column-major flatten": """
def sigmoid_jacobian(x):
    N, M = x.shape
    s = sigmoid_forward(x)
    d = s * (1 - s)
    return np.diag(d.flatten(order="F")).reshape(N, M, N, M)
""",
    "flattened matrix": """
def sigmoid_jacobian(x):
    s = sigmoid_forward(x).ravel()
    return np.diag(s * (1 - s))
""",
}

_JAC_CORRECT = {
    "einsum with identities": """
def sigmoid_jacobian(x):
    N, M = x.shape
    s = sigmoid_forward(x)
    return np.einsum("ni,nm,ij->nimj", s * (1 - s), np.eye(N), np.eye(M))
""",
    "diag then reshape": """
def sigmoid_jacobian(x):
    N, M = x.shape
    s = 1.0 / (1.0 + np.exp(-x))
    return np.diag((s * (1 - s)).ravel()).reshape(N, M, N, M)
""",
    "loops": """
def sigmoid_jacobian(x):
    N, M = x.shape
    J = np.zeros((N, M, N, M))
    for n in range(N):
        for i in range(M):
            e = math.exp(-abs(x[n, i]))
            J[n, i, n, i] = e / (1 + e) ** 2
    return J
""",
}

# ----------------------------------------------------------------------------- relu_backward

_RELU_WRONG = {
    "mask from dL_dy": """
def relu_backward(dL_dy, x):
    return dL_dy * (dL_dy > 0)
""",
    "x >= 0 (derivative 1 at the kink)": """
def relu_backward(dL_dy, x):
    return dL_dy * (x >= 0)
""",
    "forward value instead of derivative": """
def relu_backward(dL_dy, x):
    return dL_dy * np.maximum(x, 0)
""",
    "local derivative only": """
def relu_backward(dL_dy, x):
    return (x > 0).astype(float)
""",
    "modifies dL_dy in place": """
def relu_backward(dL_dy, x):
    dL_dy[x <= 0] = 0
    return dL_dy
""",
}

_RELU_CORRECT = {
    "np.where": """
def relu_backward(dL_dy, x):
    return np.where(x > 0, dL_dy, 0.0)
""",
    "copy then zero": """
def relu_backward(dL_dy, x):
    dL_dx = dL_dy.copy()
    dL_dx[x <= 0] = 0.0
    return dL_dx
""",
    "heaviside, float32 mask": """
def relu_backward(dL_dy, x):
    return dL_dy * np.heaviside(x, 0).astype(np.float32)
""",
}

# -------------------------------------------------------------------------- sigmoid_backward

_SIG_WRONG = {
    "x treated as s": """
def sigmoid_backward(dL_dy, x):
    return dL_dy * x * (1 - x)
""",
    "s instead of s(1-s)": """
def sigmoid_backward(dL_dy, x):
    return dL_dy * sigmoid_forward(x)
""",
    "tanh formula": """
def sigmoid_backward(dL_dy, x):
    s = sigmoid_forward(x)
    return dL_dy * (1 - s**2)
""",
    "exp(-x)/(1+exp(-x)), square missing": """
def sigmoid_backward(dL_dy, x):
    e = np.exp(-x)
    return dL_dy * e / (1 + e)
""",
    "modifies dL_dy in place": """
def sigmoid_backward(dL_dy, x):
    s = sigmoid_forward(x)
    dL_dy *= s * (1 - s)
    return dL_dy
""",
}

_SIG_CORRECT = {
    "sigma(x) sigma(-x)": """
def sigmoid_backward(dL_dy, x):
    return dL_dy * sigmoid_forward(x) * sigmoid_forward(-x)
""",
    "symmetric exp(-|x|)": """
def sigmoid_backward(dL_dy, x):
    e = np.exp(-np.abs(x))
    return dL_dy * e / (1 + e) ** 2
""",
    "through tanh": """
def sigmoid_backward(dL_dy, x):
    s = 0.5 * (1 + np.tanh(x / 2))
    return dL_dy * (s - s * s)
""",
}

# ----------------------------------------------------------------------------- tanh_backward

_TANH_WRONG = {
    "x treated as tanh(x)": """
def tanh_backward(dL_dy, x):
    return dL_dy * (1 - x**2)
""",
    "(1 - tanh)^2": """
def tanh_backward(dL_dy, x):
    return dL_dy * (1 - np.tanh(x)) ** 2
""",
    "square missing": """
def tanh_backward(dL_dy, x):
    return dL_dy * (1 - np.tanh(x))
""",
    "sigmoid formula": """
def tanh_backward(dL_dy, x):
    t = np.tanh(x)
    return dL_dy * t * (1 - t)
""",
}

_TANH_CORRECT = {
    "1/cosh^2": """
def tanh_backward(dL_dy, x):
    return dL_dy / np.cosh(x) ** 2
""",
    "(1 - t)(1 + t)": """
def tanh_backward(dL_dy, x):
    t = tanh_forward(x)
    return dL_dy * (1 - t) * (1 + t)
""",
    "4 sigma'(2x)": """
def tanh_backward(dL_dy, x):
    s = sigmoid_forward(2 * x)
    return 4 * dL_dy * s * (1 - s)
""",
}

# ---------------------------------------------------------------------------------- mse_loss

_MSE_WRONG = {
    "mean over all entries": """
def mse_loss(y, t):
    r = y - t
    return float(np.mean(r**2)), 2 * r / r.size
""",
    "factor 2 missing": """
def mse_loss(y, t):
    N = y.shape[0]
    r = y - t
    return float(np.sum(r**2)) / N, r / N
""",
    "1/N missing in the gradient": """
def mse_loss(y, t):
    N = y.shape[0]
    r = y - t
    return float(np.sum(r**2)) / N, 2 * r
""",
    "sum instead of mean": """
def mse_loss(y, t):
    r = y - t
    return float(np.sum(r**2)), 2 * r
""",
    "sign of the residual": """
def mse_loss(y, t):
    N = y.shape[0]
    r = t - y
    return float(np.sum(r**2)) / N, 2 * r / N
""",
    "half MSE": """
def mse_loss(y, t):
    N = y.shape[0]
    r = y - t
    return 0.5 * float(np.sum(r**2)) / N, r / N
""",
    "half the sum over the batch (0.5 * sum of squares)": """
def mse_loss(y, t):
    r = y - t
    return 0.5 * float(np.sum(r**2)), r
""",
    "loss per sample, not summed": """
def mse_loss(y, t):
    N = y.shape[0]
    r = y - t
    return np.sum(r**2, axis=1) / N, 2 * r / N
""",
}

_MSE_CORRECT = {
    "mean of row norms": """
def mse_loss(y, t):
    r = y - t
    L = np.mean(np.sum(r**2, axis=1))
    return L, 2 * r / len(y)
""",
    "einsum": """
def mse_loss(y, t):
    N = y.shape[0]
    r = y - t
    return np.einsum("ni,ni->", r, r) / N, (2.0 / N) * r
""",
    "loops": """
def mse_loss(y, t):
    N, M = y.shape
    L = 0.0
    dL_dy = np.zeros((N, M))
    for n in range(N):
        for i in range(M):
            d = y[n, i] - t[n, i]
            L += d * d / N
            dL_dy[n, i] = 2 * d / N
    return L, dL_dy
""",
}

# ------------------------------------------------------------------------ uniform_scores_loss

_UNIFORM_WRONG = {
    "minus log C": """
def uniform_scores_loss(C):
    return -math.log(C)
""",
    "1/C": """
def uniform_scores_loss(C):
    return 1 / C
""",
    "log2": """
def uniform_scores_loss(C):
    return math.log2(C)
""",
    "log C / C": """
def uniform_scores_loss(C):
    return math.log(C) / C
""",
}

_UNIFORM_CORRECT = {
    "-log(1/C) with numpy": """
def uniform_scores_loss(C):
    return float(-np.log(1.0 / C))
""",
    "from the formula on a row of zeros": """
def uniform_scores_loss(C):
    s = np.zeros(C)
    return float(np.log(np.sum(np.exp(s))) - s[0])
""",
}

# ---------------------------------------------------------------------- softmax_cross_entropy

_CE_WRONG = {
    "naive exp": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(N)
    L = -np.mean(np.log(p[rows, labels]))
    g = p.copy()
    g[rows, labels] -= 1
    return L, g / N
""",
    "stable softmax, then log(p)": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(N)
    L = -np.mean(np.log(p[rows, labels]))
    g = p.copy()
    g[rows, labels] -= 1
    return L, g / N
""",
    "log(p + eps)": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(N)
    L = -np.mean(np.log(p[rows, labels] + 1e-12))
    g = p.copy()
    g[rows, labels] -= 1
    return L, g / N
""",
    "p clipped at 1e-15 before the log": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(N)
    L = -np.mean(np.log(np.clip(p[rows, labels], 1e-15, 1.0)))
    g = p.copy()
    g[rows, labels] -= 1
    return L, g / N
""",
    "shift by the global max": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    shifted = scores - scores.max()
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    g = np.exp(log_p)
    g[rows, labels] -= 1
    return -log_p[rows, labels].mean(), g / N
""",
    "p - onehot without 1/N": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    g = np.exp(log_p)
    g[rows, labels] -= 1
    return -log_p[rows, labels].mean(), g
""",
    "sum over the batch instead of mean": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    g = np.exp(log_p)
    g[rows, labels] -= 1
    return -log_p[rows, labels].sum(), g
""",
    "onehot - p (sign)": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    g = np.exp(log_p)
    g[rows, labels] -= 1
    return -log_p[rows, labels].mean(), -g / N
""",
    "p[:, labels] -= 1 (whole columns)": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    g = np.exp(log_p)
    g[:, labels] -= 1
    return -log_p[np.arange(N), labels].mean(), g / N
""",
    "shift by the column max": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    g = np.exp(log_p)
    g[rows, labels] -= 1
    return -log_p[rows, labels].mean(), g / N
""",
    "p / N, onehot forgotten": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(N), labels].mean(), np.exp(log_p) / N
""",
    "modifies scores in place": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    scores -= scores.max(axis=1, keepdims=True)
    log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    g = np.exp(log_p)
    g[rows, labels] -= 1
    return -log_p[rows, labels].mean(), g / N
""",
}

_CE_CORRECT = {
    "one-hot matrix and logsumexp": """
def softmax_cross_entropy(scores, labels):
    N, C = scores.shape
    m = np.max(scores, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(scores - m), axis=1, keepdims=True))  # (N, 1)
    onehot = np.eye(C)[labels]
    L = float(np.sum(lse[:, 0] - np.sum(onehot * scores, axis=1))) / N
    p = np.exp(scores - lse)
    return L, (p - onehot) / N
""",
    "row by row with math": """
def softmax_cross_entropy(scores, labels):
    N, C = scores.shape
    L = 0.0
    dL = np.zeros((N, C))
    for n in range(N):
        m = max(scores[n])
        z = sum(math.exp(v - m) for v in scores[n])
        for k in range(C):
            dL[n, k] = math.exp(scores[n, k] - m) / z / N
        c = int(labels[n])
        dL[n, c] -= 1.0 / N
        L += (m + math.log(z) - scores[n, c]) / N
    return L, dL
""",
    "logaddexp.reduce": """
def softmax_cross_entropy(scores, labels):
    N = scores.shape[0]
    lse = np.logaddexp.reduce(scores, axis=1)  # stable log-sum-exp per row
    rows = np.arange(N)
    L = np.mean(lse - scores[rows, labels])
    p = np.exp(scores - lse[:, None])
    p[rows, labels] -= 1
    return L, p / N
""",
}

MUTANTS = {
    "elementwise_jacobian_shape": {"wrong": _SHAPE_WRONG, "correct": _SHAPE_CORRECT},
    "sigmoid_jacobian": {"wrong": _JAC_WRONG, "correct": _JAC_CORRECT},
    "relu_backward": {"wrong": _RELU_WRONG, "correct": _RELU_CORRECT},
    "sigmoid_backward": {"wrong": _SIG_WRONG, "correct": _SIG_CORRECT},
    "tanh_backward": {"wrong": _TANH_WRONG, "correct": _TANH_CORRECT},
    "mse_loss": {"wrong": _MSE_WRONG, "correct": _MSE_CORRECT},
    "uniform_scores_loss": {"wrong": _UNIFORM_WRONG, "correct": _UNIFORM_CORRECT},
    "softmax_cross_entropy": {"wrong": _CE_WRONG, "correct": _CE_CORRECT},
}

# ------------------------------------------ pass the visible tests, fail the hidden tests
# Each description is the one-line reason the hidden cases catch it (and the visible miss it).

MUTANTS["relu_backward"]["hidden_only"] = {
    "squeeze() drops the batch axis of a batch of one row: dL_dx comes back (M,)": """
def relu_backward(dL_dy, x):
    return np.squeeze(dL_dy * (x > 0))
""",
}

MUTANTS["mse_loss"]["hidden_only"] = {
    "squeeze() on the residuals: L is right, but dL_dy of a batch of one row comes back (M,)": """
def mse_loss(y, t):
    N = y.shape[0]
    r = np.squeeze(y - t)
    return float(np.sum(r * r)) / N, 2.0 * r / N
""",
}
