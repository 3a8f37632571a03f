"""Mutants of lesson 08_convolution: the mistakes students make with convolution and max
pooling, and correct answers written differently.

Each source replaces a whole ``sol_<fn>`` cell, imports included. ``wrong`` mutants fail
the visible, hidden and verification stages of their function; ``hidden_only`` ones pass
the visible tests (square images and kernels, padding 1, sizes that divide evenly,
non-overlapping pooling windows) and fail the hidden tests and verification
(tests/test_lesson_08.py); ``correct`` ones pass everything. No mutant calls another
graded function, so a mutant loses exactly its own function's points.
"""

# ------------------------------------------------------------------------ output shape


def _shape(h_out: str, w_out: str, channels: str = "F", head: str = "") -> str:
    return f"""
import math

import numpy as np


def conv_output_shape(x, W, stride, pad):
    N, C, H_in, W_in = x.shape
    F, _, KH, KW = W.shape
    S, P = stride, pad{head}
    return N, {channels}, {h_out}, {w_out}
"""


_OUTPUT_SHAPE = {
    "wrong": {
        "no + 1": _shape("(H_in + 2 * P - KH) // S", "(W_in + 2 * P - KW) // S"),
        "padding forgotten": _shape("(H_in - KH) // S + 1", "(W_in - KW) // S + 1"),
        "padding counted once": _shape("(H_in + P - KH) // S + 1", "(W_in + P - KW) // S + 1"),
        "stride ignored": _shape("H_in + 2 * P - KH + 1", "W_in + 2 * P - KW + 1"),
        "C output channels": _shape(
            "(H_in + 2 * P - KH) // S + 1", "(W_in + 2 * P - KW) // S + 1", channels="C"
        ),
        "true division": _shape("(H_in + 2 * P - KH) / S + 1", "(W_in + 2 * P - KW) / S + 1"),
    },
    "hidden_only": {
        "rounded up": _shape(
            "-(-(H_in + 2 * P - KH) // S) + 1", "-(-(W_in + 2 * P - KW) // S) + 1"
        ),
        "KH for both sides": _shape("(H_in + 2 * P - KH) // S + 1", "(W_in + 2 * P - KH) // S + 1"),
    },
    "correct": {
        "math.floor of the quotient": _shape(
            "int(math.floor((H_in + 2 * P - KH) / S)) + 1",
            "int(math.floor((W_in + 2 * P - KW) / S)) + 1",
        ),
        "counting the window starts": _shape(
            "len(range(0, H_in + 2 * P - KH + 1, S))", "len(range(0, W_in + 2 * P - KW + 1, S))"
        ),
    },
}

# ------------------------------------------------------------------------ forward, loops


def _forward(
    window: str = "xp[n, :, i * S:i * S + KH, j * S:j * S + KW]",
    value: str = "np.sum(W[f] * window) + b[f]",
    pad: str = "np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))",
    W_out: str = "(W_in + 2 * P - KW) // S + 1",
) -> str:
    return f"""
import numpy as np


def conv_forward_loops(x, W, b, stride, pad):
    N, C, H_in, W_in = x.shape
    F, _, KH, KW = W.shape
    S, P = stride, pad
    H_out = (H_in + 2 * P - KH) // S + 1
    W_out = {W_out}
    xp = {pad}
    y = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = {window}
                    y[n, f, i, j] = {value}
    return y
"""


_FORWARD_LOOPS = {
    "wrong": {
        "kernel flipped (a true convolution)": _forward(
            value="np.sum(W[f, :, ::-1, ::-1] * window) + b[f]"
        ),
        "no bias": _forward(value="np.sum(W[f] * window)"),
        "stride ignored in the window": _forward(window="xp[n, :, i:i + KH, j:j + KW]"),
        "np.pad pads every axis": _forward(pad="np.pad(x, P)"),
        "kernel transposed": _forward(value="np.sum(W[f].transpose(0, 2, 1) * window) + b[f]"),
        "padding on one side only": _forward(
            pad="np.pad(x, ((0, 0), (0, 0), (2 * P, 0), (2 * P, 0)))"
        ),
    },
    "hidden_only": {
        "KH used for the width too": _forward(
            window="xp[n, :, i * S:i * S + KH, j * S:j * S + KH]",
            W_out="(W_in + 2 * P - KH) // S + 1",
        ),
    },
    "correct": {
        "scalar loops over every index": """
import numpy as np


def conv_forward_loops(x, W, b, stride, pad):
    N, C, H, Wd = x.shape
    F, _, KH, KW = W.shape
    Ho, Wo = (H + 2 * pad - KH) // stride + 1, (Wd + 2 * pad - KW) // stride + 1
    y = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    total = b[f]
                    for c in range(C):
                        for p in range(KH):
                            for q in range(KW):
                                u, v = i * stride + p - pad, j * stride + q - pad
                                if 0 <= u < H and 0 <= v < Wd:  # outside: a padding zero
                                    total += W[f, c, p, q] * x[n, c, u, v]
                    y[n, f, i, j] = total
    return y
""",
        "loops over positions, tensordot over the filters": """
import itertools

import numpy as np


def conv_forward_loops(x, W, b, stride, pad):
    N, C, H, Wd = x.shape
    F, _, KH, KW = W.shape
    Ho, Wo = (H + 2 * pad - KH) // stride + 1, (Wd + 2 * pad - KW) // stride + 1
    xp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + Wd] = x
    y = np.empty((N, F, Ho, Wo))
    for i, j in itertools.product(range(Ho), range(Wo)):
        patch = xp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
        y[:, :, i, j] = np.tensordot(patch, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return y
""",
    },
}

# ---------------------------------------------------------------------------- dL/db


def _db(body: str) -> str:
    return f"""
import numpy as np


def conv_backward_b(dL_dy):
    return {body}
"""


_BACKWARD_B = {
    "wrong": {
        "mean instead of sum": _db("dL_dy.mean(axis=(0, 2, 3))"),
        "summed over the positions only": _db("dL_dy.sum(axis=(2, 3))"),
        "summed over the batch only": _db("dL_dy.sum(axis=0)"),
        "summed over every axis": _db("dL_dy.sum()"),
        "mean over the positions": _db("dL_dy.mean(axis=(2, 3)).sum(axis=0)"),
    },
    "hidden_only": {
        "a stray squeeze()": _db("np.squeeze(dL_dy).sum(axis=(0, 2, 3))"),
    },
    "correct": {
        "einsum": _db('np.einsum("nfij->f", dL_dy)'),
        "a loop over the filters": """
import numpy as np


def conv_backward_b(dL_dy):
    F = dL_dy.shape[1]
    out = np.zeros(F)
    for f in range(F):
        out[f] = dL_dy[:, f].sum()
    return out
""",
    },
}

# ---------------------------------------------------------------------------- dL/dW


def _dW(
    update: str = "dL_dW[f] += dL_dy[n, f, i, j] * window",
    window: str = "xp[n, :, i * S:i * S + KH, j * S:j * S + KW]",
    tail: str = "",
    loops: str = "range(W_out)",
) -> str:
    return f"""
import numpy as np


def conv_backward_W_loops(dL_dy, x, W, stride, pad):
    N, F, H_out, W_out = dL_dy.shape
    KH, KW = W.shape[2], W.shape[3]
    S, P = stride, pad
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    dL_dW = np.zeros(W.shape)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in {loops}:
                    window = {window}
                    {update}{tail}
    return dL_dW
"""


_BACKWARD_W = {
    "wrong": {
        "kernel flipped": _dW(tail="\n    dL_dW = dL_dW[:, :, ::-1, ::-1]"),
        "stride ignored": _dW(window="xp[n, :, i:i + KH, j:j + KW]"),
        "x without its padding": _dW(
            window="np.pad(x, ((0, 0), (0, 0), (0, 2 * P), (0, 2 * P)))"
            "[n, :, i * S:i * S + KH, j * S:j * S + KW]"
        ),
        "averaged over the batch": _dW(tail="\n    dL_dW = dL_dW / N"),
        "= instead of += (the last window only)": _dW(
            update="dL_dW[f] = dL_dy[n, f, i, j] * window"
        ),
        "kernel axes transposed": _dW(
            update="dL_dW[f] += (dL_dy[n, f, i, j] * window).transpose(0, 2, 1)"
        ),
    },
    "hidden_only": {
        "KH used for the width too": _dW(window="xp[n, :, i * S:i * S + KH, j * S:j * S + KH]"),
        "H_out used for both loops": _dW(loops="range(H_out)"),
    },
    "correct": {
        "a loop over the kernel offsets, einsum inside": """
import numpy as np


def conv_backward_W_loops(dL_dy, x, W, stride, pad):
    N, F, Ho, Wo = dL_dy.shape
    KH, KW = W.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    dW = np.zeros_like(W, dtype=float)
    for p in range(KH):
        for q in range(KW):
            taken = xp[:, :, p:p + stride * Ho:stride, q:q + stride * Wo:stride]  # (N,C,Ho,Wo)
            dW[:, :, p, q] = np.einsum("nfij,ncij->fc", dL_dy, taken)
    return dW
""",
        "im2col and a matrix product": """
import numpy as np


def conv_backward_W_loops(dL_dy, x, W, stride, pad):
    N, F, Ho, Wo = dL_dy.shape
    _, C, KH, KW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    rows = []
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                u, v = i * stride, j * stride
                rows.append(xp[n, :, u:u + KH, v:v + KW].ravel())
    cols = np.array(rows)  # (N*Ho*Wo, C*KH*KW)
    g = dL_dy.transpose(0, 2, 3, 1).reshape(-1, F)  # (N*Ho*Wo, F), same row order
    return (g.T @ cols).reshape(F, C, KH, KW)
""",
    },
}

# ---------------------------------------------------------------------------- dL/dx


def _dx(
    update: str = "dL_dxp[n, :, i * S:i * S + KH, j * S:j * S + KW] += dL_dy[n, f, i, j] * W[f]",
    crop: str = "dL_dxp[:, :, P:P + H_in, P:P + W_in]",
) -> str:
    return f"""
import numpy as np


def conv_backward_x_loops(dL_dy, x, W, stride, pad):
    N, F, H_out, W_out = dL_dy.shape
    _, C, H_in, W_in = x.shape
    KH, KW = W.shape[2], W.shape[3]
    S, P = stride, pad
    dL_dxp = np.zeros((N, C, H_in + 2 * P, W_in + 2 * P))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    {update}
    return {crop}
"""


def _full_conv(
    flip: str = "[:, :, ::-1, ::-1]",
    rows: str = "H_in + 2 * P + KH - 1",
    cols: str = "W_in + 2 * P + KW - 1",
    step: str = "S",
) -> str:
    """dL/dx as a full convolution of the dilated dL/dy with the flipped kernel."""
    return f"""
import numpy as np


def conv_backward_x_loops(dL_dy, x, W, stride, pad):
    N, F, H_out, W_out = dL_dy.shape
    _, C, H_in, W_in = x.shape
    KH, KW = W.shape[2], W.shape[3]
    S, P = stride, pad
    g = np.zeros((N, F, {rows}, {cols}))
    g[:, :, KH - 1:KH - 1 + {step} * H_out:{step}, KW - 1:KW - 1 + {step} * W_out:{step}] = dL_dy
    K = W{flip}.transpose(1, 0, 2, 3)  # (C, F, KH, KW)
    out_h, out_w = g.shape[2] - KH + 1, g.shape[3] - KW + 1
    dL_dxp = np.zeros((N, C, out_h, out_w))
    for n in range(N):
        for c in range(C):
            for u in range(out_h):
                for v in range(out_w):
                    dL_dxp[n, c, u, v] = np.sum(K[c] * g[n, :, u:u + KH, v:v + KW])
    return dL_dxp[:, :, P:P + H_in, P:P + W_in]
"""


_BACKWARD_X = {
    "wrong": {
        "padding not removed": _dx(crop="dL_dxp"),
        "kernel flipped in the scatter": _dx(
            update="dL_dxp[n, :, i * S:i * S + KH, j * S:j * S + KW] += "
            "dL_dy[n, f, i, j] * W[f, :, ::-1, ::-1]"
        ),
        "stride ignored": _dx(
            update="dL_dxp[n, :, i:i + KH, j:j + KW] += dL_dy[n, f, i, j] * W[f]"
        ),
        "= instead of += (overlaps lost)": _dx(
            update="dL_dxp[n, :, i * S:i * S + KH, j * S:j * S + KW] = dL_dy[n, f, i, j] * W[f]"
        ),
        "full convolution without the flip": _full_conv(flip=""),
        "full convolution without dilating dL/dy": _full_conv(
            rows="(H_out - 1) + 2 * KH - 1", cols="(W_out - 1) + 2 * KW - 1", step="1"
        ),
    },
    "hidden_only": {
        "padding cropped with [P:-P]": _dx(crop="dL_dxp[:, :, P:-P, P:-P]"),
        "full convolution sized for sizes that divide evenly": _full_conv(
            rows="(H_out - 1) * S + 2 * KH - 1", cols="(W_out - 1) * S + 2 * KW - 1"
        ),
    },
    "correct": {
        "full convolution of the dilated dL/dy with the flipped kernel": _full_conv(),
        "scatter over the kernel offsets (col2im)": """
import numpy as np


def conv_backward_x_loops(dL_dy, x, W, stride, pad):
    N, F, Ho, Wo = dL_dy.shape
    _, C, H, Wd = x.shape
    KH, KW = W.shape[2:]
    S = stride
    dxp = np.zeros((N, C, H + 2 * pad, Wd + 2 * pad))
    for p in range(KH):
        for q in range(KW):
            back = np.einsum("nfij,fc->ncij", dL_dy, W[:, :, p, q])  # (N, C, Ho, Wo)
            dxp[:, :, p:p + S * Ho:S, q:q + S * Wo:S] += back
    return dxp[:, :, pad:pad + H, pad:pad + Wd]
""",
    },
}

# ----------------------------------------------------------------- forward, contraction


def _fast(
    windows: str = "view[:, :, ::S, ::S]",
    y: str = 'np.einsum("ncijpq,fcpq->nfij", windows, W, optimize=True)',
    bias: str = " + b[:, None, None]",
    pad: str = "np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))",
    tail: str = "",
) -> str:
    return f"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_forward(x, W, b, stride, pad):
    N, C, H_in, W_in = x.shape
    F, _, KH, KW = W.shape
    S, P = stride, pad
    H_out = (H_in + 2 * P - KH) // S + 1
    W_out = (W_in + 2 * P - KW) // S + 1
    xp = {pad}
    view = sliding_window_view(xp, (KH, KW), axis=(2, 3))
    windows = {windows}
    y = {y}{bias}{tail}
    return y
"""


_FORWARD = {
    "wrong": {
        "kernel flipped": _fast(
            y='np.einsum("ncijpq,fcpq->nfij", windows, W[:, :, ::-1, ::-1], optimize=True)'
        ),
        "no bias": _fast(bias=""),
        "stride ignored (windows at every position)": _fast(windows="view[:, :, :H_out, :W_out]"),
        "columns ordered (p, q, c), W reshaped (c, p, q)": _fast(
            y="(windows.transpose(0, 2, 3, 4, 5, 1).reshape(N, H_out, W_out, -1)"
            " @ W.reshape(F, -1).T).transpose(0, 3, 1, 2)"
        ),
        "np.pad pads every axis": _fast(pad="np.pad(x, P)"),
    },
    "hidden_only": {
        "a stray squeeze()": _fast(
            y='np.einsum("ncijpq,fcpq->nfij", windows, W, optimize=True).squeeze()'
        ),
    },
    "correct": {
        "im2col copies per kernel offset and one matrix product": """
import numpy as np


def conv_forward(x, W, b, stride, pad):
    N, C, H, Wd = x.shape
    F, _, KH, KW = W.shape
    S = stride
    Ho, Wo = (H + 2 * pad - KH) // S + 1, (Wd + 2 * pad - KW) // S + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((N, C, KH, KW, Ho, Wo))
    for p in range(KH):
        for q in range(KW):
            cols[:, :, p, q] = xp[:, :, p:p + S * Ho:S, q:q + S * Wo:S]
    y = W.reshape(F, -1) @ cols.reshape(N, C * KH * KW, Ho * Wo)  # (N, F, Ho*Wo)
    return (y + b[:, None]).reshape(N, F, Ho, Wo)
""",
        "tensordot over an as_strided view": """
import numpy as np


def conv_forward(x, W, b, stride, pad):
    N, C, H, Wd = x.shape
    F, _, KH, KW = W.shape
    Ho, Wo = (H + 2 * pad - KH) // stride + 1, (Wd + 2 * pad - KW) // stride + 1
    xp = np.ascontiguousarray(np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))))
    sn, sc, sh, sw = xp.strides
    windows = np.lib.stride_tricks.as_strided(
        xp, (N, C, Ho, Wo, KH, KW), (sn, sc, stride * sh, stride * sw, sh, sw), writeable=False
    )
    y = np.tensordot(windows, W, axes=([1, 4, 5], [1, 2, 3]))  # (N, Ho, Wo, F)
    return y.transpose(0, 3, 1, 2) + b[:, None, None]
""",
    },
}

# ---------------------------------------------------------------- backward, contraction


def _fast_back(
    dW: str = 'np.einsum("nfij,ncijpq->fcpq", dL_dy, windows, optimize=True)',
    db: str = "dL_dy.sum(axis=(0, 2, 3))",
    kernel: str = "W",
    scatter: str = "dL_dxp[:, :, p:p + S * H_out:S, q:q + S * W_out:S] += back[:, :, p, q]",
    crop: str = "dL_dxp[:, :, P:P + H_in, P:P + W_in]",
    tail: str = "",
) -> str:
    return f"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_backward(dL_dy, x, W, stride, pad):
    N, F, H_out, W_out = dL_dy.shape
    _, C, H_in, W_in = x.shape
    KH, KW = W.shape[2], W.shape[3]
    S, P = stride, pad
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    windows = sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::S, ::S]
    dL_db = {db}
    dL_dW = {dW}
    back = np.einsum("nfij,fcpq->ncpqij", dL_dy, {kernel}, optimize=True)
    dL_dxp = np.zeros(xp.shape)
    for p in range(KH):
        for q in range(KW):
            {scatter}
    dL_dx = {crop}{tail}
    return dL_dx, dL_dW, dL_db
"""


_BACKWARD = {
    "wrong": {
        "dL/dW of the flipped kernel": _fast_back(
            dW='np.einsum("nfij,ncijpq->fcpq", dL_dy, windows)[:, :, ::-1, ::-1]'
        ),
        "padding not removed from dL/dx": _fast_back(crop="dL_dxp"),
        "dL/db a mean": _fast_back(db="dL_dy.mean(axis=(0, 2, 3))"),
        "dL/dx with the kernel flipped": _fast_back(kernel="W[:, :, ::-1, ::-1]"),
        "stride ignored in the scatter": _fast_back(
            scatter="dL_dxp[:, :, p:p + H_out, q:q + W_out] += back[:, :, p, q]"
        ),
    },
    "hidden_only": {
        "padding cropped with [P:-P]": _fast_back(crop="dL_dxp[:, :, P:-P, P:-P]"),
        "a stray squeeze() on dL/dx": _fast_back(tail=".squeeze()"),
    },
    "correct": {
        "im2col, matrix products and col2im": """
import numpy as np


def conv_backward(dL_dy, x, W, stride, pad):
    N, F, Ho, Wo = dL_dy.shape
    _, C, H, Wd = x.shape
    KH, KW = W.shape[2:]
    S = stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((N, C, KH, KW, Ho, Wo))
    for p in range(KH):
        for q in range(KW):
            cols[:, :, p, q] = xp[:, :, p:p + S * Ho:S, q:q + S * Wo:S]
    cols = cols.reshape(N, C * KH * KW, Ho * Wo)
    g = dL_dy.reshape(N, F, Ho * Wo)
    dW = (g @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(W.shape)
    dcols = (W.reshape(F, -1).T @ g).reshape(N, C, KH, KW, Ho, Wo)
    dxp = np.zeros(xp.shape)
    for p in range(KH):
        for q in range(KW):
            dxp[:, :, p:p + S * Ho:S, q:q + S * Wo:S] += dcols[:, :, p, q]
    return dxp[:, :, pad:pad + H, pad:pad + Wd], dW, g.sum(axis=(0, 2))
""",
        "dL/dx as a full convolution over a windowed view": """
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_backward(dL_dy, x, W, stride, pad):
    N, F, Ho, Wo = dL_dy.shape
    _, C, H, Wd = x.shape
    KH, KW = W.shape[2:]
    S, P = stride, pad
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    windows = sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::S, ::S]
    dW = np.tensordot(dL_dy, windows, axes=([0, 2, 3], [0, 2, 3]))  # (F, C, KH, KW)
    g = np.zeros((N, F, H + 2 * P + KH - 1, Wd + 2 * P + KW - 1))
    g[:, :, KH - 1:KH - 1 + S * Ho:S, KW - 1:KW - 1 + S * Wo:S] = dL_dy  # dilated, padded
    gw = sliding_window_view(g, (KH, KW), axis=(2, 3))  # (N, F, H + 2P, W + 2P, KH, KW)
    dxp = np.einsum("nfuvpq,fcpq->ncuv", gw, W[:, :, ::-1, ::-1], optimize=True)
    return dxp[:, :, P:P + H, P:P + Wd], dW, np.einsum("nfij->f", dL_dy)
""",
    },
}

# ------------------------------------------------------------------------ max pooling


def _pool(
    reduce: str = "window.max(axis=(2, 3))",
    start: str = "np.zeros",
    window: str = "x[:, :, i * S:i * S + size, j * S:j * S + size]",
    H_out: str = "(H_in - size) // S + 1",
    W_out: str = "(W_in - size) // S + 1",
) -> str:
    return f"""
import numpy as np


def maxpool_forward(x, size, stride):
    N, C, H_in, W_in = x.shape
    S = stride
    H_out, W_out = {H_out}, {W_out}
    y = {start}((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = {window}
            y[:, :, i, j] = {reduce}
    return y
"""


_POOL_FORWARD = {
    "wrong": {
        "average pooling": _pool(reduce="window.mean(axis=(2, 3))"),
        "stride ignored": _pool(
            window="x[:, :, i:i + size, j:j + size]",
            H_out="H_in - size + 1",
            W_out="W_in - size + 1",
        ),
        "running maximum started at 0": _pool(
            reduce="np.maximum(window.max(axis=(2, 3)), y[:, :, i, j])"
        ),
        "maximum over the channels too": _pool(reduce="window.max(axis=(1, 2, 3))[:, None]"),
    },
    "hidden_only": {
        "the reshape trick (stride = size, sizes divide evenly)": """
import numpy as np


def maxpool_forward(x, size, stride):
    N, C, H, W = x.shape
    return x.reshape(N, C, H // size, size, W // size, size).max(axis=(3, 5))
""",
        "rounded up (a partial window at the edge)": _pool(
            H_out="-(-(H_in - size) // S) + 1", W_out="-(-(W_in - size) // S) + 1"
        ),
    },
    "correct": {
        "sliding_window_view": """
import numpy as np


def maxpool_forward(x, size, stride):
    view = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return view[:, :, ::stride, ::stride].max(axis=(4, 5))
""",
        "scalar loops": """
import numpy as np


def maxpool_forward(x, size, stride):
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
    y = np.empty((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best = -np.inf
                    for p in range(size):
                        for q in range(size):
                            best = max(best, x[n, c, i * stride + p, j * stride + q])
                    y[n, c, i, j] = best
    return y
""",
    },
}


def _pool_back(route: str, add: str = "+=") -> str:
    """A loop over the windows; ``route`` sets dL_dx for one window (names: window, g, r, c)."""
    return f"""
import numpy as np


def maxpool_backward(dL_dy, x, size, stride):
    N, C, H_out, W_out = dL_dy.shape
    S = stride
    dL_dx = np.zeros(x.shape)
    for n in range(N):
        for ch in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, ch, i * S:i * S + size, j * S:j * S + size]
                    g = dL_dy[n, ch, i, j]
                    r, c = i * S, j * S
                    {route.replace("+=", add)}
    return dL_dx
"""


_FIRST = "di, dj = divmod(int(np.argmax(window)), size); dL_dx[n, ch, r + di, c + dj] += g"

_POOL_BACKWARD = {
    "wrong": {
        "gradient spread over the window": _pool_back(
            "dL_dx[n, ch, r:r + size, c:c + size] += g / size**2"
        ),
        "every tied maximum gets the gradient": _pool_back(
            "dL_dx[n, ch, r:r + size, c:c + size] += g * (window == window.max())"
        ),
        "the gradient shared among the tied maxima": _pool_back(
            "top = window == window.max(); "
            "dL_dx[n, ch, r:r + size, c:c + size] += g * top / top.sum()"
        ),
        "the last maximum wins": _pool_back(
            "k = window.size - 1 - int(np.argmax(window.ravel()[::-1])); "
            "di, dj = divmod(k, size); dL_dx[n, ch, r + di, c + dj] += g"
        ),
        "row and column of the winner swapped": _pool_back(
            "dj, di = divmod(int(np.argmax(window)), size); dL_dx[n, ch, r + di, c + dj] += g"
        ),
        "stride ignored when placing the winner": _pool_back(
            "di, dj = divmod(int(np.argmax(window)), size); dL_dx[n, ch, i + di, j + dj] += g"
        ),
    },
    "hidden_only": {
        "= instead of += (overlapping windows)": _pool_back(_FIRST, add="="),
        "the reshape trick (stride = size, sizes divide evenly)": """
import numpy as np


def maxpool_backward(dL_dy, x, size, stride):
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // size, size, W // size, size).transpose(0, 1, 2, 4, 3, 5)
    flat = blocks.reshape(N, C, H // size, W // size, size * size)
    onehot = np.arange(size * size) == flat.argmax(axis=4)[..., None]
    spread = onehot * dL_dy[..., None]  # (N, C, Ho, Wo, size*size)
    spread = spread.reshape(N, C, H // size, W // size, size, size).transpose(0, 1, 2, 4, 3, 5)
    return spread.reshape(N, C, H, W)
""",
    },
    "correct": {
        "argmax over a windowed view and np.add.at": """
import numpy as np


def maxpool_backward(dL_dy, x, size, stride):
    view = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    windows = view[:, :, ::stride, ::stride]
    k = windows.reshape(*windows.shape[:4], -1).argmax(axis=4)  # first maximum
    n, c, i, j = np.indices(k.shape)
    dx = np.zeros(x.shape)
    np.add.at(dx, (n, c, i * stride + k // size, j * stride + k % size), dL_dy)
    return dx
""",
        "scan for the first strictly larger entry": """
import numpy as np


def maxpool_backward(dL_dy, x, size, stride):
    dx = np.zeros_like(x, dtype=float)
    N, C, Ho, Wo = dL_dy.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best = (i * stride, j * stride)
                    for p in range(size):
                        for q in range(size):
                            u, v = i * stride + p, j * stride + q
                            if x[n, c, u, v] > x[n, c, best[0], best[1]]:
                                best = (u, v)
                    dx[n, c, best[0], best[1]] += dL_dy[n, c, i, j]
    return dx
""",
    },
}

MUTANTS = {
    "conv_output_shape": _OUTPUT_SHAPE,
    "conv_forward_loops": _FORWARD_LOOPS,
    "conv_backward_b": _BACKWARD_B,
    "conv_backward_W_loops": _BACKWARD_W,
    "conv_backward_x_loops": _BACKWARD_X,
    "conv_forward": _FORWARD,
    "conv_backward": _BACKWARD,
    "maxpool_forward": _POOL_FORWARD,
    "maxpool_backward": _POOL_BACKWARD,
}
