"""Lesson 02_gradient_checking: finite differences done right.

Graded functions (names and signatures fixed): ``rel_error(a, b)`` (the floored relative
error, exactly :func:`backprop_ref.gradcheck.rel_error` with its default floor),
``numerical_gradient(f, x, h=1e-5)`` (central differences, any shape, ``x`` unchanged),
``gradient_check(f, grad_f, x)`` (``rel_error`` of ``grad_f(x)`` and the numerical
gradient); and one derived result: ``optimal_step(eps, f_abs, f3_abs)``, the step that
minimises the error model ``h^2/6 |f'''| + eps |f| / h`` of a central difference.

``gradient_check`` passes when it returns what its own call ``rel_error(grad_f(x),
numerical_gradient(f, x))`` gave it (the harness records the calls it makes to the
student's helpers), or else the reference's value: a bug in the helpers costs their
points, not these too, and the checks never call the student's ``rel_error`` themselves,
so one that looks at who calls it cannot vouch for ``gradient_check``.

Each spec is the card (``backprop_kit.specs.l02_gradient_checking``: the call and the
judge), the cases (:mod:`.cases`) and the expected data (:mod:`.expected`).
"""

from __future__ import annotations

from backprop_kit.specs.l02_gradient_checking import CARDS
from backprop_ref.specs.core import Spec
from backprop_ref.specs.l02_gradient_checking import cases, expected
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

_card = {card.name: card for card in CARDS}

rel_error_spec = Spec(_card["rel_error"], cases.rel_cases, expected.rel)
numerical_gradient_spec = Spec(_card["numerical_gradient"], cases.ng_cases, expected.ng)
gradient_check_spec = Spec(_card["gradient_check"], cases.gc_cases, expected.gc)
optimal_step_spec = Spec(_card["optimal_step"], cases.step_cases, expected.step)

LESSON = Lesson(
    name="02_gradient_checking",
    title="Gradient checking: finite differences done right",
    specs=(numerical_gradient_spec, optimal_step_spec, rel_error_spec, gradient_check_spec),
    cells=(
        *tests_for(numerical_gradient_spec, 3, 2),
        GradedCell("derive_step_size", 3, "manual"),
        *tests_for(optimal_step_spec, 1, 1),
        *tests_for(rel_error_spec, 2, 1),
        *tests_for(gradient_check_spec, 1, 1),
    ),
)
