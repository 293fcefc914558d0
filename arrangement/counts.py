"""Chamber counts: the general-position formula and a cheap estimate."""
from __future__ import annotations

from math import comb

import numpy as np

__all__ = ["general_position_count", "estimate_chambers"]


def general_position_count(n: int, d: int) -> int:
    """``2 * sum_{k=0..d} C(n-1, k)``: chambers of n hyperplanes in general position
    in R^{d+1} (lifted data ``(x_i, 1)``, any d+1 of them linearly independent).

    >>> general_position_count(3, 1)
    6
    >>> general_position_count(4, 2)
    14
    """
    if n <= 0:
        return 1
    return 2 * sum(comb(n - 1, k) for k in range(0, d + 1))


def estimate_chambers(X: np.ndarray) -> int:
    """An upper bound on the chamber count, computed without enumeration.

    Uses the general-position formula with n the number of distinct points and d
    replaced by the rank of the lifted data minus one (a rank-r central arrangement of
    k hyperplanes has at most ``2 sum_{i<r} C(k-1, i)`` chambers).
    """
    X = np.asarray(X, dtype=np.float64)
    Xl = np.hstack([X, np.ones((X.shape[0], 1))])
    k = np.unique(Xl, axis=0).shape[0]
    r = int(np.linalg.matrix_rank(Xl))
    return general_position_count(k, r - 1)
