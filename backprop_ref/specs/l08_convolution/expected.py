"""What lesson 08's convolution functions must return on a case, and the named wrong
derivations students write, as plain data (the reference side: the judges only compare).

Every value is an array, a number, a string or a list/dict of them: shapes are lists, a
list of ``[shape, description]`` pairs names wrong shapes, a dict ``{description: array}``
names wrong values (the first match is named).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from backprop_ref.convolution import conv_backward, conv_forward, conv_output_shape, pad_images
from backprop_ref.specs.core import Case
from backprop_ref.specs.l08_convolution import words
from backprop_ref.specs.slopes import directional_slopes

Expected = dict[str, Any]


def _geometry(case: Case) -> tuple[Any, Any, Any, int, int, Any]:
    return tuple(case.inputs[k] for k in ("x", "W", "b", "stride", "pad", "dL_dy"))


def _size_mistakes(case: Case) -> list[list[Any]]:
    """Wrong output shapes (N, F, H_out, W_out), by description; none equal to the truth."""
    x, W, _, S, P, _ = _geometry(case)
    (N, C, H, Wd), (F, _, KH, KW) = x.shape, W.shape
    truth = list(conv_output_shape(x.shape, W.shape, S, P))

    def size(side: int, pad: int, k: int, s: int, up: bool = False, plus: int = 1) -> int:
        span = side + pad - k
        return -(-span // s) + plus if up else span // s + plus

    candidates = [
        (
            [N, F, size(H, 2 * P, KH, S, plus=0), size(Wd, 2 * P, KW, S, plus=0)],
            words.SIZE_NO_PLUS_ONE,
        ),
        ([N, F, size(H, 0, KH, S), size(Wd, 0, KW, S)], words.SIZE_NO_PAD),
        ([N, F, size(H, P, KH, S), size(Wd, P, KW, S)], words.SIZE_PAD_ONCE),
        ([N, F, size(H, 2 * P, KH, S, up=True), size(Wd, 2 * P, KW, S, up=True)], words.SIZE_CEIL),
        ([N, F, size(H, 2 * P, KH, 1), size(Wd, 2 * P, KW, 1)], words.SIZE_NO_STRIDE),
        ([N, F, size(H, 2 * P, KW, S), size(Wd, 2 * P, KH, S)], words.SIZE_SWAPPED),
        ([N, F, truth[2], size(Wd, 2 * P, KH, S)], words.SIZE_SWAPPED),
        ([N, F, size(H, 2 * P, KW, S), truth[3]], words.SIZE_SWAPPED),
        ([N, C, truth[2], truth[3]], words.SIZE_CHANNELS),
    ]
    return _unambiguous(candidates, truth)


def _unambiguous(candidates: list[tuple[list[int], str]], truth: list[int]) -> list[list[Any]]:
    """The named wrong shapes that differ from the truth and from every other mistake's:
    where two mistakes give the same shape, neither is named (the message stays general)."""
    out: list[list[Any]] = []
    for shape, description in candidates:
        others = [d for s, d in candidates if s == shape and d != description]
        if shape != truth and not others and all(shape != seen for seen, _ in out):
            out.append([shape, description])
    return out


def expect_output_shape(case: Case) -> Expected:
    x, W, _, S, P, _ = _geometry(case)
    return {
        "shape": list(conv_output_shape(x.shape, W.shape, S, P)),
        "mistakes": _size_mistakes(case),
    }


def _windows(xp: Any, KH: int, KW: int, step: int, H_out: int, W_out: int) -> Any:
    """(N, C, H_out, W_out, KH, KW): the windows of ``xp`` at rows i*step, columns j*step."""
    view = sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::step, ::step]
    return view[:, :, :H_out, :W_out]


def _y_mistakes(case: Case) -> dict[str, Any]:
    x, W, b, S, P, _ = _geometry(case)
    y = conv_forward(x, W, b, S, P)
    F, C, KH, KW = W.shape
    _, _, H_out, W_out = y.shape
    out = {
        words.FLIPPED: conv_forward(x, W[:, :, ::-1, ::-1], b, S, P),
        words.NO_BIAS: y - b[:, None, None],
        words.STRIDE_IGNORED: np.einsum(
            "ncijpq,fcpq->nfij", _windows(pad_images(x, P), KH, KW, 1, H_out, W_out), W
        )
        + b[:, None, None],
        words.COLS_ORDER: conv_forward(x, W.reshape(F, KH, KW, C).transpose(0, 3, 1, 2), b, S, P),
    }
    if KH == KW:
        out[words.KERNEL_TRANSPOSED] = conv_forward(x, W.transpose(0, 1, 3, 2), b, S, P)
    return out


def expect_conv_forward(case: Case) -> Expected:
    x, W, b, S, P, _ = _geometry(case)
    return {
        "y": conv_forward(x, W, b, S, P),
        "mistakes": _y_mistakes(case),
        "shapes": _size_mistakes(case),
    }


# ----------------------------------------------------------------------- gradients


def _conv_slopes(case: Case, grads: dict[str, Any]) -> dict[str, Any]:
    """Slopes of L = sum(dL_dy * conv_forward(x, W, b)) along random directions of each
    tensor in ``grads`` (L is linear in each: the differences are exact up to round-off)."""
    x, W, b, S, P, dL_dy = _geometry(case)

    def loss(x: Any, W: Any, b: Any) -> float:
        return float(np.sum(dL_dy * conv_forward(x, W, b, S, P)))

    scale = float(np.sum(np.abs(dL_dy * conv_forward(x, W, b, S, P)))) + 1.0
    at = {"x": x, "W": W, "b": b}
    return directional_slopes(loss, at, grads, dict.fromkeys(grads, 1e-5), scale=scale)


def _scatter(dL_dy: Any, W: Any, x_shape: Any, step: int, P: int) -> Any:
    """Each output's gradient sent back to its window placed at (i*step, j*step), times
    the kernel: dL/dxp (N, C, H + 2P, W + 2P), rows past the windows zero."""
    N, _, H_out, W_out = dL_dy.shape
    _, C, KH, KW = W.shape
    H, Wd = x_shape[2] + 2 * P, x_shape[3] + 2 * P
    big = np.zeros((N, C, max(H, step * H_out + KH), max(Wd, step * W_out + KW)))
    blocks = np.einsum("nfij,fcpq->ncpqij", dL_dy, W)
    for p in range(KH):
        for q in range(KW):
            big[:, :, p : p + step * H_out : step, q : q + step * W_out : step] += blocks[
                :, :, p, q
            ]
    return big[:, :, :H, :Wd]


def _dx_mistakes(case: Case) -> tuple[dict[str, Any], list[list[Any]]]:
    x, W, _, S, P, dL_dy = _geometry(case)
    N, C, H, Wd = x.shape
    F, _, KH, KW = W.shape
    _, _, H_out, W_out = dL_dy.shape

    def crop(dxp: Any) -> Any:
        return dxp[:, :, P : P + H, P : P + Wd]

    values = {
        words.X_FLIPPED: crop(_scatter(dL_dy, W[:, :, ::-1, ::-1], x.shape, S, P)),
        words.X_STRIDE_IGNORED: crop(_scatter(dL_dy, W, x.shape, 1, P)),
    }
    if C == F:
        values[words.X_CHANNELS] = crop(_scatter(dL_dy, W.transpose(1, 0, 2, 3), x.shape, S, P))
    shapes: list[list[Any]] = []
    if P > 0:
        shapes.append([[N, C, H + 2 * P, Wd + 2 * P], words.X_PADDED])
    else:
        shapes.append([[N, C, 0, 0], words.X_EMPTY_CROP])
    short = [N, C, min(H, (H_out - 1) * S + KH - 2 * P), min(Wd, (W_out - 1) * S + KW - 2 * P)]
    if short != [N, C, H, Wd]:
        shapes.append([short, words.X_SHORT])
    return values, shapes


def _dW_mistakes(case: Case, dW: Any) -> tuple[dict[str, Any], list[list[Any]]]:
    x, W, _, S, P, dL_dy = _geometry(case)
    N, C = x.shape[:2]
    F, _, KH, KW = W.shape
    _, _, H_out, W_out = dL_dy.shape
    unstrided = _windows(pad_images(x, P), KH, KW, 1, H_out, W_out)
    values = {
        words.W_FLIPPED: dW[:, :, ::-1, ::-1],
        words.W_STRIDE_IGNORED: np.einsum("nfij,ncijpq->fcpq", dL_dy, unstrided),
    }
    if N > 1:
        values[words.W_BATCH_MEAN] = dW / N
        last = _windows(pad_images(x[-1:], P), KH, KW, S, H_out, W_out)
        values[words.W_LAST_IMAGE] = np.einsum("nfij,ncijpq->fcpq", dL_dy[-1:], last)
    if C == F:
        values[words.W_CF_SWAPPED] = dW.transpose(1, 0, 2, 3)
    if KH == KW:
        values[words.KERNEL_TRANSPOSED] = dW.transpose(0, 1, 3, 2)
    shapes = [[[C, F, KH, KW], words.W_CF_SWAPPED]] if C != F else []
    return values, shapes


def _db_mistakes(case: Case) -> tuple[dict[str, Any], list[list[Any]]]:
    dL_dy = case.inputs["dL_dy"]
    N, F, H_out, W_out = dL_dy.shape
    values = {
        words.DB_MEAN: dL_dy.mean(axis=(0, 2, 3)),
        words.DB_MEAN_POSITIONS: dL_dy.mean(axis=(2, 3)).sum(axis=0),
    }
    if N == F:
        values[words.DB_WRONG_AXES] = dL_dy.sum(axis=(1, 2, 3))
    candidates = [
        ([N, F], words.DB_PER_IMAGE),
        ([F, H_out, W_out], words.DB_PER_POSITION),
        ([1, F, 1, 1], words.DB_KEEPDIMS),
        ([], words.DB_ONE_NUMBER),
        ([N], words.DB_WRONG_AXES),
    ]
    shapes = [[s, d] for s, d in candidates if s != [F]]
    return values, shapes


def expect_conv_backward(case: Case) -> Expected:
    """dL/dx, dL/dW, dL/db, their named mistakes (values and shapes), and the slopes."""
    x, W, _, S, P, dL_dy = _geometry(case)
    dx, dW, db = conv_backward(dL_dy, x, W, S, P)
    named = {"x": _dx_mistakes(case), "W": _dW_mistakes(case, dW), "b": _db_mistakes(case)}
    grads = {"x": dx, "W": dW, "b": db}
    return {
        "grads": grads,
        "mistakes": {k: v[0] for k, v in named.items()},
        "shapes": {k: v[1] for k, v in named.items()},
        "fd": _conv_slopes(case, grads),
    }


def _one(case: Case, key: str) -> Expected:
    """The expectation of one gradient, for the functions that return only it."""
    x, W, _, S, P, dL_dy = _geometry(case)
    dx, dW, db = conv_backward(dL_dy, x, W, S, P)
    grad = {"x": dx, "W": dW, "b": db}[key]
    values, shapes = {"x": _dx_mistakes, "b": _db_mistakes}.get(key, lambda c: _dW_mistakes(c, dW))(
        case
    )
    return {
        "grads": {key: grad},
        "mistakes": {key: values},
        "shapes": {key: shapes},
        "fd": _conv_slopes(case, {key: grad}),
    }


def expect_backward_x(case: Case) -> Expected:
    return _one(case, "x")


def expect_backward_W(case: Case) -> Expected:
    return _one(case, "W")


def expect_backward_b(case: Case) -> Expected:
    return _one(case, "b")
