"""Forced leaves with few undecided points take every sign pattern (lp/tv/bab/forced.py,
``BAB_FORCED_ALL_PATTERNS``; proofs/branch_and_bound.md, Lemma 11, "Every pattern"), against
independent methods: a brute-force projection of every pattern of every row
(tests/arrangement_helpers.cone_max_by_patterns), the sub-arrangement path (one interior LP
per new side), and the enumeration of every chamber through ``maximise``."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.bab import cones, forced, maximise
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.tolerances import BAB_FORCED_ALL_PATTERNS, DEFAULT
from arrangement_helpers import cone_max_by_patterns


def _thin_cones(A, count, seed):
    """Small integer cones around random directions (|det R| = 1 is not needed here: the
    leaf only uses the exact normals, the rows of R^-1 normalised)."""
    rng = np.random.default_rng(seed)
    D = A.shape[1]
    out = []
    while len(out) < count:
        centre = rng.standard_normal(D)
        R = np.round(centre[:, None] * 2 ** int(rng.integers(2, 7)) + rng.integers(-1, 2, size=(D, D))).astype(float)
        if abs(np.linalg.det(R)) < 0.5:
            continue
        act, und, _, _ = cones.classify(A, R[None])
        if 1 <= und.sum() <= BAB_FORCED_ALL_PATTERNS:
            out.append((R, act[0], und[0]))
    return out


def _no_lp(*args, **kwargs):
    raise AssertionError("an interior LP was solved")


@pytest.mark.parametrize("d,n,seed", [(2, 12, 0), (3, 14, 1), (4, 16, 2)])
def test_every_pattern_leaf_needs_no_lp_and_gives_the_exact_maximum(d, n, seed, monkeypatch):
    """With at most BAB_FORCED_ALL_PATTERNS undecided points a forced leaf solves no interior
    LP, its largest value is the cone's maximum by brute force (every pattern of every row),
    and every region the sub-arrangement path lists has the same value in it."""
    rng = np.random.default_rng(seed)
    A = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    q = rng.standard_normal(n)
    checked = 0
    for R, act, und in _thin_cones(A, 12, seed):
        for sign in (1.0, -1.0):
            with monkeypatch.context() as m:
                m.setattr(forced, "interior_margin", _no_lp)
                a1, v1, p1 = forced.forced_leaf(A, sign * q, act, und, R, DEFAULT.sign_zero)
            with monkeypatch.context() as m:
                m.setattr(forced, "BAB_FORCED_ALL_PATTERNS", -1)   # the sub-arrangement path
                a0, v0, _ = forced.forced_leaf(A, sign * q, act, und, R, DEFAULT.sign_zero)
            G = np.linalg.inv(R)
            exact = cone_max_by_patterns(A, sign * q, G / np.linalg.norm(G, axis=1, keepdims=True))
            assert abs(v1.max(initial=0.0) - exact) <= 1e-10 * max(1.0, exact)
            assert len(v1) == 2 ** int(und.sum())
            for k in range(len(v0)):
                j = np.flatnonzero((a1 == a0[k]).all(axis=1))
                assert j.size == 1 and abs(v1[j[0]] - v0[k]) <= 1e-10 * max(1.0, v0[k])
            # each listed value is sign * eta at its unit point
            ok = v1 > 0
            got = np.maximum(p1[ok] @ A.T, 0.0) @ (sign * q)
            assert np.allclose(got, v1[ok], rtol=1e-10, atol=1e-12)
            checked += 1
    assert checked == 24


@pytest.mark.parametrize("d,n,seed", [(3, 10, 3), (4, 9, 4)])
def test_maximise_with_every_forced_leaf_equals_enumeration(d, n, seed, monkeypatch):
    """A tiny thin limit makes most leaves forced: maximise's maximum and its violating
    (region, sign) pairs equal enumeration's, with every-pattern leaves (no interior LP but
    for the violators' own)."""
    from relucert.lp.tv.bab import search

    rng = np.random.default_rng(seed)
    X, p = rng.standard_normal((n, d)), rng.standard_normal(n)
    arr = enumerate_chambers(X)
    top = scan_all_chambers(arr, p, np.inf).max_value
    p = p * 1.2 / top
    ref = scan_all_chambers(arr, p, 1.0)
    monkeypatch.setattr(search, "BAB_THIN_BITS", 3)
    out = maximise(X, p, 1.0)
    assert out.stats.n_leaves > 0 and out.complete
    assert abs(out.max_value - ref.max_value) <= 1e-12 * ref.max_value
    # the same violating pieces: one per (region, sign) above the threshold
    assert sorted(np.round(out.value, 9).tolist()) == sorted(np.round(ref.value, 9).tolist())
