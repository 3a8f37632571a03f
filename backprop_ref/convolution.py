"""2-D convolution and max pooling on images, forward and backward.

Images are ``x`` of shape (N, C, H, W): N images of C channels, H rows and W columns
(PyTorch's layout). A convolution layer has weights ``W`` of shape (F, C, KH, KW), one
kernel of C channels per output channel (filter) f, and a bias ``b`` of shape (F,). Like
every framework, it computes a **cross-correlation** (the kernel is not flipped)::

    y[n, f, i, j] = b[f] + sum_{c, p, q} W[f, c, p, q] * xp[n, c, i*S + p, j*S + q]

where ``xp`` is ``x`` with ``P`` zeros added on each side of both spatial axes, ``S`` the
stride and ``P`` the padding. The output has shape (N, F, H_out, W_out) with
``H_out = (H + 2P - KH) // S + 1`` (rounded down, as PyTorch does: rows of ``xp`` past the
last whole window are never read, and their gradient is zero), likewise ``W_out``.

The forward and backward passes are written as one matrix product each, over the
"columns" of the input (im2col): ``cols[n]`` has one row per kernel entry (c, p, q) and one
column per output position (i, j), holding the input value that kernel entry multiplies
at that position. Then ``y[n] = W2 @ cols[n]`` with ``W2 = W.reshape(F, C*KH*KW)``,
``dL/dW = sum_n dL/dy[n] @ cols[n].T``, and ``dL/dx`` is ``W2.T @ dL/dy[n]`` scattered
back onto the image positions it came from (col2im, the adjoint of im2col).

Max pooling takes the largest value of each ``size x size`` window (stride ``stride``, no
padding); its gradient goes to the window's winner only: the **first** maximum in
row-major order within the window (``np.argmax``'s rule), so a tie is broken the same way
in the forward and backward pass. Where windows overlap, an input that wins several
windows receives the sum of their gradients.

The functions keep the dtype they are given and never modify their arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from backprop_ref._types import Array, IntArray


def conv_output_shape(
    x_shape: Sequence[int], W_shape: Sequence[int], stride: int = 1, pad: int = 0
) -> tuple[int, int, int, int]:
    """The shape of a convolution's output.

    Parameters
    ----------
    x_shape : (N, C, H, W)
    W_shape : (F, C, KH, KW)
    stride, pad : the stride S >= 1 and the zero padding P >= 0 (both spatial axes)

    Returns
    -------
    (N, F, H_out, W_out) with ``H_out = (H + 2P - KH) // S + 1`` (floor), likewise W_out.

    Raises
    ------
    ValueError
        If the channels disagree, or the kernel is larger than the padded image.
    """
    N, C, H, W = (int(v) for v in x_shape)
    F, C_w, KH, KW = (int(v) for v in W_shape)
    if C != C_w:
        raise ValueError(f"x has {C} channels but the kernels have {C_w}")
    if stride < 1 or pad < 0 or KH > H + 2 * pad or KW > W + 2 * pad:
        raise ValueError(f"no window fits: {x_shape} with {W_shape}, stride {stride}, pad {pad}")
    return N, F, (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1


def pad_images(x: Array, pad: int) -> Array:
    """``x`` (N, C, H, W) with ``pad`` zeros on each side of H and W (not of N or C)."""
    if pad == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def im2col(x: Array, KH: int, KW: int, stride: int = 1, pad: int = 0) -> Array:
    """The input value under each kernel entry at each output position.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    KH, KW : the kernel's height and width
    stride, pad : as in :func:`conv_forward`

    Returns
    -------
    cols : ndarray of shape (N, C*KH*KW, H_out*W_out)
        ``cols[n, (c*KH + p)*KW + q, i*W_out + j] = xp[n, c, i*S + p, j*S + q]``: row
        ``(c, p, q)`` matches ``W.reshape(F, -1)``'s columns, column ``(i, j)`` the output's
        positions in row-major order.
    """
    N, C = x.shape[:2]
    _, _, H_out, W_out = conv_output_shape(x.shape, (1, C, KH, KW), stride, pad)
    xp = pad_images(x, pad)
    cols = np.empty((N, C, KH, KW, H_out, W_out), dtype=x.dtype)
    for p in range(KH):  # one strided copy per kernel offset: KH*KW copies of the image size
        for q in range(KW):
            rows = slice(p, p + stride * H_out, stride)  # i*S + p for i < H_out
            columns = slice(q, q + stride * W_out, stride)  # j*S + q for j < W_out
            cols[:, :, p, q] = xp[:, :, rows, columns]  # (N, C, H_out, W_out)
    return cols.reshape(N, C * KH * KW, H_out * W_out)


def col2im(
    cols: Array, x_shape: Sequence[int], KH: int, KW: int, stride: int = 1, pad: int = 0
) -> Array:
    """The adjoint of :func:`im2col`: add every column entry back onto the input position
    it was read from, then drop the padding.

    Parameters
    ----------
    cols : ndarray of shape (N, C*KH*KW, H_out*W_out)
    x_shape : (N, C, H, W), the shape of the image the columns were taken from
    KH, KW, stride, pad : as for :func:`im2col`

    Returns
    -------
    ndarray of shape (N, C, H, W)
        Entry (n, c, u, v) is the sum of the ``cols`` entries that :func:`im2col` read from
        ``xp[n, c, u + P, v + P]`` (zero for positions no window covers).
    """
    N, C, H, W = (int(v) for v in x_shape)
    _, _, H_out, W_out = conv_output_shape(x_shape, (1, C, KH, KW), stride, pad)
    blocks = cols.reshape(N, C, KH, KW, H_out, W_out)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    for p in range(KH):  # windows overlap when S < KH: the contributions add
        for q in range(KW):
            rows = slice(p, p + stride * H_out, stride)
            columns = slice(q, q + stride * W_out, stride)
            xp[:, :, rows, columns] += blocks[:, :, p, q]  # (N, C, H_out, W_out)
    return xp[:, :, pad : pad + H, pad : pad + W]  # the padding is not part of x


def conv_forward(x: Array, W: Array, b: Array, stride: int = 1, pad: int = 0) -> Array:
    """2-D convolution (cross-correlation) with stride and zero padding.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    W : ndarray of shape (F, C, KH, KW)
    b : ndarray of shape (F,)
    stride : int >= 1
    pad : int >= 0, zeros added on each side of H and W

    Returns
    -------
    y : ndarray of shape (N, F, H_out, W_out)
        ``y[n, f, i, j] = b[f] + sum_{c,p,q} W[f, c, p, q] xp[n, c, i*S + p, j*S + q]``.
    """
    N, F, H_out, W_out = conv_output_shape(x.shape, W.shape, stride, pad)
    cols = im2col(x, W.shape[2], W.shape[3], stride, pad)  # (N, C*KH*KW, L), L = H_out*W_out
    y = W.reshape(F, -1) @ cols  # (F, C*KH*KW) @ (N, C*KH*KW, L) -> (N, F, L)
    y += b[:, None]  # (F, 1) broadcast over the batch and the positions
    return y.reshape(N, F, H_out, W_out)


def conv_backward(
    dL_dy: Array, x: Array, W: Array, stride: int = 1, pad: int = 0
) -> tuple[Array, Array, Array]:
    """Gradients of :func:`conv_forward`.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, F, H_out, W_out)
    x, W, stride, pad : the forward pass's inputs

    Returns
    -------
    dL_dx : ndarray of shape (N, C, H, W)
    dL_dW : ndarray of shape (F, C, KH, KW)
    dL_db : ndarray of shape (F,)

    Notes
    -----
    In index form ``dL/dW[f, c, p, q] = sum_{n,i,j} dL/dy[n, f, i, j] xp[n, c, i*S + p,
    j*S + q]`` and ``dL/dxp[n, c, u, v] = sum_{f,i,j} dL/dy[n, f, i, j] W[f, c, u - i*S,
    v - j*S]`` (terms with the kernel index outside the kernel are zero): for S = 1 a full
    convolution of dL/dy with the kernel flipped, summed over the filters.
    """
    N, F, H_out, W_out = dL_dy.shape
    KH, KW = W.shape[2], W.shape[3]
    dy = dL_dy.reshape(N, F, H_out * W_out)  # (N, F, L)
    cols = im2col(x, KH, KW, stride, pad)  # (N, C*KH*KW, L), recomputed: the pass is pure
    W2 = W.reshape(F, -1)  # (F, C*KH*KW)
    dL_db = dL_dy.sum(axis=(0, 2, 3))  # b[f] is added at every image and position: (F,)
    dL_dW = (dy @ cols.transpose(0, 2, 1)).sum(axis=0)  # (N,F,L)@(N,L,CKK) -> sum_n: (F,CKK)
    dcols = W2.T @ dy  # (C*KH*KW, F) @ (N, F, L) -> (N, C*KH*KW, L): dL/dcols
    dL_dx = col2im(dcols, x.shape, KH, KW, stride, pad)  # scatter-add, crop: (N, C, H, W)
    return dL_dx, dL_dW.reshape(W.shape), dL_db


# ------------------------------------------------------------------------ max pooling


def pool_output_shape(x_shape: Sequence[int], size: int, stride: int) -> tuple[int, int, int, int]:
    """(N, C, H_out, W_out) of max pooling with ``size x size`` windows, no padding:
    ``H_out = (H - size) // stride + 1`` (floor), likewise W_out."""
    N, C, H, W = (int(v) for v in x_shape)
    if stride < 1 or size < 1 or size > H or size > W:
        raise ValueError(f"no {size}x{size} window fits in {x_shape} with stride {stride}")
    return N, C, (H - size) // stride + 1, (W - size) // stride + 1


def _windows(x: Array, size: int, stride: int) -> Array:
    """A read-only view (N, C, H_out, W_out, size, size) of every pooling window."""
    view = sliding_window_view(x, (size, size), axis=(2, 3))  # every window at stride 1
    return view[:, :, ::stride, ::stride]  # keep the window starts i*S, j*S: floor rounding


def maxpool_forward(x: Array, size: int = 2, stride: int = 2) -> Array:
    """Max pooling over ``size x size`` windows at stride ``stride``, per image and channel.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    size, stride : window side and stride (no padding)

    Returns
    -------
    y : ndarray of shape (N, C, H_out, W_out), ``y[n, c, i, j]`` the largest entry of the
        window ``x[n, c, i*S : i*S + size, j*S : j*S + size]``.
    """
    pool_output_shape(x.shape, size, stride)  # validates
    y: Array = _windows(x, size, stride).max(axis=(4, 5))  # (N, C, H_out, W_out)
    return y


def maxpool_winners(x: Array, size: int = 2, stride: int = 2) -> IntArray:
    """The winner of each window, as its flat index in row-major window order: the first
    maximum (``np.argmax``'s rule). Shape (N, C, H_out, W_out); the branch indicators of
    max pooling (a gradient check crosses a kink where a winner changes)."""
    N, C, H_out, W_out = pool_output_shape(x.shape, size, stride)
    flat = _windows(x, size, stride).reshape(N, C, H_out, W_out, size * size)
    winners: IntArray = flat.argmax(axis=4)
    return winners


def maxpool_backward(dL_dy: Array, x: Array, size: int = 2, stride: int = 2) -> Array:
    """Gradient of :func:`maxpool_forward`: each window's gradient goes to its winner.

    Parameters
    ----------
    dL_dy : ndarray of shape (N, C, H_out, W_out)
    x, size, stride : the forward pass's inputs

    Returns
    -------
    dL_dx : ndarray of shape (N, C, H, W)
        ``dL_dy[n, c, i, j]`` added at the first maximum (row-major) of window (i, j); zero
        elsewhere. Overlapping windows (stride < size) add at a shared winner.
    """
    k = maxpool_winners(x, size, stride)  # (N, C, H_out, W_out): flat index in the window
    n, c, i, j = np.indices(k.shape)  # every window's own indices, (N, C, H_out, W_out) each
    rows = i * stride + k // size  # the winner's row in x
    cols = j * stride + k % size  # and its column
    dL_dx = np.zeros_like(x, dtype=dL_dy.dtype)
    np.add.at(dL_dx, (n, c, rows, cols), dL_dy)  # unbuffered: a shared winner adds
    return dL_dx
