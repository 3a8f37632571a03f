"""Lesson 06_autodiff's cards: how each graded function is called and judged.

Graded functions (names and signatures fixed), each called on plain data and returning
plain data: ``topological_order(parents, root)``, ``add_backward(dL_dz, x_shape,
y_shape)``, ``matmul_backward(dL_dz, x, W)``, ``mean_backward(dL_dm, x_shape, axis)``,
``cross_entropy_backward(dL_dL, scores, labels)``, ``fan_out_gradient(x, params, labels)``
and ``engine_gradients(x, params, labels)`` (the last two with the student's own engine).

The judges compare only: membership and order checks for the topological order, shapes
and values (naming known wrong derivations) for the rules and the engine, and directional
slopes for the finite-difference stage. What they compare with comes from the reference,
per case (``backprop_ref.specs.l06_autodiff.expected``):

- ``topological_order``: ``order`` (one right answer, for messages), ``edges`` (every
  (parent, child) pair the root depends on), ``unneeded`` (nodes the root does not need);
- ``add_backward`` / ``matmul_backward``: per result ``{"truth", "mistakes"}`` (and ``N``);
- ``mean_backward`` / ``cross_entropy_backward``: ``truth``, ``mistakes`` (and ``N``);
- ``fan_out_gradient`` / ``engine_gradients``: ``truth`` and ``mistakes`` per gradient,
  ``N``, ``order`` (the parameters' names) and ``fd``: random unit directions with the
  reference loss's central-difference slope along each (``None`` on a ReLU kink).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from backprop_kit.cards import Card
from backprop_kit.gradcheck import diagnose
from backprop_kit.harness import Outcome
from backprop_kit.judging import expect_values, unpack
from backprop_kit.verdicts import Case, Finding, Stop

# ---------------------------------------------------------------------------- helpers


def _shape(value: Any, entry: Mapping[str, Any], name: str) -> Finding:
    """The shapes stage against ``entry["truth"]``, naming a known mistake of another shape."""
    truth = np.asarray(entry["truth"])
    if isinstance(value, np.ndarray) and value.shape == truth.shape:
        return Finding("shapes", True)
    if truth.ndim == 0 and isinstance(value, int | float) and not isinstance(value, bool):
        return Finding("shapes", True)
    message = diagnose(value, truth, name=name, mistakes=entry.get("mistakes")).message
    raise Stop(Finding("shapes", False, message))


def _values(value: Any, entry: Mapping[str, Any], name: str, N: int | None = None) -> Finding:
    mistakes = entry.get("mistakes")
    return expect_values(value, entry["truth"], name, batch_size=N, mistakes=mistakes)


def _grads(value: Any, names: list[str], fn: str) -> dict[str, Any]:
    """The returns stage of a function that returns a dict of gradients keyed ``names``."""
    if not isinstance(value, dict):
        got = "None: did you forget to return?" if value is None else type(value).__name__
        msg = f"{fn} must return a dict of gradients (keys {', '.join(names)}); got {got}."
        raise Stop(Finding("returns", False, msg))
    missing = [k for k in names if k not in value]
    extra = [k for k in value if k not in names]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)}"] if extra else []
        )
        msg = f"{fn} must return exactly the keys {', '.join(names)}: {'; '.join(parts)}."
        raise Stop(Finding("returns", False, msg))
    return value


def _directional(grads: Mapping[str, Any], fd: Mapping[str, Any] | None, fn: str) -> Finding:
    """Finite differences: along each precomputed direction u, the slope the gradients
    predict, sum <dL/dp, u_p>, against the central-difference slope of the loss."""
    if fd is None:  # units on a kink: a central difference straddles it (values decide)
        return Finding("finite differences", True)
    for k, (u, slope) in enumerate(zip(fd["directions"], fd["slopes"], strict=True)):
        predicted = sum(float(np.vdot(np.asarray(grads[n], dtype=float), u[n])) for n in u)
        if not abs(predicted - slope) <= fd["tolerance"]:
            msg = (
                f"along random direction {k + 1}, your gradients say the loss changes at a "
                f"rate {predicted:.6g}, but finite differences of the loss measure {slope:.6g}"
            )
            raise Stop(Finding("finite differences", False, msg))
    return Finding("finite differences", True)


# ------------------------------------------------------------------ topological_order


def _judge_topological_order(
    case: Case, expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    got, root = outcome.values["result"], case.inputs["root"]
    if not isinstance(got, list) or not all(isinstance(n, str) for n in got):
        what = "None: did you forget to return?" if got is None else type(got).__name__
        msg = f"topological_order must return a list of node names (strings); got {what}."
        raise Stop(Finding("returns", False, msg))
    yield Finding("returns", True)
    needed, unneeded = list(expected["order"]), set(expected["unneeded"])
    unknown = [n for n in got if n not in needed and n not in unneeded]
    if unknown:
        msg = f"{unknown[0]!r} is not a node of the graph (the nodes are the keys of parents)."
        raise Stop(Finding("shapes", False, msg))
    extra = sorted({n for n in got if n in unneeded})
    if extra:
        msg = (
            f"the order lists {', '.join(map(repr, extra))}, which {root!r} does not depend "
            f"on: list only the nodes {root!r} is computed from (follow parents from the root)."
        )
        raise Stop(Finding("shapes", False, msg))
    twice = next((n for n in got if got.count(n) > 1), None)
    if twice is not None:
        msg = (
            f"{twice!r} appears {got.count(twice)} times: list each node once, however many "
            "paths lead to it (keep a set of the nodes already visited)."
        )
        raise Stop(Finding("shapes", False, msg))
    missing = [n for n in needed if n not in got]
    if root in missing:
        msg = f"the order misses the root {root!r} itself: it comes last."
        raise Stop(Finding("shapes", False, msg))
    if missing:
        msg = (
            f"the order misses {', '.join(map(repr, missing))}: {root!r} depends on them (list "
            "every node reachable through parents: the leaves and the root itself included)."
        )
        raise Stop(Finding("shapes", False, msg))
    yield Finding("shapes", True)
    position = {n: i for i, n in enumerate(got)}
    wrong = [(p, c) for p, c in expected["edges"] if position[p] > position[c]]
    if wrong and all(position[p] > position[c] for p, c in expected["edges"]):
        msg = (
            "this is the order in which backward() visits the nodes, the root first: "
            "topological_order lists every node after its parents, the root last. Reverse it."
        )
        raise Stop(Finding("values", False, msg))
    if wrong:
        p, c = wrong[0]
        msg = (
            f"{c!r} comes before {p!r}, but {c!r} is computed from {p!r}: every node must "
            "come after all of its parents, so that, reversed, every node's rule runs after "
            "the rules of all the nodes that use it."
        )
        raise Stop(Finding("values", False, msg))
    yield Finding("values", True)


# ----------------------------------------------------------------------------- rules


def _judge_pair(
    value: Any, expected: Mapping[str, Any], names: tuple[str, str], fn: str, N: int | None
) -> Iterator[Finding]:
    a, b = unpack(value, names, fn)
    yield Finding("returns", True)
    yield _shape(a, expected[names[0]], names[0])
    yield _shape(b, expected[names[1]], names[1])
    yield _values(a, expected[names[0]], names[0], N)
    yield _values(b, expected[names[1]], names[1], N)


def _judge_add_backward(
    case: Case, expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    value = outcome.values["result"]
    yield from _judge_pair(value, expected, ("dL_dx", "dL_dy"), "add_backward", None)


def _judge_matmul_backward(
    case: Case, expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    value = outcome.values["result"]
    N = expected["N"]
    yield from _judge_pair(value, expected, ("dL_dx", "dL_dW"), "matmul_backward", N)


def _array_or_number(value: Any, fn: str) -> None:
    if value is None or isinstance(value, list | dict | str | bool):
        got = "None: did you forget to return?" if value is None else type(value).__name__
        raise Stop(Finding("returns", False, f"{fn} must return an ndarray; got {got}."))


def _judge_mean_backward(
    case: Case, expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    value = outcome.values["result"]
    _array_or_number(value, "mean_backward")
    yield Finding("returns", True)
    yield _shape(value, expected, "dL_dx")
    yield _values(value, expected, "dL_dx")


def _judge_cross_entropy_backward(
    case: Case, expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    value = outcome.values["result"]
    _array_or_number(value, "cross_entropy_backward")
    yield Finding("returns", True)
    yield _shape(value, expected, "dL_dscores")
    yield _values(value, expected, "dL_dscores", expected["N"])


# ------------------------------------------------------------ the engine's functions


def _judge_grads(
    fn: str, names: list[str], expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    grads = _grads(outcome.values["result"], names, fn)
    yield Finding("returns", True)
    top_down = names[::-1]  # the order backward computes them: the first wrong one is named
    for n in top_down:
        entry = {"truth": expected["truth"][n], "mistakes": expected["mistakes"][n]}
        yield _shape(grads[n], entry, f"dL/d{n}")
    for n in top_down:
        entry = {"truth": expected["truth"][n], "mistakes": expected["mistakes"][n]}
        yield _values(grads[n], entry, f"dL/d{n}", expected["N"])
    yield _directional(grads, expected["fd"], fn)


def _judge_fan_out_gradient(
    case: Case, expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    names = ["x", "W1", "b1", "W2", "b2"]
    yield from _judge_grads("fan_out_gradient", names, expected, outcome)


def _judge_engine_gradients(
    case: Case, expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    yield from _judge_grads("engine_gradients", list(expected["order"]), expected, outcome)


CARDS = (
    Card.of_call("topological_order(parents, root)", _judge_topological_order),
    Card.of_call("add_backward(dL_dz, x_shape, y_shape)", _judge_add_backward),
    Card.of_call("matmul_backward(dL_dz, x, W)", _judge_matmul_backward),
    Card.of_call("mean_backward(dL_dm, x_shape, axis)", _judge_mean_backward),
    Card.of_call("cross_entropy_backward(dL_dL, scores, labels)", _judge_cross_entropy_backward),
    Card.of_call("fan_out_gradient(x, params, labels)", _judge_fan_out_gradient),
    Card.of_call("engine_gradients(x, params, labels)", _judge_engine_gradients),
)
