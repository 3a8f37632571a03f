"""Lesson 01_jacobians: the differential as an m x n matrix, and the chain rule.

Graded functions (names and signatures fixed): ``numerical_jacobian(f, x, h)``,
``jacobian_tanh(x)``, ``jacobian_softmax(z)``, ``chain_rule_jacobian(jac_g, jac_f, f, x0)``
and ``vector_jacobian_product(dL_dy, J)``; and two derived results:
``chain_rule_shapes(n, m, k)`` (the shapes of the three Jacobians of the chain rule) and
``gradient_shapes(N, M_out)`` (dL/dy in Jacobian layout against the gradient array in code).

Each spec is the card (``backprop_kit.specs.l01_jacobians``: the call and the judge), the
cases (:mod:`.cases`) and the expected data (:mod:`.expected`).
"""

from __future__ import annotations

from backprop_kit.specs.l01_jacobians import CARDS
from backprop_ref.specs.core import Spec
from backprop_ref.specs.l01_jacobians import cases, expected
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

_card = {card.name: card for card in CARDS}

numerical_jacobian_spec = Spec(_card["numerical_jacobian"], cases.numjac_cases, expected.numerical)
jacobian_tanh_spec = Spec(_card["jacobian_tanh"], cases.tanh_cases, expected.tanh)
jacobian_softmax_spec = Spec(
    _card["jacobian_softmax"], cases.softmax_cases, expected.softmax_jacobian
)
chain_rule_shapes_spec = Spec(
    _card["chain_rule_shapes"], cases.chain_shape_cases, expected.chain_shapes
)
chain_rule_jacobian_spec = Spec(_card["chain_rule_jacobian"], cases.chain_cases, expected.chain)
gradient_shapes_spec = Spec(
    _card["gradient_shapes"], cases.gradient_shape_cases, expected.gradient_shapes
)
vector_jacobian_product_spec = Spec(_card["vector_jacobian_product"], cases.vjp_cases, expected.vjp)

LESSON = Lesson(
    name="01_jacobians",
    title="Jacobians and the chain rule",
    specs=(
        numerical_jacobian_spec,
        jacobian_tanh_spec,
        jacobian_softmax_spec,
        chain_rule_shapes_spec,
        chain_rule_jacobian_spec,
        gradient_shapes_spec,
        vector_jacobian_product_spec,
    ),
    cells=(
        *tests_for(numerical_jacobian_spec, 2, 2),
        *tests_for(jacobian_tanh_spec, 1, 1),
        GradedCell("derive_softmax_jacobian", 4, "manual"),
        *tests_for(jacobian_softmax_spec, 2, 1),
        GradedCell("test_chain_rule_shapes", 1, "visible", "chain_rule_shapes"),
        *tests_for(chain_rule_jacobian_spec, 2, 1),
        GradedCell("test_gradient_shapes", 1, "visible", "gradient_shapes"),
        *tests_for(vector_jacobian_product_spec, 1, 1),
    ),
)
