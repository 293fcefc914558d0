"""lp/compensated.py: the double-double kernels against exact rational arithmetic
(issue 12, "data in natural units"; proofs/natural_units.md, "Compensated duals")."""
from fractions import Fraction

import numpy as np
import pytest

from relucert.lp.compensated import (dot_transpose, masked_sums, refined_stationary_dual, residual, two_prod,
                                     two_sum)

EPS = np.finfo(float).eps


def _wide(rng, shape):
    """Floats over many binades, both signs."""
    return rng.standard_normal(shape) * np.ldexp(1.0, rng.integers(-30, 30, size=shape))


def test_two_sum_and_two_prod_are_error_free():
    rng = np.random.default_rng(0)
    a, b = _wide(rng, 500), _wide(rng, 500)
    s, e = two_sum(a, b)
    p, f = two_prod(a, b)
    for k in range(a.size):
        assert Fraction(s[k]) + Fraction(e[k]) == Fraction(a[k]) + Fraction(b[k])
        assert Fraction(p[k]) + Fraction(f[k]) == Fraction(a[k]) * Fraction(b[k])


def _cancelling(rng, n, k):
    """y = A z up to a small residual: every entry of y - A z cancels terms ~1e6 times larger."""
    A = np.abs(rng.standard_normal((n, k))) * np.ldexp(1.0, rng.integers(-20, 1, size=k))[None, :]
    z = rng.standard_normal(k) * 1e6 / np.max(A, axis=0)
    y = A @ z + 1e-6 * rng.standard_normal(n)
    return A, y, z


def test_residual_is_accurate_where_the_float_residual_cancels():
    rng = np.random.default_rng(1)
    A, y, z = _cancelling(rng, 30, 12)
    z_lo = z * EPS * rng.standard_normal(z.size)  # a genuine double-double z
    hi, lo = residual(y, A, z, z_lo)
    for i in range(y.size):
        exact = Fraction(y[i]) - sum(Fraction(A[i, j]) * (Fraction(z[j]) + Fraction(z_lo[j])) for j in range(z.size))
        terms = abs(y[i]) + float(np.abs(A[i]) @ (np.abs(z) + np.abs(z_lo)))
        err = abs(float(Fraction(hi[i]) + Fraction(lo[i]) - exact))
        # Dot2: eps |result| + (n eps)^2 |terms|, against eps |terms| for the float residual
        assert err <= 2 * EPS * abs(float(exact)) + (4 * z.size * EPS) ** 2 * terms + 2 * EPS * float(np.abs(A[i]) @ np.abs(z_lo)) * EPS
    naive = y - A @ z
    exact0 = np.array([float(Fraction(y[i]) - sum(Fraction(A[i, j]) * Fraction(z[j]) for j in range(z.size)))
                       for i in range(y.size)])
    hi0, lo0 = residual(y, A, z)
    assert np.max(np.abs(hi0 + lo0 - exact0)) * 1e3 < np.max(np.abs(naive - exact0))


def test_dot_transpose_and_masked_sums_against_fractions():
    rng = np.random.default_rng(2)
    A, r, _ = _cancelling(rng, 25, 7)
    r_lo = r * EPS * rng.standard_normal(r.size)
    hi, lo = dot_transpose(A, r, r_lo)
    for j in range(A.shape[1]):
        exact = sum(Fraction(A[i, j]) * (Fraction(r[i]) + Fraction(r_lo[i])) for i in range(r.size))
        terms = float(np.abs(A[:, j]) @ np.abs(r))
        assert abs(float(Fraction(hi[j]) + Fraction(lo[j]) - exact)) <= 2 * EPS * abs(float(exact)) + (4 * r.size * EPS) ** 2 * terms
    p = rng.standard_normal(40) * 1e7
    X = rng.standard_normal((40, 3))
    mask = rng.random((60, 40)) < 0.5
    V = masked_sums(mask, p, X)
    for k in range(mask.shape[0]):
        for c in range(3):
            exact = sum((Fraction(p[i]) * Fraction(X[i, c]) for i in np.flatnonzero(mask[k])), Fraction(0))
            terms = float(np.abs(p[mask[k]]) @ np.abs(X[mask[k], c]))
            assert abs(float(Fraction(V[k, c]) - exact)) <= EPS * abs(float(exact)) + (4 * 40 * EPS) ** 2 * terms


def _exact_stationary(A, y, lam):
    """The exact rational stationary point of 0.5 ||A z - y||^2 + lam 1^T z: (A^T A) z = A^T y - lam 1."""
    n, k = A.shape
    Af = [[Fraction(v) for v in row] for row in A]
    M = [[sum(Af[i][a] * Af[i][b] for i in range(n)) for b in range(k)] for a in range(k)]
    rhs = [sum(Af[i][a] * Fraction(y[i]) for i in range(n)) - Fraction(lam) for a in range(k)]
    for col in range(k):  # Gauss-Jordan in rationals
        piv = next(r for r in range(col, k) if M[r][col] != 0)
        M[col], M[piv], rhs[col], rhs[piv] = M[piv], M[col], rhs[piv], rhs[col]
        for r in range(k):
            if r != col and M[r][col] != 0:
                f = M[r][col] / M[col][col]
                M[r] = [M[r][c] - f * M[col][c] for c in range(k)]
                rhs[r] -= f * rhs[col]
    z = [rhs[a] / M[a][a] for a in range(k)]
    p = [(Fraction(y[i]) - sum(Af[i][a] * z[a] for a in range(k))) / Fraction(lam) for i in range(n)]
    return z, p


@pytest.mark.parametrize("seed", [0, 1])
def test_refined_stationary_dual_matches_the_exact_rational_dual(seed):
    """Columns whose norms spread over 1e-7 .. 1 and lam = 6e-9 (X x 1e6 after the solver's
    scaling): the refined dual is the exact stationary dual to a few ulps of |p|, and
    A^T p = 1 to 1e-12 where the float SVD formula misses by ~1e-7."""
    rng = np.random.default_rng(seed)
    n, k = 20, 6
    A = np.abs(rng.standard_normal((n, k))) * np.array([1e-7, 3e-7, 1e-6, 2e-6, 1e-5, 1.0])[None, :]
    y = rng.standard_normal(n)
    lam = 6e-9
    z_ex, p_ex = _exact_stationary(A, y, lam)
    z0 = np.array([float(v) for v in z_ex]) * (1 + 1e-6 * rng.standard_normal(k))  # a rough start
    z_hi, z_lo, p, _ = refined_stationary_dual(A, y, lam, np.ones(k), z0, 2, 1e-12)
    p_exact = np.array([float(v) for v in p_ex])
    assert np.max(np.abs(p - p_exact)) <= 4 * EPS * np.max(np.abs(p_exact))
    assert np.max(np.abs(z_hi + z_lo - np.array([float(v) for v in z_ex]))) <= 4 * EPS * np.max(np.abs(z_hi))
    stat = [sum(Fraction(A[i, j]) * Fraction(p[i]) for i in range(n)) - 1 for j in range(k)]
    assert max(abs(float(v)) for v in stat) <= 1e-12 * max(1.0, float(np.max(np.abs(p)) * np.max(A)))
    # the float stationary dual from the SVD (no compensation) is far less accurate
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    p_float = (y - U @ (U.T @ y)) / lam + U @ ((Vt @ np.ones(k)) / s)
    assert np.max(np.abs(p_float - p_exact)) > 10 * np.max(np.abs(p - p_exact))


def test_refined_stationary_dual_refuses_rank_deficient_columns():
    A = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
    assert refined_stationary_dual(A, np.ones(3), 0.1, np.ones(2), np.ones(2), 2, 1e-9) is None
