"""Mutants of lesson 03_linear_layer: the mistakes students make with the linear layer, its
derivative tensors and their contraction, and correct answers written differently.

Each source replaces a whole ``sol_<fn>`` cell, imports included. Every wrong mutant must
fail the visible, hidden and verification stages of its function; every correct one must
pass them all.
"""

# ---------------------------------------------------------------------------- linear_forward

_FORWARD_WRONG = {
    "bias forgotten": """
import numpy as np


def linear_forward(x, W, b):
    return x @ W
""",
    "bias subtracted": """
import numpy as np


def linear_forward(x, W, b):
    return x @ W - b
""",
    "W transposed": """
import numpy as np


def linear_forward(x, W, b):
    return x @ W.T + b
""",
    "bias added down the columns": """
import numpy as np


def linear_forward(x, W, b):
    return x @ W + b[:, None]
""",
    "column convention W x without the final transpose": """
import numpy as np


def linear_forward(x, W, b):
    return W.T @ x.T + b
""",
}

_FORWARD_CORRECT = {
    "einsum": """
import numpy as np


def linear_forward(x, W, b):
    return np.einsum("ni,ij->nj", x, W) + b
""",
    "triple loop": """
import numpy as np


def linear_forward(x, W, b):
    N, M_in = x.shape
    M_out = W.shape[1]
    y = np.zeros((N, M_out))
    for n in range(N):
        for j in range(M_out):
            y[n, j] = b[j]
            for i in range(M_in):
                y[n, j] += x[n, i] * W[i, j]
    return y
""",
    "column convention, transposed back": """
import numpy as np


def linear_forward(x, W, b):
    return (W.T @ x.T + b[:, None]).T
""",
    "np.dot and an explicit row of b": """
import numpy as np


def linear_forward(x, W, b):
    return np.dot(x, W) + b.reshape(1, -1)
""",
}

# --------------------------------------------------------------------------- jacobian_shapes

_SHAPES_WRONG = {
    "axes of the variable first": """
def jacobian_shapes(N, M_in, M_out):
    return (M_in, M_out, N, M_out), (N, M_in, N, M_out)
""",
    "Jacobian layout: M_out before N": """
def jacobian_shapes(N, M_in, M_out):
    return (M_out, N, M_in, M_out), (M_out, N, N, M_in)
""",
    "flattened Jacobian matrices": """
def jacobian_shapes(N, M_in, M_out):
    return (N * M_out, M_in * M_out), (N * M_out, N * M_in)
""",
    "W's axes swapped": """
def jacobian_shapes(N, M_in, M_out):
    return (N, M_out, M_out, M_in), (N, M_out, N, M_in)
""",
    "dy/dx without the second batch axis": """
def jacobian_shapes(N, M_in, M_out):
    return (N, M_out, M_in, M_out), (N, M_out, M_in)
""",
}

_SHAPES_CORRECT = {
    "tuple concatenation": """
def jacobian_shapes(N, M_in, M_out):
    shape_y = (N, M_out)
    return shape_y + (M_in, M_out), shape_y + (N, M_in)
""",
    "numpy integers": """
import numpy as np


def jacobian_shapes(N, M_in, M_out):
    y, W, x = np.array([N, M_out]), np.array([M_in, M_out]), np.array([N, M_in])
    return tuple(np.concatenate([y, W])), tuple(np.concatenate([y, x]))
""",
    "lists": """
def jacobian_shapes(N, M_in, M_out):
    return [N, M_out, M_in, M_out], [N, M_out, N, M_in]
""",
}

# ------------------------------------------------------------------------- linear_jacobian_W

_JW_WRONG = {
    "no delta: x in every (j, k)": """
import numpy as np


def linear_jacobian_W(x, W):
    N, M_in = x.shape
    M_out = W.shape[1]
    return np.broadcast_to(x[:, None, :, None], (N, M_out, M_in, M_out)).copy()
""",
    "last two axes swapped": """
import numpy as np


def linear_jacobian_W(x, W):
    N, M_in = x.shape
    M_out = W.shape[1]
    J = np.zeros((N, M_out, M_out, M_in))
    for k in range(M_out):
        J[:, k, k, :] = x
    return J
""",
    "W where x belongs": """
import numpy as np


def linear_jacobian_W(x, W):
    N, M_in = x.shape
    M_out = W.shape[1]
    J = np.zeros((N, M_out, M_in, M_out))
    for k in range(M_out):
        J[:, k, :, k] = W[:, k]
    return J
""",
    "axes of y in Jacobian layout (j, n)": """
import numpy as np


def linear_jacobian_W(x, W):
    N, M_in = x.shape
    M_out = W.shape[1]
    J = np.zeros((M_out, N, M_in, M_out))
    for k in range(M_out):
        J[k, :, :, k] = x
    return J
""",
    "einsum with the delta on the wrong pair (i, j)": """
import numpy as np


def linear_jacobian_W(x, W):
    return np.einsum("nk,ij->njik", x, np.eye(W.shape[1]))
""",
}

_JW_CORRECT = {
    "einsum with an identity": """
import numpy as np


def linear_jacobian_W(x, W):
    return np.einsum("ni,jk->njik", x, np.eye(W.shape[1]))
""",
    "Kronecker product, reshaped": """
import numpy as np


def linear_jacobian_W(x, W):
    N, M_in = x.shape
    M_out = W.shape[1]
    return np.kron(x, np.eye(M_out)).reshape(N, M_out, M_in, M_out)
""",
    "four loops, float32 result": """
import numpy as np


def linear_jacobian_W(x, W):
    N, M_in = x.shape
    M_out = W.shape[1]
    J = np.zeros((N, M_out, M_in, M_out), dtype=np.float32)
    for n in range(N):
        for j in range(M_out):
            for i in range(M_in):
                for k in range(M_out):
                    if j == k:
                        J[n, j, i, k] = x[n, i]
    return J
""",
}

# ------------------------------------------------------------------------- linear_jacobian_x

_JX_WRONG = {
    "no delta: rows of the batch mixed": """
import numpy as np


def linear_jacobian_x(x, W):
    N = x.shape[0]
    M_in, M_out = W.shape
    return np.broadcast_to(W.T[None, :, None, :], (N, M_out, N, M_in)).copy()
""",
    "W where W.T belongs": """
import numpy as np


def linear_jacobian_x(x, W):
    N = x.shape[0]
    M_in, M_out = W.shape
    J = np.zeros((N, M_out, N, M_in))
    for n in range(N):
        J[n, :, n, :] = W
    return J
""",
    "axes of x first": """
import numpy as np


def linear_jacobian_x(x, W):
    N = x.shape[0]
    M_in, M_out = W.shape
    J = np.zeros((N, M_in, N, M_out))
    for n in range(N):
        J[n, :, n, :] = W
    return J
""",
    "one block for all rows (no batch axis m)": """
import numpy as np


def linear_jacobian_x(x, W):
    return np.broadcast_to(W.T, (x.shape[0],) + W.T.shape).copy()
""",
    "x where W belongs": """
import numpy as np


def linear_jacobian_x(x, W):
    N, M_in = x.shape
    M_out = W.shape[1]
    J = np.zeros((N, M_out, N, M_in))
    for n in range(N):
        J[n, :, n, :] = x[n]
    return J
""",
}

_JX_CORRECT = {
    "einsum with an identity": """
import numpy as np


def linear_jacobian_x(x, W):
    return np.einsum("nm,ij->njmi", np.eye(x.shape[0]), W)
""",
    "Kronecker product, reshaped": """
import numpy as np


def linear_jacobian_x(x, W):
    N = x.shape[0]
    M_in, M_out = W.shape
    return np.kron(np.eye(N), W.T).reshape(N, M_out, N, M_in)
""",
    "broadcasting": """
import numpy as np


def linear_jacobian_x(x, W):
    N = x.shape[0]
    eye = np.eye(N)
    return eye[:, None, :, None] * W.T[None, :, None, :]
""",
}

# -------------------------------------------------------------------- contraction_subscripts


def _subscripts(s: str) -> str:
    return f'''
def contraction_subscripts():
    return "{s}"
'''


_SUB_WRONG = {
    "result transposed (ij,ijkl->lk)": _subscripts("ij,ijkl->lk"),
    "axes of dL/dy swapped (ij,jikl->kl)": _subscripts("ij,jikl->kl"),
    "contracted with the variable's axes (ij,klij->kl)": _subscripts("ij,klij->kl"),
    "nothing summed (ij,ijkl->ijkl)": _subscripts("ij,ijkl->ijkl"),
    "one axis too many summed (ij,ijkl->k)": _subscripts("ij,ijkl->k"),
    "only the batch summed (ij,ijkl->jkl)": _subscripts("ij,ijkl->jkl"),
}

_SUB_CORRECT = {
    "other letters": _subscripts("ab,abcd->cd"),
    "implicit output (ij,ijkl)": _subscripts("ij,ijkl"),
    "ellipsis": _subscripts("nj,nj...->..."),
    "upper case, spaces": _subscripts("NJ, NJPQ -> PQ"),
}

# ---------------------------------------------------------------------------- apply_jacobian

_APPLY_WRONG = {
    "contracted with the last two axes of J": """
import numpy as np


def apply_jacobian(dL_dy, J):
    return np.tensordot(J, dL_dy, axes=([2, 3], [0, 1]))
""",
    "summed over the batch only": """
import numpy as np


def apply_jacobian(dL_dy, J):
    return np.tensordot(dL_dy, J, axes=([0], [0]))
""",
    "dL/dy transposed": """
import numpy as np


def apply_jacobian(dL_dy, J):
    return np.tensordot(dL_dy.T, J, axes=([0, 1], [0, 1]))
""",
    "Jacobian-layout dL/dy flattened against row-major J": """
import numpy as np


def apply_jacobian(dL_dy, J):
    N, M_out = dL_dy.shape
    flat = dL_dy.T.reshape(-1) @ J.reshape(N * M_out, -1)
    return flat.reshape(J.shape[2:])
""",
    "everything summed to a number": """
import numpy as np


def apply_jacobian(dL_dy, J):
    return np.sum(dL_dy[:, :, None, None] * J)
""",
    "J overwritten in place": """
import numpy as np


def apply_jacobian(dL_dy, J):
    J *= dL_dy[:, :, None, None]
    return J.sum(axis=(0, 1))
""",
}

_APPLY_CORRECT = {
    "einsum": """
import numpy as np


def apply_jacobian(dL_dy, J):
    return np.einsum("nj,njpq->pq", dL_dy, J)
""",
    "flattened to lesson 1's matrices": """
import numpy as np


def apply_jacobian(dL_dy, J):
    N, M_out = dL_dy.shape
    return (dL_dy.reshape(1, -1) @ J.reshape(N * M_out, -1)).reshape(J.shape[2:])
""",
    "loops over n and j": """
import numpy as np


def apply_jacobian(dL_dy, J):
    out = np.zeros(J.shape[2:])
    for n in range(J.shape[0]):
        for j in range(J.shape[1]):
            out = out + dL_dy[n, j] * J[n, j]
    return out
""",
    "tensordot with axes=2": """
import numpy as np


def apply_jacobian(dL_dy, J):
    return np.tensordot(dL_dy, J, axes=2)
""",
}

# --------------------------------------------------------------------------- linear_backward


def _backward(dx: str, dW: str, db: str) -> str:
    return f"""
import numpy as np


def linear_backward(dL_dy, x, W):
    dL_dx = {dx}
    dL_dW = {dW}
    dL_db = {db}
    return dL_dx, dL_dW, dL_db
"""


_DX, _DW, _DB = "dL_dy @ W.T", "x.T @ dL_dy", "dL_dy.sum(axis=0)"

_BACKWARD_WRONG = {
    "W not transposed in dL_dx": _backward("dL_dy @ W", _DW, _DB),
    "transposed product dL_dy.T @ x": _backward(_DX, "dL_dy.T @ x", _DB),
    "dL_db not summed over the batch": _backward(_DX, _DW, "dL_dy"),
    "dL_db averaged instead of summed": _backward(_DX, _DW, "dL_dy.mean(axis=0)"),
    "dL_db summed over the wrong axis": _backward(_DX, _DW, "dL_dy.sum(axis=1)"),
    "sign error in dL_dW": _backward(_DX, "-(x.T @ dL_dy)", _DB),
    "dL_dW averaged over the batch": _backward(_DX, "x.T @ dL_dy / x.shape[0]", _DB),
    "dL_dx through x instead of W": _backward("dL_dy @ x.T @ x", _DW, _DB),
    "dL_dy scaled in place": """
import numpy as np


def linear_backward(dL_dy, x, W):
    dL_db = dL_dy.sum(axis=0)
    dL_dW = x.T @ dL_dy
    dL_dy *= 1.0 / x.shape[0]
    dL_dx = dL_dy @ W.T * x.shape[0]
    return dL_dx, dL_dW, dL_db
""",
}

_BACKWARD_CORRECT = {
    "einsum": _backward(
        'np.einsum("nj,ij->ni", dL_dy, W)',
        'np.einsum("ni,nj->ij", x, dL_dy)',
        'np.einsum("nj->j", dL_dy)',
    ),
    "transposes the other way round": _backward(
        "(W @ dL_dy.T).T", "(dL_dy.T @ x).T", "np.ones(x.shape[0]) @ dL_dy"
    ),
    "a loop of outer products over the batch": """
import numpy as np


def linear_backward(dL_dy, x, W):
    dL_dx = np.zeros(x.shape)
    dL_dW = np.zeros(W.shape)
    dL_db = np.zeros(W.shape[1])
    for n in range(x.shape[0]):
        dL_dx[n] = W @ dL_dy[n]
        dL_dW += np.outer(x[n], dL_dy[n])
        dL_db += dL_dy[n]
    return dL_dx, dL_dW, dL_db
""",
    "np.dot and a copy of dL_dy": """
import numpy as np


def linear_backward(dL_dy, x, W):
    g = dL_dy.copy()
    g *= 1.0
    return np.dot(g, W.T), np.dot(x.T, g), np.sum(g, axis=0, keepdims=True)[0]
""",
}

MUTANTS = {
    "linear_forward": {"wrong": _FORWARD_WRONG, "correct": _FORWARD_CORRECT},
    "jacobian_shapes": {"wrong": _SHAPES_WRONG, "correct": _SHAPES_CORRECT},
    "linear_jacobian_W": {"wrong": _JW_WRONG, "correct": _JW_CORRECT},
    "linear_jacobian_x": {"wrong": _JX_WRONG, "correct": _JX_CORRECT},
    "contraction_subscripts": {"wrong": _SUB_WRONG, "correct": _SUB_CORRECT},
    "apply_jacobian": {"wrong": _APPLY_WRONG, "correct": _APPLY_CORRECT},
    "linear_backward": {"wrong": _BACKWARD_WRONG, "correct": _BACKWARD_CORRECT},
}

# ------------------------------------------ pass the visible tests, fail the hidden tests
# Each description is the one-line reason the hidden cases catch it (and the visible miss it).

MUTANTS["linear_backward"]["hidden_only"] = {
    "tries dL_dy @ W, transposes W only when the shapes do not fit: wrong for a square layer": """
def linear_backward(dL_dy, x, W):
    dL_dx = dL_dy @ W if dL_dy.shape[1] == W.shape[0] else dL_dy @ W.T
    return dL_dx, x.T @ dL_dy, dL_dy.sum(axis=0)
""",
}

MUTANTS["linear_forward"]["hidden_only"] = {
    "squeeze() drops the batch axis of a batch of one row: y comes back (M_out,)": """
def linear_forward(x, W, b):
    return np.squeeze(x @ W + b)
""",
}
