"""Lesson 05_backprop_network: each function judged on its own (issue 11, section 4).

- ``mlp_backward`` gets the reference forward pass's cache: a wrong ``mlp_forward`` in the
  notebook costs it nothing, and its cases hold no gradient;
- ``cache_size`` is judged against what the student's own ``mlp_forward`` caches (each
  array once, the parameters left out), and its cases vary with the seed, so answers
  learnt by heart from the visible cases fail verification;
- ``mlp_forward`` keeps the layout ``mlp_backward`` reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop_ref.specs import LESSONS, VISIBLE_SEED
from backprop_ref.specs.core import check_function
from tests.lessons import mutants
from tests.test_mutants import _with

LESSON = LESSONS["05_backprop_network"]
RUNS = (("visible", 0), ("hidden", 1), ("verify", 7), ("verify", 20261126))

#: A forward pass that caches only the layer inputs: its 'z' list holds x^(k+1) = relu(z^k),
#: the same arrays as 'x' (the masks agree), so it keeps N * (M_0 + ... + M_(K-1)) numbers.
ALIASED = """
def mlp_forward(x, params):
    K = len(params) // 2
    cache = {"x": [], "z": [], "W": []}
    h = x
    for k in range(1, K + 1):
        cache["x"].append(h)
        cache["W"].append(params[f"W{k}"])
        z = linear_forward(h, params[f"W{k}"], params[f"b{k}"])
        if k < K:
            h = relu_forward(z)
            cache["z"].append(h)
    return z, cache
"""

#: A forward pass that also keeps the scores, under a key of its own.
WITH_SCORES = """
def mlp_forward(x, params):
    K = len(params) // 2
    cache = {"x": [], "z": [], "W": []}
    h = x
    for k in range(1, K + 1):
        cache["x"].append(h)
        cache["W"].append(params[f"W{k}"])
        z = linear_forward(h, params[f"W{k}"], params[f"b{k}"])
        if k < K:
            cache["z"].append(z)
            h = relu_forward(z)
    cache["scores"] = z
    return z, cache
"""

ONLY_INPUTS = "def cache_size(sizes, N):\n    return N * sum(sizes[:-1])\n"
WITH_OUTPUTS = "def cache_size(sizes, N):\n    return N * (sum(sizes[:-1]) + sum(sizes[1:]))\n"


def _passes(fn: str, ns: dict[str, Any]) -> dict[str, bool]:
    spec = LESSON.spec(fn)
    return {f"{s}:{seed}": check_function(spec, ns, s, seed).passed for s, seed in RUNS}  # type: ignore[arg-type]


def test_mlp_backward_is_judged_without_the_students_forward() -> None:
    assert LESSON.spec("mlp_backward").needs == ("mlp_backward",)
    for desc, source in mutants(LESSON.name)["mlp_forward"]["wrong"].items():
        results = _passes("mlp_backward", _with(LESSON.name, source))
        assert all(results.values()), f"a wrong mlp_forward ({desc}) failed mlp_backward"


def test_mlp_backward_is_given_no_gradient() -> None:
    """Its cases hold the forward pass's values (x^k, z^k, W^k), none of the gradients."""
    spec = LESSON.spec("mlp_backward")
    for stage, seed in RUNS:
        for case in spec.draw(stage, seed):  # type: ignore[arg-type]
            grads = spec.expected(case)["grads"]
            given = [
                case.inputs["dL_dscores"],
                *(a for v in case.inputs["cache"].values() for a in v),
            ]
            for g in grads.values():
                assert not any(a.shape == g.shape and np.allclose(a, g) for a in given)


def test_cache_size_counts_the_students_own_cache() -> None:
    # the aliased design keeps only the x^k: the lesson's count lists z too, both accepted
    for source in (ONLY_INPUTS, None):
        ns = _with(LESSON.name, ALIASED + (source or ""))
        assert all(_passes("cache_size", ns).values()), source
    # the solution's design keeps x^k and z^k: only the inputs is wrong there
    assert not any(_passes("cache_size", _with(LESSON.name, ONLY_INPUTS)).values())
    # a cache that also keeps the scores: the lesson's formula is not what it holds
    ns = _with(LESSON.name, WITH_SCORES + WITH_OUTPUTS)
    assert all(_passes("cache_size", ns).values())
    ns = _with(LESSON.name, WITH_SCORES)
    report = check_function(LESSON.spec("cache_size"), ns, "visible", VISIBLE_SEED)
    assert not report.passed
    assert "your mlp_forward caches" in report.message(), report.message()


def test_cache_size_learnt_by_heart_fails_verification() -> None:
    spec = LESSON.spec("cache_size")
    ns = _with(LESSON.name, "")
    answers = {
        (tuple(c.inputs["sizes"]), c.inputs["N"]): ns["cache_size"](
            c.inputs["sizes"], c.inputs["N"]
        )
        for c in spec.draw("visible", VISIBLE_SEED)
    }
    ns["cache_size"] = lambda sizes, N: answers.get((tuple(sizes), N), 0)
    assert check_function(spec, ns, "visible", VISIBLE_SEED).passed
    for seed in (7, 20261126, 11):
        assert not check_function(spec, ns, "visible", seed).passed


def test_a_cache_that_mlp_backward_cannot_read_fails_mlp_forward() -> None:
    forward = mutants(LESSON.name)["mlp_forward"]["wrong"]
    source = forward["a cache without z (the masks to be read from x^(k+1))"]
    report = check_function(LESSON.spec("mlp_forward"), _with(LESSON.name, source), "visible", 0)
    assert "the cache has no list 'z'" in report.message()
