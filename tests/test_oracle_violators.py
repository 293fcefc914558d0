"""The violator policy of the branch-and-bound oracle (lp/tv/oracle_violators.py): a scan
stopped on its violator limit lists each (region, sign) at its region's exact maximum, as the
enumeration of every chamber does; and whatever the cap and its band, the exchange driven by
the tree reaches the optimum of the exchange driven by the enumeration (an independent
oracle), with both answers certified."""
import numpy as np
import pytest

from relucert._model import eta
from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.oracle_api import BranchAndBoundOracle, EnumerationOracle
from relucert.lp.tv.oracle_violators import scan_limit
from relucert.results import Status
from relucert.tolerances import DEFAULT
from arrangement_helpers import region_maxima


@pytest.mark.parametrize("n,d,seed", [(14, 2, 0), (10, 3, 1), (8, 4, 2)])
def test_stopped_scan_lists_region_optima(n, d, seed):
    """Scans stopped on a violator limit of 1-3 (far and near the threshold): every violator
    listed is a (region, sign) of the enumeration's list, with its exact region maximum, and
    its point attains that value."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    arr = enumerate_chambers(X)
    p0 = rng.standard_normal(n)
    p0 = p0 / scan_all_chambers(arr, p0, 0.0).max_value
    thr = 1.0 + DEFAULT.dual_feas
    checked = 0
    for scale, limit in ((3.0, 1), (1.3, 2), (1.05, 3)):
        p = p0 * scale
        oracle = BranchAndBoundOracle(X, progress=False)
        got = oracle.scan(p, thr, limit=limit).detail
        ref = scan_all_chambers(arr, p, thr)
        want = region_maxima(arr, ref, got.support)
        assert got.max_value <= got.upper_bound
        for a, s, v, x in zip(got.active, got.sign, got.value, got.point):
            key = (np.packbits(a).tobytes(), int(s))
            assert key in want
            assert v == pytest.approx(want[key], rel=1e-10)
            assert s * eta(oracle.X_lift, p, x[None])[0] == pytest.approx(v, rel=1e-10)
            checked += 1
    assert checked >= 3


def test_scan_limit_band():
    assert scan_limit(None, None, 1.0, 1.0, 1.25, 16) is None
    assert scan_limit(200, 5000, 1.0, 1.0, 1.25, 16) == 200          # a node budget: no cap
    assert scan_limit(200, None, 1.3, 1.0, 1.25, 16) == 200
    assert scan_limit(200, None, 1.3, 1.0, 2.0, 16) == 16
    assert scan_limit(8, None, 1.0, 1.0, 1.25, 16) == 8
    assert scan_limit(200, None, 1.04, 1.0, 1.25, 16, 1.05) is None              # complete near the end
    assert scan_limit(200, 5000, 1.04, 1.0, 1.25, 16, 1.05) == 200
    assert scan_limit(200, None, 1.06, 1.0, 1.25, 16, 1.05) == 16


def _teacher(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d) + 0.3, 0.0) - 0.5 * np.maximum(X @ rng.standard_normal(d), 0.0)
    return X, y + 0.05 * rng.standard_normal(n)


@pytest.mark.parametrize("n,d,cap,band,exact,complete", [(12, 2, 1, np.inf, True, 0.0), (10, 3, 2, 2.0, True, 1.05),
                                                        (10, 3, 16, 1.25, False, 0.0), (8, 4, 4, np.inf, True, 1.05),
                                                        (12, 2, 16, 1.25, True, np.inf)])
def test_exchange_with_any_violator_policy_reaches_the_enumerated_optimum(n, d, cap, band, exact, complete):
    """oracle = branch and bound with the cap on every scan (band inf), on a wider band,
    without exact region optima, with or without complete scans near the end (or on every
    scan): the same optimum as the enumeration oracle, both certified."""
    X, y = _teacher(n, d, 10 * d + n)
    lam = 0.05
    ref = solve_exchange(enumerate_chambers(X), y, lam, oracle=EnumerationOracle(enumerate_chambers(X)))
    bab = BranchAndBoundOracle(X, progress=False)
    bab.violator_cap, bab.violator_band, bab.exact_regions, bab.complete_band = cap, band, exact, complete
    got = solve_exchange(None, y, lam, oracle=bab, progress=False)
    assert ref.status is Status.OPTIMAL and got.status is Status.OPTIMAL
    assert ref.best.certified and got.best.certified
    a, b = ref.best.objective, got.best.objective
    assert abs(a - b) <= 1e-7 * max(1.0, abs(a))
