"""Issue 16, session 8: when the exchange retries a failed polishing (lp/tv/polish_policy.py,
proofs/exchange_method.md, "Polishing"): for lam > 0 only once the certified gap is within
EXCHANGE_POLISH_GAP_FACTOR x tol.obj_gap (and dropped EXCHANGE_POLISH_RETRY-fold), or on a
stall, or for a certified answer; the first try and (P_0) as before. The answer is still the
SOCP reformulation's optimum."""
from types import SimpleNamespace

import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.polish_policy import PolishPolicy
from relucert.lp.tv.socp import solve_socp
from relucert.tolerances import DEFAULT


def _round(policy, gap, certified=False):
    scan = SimpleNamespace(complete=True, settled=False, conclusive=True, max_value=1.0 + 1e-3)
    cand = SimpleNamespace(rel_gap=lambda: gap, certified=certified)
    return policy.should_try(scan, 5, [cand])


@pytest.mark.parametrize("lam, expected", [
    (0.01, [True, False, False, False, True, False, True, True]),
    (0.0, [True, False, True, False, True, False, True, True]),
])
def test_retry_waits_for_a_gap_near_the_target(lam, expected):
    """Gaps 1e-4 (first try), 4e-5, 1e-6 (100x lower: retried only for (P_0)), 4e-7, 9e-9
    (near the target: retried for lam > 0; 100x below 1e-6 for (P_0)), 4e-9, 3e-9 (a stall), then a
    certified one."""
    policy = PolishPolicy(None, np.zeros(3), lam, DEFAULT)
    gaps = [1e-4, 4e-5, 1e-6, 4e-7, 9e-9, 4e-9, 3e-9, 2e-10]
    got = [_round(policy, g, certified=g < DEFAULT.obj_gap) for g in gaps]
    assert got == expected


def test_exchange_with_the_retry_rule_reaches_the_socp_optimum():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((30, 2))
    y = np.abs(X[:, 0]) - np.maximum(X[:, 1] - 0.3, 0.0) + 0.1 * rng.standard_normal(30)
    arr = enumerate_chambers(X)
    res = solve_exchange(arr, y, 0.01, add_limit=4, progress=False)
    assert res.status.value == "optimal"
    socp = solve_socp(arr, y, 0.01)
    scale = max(1.0, abs(socp.objective))
    assert res.best.objective - socp.objective <= 1e-6 * scale
    assert socp.objective - res.best.lower_bound <= 1e-6 * scale
