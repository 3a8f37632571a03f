"""Convolution and max pooling: the im2col reference against loops written from the index
form, every gradient against finite differences, pooling ties broken as the forward
breaks them, overlapping windows adding, and the output size rounded down."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_ref import convolution as conv
from tests._fd import assert_close, contract, crossed_kinks, fd_gradient


@st.composite
def conv_case(draw: st.DrawFn) -> dict[str, Any]:
    """Any small geometry: stride 1-3, padding 0-2, non-square images and kernels, the
    output size rounded down whenever H + 2P - KH is not a multiple of S."""
    N, C, F = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    KH, KW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, KH - 2 * pad), 7))
    W = draw(st.integers(max(1, KW - 2 * pad), 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((N, C, H, W))
    Wt = rng.standard_normal((F, C, KH, KW))
    b = rng.standard_normal(F)
    _, _, H_out, W_out = conv.conv_output_shape(x.shape, Wt.shape, stride, pad)
    dL_dy = rng.standard_normal((N, F, H_out, W_out))
    return {"x": x, "W": Wt, "b": b, "stride": stride, "pad": pad, "dL_dy": dL_dy}


def loops_forward(x: Any, W: Any, b: Any, S: int, P: int) -> Any:
    """The index form, one output entry at a time (an oracle independent of im2col)."""
    N, C, H, Wd = x.shape
    F, _, KH, KW = W.shape
    xp = np.zeros((N, C, H + 2 * P, Wd + 2 * P))
    xp[:, :, P : P + H, P : P + Wd] = x
    H_out, W_out = (H + 2 * P - KH) // S + 1, (Wd + 2 * P - KW) // S + 1
    y = np.zeros((N, F, H_out, W_out))
    for n, f, i, j in np.ndindex(N, F, H_out, W_out):
        y[n, f, i, j] = b[f] + np.sum(W[f] * xp[n, :, i * S : i * S + KH, j * S : j * S + KW])
    return y


@given(conv_case())
@settings(max_examples=80, deadline=None)
def test_forward_is_the_index_form(c: dict[str, Any]) -> None:
    copies = {k: np.copy(v) for k, v in c.items()}
    y = conv.conv_forward(c["x"], c["W"], c["b"], c["stride"], c["pad"])
    assert_close(y, loops_forward(c["x"], c["W"], c["b"], c["stride"], c["pad"]), "y")
    for k, v in copies.items():
        np.testing.assert_array_equal(c[k], v)  # inputs untouched


@given(conv_case())
@settings(max_examples=40, deadline=None)
def test_backward_matches_finite_differences(c: dict[str, Any]) -> None:
    x, W, b, S, P, dL_dy = (c[k] for k in ("x", "W", "b", "stride", "pad", "dL_dy"))
    dL_dx, dL_dW, dL_db = conv.conv_backward(dL_dy, x, W, S, P)
    assert dL_dx.shape == x.shape and dL_dW.shape == W.shape and dL_db.shape == b.shape

    def L() -> float:
        return contract(conv.conv_forward(x, W, b, S, P), dL_dy)

    # L is linear in each argument: central differences are exact up to round-off
    assert_close(dL_dx, fd_gradient(L, x), "dL/dx", rtol=1e-6, atol=1e-7)
    assert_close(dL_dW, fd_gradient(L, W), "dL/dW", rtol=1e-6, atol=1e-7)
    assert_close(dL_db, fd_gradient(L, b), "dL/db", rtol=1e-6, atol=1e-7)


def test_output_size_is_rounded_down_and_unread_rows_get_no_gradient() -> None:
    """H + 2P - KH = 3 with stride 2: one whole step, H_out = 2; the last row of x is never
    read, so it gets a zero gradient (PyTorch's rule)."""
    assert conv.conv_output_shape((1, 1, 6, 6), (1, 1, 3, 3), 2, 1) == (1, 1, 3, 3)
    assert conv.conv_output_shape((1, 1, 6, 6), (1, 1, 3, 3), 2, 0) == (1, 1, 2, 2)
    assert conv.conv_output_shape((2, 3, 5, 7), (4, 3, 1, 2), 3, 0) == (2, 4, 2, 2)
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal((1, 1, 6, 6)), rng.standard_normal((1, 1, 3, 3))
    dL_dx, _, _ = conv.conv_backward(np.ones((1, 1, 2, 2)), x, W, 2, 0)
    assert not np.any(dL_dx[0, 0, -1]) and np.all(np.any(dL_dx[0, 0, :-1] != 0, axis=1))
    with pytest.raises(ValueError, match="channels"):
        conv.conv_output_shape((1, 2, 5, 5), (1, 3, 3, 3))
    with pytest.raises(ValueError, match="no window fits"):
        conv.conv_output_shape((1, 1, 2, 2), (1, 1, 5, 5), 1, 1)


def test_dx_is_a_full_convolution_with_the_flipped_kernel() -> None:
    """Stride 1: dL/dxp is dL/dy padded by K - 1 and correlated with the kernel flipped in
    both spatial axes and transposed over (F, C); dL/dx crops the padding P."""
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 3, 2))
    P = 1
    dL_dy = rng.standard_normal(conv.conv_output_shape(x.shape, W.shape, 1, P))
    dL_dx, _, _ = conv.conv_backward(dL_dy, x, W, 1, P)
    flipped = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, KH, KW)
    padded = np.pad(dL_dy, ((0, 0), (0, 0), (2, 2), (1, 1)))  # KH - 1, KW - 1
    full = conv.conv_forward(padded, flipped, np.zeros(3))  # (N, C, H + 2P, W + 2P)
    assert_close(dL_dx, full[:, :, P:-P, P:-P], "full convolution, cropped")


def test_im2col_and_col2im_are_adjoint() -> None:
    """<im2col(x), c> = <x, col2im(c)>: col2im is the transpose of im2col's linear map."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 6))
    for KH, KW, S, P in [(3, 3, 1, 1), (2, 3, 2, 0), (3, 1, 3, 2)]:
        cols = conv.im2col(x, KH, KW, S, P)
        c = rng.standard_normal(cols.shape)
        back = conv.col2im(c, x.shape, KH, KW, S, P)
        assert back.shape == x.shape
        assert np.vdot(cols, c) == pytest.approx(np.vdot(x, back), rel=1e-12)


def test_dtype_is_kept() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    W = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    b = np.zeros(3, dtype=np.float32)
    y = conv.conv_forward(x, W, b, 1, 1)
    grads = conv.conv_backward(np.ones_like(y), x, W, 1, 1)
    assert y.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


# ------------------------------------------------------------------------ max pooling


@st.composite
def pool_case(draw: st.DrawFn) -> dict[str, Any]:
    size, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    H, W = draw(st.integers(size, 7)), draw(st.integers(size, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ties = draw(st.booleans())  # small integers: many tied windows
    x = rng.integers(0, 3, (N, C, H, W)).astype(float) if ties else rng.random((N, C, H, W))
    _, _, H_out, W_out = conv.pool_output_shape(x.shape, size, stride)
    return {
        "x": x,
        "size": size,
        "stride": stride,
        "dL_dy": rng.standard_normal((N, C, H_out, W_out)),
    }


def loops_pool(x: Any, dL_dy: Any, size: int, S: int) -> tuple[Any, Any]:
    """Forward and backward one window at a time; the winner is the first maximum met
    scanning the window row by row."""
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // S + 1, (W - size) // S + 1
    y, dx = np.zeros((N, C, H_out, W_out)), np.zeros(x.shape)
    for n, c, i, j in np.ndindex(N, C, H_out, W_out):
        best = None
        for p, q in np.ndindex(size, size):
            if (
                best is None
                or x[n, c, i * S + p, j * S + q] > x[n, c, i * S + best[0], j * S + best[1]]
            ):
                best = (p, q)
        assert best is not None
        y[n, c, i, j] = x[n, c, i * S + best[0], j * S + best[1]]
        dx[n, c, i * S + best[0], j * S + best[1]] += dL_dy[n, c, i, j]
    return y, dx


@given(pool_case())
@settings(max_examples=80, deadline=None)
def test_pooling_is_the_window_loop_with_first_maximum_and_adding(c: dict[str, Any]) -> None:
    x, dL_dy, size, S = c["x"], c["dL_dy"], c["size"], c["stride"]
    y_loop, dx_loop = loops_pool(x, dL_dy, size, S)
    np.testing.assert_array_equal(conv.maxpool_forward(x, size, S), y_loop)
    assert_close(conv.maxpool_backward(dL_dy, x, size, S), dx_loop, "dL/dx")


@given(pool_case())
@settings(max_examples=40, deadline=None)
def test_pooling_gradient_matches_finite_differences_off_the_kinks(c: dict[str, Any]) -> None:
    x, dL_dy, size, S = c["x"], c["dL_dy"], c["size"], c["stride"]
    # break ties: distinct offsets below 1e-2, at least 1e-2 / x.size (>> the FD step h) apart
    x = x + 1e-2 * np.random.default_rng(0).permutation(x.size).reshape(x.shape) / x.size
    dL_dx = conv.maxpool_backward(dL_dy, x, size, S)
    fd = fd_gradient(lambda: contract(conv.maxpool_forward(x, size, S), dL_dy), x)
    kinks = crossed_kinks(lambda: conv.maxpool_winners(x, size, S), x)
    assert not kinks.any()
    assert_close(dL_dx, fd, "dL/dx", rtol=1e-6, atol=1e-7)


def test_a_tie_goes_to_the_first_maximum_and_shared_winners_add() -> None:
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 2.0], [1.0, 2.0, 3.0]]]])
    # 2x2 windows at stride 1: (0,0) ties 3 at (0,1) and (1,0): first is (0,1); (0,1) ties
    # (0,1) and (0,2): first (0,1) again, so x[0,1] gets both windows' gradients
    dL_dx = conv.maxpool_backward(np.array([[[[1.0, 10.0], [100.0, 1000.0]]]]), x, 2, 1)
    expected = np.zeros((3, 3))
    expected[0, 1] = 1.0 + 10.0
    expected[1, 0] = 100.0  # window (1,0): 3 at (1,0) first
    expected[2, 2] = 1000.0  # window (1,1): 3 at (2,2), unique
    np.testing.assert_array_equal(dL_dx[0, 0], expected)
    assert conv.pool_output_shape((1, 1, 5, 7), 2, 2) == (1, 1, 2, 3)
