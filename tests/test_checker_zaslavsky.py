"""The checker's chamber count (Zaslavsky, exact intersection lattice) against the BFS/LP
enumerator and the general-position formula: two independent algorithms must agree."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers, general_position_count
from relucert.verify.checker import exact_chamber_count


def normals(X):
    rows = {tuple(Fraction(float(v)) for v in row) + (Fraction(1),) for row in np.asarray(X, float)}
    return sorted(rows)


@pytest.mark.parametrize("d,n", [(1, 5), (2, 7), (3, 6)])
def test_general_position_formula(d, n):
    X = np.random.default_rng(d * 10 + n).standard_normal((n, d))
    assert exact_chamber_count(normals(X)) == general_position_count(n, d)


DEGENERATE = {
    "grid3x3": np.array([[i, j] for i in range(3) for j in range(3)], float),
    "repeats_1d": np.array([[0.0], [1.0], [1.0], [2.5], [0.0]]),
    "collinear_2d": np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 1.0], [3.0, -1.0]]),
    "coplanar_3d": np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 2, 3]], float),
    "all_equal": np.array([[0.5, 0.5], [0.5, 0.5]]),
    "two_points_2d": np.array([[0.0, 1.0], [2.0, -1.0]]),
    "line_in_3d": np.array([[0, 0, 0], [1, 1, 1], [2, 2, 2], [0, 1, 0]], float),
}


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_counts_match_enumeration(name):
    X = DEGENERATE[name]
    assert exact_chamber_count(normals(X)) == enumerate_chambers(X).n_chambers


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_twin_of_the_arrangement_count(name):
    """The checker's exact_chamber_count is the deliberate twin of the arrangement's
    (same name, separate code path on rationals): both count the same chambers."""
    from relucert import arrangement

    X = DEGENERATE[name]
    assert exact_chamber_count(normals(X)) == arrangement.exact_chamber_count(X)
