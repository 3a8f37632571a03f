"""``diagnose``: compare a result with the expected one and name the likely mistake.

The checks run from the coarsest to the finest, and the first that applies names the
cause: nothing returned, not an array, an input modified, the wrong shape (and whether
the transpose or a sum over the batch would fit), NaN, then, for the right shape, a known
wrong derivation, a transpose, a constant factor (N, 1/N, 2, 1/2, -1), errors confined to
some rows or columns, a few wrong entries, or a general mismatch. Values are compared
with the floored relative error (the course's ``rel_error`` convention: entries below 1e-3
of the largest magnitude are compared on that scale).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from backprop_kit._types import Array, IntArray
from backprop_kit.gradcheck._differences import FLOOR, _worst_floored_error
from backprop_kit.gradcheck.result import format_index, format_pair


@dataclass(frozen=True)
class Diagnosis:
    """``ok``: the result is right; ``cause``: a code (see :func:`diagnose`); ``message``."""

    ok: bool
    cause: str
    message: str


def diagnose(
    candidate: Any,
    truth: ArrayLike,
    *,
    name: str = "the result",
    batch_size: int | None = None,
    mistakes: Mapping[str, ArrayLike] | None = None,
    tol: float = 1e-5,
    inputs: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
) -> Diagnosis:
    """Name the likely mistake in ``candidate``, in words.

    Parameters
    ----------
    candidate : what the student's function returned
    truth : array_like, the expected value
    name : how messages call the result (``"dL_dW"``); every message starts with it
    batch_size : N, to recognise a factor N or 1/N as the batch average
    mistakes : description -> wrong array, for known wrong derivations; a match (within
        ``tol``) is named, e.g. ``"dL_dx matches the gradient without the ReLU mask, ..."``
    tol : tolerance on the floored relative error
    inputs : name -> (before, after) for the function's inputs, to catch in-place changes

    Returns
    -------
    Diagnosis
        ``cause`` is one of ``"ok"``, ``"none"``, ``"not_array"``, ``"mutated"``,
        ``"shape"``, ``"nan"``, ``"mistake"``, ``"transposed"``, ``"factor"``, ``"rows"``,
        ``"columns"``, ``"entries"``, ``"mismatch"``.
    """
    t = np.asarray(truth, dtype=np.float64)
    arr = _returned(candidate, t, name, _mutated(inputs or {}))
    if isinstance(arr, Diagnosis):
        return arr
    known = _known(arr, mistakes or {}, tol)
    if arr.shape != t.shape:
        if known is not None:
            return Diagnosis(False, "mistake", f"{name} matches {known}, not the expected result.")
        return _wrong_shape(arr, t, name, tol, batch_size)
    if not np.isfinite(arr).all():
        return Diagnosis(False, "nan", _nan(arr, name))
    err = _worst_floored_error(arr, t, floor=FLOOR)
    if err <= tol:
        return Diagnosis(True, "ok", f"{name} matches (max relative error {err:.1g}).")
    if known is not None:
        return Diagnosis(False, "mistake", f"{name} matches {known}, not the expected result.")
    for rule in (_transposed, _factor, _lines, _entries):
        found = rule(arr, t, name, tol, batch_size)
        if found is not None:
            return found
    return Diagnosis(False, "mismatch", _mismatch(arr, t, name))


# ------------------------------------------------------------------- before values


def _returned(candidate: Any, t: Array, name: str, moved: str) -> Diagnosis | Array:
    """Nothing returned, not an array, an input modified in place; or the float64 array."""
    arr = _as_array(candidate)
    if candidate is None:
        also = f" (and it modified its input {moved} in place)" if moved else ""
        return Diagnosis(False, "none", f"{name} is None: did you forget to return?{also}")
    if arr is None:
        return Diagnosis(False, "not_array", _not_array(candidate, t, name))
    if moved:
        first = moved.split(", ")[0]
        words = f"{name}: your function modified its input {moved} in place; work on a copy"
        return Diagnosis(
            False, "mutated", f"{words} ({first} = {first}.copy()) or build new arrays."
        )
    return arr


def _as_array(candidate: Any) -> Array | None:
    if isinstance(candidate, np.ndarray | np.generic | int | float):
        arr = np.asarray(candidate)
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float64)
    return None


def _not_array(candidate: Any, t: Array, name: str) -> str:
    want = f"an array of shape {t.shape}"
    if isinstance(candidate, tuple | list):
        hint = ": return one array" + (" (np.array(...) turns a list into one)" if t.ndim else "")
        return (
            f"{name} is a {type(candidate).__name__} of {len(candidate)} values, not {want}{hint}."
        )
    return f"{name} should be {want}; got a {type(candidate).__name__}."


def _mutated(inputs: Mapping[str, tuple[ArrayLike, ArrayLike]]) -> str:
    changed = []
    for key, (before, after) in inputs.items():
        a, b = np.asarray(before), np.asarray(after)
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"):
            changed.append(key)
    return ", ".join(changed)


def _known(arr: Array, mistakes: Mapping[str, ArrayLike], tol: float) -> str | None:
    for description, wrong in mistakes.items():
        w = np.asarray(wrong)
        if (
            w.shape == arr.shape
            and w.dtype.kind in "biuf"
            and _worst_floored_error(arr, w, floor=FLOOR) <= tol
        ):
            return description
    return None


def _wrong_shape(arr: Array, t: Array, name: str, tol: float, n: int | None) -> Diagnosis:
    head = f"{name} has shape {arr.shape}, expected {t.shape}"
    product = "check the order of the matrix product"
    if arr.ndim == 2 and arr.shape == t.shape[::-1]:
        if _worst_floored_error(arr.T, t, floor=FLOOR) <= tol:
            words = f"{name} is the transpose of the expected value (shape {arr.shape}, "
            return Diagnosis(False, "transposed", f"{words}expected {t.shape}): {product}.")
        return Diagnosis(False, "shape", f"{head}: its transpose would fit, but its values "
                         f"are wrong too; {product}.")  # fmt: skip
    if arr.size == t.size:
        tail = ": an axis of length 1 too many or too few (keepdims?), or the entries arranged"
        return Diagnosis(False, "shape", f"{head}{tail} differently.")
    if arr.ndim == t.ndim + 1 and arr.shape[1:] == t.shape:
        rows = "one row per example" if n is None or arr.shape[0] == n else "an extra first axis"
        fits = (
            " (summed over axis 0 it would be right)"
            if _worst_floored_error(arr.sum(0), t, floor=FLOOR) <= tol
            else ""
        )
        tail = f", {rows}: did you forget to sum over the batch?{fits}"
        return Diagnosis(False, "shape", head + tail)
    if arr.ndim == 0:
        tail = ", not one number: did you sum over every axis instead of one (sum(axis=0))?"
        return Diagnosis(False, "shape", head + tail)
    return Diagnosis(False, "shape", f"{head}.")


def _nan(arr: Array, name: str) -> str:
    bad = np.flatnonzero(~np.isfinite(arr))
    first = format_index(tuple(int(k) for k in np.unravel_index(bad[0], arr.shape)))
    return (
        f"{name} contains NaN or inf ({bad.size} of {arr.size} entries, first at {first}): "
        "look for log(0), a division by zero, or exp of a large number."
    )


# -------------------------------------------------------------------- value rules


def _transposed(arr: Array, t: Array, name: str, tol: float, n: int | None) -> Diagnosis | None:
    if (
        arr.ndim == 2
        and arr.shape[0] == arr.shape[1]
        and _worst_floored_error(arr.T, t, floor=FLOOR) <= tol
    ):
        return Diagnosis(
            False,
            "transposed",
            f"{name} is the transpose of the expected value: "
            "check the order of the matrix product, or a stray .T.",
        )
    return None


def _factor(arr: Array, t: Array, name: str, tol: float, n: int | None) -> Diagnosis | None:
    tt = float(np.vdot(t, t))
    if tt == 0.0:
        return None
    c = float(np.vdot(arr, t)) / tt  # least-squares factor: arr ~ c t
    if _worst_floored_error(arr, c * t, floor=FLOOR) > tol or abs(c - 1) <= 10 * tol:
        return None
    if c == 0.0 or not np.any(arr):
        return Diagnosis(False, "factor", f"{name} is all zeros: was it computed and returned?")
    text, hint = _name_factor(c, n, tol)
    return Diagnosis(False, "factor", f"{name} is {text} x the correct value: {hint}")


def _name_factor(c: float, n: int | None, tol: float) -> tuple[str, str]:
    """How to write the factor ``c``, and what usually causes it."""
    mag, sign = abs(c), "-" if c < 0 else ""
    causes: list[tuple[float, str, str]] = []
    if n is not None and n > 1:
        causes += [
            (n, f"{n}", "did you forget to average over the batch?"),
            (1 / n, f"1/{n}", "did you divide by N twice?"),
        ]
    causes += [
        (2.0, "2", "did you count a term twice, or forget the 1/2?"),
        (0.5, "1/2", "is a factor 2 missing (as in the derivative of a square)?"),
        (1.0, "1", ""),
    ]
    for value, text, hint in causes:
        if abs(mag - value) <= 10 * tol * value:
            if sign:
                hint = "check the sign" + (f"; and {hint}" if hint else ".")
            return sign + text, hint
    return f"{c:.3g}", "a constant factor is off; check how the result is scaled."


def _errors(arr: Array, t: Array) -> Array:
    """Per-entry floored relative errors (the course's convention)."""
    scale = max(float(np.abs(arr).max(initial=0)), float(np.abs(t).max(initial=0)))
    return np.abs(arr - t) / np.maximum(np.maximum(np.abs(arr), np.abs(t)), FLOOR * scale)


def _lines(arr: Array, t: Array, name: str, tol: float, n: int | None) -> Diagnosis | None:
    if arr.ndim != 2:
        return None
    bad = _errors(arr, t) > tol
    for axis, word in ((1, "row"), (0, "column")):
        per_line = bad.sum(axis=axis)  # wrong entries in each row (axis=1) or column
        length = bad.shape[axis]
        lines = np.flatnonzero(per_line)
        confined = 0 < lines.size <= max(1, per_line.size // 2)  # at most half of them
        if confined and per_line[lines].min() >= max(2, length / 2):
            return Diagnosis(False, f"{word}s", _line_message(arr, t, name, word, lines, axis))
    return None


def _line_message(arr: Array, t: Array, name: str, word: str, lines: IntArray, axis: int) -> str:
    shown = ", ".join(str(int(k)) for k in lines[:6]) + (", ..." if lines.size > 6 else "")
    words = f"{word} {shown}" if lines.size == 1 else f"{word}s {shown}"
    taken = arr[lines] if axis == 1 else arr[:, lines]
    zeros = " (all zeros there)" if not np.any(taken) else ""
    total = arr.shape[1 - axis]
    return f"{name} is wrong only in {words} (of {total}){zeros}; {_worst(arr, t)}."


def _entries(arr: Array, t: Array, name: str, tol: float, n: int | None) -> Diagnosis | None:
    count = int((_errors(arr, t) > tol).sum())
    if count > min(5, max(1, arr.size // 4)):
        return None
    return Diagnosis(
        False, "entries", f"{name} is wrong in {count} of {arr.size} entries; {_worst(arr, t)}."
    )


def _worst(arr: Array, t: Array) -> str:
    k = int(np.argmax(_errors(arr, t)))
    where = format_index(tuple(int(i) for i in np.unravel_index(k, arr.shape)))
    yours, expected = format_pair(float(arr.flat[k]), float(t.flat[k]))
    return f"worst at {where}: yours {yours}, expected {expected}"


def _mismatch(arr: Array, t: Array, name: str) -> str:
    if not np.any(t):
        return f"{name} should be all zeros; {_worst(arr, t)}."
    err = _worst_floored_error(arr, t, floor=FLOOR)
    return f"{name} does not match: max relative error {err:.2g}, {_worst(arr, t)}."
