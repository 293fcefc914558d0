"""Issue 13 (d <= 3 speed): the chamber scan's whole-arrangement passes, each checked against an
independent computation.

- ``row_norms`` against ``np.linalg.norm`` (bit for bit, also at overflow and in 3-D arrays);
- the tree vectors (breadth-first increments, ``np.take`` gathers) against the direct sum
  ``unpacked signs @ (p x~)`` in exact rationals on a small arrangement with repeated points;
- the blocked upper bounds of a scan against every region's exact maximum by NNLS
  (``region_max``), and against the same bounds computed in one block;
- the one-call-per-group face maxima (both signs stacked): a complete scan equals the brute-force
  maxima of every region by NNLS, on general and degenerate data;
- the global close-plane test against the per-chamber distinct-plane count.
"""
from fractions import Fraction

import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.arrangement import vectors as C
from relucert.arrangement.cones import region_max
from relucert.lp.tv import chamber_bounds, oracle
from relucert.lp.tv.chamber_arrays import padded_facets, row_norms


def _X(kind, n=40, seed=0, d=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if kind == "degenerate":
        X[:5] = X[5:10]                                  # repeated points
        X[10:16, 1] = 2.0 * X[10:16, 0] + 0.5            # collinear (d = 3: coplanar) points
        X[16] = X[17] = 0.5                              # one more repeated pair
    return X


def test_row_norms_equal_numpy_norms_bit_for_bit():
    rng = np.random.default_rng(1)
    for shape in ((1000, 2), (1000, 3), (1000, 4), (50, 7, 3)):
        V = rng.standard_normal(shape) * 10.0 ** rng.integers(-150, 150, shape[:-1] + (1,))
        V[0] = 0.0
        with np.errstate(over="ignore"):
            assert np.array_equal(row_norms(V), np.linalg.norm(V, axis=-1))


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_tree_vectors_equal_exact_sums(kind, monkeypatch):
    monkeypatch.setattr(C, "TREE_MIN_POINTS", 1)
    monkeypatch.setattr(C, "TREE_MIN_CHAMBERS", 1)
    X = _X(kind, n=20)
    arr = enumerate_chambers(X)
    p = np.random.default_rng(2).standard_normal(arr.n)
    V = C.chamber_vectors(arr, p)                       # along the tree (whole arrangement)
    S = arr.active()
    Xl = arr.X_lift
    for k in range(arr.n_chambers):
        exact = [sum((Fraction(float(p[i])) * Fraction(float(Xl[i, j])) for i in np.flatnonzero(S[k])), Fraction(0))
                 for j in range(Xl.shape[1])]
        assert np.allclose(V[k], [float(e) for e in exact], rtol=0, atol=1e-13)


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_blocked_upper_bounds_hold_and_do_not_depend_on_the_block(kind, monkeypatch):
    arr = enumerate_chambers(_X(kind))
    rng = np.random.default_rng(3)
    p0, p = rng.standard_normal(arr.n), rng.standard_normal(arr.n)
    V0, V = oracle.chamber_vectors(arr, p0), oracle.chamber_vectors(arr, p)
    first = oracle.scan_all_chambers(arr, p0, 0.0)       # complete: exact bounds of p0
    prior = (p0, first.bounds, V0)
    norms, bounds, key = oracle._upper_bounds(arr, p, V, prior, 1e-12)
    monkeypatch.setattr(oracle, "_BOUND_BLOCK", 7)
    n2, b2, k2 = oracle._upper_bounds(arr, p, V, prior, 1e-12)
    assert np.array_equal(norms, n2) and np.array_equal(bounds, b2) and np.array_equal(key, k2)
    assert np.array_equal(key, bounds.max(axis=1))
    for k in range(arr.n_chambers):
        G = arr.inward_normals(k)
        for col, sgn in enumerate((1.0, -1.0)):
            exact = region_max(sgn * V[k], G).value
            assert exact <= bounds[k, col] + 1e-10 * max(norms[k], 1.0)


@pytest.mark.parametrize("kind,d,n", [("general", 2, 40), ("degenerate", 2, 40), ("general", 3, 12),
                                      ("degenerate", 3, 18)])
def test_complete_scan_equals_every_region_by_nnls(kind, d, n):
    arr = enumerate_chambers(_X(kind, n=n, seed=4, d=d))
    p = np.random.default_rng(5).standard_normal(arr.n)
    V = oracle.chamber_vectors(arr, p)
    exact = np.array([[region_max(s * V[k], arr.inward_normals(k)).value for s in (1.0, -1.0)]
                      for k in range(arr.n_chambers)])
    thr = float(np.quantile(exact.max(axis=1), 0.8))
    scan = oracle.scan_all_chambers(arr, p, thr)
    assert scan.complete
    assert scan.max_value == pytest.approx(exact.max(), rel=1e-10)
    got = {(int(k), int(s)): v for k, s, v in zip(scan.chamber, scan.sign, scan.value)}
    clear = {(k, 1 if c == 0 else -1) for k, c in zip(*np.nonzero(exact > thr * (1 + 1e-9)))}
    near = {(k, 1 if c == 0 else -1) for k, c in zip(*np.nonzero(exact > thr * (1 - 1e-9)))}
    assert clear <= set(got) <= near
    for (k, s), v in got.items():
        assert v == pytest.approx(exact[k, 0 if s > 0 else 1], rel=1e-9)


@pytest.mark.parametrize("kind", ["general", "degenerate"])
def test_close_planes_agrees_with_the_per_chamber_count(kind):
    arr = enumerate_chambers(_X(kind))
    rows = np.arange(arr.n_chambers)
    G, mask = padded_facets(arr, rows)
    per_chamber = chamber_bounds._distinct_planes(G, row_norms(G), mask, 1e-12).sum(axis=1)
    every_facet_distinct = bool(np.all(per_chamber == mask.sum(axis=1)))
    assert chamber_bounds._close_planes(arr.X_lift, 1e-12) == (kind == "degenerate")
    assert every_facet_distinct == (kind == "general")
