"""The stopping test of the tree oracle (lp/tv/bab/loop.py, ``maximise(accept_below=...)``,
lp/tv/exchange.py ``_early_stop``; proofs/local_violators.md, Lemma L3), against independent
methods: the enumeration of every chamber (relucert.arrangement + lp.tv.oracle), the exchange
over it (its certified optimum: the SOCP cross-check is inaccurate on these small problems), and the
same searches without the test."""
import numpy as np
import pytest

from relucert._model import dual_value
from relucert.arrangement import enumerate_chambers
from relucert.lp.tv import exchange
from relucert.lp.tv.bab import maximise
from relucert.lp.tv.candidate import evaluate_candidate
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.oracle_api import BranchAndBoundOracle
from relucert.tolerances import DEFAULT


def _scaled(d, n, seed, top=1.0):
    rng = np.random.default_rng(seed)
    X, p = rng.standard_normal((n, d)), rng.standard_normal(n)
    M = scan_all_chambers(enumerate_chambers(X), p, np.inf).max_value
    return X, p * top / M


@pytest.mark.parametrize("d,n,seed", [(2, 12, 0), (3, 10, 1), (4, 9, 2)])
def test_settled_scan_bounds_the_enumerated_maximum(d, n, seed):
    """max |eta_p| = 1 by enumeration. With accept_below above it the search settles (or
    completes) with 1 <= upper_bound <= accept_below and never more nodes than the full
    search; below it the test never fires and the search is the same as without it."""
    X, p = _scaled(d, n, seed)
    full = maximise(X, p, 1.0 + DEFAULT.dual_feas)
    assert full.complete and not full.settled and abs(full.max_value - 1.0) <= 1e-12
    settled = 0
    for gap in (1e-6, 1e-3, 0.1):
        out = maximise(X, p, 1.0 + DEFAULT.dual_feas, accept_below=1.0 + gap)
        assert out.settled != out.complete
        assert 1.0 - 1e-12 <= out.upper_bound and out.max_value <= 1.0 + 1e-12
        assert out.stats.n_nodes <= full.stats.n_nodes
        if out.settled:
            assert out.upper_bound <= 1.0 + gap
            settled += 1
    assert settled >= 1
    below = maximise(X, p, 1.0 + DEFAULT.dual_feas, accept_below=1.0 - 1e-6)
    assert not below.settled and below.complete
    assert (below.max_value, below.upper_bound, below.stats.n_nodes) == (full.max_value, full.upper_bound,
                                                                          full.stats.n_nodes)
    assert np.array_equal(below.value, full.value)


@pytest.mark.parametrize("d,n,seed", [(3, 9, 4), (4, 9, 5)])
def test_settled_scan_certifies_the_optimum_on_its_upper_bound(d, n, seed):
    """The optimum's dual (enumeration exchange) scanned by the tree with the exchange's
    accept_below (small batches) settles; the gap test on its upper bound certifies the candidate, and its
    certified lower bound is at most the enumeration's certified optimum (weak duality) and
    within tol.obj_gap."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(2.0 * X[:, 0]) + 0.1 * rng.standard_normal(n)
    lam = 0.05
    arr = enumerate_chambers(X)
    ref = solve_exchange(arr, y, lam, progress=False)
    assert ref.best.certified
    b = ref.best
    oracle = BranchAndBoundOracle(X, batch=4)    # small batches: the test is checked often
    early = exchange._early_stop(oracle, y, lam, b.amplitude, b.predictions, b.p, DEFAULT)
    assert 1.0 < early["accept_below"] < 1.0 + 1e-6
    scan = oracle.scan(b.p, 1.0 + DEFAULT.dual_feas, tol=DEFAULT, **early)
    assert scan.settled and not scan.complete and scan.upper_bound <= early["accept_below"]
    assert scan.conclusive
    cand = evaluate_candidate(oracle, y, lam, b.theta, b.amplitude, b.p, tol=DEFAULT, scan=scan)
    assert cand.certified and not cand.scan.complete and cand.scan.settled
    assert np.isfinite(cand.rel_gap()) and cand.rel_gap() <= DEFAULT.obj_gap
    assert cand.lower_bound <= b.objective and b.lower_bound <= cand.objective
    assert cand.objective - cand.lower_bound <= DEFAULT.obj_gap * max(1.0, abs(cand.objective))
    # the bound it certifies on: D(p / max(1, U)) with U the settled scan's upper bound
    assert cand.lower_bound == dual_value(b.p / max(1.0, scan.upper_bound), y, lam)


def test_early_stop_of_a_candidate_that_cannot_pass_has_no_stopping_test(monkeypatch):
    """A candidate that no M >= 1 lets pass the gap test gets no accept_below (its scan runs as
    before); one that can pass gets accept_below >= 1, unless BAB_STOP_TEST is off."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((8, 2))
    y = rng.standard_normal(8)
    oracle = BranchAndBoundOracle(X)
    lam = 0.05
    # <p, y> < 0: D(p / M) < 0 < primal for every M
    assert exchange._early_stop(oracle, y, lam, np.ones(1), 0.5 * y, -y, DEFAULT) == {}
    # the zero network and its dual y / lam pass at M = 1 (its gap is 0 there)
    zero = exchange._early_stop(oracle, y, lam, np.zeros(0), np.zeros(8), y / lam, DEFAULT)
    assert zero["accept_below"] >= 1.0
    monkeypatch.setattr(exchange, "BAB_STOP_TEST", False)
    assert exchange._early_stop(oracle, y, lam, np.zeros(0), np.zeros(8), y / lam, DEFAULT) == {}


@pytest.mark.parametrize("d,n,seed", [(2, 12, 6), (3, 12, 7)])
def test_exchange_with_the_stopping_test_reaches_the_optimum(d, n, seed, monkeypatch):
    """The exchange with oracle="bab" and the stopping test on (the default) or off certifies
    the enumeration oracle's optimum."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d), 0.0) + 0.1 * rng.standard_normal(n)
    lam = 0.05
    arr = enumerate_chambers(X)
    enum = solve_exchange(arr, y, lam, progress=False)
    assert enum.best.certified
    for on in (True, False):
        monkeypatch.setattr(exchange, "BAB_STOP_TEST", on)
        res = solve_exchange(None, y, lam, oracle=BranchAndBoundOracle(X), progress=False)
        assert res.status.value == "optimal" and res.best.certified
        assert abs(res.best.objective - enum.best.objective) <= 1e-8 * max(1.0, enum.best.objective)
