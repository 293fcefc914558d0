"""Issue 13 (d <= 3 speed): the extreme rays of every chamber at d = 3 from the lines of a
simple arrangement (arrangement/vertex_rays.py, proofs/chamber_completeness.md "Extreme rays
from the lines"), checked against cdd's exact V-representation of each cone (rational
arithmetic, a different algorithm) and against the per-chamber method (triples of facet
planes); the radii built on them against the exact rays; degenerate data fall back."""
from itertools import combinations

import numpy as np
import pytest

from relucert.arrangement import chamber_cone, enumerate_chambers
from relucert.arrangement.vertex_rays import line_triples, vertex_rays
from relucert.lp.tv import chamber_arrays, chamber_bounds

ZERO = 1e-12


def _exact_unit_rays(arr, k):
    cone = chamber_cone(arr, int(k), number_type="fraction")
    assert not cone.lines
    ref = np.array([[float(v) for v in r] for r in cone.rays])
    return ref / np.linalg.norm(ref, axis=1, keepdims=True)


def _same_directions(a, b, tol=1e-12):
    if a.shape[0] != b.shape[0]:
        return False
    d = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    return bool(np.all(d.min(axis=1) <= tol) and np.all(d.min(axis=0) <= tol))


def _per_chamber_rays(arr, monkeypatch):
    """The per-chamber method's rays (the fast path switched off), on a fresh cache."""
    with monkeypatch.context() as mp:
        mp.setattr(chamber_arrays, "vertex_rays", lambda *a, **k: None)
        chamber_arrays._RAYS.pop(arr, None)
        out = chamber_arrays._ray_pass(arr, ZERO)
        chamber_arrays._RAYS.pop(arr, None)
    return out


def test_line_triples_are_the_combinations():
    for n in (3, 4, 7, 12):
        assert line_triples(n).tolist() == [list(t) for t in combinations(range(n), 3)]


@pytest.mark.parametrize("seed", [0, 1])
def test_every_chambers_rays_are_the_exact_extreme_rays(seed):
    """Every chamber of a general-position instance: the rays from the lines are exactly
    cdd's extreme rays (no missing, no extra), and every chamber's count is V = 2F - 4."""
    X = np.random.default_rng(seed).standard_normal((9, 3))
    arr = enumerate_chambers(X)
    out = vertex_rays(arr, ZERO, chamber_arrays.MAX_PAIR_FACETS)
    assert out is not None
    indptr, rays = out
    assert indptr[-1] == rays.shape[0] and np.allclose(np.linalg.norm(rays, axis=1), 1.0)
    for k in range(arr.n_chambers):
        mine = rays[indptr[k]:indptr[k + 1]]
        assert _same_directions(mine, _exact_unit_rays(arr, k)), k
        assert mine.shape[0] == 2 * len(arr.facets(k)) - 4


def test_rays_equal_the_per_chamber_method(monkeypatch):
    """n = 25: the same ray set per chamber as all facet triples of each chamber."""
    X = np.random.default_rng(3).standard_normal((25, 3))
    arr = enumerate_chambers(X)
    indptr, rays = vertex_rays(arr, ZERO, chamber_arrays.MAX_PAIR_FACETS)
    old = _per_chamber_rays(arr, monkeypatch)
    assert not old[3] and not old[2].any()
    assert np.array_equal(indptr, old[0])
    for k in range(arr.n_chambers):
        assert _same_directions(rays[indptr[k]:indptr[k + 1]], old[1][old[0][k]:old[0][k + 1]]), k
    assert chamber_arrays.rays_from_lines(arr, ZERO)


def _near_degenerate(rng):
    X = rng.standard_normal((10, 3))
    X[4] = X[0] + 0.3 * (X[1] - X[0]) + 0.2 * (X[2] - X[0]) + 1e-14 * np.array([1.0, -1.0, 2.0])
    return X


@pytest.mark.parametrize("kind", ["repeated", "coplanar", "collinear", "near"])
def test_degenerate_data_fall_back_to_the_per_chamber_method(kind):
    """Repeated points, four coplanar points (a line on four hyperplanes), three collinear
    points (a dependent triple) and a point 1e-14 off a plane of three others (a sign too
    close to call): not simple, so None; the cached rays (per-chamber method) still equal
    cdd's exact rays on the chambers it does not flag as ill-resolved."""
    rng = np.random.default_rng(20)
    X = rng.standard_normal((10, 3))
    if kind == "repeated":
        X[5] = X[2]
    elif kind == "coplanar":
        X[:4, 2] = 0.5 * X[:4, 0] - X[:4, 1] + 0.25
    elif kind == "collinear":
        X[:3] = [[0.0, 1.0, -1.0], [1.0, 3.0, 2.0], [2.0, 5.0, 5.0]]
    else:
        X = _near_degenerate(rng)
    arr = enumerate_chambers(X)
    assert vertex_rays(arr, ZERO, chamber_arrays.MAX_PAIR_FACETS) is None
    assert not chamber_arrays.rays_from_lines(arr, ZERO)
    if kind == "near":   # the per-chamber method's loose tests are not exact at 1e-14
        return
    indptr, rays = chamber_arrays.chamber_rays(arr, ZERO)
    ill = chamber_arrays.ill_resolved_rays(arr, ZERO)
    # (the per-chamber method's rays are checked where it trusts them: not ill-resolved, and
    # not a chamber narrower than float resolution)
    for k in rng.choice(np.flatnonzero(~ill & (arr.margin > 0)), size=15, replace=False):
        mine = rays[indptr[k]:indptr[k + 1]]
        ref = _exact_unit_rays(arr, k)
        d = np.linalg.norm(mine[:, None, :] - ref[None, :, :], axis=2)   # may repeat a ray
        assert np.all(d.min(axis=1) <= 1e-9) and np.all(d.min(axis=0) <= 1e-9)


def test_simple_radii_cover_the_exact_rays_and_exist_everywhere():
    """Radii from the lines: finite on every chamber, and every exact extreme ray lies within
    ``rho`` of the interior point."""
    arr = enumerate_chambers(np.random.default_rng(5).standard_normal((10, 3)))
    rho = chamber_bounds.chamber_radii(arr, ZERO)
    assert chamber_arrays.rays_from_lines(arr, ZERO)
    low_ok = 0
    for k in range(arr.n_chambers):
        ref = _exact_unit_rays(arr, k)
        if np.min(ref @ arr.interior[k]) >= 0.0:
            low_ok += 1
            assert np.isfinite(rho[k])
            assert np.all(np.linalg.norm(ref - arr.interior[k], axis=1) <= rho[k]), k
        else:
            assert np.isinf(rho[k])
    assert low_ok > 0.9 * arr.n_chambers


def test_simple_radii_refuse_a_chamber_with_a_missing_ray():
    """Drop one ray of one chamber from the cached list: V = 2F - 4 fails there and that
    chamber (only) gets no radius."""
    arr = enumerate_chambers(np.random.default_rng(6).standard_normal((9, 3)))
    indptr, rays, ill, simple = chamber_arrays._ray_pass(arr, ZERO)
    full = chamber_bounds.chamber_radii(arr, ZERO).copy()
    k = int(np.flatnonzero(np.isfinite(full))[3])
    drop = indptr[k]
    ind2 = indptr.copy()
    ind2[k + 1:] -= 1
    chamber_arrays._RAYS[arr][(ZERO,)] = (ind2, np.delete(rays, drop, axis=0), ill, simple)
    chamber_bounds._RADII.pop(arr, None)
    rho = chamber_bounds.chamber_radii(arr, ZERO)
    assert np.isinf(rho[k])
    others = np.arange(arr.n_chambers) != k
    assert np.array_equal(rho[others], full[others])


@pytest.mark.parametrize("kind", ["general", "repeated"])
def test_ray_bound_is_above_the_exact_region_maximum(kind):
    """The extreme rays' bound (chamber_bounds.ray_bounds) against the per-region NNLS
    projection (an independent algorithm), for +v and -v on every chamber; finite on most."""
    from relucert.arrangement.cones import region_max
    from relucert.lp.tv.oracle import chamber_vectors

    rng = np.random.default_rng(30)
    X = rng.standard_normal((12, 3))
    if kind == "repeated":
        X[4] = X[1]
    arr = enumerate_chambers(X)
    rows = np.arange(arr.n_chambers)
    finite = 0
    for seed in (31, 32):
        V = chamber_vectors(arr, np.random.default_rng(seed).standard_normal(arr.n))
        plus, minus = chamber_bounds.ray_bounds(arr, rows, V, ZERO)
        finite += int(np.isfinite(plus).sum())
        for k in rows:
            G = arr.inward_normals(int(k))
            for sgn, ub in ((1.0, plus[k]), (-1.0, minus[k])):
                exact = region_max(sgn * V[k], G).value
                assert exact <= ub + 1e-10 * max(1.0, np.linalg.norm(V[k])), (k, sgn)
    assert finite > 0.9 * 2 * arr.n_chambers


def test_d3_scan_with_ray_bounds_equals_the_scan_without(monkeypatch):
    """Complete d = 3 scans with the ray bound and without it (every bound infinite): the same
    maximum and the same violators, and fewer face projections with it."""
    from relucert.lp.tv import oracle

    rng = np.random.default_rng(33)
    arr = enumerate_chambers(rng.standard_normal((16, 3)))
    p = rng.standard_normal(arr.n)
    p /= oracle.scan_all_chambers(arr, p, 0.0).max_value
    for thr in (0.7, 1.0 - 1e-9):
        with_b = oracle.scan_all_chambers(arr, p, thr)
        with monkeypatch.context() as mp:
            mp.setattr(oracle, "ray_bounds", lambda a, rows, V, z: (np.full(rows.size, np.inf),) * 2)
            without = oracle.scan_all_chambers(arr, p, thr)
        assert with_b.complete and without.complete
        assert with_b.max_value == without.max_value
        key = lambda s: sorted(zip(s.chamber.tolist(), s.sign.tolist(), s.value.tolist()))  # noqa: E731
        assert key(with_b) == key(without) and len(key(with_b)) > 0
        assert with_b.n_projected < without.n_projected
