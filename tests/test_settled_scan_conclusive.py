"""A settled scan (the tree oracle's stopping test, proofs/local_violators.md, Lemma L3) is
CONCLUSIVE (``OracleScan.conclusive``): the gap test (lp/tv/candidate.py) and the polish policy
(lp/tv/polish_policy.py) judge it on its upper bound, while ``complete`` keeps its meaning (every
violator listed) and a settled scan never reports it. Before, lp/tv/exchange.py relabelled the
scan ``complete=True``; at 343bdc7 only the candidate's evaluation saw that relabelled scan, and the
polish policy skipped the settled round (d4n100 then ended on the unpolished candidate, its gap
1.8e-7 of the objective against 1.2e-13 polished; fixed by 4b3373b)."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv import exchange
from relucert.lp.tv.candidate import evaluate_candidate
from relucert.lp.tv.exchange import solve_exchange
from relucert.lp.tv.oracle_api import BranchAndBoundOracle, OracleScan
from relucert.lp.tv.polish_policy import PolishPolicy
from relucert.tolerances import DEFAULT


def _scan(complete, settled):
    empty = np.zeros((0, 3))
    return OracleScan(max_value=0.9, upper_bound=1.0, complete=complete, threshold=1.0, point=empty,
                      sign=np.zeros(0, np.int8), value=np.zeros(0), settled=settled)


@pytest.mark.parametrize("complete, settled, conclusive", [(True, False, True), (False, True, True),
                                                           (False, False, False)])
def test_conclusive_is_complete_or_settled(complete, settled, conclusive):
    s = _scan(complete, settled)
    assert s.conclusive is conclusive and s.complete is complete


@pytest.fixture(scope="module")
def settled_round():
    """The enumeration exchange's certified optimum on a d = 4 problem and the tree oracle's
    settled scan of its dual (small batches: the stopping test is checked often)."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((9, 4))
    y = np.sin(2.0 * X[:, 0]) + 0.1 * rng.standard_normal(9)
    lam = 0.05
    ref = solve_exchange(enumerate_chambers(X), y, lam, progress=False)
    assert ref.best.certified
    b = ref.best
    oracle = BranchAndBoundOracle(X, batch=4)
    early = exchange._early_stop(oracle, y, lam, b.amplitude, b.predictions, b.p, DEFAULT)
    scan = oracle.scan(b.p, 1.0 + DEFAULT.dual_feas, tol=DEFAULT, **early)
    assert scan.settled and not scan.complete and scan.conclusive
    return oracle, y, lam, b, scan


def test_a_settled_scan_is_accepted_through_its_bound_and_never_complete(settled_round):
    oracle, y, lam, b, scan = settled_round
    cand = evaluate_candidate(oracle, y, lam, b.theta, b.amplitude, b.p, tol=DEFAULT, scan=scan)
    assert cand.certified
    assert not cand.scan.complete and cand.scan.settled      # never reported as complete
    # the gap is judged on the settled upper bound: finite, within tol.obj_gap
    assert np.isfinite(cand.rel_gap()) and cand.rel_gap() <= DEFAULT.obj_gap
    assert cand.duality_gap == pytest.approx(cand.objective - cand.lower_bound, abs=0.0)
    # an incomplete scan that is not settled gives no honest gap
    plain = OracleScan(max_value=scan.max_value, upper_bound=scan.upper_bound, complete=False,
                       threshold=scan.threshold, point=scan.point, sign=scan.sign, value=scan.value)
    other = evaluate_candidate(oracle, y, lam, b.theta, b.amplitude, b.p, tol=DEFAULT, scan=plain)
    assert not other.certified and other.rel_gap() == np.inf


def test_the_polish_policy_polishes_after_a_settled_scan(settled_round):
    """The bug fixed by 4b3373b: the round whose scan settled must be polished (343bdc7 skipped it,
    its policy asking for a complete scan) and the polished candidate is certified on its own scan."""
    oracle, y, lam, b, scan = settled_round
    cand = evaluate_candidate(oracle, y, lam, b.theta, b.amplitude, b.p, tol=DEFAULT, scan=scan)
    policy = PolishPolicy(oracle, y, lam, DEFAULT)
    assert policy.should_try(scan, b.theta.shape[0], [cand])
    entry = {}
    polished = policy.run(b.theta, b.amplitude, b.p, entry)
    assert polished is not None and polished.certified and polished.scan.conclusive
    assert polished.duality_gap <= max(cand.duality_gap, 0.0) + 1e-12 * max(1.0, abs(cand.objective))
