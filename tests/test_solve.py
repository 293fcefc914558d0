"""relucert.solve: the exact solver, checked against independent references.

* exchange (HiGHS + exact oracle + Newton polish) vs socp (clarabel interior point on
  the full reformulation over every chamber): two different algorithms and solvers;
* instances built by construction from the optimality conditions (tests/problems.py);
* for d = 1, a fine-grid lasso on the circle solved by clarabel approaches the exact
  objective from above;
* a single-neuron target for (P_0).
"""
import numpy as np
import pytest

import relucert
from relucert.errors import SolverError, TooManyChambersError
from relucert.results import Status
from relucert.solution import Solution
from relucert.solver import solve

from problems import by_construction


def _rand(n, d, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def _dual_radius(sol):
    """||p - p_lam|| <= sqrt(2 G) / lam (strong concavity of D, DESIGN.md section 1)."""
    return np.sqrt(2 * max(sol.duality_gap, 0.0)) / sol.lam


@pytest.mark.parametrize("n,d,lam,seed", [(9, 1, 0.05, 0), (7, 2, 0.1, 1), (8, 2, 1.0, 2), (6, 3, 0.03, 3)])
def test_exchange_agrees_with_socp(n, d, lam, seed):
    X, y = _rand(n, d, seed)
    ex = solve(X, y, lam)
    so = solve(X, y, lam, method="socp")
    assert ex.status is Status.OPTIMAL and so.status is Status.OPTIMAL
    assert ex.method == "exchange" and so.method == "socp"
    assert so.objective == pytest.approx(ex.objective, rel=1e-7)
    # the dual solution is unique; both are within their certified radius of it
    tol_p = _dual_radius(ex) + _dual_radius(so) + 1e-9
    assert np.linalg.norm(ex.dual - so.dual) <= tol_p
    assert np.allclose(ex.predictions, so.predictions, atol=lam * tol_p + 1e-9)
    # the exchange answer is certified to full precision
    assert ex.duality_gap <= 1e-9 * max(1, ex.objective)
    assert ex.max_abs_certificate <= 1 + 1e-9


@pytest.mark.parametrize("n,d,seed", [(8, 1, 4), (6, 2, 5)])
def test_interpolation_exchange_agrees_with_socp(n, d, seed):
    X, y = _rand(n, d, seed)
    ex = solve(X, y, 0.0)
    so = solve(X, y, 0, method="socp")
    assert so.objective == pytest.approx(ex.objective, rel=1e-7)
    assert np.allclose(ex.predictions, y, atol=1e-9)
    assert ex.max_abs_certificate <= 1 + 1e-9
    assert ex.duality_gap <= 1e-9 * max(1, ex.objective)


@pytest.mark.parametrize("n,d,lam,seed", [(10, 1, 0.05, 1), (8, 2, 0.1, 2), (7, 3, 0.2, 3), (9, 2, 0.01, 7)])
def test_known_optimum_by_construction(n, d, lam, seed):
    kp = by_construction(n, d, lam, seed)
    sol = solve(kp.X, kp.y, kp.lam)
    assert sol.objective == pytest.approx(kp.objective, rel=1e-9)
    assert np.allclose(sol.dual, kp.p, atol=1e-8)
    assert np.allclose(sol.predictions, kp.y - kp.lam * kp.p, atol=1e-9)


def _grid_lasso_clarabel(X, y, lam, K):
    """Lasso over K fixed atoms on the circle, solved by clarabel (not HiGHS)."""
    import clarabel
    import scipy.sparse as sp

    t = np.linspace(-np.pi, np.pi, K, endpoint=False)
    T = np.stack([np.cos(t), np.sin(t)], axis=1)
    Xl = np.hstack([X, np.ones((len(X), 1))])
    Phi = np.maximum(0, Xl @ T.T)
    Phi = np.hstack([Phi, -Phi])
    n, m = Phi.shape
    # x = (c, r): min 0.5||r||^2 + lam 1'c, Phi c - r = y, c >= 0
    P = sp.csc_matrix(sp.diags(np.r_[np.zeros(m), np.ones(n)]))
    q = np.r_[np.full(m, lam), np.zeros(n)]
    A = sp.vstack([sp.hstack([sp.csc_matrix(Phi), -sp.identity(n)]),
                   sp.hstack([-sp.identity(m), sp.csc_matrix((m, n))])], format="csc")
    b = np.r_[y, np.zeros(m)]
    s = clarabel.DefaultSettings()
    s.verbose = False
    sol = clarabel.DefaultSolver(P, q, A, b, [clarabel.ZeroConeT(n), clarabel.NonnegativeConeT(m)], s).solve()
    assert str(sol.status).endswith("Solved")
    c = np.asarray(sol.x)[:m]
    r = Phi @ c - y
    return 0.5 * r @ r + lam * np.abs(c).sum()


def test_fine_grid_lasso_approaches_from_above():
    X, y = _rand(8, 1, 11)
    lam = 0.05
    exact = solve(X, y, lam).objective
    values = [_grid_lasso_clarabel(X, y, lam, K) for K in (64, 1024, 8192)]
    for v in values:
        assert v >= exact - 1e-7
    assert values[-1] - exact <= 1e-3 * exact
    assert values[-1] - exact <= values[0] - exact


def test_single_neuron_target_interpolation():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (8, 2))
    theta = np.array([1.0, -0.5, 0.2])
    theta /= np.linalg.norm(theta)
    y = 1.5 * np.maximum(0, np.hstack([X, np.ones((8, 1))]) @ theta)
    sol = solve(X, y, 0.0)
    assert np.allclose(sol.predictions, y, atol=1e-10)
    assert sol.objective <= 1.5 + 1e-12          # the teacher is feasible with TV 1.5
    so = solve(X, y, 0.0, method="socp")
    assert so.objective == pytest.approx(sol.objective, rel=1e-7)
    # here the teacher itself is optimal: one neuron, recovered
    assert sol.objective == pytest.approx(1.5, rel=1e-9)
    assert sol.n_atoms == 1 and np.allclose(sol.theta[0], theta, atol=1e-8)


def test_solution_round_trip_and_predict():
    X, y = _rand(6, 1, 0)
    sol = relucert.solve(X, y, 0.2)
    again = Solution.from_dict(sol.to_dict())
    assert again.objective == sol.objective and np.array_equal(again.theta, sol.theta)
    assert np.allclose(sol.predict(X), sol.predictions, atol=1e-12)
    assert sol.n_atoms <= 2 * sol.n_chambers
    assert set(sol.timings) >= {"chambers", "solve", "total"}


def test_zero_labels_give_the_zero_network():
    X, _ = _rand(5, 1, 0)
    sol = solve(X, np.zeros(5), 0.5)
    assert sol.n_atoms == 0 and sol.objective == 0.0 and sol.max_abs_certificate == 0.0


def test_repeated_points_and_equal_labels():
    X = np.array([[0.0], [1.0], [1.0], [2.0]])
    sol = solve(X, np.array([0.0, 1.0, 1.0, 0.0]), 0.0)
    assert np.allclose(sol.predictions, [0, 1, 1, 0], atol=1e-10)
    sol2 = solve(X, np.array([0.0, 1.0, 0.5, 0.0]), 0.1)
    so2 = solve(X, np.array([0.0, 1.0, 0.5, 0.0]), 0.1, method="socp")
    assert so2.objective == pytest.approx(sol2.objective, rel=1e-7)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("lam", [-1.0, float("nan"), float("inf")])
def test_bad_lam(lam):
    with pytest.raises(ValueError, match="lam"):
        solve([[0.0], [1.0]], [0.0, 1.0], lam)


def test_bad_inputs():
    with pytest.raises(TypeError, match="lam"):
        solve([[0.0], [1.0]], [0.0, 1.0], "1")
    with pytest.raises(ValueError, match="X must be finite"):
        solve([[np.nan], [1.0]], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="y must be finite"):
        solve([[0.0], [1.0]], [np.nan, 1.0], 1.0)
    with pytest.raises(ValueError, match="same number of samples"):
        solve([[0.0], [1.0]], [0.0, 1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="method"):
        solve([[0.0], [1.0]], [0.0, 1.0], 1.0, method="adam")
    with pytest.raises(TooManyChambersError):
        solve(np.random.default_rng(0).standard_normal((30, 3)), np.zeros(30), 1.0, max_chambers=10)


def test_inconsistent_duplicates_for_interpolation_name_the_indices():
    X = np.array([[0.0], [1.0], [0.0]])
    with pytest.raises(ValueError, match=r"samples 0 and 2"):
        solve(X, [1.0, 2.0, 3.0], 0.0)
    # fine for lam > 0
    assert solve(X, [1.0, 2.0, 3.0], 0.5).success


def test_iteration_limit_is_a_limit_status_with_its_certified_gap():
    """Issue 16: running out of rounds returns status LIMIT (never OPTIMAL) with the
    certified gap reached and a ConvergenceWarning; strict=True raises instead."""
    from relucert.errors import ConvergenceWarning
    from relucert.verify.analysis import solution_from_measure

    X, y = _rand(8, 2, 1)
    with pytest.warns(ConvergenceWarning, match="support not found"):
        sol = solve(X, y, 0.01, max_iter=1)
    assert sol.status.value == "limit" and not sol.success
    assert "certified relative duality gap" in sol.info["message"]
    # the reported gap is honest: recomputed independently from the atoms
    ref = solution_from_measure(X, y, 0.01, sol.theta, sol.amplitude)
    assert ref.duality_gap == pytest.approx(sol.duality_gap, rel=1e-9, abs=1e-12)
    assert sol.duality_gap > 1e-9 * max(1.0, sol.objective)
    with pytest.raises(SolverError, match="limit"):
        solve(X, y, 0.01, max_iter=1, strict=True)


def test_socp_non_optimal_status_is_a_solver_error():
    from relucert.arrangement import enumerate_chambers
    from relucert.lp.tv.socp import solve_socp

    X, y = _rand(7, 2, 3)
    with pytest.raises(SolverError, match="limit|MaxTime"):
        solve_socp(enumerate_chambers(X), y, 0.1, time_limit=1e-9)


def test_interpolating_start_spans_the_data():
    """The (P_0) starting atoms interpolate any labels on distinct points (full rank)."""
    from relucert.lp.tv.atom_set import interpolating_atoms

    X, _ = _rand(9, 3, 8)
    T = interpolating_atoms(X)
    Phi = np.maximum(0, np.hstack([X, np.ones((9, 1))]) @ T.T)
    assert np.linalg.matrix_rank(Phi) == 9


def test_snapping_merges_atoms_straddling_a_hyperplane():
    """Two atoms just either side of H_0 snap onto it and merge into one atom on it."""
    from relucert.lp.tv.merge import merge_atoms
    from relucert.lp.tv.polish import snap_to_faces

    Xl = np.array([[1.0, 1.0], [-1.0, 1.0], [2.0, 1.0]])
    on = np.array([-1.0, 1.0]) / np.sqrt(2)            # <on, x~_0> = 0
    th = np.array([on + [1e-7, 0], on - [1e-7, 0]])
    th /= np.linalg.norm(th, axis=1, keepdims=True)
    t2, a2 = merge_atoms(Xl, snap_to_faces(Xl, th, 1e-4), np.array([1.0, 1.0]))
    assert t2.shape[0] == 1 and np.allclose(t2[0], on) and a2[0] == pytest.approx(2.0)
