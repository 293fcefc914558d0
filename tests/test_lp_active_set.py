"""lp/active_set.py: the non-negative lasso by a primal active-set method, checked
against an interior-point solve of the same QP (clarabel, a different algorithm) and
against the optimality conditions, on rank-deficient column sets and on the small-lam
ReLU features where HiGHS's QP answer was not optimal on its own columns."""
import numpy as np
import pytest

import relucert
from relucert.lp.active_set import nonneg_lasso_active_set
from relucert.lp.conic import solve_program_conic
from relucert.lp.programs import build_lasso_qp, lasso_qp
from relucert.tolerances import DEFAULT
from lasso_helpers import exact_stationary


def _conic_objective(Phi, y, lam):
    prog, _ = build_lasso_qp(Phi, y, lam)
    res = solve_program_conic(prog)
    c = np.maximum(res.x[: Phi.shape[1]], 0.0)
    r = y - Phi @ c
    return 0.5 * float(r @ r) + lam * float(c.sum())


def _assert_kkt(Phi, y, lam, res):
    assert res.converged
    assert np.all(res.c >= 0)
    g = Phi.T @ res.p
    assert g.max() <= 1 + DEFAULT.dual_feas
    assert np.allclose(g[res.c > 0], 1.0, atol=1e-9)
    assert np.allclose(res.p, (y - Phi @ res.c) / lam, atol=1e-8 * max(1.0, np.abs(res.p).max()))


def _degenerate_columns(rng, n, k):
    """Random columns plus exact duplicates, negations and positive sums of others."""
    B = rng.standard_normal((n, k))
    return np.hstack([B, B[:, :3], -B[:, 3:6], B[:, [0]] + B[:, [1]], 2.0 * B[:, [2]]])


@pytest.mark.parametrize("seed,n,k,lam", [(0, 12, 20, 0.3), (1, 5, 30, 0.05), (2, 30, 8, 1.0),
                                          (3, 8, 40, 0.01), (4, 20, 60, 0.002)])
def test_active_set_matches_interior_point(seed, n, k, lam):
    rng = np.random.default_rng(seed)
    Phi = _degenerate_columns(rng, n, k)
    y = rng.standard_normal(n)
    res = nonneg_lasso_active_set(Phi, y, lam)
    _assert_kkt(Phi, y, lam, res)
    r = y - Phi @ res.c
    obj = 0.5 * float(r @ r) + lam * res.c.sum()
    ref = _conic_objective(Phi, y, lam)
    # the active-set answer is optimal: never worse than the interior point, and close
    assert obj <= ref + 1e-9 * max(1.0, abs(ref))
    assert obj == pytest.approx(ref, rel=1e-7, abs=1e-9)
    # the support it returns has independent columns (a basic solution)
    S = res.c > 0
    if S.any():
        assert np.linalg.matrix_rank(Phi[:, S]) == S.sum()


@pytest.mark.parametrize("seed", range(4))
def test_any_warm_start_reaches_the_same_optimum(seed):
    rng = np.random.default_rng(10 + seed)
    Phi = _degenerate_columns(rng, 10, 25)
    y = rng.standard_normal(10)
    cold = nonneg_lasso_active_set(Phi, y, 0.1)
    warm = nonneg_lasso_active_set(Phi, y, 0.1, rng.exponential(size=Phi.shape[1]))
    _assert_kkt(Phi, y, 0.1, warm)
    # the optimal fit (hence p) is unique even where c is not
    assert np.allclose(cold.p, warm.p, atol=1e-8)


def _relu_features(rng, n, k):
    X = rng.standard_normal((n, 1))
    Xl = np.hstack([X, np.ones((n, 1))])
    T = rng.standard_normal((k, 2))
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    F = np.maximum(0.0, Xl @ T.T)
    return np.hstack([F, -F]), rng.standard_normal(n)


def test_small_lam_relu_columns_are_optimal_on_the_set():
    """At lam = 0.001 HiGHS's QP alone stopped at max Phi^T p = 1.004 on such columns;
    lasso_qp's answer must satisfy the finite optimality conditions."""
    rng = np.random.default_rng(1)
    Phi, y = _relu_features(rng, 20, 150)
    sol = lasso_qp(Phi, y, 0.001)
    assert (Phi.T @ sol.p).max() <= 1 + DEFAULT.dual_feas
    assert sol.objective <= _conic_objective(Phi, y, 0.001) + 1e-9


def test_warm_start_in_lasso_qp_equals_cold_solve():
    rng = np.random.default_rng(3)
    Phi, y = _relu_features(rng, 25, 80)
    cold = lasso_qp(Phi, y, 0.01)
    warm = lasso_qp(Phi, y, 0.01, warm_start=np.r_[cold.c[:40], np.zeros(Phi.shape[1] - 40)])
    assert warm.objective == pytest.approx(cold.objective, rel=1e-10)
    assert np.allclose(warm.p, cold.p, atol=1e-7)


def test_budget_exhaustion_is_reported_not_hidden():
    rng = np.random.default_rng(5)
    Phi = rng.standard_normal((10, 30))
    res = nonneg_lasso_active_set(Phi, rng.standard_normal(10), 0.01, max_steps=1)
    assert not res.converged


@pytest.mark.parametrize("d,n,lam,seed", [(1, 20, 1e-3, 1), (2, 20, 1e-3, 0), (1, 30, 1e-3, 1)])
def test_small_lam_instances_that_used_to_stall_now_certify(d, n, lam, seed):
    """These instances exhausted the exchange method (HiGHS's non-optimal finite QP
    made it re-find the same violators every round)."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    sol = relucert.solve(X, y, lam, progress=False)
    assert sol.status == "optimal"
    # the gap is relative to max(1, |objective|) in the solver's units: labels divided by a
    # power of two c_y near max|y_i| (proofs/natural_units.md)
    c_y = sol.info["scaling"]["y"]
    assert sol.duality_gap <= DEFAULT.obj_gap * max(c_y * c_y, abs(sol.objective))
    assert sol.info["relative_gap"] <= DEFAULT.obj_gap


def test_stationary_point_is_accurate_when_column_norms_spread():
    """X in units of 10^6 (issue 12): after the solver's power-of-two scaling the lift's bias
    coordinate is ~2^-22, so kink atoms have features ~1e-8 and the others ~1 (cond ~2e8).
    The equilibrated SVD gives every column's share of the fit to ~1e-12 of ||y|| (exact
    rational reference) and a network whose own dual p = (y - A z)/lam satisfies
    A^T p = 1 to the rounding floor (an unequilibrated SVD: shares off by 6e-9, A^T p off
    by 0.09 at this lam)."""
    from relucert.lp.active_set import _stationary_point
    from relucert.tolerances import DEFAULT

    rng = np.random.default_rng(0)
    n = 30
    x = np.sort(rng.standard_normal(n)) * 1e6
    Xl = np.column_stack([x, np.ones(n)])
    Xl = Xl / np.ldexp(1.0, np.frexp(np.max(np.linalg.norm(Xl, axis=1)))[1])
    kinks = 0.5 * (Xl[1::3, 0] + Xl[2::3, 0])
    T = np.array([[1.0, -k / Xl[0, 1]] for k in kinks] + [[1.0, 0.3], [-1.0, 0.2]])
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    A = np.maximum(0.0, Xl @ T.T)
    y = np.sin(2.0 * x / 1e6)
    lam = 0.05 / 2.0 ** 23
    norms = np.linalg.norm(A, axis=0)
    assert norms.max() / norms.min() > 1e7
    z, p = _stationary_point(A, y, lam, DEFAULT)
    ze = exact_stationary(A, y, lam)
    assert np.max(np.abs(z - ze) * norms) <= 1e-10 * np.linalg.norm(y)
    assert np.max(np.abs(A.T @ p - 1.0)) <= 1e-5
    assert np.max(np.abs(A.T @ ((y - A @ z) / lam) - 1.0)) <= 1e-4
