"""Lesson 08_convolution's cards: how each graded function is called and judged.

Graded functions (names and signatures fixed): ``conv_output_shape(x, W, stride, pad)``,
``conv_forward_loops(x, W, b, stride, pad)``, ``conv_backward_b(dL_dy)``,
``conv_backward_W_loops(dL_dy, x, W, stride, pad)``, ``conv_backward_x_loops(dL_dy, x, W,
stride, pad)``, ``conv_forward(x, W, b, stride, pad)``, ``conv_backward(dL_dy, x, W,
stride, pad)``, ``maxpool_forward(x, size, stride)`` and ``maxpool_backward(dL_dy, x,
size, stride)``.

The judges compare only; each yields one finding per stage: ``returns``, ``shapes`` (wrong
shapes with a known cause named), ``values`` (named wrong derivations first), ``finite
differences`` (the gradient's directional slopes against precomputed ones). What they
compare with comes from the reference, per case
(``backprop_ref.specs.l08_convolution.expected`` and ``.pooling``):

- ``conv_output_shape``: ``shape`` and ``mistakes`` (a list of [wrong shape, cause]);
- forward passes: ``y``, ``mistakes`` (description -> wrong y) and ``shapes`` (a list of
  [wrong shape, cause]);
- gradients: ``grads``, ``mistakes`` and ``shapes`` by variable (``x``, ``W``, ``b``), and
  ``fd`` (unit directions per variable, the slope of L = sum(dL_dy * y) along each,
  tolerances; for pooling, directions off the tied maxima).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from backprop_kit.cards import Card, Judge
from backprop_kit.harness import Outcome
from backprop_kit.judging import expect_shape, expect_values, unpack
from backprop_kit.verdicts import Case, Finding, Stop

SIZE_FLOAT = (
    "a float: the sizes of an array are integers; use integer division //, which also rounds down"
)
GRADIENT_NAMES = {"x": "dL_dx", "W": "dL_dW", "b": "dL_db"}


def _stop(stage: str, message: str) -> Stop:
    return Stop(Finding(stage, False, message))


def _shown(shape: Sequence[int]) -> str:
    return str(tuple(int(v) for v in shape))


def _array(value: Any, fn: str, name: str) -> None:
    """The ``returns`` stage of a function that returns one array."""
    if value is None:
        raise _stop("returns", f"{fn} returned None: did you forget to return {name}?")
    if isinstance(value, list):
        raise _stop(
            "returns",
            f"{fn} must return one array, {name}; got {len(value)} values (a tuple or a "
            "list). Return the array alone (no cache: the backward functions get x and W).",
        )


def _shape(value: Any, truth: Any, name: str, named: Sequence[Sequence[Any]]) -> Finding:
    """The ``shapes`` stage, with the wrong shapes of known causes named."""
    want = np.shape(truth)
    if isinstance(value, np.ndarray) and value.shape != want:
        for shape, description in named:
            if list(value.shape) == list(shape):
                raise _stop(
                    "shapes",
                    f"{name} has shape {_shown(value.shape)}, expected {_shown(want)}: "
                    f"{description}.",
                )
    return expect_shape(value, truth, name)


def expect_slopes(grads: Mapping[str, Any], fd: Mapping[str, Any], loss: str) -> Finding:
    """The ``finite differences`` stage: ``<g, u>`` against the precomputed slope of the
    loss along each direction ``u``."""
    for key, directions in fd["directions"].items():
        g = np.asarray(grads[key], dtype=np.float64)
        name = GRADIENT_NAMES[key]
        for u, slope, tol in zip(directions, fd["slopes"][key], fd["tolerances"][key], strict=True):
            yours = float(np.vdot(g, u))
            if not abs(yours - slope) <= tol:
                raise _stop(
                    "finite differences",
                    f"along a random unit direction u of {key}, the loss {loss} changes at "
                    f"the rate {slope:.6g} (central differences), while your {name} "
                    f"predicts <{name}, u> = {yours:.6g}.",
                )
    return Finding("finite differences", True)


# ------------------------------------------------------------------------ output size


def _as_ints(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iuf":
        return value.tolist()
    return value


def _judge_output_shape(
    case: Case, expected: Mapping[str, Any], outcome: Outcome
) -> Iterator[Finding]:
    got = _as_ints(outcome.values["result"])
    want = [int(v) for v in expected["shape"]]
    if not isinstance(got, list) or len(got) != 4:
        shown = "None" if got is None else type(got).__name__
        if isinstance(got, list):
            shown = f"{len(got)} values"
        raise _stop(
            "returns",
            f"conv_output_shape must return a tuple of 4 integers (N, F, H_out, W_out); got "
            f"{shown}.",
        )
    if any(isinstance(v, float) for v in got):
        raise _stop("returns", f"conv_output_shape returned {tuple(got)}, with {SIZE_FLOAT}.")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in got):
        raise _stop("returns", "conv_output_shape must return 4 integers (N, F, H_out, W_out).")
    yield Finding("returns", True)
    if got != want:
        for shape, description in expected["mistakes"]:
            if got == [int(v) for v in shape]:
                raise _stop(
                    "values",
                    f"conv_output_shape returned {_shown(got)}, expected {_shown(want)}: "
                    f"{description}.",
                )
        raise _stop(
            "values",
            f"conv_output_shape returned {_shown(got)}, expected {_shown(want)}: N is the "
            "batch, F = W.shape[0] the filters, H_out = (H_in + 2P - KH) // S + 1 (rounded "
            "down) and likewise W_out.",
        )
    yield Finding("values", True)


# ----------------------------------------------------------------------- forward passes


def _judge_forward(
    case: Case, expected: Mapping[str, Any], outcome: Outcome, fn: str
) -> Iterator[Finding]:
    """conv_forward_loops, conv_forward and maxpool_forward: one array y."""
    y = outcome.values["result"]
    _array(y, fn, "y")
    yield Finding("returns", True)
    yield _shape(y, expected["y"], "y", expected["shapes"])
    yield expect_values(y, expected["y"], "y", mistakes=expected["mistakes"])


# ---------------------------------------------------------------------------- backward


def _gradients(got: Mapping[str, Any], expected: Mapping[str, Any]) -> Iterator[Finding]:
    """Shapes, values and slopes of each gradient in ``got`` (keys x, W, b)."""
    want = expected["grads"]
    for key in got:
        yield _shape(got[key], want[key], GRADIENT_NAMES[key], expected["shapes"][key])
    for key in ("b", "W", "x"):
        if key in got:
            mistakes = expected["mistakes"][key]
            yield expect_values(got[key], want[key], GRADIENT_NAMES[key], mistakes=mistakes)
    yield expect_slopes(got, expected["fd"], "L = sum(dL_dy * y)")


def _judge_gradient(
    case: Case, expected: Mapping[str, Any], outcome: Outcome, fn: str, key: str
) -> Iterator[Finding]:
    """A function that returns one gradient (conv_backward_b / _W_loops / _x_loops,
    maxpool_backward)."""
    value = outcome.values["result"]
    _array(value, fn, GRADIENT_NAMES[key])
    yield Finding("returns", True)
    yield from _gradients({key: value}, expected)


def _judge_backward(case: Case, expected: Mapping[str, Any], outcome: Outcome) -> Iterator[Finding]:
    """conv_backward: (dL_dx, dL_dW, dL_db)."""
    dx, dW, db = unpack(outcome.values["result"], ("dL_dx", "dL_dW", "dL_db"), "conv_backward")
    yield Finding("returns", True)
    yield from _gradients({"x": dx, "W": dW, "b": db}, expected)


def _named(judge: Callable[..., Iterator[Finding]], *args: str) -> Judge:
    def named(case: Case, expected: Mapping[str, Any], outcome: Outcome) -> Iterator[Finding]:
        return judge(case, expected, outcome, *args)

    return named


CARDS = (
    Card.of_call("conv_output_shape(x, W, stride, pad)", _judge_output_shape),
    Card.of_call(
        "conv_forward_loops(x, W, b, stride, pad)", _named(_judge_forward, "conv_forward_loops")
    ),
    Card.of_call("conv_backward_b(dL_dy)", _named(_judge_gradient, "conv_backward_b", "b")),
    Card.of_call(
        "conv_backward_W_loops(dL_dy, x, W, stride, pad)",
        _named(_judge_gradient, "conv_backward_W_loops", "W"),
    ),
    Card.of_call(
        "conv_backward_x_loops(dL_dy, x, W, stride, pad)",
        _named(_judge_gradient, "conv_backward_x_loops", "x"),
    ),
    Card.of_call("conv_forward(x, W, b, stride, pad)", _named(_judge_forward, "conv_forward")),
    Card.of_call("conv_backward(dL_dy, x, W, stride, pad)", _judge_backward),
    Card.of_call("maxpool_forward(x, size, stride)", _named(_judge_forward, "maxpool_forward")),
    Card.of_call(
        "maxpool_backward(dL_dy, x, size, stride)",
        _named(_judge_gradient, "maxpool_backward", "x"),
    ),
)
