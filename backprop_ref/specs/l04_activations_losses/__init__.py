"""Lesson 04_activations_losses: element-wise layers (diagonal Jacobians) and the losses that
start the backward recursion.

Graded functions (names and signatures fixed): ``relu_backward(dL_dy, x)``,
``sigmoid_backward(dL_dy, x)``, ``tanh_backward(dL_dy, x)``, ``mse_loss(y, t)`` and
``softmax_cross_entropy(scores, labels)``; the explicit derivative tensor
``sigmoid_jacobian(x)`` (built once, to see why it is never built again); and two derived
results: ``elementwise_jacobian_shape(N, M)`` (the shape of dy/dx of an element-wise layer and
how many of its entries can be non-zero) and ``uniform_scores_loss(C)`` (the cross-entropy of
uniform scores, ``log C``).

Conventions tested here:

- ReLU'(0) = 0 (the mask is ``x > 0``, as :func:`backprop_ref.layers.relu_backward`). Every
  stage's ReLU cases hold a few entries exactly 0, so ``x >= 0`` loses the points; the
  finite-difference stage checks only the entries off the kink.
- Both losses average over the batch (first axis) and sum over everything else.
- ``softmax_cross_entropy`` must be stable: every stage has rows of scores as large as 1e4,
  rows whose magnitudes differ by 1e4 (a shift by the global max is not enough) and labels
  whose probability underflows to 0 (log of a softmax is not enough: use log-sum-exp).

Each spec is the card (``backprop_kit.specs.l04_activations_losses``: the call and the
judge), the cases (:mod:`.cases`) and the expected data (:mod:`.expected`).
"""

from __future__ import annotations

from backprop_kit.specs.l04_activations_losses import CARDS
from backprop_ref.specs.core import Spec
from backprop_ref.specs.l04_activations_losses import cases, expected
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

_card = {card.name: card for card in CARDS}

elementwise_jacobian_shape_spec = Spec(
    _card["elementwise_jacobian_shape"], cases.size_cases, expected.jacobian_shape
)
sigmoid_jacobian_spec = Spec(
    _card["sigmoid_jacobian"], cases.jacobian_cases, expected.sigmoid_jacobian
)
relu_backward_spec = Spec(
    _card["relu_backward"], cases.activation_cases("relu"), expected.activation("relu")
)
sigmoid_backward_spec = Spec(
    _card["sigmoid_backward"], cases.activation_cases("sigmoid"), expected.activation("sigmoid")
)
tanh_backward_spec = Spec(
    _card["tanh_backward"], cases.activation_cases("tanh"), expected.activation("tanh")
)
mse_loss_spec = Spec(_card["mse_loss"], cases.mse_cases, expected.mse)
uniform_scores_loss_spec = Spec(_card["uniform_scores_loss"], cases.class_counts, expected.uniform)
softmax_cross_entropy_spec = Spec(
    _card["softmax_cross_entropy"], cases.ce_cases, expected.cross_entropy
)

LESSON = Lesson(
    name="04_activations_losses",
    title="Activations and losses: diagonal Jacobians and where the recursion starts",
    specs=(
        elementwise_jacobian_shape_spec,
        sigmoid_jacobian_spec,
        relu_backward_spec,
        sigmoid_backward_spec,
        tanh_backward_spec,
        mse_loss_spec,
        uniform_scores_loss_spec,
        softmax_cross_entropy_spec,
    ),
    cells=(
        GradedCell("test_elementwise_jacobian_shape", 2, "visible", "elementwise_jacobian_shape"),
        *tests_for(sigmoid_jacobian_spec, 2, 1),
        *tests_for(relu_backward_spec, 2, 1),
        *tests_for(sigmoid_backward_spec, 2, 1),
        *tests_for(tanh_backward_spec, 1, 1),
        *tests_for(mse_loss_spec, 2, 1),
        GradedCell("test_uniform_scores_loss", 1, "visible", "uniform_scores_loss"),
        GradedCell("derive_softmax_cross_entropy", 4, "manual"),
        *tests_for(softmax_cross_entropy_spec, 3, 2),
    ),
)
