"""Issue 13 (d <= 3 speed): the enumeration oracle's scan order is sorted lazily
(lp/tv/oracle.py ``_Descending``); every prefix equals the full stable sort by decreasing key
(ties in index order), on keys with many ties, infinities and values outside the range."""
import numpy as np
import pytest

from relucert.lp.tv.oracle import _Descending


@pytest.mark.parametrize("m,lo,hi", [(1, 0.0, np.inf), (50, 0.3, np.inf), (20000, 1.0, np.inf), (20000, 0.5, 2.0)])
def test_lazy_order_equals_the_stable_sort(m, lo, hi):
    rng = np.random.default_rng(m)
    key = np.round(rng.exponential(1.0, m), 2)          # many ties
    key[rng.integers(0, m, m // 10 + 1)] = np.inf
    sel = np.flatnonzero((key > lo) & (key <= hi))
    ref = sel[np.argsort(-key[sel], kind="stable")]
    order = _Descending(key, lo, hi)
    assert order.size == ref.size
    got, pos, chunk = [], 0, 3
    while pos < order.size:
        assert order.at(pos) == ref[pos]
        got.append(order.take(pos, chunk))
        pos += chunk
        chunk = 2 * chunk + 1
    assert np.array_equal(np.concatenate(got) if got else np.zeros(0, dtype=np.int64), ref)
