"""Gradient checking: the lesson 01-02 answers, and the course's checker re-exported.

* :func:`numerical_gradient`, :func:`rel_error`: graded exercises of lesson 02, the answer
  key (:mod:`backprop_ref.gradcheck.numerical`); :func:`directional_check`, the gate on
  its own;
* :func:`check_gradient` and :func:`diagnose`: the course's checker, which students get
  with the student kit (:mod:`backprop_kit.gradcheck`), re-exported here for convenience.
"""

from backprop_kit.gradcheck import (
    Diagnosis,
    Entry,
    GradCheckResult,
    check_gradient,
    diagnose,
)
from backprop_ref.gradcheck.numerical import (
    DirectionalResult,
    directional_check,
    numerical_gradient,
    rel_error,
)

__all__ = [
    "Diagnosis",
    "DirectionalResult",
    "Entry",
    "GradCheckResult",
    "check_gradient",
    "diagnose",
    "directional_check",
    "numerical_gradient",
    "rel_error",
]
