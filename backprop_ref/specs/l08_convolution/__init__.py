"""Lesson 08_convolution: 2-D convolution (stride, zero padding) and max pooling.

Graded functions (names and signatures fixed):

* ``conv_output_shape(x, W, stride, pad) -> (N, F, H_out, W_out)``, H_out rounded down;
* ``conv_forward_loops(x, W, b, stride, pad) -> y``: the index form, with loops;
* ``conv_backward_b(dL_dy) -> dL_db``, ``conv_backward_W_loops(dL_dy, x, W, stride, pad)
  -> dL_dW`` and ``conv_backward_x_loops(dL_dy, x, W, stride, pad) -> dL_dx``: one function
  per gradient, so each gradient has its own points;
* ``conv_forward(x, W, b, stride, pad) -> y`` and ``conv_backward(dL_dy, x, W, stride,
  pad) -> (dL_dx, dL_dW, dL_db)``: the same as one contraction each (im2col and a matrix
  product, or einsum over a windowed view), judged on their values like the loops;
* ``maxpool_forward(x, size, stride) -> y`` and ``maxpool_backward(dL_dy, x, size,
  stride) -> dL_dx``: the gradient goes to the first maximum of each window in row-major
  order (ties broken as the forward pass breaks them), adding where windows overlap.

Every backward function gets the forward pass's inputs (plain arrays), never the
student's forward output, so each function is judged on its own. Each spec is the card
(``backprop_kit.specs.l08_convolution``: the call and the judge, which only compares), the
cases (:mod:`.cases`) and the expected data (:mod:`.expected`, :mod:`.pooling`: reference
outputs, named wrong derivations and shapes, precomputed finite-difference slopes, off the
ties for pooling).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backprop_kit.specs.l08_convolution import CARDS
from backprop_ref.specs.core import Case, Spec
from backprop_ref.specs.l08_convolution import cases, expected, pooling
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

#: Each graded function's reference side: ``expect(case)`` -> the expected values, as data.
EXPECT: dict[str, Callable[[Case], dict[str, Any]]] = {
    "conv_output_shape": expected.expect_output_shape,
    "conv_forward_loops": expected.expect_conv_forward,
    "conv_backward_b": expected.expect_backward_b,
    "conv_backward_W_loops": expected.expect_backward_W,
    "conv_backward_x_loops": expected.expect_backward_x,
    "conv_forward": expected.expect_conv_forward,
    "conv_backward": expected.expect_conv_backward,
    "maxpool_forward": pooling.expect_pool_forward,
    "maxpool_backward": pooling.expect_pool_backward,
}
_CASES = {
    "conv_output_shape": cases.shape_cases,
    "maxpool_forward": cases.pool_cases,
    "maxpool_backward": cases.pool_cases,
}
_SPECS = {
    card.name: Spec(card, _CASES.get(card.name, cases.conv_cases), EXPECT[card.name])
    for card in CARDS
}

conv_output_shape_spec = _SPECS["conv_output_shape"]
conv_forward_loops_spec = _SPECS["conv_forward_loops"]
conv_backward_b_spec = _SPECS["conv_backward_b"]
conv_backward_W_loops_spec = _SPECS["conv_backward_W_loops"]
conv_backward_x_loops_spec = _SPECS["conv_backward_x_loops"]
conv_forward_spec = _SPECS["conv_forward"]
conv_backward_spec = _SPECS["conv_backward"]
maxpool_forward_spec = _SPECS["maxpool_forward"]
maxpool_backward_spec = _SPECS["maxpool_backward"]

LESSON = Lesson(
    name="08_convolution",
    title="Convolution and pooling: forward and backward, loops then one contraction",
    specs=(
        conv_output_shape_spec,
        conv_forward_loops_spec,
        conv_backward_b_spec,
        conv_backward_W_loops_spec,
        conv_backward_x_loops_spec,
        conv_forward_spec,
        conv_backward_spec,
        maxpool_forward_spec,
        maxpool_backward_spec,
    ),
    cells=(
        *tests_for(conv_output_shape_spec, 1, 1),
        *tests_for(conv_forward_loops_spec, 2, 1),
        *tests_for(conv_backward_b_spec, 1, 1),
        *tests_for(conv_backward_W_loops_spec, 2, 1),
        *tests_for(conv_backward_x_loops_spec, 2, 2),
        GradedCell("derive_flipped_kernel", 4, "manual"),
        *tests_for(conv_forward_spec, 1, 1),
        *tests_for(conv_backward_spec, 2, 1),
        *tests_for(maxpool_forward_spec, 1, 1),
        *tests_for(maxpool_backward_spec, 2, 1),
    ),
)
