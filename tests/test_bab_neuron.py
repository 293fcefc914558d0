"""The node bound after neuron splits (lp/tv/bab/neuron.py; proofs/branch_and_bound.md,
Lemma 12) against the exact maximum over the split region by sub-enumeration of every sign
pattern (NNLS per region, tests/arrangement_helpers.py), on random integer cones, d = 2..5."""
import numpy as np
import pytest

from relucert.lp.tv.bab import cones
from relucert.lp.tv.bab.neuron import region_bound, region_majorant, split_scores
from relucert.tolerances import DEFAULT
from arrangement_helpers import cone_max_by_patterns


def _cone(rng, A, D, min_und):
    while True:
        R = rng.integers(-3, 4, size=(1, D, D)).astype(float)
        if abs(np.linalg.det(R[0])) > 0.5:
            act, und, Sn, Rn = cones.classify(A, R)
            if und.sum() >= min_und:
                return act, und, Sn, Rn, cones.normals(Rn)


def _split(rng, und, k):
    """``k`` random undecided rows with random signs."""
    fixed = np.zeros_like(und)
    fixed[0, rng.choice(np.flatnonzero(und[0]), size=k, replace=False)] = True
    return fixed, rng.random(und.shape) < 0.5


def _region_rows(A, G, fixed, plus):
    F = np.flatnonzero(fixed[0])
    return np.vstack([G[0], np.where(plus[0, F], 1.0, -1.0)[:, None] * A[F]])


@pytest.mark.parametrize("d,seed", [(2, 70), (3, 71), (4, 72), (5, 73)])
def test_split_bound_dominates_the_exact_maximum_over_the_region(d, seed):
    """For 1, 2 or 3 split rows with random signs: the bound (centre slopes and 40
    projected-gradient iterations) is at least the exact maximum of eta over K and the ball,
    and at most the cone's own bound with the same relaxation of the free terms plus the split
    terms exact (K is inside C). A bound that drops half the interpolation of the free
    undecided positive terms falls below the exact maximum on some region: the comparison
    catches a bound that is too tight."""
    rng = np.random.default_rng(seed)
    D, n = d + 1, 9
    A = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    broken = 0
    for trial in range(9):
        act, und, Sn, Rn, G = _cone(rng, A, D, 4)
        Q = rng.standard_normal((1, n)) * 2
        fixed, plus = _split(rng, und, 1 + trial % 3)
        exact = cone_max_by_patterns(A, Q[0], _region_rows(A, G, fixed, plus))
        for iters in (0, 40):
            val, P, W = region_bound(A, Q, act, und, Sn, G, fixed, plus, DEFAULT.sign_zero, iters)
            assert exact <= val[0] + 1e-12
            # the maximiser lies in K (to rounding) and attains the value
            M = _region_rows(A, G, fixed, plus)
            assert np.all(M @ P[0] >= -1e-9 * (1 + np.linalg.norm(P[0])))
            assert W[0] @ P[0] == pytest.approx(val[0] ** 2, rel=1e-9, abs=1e-9 * np.linalg.norm(W[0]) ** 2)
        free = und & ~fixed
        pos = free & (Q > 0)
        interp = cones.linear_majorant(A, np.where(pos, Q, 0.0), np.zeros_like(act), pos, Sn, G, np.zeros((1, n)))
        M = _region_rows(A, G, fixed, plus)
        from relucert.lp.tv.bab.subregions import project_batch
        half = project_batch(W - 0.5 * interp, M[None], DEFAULT.sign_zero)[0][0]
        broken += half < exact - 1e-9
    assert broken >= 1


@pytest.mark.parametrize("d,seed", [(2, 80), (3, 81), (4, 82)])
def test_split_bound_is_exact_when_every_undecided_row_is_split(d, seed):
    """With every undecided row split, eta is linear on K: the bound equals the exact maximum
    over K (a wrong sign or a missing split term would change it)."""
    rng = np.random.default_rng(seed)
    D, n = d + 1, 8
    A = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    for _ in range(6):
        act, und, Sn, Rn, G = _cone(rng, A, D, 2)
        Q = rng.standard_normal((1, n)) * 2
        fixed, plus = _split(rng, und, int(und.sum()))
        exact = cone_max_by_patterns(A, Q[0], _region_rows(A, G, fixed, plus))
        val = region_bound(A, Q, act, und, Sn, G, fixed, plus, DEFAULT.sign_zero, 20)[0][0]
        assert val == pytest.approx(exact, rel=1e-9, abs=1e-12)


def test_region_majorant_without_splits_is_the_cone_majorant_and_scores_are_the_relaxation_error():
    """No split rows: the majorant is Lemma 2's. The scores at points of the cone are the
    per-term relaxation errors: non-negative, zero off the undecided rows, and summing to
    ``<w, theta> - eta(theta)``."""
    rng = np.random.default_rng(90)
    D, n = 4, 10
    A = np.hstack([rng.standard_normal((n, D - 1)), np.ones((n, 1))])
    act, und, Sn, Rn, G = _cone(rng, A, D, 4)
    Q = rng.standard_normal((1, n))
    alpha = rng.random((1, n))
    none = np.zeros_like(und)
    W = region_majorant(A, Q, act, und, Sn, G, none, none, alpha)
    assert np.allclose(W, cones.linear_majorant(A, Q, act, und, Sn, G, alpha), rtol=0, atol=1e-14)
    for _ in range(20):
        theta = Rn[0] @ rng.random(D)
        theta /= np.linalg.norm(theta)
        sc = split_scores(A, Q, und, Sn, G, alpha, theta[None])[0]
        assert np.all(sc >= -1e-12) and np.all(sc[~und[0]] == 0)
        eta = Q[0] @ np.maximum(A @ theta, 0.0)
        assert sc.sum() == pytest.approx(W[0] @ theta - eta, abs=1e-10)
