"""Datasets: shapes, dtypes, determinism per seed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from backprop_kit import data

CLASSIFICATION: dict[str, tuple[Callable[..., Any], dict[str, Any], int, int]] = {
    # name: (generator, arguments, expected N, expected D)
    "spiral": (data.spiral, {"n_per_class": 50, "n_classes": 4}, 200, 2),
    "blobs": (data.blobs, {"n_per_class": 20, "n_classes": 3, "n_features": 5}, 60, 5),
}


@pytest.mark.parametrize("name", sorted(CLASSIFICATION))
def test_classification_sets(name: str) -> None:
    make, kwargs, N, D = CLASSIFICATION[name]
    x, labels = make(**kwargs, seed=0)
    assert x.shape == (N, D) and x.dtype == np.float64 and np.all(np.isfinite(x))
    assert labels.shape == (N,) and labels.dtype == np.int64
    counts = np.bincount(labels)
    assert np.all(counts == counts[0])  # balanced, classes 0 .. C-1
    x2, labels2 = make(**kwargs, seed=0)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(labels, labels2)
    assert not np.array_equal(x, make(**kwargs, seed=1)[0])


def test_spiral_defaults_and_radius() -> None:
    x, labels = data.spiral()
    assert x.shape == (300, 2) and set(labels) == {0, 1, 2}
    assert np.linalg.norm(x, axis=1).max() <= 1.0 + 1e-12  # noise moves the angle only


def test_blobs_are_separable_when_tight() -> None:
    x, labels = data.blobs(n_per_class=50, std=0.1, seed=3)
    centres = np.stack([x[labels == c].mean(axis=0) for c in range(3)])
    nearest = np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(nearest, labels)
    with pytest.raises(ValueError, match="n_features"):
        data.blobs(n_features=1)
