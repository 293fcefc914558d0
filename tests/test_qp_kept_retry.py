"""Issue 16, session 9: a warm-started active set whose kept factors stop it short of
tol.dual_feas is retried once on fresh factors before the sparse solvers (at n = 1000, d = 2,
lam = 0.001 the HiGHS fallback on 3,538 dense columns ran for over 30 minutes). Checked against
an independent solver (clarabel, lp.conic) and the KKT conditions in rationals."""
from dataclasses import replace

import numpy as np
from lasso_helpers import exact_kkt

import relucert.lp.programs as programs
from relucert.lp.active_set import nonneg_lasso_active_set
from relucert.lp.conic import solve_program_conic
from relucert.lp.qr_factors import KeptFactors
from relucert.tolerances import DEFAULT


def _problem(seed=3, n=40, K=25, lam=0.05):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((n, K))
    y = Phi[:, :4] @ np.array([1.0, 0.7, 0.4, 0.2]) + 0.1 * rng.standard_normal(n)
    return Phi, y, lam


def test_drifted_kept_factors_are_retried_on_fresh_ones_not_on_highs(monkeypatch):
    Phi, y, lam = _problem()
    calls = []

    def drifted_then_real(Phi_, y_, lam_, c0=None, *, tol=None, kept=None, **kw):
        calls.append(kept is not None)
        fit = nonneg_lasso_active_set(Phi_, y_, lam_, c0, tol=tol, kept=kept, **kw)
        if kept is not None:  # what drifted factors do: stop with a dual that misses tol
            return replace(fit, converged=False, max_violation=2 * DEFAULT.dual_feas)
        return fit

    def no_highs(*args, **kwargs):
        raise AssertionError("the sparse fallback ran")

    monkeypatch.setattr(programs, "nonneg_lasso_active_set", drifted_then_real)
    monkeypatch.setattr(programs, "refined_finish", lambda *a, **k: None)
    monkeypatch.setattr(programs, "solve_program", no_highs)
    kept = KeptFactors()
    sol = programs.lasso_qp(Phi, y, lam, warm_start=np.zeros(Phi.shape[1]), kept=kept)
    assert calls == [True, False]           # the kept path once, then fresh factors once
    # the answer is the lasso optimum: the KKT conditions of the returned weights in rationals,
    # and the same objective as the independent interior-point solve (clarabel)
    c = sol.c
    assert np.all(c >= 0) and np.any(c > 0)
    prog, inv = programs.build_lasso_qp(Phi, y, lam)
    ref = programs.recover_lasso_qp(solve_program_conic(prog, tol=DEFAULT), inv)
    assert abs(sol.objective - ref.objective) <= 1e-9 * max(1.0, abs(ref.objective))
    viol, comp = exact_kkt(Phi, y, lam, c)
    assert viol <= DEFAULT.dual_feas and comp <= DEFAULT.dual_feas
