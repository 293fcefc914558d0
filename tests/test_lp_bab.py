"""lp/bab (branch and bound over cones) against independent methods: the enumeration
of every chamber (relucert.arrangement + lp.tv.oracle.scan_all_chambers), per-region NNLS,
dense sampling of the sphere (issue 13; proofs/branch_and_bound.md)."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers, region_max
from relucert.lp.tv.bab import BabStatus, certify, maximise
from relucert.lp.tv.bab import bounding, cones, leaves, search
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.oracle_api import BranchAndBoundOracle, EnumerationOracle, Oracle
from relucert.tolerances import DEFAULT
from arrangement_helpers import cone_max_by_patterns, region_maxima

# --- data: random and degenerate, d = 1..4 ----------------------------------------------


def _random(n, d, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


def _repeated(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[n // 2:] = X[: n - n // 2]                      # every point twice
    p = rng.standard_normal(n)
    p[n - 1] = -p[n - 1 - n // 2]                     # one pair sums to zero weight
    return X, p


def _collinear(n, d, seed):
    rng = np.random.default_rng(seed)
    t = rng.standard_normal(n)
    X = np.outer(t, rng.standard_normal(d)) + rng.standard_normal(d)   # all on one line
    X[: 1] = rng.standard_normal((1, d))                              # one off it
    return X, rng.standard_normal(n)


def _grid(n, d, seed):
    """Integer points with zero coordinates: hyperplanes through the coordinate axes,
    i.e. through the root cones' rays."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-1, 2, size=(n, d)).astype(float)
    p = rng.standard_normal(n)
    p[0] = 0.0
    return X, p


DATA = {"random": _random, "repeated": _repeated, "collinear": _collinear, "grid": _grid}
CASES = [(kind, n, d, seed) for kind in DATA for (n, d, seed) in
         [(7, 1, 0), (9, 2, 1), (8, 3, 2), (7, 4, 3)]] + [("random", 24, 2, 5), ("random", 16, 3, 6)]


def _enumerated(X, p, threshold):
    arr = enumerate_chambers(X)
    return arr, scan_all_chambers(arr, p, threshold)


@pytest.mark.parametrize("kind,n,d,seed", CASES)
def test_maximise_equals_enumeration_max_and_violators(kind, n, d, seed):
    X, p = DATA[kind](n, d, seed)
    arr, full = _enumerated(X, p, 0.0)
    p = p * (1.3 / full.max_value)                      # enumerated max 1.3
    threshold = 1.0 + DEFAULT.dual_feas
    _, ref = _enumerated(X, p, threshold)
    got = maximise(X, p, threshold)
    assert got.complete
    assert abs(got.max_value - ref.max_value) <= 1e-12 * ref.max_value
    assert ref.max_value <= got.upper_bound * (1 + 1e-15)
    assert got.upper_bound <= got.max_value * (1 + DEFAULT.bab_rel_gap) + 1e-15
    # the maximiser attains the value
    Z = arr.X_lift
    assert got.max_sign * (np.maximum(Z @ got.max_point, 0) @ p) == pytest.approx(got.max_value, rel=1e-12)
    want = region_maxima(arr, ref, got.support)
    have = {(np.packbits(a).tobytes(), int(s)): float(v) for a, s, v in zip(got.active, got.sign, got.value)}
    assert set(have) == set(want)
    for key in want:
        assert have[key] == pytest.approx(want[key], rel=1e-10)
    # every listed maximiser attains its value and lies in its region
    eta = np.maximum(got.point @ Z.T, 0) @ p * got.sign
    assert np.allclose(eta, got.value, rtol=1e-10)


@pytest.mark.parametrize("d,seed", [(1, 10), (2, 11), (3, 12), (4, 13)])
def test_bound_dominates_exact_maximum_on_random_cones(d, seed):
    """Lemmas 1-4: pre-bound >= polar-cone bound >= exact maximum over the cone (by
    sub-enumeration of every sign pattern, each region projected with NNLS) >= dense
    sampling inside the cone."""
    rng = np.random.default_rng(seed)
    D, n = d + 1, 6
    A = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    for _ in range(12):
        R = rng.integers(-3, 4, size=(1, D, D)).astype(float)
        if abs(np.linalg.det(R[0])) < 0.5:
            continue
        sign = float(rng.choice([-1.0, 1.0]))
        Q = sign * rng.standard_normal((1, n))
        act, und, Sn, Rn = cones.classify(A, R)
        G = cones.normals(Rn)
        W = cones.linear_majorant(A, Q, act, und, Sn, G)
        val, P = cones.cone_max(W, Rn, G, DEFAULT.sign_zero)
        pre = cones.pre_bound(W, Rn, G)
        # exact maximum: every one of the 2^n sign patterns, region = cone cut by the pattern
        exact = cone_max_by_patterns(A, Q[0], G[0])
        c = rng.exponential(size=(20000, D)) ** 3
        T = c @ Rn[0].T
        T /= np.linalg.norm(T, axis=1, keepdims=True)
        sampled = max(0.0, float((np.maximum(T @ A.T, 0) @ Q[0]).max()))
        assert sampled <= exact + 1e-12
        assert exact <= val[0] + 1e-12
        assert val[0] <= pre[0] + 1e-12
        # any relaxation slope in [0, 1] (the Frank-Wolfe iterates) gives a valid bound,
        # and the best one is at least the exact maximum
        for alpha in (rng.uniform(size=(1, n)), np.zeros((1, n)), np.ones((1, n))):
            Wa = cones.linear_majorant(A, Q, act, und, Sn, G, alpha)
            assert exact <= cones.cone_max(Wa, Rn, G, DEFAULT.sign_zero)[0][0] + 1e-12
        # and the leaf sub-enumeration restricted to the undecided points equals it
        pieces = leaves.leaf_maxima(A, Q, act, und, Rn, G, -np.inf, np.inf, DEFAULT)
        assert pieces.upper[0] == pytest.approx(exact, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("D,seed", [(2, 20), (3, 21), (4, 22), (5, 23)])
def test_cone_max_equals_nnls_projection(D, seed):
    """Lemma 3 (largest feasible face projection) against scipy's NNLS."""
    rng = np.random.default_rng(seed)
    m = 200
    R = rng.standard_normal((m, D, D))
    Rn = R / np.linalg.norm(R, axis=1, keepdims=True)
    G = np.linalg.inv(Rn)
    W = rng.standard_normal((m, D)) * 3
    val, P = cones.cone_max(W, Rn, G, DEFAULT.sign_zero)
    for k in range(m):
        ref = region_max(W[k], G[k])
        assert val[k] == pytest.approx(ref.value, rel=1e-9, abs=1e-12)
        assert np.allclose(P[k], ref.projection, atol=1e-9 * max(1.0, ref.value))


@pytest.mark.parametrize("kind,n,d,seed", [("random", 9, 2, 30), ("grid", 9, 2, 31), ("random", 8, 3, 32),
                                           ("random", 7, 4, 33), ("collinear", 8, 2, 34)])
def test_random_theta_lies_in_exactly_one_leaf(kind, n, d, seed):
    """Lemma 5: the closed nodes of a finished search tile R^D (interiors disjoint)."""
    X, p = DATA[kind](n, d, seed)
    prob = search.prepare(X, p)
    top = maximise(X, p).max_value
    for mode, thr in (("maximise", 0.5 * top), ("certify", 1.01 * top)):
        s = search._Search(prob, mode, thr, DEFAULT, limit=None, leaf_undecided=d if d <= 3 else 6, max_nodes=None,
                           time_limit=None, progress=False, batch=7)
        s.record = []
        s.run()
        assert s.witness is None
        R = np.concatenate([r for r, _ in s.record])
        sg = np.concatenate([g for _, g in s.record])
        assert R.shape[0] > 2 ** (d + 2)         # the tree went below the roots
        T = np.random.default_rng(seed).standard_normal((3000, d + 1))
        coef = np.einsum("mjd,td->tmj", np.linalg.inv(R), T)
        inside = np.all(coef > 0, axis=2)
        for sign in (1, -1):                     # each sign's tree tiles R^D once
            assert np.all(inside[:, sg == sign].sum(axis=1) == 1)


@pytest.mark.parametrize("kind,n,d,seed", [("random", 10, 2, 40), ("random", 8, 3, 41), ("grid", 9, 3, 42),
                                           ("random", 7, 4, 43), ("repeated", 10, 2, 44)])
def test_certify_flips_at_the_threshold(kind, n, d, seed):
    X, p = DATA[kind](n, d, seed)
    _, ref = _enumerated(X, p, 0.0)
    above = certify(X, p * (1 + 1e-7) / ref.max_value)
    below = certify(X, p * (1 - 1e-7) / ref.max_value)
    assert above.status is BabStatus.VIOLATED
    assert above.witness_value > above.threshold
    Z = np.hstack([X, np.ones((n, 1))])
    eta = above.witness_sign * (np.maximum(Z @ above.witness_point, 0) @ (p * (1 + 1e-7) / ref.max_value))
    assert eta == pytest.approx(above.witness_value, rel=1e-12)
    assert below.status is BabStatus.CERTIFIED
    assert 1 - 1e-7 - 1e-12 <= below.upper_bound <= below.threshold


def test_node_budget_gives_a_valid_anytime_bound():
    X, p = _random(30, 3, 50)
    _, ref = _enumerated(X, p, 0.0)
    p = p / ref.max_value * 0.999
    cert = certify(X, p, max_nodes=40, batch=8)
    assert cert.status is BabStatus.LIMIT and cert.stats.n_open > 0
    assert cert.upper_bound >= 0.999 * (1 - 1e-12)
    assert np.isfinite(cert.upper_bound)
    scan = maximise(X, p, max_nodes=20, batch=8)
    assert not scan.complete
    assert scan.max_value <= 0.999 * (1 + 1e-12) <= scan.upper_bound * (1 + 1e-12)
    full = certify(X, p)
    assert full.status is BabStatus.CERTIFIED and full.upper_bound <= full.threshold


def test_violator_limit_stops_early():
    X, p = _random(20, 2, 51)
    _, ref = _enumerated(X, p, 0.0)
    scan = maximise(X, p * 2 / ref.max_value, 1.0, limit=1, batch=4)
    assert 1 <= scan.n_found and np.all(scan.value > 1.0)
    assert scan.upper_bound >= 2 * (1 - 1e-12)


def test_zero_dual_and_support_groups():
    X = np.array([[0.0], [1.0], [1.0], [2.0]])
    scan = maximise(X, np.zeros(4))
    assert scan.max_value == 0.0 and scan.complete and scan.upper_bound == 0.0
    assert certify(X, np.zeros(4)).certified
    scan = maximise(X, np.array([0.0, 1.0, -1.0, 1.0]))
    assert scan.groups.tolist() == [-1, -1, -1, 0]
    assert scan.max_value == pytest.approx(5 ** 0.5, rel=1e-14)


def test_bad_input_names_the_field():
    X = np.zeros((3, 1))
    with pytest.raises(ValueError, match="p must be"):
        maximise(X, np.zeros(2))
    with pytest.raises(ValueError, match="X must be"):
        maximise(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="max_nodes"):
        certify(X, np.zeros(3), max_nodes=0)
    with pytest.raises(ValueError, match="leaf_undecided"):
        maximise(X, np.zeros(3), leaf_undecided=99)
    with pytest.raises(ValueError, match="limit"):
        maximise(X, np.zeros(3), limit=0)


@pytest.mark.parametrize("n,d,seed", [(12, 2, 60), (9, 3, 61)])
def test_both_oracles_satisfy_the_interface_and_agree(n, d, seed):
    X, p = _random(n, d, seed)
    enum = EnumerationOracle(enumerate_chambers(X))
    bab = BranchAndBoundOracle(X, progress=False)
    assert isinstance(enum, Oracle) and isinstance(bab, Oracle)
    a = enum.scan(p, 0.0)
    t = 0.8 * a.max_value
    a, b = enum.scan(p, t), bab.scan(p, t)
    assert a.complete and b.complete
    assert b.max_value == pytest.approx(a.max_value, rel=1e-12)
    assert a.upper_bound >= a.max_value and b.upper_bound >= b.max_value
    # the same maximisers (as points) with the same values
    ka = sorted(zip(a.sign.tolist(), np.round(a.value, 9).tolist()))
    kb = sorted(zip(b.sign.tolist(), np.round(b.value, 9).tolist()))
    assert ka == kb


def test_forced_leaves_stay_exact(monkeypatch):
    """Lemma 5's depth guard: when a split's new ray would pass the limit the node is an
    exact leaf whatever |U| (here a tiny limit forces it near the roots)."""
    X, p = _random(9, 2, 70)
    _, ref = _enumerated(X, p, 0.0)
    monkeypatch.setattr(search, "BAB_RAY_LIMIT", 2.0)
    got = maximise(X, p, leaf_undecided=0)
    assert got.complete and got.max_value == pytest.approx(ref.max_value, rel=1e-12)
    assert got.stats.max_depth <= 8           # rays with entries above 2 are never split
    monkeypatch.setattr(search, "_MAX_FORCED_UNDECIDED", 1)
    X, p = _random(60, 2, 72)                 # a forced leaf with more undecided points: refused
    with pytest.raises(search.SolverError, match="degenerate"):
        maximise(X, p, leaf_undecided=0)


def test_time_limit_returns_limit_with_a_valid_bound():
    X, p = _random(30, 3, 71)
    _, ref = _enumerated(X, p, 0.0)
    cert = certify(X, p / ref.max_value, time_limit=1e-9)   # stops before the first batch
    assert cert.status is BabStatus.LIMIT
    assert cert.upper_bound >= 1 - 1e-12 and np.isfinite(cert.upper_bound)


# --- violator quota: regions of the bound maximisers (proofs Lemma 10) -------------------


@pytest.mark.parametrize("kind,n,d,seed", [("random", 12, 2, 60), ("repeated", 10, 3, 61), ("grid", 9, 3, 62),
                                           ("random", 8, 4, 63)])
def test_point_regions_equal_the_enumerated_region_maxima(kind, n, d, seed):
    X, p = DATA[kind](n, d, seed)
    arr, ref = _enumerated(X, p, -np.inf)
    pb = search.prepare(X, p)
    rng = np.random.default_rng(seed)
    pts = rng.standard_normal((200, d + 1))
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    sg = rng.choice([-1, 1], size=200)
    act, s, val, pt = leaves.point_regions(pb.A, pb.q, pts, sg, 0.0, DEFAULT)
    assert val.size > 0
    want = region_maxima(arr, ref, pb.support)
    for a, si, v, x in zip(act, s, val, pt):
        assert v == pytest.approx(want[(np.packbits(a).tobytes(), int(si))], rel=1e-10)
        assert si * float(np.maximum(pb.A @ x, 0) @ pb.q) == pytest.approx(v, rel=1e-10)
    # each region once; a known region is skipped
    keys = [(np.packbits(a).tobytes(), int(si)) for a, si in zip(act, s)]
    assert len(set(keys)) == len(keys)
    again = leaves.point_regions(pb.A, pb.q, pts, sg, 0.0, DEFAULT, known=set(keys[:1]))
    assert again[2].size == val.size - 1


def test_ascent_keeps_values_met_at_points():
    X, p = _random(30, 3, 64)
    pb = search.prepare(X, p)
    rng = np.random.default_rng(0)
    pts = rng.standard_normal((50, 4))
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    sg = rng.choice([-1.0, 1.0], size=50)
    start = sg * (np.maximum(pts @ pb.A.T, 0) @ pb.q)
    got, val = leaves.ascend(pb.A, pb.q, pts, sg, 6)
    assert np.all(val >= start)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0)
    assert np.allclose(sg * (np.maximum(got @ pb.A.T, 0) @ pb.q), val, rtol=1e-12)
    assert np.any(val > start)


@pytest.mark.parametrize("kind,n,d,seed", [("random", 16, 3, 6), ("repeated", 9, 2, 1), ("grid", 8, 3, 2),
                                           ("random", 7, 4, 3)])
def test_quota_scan_lists_true_violators_and_completes_like_enumeration(kind, n, d, seed):
    X, p = DATA[kind](n, d, seed)
    arr, full = _enumerated(X, p, 0.0)
    p = p * (3.0 / full.max_value)                        # far from feasible: an early round
    threshold = 1.0 + DEFAULT.dual_feas
    _, ref = _enumerated(X, p, threshold)
    support = search.prepare(X, p).support
    want = region_maxima(arr, ref, support)
    early = maximise(X, p, threshold, limit=3, batch=8)
    assert not early.complete and early.n_found >= 3 and early.stats.n_harvested > 0
    assert early.upper_bound >= ref.max_value * (1 - 1e-12)
    # listed: true violators, each with a value met at its point, at most its region's
    # maximum (a leaf's piece of a region may be listed before the rest of it is seen)
    for a, s, v, x in zip(early.active, early.sign, early.value, early.point):
        assert threshold < v <= want[(np.packbits(a).tobytes(), int(s))] * (1 + 1e-10)
        assert s * float(np.maximum(arr.X_lift @ x, 0) @ p) == pytest.approx(v, rel=1e-10)
    # near feasibility (max below BAB_QUOTA_ETA times the threshold) a quota the scan
    # cannot fill: complete, and the list is enumeration's
    p = p * (1.2 / 3.0)
    _, ref = _enumerated(X, p, threshold)
    want = region_maxima(arr, ref, support)
    done = maximise(X, p, threshold, limit=len(want) + 1)
    assert done.complete and abs(done.max_value - ref.max_value) <= 1e-12 * ref.max_value
    have = {(np.packbits(a).tobytes(), int(s)): float(v) for a, s, v in zip(done.active, done.sign, done.value)}
    assert set(have) == set(want)
    for key in want:
        assert have[key] == pytest.approx(want[key], rel=1e-10)


def test_quota_scan_far_from_feasible_stops_on_its_node_budget(monkeypatch):
    monkeypatch.setattr(bounding, "BAB_QUOTA_NODES", 256)
    X, p = _random(24, 2, 65)
    p = p * (4.0 / maximise(X, p).max_value)
    threshold = 1.0 + DEFAULT.dual_feas
    full = maximise(X, p, threshold, limit=10 ** 6, harvest=False, batch=16)
    assert full.complete and full.stats.n_nodes > 2 * 256
    got = maximise(X, p, threshold, limit=10 ** 6, batch=16)
    assert not got.complete and 1 <= got.n_found < full.n_found
    assert 256 <= got.stats.n_nodes < 256 + 2 * 16
    assert got.upper_bound >= full.max_value * (1 - 1e-12)
    # near feasibility the budget does not apply
    near = maximise(X, p * (1.2 / 4.0), threshold, limit=10 ** 6, batch=16)
    assert near.complete


@pytest.mark.parametrize("d,seed", [(1, 40), (2, 41), (3, 42), (4, 43)])
def test_gap_test_value_lies_between_eta_and_every_slope_bound(d, seed):
    """Lemma 2 (the Frank-Wolfe gap test): at points of the cone in the ball, the minimax
    value is at least ``eta`` (the positive terms are interpolated) and at most the
    polar-cone bound of EVERY slope vector (checked on random, 0, 1 and centre slopes and on
    the bounded-variable least-squares optimum over (alpha, lambda), solved by scipy), so a
    node where it exceeds the cut-off cannot be closed by any slope."""
    from scipy.optimize import lsq_linear

    rng = np.random.default_rng(seed)
    D, n = d + 1, 8
    A = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    checked = 0
    for _ in range(10):
        R = rng.integers(-3, 4, size=(1, D, D)).astype(float)
        if abs(np.linalg.det(R[0])) < 0.5:
            continue
        Q = rng.standard_normal((1, n)) * 2
        act, und, Sn, Rn = cones.classify(A, R)
        G = cones.normals(Rn)
        neg = und & (Q < 0)
        base = cones.linear_majorant(A, Q, act, und, Sn, G, np.zeros((1, n)))
        c = rng.exponential(size=(200, D)) ** 2
        T = c @ Rn[0].T
        T /= np.linalg.norm(T, axis=1, keepdims=True)
        T *= rng.uniform(0.5, 1.0, size=(200, 1))                  # inside the ball too
        low = bounding.minimax_value(A, np.repeat(Q, 200, 0), np.repeat(neg, 200, 0), np.repeat(base, 200, 0), T)
        eta = np.maximum(T @ A.T, 0) @ Q[0]
        assert np.all(low >= eta - 1e-12)
        slopes = [rng.uniform(size=(1, n)) for _ in range(5)] + [np.zeros((1, n)), np.ones((1, n)),
                                                                  cones.centre_alpha(Sn)]
        B = (Q[0, neg[0]][:, None] * A[neg[0]]).T
        M = np.hstack([B, G[0].T])
        k = B.shape[1]
        opt = lsq_linear(M, -base[0], bounds=(np.zeros(k + D), np.r_[np.ones(k), np.full(D, np.inf)]),
                         method="bvls", tol=1e-14)
        best = np.zeros((1, n))
        best[0, neg[0]] = opt.x[:k]
        for alpha in slopes + [best]:
            W = cones.linear_majorant(A, Q, act, und, Sn, G, alpha)
            val = cones.cone_max(W, Rn, G, DEFAULT.sign_zero)[0][0]
            assert low.max() <= val + 1e-10
        checked += 1
    assert checked >= 5


def test_cone_below_float_resolution_gives_the_enumerated_maximum():
    """Collinear data at d = 3: every hyperplane contains a common plane, so cones along it
    keep all their points undecided while their unit rays would become parallel in float.
    Such cones are forced leaves by their conditioning (proofs Lemma 11): the search returns
    the enumerated maximum (never a LinAlgError, never a SolverError)."""
    rng = np.random.default_rng(4)
    X = np.outer(rng.standard_normal(8), rng.standard_normal(3)) + rng.standard_normal(3)
    X[0] = rng.standard_normal(3)
    p = rng.standard_normal(8)
    _, full = _enumerated(X, p, 0.0)
    p = p * (1.2 / full.max_value)                      # enumerated max 1.2
    threshold = 1.0 + DEFAULT.dual_feas
    _, ref = _enumerated(X, p, threshold)
    got = maximise(X, p, threshold, progress=False)
    assert got.complete
    assert abs(got.max_value - ref.max_value) <= 1e-12 * ref.max_value
