"""Issue 13 (d <= 3 speed, session 11): the enumeration's sorts and sign filters, each checked
against an independent computation.

- ``_sort_by_distinct_key`` (one sort of ``key << b | value``) against an argsort, on both of its
  branches (packed and too wide to pack);
- ``_dedup`` (groups ranked by a bitmap of their first finds, no second argsort) against a
  dictionary of first occurrences;
- the circle orders' crossing signs formed once per circle (``_bil_signs(..., first=...)``)
  against the per-entry path and against exact rational 3 x 3 determinants, on integer points
  (many exact zeros, so the exact fallback runs) and on random points.
"""
from fractions import Fraction

import numpy as np
import pytest

from relucert.arrangement._chamber_store import _dedup
from relucert.arrangement._circle_batch import bilinear_forms
from relucert.arrangement.chambers import lift
from relucert.arrangement.restrict import _Enumerator
from relucert.arrangement.vertex_rays import _sort_by_distinct_key


@pytest.mark.parametrize("key_bound", [10 ** 6, 1 << 62])
def test_sort_by_distinct_key_equals_argsort(key_bound):
    rng = np.random.default_rng(0)
    key = rng.choice(key_bound, size=5000, replace=False).astype(np.int64)
    val = rng.integers(0, 777, size=5000).astype(np.int64)
    k, v = _sort_by_distinct_key(key, val, key_bound, 777)
    o = np.argsort(key)
    assert np.array_equal(k, key[o]) and np.array_equal(v, val[o])


def test_dedup_numbers_groups_by_first_occurrence():
    rng = np.random.default_rng(1)
    for size in (1, 7, 1000, 20000):
        h = rng.integers(0, 50 if size > 100 else 3, size=size).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        ids, first, o, starts = _dedup(h)
        seen: dict = {}
        for i, x in enumerate(h.tolist()):
            seen.setdefault(x, i)
        ref_first = sorted(seen.values())
        rank = {h[i]: r for r, i in enumerate(ref_first)}
        assert first.tolist() == ref_first
        assert ids.tolist() == [rank[x] for x in h]
        assert np.all(h[o][1:] >= h[o][:-1])
        assert np.array_equal(np.flatnonzero(np.r_[True, h[o][1:] != h[o][:-1]]), starts)


def _exact_det3(a, b, c) -> int:
    A = [[Fraction(float(x)) for x in r] for r in (a, b, c)]
    d = (A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0])
         + A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]))
    return (d > 0) - (d < 0)


@pytest.mark.parametrize("kind", ["integer", "random"])
def test_crossing_signs_once_per_circle_equal_exact(kind):
    rng = np.random.default_rng(2)
    if kind == "integer":
        X = np.array([[i, j] for i in range(-2, 3) for j in range(-2, 2)], dtype=float)
    else:
        X = rng.standard_normal((25, 2))
    Z = lift(X)
    en = _Enumerator(np.ascontiguousarray(Z), 0, False)
    n = Z.shape[0]
    flags = [(f,) for f in range(n)]
    W, Wa, We = bilinear_forms(en.Z[np.arange(n)[:, None]])
    first = rng.integers(0, n, size=n)                   # one "first hyperplane" per circle
    c = np.repeat(np.arange(n), n)
    b = np.tile(np.arange(n), n)
    a = first[c]
    per_entry = en._bil_signs(W, Wa, We, flags, {}, c, a, b)
    per_circle = en._bil_signs(W, Wa, We, flags, {}, c, a, b, first=first)
    assert np.array_equal(per_entry, per_circle)
    exact = np.array([_exact_det3(Z[f], Z[x], Z[y]) for f, x, y in zip(c, a, b)], dtype=np.int8)
    assert np.array_equal(per_circle, exact)
    if kind == "integer":
        assert np.count_nonzero(exact == 0) > n          # the exact fallback was exercised
