"""Local scans of the branch-and-bound oracle (lp/tv/oracle_violators.py, proofs/local_violators.md):
every pair the climb over neighbouring regions lists is a true violator, checked against the
enumeration of every chamber (an independent oracle); and the exchange whose near-feasible
rounds are local scans reaches the optimum of the exchange driven by the enumeration, both
certified."""
import numpy as np
import pytest

from relucert._model import eta
from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.bab.tree import prepare
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.oracle_api import BranchAndBoundOracle, EnumerationOracle
from relucert.lp.tv.oracle_violators import LocalScans, local_violators
from relucert.results import Status
from relucert.tolerances import DEFAULT
from arrangement_helpers import region_maxima


def _near_feasible(n, d, seed, scale):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    arr = enumerate_chambers(X)
    p = rng.standard_normal(n)
    return X, arr, p * scale / scan_all_chambers(arr, p, 0.0).max_value


@pytest.mark.parametrize("n,d,seed", [(16, 2, 0), (12, 3, 1), (9, 4, 2)])
def test_climb_lists_true_violators_with_their_region_maxima(n, d, seed):
    """From random start points and from the enumerated maximiser: every listed pair exceeds
    the threshold, its value is ``sign * eta`` at its point and at most enumeration's maximum;
    a pattern that is one of enumeration's violating regions carries that region's exact
    maximum; from the maximiser's point the climb meets the maximum."""
    X, arr, p = _near_feasible(n, d, seed, 1.2)
    thr = 1.0 + DEFAULT.dual_feas
    ref = scan_all_chambers(arr, p, thr)
    prob = prepare(X, p)
    want = region_maxima(arr, ref, prob.support)
    rng = np.random.default_rng(seed + 7)
    starts = np.vstack([rng.standard_normal((6, d + 1)), ref.point[:1]])
    signs = np.concatenate([rng.choice([-1, 1], 6), ref.sign[:1]])
    act, sg, val, pt, best = local_violators(prob.A, prob.q, starts, signs, thr, 10_000, DEFAULT)
    assert val.size >= 1 and np.all(np.diff(val) <= 0)
    assert best == pytest.approx(ref.max_value, rel=1e-10)
    matched = 0
    for a, s, v, x in zip(act, sg, val, pt):
        assert v > thr and v <= ref.max_value * (1.0 + 1e-12)
        assert int(s) * eta(arr.X_lift, p, x[None])[0] == pytest.approx(v, rel=1e-12)
        key = (np.packbits(a).tobytes(), int(s))
        if key in want:
            assert v == pytest.approx(want[key], rel=1e-10)
            matched += 1
    assert matched >= 1


def test_local_scan_stands_in_near_feasibility_only():
    """The oracle's second scan (near feasibility, a violator limit) is a local scan: incomplete,
    true violators against enumeration, an upper bound above the exact maximum; with a limit of
    none (a complete scan) or ``min_found`` above what the climb finds, the tree scans."""
    X, arr, p0 = _near_feasible(12, 3, 3, 1.15)
    thr = 1.0 + DEFAULT.dual_feas
    oracle = BranchAndBoundOracle(X, progress=False)
    oracle.local.min_found = 1
    first = oracle.scan(p0, thr, limit=16, remember=True)
    assert first.detail is not None and oracle.local.n_scans == 0
    p1 = p0 * 1.05
    ref = scan_all_chambers(arr, p1, thr)
    got = oracle.scan(p1, thr, limit=16, remember=True)
    assert oracle.local.n_scans == 1 and got.detail is None and not got.complete
    assert got.upper_bound >= ref.max_value and got.max_value <= ref.max_value * (1.0 + 1e-12)
    for s, v, x in zip(got.sign, got.value, got.point):
        assert v > thr and int(s) * eta(arr.X_lift, p1, x[None])[0] == pytest.approx(v, rel=1e-12)
    full = oracle.scan(p1, thr, limit=None)
    assert full.complete and oracle.local.n_scans == 1
    assert full.max_value == pytest.approx(ref.max_value, rel=1e-9)
    oracle.local.min_found = 10 ** 6
    assert oracle.scan(p1, thr, limit=16).detail is not None and oracle.local.n_scans == 1


def test_local_scans_in_a_row_are_capped():
    """After ``max_run`` local scans in a row the next scan goes to the tree."""
    X, arr, p0 = _near_feasible(10, 2, 4, 1.1)
    thr = 1.0 + DEFAULT.dual_feas
    oracle = BranchAndBoundOracle(X, progress=False)
    oracle.local.min_found, oracle.local.max_run = 1, 2
    oracle.scan(p0, thr, limit=16)
    tree = [oracle.scan(p0, thr, limit=16).detail is not None for _ in range(6)]
    assert tree == [False, False, True, False, False, True]


def test_pool_keeps_the_newest_points_first():
    pool = LocalScans(3)
    pool.pool = 3
    pool.add(np.eye(3)[:2], np.array([1, -1]))
    pool.add(np.ones((2, 3)), np.array([-1, -1]))
    assert pool.points.tolist() == [[1, 1, 1], [1, 1, 1], [1, 0, 0]] and pool.signs.tolist() == [-1, -1, 1]


def _teacher(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d) + 0.3, 0.0) - 0.5 * np.maximum(X @ rng.standard_normal(d), 0.0)
    return X, y + 0.05 * rng.standard_normal(n)


@pytest.mark.parametrize("n,d,min_found,run", [(14, 2, 1, 8), (10, 3, 2, 3), (8, 4, 1, 8)])
def test_exchange_with_local_scans_reaches_the_enumerated_optimum(n, d, min_found, run):
    """oracle = branch and bound whose near-feasible rounds are local scans where they list
    ``min_found`` violators (at most ``run`` in a row): some rounds are local, and the answer is
    the enumeration oracle's optimum, both certified."""
    X, y = _teacher(n, d, 10 * d + n)
    lam = 0.05
    ref = solve_exchange(enumerate_chambers(X), y, lam, oracle=EnumerationOracle(enumerate_chambers(X)))
    bab = BranchAndBoundOracle(X, progress=False)
    bab.local.min_found, bab.local.max_run = min_found, run
    got = solve_exchange(None, y, lam, oracle=bab, progress=False)
    assert bab.local.n_scans >= 1
    assert ref.status is Status.OPTIMAL and got.status is Status.OPTIMAL
    assert ref.best.certified and got.best.certified
    a, b = ref.best.objective, got.best.objective
    assert abs(a - b) <= 1e-7 * max(1.0, abs(a))
