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
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
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
    """One call: ``out = fn(*[inputs[a] for a in args])``; a tuple ``out`` unpacks.

    ``watch``: names of other functions that ``fn`` calls through its globals (the
    student's own helpers, e.g. ``rel_error`` inside ``gradient_check``). During the call
    each is replaced by a recorder, and ``out + "_calls"`` receives every call made: the
    function's name, its arguments (an input of the step by its name, ``{"input": "f"}``;
    otherwise plain data, or None) and what it returned. The judge then sees the graded
    function's own intermediate results, without calling the helpers itself.
    """

    fn: str
    args: tuple[str, ...]
    out: str | tuple[str, ...] | None = "result"
    watch: tuple[str, ...] = ()


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


def plain(value: Any, depth: int = 0, path: str = "") -> Any:
    """Convert a returned value to plain data (raising :class:`NotPlainData` otherwise;
    ``path`` says where inside the returned value, e.g. ``['W1']``)."""
    at = f" (at {path})" if path else ""
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
            raise NotPlainData(f"an array of dtype {value.dtype}{at} (expected numbers)")
        return np.array(value, copy=True, subok=False)
    if isinstance(value, tuple | list):
        return [plain(v, depth + 1, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1, f"{path}[{str(k)!r}]") for k, v in value.items()}
    raise NotPlainData(f"an object of type {type(value).__name__}{at}")


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
                given = [env[a] for a in step.args]
                with _watching(fns[step.fn], step, given) as calls:
                    result = fns[step.fn](*given)
                if step.watch:
                    env[f"{step.out}_calls"] = calls
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


_NOT_PLAIN: Any = object()  # _safe_plain's default: a value equal to nothing


@contextmanager
def _watching(fn: Any, step: Step, given: list[Any]) -> Iterator[list[dict[str, Any]]]:
    """Record the calls ``fn`` makes to the functions ``step.watch`` names (see Step)."""
    calls: list[dict[str, Any]] = []
    space = getattr(fn, "__globals__", None)
    names = [n for n in step.watch if isinstance(space, dict) and callable(space.get(n))]
    saved = {n: space[n] for n in names} if isinstance(space, dict) else {}

    def arg(value: Any) -> Any:
        for name, v in zip(step.args, given, strict=True):
            if value is v:
                return {"input": name}
        return _safe_plain(value, None)

    def recorder(name: str, inner: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            record: dict[str, Any] = {"fn": name, "args": [arg(a) for a in args]}
            record["kwargs"] = {str(k): arg(v) for k, v in kwargs.items()}
            calls.append(record)
            out = inner(*args, **kwargs)
            record["result"] = _safe_plain(out, None)
            return out

        return call

    try:
        for n in names:
            space[n] = recorder(n, saved[n])  # type: ignore[index]
        yield calls
    finally:
        for n in names:
            space[n] = saved[n]  # type: ignore[index]


def _safe_plain(value: Any, other: Any = _NOT_PLAIN) -> Any:
    try:
        return plain(value)
    except NotPlainData:
        return object() if other is _NOT_PLAIN else other


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} values"
    return f"a {type(value).__name__}"


# ------------------------------------------------------------------------ serialisation
#
# What comes back from a sandbox is untrusted: a student's code runs as the same user that
# writes it. Decoding accepts only numeric arrays (bool, int, uint, float; C order; at most
# MAX_NDIM dimensions) and plain JSON, and checks every size it is told (zip members, array
# headers, JSON text and nesting) against caps before it allocates anything.

MAX_BYTES = 64 * 1024 * 1024  # all the arrays and the JSON of one archive, decoded
MAX_ENTRIES = 4096  # members of one archive
MAX_ELEMENTS = 1 << 20  # entries of one array, counting a zero-length axis as one
MAX_NDIM = 8
MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32  # nesting of the decoded data
MAX_NODES = 1 << 20  # JSON values in one archive
MAX_TEXT = 4000  # characters of an error message or a warning that come back
MAX_KEY = 1000  # characters of a dictionary key (a named mistake's message is one)
_KINDS = "biuf"


class DecodeError(ValueError):
    """Data that is not what :func:`dumps` writes, or larger than the caps."""


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, at most ``limit`` characters, saying so when it was cut."""
    return text if len(text) <= limit else text[: max(limit - 8, 0)] + " ... cut"


def encode(obj: Any) -> tuple[str, dict[str, np.ndarray]]:
    """Plain data (with Probes) -> (JSON text, arrays for ``np.savez``); no pickle anywhere."""
    arrays: dict[str, np.ndarray] = {}

    def enc(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            key = f"a{len(arrays)}"
            arrays[key] = np.asarray(v, order="C")  # the decoder takes no other (0-d kept)
            return {"__array__": key}
        if isinstance(v, Probe):
            return {"__probe__": [v.kind, v.name, enc(v.A), v.scale]}
        if isinstance(v, Outcome):
            fields = vars(v).copy()
            fields["error"] = None if v.error is None else cut(str(v.error))
            fields["warnings"] = [cut(str(w), 500) for w in v.warnings[:5]]
            return {"__outcome__": enc(fields)}
        if isinstance(v, Step):
            return {"__step__": [v.fn, list(v.args), enc(v.out), list(v.watch)]}
        if isinstance(v, dict):
            return {"__dict__": [[str(k), enc(x)] for k, x in v.items()]}
        if isinstance(v, tuple | list):
            return [enc(x) for x in v]
        if isinstance(v, np.generic):
            return v.item()
        return v

    return json.dumps(enc(obj), allow_nan=True), arrays


def _outcome(fields: Any) -> Outcome:
    """An Outcome from decoded fields, each of the type it must have."""
    if not isinstance(fields, dict) or not set(fields) <= {
        "values",
        "error",
        "mutated",
        "warnings",
        "seconds",
    }:
        raise DecodeError("an outcome with unexpected fields")
    error = fields.get("error")
    seconds = fields.get("seconds", 0.0)
    values = fields.get("values", {})
    lists = [fields.get(k, []) for k in ("mutated", "warnings")]
    if not (
        isinstance(values, dict)
        and (error is None or isinstance(error, str))
        and type(seconds) in (int, float)
        and all(isinstance(x, list) and all(isinstance(t, str) for t in x) for x in lists)
    ):
        raise DecodeError("an outcome with fields of the wrong type")
    return Outcome(
        values=values,
        error=None if error is None else cut(error),
        mutated=[cut(t, 200) for t in lists[0][:100]],
        warnings=[cut(t, 500) for t in lists[1][:5]],
        seconds=float(seconds),
    )


def decode(text: str, arrays: Mapping[str, np.ndarray]) -> Any:
    """Inverse of :func:`encode`, for untrusted text: nesting, size, keys and types checked
    (:class:`DecodeError` otherwise)."""
    if len(text) > MAX_JSON_BYTES:
        raise DecodeError(f"the JSON is larger than {MAX_JSON_BYTES} bytes")
    try:
        data = json.loads(text)
    except RecursionError:
        raise DecodeError("the JSON is nested too deeply") from None
    nodes = 0

    def dec(v: Any, depth: int) -> Any:
        nonlocal nodes
        nodes += 1
        if depth > MAX_DEPTH or nodes > MAX_NODES:
            raise DecodeError("the data is nested too deeply or too large")
        if isinstance(v, list):
            return [dec(x, depth + 1) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) != 1:
            raise DecodeError("an object that encode() does not write")
        ((tag, body),) = v.items()
        if tag == "__array__":
            if not isinstance(body, str) or body not in arrays:
                raise DecodeError("a reference to a missing array")
            return np.asarray(arrays[body])
        if tag == "__probe__":
            kind, name, A, scale = body
            return Probe(str(kind), str(name), dec(A, depth + 1), float(scale))
        if tag == "__outcome__":
            return _outcome(dec(body, depth + 1))
        if tag == "__step__":
            fn, args, out, *watch = body
            out = dec(out, depth + 1)
            return Step(
                str(fn),
                tuple(map(str, args)),
                tuple(out) if isinstance(out, list) else out,
                tuple(map(str, watch[0])) if watch else (),
            )
        if tag == "__dict__" and isinstance(body, list):
            pairs = [(k, dec(x, depth + 1)) for k, x in body]
            if not all(isinstance(k, str) and len(k) <= MAX_KEY for k, _ in pairs):
                raise DecodeError("a dictionary key that is not a short string")
            return dict(pairs)
        raise DecodeError("an object that encode() does not write")

    try:
        return dec(data, 0)
    except (TypeError, ValueError, KeyError) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise DecodeError(f"malformed data ({type(exc).__name__})") from None


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


def _read_member(
    z: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, max_entries: int
) -> np.ndarray:
    """One ``.npy`` member, its header checked before its data is allocated."""
    with z.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise DecodeError(f"{info.filename}: .npy version {version}")
        if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise DecodeError(f"{info.filename}: dtype {dtype} (only numbers come back)")
        if fortran or len(shape) > MAX_NDIM:
            raise DecodeError(f"{info.filename}: a Fortran-order or {len(shape)}-d array")
        entries = 1
        for n in shape:
            entries *= max(int(n), 1)
            if entries > max_entries:
                raise DecodeError(f"{info.filename}: more than {max_entries} entries")
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes > budget or nbytes > info.file_size - f.tell():
            raise DecodeError(f"{info.filename}: {nbytes} bytes claimed, fewer there")
        data = f.read(nbytes)
    if len(data) != nbytes:
        raise DecodeError(f"{info.filename}: the data is cut short")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def loads(data: bytes, max_bytes: int = MAX_BYTES) -> Any:
    """Inverse of :func:`dumps` for untrusted bytes: no pickle, only numeric C-order arrays,
    and no allocation past ``max_bytes`` whatever the archive claims (:class:`DecodeError`)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DecodeError(f"not an archive ({exc})") from None
    with z:
        members = z.infolist()
        names = [i.filename for i in members]
        if len(members) > MAX_ENTRIES or len(set(names)) != len(names):
            raise DecodeError(f"{len(members)} members, or repeated names")
        if sum(i.file_size for i in members) > max_bytes:
            raise DecodeError(f"the results are larger than {max_bytes} bytes")
        arrays: dict[str, np.ndarray] = {}
        budget = max_bytes
        for info in members:
            key = info.filename.removesuffix(".npy")
            if not info.filename.endswith(".npy") or info.compress_type not in (
                zipfile.ZIP_STORED,
                zipfile.ZIP_DEFLATED,
            ):
                raise DecodeError(f"an unexpected member {info.filename[:60]!r}")
            try:
                cap = MAX_JSON_BYTES if key == "__json__" else MAX_ELEMENTS
                arrays[key] = _read_member(z, info, budget, cap)
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
                if isinstance(exc, DecodeError):
                    raise
                raise DecodeError(f"{info.filename[:60]}: {str(exc)[:200]}") from None
            budget -= arrays[key].nbytes
    text = arrays.pop("__json__", None)
    if text is None or text.dtype != np.uint8 or text.ndim != 1:
        raise DecodeError("no JSON part")
    try:
        return decode(text.tobytes().decode("utf-8"), arrays)
    except UnicodeDecodeError:
        raise DecodeError("the JSON part is not UTF-8") from None
