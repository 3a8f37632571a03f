"""All lessons and their specs, in course order."""

from __future__ import annotations

from backprop_ref.specs import (
    l01_jacobians,
    l02_gradient_checking,
    l03_linear_layer,
    l04_activations_losses,
    l05_backprop_network,
    l06_autodiff,
    l07_normalisation,
    l08_convolution,
)
from backprop_ref.specs.core import Spec
from backprop_ref.specs.lesson import Lesson

LESSONS: dict[str, Lesson] = {
    m.LESSON.name: m.LESSON
    for m in (
        l01_jacobians,
        l02_gradient_checking,
        l03_linear_layer,
        l04_activations_losses,
        l05_backprop_network,
        l06_autodiff,
        l07_normalisation,
        l08_convolution,
    )
}

SPECS: dict[str, Spec] = {s.name: s for lesson in LESSONS.values() for s in lesson.specs}


def lesson_of(spec_name: str) -> Lesson:
    """The lesson that grades the function ``spec_name``."""
    for lesson in LESSONS.values():
        if any(s.name == spec_name for s in lesson.specs):
            return lesson
    raise KeyError(f"no lesson grades a function called {spec_name!r}")
