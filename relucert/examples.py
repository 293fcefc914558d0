"""Built-in example data sets (generated, never downloaded)."""
from __future__ import annotations

import numpy as np

__all__ = ["demo_2d", "toy_1d", "battery", "BATTERY_FAMILIES", "DEMO_LAM"]

#: The regularisation weight of ``relucert demo`` on :func:`demo_2d`.
DEMO_LAM = 0.01


def toy_1d() -> tuple[np.ndarray, np.ndarray]:
    """Three points on a line: x = 0, 1, 2 with y = 0, 1, 0 (a hand-checkable tent)."""
    return np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 0.0])


def demo_2d(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in the plane labelled by a two-neuron ReLU teacher."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = np.maximum(0.0, X @ np.array([1.0, 0.5]) + 0.2) - 0.8 * np.maximum(0.0, X @ np.array([-0.4, 1.0]) - 0.1)
    return X, y


#: The battery's label families (issue 16): ordinary data a new user would try.
BATTERY_FAMILIES = ("gauss-smooth", "gauss-kinked", "uniform-smooth", "uniform-noise", "teacher")


def battery(family: str, n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One seeded instance of an ordinary-data family (``BATTERY_FAMILIES``):

    - ``gauss-smooth``: Gaussian X, ``y = sin(2 x_1) cos(x_d) + 0.1 noise``;
    - ``gauss-kinked``: Gaussian X, ``y = |x_1| - relu(x_d - 0.3) + 0.1 noise``;
    - ``uniform-smooth``: X uniform on [-1, 1]^d, ``y = sin(3 x_1) + 0.05 noise``;
    - ``uniform-noise``: X uniform on [-1, 1]^d, ``y`` standard normal (random labels);
    - ``teacher``: Gaussian X, a three-neuron ReLU teacher plus ``0.05 noise``.

    >>> X, y = battery("teacher", 5, 2, seed=1)
    >>> X.shape, y.shape
    ((5, 2), (5,))
    """
    if family not in BATTERY_FAMILIES:
        raise ValueError(f"family must be one of {BATTERY_FAMILIES}; got {family!r}")
    rng = np.random.default_rng([seed, n, d, BATTERY_FAMILIES.index(family)])
    if family.startswith("uniform"):
        X = rng.uniform(-1.0, 1.0, size=(n, d))
    else:
        X = rng.standard_normal((n, d))
    noise = rng.standard_normal(n)
    if family == "gauss-smooth":
        y = np.sin(2.0 * X[:, 0]) * np.cos(X[:, -1]) + 0.1 * noise
    elif family == "gauss-kinked":
        y = np.abs(X[:, 0]) - np.maximum(0.0, X[:, -1] - 0.3) + 0.1 * noise
    elif family == "uniform-smooth":
        y = np.sin(3.0 * X[:, 0]) + 0.05 * noise
    elif family == "uniform-noise":
        y = noise
    else:
        W = rng.standard_normal((3, d))
        b = rng.standard_normal(3) * 0.5
        a = np.array([1.0, -1.0, 0.5])
        y = np.maximum(0.0, X @ W.T + b) @ a + 0.05 * noise
    return X, y
