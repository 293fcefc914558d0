"""Warm start of the branch and bound (proofs/branch_and_bound.md, Lemma 9), the frontier it
keeps, the seed-cone entry point and the upper bound of a violated certify, against
independent methods: sub-enumeration of every sign pattern with an NNLS projection each,
and the enumeration of every chamber (relucert.arrangement + lp.tv.oracle)."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.bab import BabStatus, WarmStart, certify, maximise, search_seeds
from relucert.lp.tv.bab import cones
from relucert.lp.tv.bab.tree import prepare, roots
from relucert.lp.tv.bab.warm import Frontier
from relucert.lp.tv.oracle import scan_all_chambers
from relucert.lp.tv.oracle_api import BranchAndBoundOracle
from relucert.tolerances import BAB_WARM_MAX_NODES, DEFAULT
from arrangement_helpers import cone_max_by_patterns, region_maxima


def _exact_cone_max(A, q, R):
    """max of eta_q over cone(R) and the ball, by every sign pattern (cone_max_by_patterns)."""
    return cone_max_by_patterns(A, q, np.linalg.inv(R / np.linalg.norm(R, axis=0, keepdims=True)))


@pytest.mark.parametrize("d,seed", [(1, 0), (2, 1), (3, 2), (4, 3)])
def test_shifted_bound_dominates_exact_maxima(d, seed):
    """Lemma 9 through WarmStart (packed inactive bits, the byte table): for random cones,
    q, q' and both signs, max over the cone of sign * eta_q' <= shifted(exact max for q)
    and <= shifted(polar-cone bound for q)."""
    rng = np.random.default_rng(seed)
    n, D = 7, d + 1
    X = rng.standard_normal((n, d))
    checked = 0
    for _ in range(10):
        R = rng.integers(-3, 4, size=(D, D)).astype(float)
        if abs(np.linalg.det(R)) < 0.5:
            continue
        sign = int(rng.choice([-1, 1]))
        q = rng.standard_normal(n)
        q2 = q + rng.standard_normal(n) * rng.choice([1e-3, 0.1, 1.0])
        q2[rng.integers(n)] = 0.0                       # a row dropped by the next search
        prob = prepare(X, q)
        A = prob.A
        act, und, Sn, Rn = cones.classify(A, R[None])
        G = cones.normals(Rn)
        W = cones.linear_majorant(A, sign * q[prob.support][None], act, und, Sn, G)
        polar = cones.cone_max(W, Rn, G, DEFAULT.sign_zero)[0][0]
        exact_q = _exact_cone_max(A, sign * q[prob.support], R)
        ina = np.packbits(~act & ~und, axis=1)
        for B in (exact_q, polar):
            warm = WarmStart(X, 10)
            warm.remember(q, prob.support, Frontier(R[None], np.array([sign], np.int8), np.array([B]), ina),
                          np.zeros((0, D)))
            prob2 = prepare(X, q2)
            (_, _, shifted, _), _ = warm.seeds(q2, prob2.support)
            exact_q2 = _exact_cone_max(prob2.A, sign * q2[prob2.support], R)
            assert exact_q2 <= shifted[0]
            # the shift is no larger than the unrestricted sum
            full = np.abs(warm.summed(q2) - warm.summed(q)) @ np.linalg.norm(warm.A_all, axis=1)
            assert shifted[0] <= (B + full) * (1 + 1e-12)
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("d,seed", [(1, 60), (2, 61), (3, 62), (4, 63)])
def test_ray_shift_is_first_order(d, seed):
    """Lemma 9b (b) on small cones around random directions: the ray shift is at least the
    exact maximum of sign * eta_{q' - q} over the cone and the ball (sub-enumeration of every
    sign pattern), and far below the shift of Lemma 9 (a) once the cone is small."""
    from relucert.lp.tv.bab.warm import ray_shift

    rng = np.random.default_rng(seed)
    n, D = 7, d + 1
    A = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
    below = 0
    for trial in range(12):
        centre = rng.standard_normal(D)
        scale = 2 ** int(rng.integers(4, 12))
        R = np.round(centre[:, None] * scale + rng.integers(-1, 2, size=(D, D))).astype(float)
        if abs(np.linalg.det(R)) < 0.5:
            continue
        sign = int(rng.choice([-1, 1]))
        dq = rng.standard_normal(n) * 0.1
        act, und, _, _ = cones.classify(A, R[None])
        ina = np.packbits(~act & ~und, axis=1)
        got = ray_shift(A, dq, R[None], np.array([sign], np.int8), ina)[0]
        exact = _exact_cone_max(A, sign * dq, R)
        scale = np.abs(dq) @ np.linalg.norm(A, axis=1)      # the reference's own rounding (NNLS)
        assert exact <= got * (1 + 1e-12) + 1e-10 * scale
        split = np.sum(np.maximum(sign * dq, 0.0) * np.linalg.norm(A, axis=1) * ~(~act & ~und)[0])
        below += got < split
    assert below >= 6


def _tiles(front, D, seed):
    T = np.random.default_rng(seed).standard_normal((3000, D))
    coef = np.einsum("mjd,td->tmj", np.linalg.inv(front.R), T)
    inside = np.all(coef > 0, axis=2)
    return all(np.all(inside[:, front.sign == s].sum(axis=1) == 1) for s in (1, -1))


@pytest.mark.parametrize("n,d,seed", [(9, 2, 10), (8, 3, 11), (7, 4, 12)])
def test_frontier_tiles_the_sphere(n, d, seed):
    """Lemma 5 for the frontier: cold, warm, and a search stopped by its violator limit."""
    rng = np.random.default_rng(seed)
    X, p = rng.standard_normal((n, d)), rng.standard_normal(n)
    top = maximise(X, p).max_value
    p = p * 2.0 / top
    cold = maximise(X, p, 1.0, keep_frontier=True, batch=8)
    assert cold.frontier.size > 2 ** (d + 2) and _tiles(cold.frontier, d + 1, seed)
    stopped = maximise(X, p, 1.0, limit=1, keep_frontier=True, batch=4)
    assert not stopped.complete and stopped.stats.n_open > 0 and _tiles(stopped.frontier, d + 1, seed)
    warm = WarmStart(X, 10 ** 6)
    warm.remember(p, stopped.support, stopped.frontier, stopped.point)
    p2 = p + 0.05 * rng.standard_normal(n)
    seeds, hints = warm.seeds(p2, prepare(X, p2).support)
    again = maximise(X, p2, 1.0, seeds=seeds, hints=hints, keep_frontier=True, batch=8)
    assert again.complete and _tiles(again.frontier, d + 1, seed)
    # every frontier bound holds: the maximum over the sphere is at most the largest
    assert maximise(X, p2).max_value <= again.frontier.bound.max() * (1 + 1e-12)


@pytest.mark.parametrize("n,d,seed", [(12, 2, 20), (9, 3, 21), (7, 4, 22)])
@pytest.mark.parametrize("capped", [False, True])
def test_warm_scans_equal_enumeration(n, d, seed, capped):
    """A sequence of duals scanned by one oracle with remember/warm (small and large moves,
    a zero-weight row, a limit-stopped scan in between): at every step the maximum, the
    upper bound and the violators equal the enumeration's; ``capped``: the memory keeps no
    frontier larger than the first, so later scans start from the first one."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    arr = enumerate_chambers(X)
    bab = BranchAndBoundOracle(X, progress=False)
    p = rng.standard_normal(n)
    p = p * 1.2 / scan_all_chambers(arr, p, 0.0).max_value
    thr = 1.0 + DEFAULT.dual_feas
    for step in range(6):
        if step == 2:
            bab.scan(p * 3.0, thr, limit=1, remember=True)     # a stopped scan as the prior
        got = bab.scan(p, thr, remember=True).detail
        if capped and step == 0:
            bab.memory.max_nodes = bab.memory.prior[1].size
        ref = scan_all_chambers(arr, p, thr)
        assert got.complete
        assert abs(got.max_value - ref.max_value) <= 1e-12 * ref.max_value
        assert ref.max_value <= got.upper_bound * (1 + 1e-15)
        have = {(np.packbits(a).tobytes(), int(s)): float(v) for a, s, v in zip(got.active, got.sign, got.value)}
        want = region_maxima(arr, ref, got.support)
        assert set(have) == set(want)
        for key in want:
            assert have[key] == pytest.approx(want[key], rel=1e-10)
        p = p + rng.standard_normal(n) * (0.3 if step == 3 else 0.02)
        if step == 4:
            p[0] = 0.0


@pytest.mark.parametrize("n,d,seed", [(20, 2, 30), (12, 3, 31), (8, 4, 32)])
def test_violated_certify_upper_bound_is_valid(n, d, seed):
    """A violated certify stops at its first witness; its upper_bound (open nodes, the
    children of the last batch included) is still at least the enumerated maximum."""
    rng = np.random.default_rng(seed)
    X, p = rng.standard_normal((n, d)), rng.standard_normal(n)
    top = scan_all_chambers(enumerate_chambers(X), p, 0.0).max_value
    for batch, threshold in ((4, 1.0), (4096, 0.05)):       # the witness in a late or in the first batch
        cert = certify(X, p * 3.0 / top, threshold=threshold, batch=batch)
        assert cert.status is BabStatus.VIOLATED
        assert cert.upper_bound >= 3.0 * (1 - 1e-12)


@pytest.mark.parametrize("n,d,seed", [(10, 2, 40), (8, 3, 41)])
def test_seed_runs_split_and_resume(n, d, seed):
    """search_seeds: from the roots it decides as certify; a run stopped by its node budget
    resumed from its open nodes (in two halves) closes everything, the closed parts tile
    the sphere, and the bounds and verdict match the single run."""
    rng = np.random.default_rng(seed)
    X, p = rng.standard_normal((n, d)), rng.standard_normal(n)
    top = scan_all_chambers(enumerate_chambers(X), p, 0.0).max_value
    p = p * 0.999 / top
    R0, s0 = roots(d + 1)
    whole = search_seeds(X, p, R0, s0)
    ref = certify(X, p)
    assert whole.witness is None and whole.open.size == 0 and ref.certified
    assert 0.999 * (1 - 1e-12) <= whole.upper_bound <= 1 + DEFAULT.dual_feas
    first = search_seeds(X, p, R0, s0, max_nodes=20, batch=4)
    assert first.open.size > 1
    o = first.open
    h = o.size // 2
    parts = [search_seeds(X, p, o.R[sl], o.sign[sl], bound=o.bound[sl], inactive=o.inactive[sl])
             for sl in (slice(0, h), slice(h, None))]
    assert all(r.witness is None and r.open.size == 0 for r in parts)
    closed = Frontier(*(np.concatenate([getattr(f, a) for f in (first.closed, parts[0].closed, parts[1].closed)])
                        for a in ("R", "sign", "bound", "inactive")))
    assert _tiles(closed, d + 1, seed)
    assert 0.999 * (1 - 1e-12) <= max(closed.bound.max(), first.best_value) <= 1 + DEFAULT.dual_feas
    # maximise mode from the roots lists the same maximum as maximise
    mx = search_seeds(X, p, R0, s0, mode="maximise")
    assert mx.best_value == pytest.approx(maximise(X, p).max_value, rel=1e-12)
    with pytest.raises(ValueError, match="mode"):
        search_seeds(X, p, R0, s0, mode="best")
    with pytest.raises(ValueError, match="R must"):
        search_seeds(X, p, R0[:, :1], s0)


@pytest.mark.parametrize("D,seed", [(2, 50), (3, 51), (4, 52), (5, 53)])
def test_interior_push_agrees_with_the_lp(D, seed):
    """leaves.has_interior with a start point (the perceptron walk, then the LP) gives the
    LP's answer on random cones and patterns, with interior and without (a pattern of
    opposite half-spaces), from points of the closed sub-region."""
    from relucert.lp.tv.bab import leaves

    rng = np.random.default_rng(seed)
    agree = yes = no = 0
    for _ in range(60):
        Rn = rng.standard_normal((D, D))
        Rn /= np.linalg.norm(Rn, axis=0, keepdims=True)
        A = rng.standard_normal((4, D))
        theta = Rn @ rng.exponential(size=D)
        active = A @ theta >= 0
        if rng.uniform() < 0.4:                                # a_1 = -k a_0, both "active": no interior
            A[1] = -A[0] * rng.uniform(0.5, 2.0)
            theta = theta - (A[0] @ theta) / (A[0] @ A[0]) * A[0]
            active = A @ theta >= 0
            active[:2] = True
            if np.any(np.linalg.solve(Rn, theta) < 0) or np.any(np.where(active, 1, -1) * (A @ theta) < -1e-12):
                continue                                       # the start must lie in the closed region
        lp = leaves.has_interior(A, active, Rn, DEFAULT)
        fast = leaves.has_interior(A, active, Rn, DEFAULT, point=theta / np.linalg.norm(theta))
        agree += lp == fast
        yes, no = yes + lp, no + (not lp)
    assert agree == yes + no and yes >= 5 and no >= 3


def test_a_frontier_over_the_cap_keeps_the_last_one_kept():
    """A frontier above ``max_nodes`` is not kept, and the last frontier kept stays: the next
    seeds are its nodes, with bounds shifted from the weights it was searched with (Lemma 9),
    valid for the new weights (exact cone maxima by sub-enumeration)."""
    rng = np.random.default_rng(7)
    n, d = 7, 2
    D = d + 1
    X = rng.standard_normal((n, d))
    q0, q1, q2 = (rng.standard_normal(n) for _ in range(3))
    warm = WarmStart(X, 1)
    R = np.eye(D)[None] * np.ones((1, 1, 1))
    prob = prepare(X, q0)
    B = _exact_cone_max(prob.A, q0[prob.support], R[0])
    ina = np.zeros((1, (prob.A.shape[0] + 7) // 8), np.uint8)
    warm.remember(q0, prob.support, Frontier(R, np.array([1], np.int8), np.array([B]), ina), np.zeros((0, D)))
    big = Frontier(np.repeat(R, 2, axis=0), np.array([1, -1], np.int8), np.array([B, B]), np.repeat(ina, 2, axis=0))
    warm.remember(q1, prepare(X, q1).support, big, np.zeros((0, D)))     # over the cap of 1 node
    prob2 = prepare(X, q2)
    (R2, s2, shifted, _), _ = warm.seeds(q2, prob2.support)
    assert R2.shape[0] == 1 and s2[0] == 1
    assert _exact_cone_max(prob2.A, q2[prob2.support], R[0]) <= shifted[0]
    assert np.array_equal(warm.prior[0], warm.summed(q0))


def test_the_warm_memory_keeps_the_large_frontiers_at_n200_d5():
    """``BAB_WARM_MAX_BYTES`` (1 GiB) at n = 200, d = 5 (504 bytes a node): the node cap
    ``BAB_WARM_MAX_NODES`` binds, so the 1.45M-node frontiers of that run's last scans are kept
    (with 512 MiB the cap was 1.06M nodes: dropped; benchmarks/RESULTS.md, session 13, d5)."""
    X = np.random.default_rng(0).standard_normal((200, 5))
    assert BranchAndBoundOracle(X).memory.max_nodes == BAB_WARM_MAX_NODES >= 1_500_000
