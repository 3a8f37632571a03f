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
student's forward output, so each function is judged on its own. The spec is split as the
kit protocol wants it: ``cases`` (inputs), ``expected``/``pooling`` (reference outputs,
named wrong derivations and shapes, precomputed finite-difference slopes, off the ties for
pooling) and ``judges`` (comparison only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from backprop_kit.harness import Outcome
from backprop_ref.specs.core import Case, Finding, Spec
from backprop_ref.specs.l08_convolution import cases, expected, judges, pooling
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

Judge = Callable[[Case, Outcome], Iterable[Finding]]


def _judge(
    expect: Callable[[Case], dict[str, Any]], judge: Callable[..., Any], *args: Any
) -> Judge:
    """The judge of the current protocol: the expected values first, then the comparison."""

    def run(case: Case, outcome: Outcome) -> Iterable[Finding]:
        return judge(case, expect(case), outcome, *args)  # type: ignore[no-any-return]

    return run


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

conv_output_shape_spec = Spec.legacy_call(
    "conv_output_shape(x, W, stride, pad)",
    cases.conv_cases,
    _judge(EXPECT["conv_output_shape"], judges.judge_output_shape),
)
conv_forward_loops_spec = Spec.legacy_call(
    "conv_forward_loops(x, W, b, stride, pad)",
    cases.conv_cases,
    _judge(EXPECT["conv_forward_loops"], judges.judge_forward, "conv_forward_loops"),
)
conv_backward_b_spec = Spec.legacy_call(
    "conv_backward_b(dL_dy)",
    cases.conv_cases,
    _judge(EXPECT["conv_backward_b"], judges.judge_gradient, "conv_backward_b", "b"),
)
conv_backward_W_loops_spec = Spec.legacy_call(
    "conv_backward_W_loops(dL_dy, x, W, stride, pad)",
    cases.conv_cases,
    _judge(EXPECT["conv_backward_W_loops"], judges.judge_gradient, "conv_backward_W_loops", "W"),
)
conv_backward_x_loops_spec = Spec.legacy_call(
    "conv_backward_x_loops(dL_dy, x, W, stride, pad)",
    cases.conv_cases,
    _judge(EXPECT["conv_backward_x_loops"], judges.judge_gradient, "conv_backward_x_loops", "x"),
)
conv_forward_spec = Spec.legacy_call(
    "conv_forward(x, W, b, stride, pad)",
    cases.conv_cases,
    _judge(EXPECT["conv_forward"], judges.judge_forward, "conv_forward"),
)
conv_backward_spec = Spec.legacy_call(
    "conv_backward(dL_dy, x, W, stride, pad)",
    cases.conv_cases,
    _judge(EXPECT["conv_backward"], judges.judge_backward),
)
maxpool_forward_spec = Spec.legacy_call(
    "maxpool_forward(x, size, stride)",
    cases.pool_cases,
    _judge(EXPECT["maxpool_forward"], judges.judge_forward, "maxpool_forward"),
)
maxpool_backward_spec = Spec.legacy_call(
    "maxpool_backward(dL_dy, x, size, stride)",
    cases.pool_cases,
    _judge(EXPECT["maxpool_backward"], judges.judge_gradient, "maxpool_backward", "x"),
)

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
