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
student's, so every function is judged on its own. The spec is split as the kit protocol
wants it: ``cases`` (inputs), ``expected``/``network`` (reference outputs, named wrong
derivations, precomputed finite-difference slopes) and ``judges`` (comparison only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from backprop_kit.harness import Outcome
from backprop_ref.specs.core import Case, Finding, Spec
from backprop_ref.specs.l07_normalisation import cases, expected, judges, network
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

Judge = Callable[[Case, Outcome], Iterable[Finding]]


def _judge(
    expect: Callable[[Case], dict[str, Any]], judge: Callable[..., Any], *args: Any
) -> Judge:
    """The judge of the current protocol: the expected values first, then the comparison."""

    def run(case: Case, outcome: Outcome) -> Iterable[Finding]:
        return judge(case, expect(case), outcome, *args)  # type: ignore[no-any-return]

    return run


def expect_batchnorm_forward(case: Case) -> dict[str, Any]:
    return expected.expect_forward(case, axis=0)


def expect_layernorm_forward(case: Case) -> dict[str, Any]:
    return expected.expect_forward(case, axis=1)


def expect_batchnorm_backward(case: Case) -> dict[str, Any]:
    return expected.expect_backward(case, axis=0)


def expect_layernorm_backward(case: Case) -> dict[str, Any]:
    return expected.expect_backward(case, axis=1)


batchnorm_forward_spec = Spec.legacy_call(
    "batchnorm_forward(x, gamma, beta, eps)",
    cases.batchnorm_cases,
    _judge(expect_batchnorm_forward, judges.judge_forward, "batchnorm_forward"),
)
batchnorm_backward_staged_spec = Spec.legacy_call(
    "batchnorm_backward_staged(dL_dy, cache)",
    cases.batchnorm_backward_cases,
    _judge(expected.expect_staged, judges.judge_staged),
)
batchnorm_backward_spec = Spec.legacy_call(
    "batchnorm_backward(dL_dy, cache)",
    cases.batchnorm_backward_cases,
    _judge(expect_batchnorm_backward, judges.judge_backward, "batchnorm_backward"),
)
layernorm_forward_spec = Spec.legacy_call(
    "layernorm_forward(x, gamma, beta, eps)",
    cases.layernorm_cases,
    _judge(expect_layernorm_forward, judges.judge_forward, "layernorm_forward"),
)
layernorm_backward_spec = Spec.legacy_call(
    "layernorm_backward(dL_dy, cache)",
    cases.layernorm_backward_cases,
    _judge(expect_layernorm_backward, judges.judge_backward, "layernorm_backward"),
)
bn_network_spec = Spec.legacy_call(
    "bn_network(x, labels, params, eps)",
    cases.network_cases,
    _judge(network.expect_network, judges.judge_network),
)

#: Each graded function's reference side: ``expect(case)`` -> the expected values, as data.
EXPECT: dict[str, Callable[[Case], dict[str, Any]]] = {
    "batchnorm_forward": expect_batchnorm_forward,
    "batchnorm_backward_staged": expected.expect_staged,
    "batchnorm_backward": expect_batchnorm_backward,
    "layernorm_forward": expect_layernorm_forward,
    "layernorm_backward": expect_layernorm_backward,
    "bn_network": network.expect_network,
}

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
