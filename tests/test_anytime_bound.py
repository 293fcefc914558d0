"""The anytime certified lower bound of a stopped run (lp/tv/anytime.py;
proofs/exchange_method.md, Lemmas A1 and A2): the best scaling of a dual against a dense grid
and the closed form, the bound against a certified optimum of an unlimited enumeration solve,
and its growth with the branch and bound's budget."""
import time
import warnings

import numpy as np
import pytest

import relucert
from relucert._model import dual_value, scaled_dual_value
from relucert.arrangement import enumerate_chambers
from relucert.errors import ConvergenceWarning
from relucert.lp.tv.anytime import DualRecord, best_scaled_dual, run_deadlines
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle_api import BranchAndBoundOracle, EnumerationOracle
from relucert.tolerances import ANYTIME_BOUND_SHARE

REL = 1e-12


def _problem(d, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.standard_normal(n)
    return X, y


def _grid_max(p, y, lam, upper):
    """``max D(t p)`` over 20,001 points of ``[0, 1/U]`` (independent of the closed form)."""
    ts = np.linspace(0.0, 1.0 / upper, 20001)
    return max(dual_value(t * p, y, lam) for t in ts)


@pytest.mark.parametrize("lam", [0.05, 1.0, 0.0])
@pytest.mark.parametrize("upper", [0.3, 1.0, 2.5, 40.0])
def test_best_scaling_is_the_maximum_over_the_feasible_scalings(lam, upper):
    rng = np.random.default_rng(3)
    y = rng.standard_normal(7)
    for _ in range(5):
        p = y / max(lam, 0.1) + rng.standard_normal(7)
        got = best_scaled_dual(p, y, lam, upper)
        grid = max(_grid_max(p, y, lam, upper), 0.0)
        # the grid is a lower estimate of the maximum; the closed form is the maximum
        assert grid <= got * (1 + REL) + REL
        assert got <= grid + 1e-6 * max(1.0, abs(grid))
        assert got >= scaled_dual_value(p, y, lam, upper) - REL * max(1.0, abs(got))


def test_best_scaling_of_an_unbounded_or_useless_dual_is_zero():
    y = np.array([1.0, -2.0])
    assert best_scaled_dual(y, y, 0.1, np.inf) == 0.0
    assert best_scaled_dual(-y, y, 0.1, 1.0) == 0.0          # <p, y> < 0: t = 0
    assert best_scaled_dual(np.zeros(2), y, 0.1, 0.0) == 0.0


def test_record_keeps_the_best_and_forgets():
    y = np.array([1.0, 0.0])
    rec = DualRecord()
    assert rec.best(y, 1.0) == -np.inf
    rec.add(y, 2.0)
    rec.add(y, np.inf)          # no bound: not recorded
    rec.add(y, 0.5)
    assert len(rec.entries) == 2 and rec.best(y, 1.0) == 0.5
    rec.clear()
    assert rec.best(y, 1.0) == -np.inf


def test_deadlines_reserve_a_share_for_the_timed_bound_only():
    bab = BranchAndBoundOracle(np.zeros((2, 1)))
    assert run_deadlines(None, bab) is None and bab.bound_window is None
    r = run_deadlines(10.0, bab)
    assert bab.bound_window[0] == r and bab.bound_window[1] - r == pytest.approx(10.0 * ANYTIME_BOUND_SHARE)
    enum = EnumerationOracle(enumerate_chambers(np.array([[0.0], [1.0]])))
    r = run_deadlines(10.0, enum)
    assert enum.bound_window == (r, r)


def test_bound_scan_rises_with_its_budget_and_never_passes_the_optimum():
    """Node budgets 1, 4, 16, ... of the best-first bounding scan of a crude dual: ``U`` never
    below the enumerated maximum and non-increasing, so the lower bound never above the
    certified optimum and non-decreasing; a timed continuation only lowers ``U`` further."""
    X, y = _problem(3, 14, seed=4)
    lam = 0.05
    opt = relucert.solve(X, y, lam, oracle="enumerate", progress=False)
    assert opt.status.value == "optimal"
    exact = EnumerationOracle(enumerate_chambers(X)).scan(y / lam, np.inf).max_value
    prev_u, prev_l = np.inf, -np.inf
    for nodes in (1, 4, 16, 64, 256, 1024):
        oracle = BranchAndBoundOracle(X, bound_nodes=nodes)
        u = oracle.bound_scan(y / lam).upper_bound
        lower = oracle.duals.best(y, lam)
        assert exact * (1 - REL) <= u <= prev_u
        assert prev_l <= lower <= opt.objective * (1 + REL)
        prev_u, prev_l = u, lower
    oracle = BranchAndBoundOracle(X, bound_nodes=1)
    now = time.perf_counter()
    oracle.bound_window = (now, now + 0.5)      # rounds out of time, 0.5 s left for the bound
    u = oracle.bound_scan(y / lam).upper_bound
    assert exact * (1 - REL) <= u <= BranchAndBoundOracle(X, bound_nodes=1).bound_scan(y / lam).upper_bound
    oracle.bound_window = (now + 60.0, now + 120.0)   # rounds not out of time: the node budget only
    assert oracle.bound_scan(y / lam).upper_bound == BranchAndBoundOracle(X, bound_nodes=1).bound_scan(y / lam).upper_bound


def test_bound_scan_continues_the_remembered_frontier():
    """A scan of ``p`` remembered, then the bounding scan of ``p`` and of a nearby ``p'``
    (shifted bounds, Lemma 9): each ``U`` at least the enumerated maximum."""
    X, y = _problem(3, 12, seed=6)
    enum = EnumerationOracle(enumerate_chambers(X))
    oracle = BranchAndBoundOracle(X, bound_nodes=8)
    p = y / 0.1
    oracle.scan(p, 1.0, limit=3, remember=True)
    for q in (p, p + 0.3 * np.random.default_rng(1).standard_normal(p.shape)):
        assert oracle.bound_scan(q).upper_bound >= enum.scan(q, np.inf).max_value * (1 - REL)


@pytest.mark.parametrize("max_iter", [1, 3])
def test_stopped_exchange_reports_the_best_recorded_bound(max_iter):
    """A branch-and-bound exchange stopped after a few rounds: its lower bound is the best
    over every dual scanned, at least the returned candidate's own bound, and at most the
    certified optimum."""
    X, y = _problem(3, 12, seed=2)
    lam = 0.05
    opt = relucert.solve(X, y, lam, oracle="enumerate", progress=False)
    assert opt.status.value == "optimal"
    oracle = BranchAndBoundOracle(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = solve_exchange(None, y, lam, oracle=oracle, max_iter=max_iter, progress=False)
    assert res.status.value == "limit"
    best = res.best
    own = scaled_dual_value(best.p, y, lam, best.scan.upper_bound)
    assert best.lower_bound == oracle.duals.best(y, lam) >= own
    assert best.lower_bound <= opt.objective * (1 + REL)
