"""lp/programs.py: the finite lasso QP and basis-pursuit LP on HiGHS, checked against
scipy (a different solver) and against their own optimality conditions."""
import numpy as np
import pytest
from scipy.optimize import linprog, minimize

from relucert.errors import SolverError
from relucert.lp.programs import basis_pursuit_lp, lasso_qp


def _scipy_lasso(Phi, y, lam):
    K = Phi.shape[1]
    f = lambda c: 0.5 * np.sum((Phi @ c - y) ** 2) + lam * c.sum()
    g = lambda c: Phi.T @ (Phi @ c - y) + lam
    r = minimize(f, np.zeros(K), jac=g, bounds=[(0, None)] * K, method="L-BFGS-B",
                 options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    return r.fun


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lasso_qp_matches_scipy_and_kkt(seed):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((12, 20))
    y = rng.standard_normal(12)
    lam = 0.3
    sol = lasso_qp(Phi, y, lam)
    assert sol.objective == pytest.approx(_scipy_lasso(Phi, y, lam), rel=1e-7)
    # KKT: Phi^T p <= 1, equality on the support, p = (y - Phi c)/lam
    g = Phi.T @ sol.p
    assert np.all(g <= 1 + 1e-8)
    assert np.allclose(g[sol.c > 1e-8], 1.0, atol=1e-7)
    assert np.allclose(sol.p, (y - Phi @ sol.c) / lam)


def test_lasso_qp_without_columns():
    y = np.array([1.0, -2.0])
    sol = lasso_qp(np.zeros((2, 0)), y, 2.0)
    assert sol.objective == pytest.approx(2.5) and np.allclose(sol.p, y / 2)


@pytest.mark.parametrize("seed", [0, 1])
def test_basis_pursuit_matches_scipy_linprog(seed):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((6, 30))
    Phi = np.hstack([Phi, -Phi])            # signed columns: always feasible
    y = rng.standard_normal(6)
    sol = basis_pursuit_lp(Phi, y)
    ref = linprog(np.ones(Phi.shape[1]), A_eq=Phi, b_eq=y, bounds=(0, None), method="interior-point"
                  if False else "highs-ipm")
    assert sol.objective == pytest.approx(ref.fun, rel=1e-8)
    assert np.allclose(Phi @ sol.c, y, atol=1e-9)
    assert np.all(Phi.T @ sol.p <= 1 + 1e-8)
    assert float(sol.p @ y) == pytest.approx(sol.objective, rel=1e-8)   # strong duality


def test_infeasible_lp_is_a_solver_error():
    # y = -1 is not a non-negative combination of the column (1,)
    with pytest.raises(SolverError, match="infeasible"):
        basis_pursuit_lp(np.array([[1.0]]), np.array([-1.0]))


def test_time_limit_is_a_solver_error():
    rng = np.random.default_rng(0)
    Phi = rng.standard_normal((200, 3000))
    with pytest.raises(SolverError, match="limit"):
        lasso_qp(Phi, rng.standard_normal(200), 0.01, time_limit=1e-6)


def test_warm_started_objectives_equal_cold_solves():
    """solve_objectives (one HiGHS instance, costs changed between solves) gives the
    optimal values of separate cold solves, each re-checked."""
    import scipy.sparse as sp

    from relucert.lp.highs import FiniteProgram, solve_objectives, solve_program

    rng = np.random.default_rng(9)
    A = rng.standard_normal((20, 45))
    A[:, 40:] = A[:, :5]                      # repeated columns: a degenerate polytope
    b = A @ np.abs(rng.standard_normal(45))
    kw = dict(A=sp.csc_matrix(A), row_lower=b, row_upper=b, col_lower=np.zeros(45), col_upper=np.full(45, np.inf))
    objs = rng.standard_normal((12, 45))
    senses = [bool(i % 2) for i in range(12)]
    got = solve_objectives(FiniteProgram(c=objs[0], **kw), objs, senses)
    for c, mx, res in zip(objs, senses, got):
        cold = solve_program(FiniteProgram(c=c, maximize=mx, **kw))
        assert res.status.value == cold.status.value
        if cold.status.value == "optimal":
            assert float(c @ res.x) == pytest.approx(float(c @ cold.x), rel=1e-9, abs=1e-9)
