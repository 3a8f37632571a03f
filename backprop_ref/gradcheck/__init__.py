"""Gradient checking and diagnosis: is this gradient right, and if not, what went wrong?

* :func:`numerical_gradient`, :func:`rel_error`, :func:`directional_check`: the tools;
* :func:`check_gradient`: a staged check of gradients against central differences of the
  loss (a directional gate, then entry by entry or bisection where it fails; kinks
  reported, not failed), returning a :class:`GradCheckResult` with a message in words;
* :func:`diagnose`: compares a result with the expected one and names the likely
  mistake (a transpose, a factor of N, a missing mask, a forgotten ``return``).

Pure numpy, float64 inside, no I/O; never modifies the caller's arrays.
"""

from backprop_ref.gradcheck.check import check_gradient
from backprop_ref.gradcheck.diagnose import Diagnosis, diagnose
from backprop_ref.gradcheck.numerical import (
    DirectionalResult,
    directional_check,
    numerical_gradient,
    rel_error,
)
from backprop_ref.gradcheck.result import Entry, GradCheckResult

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
