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


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_centre_bound_holds_on_every_region(kind):
    X = _X(0, kind)
    arr = enumerate_chambers(X)
    rho = chamber_bounds.chamber_radii(arr, 1e-12)
    assert np.isfinite(rho).mean() > 0.5             # the bound exists for most chambers
    rng = np.random.default_rng(1)
    for _ in range(2):
        p = rng.standard_normal(arr.n)
        V = chamber_vectors(arr, p)
        nv = np.linalg.norm(V, axis=1)
        for k in np.flatnonzero(np.isfinite(rho)):
            G = arr.inward_normals(int(k))
            for sgn in (1.0, -1.0):
                exact = region_max(sgn * V[k], G).value
                bound = max(sgn * float(V[k] @ arr.interior[k]) + nv[k] * (rho[k] + CENTRE_BOUND_SLACK), 0.0)
                # NNLS leaves rounding (~1e-11) where the projection is 0
                assert exact <= bound + 1e-10 * max(nv[k], 1.0), (k, sgn, exact, bound)


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_scan_with_centre_bounds_equals_the_scan_without(kind, monkeypatch):
    X = _X(2, kind)
    arr = enumerate_chambers(X)
    rng = np.random.default_rng(3)
    p = rng.standard_normal(arr.n) * 0.2
    with_b = scan_all_chambers(arr, p, 1.0)
    monkeypatch.setattr("relucert.lp.tv.oracle.chamber_radii", lambda arr, z: np.full(arr.n_chambers, np.inf))
    without = scan_all_chambers(arr, p, 1.0)
    assert with_b.complete and without.complete
    assert with_b.max_value == without.max_value
    a = sorted(zip(with_b.chamber.tolist(), with_b.sign.tolist(), with_b.value.tolist()))
    b = sorted(zip(without.chamber.tolist(), without.sign.tolist(), without.value.tolist()))
    assert a == b
    assert with_b.n_projected <= without.n_projected
