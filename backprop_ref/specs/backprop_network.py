"""Lesson 05_backprop_network: backpropagation through a whole network, and training it.

Graded functions (names and signatures fixed): ``mlp_forward(x, params) -> (scores, cache)``,
``mlp_backward(dL_dscores, cache) -> grads`` and ``sgd_step(params, grads, lr)`` (in place);
and one derived result, ``cache_size(sizes, N)``: how many floats the cache of the lesson's
design holds (every affine layer's input ``x^k`` and every hidden pre-activation ``z^k``).

The cache is the student's own and opaque: ``mlp_backward`` is checked by calling the
student's ``mlp_forward`` first and handing its cache over, exactly as the notebook does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from backprop_kit.harness import Outcome, Step
from backprop_kit.judging import expect_gradients, expect_shape, expect_values
from backprop_ref.mlp import mlp_backward, mlp_forward
from backprop_ref.optim import sgd_step
from backprop_ref.specs.core import Case, Finding, Spec, Stage, Stop
from backprop_ref.specs.lesson import GradedCell, Lesson, tests_for

Params = dict[str, np.ndarray]

# ----------------------------------------------------------------------------- cases


def _network_sizes(rng: np.random.Generator, stage: Stage) -> list[tuple[int, list[int]]]:
    """(N, [M_0, ..., M_K]) per case. Every stage has K = 1, K = 2 and K >= 3, so code that
    hard-codes two layers fails each of them; the hidden and verification cases add a
    single example (N = 1) and equal hidden widths (where a transpose or a mask taken from
    the wrong layer runs without a shape error and only the values show it)."""
    if stage == "visible":
        return [(4, [3, 5, 2]), (3, [4, 2]), (2, [3, 4, 6, 2])]
    if stage == "hidden":
        return [(5, [2, 3, 3, 3]), (1, [4, 6, 3]), (3, [6, 2]), (3, [5, 4, 4, 7, 2])]
    cases: list[tuple[int, list[int]]] = []
    for K in (1, 2, 3):
        N = int(rng.integers(1, 6))
        cases.append((N, [int(m) for m in rng.integers(2, 7, size=K + 1)]))
    M = int(rng.integers(2, 6))
    cases.append((int(rng.integers(2, 6)), [int(rng.integers(2, 6)), M, M, M]))
    return cases


def _params(rng: np.random.Generator, sizes: list[int]) -> Params:
    """Random weights of scale 1/sqrt(M_in) and non-zero biases (no unit sits on a kink)."""
    params: Params = {}
    for k, (M_in, M_out) in enumerate(itertools.pairwise(sizes), start=1):
        params[f"W{k}"] = rng.standard_normal((M_in, M_out)) / np.sqrt(M_in)
        params[f"b{k}"] = 0.5 * rng.standard_normal(M_out)
    return params


def _note(N: int, sizes: list[int]) -> str:
    return f"N={N}, layer widths {sizes} (K={len(sizes) - 1})"


def _network_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    cases = []
    for N, sizes in _network_sizes(rng, stage):
        x = rng.standard_normal((N, sizes[0]))
        params = _params(rng, sizes)
        dL_dscores = rng.standard_normal((N, sizes[-1]))
        inputs = {"x": x, "params": params, "dL_dscores": dL_dscores}
        cases.append(Case(inputs, _note(N, sizes)))
    return cases


def _sgd_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    """Parameters of a network, gradients of the same shapes and a learning rate that is
    never 1. The last case of each stage lists the gradients in another key order than the
    parameters: a step must pair them by name, not by position."""
    sizes = {"visible": [[3, 4, 2], [2, 3]], "hidden": [[4, 3, 3, 2], [5, 1]]}
    lrs = {"visible": [0.1, 0.5], "hidden": [0.05, 0.3]}
    if stage == "verify":
        shapes = [[int(m) for m in rng.integers(1, 6, size=K + 1)] for K in (1, 2, 3)]
        rates = [float(r) for r in rng.uniform(0.01, 0.9, size=3)]
    else:
        shapes, rates = sizes[stage], lrs[stage]
    cases = []
    for i, (widths, lr) in enumerate(zip(shapes, rates, strict=True)):
        params = _params(rng, widths)
        grads = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        note = f"K={len(widths) - 1}, lr={lr:.3g}"
        if i == len(shapes) - 1:
            grads = dict(reversed(list(grads.items())))
            note += ", grads listed in another key order than params"
        cases.append(Case({"params": params, "grads": grads, "lr": lr}, note))
    return cases


def _size_cases(rng: np.random.Generator, stage: Stage) -> list[Case]:
    if stage == "visible":
        chosen = [([3, 5, 2], 4), ([2, 3], 10), ([4, 8, 6, 3], 7)]
    elif stage == "hidden":
        chosen = [([2, 64, 64, 3], 300), ([7, 1], 1), ([5, 3, 9, 4, 2], 6)]
    else:
        chosen = [
            ([int(m) for m in rng.integers(1, 40, size=K + 1)], int(rng.integers(2, 500)))
            for K in (1, 2, 3, 4)
        ]
    return [Case({"sizes": s, "N": N}, f"sizes={s}, N={N}") for s, N in chosen]


# ----------------------------------------------------------------- wrong derivations


def _relu(z: np.ndarray) -> np.ndarray:
    return np.asarray(np.maximum(z, 0))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _forward_variant(
    x: np.ndarray,
    params: Mapping[str, np.ndarray],
    *,
    relu_at: str = "between",
    bias: bool = True,
    last_bias: bool = True,
) -> np.ndarray:
    """The scores of a network with the ReLUs in the wrong places: ``relu_at`` is
    ``"between"`` (correct), ``"everywhere"`` (after the last layer too), ``"nowhere"``, or
    ``"input"`` (also on the input x); or without biases (all, or the last layer's)."""
    K = len(params) // 2
    h = _relu(x) if relu_at == "input" else x
    for k in range(1, K + 1):
        with_b = bias and (last_bias or k < K)
        h = h @ params[f"W{k}"] + (params[f"b{k}"] if with_b else 0)
        if relu_at == "everywhere" or (relu_at in ("between", "input") and k < K):
            h = _relu(h)
    return h


def _backward_variant(
    x: np.ndarray,
    params: Mapping[str, np.ndarray],
    dL_dscores: np.ndarray,
    *,
    mask: str = "z",
    db_mean: bool = False,
    dW_from_z: bool = False,
) -> Params:
    """Gradients by a backward pass with one known mistake switched on (none: correct).

    ``mask``: where the ReLU mask comes from: ``"z"`` (right), ``"none"``, or ``"grad"``
    (the sign of the upstream gradient, as in ``relu_backward(dL_dx, dL_dx)``)."""
    K = len(params) // 2
    xs, zs = [x], []
    for k in range(1, K + 1):
        zs.append(xs[-1] @ params[f"W{k}"] + params[f"b{k}"])
        xs.append(_relu(zs[-1]))
    grads: Params = {}
    dL_dz = dL_dscores
    for k in range(K, 0, -1):
        inp = zs[k - 2] if (dW_from_z and k > 1) else xs[k - 1]
        grads[f"W{k}"] = inp.T @ dL_dz
        grads[f"b{k}"] = dL_dz.mean(axis=0) if db_mean else dL_dz.sum(axis=0)
        dL_dx = dL_dz @ params[f"W{k}"].T
        if k > 1 and mask != "none":
            dL_dz = dL_dx * ((zs[k - 2] if mask == "z" else dL_dx) > 0)
        else:
            dL_dz = dL_dx
    return grads


# ---------------------------------------------------------------------------- judges


def _keys_in_order(K: int) -> list[str]:
    return [f"{p}{k}" for k in range(1, K + 1) for p in "Wb"]


def _judge_forward(case: Case, outcome: Outcome) -> Iterator[Finding]:
    x, params = case.inputs["x"], case.inputs["params"]
    scores = outcome.values["scores"]
    if not isinstance(scores, np.ndarray):
        got = "None" if scores is None else type(scores).__name__
        msg = f"the scores returned by mlp_forward must be an ndarray; got {got}."
        raise Stop(Finding("returns", False, msg))
    yield Finding("returns", True)
    truth, _ = mlp_forward(x, params)
    yield expect_shape(scores, truth, "scores")
    mistakes = {
        "the scores with a ReLU after the last layer too (the scores must be able to be "
        "negative: no ReLU after layer K)": _forward_variant(x, params, relu_at="everywhere"),
        "the scores of a network without any ReLU (apply relu_forward between the layers)": (
            _forward_variant(x, params, relu_at="nowhere")
        ),
        "the scores with a ReLU on the input x as well (the first layer reads x itself)": (
            _forward_variant(x, params, relu_at="input")
        ),
        "the scores without the biases b^k": _forward_variant(x, params, bias=False),
        "the scores without the bias b^K of the last layer": (
            _forward_variant(x, params, last_bias=False)
        ),
        "the softmax probabilities of the scores (mlp_forward returns the raw scores z^K; "
        "the loss applies the softmax)": _softmax(truth),
    }
    yield expect_values(scores, truth, "scores", mistakes=mistakes)


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


def _judge_backward(case: Case, outcome: Outcome) -> Iterator[Finding]:
    x, params, dL = (case.inputs[k] for k in ("x", "params", "dL_dscores"))
    K = len(params) // 2
    grads = _grads_dict(outcome.values["grads"], K)
    yield Finding("returns", True)
    _, cache = mlp_forward(x, params)
    truth = mlp_backward(dL, cache)
    top_down = [f"{p}{k}" for k in range(K, 0, -1) for p in "Wb"]  # the order backward works
    for name in top_down:
        yield expect_shape(grads[name], truth[name], f"dL/d{name}")
    variants = {
        "without the ReLU mask (dL/dx^k must be zeroed where z^(k-1) <= 0 before it becomes "
        "dL/dz^(k-1))": _backward_variant(x, params, dL, mask="none"),
        "with dL/db as the mean over the batch instead of the sum (the 1/N is already in "
        "dL/dscores)": _backward_variant(x, params, dL, db_mean=True),
        "with the ReLU mask taken from the sign of the upstream gradient instead of from "
        "z^(k-1) (check the arguments of relu_backward)": _backward_variant(
            x, params, dL, mask="grad"
        ),
        "with dL/dW^k computed from the pre-activation z^(k-1) instead of the layer's input "
        "x^k = relu(z^(k-1))": _backward_variant(x, params, dL, dW_from_z=True),
    }
    N = x.shape[0]
    for name in top_down:
        mistakes = {f"the gradient {what}": v[name] for what, v in variants.items()}
        yield expect_values(
            grads[name], truth[name], f"dL/d{name}", batch_size=N, mistakes=mistakes
        )

    def loss(**p: np.ndarray) -> float:
        return float(np.sum(dL * mlp_forward(x, p)[0]))

    def branches(**p: np.ndarray) -> np.ndarray:
        _, c = mlp_forward(x, p)
        return np.concatenate([z.ravel() > 0 for z in c["z"]] + [np.zeros(0, dtype=bool)])

    yield expect_gradients(loss, params, grads, branches=branches)


def _judge_sgd(case: Case, outcome: Outcome) -> Iterator[Finding]:
    params, grads, lr = (case.inputs[k] for k in ("params", "grads", "lr"))
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
    truth = {k: v.copy() for k, v in params.items()}
    sgd_step(truth, grads, lr)
    for name in params:
        yield expect_shape(after[name], truth[name], name)
    for name in params:
        p, g = params[name], grads[name]
        mistakes = {
            f"{name} + lr * dL/d{name} (a step uphill: the sign is wrong)": p + lr * g,
            f"{name} - dL/d{name} (the learning rate lr is missing)": p - g,
            "the value before the step (every parameter takes a step, the biases too)": p,
        }
        yield expect_values(after[name], truth[name], name, mistakes=mistakes)


def _judge_cache_size(case: Case, outcome: Outcome) -> Iterator[Finding]:
    sizes, N = case.inputs["sizes"], case.inputs["N"]
    got = outcome.values["result"]
    if isinstance(got, float) and got.is_integer():
        got = int(got)
    if not isinstance(got, int) or isinstance(got, bool):
        msg = f"cache_size must return a whole number (an int); got {type(got).__name__}."
        raise Stop(Finding("returns", False, msg))
    yield Finding("returns", True)
    inputs, hidden, outputs = sum(sizes[:-1]), sum(sizes[1:-1]), sum(sizes[1:])
    if got == N * (inputs + hidden):
        yield Finding("values", True)
        return
    known = {
        N * inputs: "only the layer inputs x^k: add the pre-activations z^k of the hidden "
        "layers (the ReLU masks are read from them)",
        N * (inputs + outputs): "you also counted the scores z^K: the backward pass starts "
        "from dL/dscores and never needs the scores themselves",
        inputs + hidden: "the cache holds one row per example: multiply by N",
        N * sum(sizes): "every width once: count x^k for k = 1..K (widths M_0..M_(K-1)) and "
        "z^k for the hidden layers k = 1..K-1 (widths M_1..M_(K-1))",
    }
    hint = known.get(
        got,
        "list what the cache holds for each layer (x^k, and z^k for "
        "k < K) with its shape, and add up the entries",
    )
    raise Stop(Finding("values", False, f"cache_size(sizes, N) = {got} is not right: {hint}."))


# ----------------------------------------------------------------------------- specs

mlp_forward_spec = Spec.legacy_steps(
    "mlp_forward",
    "mlp_forward(x, params)",
    (Step("mlp_forward", ("x", "params"), ("scores", "cache")),),
    ("scores",),
    _network_cases,
    _judge_forward,
)
mlp_backward_spec = Spec.legacy_steps(
    "mlp_backward",
    "mlp_backward(dL_dscores, cache)",
    (
        Step("mlp_forward", ("x", "params"), ("scores", "cache")),
        Step("mlp_backward", ("dL_dscores", "cache"), "grads"),
    ),
    ("grads",),
    _network_cases,
    _judge_backward,
)
sgd_step_spec = Spec.legacy_steps(
    "sgd_step",
    "sgd_step(params, grads, lr)",
    (Step("sgd_step", ("params", "grads", "lr")),),
    ("params", "result"),
    _sgd_cases,
    _judge_sgd,
    may_modify=("params",),
)
cache_size_spec = Spec.legacy_steps(
    "cache_size",
    "cache_size(sizes, N)",
    (Step("cache_size", ("sizes", "N")),),
    ("result",),
    _size_cases,
    _judge_cache_size,
)

LESSON = Lesson(
    name="05_backprop_network",
    title="Backpropagation through a network",
    specs=(cache_size_spec, mlp_forward_spec, mlp_backward_spec, sgd_step_spec),
    cells=(
        GradedCell("derive_backward_order", 4, "manual"),
        *tests_for(cache_size_spec, 1, 1),
        *tests_for(mlp_forward_spec, 2, 2),
        *tests_for(mlp_backward_spec, 3, 3),
        *tests_for(sgd_step_spec, 1, 1),
    ),
)
