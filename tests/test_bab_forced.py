"""Forced leaves of thin cones (lp/tv/bab/forced.py; issue 13; proofs/branch_and_bound.md,
Lemma 11) against independent methods: the enumeration of every chamber
(relucert.arrangement + lp.tv.oracle.scan_all_chambers), exact rational inverses, and an
LP per sign pattern. Degenerate data: collinear points at d = 3, repeated points,
duplicated and binary features at d = 3 and d = 4."""
import math
from fractions import Fraction
from itertools import product

import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.arrangement.cones import interior_margin
from relucert.lp.tv.bab import forced, maximise, search
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.tolerances import BAB_THIN_BITS, DEFAULT
from arrangement_helpers import region_maxima


def _collinear(n, d, seed):
    rng = np.random.default_rng(seed)
    X = np.outer(rng.standard_normal(n), rng.standard_normal(d)) + rng.standard_normal(d)
    X[0] = rng.standard_normal(d)
    return X, rng.standard_normal(n)


def _integer_collinear(n, d, seed):
    """Collinear in exact arithmetic: small integers on one line (plus one point off it)."""
    rng = np.random.default_rng(seed)
    X = np.outer(rng.integers(-4, 5, size=n), rng.integers(-2, 3, size=d)) + rng.integers(-2, 3, size=d)
    X[0] = rng.integers(-3, 4, size=d)
    return X.astype(float), rng.standard_normal(n)


def _repeated_collinear(n, d, seed):
    X, p = _integer_collinear(n, d, seed)
    X[n // 2:] = X[: n - n // 2]
    return X, p


def _duplicated(n, d, seed):
    """The last feature repeats the first (every hyperplane contains a common line)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, -1] = X[:, 0]
    return X, rng.standard_normal(n)


def _binary(n, d, seed):
    """Binary features, one of them constant (repeated points and a common subspace)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, d)).astype(float)
    X[:, -1] = 1.0
    return X, rng.standard_normal(n)


DATA = {"collinear": _collinear, "integer collinear": _integer_collinear, "repeated": _repeated_collinear, "duplicated": _duplicated, "binary": _binary}
CASES = [("collinear", 9, 3, 5), ("integer collinear", 9, 3, 11), ("repeated", 10, 3, 6), ("duplicated", 10, 3, 7),
         ("duplicated", 8, 4, 8), ("binary", 12, 3, 9), ("binary", 14, 4, 10)]


@pytest.mark.parametrize("kind,n,d,seed", CASES)
def test_maximise_on_degenerate_data_equals_enumeration(kind, n, d, seed):
    X, p = DATA[kind](n, d, seed)
    arr = enumerate_chambers(X)
    p = p * (1.3 / scan_all_chambers(arr, p, 0.0).max_value)          # enumerated max 1.3
    threshold = 1.0 + DEFAULT.dual_feas
    ref = scan_all_chambers(arr, p, threshold)
    got = maximise(X, p, threshold, progress=False)
    assert got.complete
    assert abs(got.max_value - ref.max_value) <= 1e-12 * ref.max_value
    assert ref.max_value <= got.upper_bound * (1 + 1e-15)
    Z = arr.X_lift
    assert got.max_sign * (np.maximum(Z @ got.max_point, 0) @ p) == pytest.approx(got.max_value, rel=1e-12)
    have = {(np.packbits(a).tobytes(), int(s)): float(v) for a, s, v in zip(got.active, got.sign, got.value)}
    eta = np.maximum(got.point @ Z.T, 0) @ p * got.sign
    assert np.allclose(eta, got.value, rtol=1e-10)                     # each listed maximiser attains its value
    if kind == "collinear":
        # collinear only up to rounding: enumeration also lists float slivers (margin 0, not
        # certified); every chamber it certifies is listed, and nothing else is
        ref = scan_all_chambers(arr.subset(np.flatnonzero(arr.margin > 0)), p, threshold)
        want = region_maxima(arr.subset(np.flatnonzero(arr.margin > 0)), ref, got.support)
        assert set(want) <= set(have) <= set(region_maxima(arr, scan_all_chambers(arr, p, threshold), got.support))
    else:
        want = region_maxima(arr, ref, got.support)
        assert set(have) == set(want)
    for key in want:
        assert have[key] == pytest.approx(want[key], rel=1e-10)


def test_forced_leaves_tile_and_keep_the_maximum(monkeypatch):
    """With a small thin limit (2^3) forced leaves appear near the roots: the closed nodes
    still tile R^D once per sign (Lemma 5: thin cones are leaves, not dropped), nothing thin
    is split, and the maximum is still enumeration's."""
    monkeypatch.setattr(search, "BAB_THIN_BITS", 3)
    X, p = _collinear(7, 3, 5)
    ref = scan_all_chambers(enumerate_chambers(X), p, 0.0).max_value
    prob = search.prepare(X, p)
    top = maximise(X, p, progress=False).max_value
    s = search._Search(prob, "maximise", 0.8 * top, DEFAULT, limit=None, leaf_undecided=1, max_nodes=None,
                       time_limit=None, progress=False, batch=64)
    s.record = []
    s.run()
    assert s.n_forced > 0
    assert abs(top - ref) <= 1e-12 * ref
    R = np.concatenate([r for r, _ in s.record])
    sg = np.concatenate([g for _, g in s.record])
    sq = np.einsum("mdj,mdj->mj", R, R)
    # nothing thin was split: a child of a cone with prod ||r_j|| = P < 2^b has at most P (1 + P)
    assert np.log2(sq).sum(axis=1).max() <= 4 * 3 + 2
    T = np.random.default_rng(0).standard_normal((2000, 4))
    coef = np.einsum("mjd,td->tmj", np.linalg.inv(R), T)
    inside = np.all(coef > 0, axis=2)
    for sign in (1, -1):
        assert np.all(inside[:, sg == sign].sum(axis=1) == 1)


def test_thin_rule_is_the_exact_integer_product():
    rng = np.random.default_rng(1)
    R = rng.integers(-2 ** 8, 2 ** 8, size=(400, 3, 3)).astype(float)    # around the limit
    R[:50] = np.diag([2.0 ** 12, 2.0 ** 12, 1.0])                        # exactly at 4^24
    R[50:100] = np.diag([2.0 ** 12, 2.0 ** 12 - 1, 1.0])                 # just below
    got = forced.thin_mask(R, BAB_THIN_BITS)
    want = [math.prod([sum(int(v) ** 2 for v in R[m, :, j]) for j in range(3)]) >= 4 ** BAB_THIN_BITS
            for m in range(R.shape[0])]
    assert got.tolist() == want
    assert got[:50].all() and not got[50:100].any()


def test_exact_normals_invert_the_integer_rays():
    rng = np.random.default_rng(2)
    R = np.eye(4)
    for _ in range(30):                                                   # random unimodular splits
        j, k = rng.choice(4, size=2, replace=False)
        R[:, j] = R[:, j] + R[:, k]
    G = forced.exact_normals(R)
    M = [[Fraction(int(v)) for v in row] for row in R]
    # G's rows are positive multiples of R^{-1}'s: <g_i, r_j> = 0 off the diagonal, > 0 on it
    GR = G @ R
    assert np.allclose(GR - np.diag(np.diag(GR)), 0, atol=1e-9 * np.abs(R).max())
    assert np.all(np.diag(GR) > 0)
    assert np.allclose(np.linalg.norm(G, axis=1), 1.0)
    assert abs(np.linalg.det(np.array(M, dtype=float))) == pytest.approx(1.0)
    # entries past float's integers: the rational path (R^{-1} = [[1, -2^52, 0], [0, 1, 0], [0, 0, 1]])
    R = np.array([[1.0, 2.0 ** 52, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    G = forced.exact_normals(R)
    want = np.array([[1.0, -2.0 ** 52, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert np.allclose(G, want / np.linalg.norm(want, axis=1, keepdims=True), rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sub_arrangement_equals_every_sign_pattern_by_lp(seed):
    """The depth-first regions equal the sign patterns whose LP shows interior (all 2^u)."""
    rng = np.random.default_rng(seed)
    D, u = 3, 5
    G = np.linalg.inv(rng.integers(-2, 3, size=(D, D)).astype(float) + 3 * np.eye(D))
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    rows = rng.standard_normal((u, D))
    rows[3] = rows[0] + rows[1]                                          # a dependent triple
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    got = {tuple(s.tolist()) for s in forced.sub_arrangement(G, rows, DEFAULT.sign_zero)}
    want = set()
    for bits in product((False, True), repeat=u):
        sg = np.where(bits, 1.0, -1.0)
        tau, _ = interior_margin(np.vstack([G, sg[:, None] * rows]))
        if tau > 1e-9:
            want.add(bits)
        elif tau > DEFAULT.sign_zero:
            pytest.skip("a pattern with a margin between the two thresholds")
    assert got == want
