"""The clarabel fallback for finite programs agrees with HiGHS and with scipy."""
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from relucert.lp import programs
from relucert.lp.conic import solve_program_conic
from relucert.lp.highs import FiniteProgram, solve_program
from relucert.lp.programs import build_lasso_qp, lasso_qp
from relucert.results import Status


def test_lasso_qp_conic_equals_highs(rng):
    Phi = rng.standard_normal((15, 40))
    y = rng.standard_normal(15)
    prog, _ = build_lasso_qp(Phi, y, 0.05)
    a, b = solve_program(prog), solve_program_conic(prog)
    assert a.status is Status.OPTIMAL and b.status is Status.OPTIMAL
    assert abs(a.objective - b.objective) <= 1e-7 * max(1.0, abs(a.objective))


def test_bounded_lp_conic_equals_scipy(rng):
    A = rng.standard_normal((6, 9))
    x0 = rng.uniform(0.1, 0.9, size=9)
    lo, up = A @ x0 - rng.uniform(0, 1, 6), A @ x0 + rng.uniform(0, 1, 6)
    lo[0] = up[0] = A[0] @ x0  # one equality row
    c = rng.standard_normal(9)
    prog = FiniteProgram(c=c, A=sp.csc_matrix(A), row_lower=lo, row_upper=up,
                         col_lower=np.zeros(9), col_upper=np.ones(9))
    ref = linprog(c, A_ub=np.vstack([A, -A]), b_ub=np.r_[up, -lo], bounds=[(0, 1)] * 9)
    res = solve_program_conic(prog)
    assert res.status is Status.OPTIMAL
    assert abs(res.objective - ref.fun) <= 1e-7 * max(1.0, abs(ref.fun))


def test_stalled_highs_falls_back_to_clarabel(rng, monkeypatch):
    """With HiGHS allowed almost no iterations (a stand-in for a cycling active-set QP),
    lasso_qp still returns the optimum, through the conic fallback."""
    Phi = rng.standard_normal((12, 30))
    y = rng.standard_normal(12)
    ref = lasso_qp(Phi, y, 0.1, qp_backend="active-set")
    monkeypatch.setattr(programs, "QP_ITERATIONS_FLOOR", 1)
    monkeypatch.setattr(programs, "QP_ITERATIONS_PER_VARIABLE", 0)
    got = lasso_qp(Phi, y, 0.1, qp_backend="active-set")
    assert "clarabel" in got.program.message
    assert abs(got.objective - ref.objective) <= 1e-9 * max(1.0, abs(ref.objective))
    assert np.allclose(got.p, ref.p, atol=1e-6)


def _recorded_lasso(monkeypatch, Phi, y, lam):
    """lasso_qp on its HiGHS path (not DAQP) with every HiGHS call recorded: (time limit,
    iteration limit, regularisation)."""
    from relucert.lp.highs import solve_program as real

    calls = []

    def spy(prog, *, tol, time_limit=None, iteration_limit=None):
        calls.append((time_limit, iteration_limit, tol.highs_qp_regularization))
        return real(prog, tol=tol, time_limit=time_limit, iteration_limit=iteration_limit)

    monkeypatch.setattr(programs, "solve_program", spy)
    return lasso_qp(Phi, y, lam, qp_backend="active-set"), calls


def test_qp_retry_is_decided_by_an_iteration_budget_not_the_clock(rng, monkeypatch):
    """The switch to HiGHS's fallback regularisation depends on the iteration budget
    alone: no HiGHS call gets a wall-clock limit, the budget is the size rule of
    qp_iteration_budget, and two runs take the same path to the same bits."""
    from relucert.tolerances import DEFAULT, QP_ITERATIONS_FLOOR, QP_ITERATIONS_PER_VARIABLE

    Phi = rng.standard_normal((12, 30))
    y = rng.standard_normal(12)
    sol, calls = _recorded_lasso(monkeypatch, Phi, y, 0.1)
    assert calls and all(t is None for t, _, _ in calls)
    assert calls[0][1] == QP_ITERATIONS_FLOOR + QP_ITERATIONS_PER_VARIABLE * (30 + 12)
    assert programs.qp_iteration_budget(42) == calls[0][1]
    # a budget too small for HiGHS: the retry with more regularisation runs, every time
    monkeypatch.setattr(programs, "QP_ITERATIONS_FLOOR", 1)
    monkeypatch.setattr(programs, "QP_ITERATIONS_PER_VARIABLE", 0)
    first, calls1 = _recorded_lasso(monkeypatch, Phi, y, 0.1)
    second, calls2 = _recorded_lasso(monkeypatch, Phi, y, 0.1)
    assert calls1 == calls2 == [(None, 1, DEFAULT.highs_qp_regularization),
                                (None, 1, DEFAULT.highs_qp_regularization_fallback)]
    assert np.array_equal(first.c, second.c) and np.array_equal(first.p, second.p)
    assert first.program.message == second.program.message
    assert abs(first.objective - sol.objective) <= 1e-9 * max(1.0, abs(sol.objective))


def test_dual_sign_recheck():
    """Our re-check of HiGHS's answers includes the duals' signs at active bounds."""
    from relucert.lp.highs import _dual_sign_violation

    prog = FiniteProgram(c=np.array([1.0, 0.0]), A=sp.csc_matrix(np.array([[1.0, 1.0]])),
                         row_lower=np.array([1.0]), row_upper=np.array([np.inf]),
                         col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    res = solve_program(prog)
    assert res.status is Status.OPTIMAL and res.max_residuals["dual_sign"] <= 1e-12
    x = np.array([0.0, 1.0])
    # x1 at its lower bound needs col_dual >= 0; x2 between bounds needs 0
    assert _dual_sign_violation(prog, prog.A, x, np.array([0.0]), np.array([-0.5, 0.0]), 1e-12) == 0.5
    assert _dual_sign_violation(prog, prog.A, x, np.array([0.0]), np.array([1.0, 0.25]), 1e-12) == 0.25
    # the row is at its lower bound: its dual must be >= 0
    assert _dual_sign_violation(prog, prog.A, x, np.array([-2.0]), np.array([1.0, 0.0]), 1e-12) == 2.0
