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
the student's functions). Each spec is the card (``backprop_kit.specs.l06_autodiff``: the
call and the judge, which only compares), the cases (:mod:`.cases`, :mod:`.graph_cases`) and
the expected data (:mod:`.expected`, with :mod:`.engines`: reference outputs, named
mistakes, the finite-difference slopes).
"""

from __future__ import annotations

from backprop_kit.specs.l06_autodiff import CARDS
from backprop_ref.specs.core import Spec
from backprop_ref.specs.l06_autodiff import cases, expected, graph_cases
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

_card = {card.name: card for card in CARDS}

topological_order_spec = Spec(
    _card["topological_order"], graph_cases.topological_cases, expected.expect_topological_order
)
add_backward_spec = Spec(_card["add_backward"], cases.add_cases, expected.expect_add_backward)
matmul_backward_spec = Spec(
    _card["matmul_backward"], cases.matmul_cases, expected.expect_matmul_backward
)
mean_backward_spec = Spec(_card["mean_backward"], cases.mean_cases, expected.expect_mean_backward)
cross_entropy_backward_spec = Spec(
    _card["cross_entropy_backward"],
    cases.cross_entropy_cases,
    expected.expect_cross_entropy_backward,
)
fan_out_gradient_spec = Spec(
    _card["fan_out_gradient"], cases.fan_out_cases, expected.expect_fan_out_gradient
)
engine_gradients_spec = Spec(
    _card["engine_gradients"], cases.engine_cases, expected.expect_engine_gradients
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
