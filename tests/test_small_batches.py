"""Issue 13 (d <= 3 speed, session 11): a few chambers go to the face kernels in one call.

The scan's chunks are small (a scan that stops early projects tens of chambers per chunk), so a
kernel call per facet-count bucket paid ~100 numpy calls for a handful of chambers.
``count_buckets`` merges a bucket into the group above it when its padding costs at most
``SMALL_BATCH_WORK`` entries. Padding is harmless because the kernels work chamber by chamber
and a masked facet takes part in no candidate: checked here bit for bit (values, points,
resolved flags) against one call per bucket and per exact facet count, on general and
degenerate data at d = 2 and d = 3, and a merged complete scan against NNLS.
"""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.arrangement.cones import region_max
from relucert.lp.tv import chamber_arrays as CA
from relucert.lp.tv import oracle
from relucert.lp.tv.chamber_arrays import count_buckets, padded_facets, padded_rays
from relucert.lp.tv.faces import face_maxima_small

BUCKETS = ((0, 4), (5, 6), (7, 8), (9, 12), (13, 1 << 62))


def _data(kind, d, n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if kind == "degenerate":
        X[:4] = X[4:8]                               # repeated points
        X[8:13, 1] = 2.0 * X[8:13, 0] + 0.5          # collinear (d = 3: coplanar) points
    return X


def test_count_buckets_groups():
    # a few chambers: one group, padded to the largest count
    [(pos, width)] = count_buckets(np.array([4, 9, 5]), BUCKETS)
    assert pos.tolist() == [0, 1, 2] and width == 9
    # many small chambers below one large one: the padding would cost too much
    groups = count_buckets(np.array([4] * 600 + [9]), BUCKETS)
    assert [(g.size, w) for g, w in groups] == [(600, 4), (1, 12)]
    # never merged above the cap (a chamber with more facets than MAX_PAIR_FACETS)
    groups = count_buckets(np.array([4, 30]), BUCKETS, cube_cap=CA.MAX_PAIR_FACETS)
    assert [g.tolist() for g, _ in groups] == [[0], [1]]
    # every position exactly once, in increasing order within a group
    rng = np.random.default_rng(0)
    for _ in range(50):
        counts = rng.integers(0, 20, size=rng.integers(1, 300))
        groups = count_buckets(counts, BUCKETS, cube_cap=CA.MAX_PAIR_FACETS)
        allpos = np.concatenate([g for g, _ in groups])
        assert np.array_equal(np.sort(allpos), np.arange(counts.size))
        assert all(np.all(np.diff(g) > 0) and counts[g].max() <= w for g, w in groups)


@pytest.mark.parametrize("kind", ["general", "degenerate"])
@pytest.mark.parametrize("d,n", [(2, 60), (3, 30)])
def test_merged_kernel_calls_equal_per_count_calls_bit_for_bit(kind, d, n):
    arr = enumerate_chambers(_data(kind, d, n))
    D = d + 1
    rng = np.random.default_rng(3)
    counts = np.diff(arr.facet_indptr)
    for trial in range(6):
        rows = rng.choice(arr.n_chambers, size=min(arr.n_chambers, 40), replace=False)
        V = rng.standard_normal((rows.size, D)) * 10.0 ** rng.integers(-2, 3)
        cutoff = [-np.inf, 0.5][trial % 2]
        G, mask = padded_facets(arr, rows)
        rays = padded_rays(arr, rows, 1e-12) if D == 4 else None
        merged = face_maxima_small(V, G, mask, 1e-12, rays, cutoff, True)
        for f in np.unique(counts[rows]):       # one call per exact count: no padding at all
            at = np.flatnonzero(counts[rows] == f)
            Gs, ms = padded_facets(arr, rows[at])
            rs = padded_rays(arr, rows[at], 1e-12) if D == 4 else None
            alone = face_maxima_small(V[at], Gs, ms, 1e-12, rs, cutoff, True)
            for a, b in zip(merged, alone):
                assert np.array_equal(a[at], b, equal_nan=True)


@pytest.mark.parametrize("kind", ["general", "degenerate"])
@pytest.mark.parametrize("work", [0, 1 << 15, 1 << 30])
def test_complete_scan_equals_nnls_whatever_the_grouping(kind, work, monkeypatch):
    """No merging (work 0), the default and everything merged: the same maxima as NNLS."""
    monkeypatch.setattr(CA, "SMALL_BATCH_WORK", work)
    arr = enumerate_chambers(_data(kind, 3, 14, seed=2))
    p = np.random.default_rng(5).standard_normal(arr.n)
    scan = oracle.scan_all_chambers(arr, p, 0.0)
    assert scan.complete
    V = oracle.chamber_vectors(arr, p)
    for k in range(arr.n_chambers):
        G = arr.inward_normals(k)
        for col, s in ((0, 1.0), (1, -1.0)):
            exact = region_max(s * V[k], G).value
            # (a maximum at rounding level of ||v|| is reported as 0)
            assert scan.bounds[k, col] == pytest.approx(exact, rel=1e-9, abs=1e-10 * max(np.linalg.norm(V[k]), 1.0))
