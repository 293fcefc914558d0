"""The projected-gradient slopes of the node bound (lp/tv/bab/slopes.py; proofs/branch_and_bound.md,
Lemma 2, "Projected-gradient slopes"), against independent methods: the exact maximum over
the cone by sub-enumeration of every sign pattern (NNLS per region), and scipy's
bounded-variable least squares for the best slopes."""
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import lsq_linear

from relucert.lp.tv.bab import bounding, certify, cones, maximise
from relucert.lp.tv.bab.slopes import projected_slopes
from relucert.tolerances import DEFAULT
from arrangement_helpers import cone_max_by_patterns


def _cone(rng, A, D):
    while True:
        R = rng.integers(-3, 4, size=(1, D, D)).astype(float)
        if abs(np.linalg.det(R[0])) > 0.5:
            act, und, Sn, Rn = cones.classify(A, R)
            if und.sum() >= 3:
                return act, und, Sn, Rn, cones.normals(Rn)


def _random_nodes(seed, d, count, n=9):
    """``count`` random cones over one random data set (rows ``A``, n x D) with random weights
    ``Q``: each with its classification, zero-slope majorant ``base``, centre slopes ``start``
    and exact maximum by sub-enumeration."""
    rng = np.random.default_rng(seed)
    A = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    for _ in range(count):
        act, und, Sn, Rn, G = _cone(rng, A, d + 1)
        Q = rng.standard_normal((1, n)) * 2
        yield SimpleNamespace(A=A, Q=Q, act=act, und=und, Sn=Sn, Rn=Rn, G=G, neg=und & (Q < 0),
                              base=cones.linear_majorant(A, Q, act, und, Sn, G, np.zeros((1, n))),
                              start=cones.centre_alpha(Sn), exact=cone_max_by_patterns(A, Q[0], G[0]))


def _bvls_bound(A, Q, neg, base, G):
    """``min_{alpha in [0, 1], lambda >= 0} ||base + sum_N alpha_i Q_i a_i + G^T lambda||`` by scipy."""
    D = A.shape[1]
    B = (Q[neg][:, None] * A[neg]).T
    k = B.shape[1]
    opt = lsq_linear(np.hstack([B, G.T]), -base, bounds=(np.zeros(k + D), np.r_[np.ones(k), np.full(D, np.inf)]),
                     method="bvls", tol=1e-14)
    return float(np.linalg.norm(np.hstack([B, G.T]) @ opt.x + base))


@pytest.mark.parametrize("d,seed", [(2, 50), (3, 51), (4, 52), (5, 53)])
def test_projected_slopes_bound_the_exact_maximum_and_reach_the_best_slopes(d, seed):
    """Every cone: the slopes lie in [0, 1] (0 off the undecided negative rows); their
    polar-cone bound is at least the exact maximum (sub-enumeration), and with enough
    iterations equals the best bound over all slopes (scipy's BVLS) to 1e-6 relative. A bound
    that drops half the interpolation of the undecided positive terms falls below the exact
    maximum on some cone: the comparison catches a bound that is too tight."""
    broken = 0
    for node in _random_nodes(seed, d, 8):
        A, Q, act, und, Sn, Rn, G = node.A, node.Q, node.act, node.und, node.Sn, node.Rn, node.G
        neg, base, start, exact, n = node.neg, node.base, node.start, node.exact, A.shape[0]
        for iters in (0, 5, 30, 3000):
            alpha = projected_slopes(A, Q, neg, base, G, start, iters)
            assert np.all((alpha >= 0) & (alpha <= 1)) and np.all(alpha[~neg] == 0)
            W = cones.linear_majorant(A, Q, act, und, Sn, G, alpha)
            val = cones.cone_max(W, Rn, G, DEFAULT.sign_zero)[0][0]
            assert exact <= val + 1e-12
        best = _bvls_bound(A, Q[0], neg[0], base[0], G[0])
        assert val == pytest.approx(best, rel=1e-6, abs=1e-9)
        # the same bound with half the positive interpolation (wrong): below the exact maximum somewhere
        pos = und & (Q > 0)
        half = W - 0.5 * cones.linear_majorant(A, np.where(pos, Q, 0.0), act & False, und, Sn, G, np.zeros((1, n)))
        broken += cones.cone_max(half, Rn, G, DEFAULT.sign_zero)[0][0] < exact - 1e-9
    assert broken >= 1


@pytest.mark.parametrize("d,n,seed", [(2, 12, 60), (3, 10, 61)])
def test_maximise_with_and_without_projected_slopes_finds_the_same_maximum(d, n, seed, monkeypatch):
    """The slopes change only the work (Lemma 2): the maximum and the violators above a
    threshold are those of the Frank-Wolfe-only search (itself checked against enumeration in
    tests/test_lp_bab.py)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    p = rng.standard_normal(n)
    runs = {}
    for iters in (0, 30):
        monkeypatch.setattr(bounding.Bounding, "slope_iters", iters)
        runs[iters] = maximise(X, p, 0.5 * maximise(X, p).max_value, progress=False)
    a, b = runs[0], runs[30]
    assert b.max_value == pytest.approx(a.max_value, rel=1e-12)
    key = lambda s: sorted(zip(s.sign.tolist(), map(bytes, np.packbits(s.active, axis=1)), s.value.round(9)))
    assert key(a) == key(b)


@pytest.mark.parametrize("d,seed", [(2, 54), (3, 55), (4, 56), (5, 57)])
def test_early_exit_bound_is_a_valid_upper_bound(d, seed):
    """``slopes_and_bound`` (Lemma 2, "Early exit"): its value at the checked iterates is at
    least the exact maximum over the cone (sub-enumeration), and on a closed node at least the
    polar-cone bound of the slopes it returns; a node is reported closed exactly when that value is at most its
    cut-off; without a cut-off the slopes are those of ``projected_slopes``."""
    from relucert.lp.tv.bab.slopes import slopes_and_bound

    n_closed = 0
    for node in _random_nodes(seed, d, 6):
        A, Q, act, und, Sn, Rn, G = node.A, node.Q, node.act, node.und, node.Sn, node.Rn, node.G
        neg, base, start, exact = node.neg, node.base, node.start, node.exact
        plain = projected_slopes(A, Q, neg, base, G, start, 40)
        same, upper, closed, _ = slopes_and_bound(A, Q, neg, base, G, start, 40)
        assert np.array_equal(plain, same) and not closed.any() and np.all(np.isinf(upper))
        for cut in (exact * 0.5, exact * 1.5, np.inf):
            alpha, upper, closed, _ = slopes_and_bound(A, Q, neg, base, G, start, 40, np.array([cut]))
            assert np.all((alpha >= 0) & (alpha <= 1)) and np.all(alpha[~neg] == 0)
            assert upper[0] >= exact - 1e-12
            assert closed[0] == (upper[0] <= cut)
            if closed[0]:       # the slopes at the exit: their own bound is at most that value
                n_closed += 1
                W = cones.linear_majorant(A, Q, act, und, Sn, G, alpha)
                assert upper[0] >= cones.cone_max(W, Rn, G, DEFAULT.sign_zero)[0][0] - 1e-12
            if cut == exact * 0.5:
                assert not closed[0]
    assert n_closed >= 6        # every cone closes at cut-off inf


@pytest.mark.parametrize("d,n,seed", [(2, 12, 62), (3, 10, 63)])
def test_maximise_and_certify_with_and_without_early_exit_agree(d, n, seed, monkeypatch):
    """The early exit changes only the work: the maximum and the violators of maximise, and the
    status of certify at 0.99 and 1.01 times the maximum, are those without it."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    p = rng.standard_normal(n)
    runs = {}
    for on in (False, True):
        monkeypatch.setattr(bounding.Bounding, "slope_exit", on)
        top = maximise(X, p, progress=False).max_value
        runs[on] = (maximise(X, p, 0.5 * top, progress=False),
                    [certify(X, p, threshold=f * top, progress=False).status for f in (0.99, 1.01)])
    (a, sa), (b, sb) = runs[False], runs[True]
    assert b.max_value == pytest.approx(a.max_value, rel=1e-12)
    key = lambda s: sorted(zip(s.sign.tolist(), map(bytes, np.packbits(s.active, axis=1)), s.value.round(9)))
    assert key(a) == key(b)
    assert sa == sb and [s.value for s in sb] == ["violated", "certified"]
