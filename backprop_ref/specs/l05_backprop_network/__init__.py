"""Lesson 05_backprop_network: backpropagation through a whole network, and training it.

Graded functions (names and signatures fixed): ``mlp_forward(x, params) -> (scores, cache)``,
``mlp_backward(dL_dscores, cache) -> grads`` and ``sgd_step(params, grads, lr)`` (in place);
and one derived result, ``cache_size(sizes, N)``: how many numbers the student's own
``mlp_forward`` caches besides the weights and biases.

The cache has the lesson's layout (a dict of lists: ``x``, the input x^k of each affine
layer; ``z``, the pre-activation z^k of each hidden layer; ``W``, the weights; students may
add keys). Each function is judged on its own: ``mlp_backward`` gets the reference forward
pass's cache, never the student's, so a wrong ``mlp_forward`` costs only its own points;
``cache_size`` is judged against what the student's ``mlp_forward`` actually caches (each
array once, the parameters left out), or against the lesson's design (x^k and z^k) when
that cache is not one ``mlp_backward`` could read.

Each spec is the card (``backprop_kit.specs.l05_backprop_network``: the call and the
judge), the cases (:mod:`.cases`) and the expected data (:mod:`.expected`).
"""

from __future__ import annotations

from backprop_kit.specs.l05_backprop_network import CARDS
from backprop_ref.specs.core import Spec
from backprop_ref.specs.l05_backprop_network import cases, expected
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

_card = {card.name: card for card in CARDS}

cache_size_spec = Spec(_card["cache_size"], cases.size_cases, expected.cache_size)
mlp_forward_spec = Spec(_card["mlp_forward"], cases.network_cases, expected.forward)
mlp_backward_spec = Spec(_card["mlp_backward"], cases.backward_cases, expected.backward)
sgd_step_spec = Spec(_card["sgd_step"], cases.sgd_cases, expected.sgd)

LESSON = Lesson(
    name="05_backprop_network",
    title="Backpropagation through a network",
    specs=(cache_size_spec, mlp_forward_spec, mlp_backward_spec, sgd_step_spec),
    cells=(
        GradedCell("derive_backward_order", 4, "manual"),
        *tests_for(mlp_forward_spec, 2, 2),
        *tests_for(cache_size_spec, 1, 1),
        *tests_for(mlp_backward_spec, 3, 3),
        *tests_for(sgd_step_spec, 1, 1),
    ),
)
