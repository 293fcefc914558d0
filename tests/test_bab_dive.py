"""The diving order of ``maximise(dive=True)`` (``BranchAndBoundOracle.dive``; relucert/tolerances
``BAB_SCAN_DIVE``): the open nodes are taken in the order of a value of ``eta`` met in each
instead of their bounds. The order only: a complete diving scan returns the enumerated maximum
and exactly the enumerated (region, sign) violators; a stopped one lists violators of those
regions with values met in them and a valid upper bound; the order keys are values met at points
of the cones; and the exchange with it reaches the enumerated optimum (an independent oracle)."""
import numpy as np
import pytest

from relucert._model import eta
from relucert.arrangement import enumerate_chambers
from relucert.lp.tv import oracle_api
from relucert.lp.tv.bab import maximise
from relucert.lp.tv.bab.loop import centre_values
from relucert.lp.tv.bab.tree import prepare
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.oracle_api import BranchAndBoundOracle
from relucert.tolerances import DEFAULT
from arrangement_helpers import region_maxima
from exchange_helpers import check_bab_reaches_enumerated_optimum


@pytest.fixture(params=[0, 2], ids=["dive", "every-2nd-by-bound"])
def every(request, monkeypatch):
    """Every batch dives (0), or every second one is taken best-first on the bound."""
    monkeypatch.setattr("relucert.lp.tv.bab.search.BAB_DIVE_BOUND_EVERY", request.param)
    return request.param


def _dual(n, d, seed, repeat=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if repeat:      # degenerate data: repeated points and a collinear triple
        X[1] = X[0]
        X[2] = 2 * X[3] - X[4]
    arr = enumerate_chambers(X)
    p = rng.standard_normal(n)
    return X, arr, p / scan_all_chambers(arr, p, 0.0).max_value


@pytest.mark.parametrize("n,d,seed,repeat", [(16, 2, 0, False), (12, 3, 1, False), (10, 3, 2, True),
                                             (9, 4, 3, False)])
def test_complete_diving_scan_equals_enumeration(n, d, seed, repeat, every):
    X, arr, p = _dual(n, d, seed, repeat)
    thr = 0.6
    ref = scan_all_chambers(arr, p, thr)
    got = maximise(X, p, thr, dive=True, progress=False)
    assert got.complete
    assert abs(got.max_value - ref.max_value) <= 1e-12 * ref.max_value
    want = region_maxima(arr, ref, got.support)
    keys = {(np.packbits(a).tobytes(), int(s)): v for a, s, v in zip(got.active, got.sign, got.value)}
    assert set(keys) == set(want)
    for k, v in keys.items():
        assert abs(v - want[k]) <= 1e-12 * max(1.0, want[k])


@pytest.mark.parametrize("n,d,seed", [(16, 2, 0), (12, 3, 1)])
def test_stopped_diving_scan_lists_violators_and_bounds_the_maximum(n, d, seed, every):
    X, arr, p = _dual(n, d, seed)
    thr = 0.5
    want = region_maxima(arr, scan_all_chambers(arr, p, thr), prepare(X, p).support)
    for kw in ({"limit": 2}, {"limit": 10_000, "max_nodes": 64}):
        got = maximise(X, p, thr, dive=True, progress=False, **kw)
        assert not got.complete
        assert got.max_value <= 1.0 * (1 + 1e-12) and got.upper_bound >= 1.0 * (1 - 1e-12)
        for a, s, v in zip(got.active, got.sign, got.value):
            key = (np.packbits(a).tobytes(), int(s))
            assert key in want and thr < v <= want[key] * (1 + 1e-10)   # a value met in that region


@pytest.mark.parametrize("n,d,seed", [(12, 2, 0), (10, 3, 1), (9, 4, 2)])
def test_settled_diving_scan_bounds_the_enumerated_maximum(n, d, seed, every):
    """With the stopping test (accept_below) a diving scan reads the largest open bound from its
    second heap: settled ones have max <= upper_bound <= accept_below, the others are complete."""
    X, arr, p = _dual(n, d, seed)      # max |eta_p| = 1 by enumeration
    settled = 0
    for gap in (1e-6, 1e-3, 0.1, 0.5):
        for batch in (1, 4, None):
            out = maximise(X, p, 1.0 + DEFAULT.dual_feas, limit=4, accept_below=1.0 + gap, dive=True, batch=batch,
                           progress=False)
            assert 1.0 - 1e-12 <= out.upper_bound and out.max_value <= 1.0 + 1e-12
            if out.settled:
                assert out.upper_bound <= 1.0 + gap
                settled += 1
            else:
                assert out.complete
    assert settled >= 1


def test_the_order_differs_from_best_first():
    """The same quota scan in the two orders expands different nodes (so the option acts)."""
    X, arr, p = _dual(16, 2, 0)
    runs = [maximise(X, p, 0.5, limit=3, harvest=False, batch=1, dive=dive, progress=False) for dive in (False, True)]
    assert runs[0].stats.n_nodes != runs[1].stats.n_nodes or not np.array_equal(runs[0].point, runs[1].point)


def test_the_bound_batches_lower_the_open_bound(monkeypatch):
    """A diving scan stopped on a node budget: with every second batch taken by bound its
    upper bound is at most the pure dive's here (both valid: at least the maximum)."""
    X, arr, p = _dual(16, 2, 0)
    got = {}
    for every in (0, 2):
        monkeypatch.setattr("relucert.lp.tv.bab.search.BAB_DIVE_BOUND_EVERY", every)
        got[every] = maximise(X, p, 0.5, limit=10_000, max_nodes=200, batch=4, dive=True, progress=False)
        assert got[every].upper_bound >= 1.0 - 1e-12
    assert got[2].upper_bound < got[0].upper_bound


def test_centre_values_are_values_met_in_the_cones():
    rng = np.random.default_rng(5)
    A, q = rng.standard_normal((30, 4)), rng.standard_normal(30)
    R = rng.integers(-3, 4, size=(50, 4, 4)).astype(np.float64)
    R = R[np.abs(np.linalg.det(R)) > 0.5]
    sign = np.where(rng.random(R.shape[0]) < 0.5, -1, 1).astype(np.int8)
    got = centre_values(A, q, R, sign)
    c = (R / np.linalg.norm(R, axis=1, keepdims=True)).sum(axis=2)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    assert np.allclose(got, sign * eta(A, q, c), rtol=0, atol=1e-12)
    # the centre is a point of its cone: non-negative coordinates in the rays
    assert np.all(np.linalg.solve(R, c[:, :, None])[:, :, 0] >= -1e-12)


def test_oracle_dives_on_quota_scans_only(monkeypatch):
    X, arr, p = _dual(12, 2, 4)
    calls = []
    real = maximise

    def spy(*a, **k):
        calls.append(k.get("dive"))
        return real(*a, **k)

    monkeypatch.setattr("relucert.lp.tv.bab.maximise", spy)
    oracle = BranchAndBoundOracle(X, progress=False)
    assert oracle.dive is oracle_api.BAB_SCAN_DIVE
    oracle.dive = True
    oracle.scan(p, 0.5, limit=10)
    oracle.scan(p, 0.5)
    oracle.dive = False
    oracle.scan(p, 0.5, limit=10)
    assert calls == [True, False, False]


@pytest.mark.parametrize("n,d", [(12, 2), (10, 3)])
def test_exchange_with_diving_scans_reaches_the_enumerated_optimum(n, d):
    check_bab_reaches_enumerated_optimum(n, d, lambda o: setattr(o, "dive", True))
