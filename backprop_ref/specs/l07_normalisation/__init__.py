"""Lesson 07_normalisation: batch normalisation (training mode) and layer normalisation.

Graded functions (names and signatures fixed):

* ``batchnorm_forward(x, gamma, beta, eps) -> (y, cache)``, the cache a dict with the keys
  ``x, gamma, eps, mu, xc, var, std, xhat`` (``mu``, ``var``, ``std`` of shape (D,));
* ``batchnorm_backward_staged(dL_dy, cache) -> grads``, the gradient of every node of the
  graph (``beta, gamma, xhat, std, var, xc, mu, x``), judged node by node in the order the
  backward pass computes them;
* ``batchnorm_backward(dL_dy, cache) -> (dL_dx, dL_dgamma, dL_dbeta)``, the compact form;
* ``layernorm_forward`` and ``layernorm_backward``, the same over the other axis (the row
  statistics of shape (N, 1));
* ``bn_network(x, labels, params, eps) -> (L, grads)``: affine -> batch norm -> ReLU ->
  affine -> softmax cross-entropy, checked against the reference and finite differences.

Each backward gets the cache of the reference forward pass (plain data), never the
student's, so every function is judged on its own. Each spec is the card
(``backprop_kit.specs.l07_normalisation``: the call and the judge, which only compares),
the cases (:mod:`.cases`) and the expected data (:mod:`.expected`, :mod:`.network`:
reference outputs, named wrong derivations, precomputed finite-difference slopes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backprop_kit.specs.l07_normalisation import CARDS
from backprop_ref.specs.core import Case, Spec
from backprop_ref.specs.l07_normalisation import cases, expected, network
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

_card = {card.name: card for card in CARDS}


def expect_batchnorm_forward(case: Case) -> dict[str, Any]:
    return expected.expect_forward(case, axis=0)


def expect_layernorm_forward(case: Case) -> dict[str, Any]:
    return expected.expect_forward(case, axis=1)


def expect_batchnorm_backward(case: Case) -> dict[str, Any]:
    return expected.expect_backward(case, axis=0)


def expect_layernorm_backward(case: Case) -> dict[str, Any]:
    return expected.expect_backward(case, axis=1)


#: Each graded function's reference side: ``expect(case)`` -> the expected values, as data.
EXPECT: dict[str, Callable[[Case], dict[str, Any]]] = {
    "batchnorm_forward": expect_batchnorm_forward,
    "batchnorm_backward_staged": expected.expect_staged,
    "batchnorm_backward": expect_batchnorm_backward,
    "layernorm_forward": expect_layernorm_forward,
    "layernorm_backward": expect_layernorm_backward,
    "bn_network": network.expect_network,
}

batchnorm_forward_spec = Spec(
    _card["batchnorm_forward"], cases.batchnorm_cases, EXPECT["batchnorm_forward"]
)
batchnorm_backward_staged_spec = Spec(
    _card["batchnorm_backward_staged"],
    cases.batchnorm_backward_cases,
    EXPECT["batchnorm_backward_staged"],
)
batchnorm_backward_spec = Spec(
    _card["batchnorm_backward"], cases.batchnorm_backward_cases, EXPECT["batchnorm_backward"]
)
layernorm_forward_spec = Spec(
    _card["layernorm_forward"], cases.layernorm_cases, EXPECT["layernorm_forward"]
)
layernorm_backward_spec = Spec(
    _card["layernorm_backward"], cases.layernorm_backward_cases, EXPECT["layernorm_backward"]
)
bn_network_spec = Spec(_card["bn_network"], cases.network_cases, EXPECT["bn_network"])

LESSON = Lesson(
    name="07_normalisation",
    title="Normalisation layers: batch norm and layer norm, forward and backward",
    specs=(
        batchnorm_forward_spec,
        batchnorm_backward_staged_spec,
        batchnorm_backward_spec,
        layernorm_forward_spec,
        layernorm_backward_spec,
        bn_network_spec,
    ),
    cells=(
        *tests_for(batchnorm_forward_spec, 2, 2),
        *tests_for(batchnorm_backward_staged_spec, 3, 2),
        GradedCell("derive_compact_dx", 4, "manual"),
        *tests_for(batchnorm_backward_spec, 2, 2),
        *tests_for(layernorm_forward_spec, 1, 1),
        *tests_for(layernorm_backward_spec, 2, 1),
        *tests_for(bn_network_spec, 2, 2),
    ),
)
