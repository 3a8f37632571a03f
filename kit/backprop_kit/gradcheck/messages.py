"""Validating the gradients handed to the checker, and putting its findings into words."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from backprop_kit._types import Array
from backprop_kit.gradcheck._differences import EPS
from backprop_kit.gradcheck.localise import MAX_DIRTY, Findings
from backprop_kit.gradcheck.objective import SINGLE
from backprop_kit.gradcheck.result import GradCheckResult, format_index

_MISSING = object()


def label(name: str) -> str:
    """How a gradient is named in messages: ``dW1`` for tensor ``W1``."""
    return f"d{name}"


def describe(value: Any) -> str:
    """A short description of a value's type (and shape), for messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def validate(
    tensors: Mapping[str, Array], grads: Any, single: bool
) -> tuple[dict[str, tuple[Array, float]], dict[str, str]]:
    """Split the gradients into usable ones (float64 copy, eps of their dtype) and problems.

    Problems are keyed by tensor name; the key ``""`` holds a problem with the structure
    of ``grads`` itself, after which nothing is checked.
    """
    names = ", ".join(tensors)
    if single and isinstance(grads, Mapping):
        return {}, {
            "": f"the point is one array, so grads must be one array; got {describe(grads)}"
        }
    if not single and not isinstance(grads, Mapping):
        return {}, {
            "": f"grads must map the point's names ({names}) to arrays; got {describe(grads)}"
        }
    raw = {SINGLE: grads} if single else {k: grads.get(k, _MISSING) for k in tensors}
    if not single and (extra := [str(k) for k in grads if k not in tensors]):
        return {}, {"": f"grads has {', '.join(extra)}, which the point ({names}) does not"}
    given: dict[str, tuple[Array, float]] = {}
    problems: dict[str, str] = {}
    for name, value in raw.items():
        usable = _usable(name, value, tensors[name].shape)
        if isinstance(usable, str):
            problems[name] = usable
        else:
            given[name] = usable
    return given, problems


def _usable(name: str, value: Any, shape: tuple[int, ...]) -> tuple[Array, float] | str:
    d = label(name)
    if value is _MISSING:
        return f"no gradient given for {name}"
    if value is None:
        return f"{d} is None: did you forget to return it?"
    arr = (
        np.asarray(value)
        if isinstance(value, np.ndarray | np.generic | list | tuple | float | int)
        else None
    )
    if arr is None or arr.dtype.kind not in "biuf":
        return f"{d} should be an array of numbers of shape {shape}; got {describe(value)}"
    if arr.shape != shape:
        return f"{d} has shape {arr.shape} but {name} has shape {shape}{_shape_hint(arr, shape)}"
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = np.flatnonzero(~np.isfinite(arr))
        first = format_index(tuple(int(k) for k in np.unravel_index(bad[0], shape)))
        return f"{d} contains NaN or inf ({bad.size:,} of {arr.size:,} entries, first at {first})"
    eps = float(np.finfo(arr.dtype).eps) if arr.dtype.kind == "f" else 0.0
    return np.array(arr, dtype=np.float64, order="C"), (eps if eps > EPS else 0.0)


def _shape_hint(arr: Array, shape: tuple[int, ...]) -> str:
    if arr.ndim == 2 and arr.shape == shape[::-1]:
        return " (the shape of its transpose: check the order of the matrix product)"
    if arr.ndim == len(shape) + 1 and arr.shape[1:] == shape:
        return f": one per example ({arr.shape[0]}); did you forget to sum over the batch?"
    if arr.size == math.prod(shape):
        return " (the same number of entries, arranged differently)"
    return ""


def summarise(
    found: Mapping[str, Findings],
    problems: Mapping[str, str],
    tensors: Mapping[str, Array],
    evaluations: int,
    branch_evaluations: int,
) -> GradCheckResult:
    """The :class:`GradCheckResult` for what was found, tensor by tensor."""
    lines = [problems[""]] if "" in problems else []
    for name in tensors:
        if name in problems:
            lines.append(problems[name])
        elif name in found and (line := _failure(name, found[name], tensors[name].size)):
            lines.append(line)
    failed = [e for f in found.values() for e in f.failed]
    skipped = tuple(e for f in found.values() for e in f.skipped)
    passed = not lines
    return GradCheckResult(
        passed=passed,
        message="\n".join(lines) if lines else _success(list(found), skipped),
        max_rel_error=_max_error(found, problems),
        directional={k: found[k].ratio if k in found else math.inf for k in tensors},
        worst=tuple(sorted(failed, key=lambda e: -e.rel_error)[:5]),
        skipped=skipped,
        evaluations=evaluations,
        branch_evaluations=branch_evaluations,
        localised={k: f.method for k, f in found.items() if f.method != "gate"},
    )


def _failure(name: str, f: Findings, size: int) -> str | None:
    if not f.failed:
        return None
    n = len(f.failed)
    worst = max(f.failed, key=lambda e: e.rel_error)
    if f.method == "sample":  # many failing ranges: a random sample of their entries
        spread = "throughout" if 2 * n >= f.sampled else "in many places"
        head = f"errors {spread} ({n} of {f.sampled} sampled entries disagree)"
    elif f.method == "bisection":
        noun = "entry disagrees" if n == 1 else "entries disagree"
        extra = f"; at least {f.regions} regions disagree" if f.regions > MAX_DIRTY else ""
        extra += "; search stopped early" if f.stopped else ""
        head = f"{n} {noun} (found by bisection among {size:,}{extra})"
    else:
        head = f"{n:,} of {size:,} entries disagree" if size > 1 else "its one entry disagrees"
    where = f"worst at {worst.where()}: " if worst.index else ""  # a scalar has no index
    return f"{label(name)}: {head}; {where}{worst.describe()}"


def _success(names: list[str], skipped: tuple[Any, ...]) -> str:
    message = f"gradients agree with finite differences ({', '.join(map(label, names))})"
    if skipped:
        where = sorted({e.tensor for e in skipped})
        s = "entry" if len(skipped) == 1 else "entries"
        message += f"; {len(skipped)} {s} of {', '.join(map(label, where))} skipped at kinks"
    return message


def _max_error(found: Mapping[str, Findings], problems: Mapping[str, str]) -> float:
    if any(k for k in problems):  # an invalid gradient (shape, NaN, missing)
        return math.inf
    checked = [f.worst_error for f in found.values() if f.worst_error >= 0]
    if checked:
        return max(checked)
    gaps = [f.rel_gap for f in found.values()]
    return max(gaps) if gaps else math.nan
