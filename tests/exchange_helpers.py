"""Shared check of the tests: the exchange with a configured tree oracle reaches the optimum of
the exchange over every chamber (an independent oracle), both certified."""
from __future__ import annotations

import numpy as np

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle_api import BranchAndBoundOracle, EnumerationOracle
from relucert.results import Status


def check_bab_reaches_enumerated_optimum(n: int, d: int, configure, lam: float = 0.05) -> None:
    """Teacher-like data (two ReLUs plus noise, seed ``10 d + n``); ``configure(oracle)`` sets the
    ``BranchAndBoundOracle``'s policy before the solve."""
    rng = np.random.default_rng(10 * d + n)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d) + 0.3, 0.0) - 0.5 * np.maximum(X @ rng.standard_normal(d), 0.0)
    y = y + 0.05 * rng.standard_normal(n)
    ref = solve_exchange(enumerate_chambers(X), y, lam, oracle=EnumerationOracle(enumerate_chambers(X)))
    bab = BranchAndBoundOracle(X, progress=False)
    configure(bab)
    got = solve_exchange(None, y, lam, oracle=bab, progress=False)
    assert ref.status is Status.OPTIMAL and got.status is Status.OPTIMAL
    assert ref.best.certified and got.best.certified
    assert abs(ref.best.objective - got.best.objective) <= 1e-7 * max(1.0, abs(ref.best.objective))
