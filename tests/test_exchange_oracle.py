"""The exchange asks an oracle object for "max |eta_p| and the violators above t"
(lp/tv/oracle_api.py): the enumeration of every chamber is the default, the branch and
bound plugs in behind the same interface. Checked against each other and against the
independent full SOCP reformulation over all chambers (clarabel)."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle_api import BranchAndBoundOracle, EnumerationOracle, Oracle
from relucert.lp.tv.socp import solve_socp


class _Counting(EnumerationOracle):
    def __init__(self, arr):
        super().__init__(arr)
        self.calls = 0

    def scan(self, p, threshold, **kwargs):
        self.calls += 1
        return super().scan(p, threshold, **kwargs)


def _problem(seed=0, n=9):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    y = np.sin(2.0 * X[:, 0]) * np.cos(X[:, 1]) + 0.1 * rng.standard_normal(n)
    return X, y


def test_both_oracles_satisfy_the_protocol():
    X, _ = _problem()
    assert isinstance(EnumerationOracle(enumerate_chambers(X)), Oracle)
    assert isinstance(BranchAndBoundOracle(X), Oracle)


def test_default_oracle_is_the_enumeration_and_is_asked_every_round():
    X, y = _problem()
    arr = enumerate_chambers(X)
    spy = _Counting(arr)
    res = solve_exchange(arr, y, 0.05, oracle=spy, progress=False)
    ref = solve_exchange(arr, y, 0.05, progress=False)
    assert res.status.value == "optimal" and spy.calls >= res.n_iter
    assert res.best.objective == ref.best.objective and res.n_iter == ref.n_iter


@pytest.mark.parametrize("lam", [0.05, 0.0])
def test_branch_and_bound_oracle_gives_the_same_optimum(lam, monkeypatch):
    """d = 2: the exchange with BranchAndBoundOracle (no chamber list: the chamber scan is
    disabled during its run) reaches the enumeration oracle's optimum and the SOCP's."""
    X, y = _problem()
    arr = enumerate_chambers(X)
    enum = solve_exchange(arr, y, lam, progress=False)
    socp = solve_socp(arr, y, lam)

    def no_chamber_scan(*args, **kwargs):
        raise AssertionError("the branch-and-bound run scanned the chamber list")

    monkeypatch.setattr("relucert.lp.tv.oracle.scan_all_chambers", no_chamber_scan)
    bab = solve_exchange(None, y, lam, oracle=BranchAndBoundOracle(X), progress=False)
    assert enum.status.value == bab.status.value == "optimal"
    scale = max(1.0, abs(enum.best.objective))
    assert abs(bab.best.objective - enum.best.objective) <= 1e-8 * scale
    assert abs(bab.best.objective - socp.objective) <= 1e-6 * scale
    # the certificate of the branch-and-bound run is the oracle's exact maximum
    assert bab.best.scan.complete and bab.best.max_abs_certificate <= 1.0 + 1e-7
    np.testing.assert_allclose(bab.best.predictions, enum.best.predictions, atol=1e-5 * np.max(np.abs(y)))
