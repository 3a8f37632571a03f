"""Lesson 05_backprop_network's cards: how each graded function is called and judged.

Graded functions (names and signatures fixed): ``mlp_forward(x, params) -> (scores,
cache)``, ``mlp_backward(dL_dscores, cache) -> grads``, ``sgd_step(params, grads, lr)`` (in
place) and ``cache_size(sizes, N)``.

Each function is judged on its own: ``mlp_backward`` gets the cache of the reference
forward pass in the lesson's layout (a dict: ``x``, the input x^k of each affine layer;
``z``, the pre-activation z^k of each hidden layer; ``W``, the weights), never the
student's; ``cache_size`` is judged against what the student's own ``mlp_forward``
caches (its cache is run, then counted: that is evaluating the student's design, as
lesson 03's judge applies the student's einsum subscripts).

What the judges compare with comes from the reference, per case
(``backprop_ref.specs.l05_backprop_network.expected``):

- ``mlp_forward``: ``scores``, ``mistakes``, ``layout`` (the shapes the cache's lists hold);
- ``mlp_backward``: ``grads``, ``mistakes`` (per gradient), ``fd`` (a recorded loss
  ``sum(dL_dscores * scores(params))``, with its kinks);
- ``sgd_step``: ``params`` (after the step) and ``mistakes`` (per parameter);
- ``cache_size``: ``count`` (the lesson's design), ``layout``, ``mistakes`` ([value, hint]).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from backprop_kit.cards import Card
from backprop_kit.harness import Outcome, Step
from backprop_kit.judging import (
    expect_recorded_gradients,
    expect_shape,
    expect_values,
)
from backprop_kit.verdicts import Case, Finding, Stop

Expected = Mapping[str, Any]
LAYOUT = (
    "a dict with the lists 'x' (the input x^k of every affine layer, k = 1..K), 'z' (the "
    "pre-activation z^k of every hidden layer, k = 1..K-1) and 'W' (the weights W^k)"
)


def _layout_problem(cache: Any, layout: Mapping[str, list[list[int]]]) -> str:
    """What is wrong with the cache's layout ('' when it holds the lesson's lists)."""
    if not isinstance(cache, dict):
        return f"the cache is a {type(cache).__name__}, not a dict"
    for key, shapes in layout.items():
        got = cache.get(key)
        if not isinstance(got, list):
            return f"the cache has no list '{key}'"
        if len(got) != len(shapes):
            return f"cache['{key}'] holds {len(got)} arrays, not {len(shapes)}"
        for k, (a, shape) in enumerate(zip(got, shapes, strict=True)):
            if not isinstance(a, np.ndarray) or list(a.shape) != shape:
                what = f"shape {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
                return f"cache['{key}'][{k}] is a {what}, not an array of shape {tuple(shape)}"
    return ""


def _judge_forward(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    scores = outcome.values["scores"]
    if not isinstance(scores, np.ndarray):
        got = "None" if scores is None else type(scores).__name__
        msg = f"the scores returned by mlp_forward must be an ndarray; got {got}."
        raise Stop(Finding("returns", False, msg))
    yield Finding("returns", True)
    truth = expected["scores"]
    yield expect_shape(scores, truth, "scores")
    expect_values(scores, truth, "scores", mistakes=expected["mistakes"])
    problem = _layout_problem(outcome.values["cache"], expected["layout"])
    if problem:
        msg = f"{problem}: mlp_backward reads the cache as {LAYOUT} (add keys of your own "
        raise Stop(Finding("values", False, msg + "if you like)."))
    yield Finding("values", True)


def _keys_in_order(K: int) -> list[str]:
    return [f"{p}{k}" for k in range(1, K + 1) for p in "Wb"]


def _grads_dict(value: Any, K: int) -> dict[str, Any]:
    expected = _keys_in_order(K)
    if not isinstance(value, dict):
        got = "None: did you forget to return?" if value is None else type(value).__name__
        msg = (
            f"mlp_backward must return a dict of gradients (keys {', '.join(expected)}); got {got}"
        )
        raise Stop(Finding("returns", False, msg))
    missing = [k for k in expected if k not in value]
    extra = [k for k in value if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected {', '.join(extra)}")
        msg = (
            f"for a network with K={K} layers the gradients need exactly the keys of params "
            f"({', '.join(expected)}): {'; '.join(parts)}. Read K from the keys of params "
            "(K = len(params) // 2), and give every layer a gradient."
        )
        raise Stop(Finding("returns", False, msg))
    return value


def _judge_backward(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    K = len(case.inputs["params"]) // 2
    grads = _grads_dict(outcome.values["grads"], K)
    yield Finding("returns", True)
    truth = expected["grads"]
    top_down = [f"{p}{k}" for k in range(K, 0, -1) for p in "Wb"]  # the order backward works
    for name in top_down:
        yield expect_shape(grads[name], truth[name], f"dL/d{name}")
    N = case.inputs["dL_dscores"].shape[0]
    for name in top_down:
        yield expect_values(
            grads[name],
            truth[name],
            f"dL/d{name}",
            batch_size=N,
            mistakes=expected["mistakes"][name],
        )
    yield expect_recorded_gradients(expected["fd"], grads)


def _judge_sgd(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    params = case.inputs["params"]
    after, result = outcome.values["params"], outcome.values["result"]
    if not isinstance(after, dict) or set(after) != set(params):
        msg = "sgd_step must keep the keys of params; it added or removed some."
        raise Stop(Finding("returns", False, msg))
    yield Finding("returns", True)
    unchanged = all(
        isinstance(after[k], np.ndarray) and np.array_equal(after[k], params[k]) for k in params
    )
    if unchanged:
        if result is not None:
            msg = (
                "sgd_step returned new values and left params unchanged: update the arrays "
                "in params in place (p -= lr * g); the training loop keeps using params."
            )
        else:
            msg = (
                "sgd_step left params unchanged: p = p - lr * g only rebinds the name p; "
                "p -= lr * g (or params[name] -= lr * grads[name]) writes into the array."
            )
        raise Stop(Finding("values", False, msg))
    truth = expected["params"]
    for name in params:
        yield expect_shape(after[name], truth[name], name)
    for name in params:
        yield expect_values(after[name], truth[name], name, mistakes=expected["mistakes"][name])


def _cached_arrays(value: Any, params: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """Every array the cache holds, except the parameters themselves (W^k, b^k: references
    to params cost no memory), in the order found."""
    if isinstance(value, dict):
        return [a for v in value.values() for a in _cached_arrays(v, params)]
    if isinstance(value, list):
        return [a for v in value for a in _cached_arrays(v, params)]
    if isinstance(value, np.ndarray) and not any(
        value.shape == p.shape and np.array_equal(value, p) for p in params.values()
    ):
        return [value]
    return []


def _distinct(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The arrays once each (the same array listed twice, x^(k+1) as relu(z^k) say)."""
    out: list[np.ndarray] = []
    for a in arrays:
        if not any(a.shape == b.shape and np.array_equal(a, b) for b in out):
            out.append(a)
    return out


def _judge_cache_size(case: Case, expected: Expected, outcome: Outcome) -> Iterator[Finding]:
    sizes, N = case.inputs["sizes"], case.inputs["N"]
    got = outcome.values["result"]
    if isinstance(got, float) and got.is_integer():
        got = int(got)
    if not isinstance(got, int) or isinstance(got, bool):
        msg = f"cache_size must return a whole number (an int); got {type(got).__name__}."
        raise Stop(Finding("returns", False, msg))
    yield Finding("returns", True)
    cache = outcome.values["cache"]
    once: list[np.ndarray] = []
    if _layout_problem(cache, expected["layout"]):  # not a cache mlp_backward can read
        counts = {expected["count"]}
    else:  # the student's own design: what their mlp_forward keeps
        arrays = _cached_arrays(cache, case.inputs["params"])
        once = _distinct(arrays)
        counts = {sum(a.size for a in once), sum(a.size for a in arrays)}
    if got in counts:
        yield Finding("values", True)
        return
    if expected["count"] in counts:
        hint = next((h for v, h in expected["mistakes"] if v == got), "")
        hint = hint or (
            "list what the cache holds for each layer (x^k, and z^k for "
            "k < K) with its shape, and add up the entries"
        )
        msg = f"cache_size(sizes, N) = {got} is not right: {hint}."
    else:
        shapes = ", ".join(str(a.shape) for a in once[:12]) + (", ..." if len(once) > 12 else "")
        msg = (
            f"cache_size(sizes, N) = {got}, but your mlp_forward caches {min(counts)} numbers "
            f"for sizes={sizes}, N={N}, besides the weights and biases: arrays of shapes "
            f"{shapes}. Count what your own cache holds, each array once."
        )
    raise Stop(Finding("values", False, msg))


CARDS = (
    Card(
        "cache_size",
        "cache_size(sizes, N)",
        (
            Step("cache_size", ("sizes", "N")),
            Step("mlp_forward", ("x", "params"), ("scores", "cache")),
        ),
        ("result", "cache"),
        _judge_cache_size,
    ),
    Card(
        "mlp_forward",
        "mlp_forward(x, params)",
        (Step("mlp_forward", ("x", "params"), ("scores", "cache")),),
        ("scores", "cache"),
        _judge_forward,
    ),
    Card(
        "mlp_backward",
        "mlp_backward(dL_dscores, cache)",
        (Step("mlp_backward", ("dL_dscores", "cache"), "grads"),),
        ("grads",),
        _judge_backward,
    ),
    Card(
        "sgd_step",
        "sgd_step(params, grads, lr)",
        (Step("sgd_step", ("params", "grads", "lr")),),
        ("params", "result"),
        _judge_sgd,
        may_modify=("params",),
    ),
)
