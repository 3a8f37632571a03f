"""``check_gradient``: is this gradient right, and if not, where is it wrong?

A staged check, fast when the gradient is right and specific when it is not:

1. every gradient must be a finite numeric array of its tensor's shape (else: failed,
   with a message; nothing is evaluated for that tensor);
2. a gate per tensor: a few random unit directions ``u``, ``<g, u>`` against
   ``(f(x + hu) - f(x - hu)) / 2h`` (a few dozen evaluations of f in all);
3. only for a tensor whose gate fails: entry by entry (small tensors) or by bisection
   (large ones), each entry against its central difference with a floored relative
   tolerance. The verdict comes from the entries; kink crossings are reported as skipped.

Everything is computed in float64 on private copies; the caller's arrays are never
written to, and the same seed gives the same result.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from backprop_kit._types import Array
from backprop_kit.gradcheck._differences import EPS
from backprop_kit.gradcheck.localise import Findings, TensorCheck
from backprop_kit.gradcheck.messages import summarise, validate
from backprop_kit.gradcheck.objective import SINGLE, Objective
from backprop_kit.gradcheck.result import GradCheckResult

#: Default tolerance on an entry's floored relative error (float64 gradients: a correct
#: one stays below ~5e-7 at h = 1e-5; a float32 one gets an extra allowance for rounding).
RTOL = 1e-5


def check_gradient(
    f: Callable[..., Any],
    at: Mapping[str, ArrayLike] | ArrayLike,
    grads: Mapping[str, ArrayLike] | ArrayLike,
    *,
    h: float = 1e-5,
    directions: int = 5,
    seed: int = 0,
    branches: Callable[..., ArrayLike] | None = None,
    rtol: float = RTOL,
    max_entries: int = 2048,
    budget: int = 4000,
) -> GradCheckResult:
    """Check gradients against central differences of the loss, tensor by tensor.

    Parameters
    ----------
    f : callable returning a number
        The scalar loss: ``f(x)`` when ``at`` is an array, ``f(**at)`` when it is a mapping.
        Called with float64 arrays; it must not modify them.
    at : ndarray, or mapping of names to ndarrays (e.g. ``{"W1": ..., "b1": ...}``)
        The point. Copied to float64; never modified.
    grads : ndarray, or mapping with the same names
        The gradients under test, of the shapes of ``at`` (any float dtype; a float32
        gradient is allowed its rounding error).
    h : step of the finite differences
    directions : random unit directions per tensor in the gate (0: no gate, every tensor is
        localised)
    seed : seeds the directions and samples (same seed, same result)
    branches : callable, optional
        Same calling convention as ``f``; returns an array of branch indicators (ReLU masks,
        argmax winners). A gate direction whose indicators differ between ``x + hu`` and
        ``x - hu`` crosses a kink and is redrawn. An entry whose central difference
        disagrees and crosses a kink is compared on the branch of ``x`` instead (a smaller
        step, or a one-sided difference): skipped (reported) when consistent, failed when
        not. Without ``branches``, the one-sided rule decides which disagreeing entries
        crossed a kink (see :mod:`backprop_kit.gradcheck.kinks`).
    rtol : tolerance on an entry's floored relative error
    max_entries : tensors up to this size are localised entry by entry, larger by bisection
    budget : evaluations allowed for the bisection of one tensor

    Returns
    -------
    GradCheckResult
        ``passed``, a ``message`` a student can act on, and the figures behind it. Invalid
        gradients (wrong shape, NaN, missing) fail with a message; nothing is raised.

    Raises
    ------
    ValueError
        If ``h`` is not positive. An exception raised by ``f`` itself propagates (the
        caller's arrays are untouched).
    """
    if not h > 0:
        raise ValueError(f"h must be positive, got {h}")
    single = not isinstance(at, Mapping)
    tensors = _private_point(at)
    given, problems = validate(tensors, grads, single)
    if "" in problems:  # grads of the wrong structure: nothing to check
        return summarise({}, problems, tensors, 0, 0)
    obj = Objective(f, tensors, single, branches, h)

    def moved() -> list[str]:
        return [k for k, v in _private_point(at).items() if not _same(v, tensors[k])]

    settings = Settings(directions, seed, rtol, max_entries, budget)
    return staged(obj, tensors, given, problems, settings, moved)


@dataclass(frozen=True)
class Settings:
    """How hard to look: the gate's directions, the seed, the tolerance, localisation."""

    directions: int = 5
    seed: int = 0
    rtol: float = RTOL
    max_entries: int = 2048
    budget: int = 4000


def staged(
    obj: Objective,
    tensors: Mapping[str, Array],
    given: Mapping[str, tuple[Array, float]],
    problems: dict[str, str],
    settings: Settings,
    moved: Callable[[], list[str]] | None = None,
) -> GradCheckResult:
    """The gate and localisation for every usable gradient, then the result in words.

    ``obj`` answers the finite differences (the loss itself, or a recording of it);
    ``moved`` (optional) names the point's tensors the loss modified during the check."""
    if not math.isfinite(obj.loss):
        problems[""] = f"the loss is {obj.loss} at the given point: nothing can be checked there"
        return summarise({}, problems, tensors, obj.evaluations, 0)
    s = settings
    found = {
        name: _check_tensor(
            obj, name, g, eps_g, s.seed, s.directions, s.rtol, s.max_entries, s.budget
        )
        for name, (g, eps_g) in given.items()
    }
    changed = moved() if moved is not None else []
    if changed:
        problems[""] = (
            f"f modified its argument(s) {', '.join(changed)} during the check: "
            "the finite differences cannot be trusted; make f work on copies"
        )
    result = summarise(found, problems, tensors, obj.evaluations, obj.branch_evaluations)
    if obj.eps > EPS:  # f computes in float32: its differences are coarse, say so
        note = "; note: f returns float32, so its finite differences are coarse (return float64)"
        result = replace(result, message=result.message + note)
    return result


def _check_tensor(
    obj: Objective,
    name: str,
    g: Array,
    eps_g: float,
    seed: int,
    directions: int,
    rtol: float,
    max_entries: int,
    budget: int,
) -> Findings:
    """The gate for one tensor, then, if it fails, entry by entry or bisection."""
    check = TensorCheck(obj, name, g, eps_g, _rng(seed, name), obj.step, rtol)
    if not check.gate(directions):
        if g.size <= max_entries:
            check.every_entry()
        else:
            check.bisect(budget)
    return check.found


def _same(a: Array, b: Array) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def _private_point(at: Mapping[str, ArrayLike] | ArrayLike) -> dict[str, Array]:
    """Private float64, C-contiguous copies of the point's tensors."""
    if isinstance(at, Mapping):
        return {str(k): np.array(v, dtype=np.float64, order="C") for k, v in at.items()}
    return {SINGLE: np.array(at, dtype=np.float64, order="C")}


def _rng(seed: int, name: str) -> np.random.Generator:
    """A generator per tensor: the result does not depend on the order of the names."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])
