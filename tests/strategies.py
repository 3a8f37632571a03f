"""Hypothesis strategies shared by the tests of the numpy reference."""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

#: Small widths: finite differences cost two evaluations per entry.
dims = st.integers(1, 5)


def values(lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def off_kink(lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Values at least 1e-3 away from 0, the ReLU kink (FD steps are 1e-6)."""
    return values(lo, hi).filter(lambda v: abs(v) > 1e-3)


def arrays(shape: Any, elements: st.SearchStrategy[float] | None = None) -> Any:
    return hnp.arrays(np.float64, shape, elements=values() if elements is None else elements)


def shapes(min_dims: int = 1, max_dims: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=4)
