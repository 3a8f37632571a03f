"""Small datasets generated from a seed: the same seed gives the same data, no downloads.

Every generator returns float64 inputs ``x`` of shape (N, D) with the points grouped by
class (class 0 first); classification sets also return int64 ``labels`` of shape (N,) in
``0 .. n_classes - 1``. ``spiral`` is the lessons' set; ``blobs`` feeds the gradient-checking
benchmark.
"""

from __future__ import annotations

import numpy as np

from backprop_kit._types import Array, IntArray


def spiral(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[Array, IntArray]:
    """Interleaved spiral arms in the plane, one per class: not linearly separable.

    Point ``i`` of arm ``c`` sits at radius ``r = i / (n_per_class - 1)`` in ``[0, 1]`` and
    angle ``theta = 4 (c + r) + noise * eps`` with ``eps ~ Normal(0, 1)``, i.e. at
    ``r (sin theta, cos theta)``: each arm turns through 4 radians.

    Returns
    -------
    x : ndarray of shape (n_per_class * n_classes, 2)
    labels : int ndarray of shape (n_per_class * n_classes,)
    """
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)  # (N,)
    labels = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)  # (N,)
    theta = 4.0 * (labels + r) + noise * rng.standard_normal(r.size)  # (N,)
    x = r[:, None] * np.stack([np.sin(theta), np.cos(theta)], axis=1)  # (N, 2)
    return x, labels


def blobs(
    n_per_class: int = 100,
    n_classes: int = 3,
    n_features: int = 2,
    std: float = 0.5,
    seed: int = 0,
) -> tuple[Array, IntArray]:
    """Gaussian clusters of std ``std`` around centres at distance 2 from the origin.

    The centres lie evenly spaced on a circle in the first two coordinates (the other
    coordinates of a centre are 0), so the classes are separable for small ``std``.

    Returns
    -------
    x : ndarray of shape (n_per_class * n_classes, n_features), ``n_features >= 2``
    labels : int ndarray of shape (n_per_class * n_classes,)
    """
    if n_features < 2:
        raise ValueError(f"n_features must be at least 2, not {n_features}")
    rng = np.random.default_rng(seed)
    angle = 2 * np.pi * np.arange(n_classes) / n_classes  # (C,)
    centres = np.zeros((n_classes, n_features))
    centres[:, 0], centres[:, 1] = 2 * np.cos(angle), 2 * np.sin(angle)
    labels = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    x = centres[labels] + std * rng.standard_normal((labels.size, n_features))
    return x, labels
