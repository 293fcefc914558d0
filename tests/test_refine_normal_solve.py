"""Issue 16, session 11: the double-double refinement's normal-equation solves
(lp/compensated.py, ``_normal_solver``) come from the triangular factor of a Householder QR when
its bound ``||R||_F ||R^-1||_F`` shows the columns well inside the rank test, from the SVD
otherwise (which then decides the rank). Checked against the stationary point in exact
rationals (tests/lasso_helpers.py: Gauss-Jordan on Fractions, nothing from relucert.lp)."""
import numpy as np
import pytest

from relucert.lp import compensated
from relucert.lp.compensated import refined_stationary_dual
from relucert.tolerances import DEFAULT
from lasso_helpers import exact_stationary


def _relu_columns(rng, n, k):
    Xl = np.hstack([rng.standard_normal((n, 2)), np.ones((n, 1))])
    T = rng.standard_normal((k, 3))
    return np.maximum(0.0, Xl @ T.T)


@pytest.mark.parametrize("seed, n, k, lam", [(0, 30, 12, 1e-3), (3, 40, 15, 1e-5), (2, 40, 8, 0.1)])
def test_qr_path_matches_the_exact_stationary_point(seed, n, k, lam, monkeypatch):
    rng = np.random.default_rng(seed)
    A = _relu_columns(rng, n, k)
    y = rng.standard_normal(n)
    if np.linalg.matrix_rank(A) < k:
        pytest.skip("rank deficient draw")

    def no_svd(*args, **kwargs):
        raise AssertionError("the SVD ran: the QR bound should have passed")

    monkeypatch.setattr(compensated.np.linalg, "svd", no_svd)
    z0 = np.linalg.lstsq(A, y, rcond=None)[0]
    out = refined_stationary_dual(A, y, lam, np.ones(k), z0, 3, DEFAULT.rank)
    assert out is not None
    z_hi, z_lo, p, g_norm = out
    exact = exact_stationary(A, y, lam)
    assert np.max(np.abs((z_hi + z_lo) - exact)) <= 1e-13 * max(1.0, float(np.max(np.abs(exact))))
    assert np.allclose(p, (y - A @ exact) / lam, rtol=1e-9, atol=1e-9 * float(np.max(np.abs(p))))


def test_ill_conditioned_columns_fall_back_to_the_svd_and_rank_deficient_ones_give_none(monkeypatch):
    rng = np.random.default_rng(4)
    A = _relu_columns(rng, 30, 6)
    calls = []
    real = np.linalg.svd

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compensated.np.linalg, "svd", counting)
    near = np.hstack([A, A[:, :1] + 1e-8 * rng.standard_normal((30, 1))])
    B = near / np.ldexp(1.0, np.frexp(np.linalg.norm(near, axis=0))[1])
    s = real(B, compute_uv=False)
    rank_tol = 0.5 * s[-1] / s[0]   # the SVD passes it (by a factor 2); the QR bound (>= s_max/s_min) cannot
    y = rng.standard_normal(30)
    out = refined_stationary_dual(near, y, 0.01, np.ones(7), np.zeros(7), 3, rank_tol)
    assert calls and out is not None
    exact = exact_stationary(near, y, 0.01)
    assert np.max(np.abs((out[0] + out[1]) - exact)) <= 1e-6 * float(np.max(np.abs(exact)))
    calls.clear()
    dependent = np.hstack([A, A[:, :1] + A[:, 1:2]])
    assert refined_stationary_dual(dependent, y, 0.01, np.ones(7), np.zeros(7), 2, DEFAULT.rank) is None
    assert calls   # the SVD decided the rank
