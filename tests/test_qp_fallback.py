"""Issue 16, item 4: when the finite lasso fails, the exchange first tries the other backend
(lp/lasso_chain.py; proofs/failure_statuses.md), logs it in ``info["history"]``, and only when
every backend failed ends INACCURATE with its best certified candidate. Forced failures by
monkeypatch; the answers are judged against an optimum re-checked by the verify package's own
region scan (never the solver's word)."""
import numpy as np
import pytest

import relucert.lp.daqp_lasso as daqp_lasso
import relucert.lp.lasso_chain as lasso_chain
import relucert.lp.programs as programs
from relucert import solve
from relucert.errors import InaccurateSolutionWarning, SolverError
from relucert.examples import battery
from relucert.lp.daqp_lasso import QPBackend
from relucert.lp.lasso_chain import fallback_chain, lasso_qp_chain
from relucert.results import Status
from relucert.verify.analysis import solution_from_measure

LAM = 0.01


@pytest.fixture(scope="module")
def instance():
    X, y = battery("gauss-smooth", 20, 2, seed=0)
    full = solve(X, y, LAM)
    ref = solution_from_measure(X, y, LAM, full.theta, full.amplitude)
    assert ref.status is Status.OPTIMAL
    return X, y, ref.objective, ref.duality_gap


def _starve_active_set(monkeypatch, from_call: int) -> None:
    """The active-set finish gets no steps from call ``from_call`` on, and no double-double
    rescue: the active-set chain (with HiGHS and clarabel behind it) cannot answer."""
    real = programs.nonneg_lasso_active_set
    calls = {"n": 0}

    def starved(Phi, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= from_call:
            kwargs["max_steps"] = 0
        return real(Phi, *args, **kwargs)

    monkeypatch.setattr(programs, "nonneg_lasso_active_set", starved)
    monkeypatch.setattr(programs, "refined_finish", lambda *args, **kwargs: None)


def test_chain_order():
    assert fallback_chain("active-set") == (QPBackend.ACTIVE_SET, QPBackend.DAQP)
    assert fallback_chain(QPBackend.DAQP) == (QPBackend.DAQP,)
    with pytest.raises(ValueError, match="qp_backend must be one of"):
        fallback_chain("highs")


def test_chain_without_daqp_is_the_active_set_alone(monkeypatch):
    monkeypatch.setattr(lasso_chain, "available", lambda: False)
    assert fallback_chain("active-set") == (QPBackend.ACTIVE_SET,)


def test_active_set_failure_is_answered_by_daqp_and_logged(instance, monkeypatch):
    """The active-set chain fails from round 3 on; DAQP answers each of those rounds, the run
    certifies, its optimum is the verified one, and the history says which rounds fell back."""
    X, y, best, best_gap = instance
    _starve_active_set(monkeypatch, from_call=3)
    sol = solve(X, y, LAM)
    assert sol.status is Status.OPTIMAL
    fell_back = [h for h in sol.info["history"] if "qp_fallback" in h]
    assert fell_back and all(h["qp"].startswith("daqp") for h in fell_back)
    for h in fell_back:
        (failure,) = h["qp_fallback"]
        assert failure.startswith("active-set: lasso QP: the active-set method did not reach optimality")
    assert abs(sol.objective - best) <= sol.duality_gap + best_gap + sol.tol.obj_gap * best


def test_every_backend_failing_ends_inaccurate_with_an_honest_gap(instance, monkeypatch):
    """Both backends fail from round 3 on (DAQP returns an iteration limit): status INACCURATE,
    never optimal, the best certified candidate with a gap that bounds its distance to the
    verified optimum, and a message giving each backend's failure in order."""
    X, y, best, best_gap = instance
    _starve_active_set(monkeypatch, from_call=3)
    real = daqp_lasso.lasso_daqp

    def limited(Phi, y_, lam, **kwargs):
        res = real(Phi, y_, lam, **kwargs)
        return type(res)(Status.LIMIT, "DAQP: iteration limit (forced)", "daqp limit", None, None, None, None,
                         {}, res.n_iter, res.wall_time_s, res.tol)

    monkeypatch.setattr(programs, "lasso_daqp", limited)
    with pytest.warns(InaccurateSolutionWarning, match="QP inaccurate"):
        sol = solve(X, y, LAM)
    msg = sol.info["message"]
    assert sol.status is Status.INACCURATE and np.isfinite(sol.duality_gap)
    assert "every finite-lasso backend failed (active-set -> daqp)" in msg
    assert msg.index("active-set: lasso QP: the active-set method") < msg.index("then daqp: ")
    assert "DAQP first: DAQP: iteration limit (forced)" in msg
    assert sol.info["relative_gap"] > sol.tol.obj_gap
    assert 0.0 <= sol.objective - best + best_gap <= sol.duality_gap + best_gap
    assert sol.certified_lower_bound <= best + best_gap


def test_chain_error_lists_every_backend(monkeypatch):
    def fail(Phi, y, lam, *, qp_backend, **kwargs):
        raise SolverError(f"{QPBackend(qp_backend).value} broke")

    monkeypatch.setattr(lasso_chain, "lasso_qp", fail)
    expected = r"\(active-set -> daqp\): active-set: active-set broke; then daqp: daqp broke"
    with pytest.raises(SolverError, match=expected):
        lasso_qp_chain(np.ones((2, 1)), np.ones(2), 1.0)
