"""The violator cap by a scan's own incumbent (``maximise(near_cap=...)``,
``BranchAndBoundOracle.near_cap``; relucert/tolerances ``BAB_SCAN_NEAR_CAP``): a quota scan
whose largest ``|eta|`` met stays within the band stops at the cap; what it lists is a subset
of the enumeration's (region, sign) violators, with values met in those regions; far from feasibility
(incumbent above the band) the cap does not apply; and the exchange with it reaches the
enumerated optimum (an independent oracle), certified."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.bab import maximise
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.oracle_api import BranchAndBoundOracle, EnumerationOracle
from relucert.results import Status
from relucert.tolerances import DEFAULT
from arrangement_helpers import region_maxima


def _dual(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    arr = enumerate_chambers(X)
    p = rng.standard_normal(n)
    return X, arr, p / scan_all_chambers(arr, p, 0.0).max_value


@pytest.mark.parametrize("n,d,seed", [(16, 2, 0), (12, 3, 1)])
def test_near_cap_stops_at_the_cap_within_the_band(n, d, seed):
    X, arr, p = _dual(n, d, seed)
    thr = 0.5      # max |eta_p| = 1 <= 2.5 thr: near by the incumbent; many regions above thr
    full = maximise(X, p, thr, limit=10_000, progress=False)
    capped = maximise(X, p, thr, limit=10_000, near_cap=(2, 2.5), progress=False)
    assert full.value.size > capped.value.size >= 2
    assert not capped.complete
    assert capped.max_value <= capped.upper_bound
    want = region_maxima(arr, scan_all_chambers(arr, p, thr), capped.support)
    for a, s, v in zip(capped.active, capped.sign, capped.value):
        key = (np.packbits(a).tobytes(), int(s))
        assert key in want and thr < v <= want[key] * (1 + 1e-10)   # a value met in that region


def test_near_cap_does_not_apply_above_the_band():
    X, arr, p = _dual(16, 2, 0)
    thr = 0.5      # max |eta_p| = 1 > 1.1 thr once met: far, no cap
    full = maximise(X, p, thr, limit=10_000, harvest=False, progress=False)
    banded = maximise(X, p, thr, limit=10_000, near_cap=(2, 1.1), harvest=False, progress=False)
    assert banded.value.size == full.value.size > 2
    assert banded.complete == full.complete


def test_oracle_scan_takes_the_cap_by_its_own_incumbent():
    """The last scan was far (no cap by scan_limit), this one is near: capped, unless
    ``near_cap`` is off."""
    X, arr, p = _dual(16, 2, 0)
    got = {}
    for on in (False, True):
        oracle = BranchAndBoundOracle(X, progress=False)
        oracle.violator_cap, oracle.near_cap = 2, on
        oracle.last_max = 10.0
        got[on] = oracle.scan(p * 1.2, 1.0 + DEFAULT.dual_feas, limit=10_000).detail.value.size
    assert got[False] > got[True] >= 2


@pytest.mark.parametrize("n,d,cap", [(12, 2, 1), (10, 3, 2)])
def test_exchange_with_the_near_cap_reaches_the_enumerated_optimum(n, d, cap):
    rng = np.random.default_rng(10 * d + n)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d) + 0.3, 0.0) - 0.5 * np.maximum(X @ rng.standard_normal(d), 0.0)
    y = y + 0.05 * rng.standard_normal(n)
    lam = 0.05
    ref = solve_exchange(enumerate_chambers(X), y, lam, oracle=EnumerationOracle(enumerate_chambers(X)))
    bab = BranchAndBoundOracle(X, progress=False)
    bab.violator_cap, bab.near_cap = cap, True
    got = solve_exchange(None, y, lam, oracle=bab, progress=False)
    assert ref.status is Status.OPTIMAL and got.status is Status.OPTIMAL
    assert ref.best.certified and got.best.certified
    assert abs(ref.best.objective - got.best.objective) <= 1e-7 * max(1.0, abs(ref.best.objective))
