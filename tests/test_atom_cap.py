"""Issue 16, session 12: the exchange's atom set at its cap (lp/tv/atom_set.py): every
positive-weight atom stays, and the zero-weight atoms kept are those of largest dual value
eta_p = Phi^T p (the nearest to entering again), up to EXCHANGE_ATOM_KEEP_FRACTION of the cap;
checked against a direct enumeration of the rule."""
import numpy as np

import relucert.lp.tv.atom_set as atom_set
from relucert.lp.tv.atom_set import kept_at_cap, update_atom_set
from relucert.lp.tv.oracle_scan import OracleScan
from relucert.tolerances import resolve


def _by_rule(c, eta, size):
    """The rule spelt out: positives, then zero-weight atoms one by one in decreasing eta."""
    keep = [j for j in range(c.size) if c[j] > 0]
    for j in sorted((j for j in range(c.size) if not c[j] > 0), key=lambda j: (-eta[j], j)):
        if len(keep) >= size:
            break
        keep.append(j)
    mask = np.zeros(c.size, dtype=bool)
    mask[keep] = True
    return mask


def test_kept_at_cap_matches_the_rule():
    rng = np.random.default_rng(3)
    for trial in range(50):
        K = int(rng.integers(1, 40))
        c = np.where(rng.random(K) < 0.3, rng.random(K), 0.0)
        eta = np.round(rng.uniform(-1.0, 1.0, K), 1)      # ties on purpose
        size = int(rng.integers(0, K + 3))
        assert np.array_equal(kept_at_cap(c, eta, size), _by_rule(c, eta, size))
    # without eta, or with no room: the positive-weight atoms only
    c = np.array([0.0, 1.0, 0.0])
    assert np.array_equal(kept_at_cap(c, None, 3), c > 0)
    assert np.array_equal(kept_at_cap(c, np.ones(3), 1), c > 0)


def _empty_scan(D):
    return OracleScan(max_value=0.0, upper_bound=0.0, complete=True, threshold=1.0, point=np.zeros((0, D)),
                      sign=np.zeros(0, dtype=np.int8), value=np.zeros(0))


def test_update_at_the_cap_keeps_the_support_and_the_near_active_atoms(monkeypatch):
    monkeypatch.setattr(atom_set, "EXCHANGE_ATOM_CAP", 10)
    monkeypatch.setattr(atom_set, "EXCHANGE_ATOM_CAP_PER_LIMIT", 1)
    monkeypatch.setattr(atom_set, "EXCHANGE_ATOM_KEEP_FRACTION", 0.5)
    rng = np.random.default_rng(0)
    K, D = 14, 3
    theta = rng.standard_normal((K, D))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    sign = np.ones(K)
    c = np.zeros(K)
    c[[2, 9]] = [0.5, 1.5]
    eta = np.linspace(0.0, 0.99, K)[::-1]          # atom 0 the nearest to entering, then 1, ...
    tol = resolve(None)
    out, sgn, _, added = update_atom_set(theta, sign, c, None, np.zeros((0, D)), np.zeros(0), _empty_scan(D),
                                         np.zeros(5), 8, tol, 1.0, None, eta=eta)
    # cap 10 < 14: the support {2, 9} and the three zero-weight atoms of largest eta {0, 1, 3}
    assert np.array_equal(out, theta[[0, 1, 2, 3, 9]]) and not added
    out, _, _, _ = update_atom_set(theta, sign, c, None, np.zeros((0, D)), np.zeros(0), _empty_scan(D),
                                   np.zeros(5), 8, tol, 1.0, None)
    assert np.array_equal(out, theta[[2, 9]])      # no eta: the support only (as before)
