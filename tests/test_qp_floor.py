"""Issue 16: a warm-started finite lasso that stops at the precision floor of ``Phi^T p`` is
handed to the exchange as an INACCURATE answer (``floor_answer=True``), never to a dense HiGHS
QP (which, at n = 1000 and a few thousand columns, did not return). The exchange judges every
answer by its own certified gap (proofs/exchange_method.md, "Finite programs at the precision
floor"), so the run's optimum is checked against the verify package's own region scan."""
from dataclasses import replace

import numpy as np
import pytest

import relucert.lp.programs as programs
from relucert import solve
from relucert.examples import battery
from relucert.lp.programs import lasso_qp
from relucert.results import Status
from relucert.verify.analysis import solution_from_measure

LAM = 0.01


def _floor(Phi, y, lam):
    return float(np.finfo(float).eps * np.linalg.norm(y) * np.max(np.linalg.norm(Phi, axis=0)) / lam)


def _unconverged(monkeypatch, seen: list, violation=None):
    """Every active-set answer reported unconverged with no double-double rescue, its violation
    ``violation`` when given, else at most the floor; ``seen`` collects (answer, floor) pairs."""
    real = programs.nonneg_lasso_active_set

    def wrapped(Phi, y, lam, *args, **kwargs):
        fit, floor = real(Phi, y, lam, *args, **kwargs), _floor(Phi, y, lam)
        fit = replace(fit, converged=False,
                      max_violation=min(fit.max_violation, floor) if violation is None else violation)
        seen.append((fit, floor))
        return fit

    monkeypatch.setattr(programs, "nonneg_lasso_active_set", wrapped)
    monkeypatch.setattr(programs, "refined_finish", lambda *args, **kwargs: None)


def _no_dense_qp(monkeypatch, after: int = 0):
    """HiGHS may be called ``after`` times (the exchange's first round has no warm start)."""
    real, calls = programs.solve_program, {"n": 0}

    def guarded(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            raise AssertionError("dense HiGHS QP called at the precision floor")
        return real(*args, **kwargs)

    monkeypatch.setattr(programs, "solve_program", guarded)


@pytest.fixture()
def program():
    rng = np.random.default_rng(3)
    Phi = np.maximum(0.0, rng.standard_normal((40, 25)))
    y = rng.standard_normal(40)
    return Phi, y, 1e-3


def test_floor_answer_is_inaccurate_and_skips_the_dense_qp(program, monkeypatch):
    Phi, y, lam = program
    seen = []
    _unconverged(monkeypatch, seen)
    _no_dense_qp(monkeypatch)
    sol = lasso_qp(Phi, y, lam, warm_start=np.zeros(Phi.shape[1]), floor_answer=True, refine=False)
    (fit, floor), = seen
    assert sol.program.status is Status.INACCURATE
    assert sol.program.backend_status == "active set (precision floor)"
    assert "precision floor" in sol.program.message
    np.testing.assert_array_equal(sol.c, fit.c)
    with pytest.raises(AssertionError, match="dense HiGHS QP"):  # direct callers: unchanged
        lasso_qp(Phi, y, lam, warm_start=np.zeros(Phi.shape[1]), refine=False)


def test_far_above_the_floor_still_goes_to_the_dense_qp(program, monkeypatch):
    Phi, y, lam = program
    _unconverged(monkeypatch, [], violation=1.0)
    _no_dense_qp(monkeypatch)
    with pytest.raises(AssertionError, match="dense HiGHS QP"):
        lasso_qp(Phi, y, lam, warm_start=np.zeros(Phi.shape[1]), floor_answer=True, refine=False)


def test_exchange_judges_floor_answers_by_their_certified_gap(monkeypatch):
    """Every warm-started finite program reported stopped at the floor: the exchange runs on
    their answers without a dense QP and certifies the optimum the region scan verifies."""
    X, y = battery("gauss-smooth", 20, 2, seed=0)
    ref = solve(X, y, LAM)
    best = solution_from_measure(X, y, LAM, ref.theta, ref.amplitude)
    assert best.status is Status.OPTIMAL
    seen = []
    _unconverged(monkeypatch, seen)
    _no_dense_qp(monkeypatch, after=1)
    sol = solve(X, y, LAM)
    floor_rounds = [h for h in sol.info["history"] if h["qp"] == "active set (precision floor)"]
    assert len(floor_rounds) >= 2
    assert sol.status is Status.OPTIMAL
    check = solution_from_measure(X, y, LAM, sol.theta, sol.amplitude)
    assert check.status is Status.OPTIMAL
    assert abs(sol.objective - best.objective) <= sol.duality_gap + best.duality_gap + sol.tol.obj_gap * best.objective
