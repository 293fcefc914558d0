"""The batched exact leaves (lp/tv/bab/subregions.py, lp/tv/bab/leaves.py; issue 13;
proofs/branch_and_bound.md, Lemmas 6, 6a, 6b) against independent methods: an LP for the
interior of each sub-region (scipy's HiGHS), scipy's NNLS per sub-region, the
enumeration of all 2^n sign patterns of a cone, and the unbatched reference path."""
import functools

import numpy as np
import pytest
from scipy.optimize import linprog

from relucert.arrangement import region_max
from relucert.lp.tv.bab import bounding, cones, leaves, maximise, certify, subregions
from relucert.tolerances import DEFAULT
from arrangement_helpers import cone_max_by_patterns


def _data(kind, n, d, rng):
    if kind == "random":
        X = rng.standard_normal((n, d))
    elif kind == "repeated":
        X = rng.standard_normal((n, d))
        X[n // 2:] = X[: n - n // 2]
    elif kind == "collinear":
        X = np.outer(rng.standard_normal(n), rng.standard_normal(d)) + rng.standard_normal(d)
        X[0] = rng.standard_normal(d)
    else:                                   # grid: hyperplanes through the root rays
        X = rng.integers(-1, 2, size=(n, d)).astype(float)
    return np.hstack([X, np.ones((n, 1))])


def _cones(D, rng, count):
    out = []
    while len(out) < count:
        R = rng.integers(-3, 4, size=(D, D)).astype(float)
        if abs(np.linalg.det(R)) > 0.5:
            out.append(R)
    return np.array(out)


def _interior(M):
    """max tau s.t. <m_j / ||m_j||, theta> >= tau, theta in [-1, 1]^D (HiGHS)."""
    D = M.shape[1]
    Mn = M / np.linalg.norm(M, axis=1, keepdims=True)
    res = linprog(np.r_[np.zeros(D), -1.0], A_ub=np.hstack([-Mn, np.ones((len(M), 1))]), b_ub=np.zeros(len(M)),
                  bounds=[(-1, 1)] * D + [(None, 1.0)], method="highs")
    return -res.fun


KINDS = ["random", "repeated", "collinear", "grid"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_empty_patterns_have_no_interior(kind, d):
    """Lemma 6a: every pattern proven empty has no interior point (LP), and the proof
    finds some of them."""
    rng = np.random.default_rng(100 + 10 * d + KINDS.index(kind))
    D = d + 1
    A = _data(kind, 7, d, rng)
    R = _cones(D, rng, 10)
    act, und, Sn, Rn = cones.classify(A, R)
    G = cones.normals(Rn)
    proven = tested = 0
    for m in range(R.shape[0]):
        U = np.flatnonzero(und[m])
        if U.size < 2:
            continue
        bits = leaves._patterns(U.size)
        emp = subregions.empty_patterns(Sn[m][U][None], np.linalg.norm(A[U], axis=1)[None], bits,
                                        DEFAULT.sign_zero)[0]
        for b, e in zip(bits, emp):
            tested += 1
            if e:
                proven += 1
                M = np.vstack([G[m], np.where(b, 1.0, -1.0)[:, None] * A[U]])
                assert _interior(M) <= 1e-9
    assert tested == 0 or proven > 0


@pytest.mark.parametrize("D,k", [(2, 3), (3, 5), (4, 7), (5, 10)])
@pytest.mark.parametrize("degenerate", [False, True])
def test_project_batch_equals_nnls(D, k, degenerate):
    """Lemma 6b: EXACT answers equal scipy's NNLS (values 1e-12 relative, projections);
    BOUNDED ones bound it from above and lie at most at the floor."""
    rng = np.random.default_rng(7 * D + k + degenerate)
    N = 300
    M = rng.standard_normal((N, k, D))
    if degenerate:       # repeated and opposite rows, rows on integer grids
        M[:, 1] = M[:, 0]
        M[: N // 2, 2] = -M[: N // 2, 0]
        M[N // 2:] = rng.integers(-1, 2, size=(N - N // 2, k, D))
        M[N // 2:, :, 0] += (np.abs(M[N // 2:]).sum(axis=2) == 0)
    V = rng.standard_normal((N, D)) * 3
    ref = [region_max(V[t], M[t]) for t in range(N)]
    vn = np.linalg.norm(V, axis=1)
    zero = DEFAULT.sign_zero * vn           # the callers' rule: a value at rounding level of ||v|| is 0
    rv = np.array([r.value for r in ref])
    rv[rv <= zero] = 0.0
    value, P, status = subregions.project_batch(V, M, DEFAULT.sign_zero)
    value[value <= zero] = 0.0
    ex = status == subregions.EXACT
    assert ex.mean() > 0.9
    for t in np.flatnonzero(ex):
        assert value[t] == pytest.approx(rv[t], rel=1e-12, abs=1e-14 * vn[t])
        if rv[t] > 0:
            assert np.allclose(P[t], ref[t].projection, atol=1e-10 * vn[t])
    assert (rv > 0).sum() >= 10
    floor = float(np.median(rv[rv > 0]))
    value, P, status = subregions.project_batch(V, M, DEFAULT.sign_zero, floor)
    value[(value <= zero) & (status == subregions.EXACT)] = 0.0
    bd = status == subregions.BOUNDED
    assert bd.any()
    assert np.all(value[bd] <= floor)
    assert np.all(value[bd] >= rv[bd] * (1 - 1e-12))
    ex = status == subregions.EXACT
    assert np.all(np.abs(value[ex] - rv[ex]) <= 1e-12 * rv[ex] + 1e-14 * vn[ex])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_leaf_maxima_equal_enumeration_and_reference(kind, d):
    """Lemma 6: the batched leaf maxima equal the maximum over the cone by enumeration of
    all 2^n sign patterns (each projected with NNLS) and the unbatched reference; the
    pieces listed are the reference's with interior."""
    rng = np.random.default_rng(200 + 10 * d + KINDS.index(kind))
    D, n = d + 1, 6
    A = _data(kind, n, d, rng)
    R = _cones(D, rng, 12)
    Q = rng.standard_normal((R.shape[0], n)) * rng.choice([-1.0, 1.0], size=(R.shape[0], 1))
    act, und, Sn, Rn = cones.classify(A, R)
    G = cones.normals(Rn)
    exact = np.array([cone_max_by_patterns(A, Q[m], G[m]) for m in range(R.shape[0])])
    report = float(np.median(exact))
    got = leaves.leaf_maxima(A, Q, act, und, Rn, G, -np.inf, report, DEFAULT)
    ref = leaves.leaf_maxima(A, Q, act, und, Rn, G, -np.inf, report, DEFAULT, batched=False)
    assert np.allclose(got.upper, exact, rtol=1e-12, atol=1e-13)
    assert np.allclose(ref.upper, exact, rtol=1e-12, atol=1e-13)
    pos = exact > 1e-13
    assert np.allclose(got.best[pos], exact[pos], rtol=1e-12)
    have = {(int(lf), a.tobytes()): v for lf, a, v in zip(got.leaf, got.active, got.value)}
    want = {(int(lf), a.tobytes()): v for lf, a, v in zip(ref.leaf, ref.active, ref.value)}
    assert set(have) <= set(want)
    for key, v in have.items():
        assert v == pytest.approx(want[key], rel=1e-12)
    for (lf, a), v in want.items():
        if (lf, a) not in have:       # dropped: proven empty, so no interior
            s = np.frombuffer(a, dtype=bool)
            U = und[lf]
            M = np.vstack([G[lf], np.where(s[U], 1.0, -1.0)[:, None] * A[U]])
            assert _interior(M) <= 1e-9
    # a floor: values above it stay exact, the bounds stay valid
    floor = float(np.quantile(exact, 0.75))
    fl = leaves.leaf_maxima(A, Q, act, und, Rn, G, -np.inf, report, DEFAULT, floor=floor)
    assert np.all(fl.upper >= exact * (1 - 1e-12) - 1e-13)
    assert np.all(fl.upper <= np.maximum(exact, floor) * (1 + 1e-12) + 1e-13)
    hi = exact > floor
    assert np.allclose(fl.best[hi], exact[hi], rtol=1e-12)


def _reference_leaves(monkeypatch):
    ref = functools.partial(leaves.leaf_maxima, batched=False)
    monkeypatch.setattr(bounding, "leaf_maxima", lambda *a, floor=None, **k: ref(*a, **k))


@pytest.mark.parametrize("kind,n,d,seed", [("random", 9, 2, 1), ("grid", 9, 2, 2), ("repeated", 10, 3, 3),
                                           ("collinear", 8, 3, 14), ("random", 8, 4, 5), ("grid", 7, 4, 6)])
def test_search_unchanged_by_the_batched_leaves(monkeypatch, kind, n, d, seed):
    """maximise and certify with the batched leaves: the same tree (node, leaf and pruned
    counts), the same maximum and violators as with the reference leaves."""
    rng = np.random.default_rng(seed)
    X = _data(kind, n, d, rng)[:, :-1]
    p = rng.standard_normal(n)
    first = maximise(X, p, np.inf, progress=False)
    p = p * (1.2 / first.max_value)
    thr = 1.0 + DEFAULT.dual_feas
    new_m, new_c = maximise(X, p, thr, progress=False), certify(X, p / 1.2, progress=False)
    _reference_leaves(monkeypatch)
    old_m, old_c = maximise(X, p, thr, progress=False), certify(X, p / 1.2, progress=False)
    for new, old in ((new_m, old_m), (new_c, old_c)):
        assert (new.stats.n_nodes, new.stats.n_leaves, new.stats.n_pruned) == \
            (old.stats.n_nodes, old.stats.n_leaves, old.stats.n_pruned)
    assert new_c.status == old_c.status
    assert new_m.max_value == pytest.approx(old_m.max_value, rel=1e-12)
    assert new_m.upper_bound == pytest.approx(old_m.upper_bound, rel=1e-12)
    assert {(a.tobytes(), int(s)) for a, s in zip(new_m.active, new_m.sign)} == \
        {(a.tobytes(), int(s)) for a, s in zip(old_m.active, old_m.sign)}
    assert np.allclose(np.sort(new_m.value), np.sort(old_m.value), rtol=1e-12)
