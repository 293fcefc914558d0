"""Issue 15: exact interior points of chambers narrower than float resolution.

Regression: the chamber-list certificate (/1) rounded each chamber's float interior point
to 20/40/60-bit integers and, failing those, used the float point itself; for a chamber
narrower than float resolution none of them is inside (the enumeration keeps such a
chamber's exact point in ``Arrangement.rational_interior``, which the builder ignored), so
the certificate failed closed at n = 442 on the diabetes data ("chambers.interior_points:
... on the wrong side of hyperplane 432"). Here the same sliver comes from
``0.1 + 0.2 != 0.3`` at n = 6.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers, lift
from relucert.arrangement.exact_interior import exact_interior_point
from relucert.errors import CertificateError
from relucert.verify.certificate_hints import INTERIOR_BITS, interior_points

# three points on the line x_1 = x_2 as decimals, not as floats: 0.1 + 0.2 != 0.3
SLIVER_X = np.array([[0.1, 0.1], [0.2, 0.2], [0.1 + 0.2, 0.3], [1.0, -0.5], [-0.7, 0.4], [0.5, 0.9]])
SLIVER_Y = np.array([0.3, -0.2, 0.5, 1.0, -0.4, 0.2])


def _int_rows(X):
    """The lifted rows as exact integers (one common denominator)."""
    rows = [[Fraction(float(v)) for v in row] + [Fraction(1)] for row in X]
    den = math.lcm(*(v.denominator for row in rows for v in row))
    return np.array([[int(v * den) for v in row] for row in rows], dtype=object)


def _inside(point, X, signs) -> bool:
    """Independent exact check: ``s_i <point, x~_i> > 0`` for every data point."""
    return all(s * sum(Fraction(p) * Fraction(float(v)) for p, v in zip(point, row)) > 0
               for row, s in zip(lift(X), signs))


def test_exact_interior_point_of_a_sliver_and_of_empty_cones():
    # the cone between t_1 = 0 and t_1 = t_2 / 2^60 (far thinner than float resolution)
    z = exact_interior_point([[1, 0], [-(2 ** 60), 1]], [1, 1])
    assert z[0] > 0 and -(2 ** 60) * z[0] + z[1] > 0
    # empty open cones: one hyperplane with both signs, a half-plane's boundary line,
    # and three lines whose signs cannot all hold (1-D data 0, 1, 2 with signs +, -, +)
    assert exact_interior_point([[1, 0], [1, 0]], [1, -1]) is None
    assert exact_interior_point([[1, 0, 0], [-1, 0, 0], [0, 1, 0]], [1, 1, 1]) is None
    assert exact_interior_point([[0, 1], [1, 1], [2, 1]], [1, -1, 1]) is None


def test_sliver_chambers_defeat_float_rounding():
    """The data really has chambers that no rounding of a float point reaches (the
    situation of the n = 442 failure), and exact points exist for them."""
    arr = enumerate_chambers(SLIVER_X)
    thin = sorted(arr.rational_interior or {})
    assert thin, "the data must have chambers narrower than float resolution"
    signs = arr.sign_matrix(thin)
    for k, s in zip(thin, signs):
        for bits in INTERIOR_BITS:
            rounded = [Fraction(round(float(v) * (1 << bits))) for v in arr.interior[k]]
            assert not _inside(rounded, SLIVER_X, s)
        assert not _inside([Fraction(float(v)) for v in arr.interior[k]], SLIVER_X, s)
        assert _inside(arr.rational_interior[k], SLIVER_X, s)


@pytest.mark.parametrize("with_hints", [True, False])
def test_interior_points_exact_for_every_chamber(with_hints):
    """Every chamber gets a verified point, from the enumeration's exact hint or, without
    it, from the exact extreme rays of the chamber's cone."""
    arr = enumerate_chambers(SLIVER_X)
    masks = arr.sign_matrix(slice(0, arr.n_chambers)) > 0
    hints = [(arr.rational_interior or {}).get(k) for k in range(arr.n_chambers)] if with_hints else None
    points = interior_points(_int_rows(SLIVER_X), masks, np.asarray(arr.interior), hints)
    for k, point in enumerate(points):
        assert _inside(point, SLIVER_X, np.where(masks[k], 1, -1)), k


def test_a_pattern_that_is_no_chamber_fails_closed():
    X = np.array([[0.0], [1.0], [2.0]])
    masks = np.array([[True, False, True]])  # +, -, + on 0, 1, 2: empty
    with pytest.raises(CertificateError, match="chamber 0: .*empty interior"):
        interior_points(_int_rows(X), masks, np.array([[0.0, 1.0]]))


def test_chamber_list_certificate_verifies_with_sliver_chambers():
    from relucert import solve
    from relucert.verify import check_certificate, make_exact_certificate

    sol = solve(SLIVER_X, SLIVER_Y, 0.05, progress=False)
    assert sol.success
    cert = make_exact_certificate(sol, progress=False)
    assert cert.report.passed
    assert check_certificate(cert.to_dict()).passed
    assert cert.n_chambers == enumerate_chambers(SLIVER_X).n_chambers
