"""Issue 16: the exchange's early-stopped scans (proofs/exchange_method.md, "Early-stopped
scans"). A scan with ``stop_above`` / ``reject_above`` / ``budget`` is checked against the
complete scan of the same dual (an independent run of every chamber); the exchange that uses
them against the full SOCP reformulation over all chambers (clarabel)."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.socp import solve_socp


def _data(seed, n=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    y = np.abs(X[:, 0]) - np.maximum(X[:, 1] - 0.3, 0.0) + 0.1 * rng.standard_normal(n)
    return X, y


def _pairs(scan):
    return {(int(k), int(s)): float(v) for k, s, v in zip(scan.chamber, scan.sign, scan.value)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_stops_report_true_violators_and_the_exact_maximum_when_known(seed):
    X, y = _data(seed)
    arr = enumerate_chambers(X)
    rng = np.random.default_rng(seed + 10)
    p = rng.standard_normal(arr.n) * 0.3          # max |eta| a little above 1
    full = scan_all_chambers(arr, p, 1.0)
    assert full.complete and full.max_value > 1.0
    truth = _pairs(full)
    top = full.max_value
    cases = [dict(limit=1, reject_above=1.0),                                # stop at once
             dict(limit=1, reject_above=1.0, progress=1.0),                  # ... if b is the max
             dict(limit=3, budget=4, reject_above=1.0, progress=0.5),
             dict(limit=1, budget=1, reject_above=1.0 + 0.5 * (top - 1.0), progress=0.1)]
    for kw in cases:
        s = scan_all_chambers(arr, p, 1.0, **kw)
        got = _pairs(s)
        assert got and set(got) <= set(truth)                   # every violator is a true one
        for key, v in got.items():
            assert abs(v - truth[key]) <= 1e-12 * max(1.0, truth[key])
        assert s.upper_bound >= top - 1e-12                     # the bound holds
        if s.complete or s.upper_bound <= s.max_value:          # maximum known: it is the true one
            assert abs(s.max_value - top) <= 1e-12 * top
        if not s.complete:                                      # stopped only above the levels
            assert s.max_value > kw["reject_above"]
            # the descent condition: b - 1 >= progress (max - 1)
            assert s.max_value - 1.0 >= kw.get("progress", 0.0) * (top - 1.0) - 1e-12
    # progress 1: the scan stops only where the maximum is known
    s = scan_all_chambers(arr, p, 1.0, limit=1, budget=1, reject_above=1.0, progress=1.0)
    assert not s.complete and abs(s.max_value - top) <= 1e-12 * top
    # nothing above reject_above: the scan is complete and lists what the full scan lists
    s = scan_all_chambers(arr, p, 1.0, limit=1, budget=1, reject_above=2.0 * top, progress=0.01)
    assert s.complete and _pairs(s).keys() == truth.keys()


@pytest.mark.parametrize("lam", [0.1, 0.01])
def test_exchange_with_early_stops_reaches_the_socp_optimum(lam):
    """The exchange's scans stop early in its transition rounds (small limit and budget here,
    so the rule is exercised at this size); the certified answer is the SOCP's optimum."""
    X, y = _data(3, n=30)
    arr = enumerate_chambers(X)
    res = solve_exchange(arr, y, lam, add_limit=2, progress=False)
    socp = solve_socp(arr, y, lam)
    assert res.status.value == "optimal"
    assert res.best.scan.complete
    incomplete = [e for e in res.history if not e["complete"]]
    assert incomplete, "no scan stopped early: the test does not exercise the rule"
    scale = max(1.0, abs(socp.objective))
    assert res.best.objective - socp.objective <= 1e-6 * scale
    assert socp.objective - res.best.lower_bound <= 1e-6 * scale

