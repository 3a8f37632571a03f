"""What ``maxpool_forward`` and ``maxpool_backward`` must return on a case, the wrong
routings students write, and slopes of the reference loss off the ties (the reference
side of the pooling specs).

The wrong routings are computed one window at a time, in the order a loop visits them
(n, c, i, j), so that "the last window wins" is well defined where windows overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_ref.convolution import (
    maxpool_backward,
    maxpool_forward,
    maxpool_winners,
    pool_output_shape,
)
from backprop_ref.specs.core import Case
from backprop_ref.specs.l08_convolution import words
from backprop_ref.specs.slopes import directional_slopes

#: route(window, dy) -> the window's share of the gradient, shape (size, size)
Route = Callable[[Any, float], Any]


def _inputs(case: Case) -> tuple[Any, int, int, Any]:
    return tuple(case.inputs[k] for k in ("x", "size", "stride", "dL_dy"))


def _routed(case: Case, route: Route, *, step: int | None = None, add: bool = True) -> Any:
    """dL/dx with each window's gradient routed by ``route``, the window placed at
    (i*step, j*step) (default: the stride), added (or assigned: ``add=False``)."""
    x, size, S, dL_dy = _inputs(case)
    step = S if step is None else step
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(*dL_dy.shape):
        rows, cols = slice(i * step, i * step + size), slice(j * step, j * step + size)
        share = route(x[n, c, i * S : i * S + size, j * S : j * S + size], dL_dy[n, c, i, j])
        if add:
            dx[n, c, rows, cols] += share
        else:
            dx[n, c, rows, cols] = np.where(share != 0, share, dx[n, c, rows, cols])
    return dx


def _first(window: Any, dy: float) -> Any:
    out = np.zeros(window.shape)
    out.flat[int(np.argmax(window))] = dy
    return out


def _last(window: Any, dy: float) -> Any:
    out = np.zeros(window.shape)
    out.flat[window.size - 1 - int(np.argmax(window.ravel()[::-1]))] = dy
    return out


def _transposed(window: Any, dy: float) -> Any:
    return _first(window, dy).T


def _mistakes(case: Case) -> dict[str, Any]:
    _, size, S, _ = _inputs(case)
    out = {
        words.POOL_SPREAD: _routed(case, lambda w, dy: np.full(w.shape, dy / w.size)),
        words.POOL_ALL_TIED: _routed(case, lambda w, dy: dy * (w == w.max())),
        words.POOL_SHARED: _routed(case, lambda w, dy: dy * (w == w.max()) / (w == w.max()).sum()),
        words.POOL_LAST: _routed(case, _last),
        words.POOL_TRANSPOSED: _routed(case, _transposed),
    }
    if S < size:
        out[words.POOL_OVERWRITE] = _routed(case, _first, add=False)
    if S > 1:
        out[words.POOL_STRIDE_IGNORED] = _routed(case, _first, step=1)
    return out


def _shape_mistakes(case: Case) -> list[list[Any]]:
    x, size, S, _ = _inputs(case)
    N, C, H, W = x.shape
    truth = list(pool_output_shape(x.shape, size, S))
    candidates = [
        ([N, C, -(-(H - size) // S) + 1, -(-(W - size) // S) + 1], words.POOL_NO_FLOOR),
        ([N, C, -(-H // S), -(-W // S)], words.POOL_NO_FLOOR),
        ([N, C, H - size + 1, W - size + 1], words.POOL_STRIDE_ONE),
    ]
    out: list[list[Any]] = []
    for shape, description in candidates:
        if shape != truth and all(shape != seen for seen, _ in out):
            out.append([shape, description])
    return out


def expect_pool_forward(case: Case) -> dict[str, Any]:
    x, size, S, _ = _inputs(case)
    y = maxpool_forward(x, size, S)
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    mean = windows[:, :, ::S, ::S].mean(axis=(4, 5))
    return {
        "y": y,
        "mistakes": {words.AVERAGE: mean, words.RELU_OR_ZERO_START: np.maximum(y, 0)},
        "shapes": _shape_mistakes(case),
    }


def _off_ties(x: Any, size: int, S: int) -> Any:
    """The entries a finite-difference direction may move: all but the tied maxima."""
    tied = np.zeros(x.shape, dtype=bool)
    N, C, H_out, W_out = pool_output_shape(x.shape, size, S)
    for n, c, i, j in np.ndindex(N, C, H_out, W_out):
        window = x[n, c, i * S : i * S + size, j * S : j * S + size]
        top = window == window.max()
        if top.sum() > 1:
            tied[n, c, i * S : i * S + size, j * S : j * S + size] |= top
    return ~tied


def expect_pool_backward(case: Case) -> dict[str, Any]:
    x, size, S, dL_dy = _inputs(case)
    dx = maxpool_backward(dL_dy, x, size, S)

    def loss(x: Any) -> float:
        return float(np.sum(dL_dy * maxpool_forward(x, size, S)))

    def winners(x: Any) -> Any:
        return maxpool_winners(x, size, S)

    scale = float(np.sum(np.abs(dL_dy * maxpool_forward(x, size, S)))) + 1.0
    fd = directional_slopes(
        loss,
        {"x": x},
        {"x": dx},
        {"x": 1e-5},
        scale=scale,
        support={"x": _off_ties(x, size, S)},
        branches=winners,
    )
    return {"grads": {"x": dx}, "mistakes": {"x": _mistakes(case)}, "shapes": {"x": []}, "fd": fd}
