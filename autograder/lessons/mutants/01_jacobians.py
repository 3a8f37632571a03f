"""Mutants of lesson 01_jacobians: plausible wrong answers (each must lose its function's
points) and correct answers written differently (each must keep them).

Every source replaces a whole ``sol_<fn>`` cell.
"""

NUMERICAL_JACOBIAN = {
    "wrong": {
        "forward differences": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    f0 = np.asarray(f(x), dtype=float)
    columns = []
    for k in range(x.size):
        xp = x.copy()
        xp[k] += h
        columns.append((f(xp) - f0) / h)
    return np.stack(columns, axis=1)
""",
        "columns stacked as rows (the transpose)": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    rows = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        rows.append((f(x + e) - f(x - e)) / (2 * h))
    return np.array(rows)
""",
        "divides by h instead of 2h": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    columns = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        columns.append((f(x + e) - f(x - e)) / h)
    return np.stack(columns, axis=1)
""",
        "operator precedence: / 2 * h": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    columns = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        columns.append((f(x + e) - f(x - e)) / 2 * h)
    return np.stack(columns, axis=1)
""",
        "perturbs x in place and never restores it": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    columns = []
    for k in range(x.size):
        x[k] += h
        f_plus = f(x)
        x[k] -= 2 * h
        f_minus = f(x)
        columns.append((f_plus - f_minus) / (2 * h))
    return np.stack(columns, axis=1)
""",
        "aliasing: x_plus = x without a copy": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    columns = []
    for k in range(x.size):
        x_plus = x
        x_plus[k] += h
        x_minus = x
        x_minus[k] -= h
        columns.append((f(x_plus) - f(x_minus)) / (2 * h))
    return np.stack(columns, axis=1)
""",
    },
    "correct": {
        "unit vectors from np.eye, np.column_stack": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    E = np.eye(x.size) * h
    return np.column_stack([(f(x + E[k]) - f(x - E[k])) / (2 * h) for k in range(x.size)])
""",
        "preallocated, perturbs a copy in place and restores it exactly": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    xp = x.astype(float)
    m = np.asarray(f(xp)).size
    J = np.zeros((m, xp.size))
    for k in range(xp.size):
        old = xp[k]
        xp[k] = old + h
        f_plus = np.asarray(f(xp), dtype=float)
        xp[k] = old - h
        f_minus = np.asarray(f(xp), dtype=float)
        xp[k] = old
        J[:, k] = (f_plus - f_minus) / (2 * h)
    return J
""",
        "rows of the transpose, transposed back": """import numpy as np


def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    n = len(x)
    JT = []
    for k in range(n):
        step = np.zeros(n)
        step[k] = h
        JT.append(f(x + step) / (2 * h) - f(x - step) / (2 * h))
    return np.array(JT).T
""",
    },
}

JACOBIAN_TANH = {
    "wrong": {
        "1 - tanh(x), no square": """import numpy as np


def jacobian_tanh(x):
    return np.diag(1 - np.tanh(x))
""",
        "1 - x**2: squares x, not tanh(x)": """import numpy as np


def jacobian_tanh(x):
    return np.diag(1 - x**2)
""",
        "the vector of derivatives, not the matrix": """import numpy as np


def jacobian_tanh(x):
    return 1 - np.tanh(x) ** 2
""",
        "the derivative broadcast into every entry": """import numpy as np


def jacobian_tanh(x):
    n = x.shape[0]
    return np.ones((n, n)) * (1 - np.tanh(x) ** 2)
""",
        "sign flipped": """import numpy as np


def jacobian_tanh(x):
    return np.diag(np.tanh(x) ** 2 - 1)
""",
    },
    "correct": {
        "1 / cosh(x)**2": """import numpy as np


def jacobian_tanh(x):
    return np.diag(1.0 / np.cosh(x) ** 2)
""",
        "identity times the derivatives (broadcasting)": """import numpy as np


def jacobian_tanh(x):
    return np.eye(x.size) * (1 - np.tanh(x) ** 2)
""",
        "explicit loop with math.tanh": """import math

import numpy as np


def jacobian_tanh(x):
    n = len(x)
    J = np.zeros((n, n))
    for i in range(n):
        t = math.tanh(x[i])
        J[i, i] = 1 - t * t
    return J
""",
    },
}

JACOBIAN_SOFTMAX = {
    "wrong": {
        "naive softmax: overflows for large scores": """import numpy as np


def jacobian_softmax(z):
    e = np.exp(z)
    p = e / e.sum()
    return np.diag(p) - np.outer(p, p)
""",
        "shifted by the mean instead of the max": """import numpy as np


def jacobian_softmax(z):
    e = np.exp(z - z.mean())
    p = e / e.sum()
    return np.diag(p) - np.outer(p, p)
""",
        "outer product added, not subtracted": """import numpy as np


def jacobian_softmax(z):
    e = np.exp(z - z.max())
    p = e / e.sum()
    return np.diag(p) + np.outer(p, p)
""",
        "diagonal only: p (1 - p)": """import numpy as np


def jacobian_softmax(z):
    e = np.exp(z - z.max())
    p = e / e.sum()
    return np.diag(p * (1 - p))
""",
        "dot product instead of outer product": """import numpy as np


def jacobian_softmax(z):
    e = np.exp(z - z.max())
    p = e / e.sum()
    return np.diag(p) - p @ p
""",
    },
    "correct": {
        "p_i (delta_ij - p_j) by broadcasting": """import numpy as np


def jacobian_softmax(z):
    e = np.exp(z - np.max(z))
    p = e / np.sum(e)
    return p[:, None] * (np.eye(len(z)) - p[None, :])
""",
        "log-sum-exp and two loops": """import math

import numpy as np


def jacobian_softmax(z):
    m = max(z)
    lse = m + math.log(sum(math.exp(v - m) for v in z))
    p = [math.exp(v - lse) for v in z]
    n = len(z)
    J = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            J[i, j] = p[i] * ((1.0 if i == j else 0.0) - p[j])
    return J
""",
        "einsum": """import numpy as np


def jacobian_softmax(z):
    shifted = z - z.max()
    p = np.exp(shifted) / np.exp(shifted).sum()
    return np.einsum("i,ij->ij", p, np.eye(p.size)) - np.einsum("i,j->ij", p, p)
""",
    },
}

CHAIN_RULE_SHAPES = {
    "wrong": {
        "every Jacobian transposed (inputs x outputs)": """def chain_rule_shapes(n, m, k):
    return (n, m), (m, k), (n, k)
""",
        "the composite's Jacobian transposed": """def chain_rule_shapes(n, m, k):
    return (m, n), (k, m), (n, k)
""",
        "dg/dy with the input size of f": """def chain_rule_shapes(n, m, k):
    return (m, n), (k, n), (k, n)
""",
        "the two factors swapped": """def chain_rule_shapes(n, m, k):
    return (k, m), (m, n), (k, n)
""",
    },
    "correct": {
        "tuples": """def chain_rule_shapes(n, m, k):
    df_dx = (m, n)
    dg_dy = (k, m)
    return df_dx, dg_dy, (dg_dy[0], df_dx[1])
""",
        "lists built from numpy shapes": """import numpy as np


def chain_rule_shapes(n, m, k):
    Jf, Jg = np.zeros((m, n)), np.zeros((k, m))
    return [list(Jf.shape), list(Jg.shape), list((Jg @ Jf).shape)]
""",
    },
}

CHAIN_RULE_JACOBIAN = {
    "wrong": {
        "product in the wrong order": """def chain_rule_jacobian(jac_g, jac_f, f, x0):
    return jac_f(x0) @ jac_g(f(x0))
""",
        "dg/dy evaluated at x0": """def chain_rule_jacobian(jac_g, jac_f, f, x0):
    return jac_g(x0) @ jac_f(x0)
""",
        "df/dx evaluated at f(x0)": """def chain_rule_jacobian(jac_g, jac_f, f, x0):
    y0 = f(x0)
    return jac_g(y0) @ jac_f(y0)
""",
        "element-wise product": """def chain_rule_jacobian(jac_g, jac_f, f, x0):
    return jac_g(f(x0)) * jac_f(x0)
""",
        "result transposed": """def chain_rule_jacobian(jac_g, jac_f, f, x0):
    return (jac_g(f(x0)) @ jac_f(x0)).T
""",
    },
    "correct": {
        "np.dot": """import numpy as np


def chain_rule_jacobian(jac_g, jac_f, f, x0):
    return np.dot(jac_g(f(x0)), jac_f(x0))
""",
        "einsum": """import numpy as np


def chain_rule_jacobian(jac_g, jac_f, f, x0):
    Jf = jac_f(x0)
    Jg = jac_g(f(x0))
    return np.einsum("ij,jk->ik", Jg, Jf)
""",
        "explicit sum over the intermediate index": """import numpy as np


def chain_rule_jacobian(jac_g, jac_f, f, x0):
    Jf, Jg = jac_f(x0), jac_g(f(x0))
    k, m = Jg.shape
    n = Jf.shape[1]
    J = np.zeros((k, n))
    for i in range(k):
        for c in range(n):
            J[i, c] = sum(Jg[i, j] * Jf[j, c] for j in range(m))
    return J
""",
    },
}

GRADIENT_SHAPES = {
    "wrong": {
        "both in the shape of y": """def gradient_shapes(N, M_out):
    return (N, M_out), (N, M_out)
""",
        "the two layouts swapped": """def gradient_shapes(N, M_out):
    return (N, M_out), (M_out, N)
""",
        "a flattened row for the Jacobian layout": """def gradient_shapes(N, M_out):
    return (1, N * M_out), (N, M_out)
""",
    },
    "correct": {
        "the transpose of the variable's shape": """def gradient_shapes(N, M_out):
    shape_of_y = (N, M_out)
    return shape_of_y[::-1], shape_of_y
""",
        "lists": """def gradient_shapes(N, M_out):
    return [M_out, N], [N, M_out]
""",
    },
}

VECTOR_JACOBIAN_PRODUCT = {
    "wrong": {
        "J @ dL_dy (no transpose)": """def vector_jacobian_product(dL_dy, J):
    return J @ dL_dy
""",
        "the Jacobian-layout row of shape (1, n)": """def vector_jacobian_product(dL_dy, J):
    return dL_dy[None, :] @ J
""",
        "mean over the outputs instead of the sum": """import numpy as np


def vector_jacobian_product(dL_dy, J):
    return np.mean(J * dL_dy[:, None], axis=0)
""",
        "summed over the wrong axis": """import numpy as np


def vector_jacobian_product(dL_dy, J):
    return np.sum(J * dL_dy[:, None], axis=1)
""",
    },
    "correct": {
        "row vector times J: dL_dy @ J": """def vector_jacobian_product(dL_dy, J):
    return dL_dy @ J
""",
        "einsum": """import numpy as np


def vector_jacobian_product(dL_dy, J):
    return np.einsum("i,ij->j", dL_dy, J)
""",
        "weighted sum of the rows of J": """import numpy as np


def vector_jacobian_product(dL_dy, J):
    return (J * dL_dy[:, None]).sum(axis=0)
""",
    },
}

MUTANTS = {
    "numerical_jacobian": NUMERICAL_JACOBIAN,
    "jacobian_tanh": JACOBIAN_TANH,
    "jacobian_softmax": JACOBIAN_SOFTMAX,
    "chain_rule_shapes": CHAIN_RULE_SHAPES,
    "chain_rule_jacobian": CHAIN_RULE_JACOBIAN,
    "gradient_shapes": GRADIENT_SHAPES,
    "vector_jacobian_product": VECTOR_JACOBIAN_PRODUCT,
}

# ------------------------------------------ pass the visible tests, fail the hidden tests
# Each description is the one-line reason the hidden cases catch it (and the visible miss it).

MUTANTS["numerical_jacobian"]["hidden_only"] = {
    "squeeze() drops the row axis when f has one output (m = 1): J comes back (n,)": """
def numerical_jacobian(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    columns = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        f_plus, f_minus = np.asarray(f(x + e), float), np.asarray(f(x - e), float)
        columns.append((f_plus - f_minus) / (2 * h))
    return np.squeeze(np.stack(columns, axis=1))
""",
}

MUTANTS["vector_jacobian_product"]["hidden_only"] = {
    "squeeze() on J turns a one-row Jacobian (m = 1) into a vector, and J.T @ dL_dy fails": """
def vector_jacobian_product(dL_dy, J):
    J = np.squeeze(J)
    return J.T @ dL_dy
""",
}

MUTANTS["jacobian_tanh"]["hidden_only"] = {
    "squeeze() makes the derivatives of one input a 0-d array, and np.diag refuses it": """
def jacobian_tanh(x):
    d = np.squeeze(1 - np.tanh(x) ** 2)
    return np.diag(d)
""",
}
