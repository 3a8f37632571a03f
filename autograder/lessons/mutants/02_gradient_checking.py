"""Mutants of lesson 02_gradient_checking: the mistakes students make when they write a
finite-difference checker, and correct answers written in other ways.

Each source replaces the whole ``sol_<fn>`` cell of the notebook.
"""

NUMERICAL_GRADIENT_WRONG = {
    "forward difference": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    fx = f(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + h
        grad[idx] = (f(x) - fx) / h
        x[idx] = saved
    return grad
""",
    "divides by h instead of 2h": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + h
        f_plus = f(x)
        x[idx] = saved - h
        f_minus = f(x)
        x[idx] = saved
        grad[idx] = (f_plus - f_minus) / h
    return grad
""",
    "too large a default step (h=1e-2)": """
import numpy as np

def numerical_gradient(f, x, h=1e-2):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + h
        f_plus = f(x)
        x[idx] = saved - h
        f_minus = f(x)
        x[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
""",
    "ignores the argument h": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    step = 1e-5
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + step
        f_plus = f(x)
        x[idx] = saved - step
        f_minus = f(x)
        x[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * step)
    return grad
""",
    "perturbs the caller's x and never restores it": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad
""",
    "restores x by arithmetic (x + h - 2h + h), off by a rounding error": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        f_plus = f(x)
        x[idx] -= 2 * h
        f_minus = f(x)
        x[idx] += h
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
""",
    "returns a flat array for a 2-D x": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    flat = np.array(x, dtype=float).ravel()
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        e = np.zeros(flat.size)
        e[i] = h
        grad[i] = (f((flat + e).reshape(np.shape(x))) - f((flat - e).reshape(np.shape(x))))
        grad[i] /= 2 * h
    return grad
""",
    "perturbs every entry at once": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    return (f(x + h) - f(x - h)) / (2 * h)
""",
    "works in float32": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float32)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + h
        f_plus = f(x)
        x[idx] = saved - h
        f_minus = f(x)
        x[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
""",
}

NUMERICAL_GRADIENT_CORRECT = {
    "np.nditer with multi_index, in place, restoring the saved value": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad
""",
    "a flat view of a copy": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    xc = np.array(x, dtype=np.float64, order="C")
    flat = xc.reshape(-1)
    grad = np.empty(flat.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = float(f(xc))
        flat[i] = old - h
        fm = float(f(xc))
        flat[i] = old
        grad[i] = (fp - fm) / (2.0 * h)
    return grad.reshape(xc.shape)
""",
    "new arrays x + h e_i, x - h e_i for each entry": """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = 1.0
        grad[idx] = (f(x + h * e) - f(x - h * e)) / 2 / h
    return grad
""",
}

OPTIMAL_STEP_WRONG = {
    "forgot the factor 3": """
def optimal_step(eps, f_abs, f3_abs):
    return (eps * f_abs / f3_abs) ** (1 / 3)
""",
    "balanced the two terms instead of minimising their sum": """
def optimal_step(eps, f_abs, f3_abs):
    return (6 * eps * f_abs / f3_abs) ** (1 / 3)
""",
    "square root (the forward-difference shape)": """
import math

def optimal_step(eps, f_abs, f3_abs):
    return math.sqrt(3 * eps * f_abs / f3_abs)
""",
    "ratio upside down": """
def optimal_step(eps, f_abs, f3_abs):
    return (3 * eps * f3_abs / f_abs) ** (1 / 3)
""",
    "x ** 1/3 without parentheses": """
def optimal_step(eps, f_abs, f3_abs):
    return (3 * eps * f_abs / f3_abs) ** 1 / 3
""",
}

OPTIMAL_STEP_CORRECT = {
    "np.cbrt": """
import numpy as np

def optimal_step(eps, f_abs, f3_abs):
    return float(np.cbrt(3.0 * eps * f_abs / f3_abs))
""",
    "logarithms": """
import math

def optimal_step(eps, f_abs, f3_abs):
    return math.exp((math.log(3) + math.log(eps) + math.log(f_abs) - math.log(f3_abs)) / 3)
""",
}

REL_ERROR_WRONG = {
    "no floor": """
import numpy as np

def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))))
""",
    "absolute floor 1e-3": """
import numpy as np

def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3)
    return float(np.max(np.abs(a - b) / denom))
""",
    "|a| + |b| in the denominator": """
import numpy as np

def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.abs(a).max(), np.abs(b).max())
    if scale == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-3 * scale)))
""",
    "mean over entries": """
import numpy as np

def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.abs(a).max(), np.abs(b).max())
    if scale == 0:
        return 0.0
    denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3 * scale)
    return float(np.mean(np.abs(a - b) / denom))
""",
    "no absolute value of the difference": """
import numpy as np

def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.abs(a).max(), np.abs(b).max())
    if scale == 0:
        return 0.0
    denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3 * scale)
    return float(np.max((a - b) / denom))
""",
    "no special case for all zeros (0/0)": """
import numpy as np

def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.abs(a).max(), np.abs(b).max())
    denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3 * scale)
    return float(np.max(np.abs(a - b) / denom))
""",
    "forgot the max: returns every entry's error": """
import numpy as np

def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.abs(a).max(), np.abs(b).max())
    if scale == 0:
        return np.zeros(a.shape)
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3 * scale)
""",
    "norm-wise relative error": """
import numpy as np

def rel_error(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if max(na, nb) == 0:
        return 0.0
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(na, nb))
""",
}

REL_ERROR_CORRECT = {
    "a loop over the entries": """
import numpy as np

def rel_error(a, b):
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    scale = 0.0
    for u, v in zip(a, b):
        scale = max(scale, abs(u), abs(v))
    if scale == 0.0:
        return 0.0
    worst = 0.0
    for u, v in zip(a, b):
        worst = max(worst, abs(u - v) / max(abs(u), abs(v), 1e-3 * scale))
    return worst
""",
    "np.fmax over a stacked array": """
import numpy as np

def rel_error(a, b):
    both = np.abs(np.stack([np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)]))
    if not both.any():
        return 0.0
    floor = 1e-3 * both.max()
    denom = np.fmax(both.max(axis=0), floor)
    return np.max(np.abs(np.subtract(a, b)) / denom).item()
""",
}

GRADIENT_CHECK_WRONG = {
    "norm-wise error ||a - b|| / (||a|| + ||b||)": """
import numpy as np

def gradient_check(f, grad_f, x):
    a = grad_f(x)
    n = numerical_gradient(f, x)
    return float(np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n)))
""",
    "returns a pass/fail boolean": """
import numpy as np

def gradient_check(f, grad_f, x):
    return rel_error(grad_f(x), numerical_gradient(f, x)) < 1e-7
""",
    "absolute error": """
import numpy as np

def gradient_check(f, grad_f, x):
    return float(np.max(np.abs(grad_f(x) - numerical_gradient(f, x))))
""",
    "mean of the per-entry errors": """
import numpy as np

def gradient_check(f, grad_f, x):
    a, n = grad_f(x), numerical_gradient(f, x)
    scale = max(np.abs(a).max(), np.abs(n).max())
    return float(np.mean(np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)),
                                                      1e-3 * scale)))
""",
    "forgets to return": """
import numpy as np

def gradient_check(f, grad_f, x):
    err = rel_error(grad_f(x), numerical_gradient(f, x))
    print("relative error", err)
""",
}

GRADIENT_CHECK_CORRECT = {
    "arguments the other way round, explicit step": """
import numpy as np

def gradient_check(f, grad_f, x):
    numeric = numerical_gradient(f, x, h=1e-5)
    analytic = grad_f(np.array(x, dtype=float))
    return rel_error(numeric, analytic)
""",
    "self-contained (its own loop and formula)": """
import numpy as np

def gradient_check(f, grad_f, x):
    x = np.array(x, dtype=float)
    analytic = np.asarray(grad_f(x.copy()), dtype=float)
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += 1e-5
        xm[i] -= 1e-5
        numeric[i] = (f(xp) - f(xm)) / 2e-5
    scale = max(np.abs(analytic).max(), np.abs(numeric).max())
    if scale == 0:
        return 0.0
    denom = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), 1e-3 * scale)
    return float(np.max(np.abs(analytic - numeric) / denom))
""",
}

MUTANTS = {
    "numerical_gradient": {
        "wrong": NUMERICAL_GRADIENT_WRONG,
        "correct": NUMERICAL_GRADIENT_CORRECT,
    },
    "optimal_step": {"wrong": OPTIMAL_STEP_WRONG, "correct": OPTIMAL_STEP_CORRECT},
    "rel_error": {"wrong": REL_ERROR_WRONG, "correct": REL_ERROR_CORRECT},
    "gradient_check": {"wrong": GRADIENT_CHECK_WRONG, "correct": GRADIENT_CHECK_CORRECT},
}

# ------------------------------------------ pass the visible tests, fail the hidden tests
# Each description is the one-line reason the hidden cases catch it (and the visible miss it).

MUTANTS["numerical_gradient"]["hidden_only"] = {
    "two nested loops over rows and columns: right for vectors and matrices, wrong for a 3-D x": """
def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    X = x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(1, -1)  # a view of x
    rows, cols = (x.shape[0], x.shape[1]) if x.ndim > 1 else (1, x.size)
    grad = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            saved = X[i, j]
            X[i, j] = saved + h
            f_plus = f(x)
            X[i, j] = saved - h
            f_minus = f(x)
            X[i, j] = saved
            grad[i, j] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(x.shape) if grad.size == x.size else grad
""",
}
