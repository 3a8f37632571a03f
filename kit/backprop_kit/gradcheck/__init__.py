"""The course's gradient checker: is this gradient right, and if not, what went wrong?

* :func:`check_gradient`: a staged check of gradients against central differences of a
  loss (a directional gate, then entry by entry or bisection where it fails; kinks
  reported, not failed), returning a :class:`GradCheckResult` with a message in words;
* :func:`check_recorded`: the same check against a loss recorded by :func:`record` (the
  specs use it where the loss is built from a reference answer the kit does not hold);
* :func:`diagnose`: compares a result with the expected one and names the likely
  mistake (a transpose, a factor of N, a missing mask, a forgotten ``return``).

Pure numpy, float64 inside, no I/O; never modifies the caller's arrays. The lessons'
exercises (``numerical_gradient``, ``rel_error``, ...) are not here: students write them.
"""

from backprop_kit.gradcheck.check import check_gradient
from backprop_kit.gradcheck.diagnose import Diagnosis, diagnose
from backprop_kit.gradcheck.recorded import LossToRecord, check_recorded, record
from backprop_kit.gradcheck.result import Entry, GradCheckResult

__all__ = [
    "Diagnosis",
    "Entry",
    "GradCheckResult",
    "LossToRecord",
    "check_gradient",
    "check_recorded",
    "diagnose",
    "record",
]
