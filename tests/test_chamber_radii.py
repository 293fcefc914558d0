"""Issue 16: the d = 2 scan bounds each region by ``<c, v> + ||v|| rho`` (``c`` the chamber's
interior point, ``rho`` its radius around it: lp/tv/chamber_bounds.py::chamber_radii,
proofs/exchange_method.md "Centre bounds"). Checked against the per-region NNLS projection
(an independent algorithm) on every chamber, on general-position and degenerate data; and the
scan with the bound against the scan without it."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.arrangement.cones import region_max
from relucert.lp.tv import chamber_bounds
from relucert.lp.tv.oracle import chamber_vectors, scan_all_chambers
from relucert.tolerances import CENTRE_BOUND_SLACK


def _X(seed, kind):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 2))
    if kind == "degenerate":
        X[:6] = X[6:12]                          # repeated points
        X[12:18, 1] = 2.0 * X[12:18, 0] + 0.5    # collinear points
    return X


def _exact_region_bound_holds(arr, rho, seeds, rel=1e-10, scale=1.0):
    """Whether the centre bound with radius ``scale * rho`` is >= the NNLS projection (an
    independent algorithm) on every chamber with a radius, for +eta and -eta."""
    for seed in seeds:
        p = np.random.default_rng(seed).standard_normal(arr.n)
        V = chamber_vectors(arr, p)
        nv = np.linalg.norm(V, axis=1)
        for k in np.flatnonzero(np.isfinite(rho)):
            G = arr.inward_normals(int(k))
            for sgn in (1.0, -1.0):
                exact = region_max(sgn * V[k], G).value
                r = scale * rho[k] + (CENTRE_BOUND_SLACK if scale == 1.0 else 0.0)
                bound = max(sgn * float(V[k] @ arr.interior[k]) + nv[k] * r, 0.0)
                # NNLS leaves rounding (~1e-11) where the projection is 0
                if exact > bound + rel * max(nv[k], 1.0):
                    return False
    return True


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_centre_bound_holds_on_every_region(kind):
    X = _X(0, kind)
    arr = enumerate_chambers(X)
    rho = chamber_bounds.chamber_radii(arr, 1e-12)
    assert np.isfinite(rho).mean() > 0.5             # the bound exists for most chambers
    assert _exact_region_bound_holds(arr, rho, (1, 2))


def _scans_with_and_without_bounds(arr, p, monkeypatch):
    """Complete scans of ``p`` with the centre bounds and without them (every radius
    infinite): the same maximum and the same violators; returns both scans."""
    with_b = scan_all_chambers(arr, p, 1.0)
    monkeypatch.setattr("relucert.lp.tv.oracle.chamber_radii", lambda arr, z: np.full(arr.n_chambers, np.inf))
    without = scan_all_chambers(arr, p, 1.0)
    assert with_b.complete and without.complete
    assert with_b.max_value == without.max_value
    a = sorted(zip(with_b.chamber.tolist(), with_b.sign.tolist(), with_b.value.tolist()))
    b = sorted(zip(without.chamber.tolist(), without.sign.tolist(), without.value.tolist()))
    assert a == b
    return with_b, without


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_scan_with_centre_bounds_equals_the_scan_without(kind, monkeypatch):
    X = _X(2, kind)
    arr = enumerate_chambers(X)
    rng = np.random.default_rng(3)
    p = rng.standard_normal(arr.n) * 0.2
    with_b, without = _scans_with_and_without_bounds(arr, p, monkeypatch)
    assert with_b.n_projected <= without.n_projected


# --- d = 3: the radius from the extreme rays, complete by Euler's formula ---------------------

def _X3(seed, kind, n=13):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    if kind == "degenerate":
        X[5], X[7], X[9] = X[3], 2 * X[4], X[1] + X[2]   # repeated, scaled and summed points
        X[8, :2] = 0.5 * (X[6, :2] + X[0, :2])           # collinear in one projection
        X[:4, 2] = 0.0                                    # four coplanar points
    return X


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_d3_centre_bound_holds_on_every_region_and_halving_breaks_it(kind):
    arr = enumerate_chambers(_X3(4, kind))
    rho = chamber_bounds.chamber_radii(arr, 1e-12)
    assert np.isfinite(rho).mean() > 0.9             # the bound exists for most chambers
    assert _exact_region_bound_holds(arr, rho, (5, 6))
    # the radius is not loose by 2x: half of it fails somewhere
    assert not _exact_region_bound_holds(arr, rho, (5, 6), scale=0.5)


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_d3_radius_covers_the_exact_extreme_rays(kind):
    """Every exact extreme ray (cdd, rational arithmetic) of a chamber with a radius lies
    within it: ``||r - c|| <= rho``."""
    from relucert.arrangement import chamber_cone

    arr = enumerate_chambers(_X3(7, kind, n=10))
    rho = chamber_bounds.chamber_radii(arr, 1e-12)
    checked = 0
    for k in np.flatnonzero(np.isfinite(rho)):
        cone = chamber_cone(arr, int(k), number_type="fraction")
        ref = np.array([[float(v) for v in r] for r in cone.rays])
        ref /= np.linalg.norm(ref, axis=1, keepdims=True)
        assert np.all(np.linalg.norm(ref - arr.interior[k], axis=1) <= rho[k] * (1 + 1e-12)), k
        checked += 1
    assert checked > 0.9 * arr.n_chambers


def test_d3_euler_test_rejects_a_missing_ray():
    """Remove one extreme ray of a chamber: its ray set no longer passes the completeness test
    (so it would get no radius); the full set passes."""
    from itertools import combinations

    from relucert.lp.tv.chamber_arrays import cross4, padded_facets

    arr = enumerate_chambers(_X3(8, "general", n=9))
    rng = np.random.default_rng(9)
    tried = 0
    for k in rng.choice(arr.n_chambers, size=12, replace=False):
        G, mask = padded_facets(arr, np.array([k]))
        gn = np.linalg.norm(G, axis=2)
        t3 = np.array(list(combinations(range(G.shape[1]), 3)))
        if t3.size == 0:
            continue
        R = cross4(G[:, t3[:, 0]], G[:, t3[:, 1]], G[:, t3[:, 2]])
        R = R / np.maximum(np.linalg.norm(R, axis=2, keepdims=True), 1e-300)
        R = np.concatenate([R, -R], axis=1)
        inside = np.all(np.einsum("mpd,mfd->mpf", R, G) >= -1e-9 * gn[:, None, :], axis=2)
        keep = chamber_bounds._distinct_rays(R, inside, 1e-6)
        planes = chamber_bounds._distinct_planes(G, gn, mask, 1e-12)
        assert chamber_bounds.euler_complete(R, keep, G, gn, planes, 1e-6)[0]
        for j in np.flatnonzero(keep[0]):
            fewer = keep.copy()
            fewer[0, j] = False
            assert not chamber_bounds.euler_complete(R, fewer, G, gn, planes, 1e-6)[0]
        tried += 1
    assert tried >= 10


def test_no_radius_where_the_rays_cannot_be_shown_complete():
    """Coplanar points in R^3 (a non-pointed arrangement) and d = 1 get no radius at all."""
    rng = np.random.default_rng(10)
    X = rng.standard_normal((9, 3))
    X[:, 2] = 0.3 * X[:, 0] - X[:, 1] + 0.5          # every point on one plane
    assert np.all(np.isinf(chamber_bounds.chamber_radii(enumerate_chambers(X), 1e-12)))
    arr1 = enumerate_chambers(rng.standard_normal((6, 1)))
    assert np.all(np.isinf(chamber_bounds.chamber_radii(arr1, 1e-12)))


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_d3_scan_with_centre_bounds_equals_the_scan_without(kind, monkeypatch):
    arr = enumerate_chambers(_X3(11, kind))
    p = np.random.default_rng(12).standard_normal(arr.n) * 0.3
    with_b, without = _scans_with_and_without_bounds(arr, p, monkeypatch)
    assert with_b.n_projected < without.n_projected


def test_d3_nearly_dependent_facet_planes_get_no_radius():
    """Three nearly (not exactly) collinear points: their facet planes meet in a poorly
    resolved ray, so the chambers with all three as facets are flagged and get no radius; the
    bound still holds on every other chamber."""
    from relucert.lp.tv.chamber_arrays import ill_resolved_rays

    X = _X3(13, "general", n=10)
    X[2] = 0.5 * (X[0] + X[1]) + 1e-8 * np.array([1.0, -2.0, 0.5])
    arr = enumerate_chambers(X)
    ill = ill_resolved_rays(arr, 1e-12)
    rho = chamber_bounds.chamber_radii(arr, 1e-12)
    assert ill.any() and np.all(np.isinf(rho[ill]))
    assert _exact_region_bound_holds(arr, rho, (14,))
