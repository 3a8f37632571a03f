"""Stateful layers over the pure core, and the ``Sequential`` network of the course.

Course notation: ``x^0`` of shape (N, M^0) goes in; layer ``l`` maps ``x^l`` to
``y^l = y^l(x^l; W^l)`` of shape (N, M^l) and ``x^{l+1} = y^l``. Backward starts from
``dL/dy^K`` and applies, layer by layer from the top,

    dL/dW^l = dL/dy^l . dy^l/dW^l,    dL/dx^l = dL/dy^l . dy^l/dx^l,    dL/dy^{l-1} = dL/dx^l.

Each module's ``forward(x)`` caches what its ``backward`` needs; ``backward(dL_dy)`` returns
``dL_dx`` and **adds** the gradient of every parameter to ``grads`` (same names, shapes and
dtypes as ``params``, zero at the start), as PyTorch and micrograd do: a parameter that
feeds two layers (tied weights, two layers sharing ``params`` and ``grads``) gets the sum of
both contributions, which is its gradient (where a value fans out, the gradients add).
Call ``zero_grad()`` before each training step's backward pass.

A model keeps the dtype of its parameters end to end (a float32 model computes in float32);
feeding it an input of another dtype raises ``TypeError`` instead of silently upcasting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import DTypeLike, NDArray

from backprop_ref import layers
from backprop_ref._types import Array


class Module:
    """Base class: a layer with ``params``/``grads`` dicts and ``forward``/``backward``."""

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}

    def zero_grad(self) -> None:
        """Set every gradient to zero, in place (the arrays keep their identity)."""
        for g in self.grads.values():
            g[...] = 0

    def forward(self, x: Array) -> Array:
        """Map ``x`` of shape (N, M_in) to ``y`` of shape (N, M_out), caching for backward."""
        raise NotImplementedError

    def backward(self, dL_dy: Array) -> Array:
        """Map ``dL_dy`` (shape of ``y``) to ``dL_dx`` (shape of ``x``); add to ``grads``."""
        raise NotImplementedError

    def __call__(self, x: Array) -> Array:
        return self.forward(x)

    def _cached(self, x: Array | None) -> Array:
        if x is None:
            raise RuntimeError(f"{type(self).__name__} has nothing cached: call forward first")
        return x


class Linear(Module):
    """Affine layer ``y = x W + b`` with ``W`` of shape (M_in, M_out), ``b`` of shape (M_out,).

    Parameters
    ----------
    M_in, M_out : int
        Input and output widths.
    rng : numpy Generator, int seed or None
        Source of the initial weights (``None``: fresh entropy, not reproducible).
    dtype : float dtype, default float64
        The dtype of ``W``, ``b``, and of every array the layer computes.
    init : "he" or "glorot"
        ``W ~ Normal(0, 2 / M_in)`` (He et al. 2015, keeps the activations' variance through
        ReLU layers) or ``W ~ Normal(0, 2 / (M_in + M_out))`` (Glorot & Bengio 2010, for
        tanh and sigmoid). ``b = 0``. The weights are drawn in float64 and then cast, so a
        float32 and a float64 layer from the same seed agree to float32 rounding.
    """

    def __init__(
        self,
        M_in: int,
        M_out: int,
        rng: np.random.Generator | int | None = None,
        dtype: DTypeLike = np.float64,
        init: Literal["he", "glorot"] = "he",
    ) -> None:
        super().__init__()
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"Linear needs a floating dtype, not {dt}")
        variance = {"he": 2.0 / M_in, "glorot": 2.0 / (M_in + M_out)}[init]
        W = np.random.default_rng(rng).standard_normal((M_in, M_out)) * np.sqrt(variance)
        self.params = {"W": W.astype(dt), "b": np.zeros(M_out, dtype=dt)}
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.x: Array | None = None

    def forward(self, x: Array) -> Array:
        W, b = self.params["W"], self.params["b"]
        if x.dtype != W.dtype:
            raise TypeError(
                f"input of dtype {x.dtype} for a {W.dtype} layer: convert it with "
                f"x.astype(np.{W.dtype}) (no silent change of precision)"
            )
        self.x = x  # a reference, not a copy: dL/dW = x^T dL/dy needs it
        return layers.linear_forward(x, W, b)

    def backward(self, dL_dy: Array) -> Array:
        x, W = self._cached(self.x), self.params["W"]
        # dL/dx (N, M_in) = dL/dy W^T, dL/dW (M_in, M_out) = x^T dL/dy, dL/db (M_out,)
        dL_dx, dL_dW, dL_db = layers.linear_backward(dL_dy, x, W)
        self.grads["W"] += dL_dW  # (M_in, M_out): accumulated, W may feed other layers too
        self.grads["b"] += dL_db  # (M_out,)
        return dL_dx


class _Elementwise(Module):
    """An activation applied entry by entry: no parameters, a diagonal Jacobian."""

    _forward: Callable[[Array], Array]
    _backward: Callable[[Array, Array], Array]

    def __init__(self) -> None:
        super().__init__()
        self.x: Array | None = None

    def forward(self, x: Array) -> Array:
        self.x = x  # the pre-activation; backward evaluates the derivative there
        return type(self)._forward(x)

    def backward(self, dL_dy: Array) -> Array:
        return type(self)._backward(dL_dy, self._cached(self.x))


class ReLU(_Elementwise):
    """``y = max(x, 0)``; ``dL/dx = dL/dy * (x > 0)`` (0 at the kink)."""

    _forward = staticmethod(layers.relu_forward)
    _backward = staticmethod(layers.relu_backward)

    def mask(self) -> NDArray[np.bool_]:
        """Which units were active in the last forward pass: ``x > 0``, shape of ``x``."""
        return self._cached(self.x) > 0


class Sigmoid(_Elementwise):
    """``y = 1 / (1 + exp(-x))``; ``dL/dx = dL/dy * y (1 - y)``."""

    _forward = staticmethod(layers.sigmoid_forward)
    _backward = staticmethod(layers.sigmoid_backward)


class Tanh(_Elementwise):
    """``y = tanh(x)``; ``dL/dx = dL/dy * (1 - y^2)``."""

    _forward = staticmethod(layers.tanh_forward)
    _backward = staticmethod(layers.tanh_backward)


class Sequential:
    """A network ``x^0 -> y^0 = x^1 -> ... -> y^K``: the course's recursion over layers.

    Parameters are named ``"<index>.<name>"`` after the position of their layer, e.g.
    ``Sequential(Linear(2, 8), ReLU(), Linear(8, 3))`` has ``"0.W", "0.b", "2.W", "2.b"``.
    :meth:`parameters` and :meth:`gradients` return flat dicts of *references*: an in-place
    update of ``parameters()["0.W"]`` changes the model. A parameter shared by two layers
    (the same array) is listed once, under its first name, so an optimiser steps it once,
    with its accumulated gradient.

    Examples
    --------
    >>> from backprop_ref.losses import softmax_cross_entropy
    >>> net = Sequential(Linear(2, 8, rng=0), ReLU(), Linear(8, 3, rng=1))
    >>> x, labels = np.ones((4, 2)), np.array([0, 1, 2, 0])
    >>> net.zero_grad()
    >>> L, dL_dy = softmax_cross_entropy(net.forward(x), labels)
    >>> dL_dx = net.backward(dL_dy)
    >>> sorted(net.gradients())
    ['0.W', '0.b', '2.W', '2.b']
    """

    def __init__(self, *layers: Module) -> None:
        self.layers = list(layers)

    def forward(self, x: Array) -> Array:
        """``y^K`` for the batch ``x = x^0`` of shape (N, M^0); every layer caches."""
        for layer in self.layers:
            x = layer.forward(x)  # x^{l+1} = y^l
        return x

    def __call__(self, x: Array) -> Array:
        return self.forward(x)

    def backward(self, dL_dy: Array) -> Array:
        """From ``dL/dy^K`` (shape of the output) down to ``dL/dx^0`` (shape of the input).

        Every layer's gradients are added to its ``grads`` on the way (see the module
        docstring): call :meth:`zero_grad` first.
        """
        for layer in reversed(self.layers):
            dL_dy = layer.backward(dL_dy)  # dL/dy^{l-1} = dL/dx^l
        return dL_dy

    def zero_grad(self) -> None:
        """Set every layer's gradients to zero (before a training step's backward pass)."""
        for layer in self.layers:
            layer.zero_grad()

    def parameters(self) -> dict[str, Array]:
        """Every parameter, named ``"<layer index>.<name>"``, in layer order (once each)."""
        return _flat(self.layers, "params")

    def gradients(self) -> dict[str, Array]:
        """The accumulated gradients, named like :meth:`parameters`."""
        return _flat(self.layers, "grads")

    def branches(self, x: Array) -> NDArray[np.bool_]:
        """Every ReLU's mask (pre-activation > 0) at ``x``, flattened and concatenated.

        Two inputs with equal ``branches`` lie on the same linear piece of a ReLU network,
        which is how a gradient checker tells a kink from a wrong gradient. Runs a forward
        pass, which replaces the cached values. Returns an empty array if there is no ReLU.
        """
        self.forward(x)
        masks = [layer.mask().ravel() for layer in self.layers if isinstance(layer, ReLU)]
        return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def _flat(modules: list[Module], attr: str) -> dict[str, Array]:
    """``attr`` (params or grads) of every module, keyed ``"<index>.<name>"``; a parameter
    array shared by several modules appears once, under its first name."""
    out: dict[str, Array] = {}
    seen: set[int] = set()
    for i, module in enumerate(modules):
        d: dict[str, Any] = getattr(module, attr)
        for name, value in d.items():
            key = id(module.params[name])  # the parameter's identity decides, for both dicts
            if key not in seen:
                seen.add(key)
                out[f"{i}.{name}"] = value
    return out
