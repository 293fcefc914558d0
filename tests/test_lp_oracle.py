"""lp/tv/oracle.py and lp/tv/merge.py against brute force."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.lp.tv.merge import merge_atoms, sign_vectors
from relucert.lp.tv.oracle import chamber_vectors, scan_all_chambers
from relucert.lp.tv import chamber_arrays, faces, oracle


@pytest.mark.parametrize("n,d,seed", [(11, 1, 0), (9, 2, 1), (6, 3, 2)])
def test_chamber_vectors_match_direct_sum(n, d, seed):
    rng = np.random.default_rng(seed)
    arr = enumerate_chambers(rng.standard_normal((n, d)))
    p = rng.standard_normal(n)
    V = chamber_vectors(arr, p)
    A = arr.active()
    assert np.allclose(V, A.astype(float) @ (p[:, None] * arr.X_lift), atol=1e-12)


def _sphere_samples(D, k, rng):
    S = rng.standard_normal((k, D))
    return S / np.linalg.norm(S, axis=1, keepdims=True)


@pytest.mark.parametrize("n,d,seed", [(7, 1, 3), (7, 2, 4)])
def test_exact_max_bounds_dense_sampling(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    arr = enumerate_chambers(X)
    p = rng.standard_normal(n)
    scan = scan_all_chambers(arr, p, 0.0)
    assert scan.complete
    T = _sphere_samples(d + 1, 200000, rng)
    eta = np.maximum(0, T @ arr.X_lift.T) @ p
    sampled = np.abs(eta).max()
    assert scan.max_value >= sampled - 1e-12          # exact max is an upper bound
    assert scan.max_value - sampled <= 5e-2 * scan.max_value   # and is nearly attained
    # every listed maximiser attains its value
    eta_pts = np.maximum(0, scan.point @ arr.X_lift.T) @ p
    assert np.allclose(scan.sign * eta_pts, scan.value, atol=1e-12)


def test_scan_limit_and_threshold():
    rng = np.random.default_rng(0)
    arr = enumerate_chambers(rng.standard_normal((8, 1)))
    p = 10 * rng.standard_normal(8)
    full = scan_all_chambers(arr, p, 1.0)
    part = scan_all_chambers(arr, p, 1.0, limit=1)
    assert full.complete and full.n_found >= 1 and np.all(full.value > 1.0)
    assert part.n_found >= 1
    # a threshold above the max finds nothing and still returns the exact max
    top = scan_all_chambers(arr, p, 1e9)
    assert top.n_found == 0 and top.max_value == pytest.approx(full.max_value, rel=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_merge_keeps_predictions_and_does_not_increase_tv(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((6, 2))
    Xl = np.hstack([X, np.ones((6, 1))])
    theta = _sphere_samples(3, 25, rng)
    # also atoms exactly on hyperplanes (shared by several chambers)
    on = np.cross(Xl[0], rng.standard_normal(3))
    theta = np.vstack([theta, on / np.linalg.norm(on)])
    amp = rng.standard_normal(theta.shape[0])
    t2, a2 = merge_atoms(Xl, theta, amp)
    pred = np.maximum(0, Xl @ theta.T) @ amp
    pred2 = np.maximum(0, Xl @ t2.T) @ a2
    assert np.allclose(pred, pred2, atol=1e-12)
    assert np.abs(a2).sum() <= np.abs(amp).sum() + 1e-12
    # after merging, no two atoms of one sign share a closed region
    sig = sign_vectors(Xl, t2)
    for i in range(len(a2)):
        for j in range(i + 1, len(a2)):
            if np.sign(a2[i]) == np.sign(a2[j]):
                assert np.any(sig[i].astype(int) * sig[j] < 0)


@pytest.mark.parametrize("n,d,seed", [(9, 1, 5), (9, 2, 6), (6, 2, 7)])
def test_vectorised_face_maxima_equal_nnls(n, d, seed):
    """The batched Moreau-candidate projection (D = 2, 3) equals scipy's NNLS projection
    (arrangement.region_max) on every chamber, for +v and -v, with ties from a coarse grid."""
    from relucert.arrangement import region_max
    from relucert.lp.tv.chamber_arrays import padded_facets
    from relucert.lp.tv.faces import face_maxima_small

    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((n, d)), 1)
    arr = enumerate_chambers(X)
    rows = np.arange(arr.n_chambers)
    G, mask = padded_facets(arr, rows)
    for _ in range(3):
        V = chamber_vectors(arr, rng.standard_normal(n))
        for s in (1.0, -1.0):
            val, pt, res = face_maxima_small(s * V, G, mask, 1e-12)
            for k in rows:
                ref = region_max(s * V[k], arr.inward_normals(k))
                if res[k]:
                    assert val[k] == pytest.approx(ref.value, abs=1e-12, rel=1e-12)
                    if ref.value > 1e-9 and val[k] > 1e-9:
                        assert np.allclose(pt[k], ref.point, atol=1e-8)
                else:
                    # unresolved only where the answer is 0 or v is interior (handled by caller)
                    inside = np.all(arr.inward_normals(k) @ (s * V[k]) > 0)
                    assert ref.value <= 1e-12 * max(1, np.linalg.norm(V[k])) or inside


# --- d = 3: vectorised face candidates (facets, 2-faces, cached extreme rays) ----------
def _degenerate_3d(rng, n, kind):
    X = rng.standard_normal((n, 3))
    if kind >= 1:  # repeated, scaled, antipodal and summed points
        X[5], X[7], X[9], X[11] = X[3], 2 * X[4], X[1] + X[2], -X[10]
    if kind >= 2:  # eight coplanar points
        X[:8, 2] = 0.0
    return X


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_d3_face_candidates_equal_per_region_projection(kind):
    """Every non-interior chamber's maximum from the face candidates equals the
    per-region NNLS projection (a different algorithm), for +eta and -eta."""
    from relucert.arrangement.cones import region_max
    from relucert.tolerances import DEFAULT

    rng = np.random.default_rng(40 + kind)
    arr = enumerate_chambers(_degenerate_3d(rng, 22, kind))
    p = 0.3 * rng.standard_normal(22)
    V = oracle.chamber_vectors(arr, p)
    rows = np.arange(arr.n_chambers)
    G, mask = chamber_arrays.padded_facets(arr, rows)
    rays = chamber_arrays.padded_rays(arr, rows, DEFAULT.sign_zero)
    zero = DEFAULT.sign_zero * np.linalg.norm(arr.X_lift, axis=1)
    checked = 0
    for sign, inside in zip((1.0, -1.0), chamber_arrays.interior_masks(arr, rows, V, zero)):
        vals, pts, resolved = faces.face_maxima_small(sign * V, G, mask, DEFAULT.sign_zero, rays)
        assert resolved[~inside].mean() > 0.99  # the rest goes to NNLS in scan_all_chambers
        for k in np.flatnonzero(~inside & resolved):
            ref = region_max(sign * V[k], arr.inward_normals(int(k)))
            assert abs(ref.value - vals[k]) <= 1e-9 * max(1.0, ref.value)
            if ref.value > 1e-6:
                assert np.all(arr.inward_normals(int(k)) @ pts[k] >= -1e-12)
                assert np.dot(sign * V[k], pts[k]) == pytest.approx(vals[k], rel=1e-12, abs=1e-12)
            checked += 1
    assert checked > 1000


def test_cached_rays_are_the_cdd_extreme_rays():
    """chamber_rays (triples of facet planes) against cdd's exact V-representation."""
    from relucert.arrangement import chamber_cone
    from relucert.tolerances import DEFAULT

    rng = np.random.default_rng(7)
    arr = enumerate_chambers(_degenerate_3d(rng, 12, 1))
    indptr, rays = chamber_arrays.chamber_rays(arr, DEFAULT.sign_zero)
    for k in rng.choice(arr.n_chambers, size=40, replace=False):
        mine = rays[indptr[k]:indptr[k + 1]]
        cone = chamber_cone(arr, int(k), number_type="fraction")
        assert not cone.lines
        ref = np.array([[float(v) for v in r] for r in cone.rays])
        ref /= np.linalg.norm(ref, axis=1, keepdims=True)
        # same set of directions (mine may list a ray once per triple through it)
        d = np.linalg.norm(mine[:, None, :] - ref[None, :, :], axis=2)
        assert np.all(d.min(axis=1) <= 1e-12) and np.all(d.min(axis=0) <= 1e-12)


@pytest.mark.parametrize("d,n", [(1, 30), (2, 25), (3, 14)])
def test_prior_bounds_skip_only_regions_that_cannot_matter(d, n):
    """A scan using an earlier scan's per-region bounds (p moved a little) reports the same
    violators and the same exact max |eta| as a scan from scratch."""
    rng = np.random.default_rng(60 + d)
    arr = enumerate_chambers(rng.standard_normal((n, d)))
    p0 = rng.standard_normal(n)
    p0 /= scan_all_chambers(arr, p0, 0.0).max_value            # max |eta_p0| = 1
    first = scan_all_chambers(arr, p0, 1.0 + 1e-9)
    assert first.bounds.shape == (arr.n_chambers, 2)
    for scale in (1e-6, 1e-3, 1e-1):
        p = p0 + scale * rng.standard_normal(n)
        plain = scan_all_chambers(arr, p, 1.0 + 1e-9)
        fast = scan_all_chambers(arr, p, 1.0 + 1e-9, prior=(first.p, first.bounds))
        with_v = scan_all_chambers(arr, p, 1.0 + 1e-9, prior=(first.p, first.bounds, chamber_vectors(arr, first.p)))
        assert with_v.max_value == pytest.approx(plain.max_value, rel=1e-12, abs=1e-12)
        assert fast.complete and plain.complete
        assert fast.max_value == pytest.approx(plain.max_value, rel=1e-12, abs=1e-12)
        key = lambda s: sorted(zip(s.chamber.tolist(), s.sign.tolist()))  # noqa: E731
        assert key(fast) == key(plain)
        # every bound bounds the region's exact maximum
        full = scan_all_chambers(arr, p, 0.0)
        exact = np.zeros((arr.n_chambers, 2))
        exact[full.chamber, (full.sign < 0).astype(int)] = full.value
        assert np.all(fast.bounds >= exact - 1e-12)


def test_non_pointed_cones_are_never_concluded_zero_from_rays():
    # proofs/exchange_method.md ("lineality"): in R^3 the cone {theta1 >= 0, theta2 >= 0} holds
    # the line span(e3); its facet planes meet in that line, on which <v, r> = 0 for every v,
    # so the ray test passes vacuously. Force every candidate to fail (zero_rel = 0.9 rejects
    # the facet candidate (1, 0, 0) of v = (1, -1, 0)): the true maximum is 1, and the chamber
    # must stay unresolved (the caller projects it), never be concluded 0.
    from relucert.lp.tv.faces import face_maxima_small

    V = np.array([[1.0, -1.0, 0.0]])
    G = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    mask = np.ones((1, 2), dtype=bool)
    val, pt, res = face_maxima_small(V, G, mask, 0.9, pointed=False)
    assert not res[0]
    # the pointed twin (a third facet theta3 >= 0 removes the line) still concludes by its rays,
    # and only when the projection really is 0
    G3 = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    val, pt, res = face_maxima_small(-np.abs(V), G3, np.ones((1, 3), dtype=bool), 1e-12)
    assert res[0] and val[0] == 0.0


@pytest.mark.parametrize("d", [2, 3])
def test_collinear_and_coplanar_data_scan_equals_per_region_projection(d):
    # non-essential arrangements (collinear points in d = 2, coplanar in d = 3): every chamber
    # holds the lineality line; the oracle's maxima equal per-region NNLS on every chamber
    from relucert.arrangement.cones import region_max
    from relucert.lp.tv.chamber_arrays import is_pointed

    rng = np.random.default_rng(70 + d)
    t = rng.integers(-16, 17, (14, d - 1)) / 8.0                    # dyadic: exactly affine below
    X = np.hstack([t, t @ rng.integers(-2, 3, (d - 1, 1)) + 0.5])   # x_d affine in the others
    arr = enumerate_chambers(X)
    assert not is_pointed(arr)
    for trial in range(3):
        p = rng.standard_normal(14)
        scan = scan_all_chambers(arr, p, -1.0)
        V = chamber_vectors(arr, p)
        want = {}
        for k in range(arr.n_chambers):
            for s in (1, -1):
                want[(k, s)] = region_max(s * V[k], arr.inward_normals(k)).value
        got = {(int(k), int(s)): v for k, s, v in zip(scan.chamber, scan.sign, scan.value)}
        for key, w in want.items():
            assert got.get(key, 0.0) == pytest.approx(w, abs=1e-9 * max(1.0, w)), key
