"""Calling a student's functions on plain data, and bringing back plain data.

This module is the untrusted half of every check. It imports only numpy and the standard
library, so the grader can copy this one file into the verification sandbox, where the
rest of ``backprop_ref`` (the reference solutions) is not importable. The same code runs
in the student's kernel for the notebooks' tests, so both agree on what was called and
what came back.

A case is data: named inputs (arrays, numbers, strings, nested lists and dicts of them,
and :class:`Probe` references to the small test functions below), a list of
:class:`Step` calls, and the names to return. ``run_case`` performs the calls and returns
an :class:`Outcome` whose ``values`` are plain data: base-class ndarrays, Python numbers,
strings, lists and dicts; never a student's object.
"""

from __future__ import annotations

import copy
import io
import json
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# ----------------------------------------------------------------------------- probes


def _poly(x: Any) -> Any:
    return np.sum(x**3) / 3 + np.sum(np.sin(2 * x))


def _poly_grad(x: Any) -> Any:
    return x**2 + 2 * np.cos(2 * x)


def _logsumexp(x: Any) -> Any:
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def _logsumexp_grad(x: Any) -> Any:
    e = np.exp(x - np.max(x))
    return e / e.sum()


def _softplus_sum(x: Any) -> Any:
    return np.sum(np.logaddexp(0, x) * np.arange(1, x.size + 1).reshape(x.shape))


def _softplus_sum_grad(x: Any) -> Any:
    return np.exp(-np.logaddexp(0, -x)) * np.arange(1, x.size + 1).reshape(x.shape)


def _poly_grad_one_wrong(x: Any) -> Any:
    """The gradient of ``_poly`` with one entry (the middle one, in C order) wrong: a bug
    that a mean over entries, or a norm over the whole array, would water down."""
    g = np.array(_poly_grad(x), dtype=float)
    flat = g.reshape(-1)
    k = flat.size // 2
    flat[k] += 0.5 * (1.0 + abs(flat[k]))
    return g


#: Scalar test functions f(x) -> float with their exact gradients (same shape as x).
SCALAR_PROBES: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "poly": (_poly, _poly_grad),
    "logsumexp": (_logsumexp, _logsumexp_grad),
    "softplus_sum": (_softplus_sum, _softplus_sum_grad),
    "poly_one_wrong": (_poly, _poly_grad_one_wrong),  # a gradient with a bug in one entry
}


def _vector_probe(name: str, A: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """Vector functions R^n -> R^m built from a matrix ``A`` of shape (m, n), with Jacobians."""
    if name == "tanh_affine":  # f(x) = tanh(A x)
        return (lambda x: np.tanh(A @ x), lambda x: (1 - np.tanh(A @ x) ** 2)[:, None] * A)
    if name == "sin_affine":  # f(x) = sin(A x) + x[0]

        def f(x: Any) -> Any:
            return np.sin(A @ x) + x[0]

        def jac(x: Any) -> Any:
            J = np.cos(A @ x)[:, None] * A
            J[:, 0] += 1
            return J

        return f, jac
    if name == "quadratic":  # f(x) = (A x) * (A x)
        return (lambda x: (A @ x) ** 2, lambda x: 2 * (A @ x)[:, None] * A)
    raise KeyError(f"unknown vector probe {name!r}")


@dataclass(frozen=True)
class Probe:
    """A reference to a test function, as data: ``kind`` picks the family.

    kinds: ``"f"`` / ``"grad"`` of a scalar probe (``name`` in SCALAR_PROBES; ``scale``
    multiplies the gradient, so a wrong gradient can be offered on purpose), and ``"vf"``
    / ``"vjac"`` of a vector probe built from the matrix ``A``.
    """

    kind: str
    name: str
    A: Any = None
    scale: float = 1.0

    def resolve(self) -> Callable[[Any], Any]:
        if self.kind in ("f", "grad"):
            f, g = SCALAR_PROBES[self.name]
            if self.kind == "f":
                return lambda x: float(f(np.asarray(x, dtype=float)))
            s = self.scale
            return lambda x: s * g(np.asarray(x, dtype=float))
        f, jac = _vector_probe(self.name, np.asarray(self.A, dtype=float))
        chosen = f if self.kind == "vf" else jac
        return lambda x: chosen(np.asarray(x, dtype=float))


# ------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Step:
    """One call: ``out = fn(*[inputs[a] for a in args])``; a tuple ``out`` unpacks."""

    fn: str
    args: tuple[str, ...]
    out: str | tuple[str, ...] | None = "result"


@dataclass
class Outcome:
    """What came back from running a case: plain data, or the error it raised."""

    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    mutated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


class NotPlainData(TypeError):
    """A function returned something that is not an array, number, string or container."""


def plain(value: Any, depth: int = 0) -> Any:
    """Convert a returned value to plain data (raising :class:`NotPlainData` otherwise)."""
    if depth > 8:
        raise NotPlainData("the returned value is nested too deeply")
    if value is None or isinstance(value, bool):
        return value
    # Base-class copies: a subclass could override comparisons (== that always agrees).
    if isinstance(value, str):
        return str.__getitem__(value, slice(None))
    if isinstance(value, np.generic) and isinstance(value, np.integer | np.floating | np.bool_):
        return value.item()
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise NotPlainData(f"an array of dtype {value.dtype} (expected numbers)")
        return np.array(value, copy=True, subok=False)
    if isinstance(value, tuple | list):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    raise NotPlainData(f"an object of type {type(value).__name__}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and bool(np.array_equal(a, b, equal_nan=True))
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _resolve(value: Any) -> Any:
    if isinstance(value, Probe):
        return value.resolve()
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def run_case(
    fns: Mapping[str, Callable[..., Any]],
    inputs: Mapping[str, Any],
    steps: tuple[Step, ...],
    returns: tuple[str, ...],
    may_modify: tuple[str, ...] = (),
) -> Outcome:
    """Run ``steps`` on private copies of ``inputs``; report values, errors and mutations."""
    env = {k: _resolve(copy.deepcopy(v)) for k, v in inputs.items()}
    originals = {k: copy.deepcopy(v) for k, v in inputs.items() if not isinstance(v, Probe)}
    outcome = Outcome()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            for step in steps:
                if step.fn not in fns:
                    raise NameError(f"name {step.fn!r} is not defined")
                result = fns[step.fn](*(env[a] for a in step.args))
                if isinstance(step.out, tuple):
                    if not isinstance(result, tuple | list) or len(result) != len(step.out):
                        raise TypeError(
                            f"{step.fn} must return {len(step.out)} values "
                            f"({', '.join(step.out)}); it returned {_describe(result)}"
                        )
                    env.update(zip(step.out, result, strict=True))
                elif step.out is not None:
                    env[step.out] = result
            outcome.values = {name: plain(env[name]) for name in returns}
        except (Exception, SystemExit) as exc:  # the student's error is data, never our crash
            outcome.error = f"{type(exc).__name__}: {exc}"
    outcome.seconds = time.perf_counter() - start
    outcome.warnings = [f"{w.category.__name__}: {w.message}" for w in caught][:5]
    outcome.mutated = [
        k
        for k, v in originals.items()
        if k not in may_modify and not _same(plain(v), _safe_plain(env.get(k)))
    ]
    return outcome


def _safe_plain(value: Any) -> Any:
    try:
        return plain(value)
    except NotPlainData:
        return object()


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} values"
    return f"a {type(value).__name__}"


# ------------------------------------------------------------------------ serialisation


def encode(obj: Any) -> tuple[str, dict[str, np.ndarray]]:
    """Plain data (with Probes) -> (JSON text, arrays for ``np.savez``); no pickle anywhere."""
    arrays: dict[str, np.ndarray] = {}

    def enc(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            key = f"a{len(arrays)}"
            arrays[key] = v
            return {"__array__": key}
        if isinstance(v, Probe):
            return {"__probe__": [v.kind, v.name, enc(v.A), v.scale]}
        if isinstance(v, Outcome):
            return {"__outcome__": enc(vars(v))}
        if isinstance(v, Step):
            return {"__step__": [v.fn, list(v.args), enc(v.out)]}
        if isinstance(v, dict):
            return {"__dict__": [[str(k), enc(x)] for k, x in v.items()]}
        if isinstance(v, tuple | list):
            return [enc(x) for x in v]
        if isinstance(v, np.generic):
            return v.item()
        return v

    return json.dumps(enc(obj), allow_nan=True), arrays


def decode(text: str, arrays: Mapping[str, np.ndarray]) -> Any:
    """Inverse of :func:`encode`."""

    def dec(v: Any) -> Any:
        if isinstance(v, list):
            return [dec(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "__array__" in v:
            return np.asarray(arrays[v["__array__"]])
        if "__probe__" in v:
            kind, name, A, scale = v["__probe__"]
            return Probe(kind, name, dec(A), scale)
        if "__outcome__" in v:
            return Outcome(**dec(v["__outcome__"]))
        if "__step__" in v:
            fn, args, out = v["__step__"]
            out = dec(out)
            return Step(fn, tuple(args), tuple(out) if isinstance(out, list) else out)
        return {k: dec(x) for k, x in v["__dict__"]}

    return dec(json.loads(text))


def roundtrip(obj: Any) -> Any:
    """``obj`` as :func:`loads` of :func:`dumps` gives it back (tuples become lists, NumPy
    scalars Python numbers, arrays fresh copies), without writing an archive."""
    text, arrays = encode(obj)
    return decode(text, {k: np.array(v, copy=True, subok=False) for k, v in arrays.items()})


def dumps(obj: Any) -> bytes:
    """Plain data -> one ``.npz`` byte string (the JSON rides along as a uint8 array)."""
    text, arrays = encode(obj)
    buf = io.BytesIO()
    arrays["__json__"] = np.frombuffer(text.encode(), dtype=np.uint8)
    np.savez(buf, allow_pickle=False, **arrays)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    """Inverse of :func:`dumps`; never unpickles (``allow_pickle=False``)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "__json__"}
        text = z["__json__"].tobytes().decode()
    return decode(text, arrays)
