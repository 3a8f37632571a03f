"""Lesson 07_normalisation's cards: how each graded function is called and judged.

Graded functions (names and signatures fixed): ``batchnorm_forward(x, gamma, beta, eps)``
and ``layernorm_forward`` (``(y, cache)``, the cache a dict with the keys ``x, gamma, eps,
mu, xc, var, std, xhat``), ``batchnorm_backward_staged(dL_dy, cache)`` (the gradient of
every node), ``batchnorm_backward(dL_dy, cache)`` and ``layernorm_backward`` (``(dL_dx,
dL_dgamma, dL_dbeta)``), and ``bn_network(x, labels, params, eps)`` (``(L, grads)``).

The judges compare only; each yields one finding per stage: ``returns``, ``shapes``,
``values`` (named wrong derivations first), ``finite differences`` (the gradient's
directional slopes against precomputed ones). What they compare with comes from the
reference, per case (``backprop_ref.specs.l07_normalisation.expected`` and ``.network``):

- forward: ``y``, ``cache`` (the reference's), ``mistakes`` (by key: ``y`` and the cache's
  statistics), ``line`` (``"column"``: batch norm, ``"row"``: layer norm),
  ``other_stats_shape`` (the shape of the other normalisation's statistics);
- backward (staged or compact): ``grads`` (by variable), ``mistakes`` (by variable), ``fd``
  (unit directions per variable, the slope of L = sum(dL_dy * y) along each, tolerances);
- network: ``L``, ``L_mistakes``, ``grads``, ``mistakes``, ``zero_tolerance`` (gradients
  that are zero up to rounding, judged absolutely) and ``fd``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from backprop_kit.cards import Card, Judge
from backprop_kit.gradcheck import diagnose
from backprop_kit.harness import Outcome
from backprop_kit.judging import expect_shape, expect_values, unpack
from backprop_kit.verdicts import Case, Finding, Stop

#: What a cache statistic of the other normalisation's shape is, by the axis of this one.
STATS_SHAPE = {
    0: "one entry per example (row), the statistics of layer norm; batch norm takes one "
    "mean and one variance per feature, over the batch (axis=0)",
    1: "one entry per feature (column), the statistics of batch norm; layer norm takes one "
    "mean and one variance per example, over its features (axis=1, keepdims=True)",
}

CACHE_KEYS = ("x", "gamma", "eps", "mu", "xc", "var", "std", "xhat")
STAGED_ORDER = ("beta", "gamma", "xhat", "std", "var", "xc", "mu", "x")
NETWORK_ORDER = ("W2", "b2", "gamma", "beta", "W1", "b1")  # the order backward finds them


def _stop(stage: str, message: str) -> Stop:
    return Stop(Finding(stage, False, message))


def _keys(value: Any, keys: Sequence[str], what: str) -> dict[str, Any]:
    """The ``returns`` stage of a dict: every key present."""
    if not isinstance(value, dict):
        got = "None" if value is None else type(value).__name__
        raise _stop("returns", f"{what} must be a dict with the keys {', '.join(keys)}; got {got}.")
    missing = [k for k in keys if k not in value]
    if missing:
        raise _stop(
            "returns",
            f"{what} is missing the key(s) {', '.join(missing)}: it needs exactly "
            f"{', '.join(keys)}.",
        )
    return value


def _per_feature_shape(value: Any, truth: Any, name: str, N: int, variable: str) -> Finding:
    """The shape of a per-feature gradient (D,), with the usual wrong shapes named."""
    truth = np.asarray(truth)
    D = truth.shape[0]
    if isinstance(value, np.ndarray) and value.shape != truth.shape:
        if value.shape == (1, D):
            raise _stop(
                "shapes",
                f"{name} has shape (1, {D}); a gradient has the shape of its variable, and "
                f"{variable} has shape ({D},): sum over the batch without keepdims.",
            )
        if value.shape == (N,) and N != D:
            raise _stop(
                "shapes",
                f"{name} has shape ({N},), one entry per example: you summed over the "
                f"features (axis=1). {variable} has one entry per feature, shape ({D},): sum "
                "over the batch, axis=0.",
            )
    return expect_shape(value, truth, name)


def _finite(value: Any, name: str, note: str) -> None:
    """A NaN or inf result, with what usually causes it in a normalisation."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.isfinite(value).all():
        hint = (
            " In a normalisation that is a division by a zero standard deviation (a constant "
            "line has variance 0: add eps inside the square root), or the square root of a "
            "negative variance (mean(x**2) - mean(x)**2 can come out negative at large "
            "offsets: use mean((x - mu)**2))."
        )
        raise _stop("values", diagnose(value, np.zeros(value.shape), name=name).message + hint)


def expect_slopes(grads: Mapping[str, Any], fd: Mapping[str, Any], loss: str) -> Finding:
    """The ``finite differences`` stage: ``<g, u>`` against the precomputed slope of the
    loss along each direction ``u``."""
    for name, directions in fd["directions"].items():
        g = np.asarray(grads[name], dtype=np.float64)
        for u, slope, tol in zip(
            directions, fd["slopes"][name], fd["tolerances"][name], strict=True
        ):
            yours = float(np.vdot(g, u))
            if not abs(yours - slope) <= tol:
                raise _stop(
                    "finite differences",
                    f"along a random unit direction u of {name}, the loss {loss} changes at "
                    f"the rate {slope:.6g} (central differences), while your dL/d{name} "
                    f"predicts <dL/d{name}, u> = {yours:.6g}.",
                )
    return Finding("finite differences", True)


# --------------------------------------------------------------------------- forward


def _judge_forward(
    case: Case, expected: Mapping[str, Any], outcome: Outcome, fn: str
) -> Iterator[Finding]:
    y, cache = unpack(outcome.values["result"], ("y", "cache"), fn)
    cache = _keys(cache, CACHE_KEYS, f"the cache returned by {fn}")
    yield Finding("returns", True)
    want, ref = expected["y"], expected["cache"]
    axis = 0 if expected["line"] == "column" else 1
    yield expect_shape(y, want, "y")
    for key in ("mu", "xc", "var", "std", "xhat"):
        value = cache[key]
        other = expected["other_stats_shape"]
        if (
            key in ("mu", "var", "std")
            and isinstance(value, np.ndarray)
            and list(value.shape) == list(other)
        ):
            raise _stop("shapes", f"cache['{key}'] has shape {value.shape}: {STATS_SHAPE[axis]}.")
        if isinstance(value, np.ndarray) and value.size == ref[key].size:
            if value.shape != ref[key].shape:
                layout = (
                    f"({ref[key].shape[0]},), one entry per feature, without keepdims"
                    if axis == 0
                    else f"{ref[key].shape}, a column with one entry per row (keepdims=True)"
                )
                raise _stop(
                    "shapes",
                    f"cache['{key}'] has shape {value.shape}; the lesson's cache keeps it as "
                    f"{layout}. The backward tests hand your backward a cache of exactly this "
                    "layout.",
                )
        yield expect_shape(value, ref[key], f"cache['{key}']")
    _finite(y, "y", case.note)
    yield expect_values(y, want, "y", mistakes=expected["mistakes"]["y"])
    for key in ("mu", "xc", "var", "std", "xhat"):
        mistakes = expected["mistakes"].get(key, {})
        yield expect_values(cache[key], ref[key], f"cache['{key}']", mistakes=mistakes)
    for key in ("x", "gamma"):
        if not (isinstance(cache[key], np.ndarray) and np.array_equal(cache[key], ref[key])):
            raise _stop("values", f"cache['{key}'] must be the input {key} itself.")
    if not isinstance(cache["eps"], int | float) or cache["eps"] != ref["eps"]:
        raise _stop("values", f"cache['eps'] must be the eps passed in, {ref['eps']!r}.")
    yield Finding("values", True)


# -------------------------------------------------------------------------- backward


def _judge_backward(
    case: Case, expected: Mapping[str, Any], outcome: Outcome, fn: str
) -> Iterator[Finding]:
    names = ("dL_dx", "dL_dgamma", "dL_dbeta")
    dx, dgamma, dbeta = unpack(outcome.values["result"], names, fn)
    yield Finding("returns", True)
    want = expected["grads"]
    N = want["x"].shape[0]
    yield expect_shape(dx, want["x"], "dL_dx")
    yield _per_feature_shape(dgamma, want["gamma"], "dL_dgamma", N, "gamma")
    yield _per_feature_shape(dbeta, want["beta"], "dL_dbeta", N, "beta")
    got = {"x": dx, "gamma": dgamma, "beta": dbeta}
    for key, name in (("beta", "dL_dbeta"), ("gamma", "dL_dgamma"), ("x", "dL_dx")):
        _finite(got[key], name, case.note)
        yield expect_values(got[key], want[key], name, mistakes=expected["mistakes"][key])
    yield expect_slopes(got, expected["fd"], "L = sum(dL_dy * y)")


def _judge_staged(case: Case, expected: Mapping[str, Any], outcome: Outcome) -> Iterator[Finding]:
    grads = _keys(outcome.values["result"], STAGED_ORDER, "batchnorm_backward_staged's result")
    yield Finding("returns", True)
    want = expected["grads"]
    N = want["x"].shape[0]
    for key in STAGED_ORDER:
        name = f"grads['{key}'] (dL/d{key})"
        if want[key].ndim == 1:
            yield _per_feature_shape(grads[key], want[key], name, N, key)
        else:
            yield expect_shape(grads[key], want[key], name)
    for key in STAGED_ORDER:  # in the order the backward pass computes them
        name = f"grads['{key}'] (dL/d{key})"
        _finite(grads[key], name, case.note)
        yield expect_values(grads[key], want[key], name, mistakes=expected["mistakes"][key])
    yield expect_slopes(grads, expected["fd"], "L = sum(dL_dy * y)")


# --------------------------------------------------------------------------- network


def _judge_network(case: Case, expected: Mapping[str, Any], outcome: Outcome) -> Iterator[Finding]:
    L, grads = unpack(outcome.values["result"], ("L", "grads"), "bn_network")
    if isinstance(L, np.ndarray) and L.shape == ():
        L = float(L)
    if not isinstance(L, int | float) or isinstance(L, bool):
        raise _stop("returns", f"the loss L must be a number (a float); got {type(L).__name__}.")
    grads = _keys(grads, NETWORK_ORDER, "the gradients returned by bn_network")
    yield Finding("returns", True)
    want = expected["grads"]
    N = case.inputs["x"].shape[0]
    for key in NETWORK_ORDER:
        yield expect_shape(grads[key], want[key], f"dL/d{key}")
    yield expect_values(L, expected["L"], "L", mistakes=expected["L_mistakes"])
    for key in NETWORK_ORDER:
        name = f"dL/d{key}"
        _finite(grads[key], name, case.note)
        atol = expected["zero_tolerance"].get(key)
        if atol is None:
            yield expect_values(
                grads[key], want[key], name, batch_size=N, mistakes=expected["mistakes"][key]
            )
        elif not np.max(np.abs(grads[key] - want[key])) <= atol:
            known = diagnose(grads[key], want[key], name=name, mistakes=expected["mistakes"][key])
            named = known.message if known.cause == "mistake" else ""
            raise _stop(
                "values",
                f"{name} should be zero (up to rounding): batch norm subtracts the batch mean "
                "of z = x W1 + b1, which removes b1, so the loss does not depend on it; the "
                "dL/dz that batch norm's backward returns sums to zero over the batch. " + named,
            )
    yield expect_slopes(grads, expected["fd"], "L (the network's cross-entropy)")


def _named(judge: Callable[..., Iterator[Finding]], fn: str) -> Judge:
    def named(case: Case, expected: Mapping[str, Any], outcome: Outcome) -> Iterator[Finding]:
        return judge(case, expected, outcome, fn)

    return named


CARDS = (
    Card.of_call(
        "batchnorm_forward(x, gamma, beta, eps)", _named(_judge_forward, "batchnorm_forward")
    ),
    Card.of_call("batchnorm_backward_staged(dL_dy, cache)", _judge_staged),
    Card.of_call("batchnorm_backward(dL_dy, cache)", _named(_judge_backward, "batchnorm_backward")),
    Card.of_call(
        "layernorm_forward(x, gamma, beta, eps)", _named(_judge_forward, "layernorm_forward")
    ),
    Card.of_call("layernorm_backward(dL_dy, cache)", _named(_judge_backward, "layernorm_backward")),
    Card.of_call("bn_network(x, labels, params, eps)", _judge_network),
)
