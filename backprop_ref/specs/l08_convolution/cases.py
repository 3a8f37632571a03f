"""The cases of lesson 08's graded functions: what each stage feeds them.

A convolution case is ``x`` (N, C, H, W), ``W`` (F, C, KH, KW), ``b`` (F,), ``stride``,
``pad`` and an upstream gradient ``dL_dy`` of the output's shape. Every case keeps the
loop solutions fast (at most a few thousand window products).

* visible: square images and kernels, padding 1, stride 1 and 2 (with H + 2P - KH a
  multiple of the stride), N and C of at least 2, C != F;
* hidden and verify add what the visible ones leave out: a single image (N = 1), a single
  channel (C = 1), non-square images and kernels, no padding, padding 2, stride 3, a 1x1
  kernel, and H + 2P - KH not a multiple of the stride (the output size rounds down, and
  the rows and columns past the last window get a zero gradient), once with no padding,
  so that a row of x itself (not only padding) is in no window.

A pooling case is ``x``, ``size``, ``stride`` and ``dL_dy``: the visible ones have
``stride == size`` on sizes that divide evenly, one with many tied maxima (small integers)
and one without ties; the hidden and verify ones add odd sizes (rounded down), overlapping
windows (``stride < size``: an input can win several windows), N = 1 and C = 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_ref.convolution import conv_output_shape, pool_output_shape
from backprop_ref.specs.core import Case, Stage

#: (N, C, H, W, F, KH, KW, stride, pad) per case.
Geometry = tuple[int, int, int, int, int, int, int, int, int]

CONV_PLANS: dict[str, list[Geometry]] = {
    "visible": [(2, 3, 5, 5, 2, 3, 3, 1, 1), (2, 2, 7, 7, 3, 3, 3, 2, 1)],
    "hidden": [
        (1, 3, 6, 8, 2, 3, 2, 2, 1),  # N = 1, non-square, (6 + 2 - 3) / 2 rounds down
        (3, 1, 7, 5, 3, 2, 3, 1, 0),  # C = 1, no padding, non-square kernel
        (2, 2, 9, 6, 2, 3, 3, 3, 2),  # stride 3, padding 2, both sizes round down
        (2, 2, 6, 7, 3, 1, 1, 2, 0),  # a 1x1 kernel at stride 2, the last row in no window
    ],
}

#: (N, C, H, W, size, stride, ties) per case.
PoolPlan = tuple[int, int, int, int, int, int, bool]

POOL_PLANS: dict[str, list[PoolPlan]] = {
    "visible": [(2, 2, 4, 4, 2, 2, False), (2, 3, 6, 6, 2, 2, True)],
    "hidden": [
        (1, 2, 5, 7, 2, 2, True),  # N = 1, odd sizes: the last row and column are dropped
        (2, 1, 7, 7, 3, 2, True),  # C = 1, overlapping windows
        (2, 2, 6, 5, 3, 1, False),  # stride 1: every input in up to 9 windows
        (2, 2, 6, 7, 3, 3, True),  # 3x3 windows, the width rounds down
    ],
}


def _size(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def _not_multiple(rng: np.random.Generator, K: int, S: int, P: int, lo: int, hi: int) -> int:
    """An image side in [lo, hi] with (side + 2P - K) not a multiple of S (S >= 2)."""
    sides = [h for h in range(lo, hi + 1) if (h + 2 * P - K) % S != 0 and h + 2 * P >= K]
    return int(rng.choice(sides))


def _verify_conv(rng: np.random.Generator) -> list[Geometry]:
    """Drawn at grading time; every hidden feature is in some case, every time."""
    KH, KW = _size(rng, 2, 3), 5 - _size(rng, 2, 3)  # non-square when KH != KW ...
    KW = KW if KW != KH else KH - 1  # ... always
    S = _size(rng, 2, 3)
    H1 = _not_multiple(rng, KH, S, 1, 5, 8)
    W1 = _not_multiple(rng, KW, S, 1, 5, 8)
    W1 = W1 if W1 != H1 else W1 + S  # non-square image; still not a multiple
    H2 = _not_multiple(rng, KW, 2, 0, 4, 8)  # the last row of x is in no window
    return [
        (1, _size(rng, 2, 3), H1, W1, _size(rng, 2, 3), KH, KW, S, 1),
        (_size(rng, 2, 3), 1, H2, H2 + _size(rng, 1, 2), _size(rng, 2, 3), KW, KH, 2, 0),
        (2, _size(rng, 2, 3), _size(rng, 6, 9), _size(rng, 5, 8), 2, 3, 3, 3, 2),
        # stride 1: a kernel side used for the other always changes the size; W_in = H_in + 2
        # keeps H_out != W_out whichever side is longer
        (_size(rng, 2, 3), 3, 6, 8, 2, KW, KH, 1, 1),
    ]


def _conv_case(rng: np.random.Generator, g: Geometry) -> Case:
    N, C, H, W, F, KH, KW, S, P = g
    x = rng.standard_normal((N, C, H, W))
    weights = rng.standard_normal((F, C, KH, KW))
    b = rng.choice([-1.0, 1.0], F) * rng.uniform(0.5, 1.5, F)  # no bias near zero
    out = conv_output_shape(x.shape, weights.shape, S, P)
    dL_dy = rng.standard_normal(out)
    inputs: dict[str, Any] = {"x": x, "W": weights, "b": b, "stride": S, "pad": P, "dL_dy": dL_dy}
    note = f"x {x.shape}, W {weights.shape}, stride {S}, pad {P} -> y {out}"
    return Case(inputs, note)


def conv_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    plan = CONV_PLANS[stage] if stage in CONV_PLANS else _verify_conv(rng)
    return [_conv_case(rng, g) for g in plan]


def shape_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """``conv_output_shape``'s cases: as :func:`conv_cases`, but the visible geometries vary
    with the seed within their kind (square 3x3 kernels, padding 1, stride 1 and 2 with
    H + 2P - KH a multiple of the stride, C != F), so that a table of the visible answers
    fails verification of the visible cell."""
    if stage != "visible":
        return conv_cases(rng, stage)
    plan: list[Geometry] = []
    for S in (1, 2):
        C = _size(rng, 2, 3)
        F = int(rng.choice([f for f in (2, 3, 4) if f != C]))
        side = _size(rng, 4, 7) if S == 1 else 2 * _size(rng, 2, 4) + 1  # odd: (H - 1) % 2 == 0
        plan.append((_size(rng, 2, 3), C, side, side, F, 3, 3, S, 1))
    return [_conv_case(rng, g) for g in plan]


def _verify_pool(rng: np.random.Generator) -> list[PoolPlan]:
    odd = 2 * _size(rng, 2, 3) + 1
    return [
        (1, _size(rng, 1, 3), odd, odd + 2, 2, 2, True),
        (_size(rng, 1, 2), 1, _size(rng, 6, 8), _size(rng, 6, 8), 3, 2, True),
        (2, 2, _size(rng, 4, 6), _size(rng, 4, 6), 2, 1, bool(rng.integers(2))),
        (2, _size(rng, 1, 3), 6, 6, 2, 2, False),
    ]


def pool_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    plan = POOL_PLANS[stage] if stage in POOL_PLANS else _verify_pool(rng)
    cases = []
    for N, C, H, W, size, S, ties in plan:
        if ties:  # small integers: many windows with two or more equal maxima
            x = rng.integers(-2, 2, (N, C, H, W)).astype(float)
        else:
            x = rng.standard_normal((N, C, H, W))
        out = pool_output_shape(x.shape, size, S)
        inputs = {"x": x, "size": size, "stride": S, "dL_dy": rng.standard_normal(out)}
        words = ", small integers with tied maxima" if ties else ""
        cases.append(Case(inputs, f"x {x.shape}, size {size}, stride {S} -> y {out}{words}"))
    return cases
