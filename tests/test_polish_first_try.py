"""Issue 16, session 11: the exchange's FIRST polishing try (lam > 0) on more than
EXCHANGE_POLISH_EAGER_ATOMS atoms, and a try because the gap stalled, wait until the certified
gap is within EXCHANGE_POLISH_GAP_FACTOR x tol.obj_gap (lp/tv/polish_policy.py); smaller
networks and (P_0) as before. Session 12: after a failed try on such a network, a stall retries
only once the gap is EXCHANGE_POLISH_STALL_RETRY times that try's. Only when polishing is tried
changes: a certified answer is unchanged."""
from types import SimpleNamespace

import numpy as np
import pytest

from relucert.lp.tv.polish_policy import PolishPolicy
from relucert.tolerances import (DEFAULT, EXCHANGE_POLISH_EAGER_ATOMS, EXCHANGE_POLISH_GAP_FACTOR,
                                 EXCHANGE_POLISH_STALL_RETRY)


def _tries(lam, n_atoms, gaps):
    policy = PolishPolicy(None, np.zeros(3), lam, DEFAULT)
    scan = SimpleNamespace(complete=True, settled=False, conclusive=True, max_value=1.0 + 1e-3)
    out = []
    for g in gaps:
        cand = SimpleNamespace(rel_gap=lambda g=g: g, certified=g <= DEFAULT.obj_gap)
        out.append(policy.should_try(scan, n_atoms, [cand]))
    return out


NEAR = 0.5 * EXCHANGE_POLISH_GAP_FACTOR * DEFAULT.obj_gap
GAPS = [3.7e-5, 7e-8, 2e-8, NEAR, 0.4 * NEAR]


@pytest.mark.parametrize("lam, n_atoms, expected", [
    (0.001, EXCHANGE_POLISH_EAGER_ATOMS + 1, [False, False, False, True, False]),  # waits for the target
    (0.001, EXCHANGE_POLISH_EAGER_ATOMS, [True, False, False, True, False]),       # small: first try at once
    (0.0, EXCHANGE_POLISH_EAGER_ATOMS + 1, [True, True, False, True, False]),      # (P_0): as before
])
def test_first_try_on_a_large_network_waits_for_a_gap_near_the_target(lam, n_atoms, expected):
    assert _tries(lam, n_atoms, GAPS) == expected


def test_a_stall_retries_a_large_network_only_near_the_target():
    n = EXCHANGE_POLISH_EAGER_ATOMS + 1
    assert _tries(0.001, n, [1e-4, 0.9e-4]) == [False, False]               # stalled far away: not tried
    # stalled near the target after a failed try: tried once the gap is EXCHANGE_POLISH_STALL_RETRY
    # times that try's (session 12; before, every stalled round near the target was tried)
    assert _tries(0.001, n, [NEAR, 0.9 * NEAR, 0.8 * NEAR]) == [True, False, False]
    half = EXCHANGE_POLISH_STALL_RETRY * NEAR
    assert _tries(0.001, n, [NEAR, 0.9 * NEAR, half, 0.9 * half]) == [True, False, True, False]
    assert _tries(0.001, n, [2e-8, 1.9e-8, NEAR, 0.9 * NEAR]) == [False, False, True, False]
    assert _tries(0.001, EXCHANGE_POLISH_EAGER_ATOMS, [1e-4, 0.9e-4]) == [True, True]   # small: as before
    assert _tries(0.0, n, [1e-4, 0.9e-4]) == [True, True]                   # (P_0): as before
    assert _tries(0.001, n, [0.5 * DEFAULT.obj_gap]) == [True]              # certified: polished
