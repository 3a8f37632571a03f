"""Optional cross-check of lesson 08's reference against PyTorch (float64 autograd):
``torch.nn.functional.conv2d`` and ``max_pool2d``; skipped without torch."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_ref import convolution as conv
from backprop_ref.gradcheck import rel_error

torch = pytest.importorskip("torch")
F = torch.nn.functional

CONV_CASES = [
    # (N, C, H, W, F, KH, KW, stride, pad): stride 2 with the size rounded down, padding,
    # non-square images and kernels, a single channel, a single image
    (2, 3, 5, 5, 4, 3, 3, 1, 1),
    (1, 2, 7, 6, 3, 3, 2, 2, 1),
    (3, 1, 8, 5, 2, 2, 3, 3, 0),
    (2, 2, 6, 9, 2, 1, 1, 2, 2),
    (1, 1, 4, 4, 1, 4, 4, 1, 0),
]


@pytest.mark.parametrize(("N", "C", "H", "W", "F_", "KH", "KW", "S", "P"), CONV_CASES)
def test_conv_forward_and_backward_match_torch(
    N: int, C: int, H: int, W: int, F_: int, KH: int, KW: int, S: int, P: int
) -> None:
    rng = np.random.default_rng(N * 100 + H * 10 + KW)
    x, Wt, b = (
        rng.standard_normal((N, C, H, W)),
        rng.standard_normal((F_, C, KH, KW)),
        rng.standard_normal(F_),
    )
    y = conv.conv_forward(x, Wt, b, S, P)
    dL_dy = rng.standard_normal(y.shape)
    ours = (y, *conv.conv_backward(dL_dy, x, Wt, S, P))
    t = {k: torch.tensor(v, requires_grad=True) for k, v in (("x", x), ("W", Wt), ("b", b))}
    yt = F.conv2d(t["x"], t["W"], t["b"], stride=S, padding=P)
    yt.backward(torch.tensor(dL_dy))
    theirs = (yt.detach().numpy(), t["x"].grad.numpy(), t["W"].grad.numpy(), t["b"].grad.numpy())
    for name, a, c in zip(("y", "dL/dx", "dL/dW", "dL/db"), ours, theirs, strict=True):
        assert a.shape == c.shape, name
        assert rel_error(a, c) < 1e-12, (name, rel_error(a, c))


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(
    ("size", "S", "H", "W"), [(2, 2, 4, 6), (2, 2, 5, 7), (3, 2, 7, 7), (2, 1, 5, 4)]
)
def test_maxpool_matches_torch_ties_included(ties: bool, size: int, S: int, H: int, W: int) -> None:
    """PyTorch's CPU max_pool2d also sends a tied window's gradient to its first maximum in
    row-major order, and adds where overlapping windows share a winner."""
    rng = np.random.default_rng(size * 10 + S + H)
    shape = (2, 3, H, W)
    x = rng.integers(0, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    y = conv.maxpool_forward(x, size, S)
    dL_dy = rng.standard_normal(y.shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = F.max_pool2d(xt, size, S)
    yt.backward(torch.tensor(dL_dy))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    assert rel_error(conv.maxpool_backward(dL_dy, x, size, S), xt.grad.numpy()) < 1e-12
