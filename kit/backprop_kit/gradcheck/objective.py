"""The loss at a point made of named tensors, and the finite differences taken on it.

:class:`Objective` owns private float64 copies of the point, calls the loss (``f(x)`` for a
single tensor, ``f(**tensors)`` for named ones), counts evaluations, and answers the
questions the checker asks: the loss along a direction, the loss with one entry moved,
and whether the branch indicators (ReLU masks, max winners) differ between two points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from backprop_kit._types import Array
from backprop_kit.gradcheck._differences import EPS, noise_level

SINGLE = "x"  #: the name given to the point when it is one array


class Objective:
    """Evaluate ``f`` (and ``branches``) at the point with one tensor replaced.

    Parameters
    ----------
    f : the scalar loss, called as ``f(x)`` when ``single`` else ``f(**tensors)``
    tensors : name -> ndarray, already private float64 copies (never written to for long:
        an entry moved in place is restored in a ``finally``)
    single : whether ``f`` takes one positional array
    branches : optional, same calling convention as ``f``, returning branch indicators
    h : the step of the central differences
    """

    def __init__(
        self,
        f: Callable[..., Any],
        tensors: Mapping[str, Array],
        single: bool,
        branches: Callable[..., Any] | None = None,
        h: float = 1e-5,
    ) -> None:
        self.f = f
        self.step = h  #: the step of the central differences
        self.tensors = dict(tensors)
        self.single = single
        self.branches = branches
        self.evaluations = 1
        self.branch_evaluations = 0
        self._base: Array | None = None  # branch indicators at the point, when needed
        raw = self._call(f, None, None)
        self.loss = float(raw)  #: f at the point itself
        self.eps = _precision(raw)  #: machine epsilon of the loss as f returns it

    # ------------------------------------------------------------------ evaluations

    def _call(self, fn: Callable[..., Any], name: str | None, value: Array | None) -> Any:
        if name is None or value is None:
            args = self.tensors
        else:
            args = {**self.tensors, name: value}
        return fn(args[SINGLE]) if self.single else fn(**args)

    def value(self, name: str | None = None, value: Array | None = None) -> float:
        """``f`` at the point, with tensor ``name`` replaced by ``value`` if given."""
        self.evaluations += 1
        return float(self._call(self.f, name, value))

    def indicators(self, name: str, value: Array) -> Array:
        """``branches`` at the point with tensor ``name`` replaced by ``value``."""
        assert self.branches is not None
        self.branch_evaluations += 1
        found = self._call(self.branches, name, value)
        if isinstance(found, list | tuple):  # e.g. one ReLU mask per layer
            return np.concatenate([np.ravel(np.asarray(m)) for m in found])
        return np.asarray(found)

    def along(self, name: str, u: Array, step: float) -> tuple[float, float]:
        """``f(x + step u)`` and ``f(x - step u)``, moving only tensor ``name``."""
        x = self.tensors[name]
        return self.value(name, x + step * u), self.value(name, x - step * u)

    def entry(self, name: str, i: int, step: float) -> tuple[float, float]:
        """``f`` with flat entry ``i`` of tensor ``name`` moved by ``+step`` and ``-step``."""
        flat = self.tensors[name].reshape(-1)  # a view: the private copy is C-contiguous
        saved = flat[i]
        try:
            flat[i] = saved + step
            plus = self.value()
            flat[i] = saved - step
            minus = self.value()
        finally:
            flat[i] = saved
        return plus, minus

    # --------------------------------------------------------------------- kinks

    def crosses(self, name: str, u: Array, step: float) -> bool:
        """Whether the branch indicators differ between ``x + step u`` and ``x - step u``."""
        x = self.tensors[name]
        plus = self.indicators(name, x + step * u)
        minus = self.indicators(name, x - step * u)
        return plus.shape != minus.shape or not bool(np.array_equal(plus, minus))

    def crosses_entry(self, name: str, i: int, step: float) -> bool:
        """Whether the branch indicators differ when flat entry ``i`` moves by +-step."""
        return self.crosses(name, self._unit(name, i), step)

    def keeps_branch(self, name: str, i: int, step: float) -> bool:
        """Whether moving flat entry ``i`` by ``step`` keeps the indicators of the point."""
        if self._base is None:
            self._base = self.indicators(name, self.tensors[name])
        moved = self.indicators(name, self.tensors[name] + step * self._unit(name, i))
        return moved.shape == self._base.shape and bool(np.array_equal(moved, self._base))

    def _unit(self, name: str, i: int) -> Array:
        u = np.zeros(self.tensors[name].shape)
        u.reshape(-1)[i] = 1.0
        return u

    # ---------------------------------------------------------------- tolerances

    def noise(self, step: float) -> float:
        """Round-off allowance of a central difference of ``step`` at this loss."""
        return noise_level(self.loss, step, self.eps)


def _precision(raw: Any) -> float:
    """Machine epsilon of the loss as returned: float32 losses are far noisier."""
    if isinstance(raw, np.generic | np.ndarray) and np.issubdtype(raw.dtype, np.floating):
        return max(EPS, float(np.finfo(raw.dtype).eps))
    return EPS
