"""Lesson 06_autodiff: computational graphs and reverse-mode automatic differentiation.

Graded functions (names and signatures fixed), each called on plain data and returning
plain data: ``topological_order(parents, root)`` on a graph written as a dict of parent
lists; the backward rules ``add_backward(dL_dz, x_shape, y_shape)`` (broadcasting),
``matmul_backward(dL_dz, x, W)``, ``mean_backward(dL_dm, x_shape, axis)`` and
``cross_entropy_backward(dL_dL, scores, labels)``; and two functions that build a graph with
the student's own engine (a ``Tensor`` class) and return its gradients:
``fan_out_gradient(x, params, labels)`` (a residual block, where one value feeds two paths:
gradients must add) and ``engine_gradients(x, params, labels)`` (lesson 5's network).

Every function is judged on its own inputs against the reference (never against another of
the student's functions). Cases in :mod:`.cases` and :mod:`.graph_cases`, reference outputs
and named mistakes in :mod:`.expected` (and :mod:`.engines`), comparisons in :mod:`.judges`.
"""

from __future__ import annotations

from backprop_ref.specs.core import Spec
from backprop_ref.specs.l06_autodiff import cases, expected, graph_cases, judges
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

topological_order_spec = Spec.legacy_call(
    "topological_order(parents, root)",
    graph_cases.topological_cases,
    lambda case, outcome: judges.judge_topological_order(
        case, expected.expect_topological_order(case), outcome
    ),
)
add_backward_spec = Spec.legacy_call(
    "add_backward(dL_dz, x_shape, y_shape)",
    cases.add_cases,
    lambda case, outcome: judges.judge_add_backward(
        case, expected.expect_add_backward(case), outcome
    ),
)
matmul_backward_spec = Spec.legacy_call(
    "matmul_backward(dL_dz, x, W)",
    cases.matmul_cases,
    lambda case, outcome: judges.judge_matmul_backward(
        case, expected.expect_matmul_backward(case), outcome
    ),
)
mean_backward_spec = Spec.legacy_call(
    "mean_backward(dL_dm, x_shape, axis)",
    cases.mean_cases,
    lambda case, outcome: judges.judge_mean_backward(
        case, expected.expect_mean_backward(case), outcome
    ),
)
cross_entropy_backward_spec = Spec.legacy_call(
    "cross_entropy_backward(dL_dL, scores, labels)",
    cases.cross_entropy_cases,
    lambda case, outcome: judges.judge_cross_entropy_backward(
        case, expected.expect_cross_entropy_backward(case), outcome
    ),
)
fan_out_gradient_spec = Spec.legacy_call(
    "fan_out_gradient(x, params, labels)",
    cases.fan_out_cases,
    lambda case, outcome: judges.judge_fan_out_gradient(
        case, expected.expect_fan_out_gradient(case), outcome
    ),
)
engine_gradients_spec = Spec.legacy_call(
    "engine_gradients(x, params, labels)",
    cases.engine_cases,
    lambda case, outcome: judges.judge_engine_gradients(
        case, expected.expect_engine_gradients(case), outcome
    ),
)

LESSON = Lesson(
    name="06_autodiff",
    title="Computational graphs and reverse-mode autodiff",
    specs=(
        topological_order_spec,
        add_backward_spec,
        matmul_backward_spec,
        mean_backward_spec,
        cross_entropy_backward_spec,
        fan_out_gradient_spec,
        engine_gradients_spec,
    ),
    cells=(
        *tests_for(topological_order_spec, 2, 2),
        *tests_for(add_backward_spec, 2, 2),
        *tests_for(matmul_backward_spec, 1, 1),
        *tests_for(mean_backward_spec, 1, 1),
        *tests_for(cross_entropy_backward_spec, 1, 1),
        *tests_for(fan_out_gradient_spec, 2, 2),
        *tests_for(engine_gradients_spec, 3, 3),
        GradedCell("derive_reverse_mode", 4, "manual"),
    ),
)
