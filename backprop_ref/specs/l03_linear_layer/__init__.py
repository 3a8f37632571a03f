"""Lesson 03_linear_layer: the affine layer ``y = x W + b``, its derivative tensors and its
compact backward pass.

Graded functions (names and signatures fixed): ``linear_forward(x, W, b)``,
``linear_jacobian_W(x, W)``, ``linear_jacobian_x(x, W)``, ``apply_jacobian(dL_dy, J)``,
``linear_backward(dL_dy, x, W)``; and two derived results: ``jacobian_shapes(N, M_in, M_out)``
(the shapes of dy/dW and dy/dx) and ``contraction_subscripts()`` (the ``np.einsum``
subscripts that apply dL/dy to a 4-D derivative tensor).

Each spec is the card (``backprop_kit.specs.l03_linear_layer``: the call and the judge),
the cases (:mod:`.cases`) and the expected data (:mod:`.expected`).
"""

from __future__ import annotations

from backprop_kit.specs.l03_linear_layer import CARDS
from backprop_ref.specs.core import Spec
from backprop_ref.specs.l03_linear_layer import cases, expected
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

_card = {card.name: card for card in CARDS}

linear_forward_spec = Spec(_card["linear_forward"], cases.layer_cases, expected.forward)
jacobian_shapes_spec = Spec(_card["jacobian_shapes"], cases.size_cases, expected.shapes)
linear_jacobian_W_spec = Spec(_card["linear_jacobian_W"], cases.layer_cases, expected.jacobian("W"))
linear_jacobian_x_spec = Spec(_card["linear_jacobian_x"], cases.layer_cases, expected.jacobian("x"))
contraction_subscripts_spec = Spec(
    _card["contraction_subscripts"], cases.contraction_cases, expected.contraction
)
apply_jacobian_spec = Spec(_card["apply_jacobian"], cases.contraction_cases, expected.apply)
linear_backward_spec = Spec(_card["linear_backward"], cases.layer_cases, expected.backward)

LESSON = Lesson(
    name="03_linear_layer",
    title="The linear layer: derivative tensors and the compact backward pass",
    specs=(
        linear_forward_spec,
        jacobian_shapes_spec,
        linear_jacobian_W_spec,
        linear_jacobian_x_spec,
        contraction_subscripts_spec,
        apply_jacobian_spec,
        linear_backward_spec,
    ),
    cells=(
        *tests_for(linear_forward_spec, 1, 1),
        GradedCell("test_jacobian_shapes", 2, "visible", "jacobian_shapes"),
        *tests_for(linear_jacobian_W_spec, 2, 1),
        *tests_for(linear_jacobian_x_spec, 2, 1),
        GradedCell("test_contraction_subscripts", 1, "visible", "contraction_subscripts"),
        *tests_for(apply_jacobian_spec, 1, 1),
        GradedCell("derive_dL_dW", 3, "manual"),
        *tests_for(linear_backward_spec, 3, 2),
    ),
)
