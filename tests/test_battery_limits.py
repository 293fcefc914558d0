"""Issue 16, item 4, on battery data (relucert.examples.battery): a run that stops short of a
certified optimum says what failed, with its numbers, and returns a status with the gap it
did certify, never a bare exception. The certified gap is checked against the optimum of a
full run, itself re-checked by the verify package's own region scan."""
import numpy as np
import pytest

from relucert import solve
from relucert.errors import ConvergenceWarning, InaccurateSolutionWarning
from relucert.examples import battery
from relucert.verify.analysis import solution_from_measure

CASES = [("uniform-noise", 2, 20, 0.001), ("teacher", 1, 20, 0.001), ("gauss-kinked", 3, 8, 0.01)]


def _optimum(X, y, lam):
    full = solve(X, y, lam)
    assert full.success, full.info["message"]
    ref = solution_from_measure(X, y, lam, full.theta, full.amplitude)
    assert ref.status.value == "optimal"
    return ref.objective, ref.duality_gap


@pytest.mark.parametrize("family,d,n,lam", CASES)
def test_budget_stopped_run_is_limit_with_support_not_found_and_an_honest_gap(family, d, n, lam):
    X, y = battery(family, n, d, seed=0)
    with pytest.warns(ConvergenceWarning, match="support not found"):
        sol = solve(X, y, lam, max_iter=2)
    msg = sol.info["message"]
    assert sol.status.value == "limit" and sol.info["n_iter"] == 2
    assert "certified relative duality gap" in msg and "max|eta| = " in msg and "violators" in msg
    assert sol.info["relative_gap"] > sol.tol.obj_gap and np.isfinite(sol.duality_gap)
    best, best_gap = _optimum(X, y, lam)
    # the certified gap bounds the distance to the optimum (up to the reference's own gap)
    assert 0.0 <= sol.objective - best + best_gap <= sol.duality_gap + best_gap


def test_finite_program_failure_is_inaccurate_with_the_qp_numbers(monkeypatch):
    """The lasso QP failing for real (its active-set finish given no steps from round 3 on, so
    the HiGHS and clarabel answers cannot be made optimal), and no DAQP to fall back on
    (tests/test_qp_fallback.py has the fallback): status INACCURATE, the best certified
    candidate so far, and a message naming the QP with its dual violation."""
    import relucert.lp.lasso_chain as lasso_chain
    import relucert.lp.programs as programs

    X, y = battery("gauss-smooth", 20, 2, seed=0)
    best, best_gap = _optimum(X, y, 0.01)
    real = programs.nonneg_lasso_active_set
    calls = {"n": 0}

    def starved(Phi, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 2:
            kwargs["max_steps"] = 0
        return real(Phi, *args, **kwargs)

    monkeypatch.setattr(programs, "nonneg_lasso_active_set", starved)
    monkeypatch.setattr(programs, "refined_finish", lambda *args, **kwargs: None)
    monkeypatch.setattr(lasso_chain, "available", lambda: False)
    with pytest.warns(InaccurateSolutionWarning, match="QP inaccurate"):
        sol = solve(X, y, 0.01)
    msg = sol.info["message"]
    assert sol.status.value == "inaccurate" and np.isfinite(sol.duality_gap)
    assert "the active-set method did not reach optimality" in msg and "max Phi^T p - 1 = " in msg
    assert "far above the precision floor" in msg and "not a rounding issue" in msg
    assert 0.0 <= sol.objective - best + best_gap <= sol.duality_gap + best_gap


def test_lasso_qp_at_the_precision_floor_says_so(rng):
    """Labels of size 10^3 at lam = 10^-5: Phi^T p cannot be formed to tol.dual_feas in double
    precision, and the SolverError says it is the precision floor, with its size."""
    from relucert.errors import SolverError
    from relucert.lp.programs import lasso_qp

    X = np.hstack([rng.standard_normal((8, 2)), np.ones((8, 1))])
    Phi = np.maximum(0.0, X @ rng.standard_normal((3, 12))) * rng.choice([-1.0, 1.0], size=12)
    y = 1.0e3 * rng.standard_normal(8)
    with pytest.raises(SolverError, match=r"at the precision floor: Phi\^T p carries rounding errors of about"):
        lasso_qp(Phi, y, 1.0e-5)
