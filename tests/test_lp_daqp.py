"""Issue 16, item 3: the finite lasso's dual on DAQP (relucert.lp.daqp_lasso) and the
qp_backend choice of lasso_qp. Answers are checked against exact rational KKT conditions
and against HiGHS's QP (a different algorithm), never against DAQP itself."""
from fractions import Fraction

import numpy as np
import pytest

from relucert.errors import SolverError
from relucert.lp import daqp_lasso
from relucert.lp import programs
from relucert.lp.daqp_lasso import (QPBackend, available, lasso_daqp, lasso_kkt_residuals, status_from_daqp,
                                    uses_daqp)
from relucert.lp.highs import solve_program
from relucert.lp.programs import build_lasso_qp, lasso_qp
from relucert.results import ProgramResult, Status
from relucert.tolerances import DEFAULT

needs_daqp = pytest.mark.skipif(not available(), reason="DAQP is not installed (pip install relucert[qp])")


def _exact_kkt(Phi, y, lam, c):
    """(max_k g_k - 1, max over c_k > 0 of |g_k - 1|) with g = Phi^T (y - Phi c)/lam, in rationals."""
    F = np.vectorize(Fraction, otypes=[object])
    P, cc = F(Phi), F(np.maximum(c, 0.0))
    r = F(y) - P.dot(cc)
    g = P.T.dot(r) / Fraction(lam)
    supp = np.flatnonzero(c > 0)
    return float(max(g) - 1), float(max((abs(g[k] - 1) for k in supp), default=Fraction(0)))


def _relu_columns(rng, n, K, d=2):
    X = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    T = rng.standard_normal((K, d + 1))
    return np.maximum(0.0, X @ T.T) * rng.choice([-1.0, 1.0], size=K)


def test_status_table_and_backend_choice():
    assert status_from_daqp(1) is Status.OPTIMAL
    assert status_from_daqp(-4) is Status.LIMIT and status_from_daqp(-7) is Status.LIMIT
    assert status_from_daqp(-2) is Status.ERROR and status_from_daqp(12345) is Status.ERROR
    assert uses_daqp("active-set") is False and uses_daqp(QPBackend.ACTIVE_SET) is False
    assert lasso_qp(np.ones((2, 1)), np.ones(2), 1.0).program.backend_status != "daqp optimal"  # the default
    with pytest.raises(ValueError, match="qp_backend.*'simplex'"):
        uses_daqp("simplex")
    with pytest.raises(ValueError, match="qp_backend"):
        lasso_qp(np.ones((2, 1)), np.ones(2), 1.0, qp_backend="simplex")


def test_kkt_residuals_are_exact_at_small_lam(rng):
    """The re-check's residuals equal the rational ones to far below tol.dual_feas, also where
    y is large against lam (p = (y - Phi c)/lam in plain floats carries eps |y| / lam)."""
    Phi = _relu_columns(rng, 8, 12)
    for scale, lam in ((1.0, 0.1), (1.0e3, 1.0e-5)):
        y = scale * rng.standard_normal(8)
        # any weights will do; the extreme scale is at the double-precision floor, so ask less
        c = lasso_qp(Phi, y, lam, qp_backend="active-set", tol=DEFAULT.with_(dual_feas=1e-4)).c
        got = lasso_kkt_residuals(Phi, y, lam, c)
        want = _exact_kkt(Phi, y, lam, c)
        assert abs(got[0] - want[0]) <= 1e-13 and abs(got[1] - want[1]) <= 1e-13


@needs_daqp
@pytest.mark.parametrize("lam", [1.0, 0.05, 1e-3])
def test_daqp_answer_is_optimal_by_exact_kkt_and_matches_highs(rng, lam):
    Phi = _relu_columns(rng, 30, 80)
    y = np.sin(3 * rng.standard_normal(30))
    res = lasso_daqp(Phi, y, lam)
    assert res.status is Status.OPTIMAL and np.all(res.x >= 0)
    viol, comp = _exact_kkt(Phi, y, lam, res.x)
    assert viol <= DEFAULT.dual_feas and comp <= DEFAULT.dual_feas
    assert res.max_residuals["dual"] == pytest.approx(viol, abs=1e-13)
    prog, _ = build_lasso_qp(Phi, y, lam)
    ref = solve_program(prog)
    assert ref.status is Status.OPTIMAL
    assert abs(res.objective - ref.objective) <= 1e-7 * max(1.0, abs(ref.objective))


@needs_daqp
def test_warm_start_gives_the_same_optimum_also_from_a_dependent_support(rng):
    """A warm start's support is DAQP's initial active set; one with more columns than rows
    (dependent constraints: DAQP may refuse it) still ends at the optimum, through lasso_qp."""
    Phi = _relu_columns(rng, 12, 40)
    Phi = np.hstack([Phi, Phi[:, :5]])   # duplicated columns: a degenerate dual
    y = rng.standard_normal(12)
    cold = lasso_qp(Phi, y, 0.01, qp_backend="daqp")
    for warm in (cold.c, np.ones(Phi.shape[1])):
        got = lasso_qp(Phi, y, 0.01, qp_backend="daqp", warm_start=warm)
        assert abs(got.objective - cold.objective) <= 1e-9 * max(1.0, cold.objective)
        viol, comp = _exact_kkt(Phi, y, 0.01, got.c)
        assert viol <= DEFAULT.dual_feas and comp <= DEFAULT.dual_feas


@needs_daqp
def test_failed_daqp_answer_falls_back_to_the_active_set(rng, monkeypatch):
    """DAQP cycling (or any non-optimal exit) is never returned: the active-set path answers;
    a DAQP point that only fails the re-check warm-starts it."""
    Phi = _relu_columns(rng, 15, 40)
    y = rng.standard_normal(15)
    ref = lasso_qp(Phi, y, 0.05, qp_backend="active-set")
    real = daqp_lasso.lasso_daqp

    def failing(status, perturb):
        def fake(*args, **kwargs):
            res = real(*args, **kwargs)
            x = res.x * perturb
            return ProgramResult(status, "DAQP: test", "daqp test", None, x, None, None, {}, 1, 0.0, res.tol)
        return fake

    for status, perturb in ((Status.ERROR, 0.0), (Status.INACCURATE, 1.01)):
        monkeypatch.setattr(programs, "lasso_daqp", failing(status, perturb))
        got = lasso_qp(Phi, y, 0.05, qp_backend="daqp")
        assert got.program.backend_status != "daqp test"   # never the failed DAQP answer
        assert abs(got.objective - ref.objective) <= 1e-9 * max(1.0, ref.objective)
        viol, comp = _exact_kkt(Phi, y, 0.05, got.c)
        assert viol <= DEFAULT.dual_feas and comp <= DEFAULT.dual_feas


@needs_daqp
def test_both_paths_failing_is_a_solver_error_naming_daqp(rng, monkeypatch):
    """When DAQP and every fallback fail, the SolverError says what DAQP ended with."""
    Phi = _relu_columns(rng, 10, 20)
    y = rng.standard_normal(10)
    real = daqp_lasso.lasso_daqp

    def cycling(*args, **kwargs):
        res = real(*args, **kwargs)
        return ProgramResult(Status.ERROR, "DAQP: cycling, no multipliers", "daqp cycling", None, None, None,
                             None, {}, 7, 0.0, res.tol)

    def broken(*args, **kwargs):
        raise SolverError("lasso QP: the active-set method did not reach optimality (test)")

    monkeypatch.setattr(programs, "lasso_daqp", cycling)
    monkeypatch.setattr(programs, "_finish_lasso", broken)
    monkeypatch.setattr(programs, "nonneg_lasso_active_set", lambda *a, **k: (_ for _ in ()).throw(
        np.linalg.LinAlgError("test")))
    with pytest.raises(SolverError, match="DAQP first: DAQP: cycling"):
        lasso_qp(Phi, y, 0.05, qp_backend="daqp", warm_start=np.ones(20))


def test_active_set_weights_are_judged_on_their_own_dual(rng, monkeypatch):
    """The active-set method judges convergence on the dual of its SVD; the exchange uses the
    weights. Weights whose own dual misses tol.dual_feas (here: the method's answer perturbed
    by 1e-7 relative, as ill-conditioned supports at small lam give) are refined in
    double-double before lasso_qp returns them: exact KKT within tol.dual_feas."""
    import relucert.lp.programs as programs_mod
    from relucert.lp.active_set import ActiveSetResult

    Phi = _relu_columns(rng, 20, 50)
    y = rng.standard_normal(20)
    lam = 1e-3
    real = programs_mod.nonneg_lasso_active_set

    def off(*args, **kwargs):
        fit = real(*args, **kwargs)
        c = fit.c * (1.0 + 1e-7 * rng.standard_normal(fit.c.size))
        return ActiveSetResult(c=c, p=fit.p, max_violation=fit.max_violation, converged=fit.converged,
                               steps=fit.steps, objective=fit.objective)

    monkeypatch.setattr(programs_mod, "nonneg_lasso_active_set", off)
    warm = real(Phi, y, lam).c
    c_off = off(Phi, y, lam, warm).c
    assert max(_exact_kkt(Phi, y, lam, c_off)) > DEFAULT.dual_feas      # the perturbation is visible
    got = lasso_qp(Phi, y, lam, warm_start=warm)
    assert "weights refined" in got.program.message
    viol, comp = _exact_kkt(Phi, y, lam, got.c)
    assert viol <= DEFAULT.dual_feas and comp <= DEFAULT.dual_feas
