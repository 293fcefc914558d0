"""lp/tv/exchange.py helpers against brute force: de-duplication of atoms (k-d trees vs
all pairwise distances) and the oracle's facet-only interior test (vs all hyperplanes)."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv import atom_set, chamber_arrays
from relucert.tolerances import DEFAULT


def _brute_dedupe(theta_set, sign_set, new_theta, new_sign, r):
    kept_t, kept_s = list(theta_set), list(sign_set)
    for t, s in zip(new_theta, new_sign):
        if not any(ks == s and np.linalg.norm(t - kt) <= r for kt, ks in zip(kept_t, kept_s)):
            kept_t.append(t)
            kept_s.append(s)
    return np.array(kept_t), np.array(kept_s)


@pytest.mark.parametrize("seed", range(10))
def test_dedupe_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    T = rng.standard_normal((30, 3))
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    S = rng.choice([-1.0, 1.0], 30)
    r = DEFAULT.merge_angle
    near = T[rng.choice(30, 12)] + rng.choice([0.0, 0.1 * r, 10 * r], (12, 1)) * rng.standard_normal((12, 3))
    N = np.vstack([near, rng.standard_normal((5, 3)), near[:4] + 0.2 * r])
    NS = rng.choice([-1.0, 1.0], N.shape[0])
    got = atom_set.dedupe_add(T, S, N, NS, DEFAULT)
    ref = _brute_dedupe(T, S, N, NS, r)
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])


@pytest.mark.parametrize("n,d", [(30, 1), (40, 2), (15, 3)])
def test_facet_interior_test_equals_all_hyperplanes(n, d):
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, d))
    X[3] = X[1]
    arr = enumerate_chambers(X)
    rows = np.arange(arr.n_chambers)
    zero = DEFAULT.sign_zero * np.linalg.norm(arr.X_lift, axis=1)
    x0 = arr.X_lift[0]
    for V in (3.0 * arr.interior, rng.standard_normal(arr.interior.shape),
              arr.interior - np.outer(arr.interior @ x0, x0) / (x0 @ x0)):   # some on H_0
        S = arr.X_lift @ V.T
        act = arr.active(rows).T
        pos, neg = S > zero[:, None], S < -zero[:, None]
        plus, minus = chamber_arrays.interior_masks(arr, rows, V, zero)
        assert np.array_equal(plus, np.where(act, pos, neg).all(axis=0))
        assert np.array_equal(minus, np.where(act, neg, pos).all(axis=0))
