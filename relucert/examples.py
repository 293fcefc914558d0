"""Built-in example data sets (generated, never downloaded)."""
from __future__ import annotations

import numpy as np

__all__ = ["demo_2d", "toy_1d"]


def toy_1d() -> tuple[np.ndarray, np.ndarray]:
    """Three points on a line: x = 0, 1, 2 with y = 0, 1, 0 (a hand-checkable tent)."""
    return np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 0.0])


def demo_2d(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in the plane labelled by a two-neuron ReLU teacher."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = np.maximum(0.0, X @ np.array([1.0, 0.5]) + 0.2) - 0.8 * np.maximum(0.0, X @ np.array([-0.4, 1.0]) - 0.1)
    return X, y
