"""Type aliases shared by the package."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

#: A floating-point array (float64 unless a caller chose otherwise).
Array: TypeAlias = NDArray[np.floating[Any]]
#: An integer array (class labels).
IntArray: TypeAlias = NDArray[np.integer[Any]]
