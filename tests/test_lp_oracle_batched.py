"""The exchange oracle's batched path (relucert.arrangement.region_maxima, d >= 4; d <= 3 use the
vectorised exact face candidates) finds the same violators and the same max |eta| as
its per-region NNLS loop (issue 6's hook)."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers, maxima
from relucert.lp.tv import oracle


@pytest.mark.parametrize("seed", [0, 1])
def test_batched_oracle_equals_loop(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((11, 4))
    arr = enumerate_chambers(X)
    p = 0.3 * rng.standard_normal(11)
    loop = oracle.scan_all_chambers(arr, p, 1.0)  # chunks below the batch threshold
    calls = []
    real = oracle._batched_maxima

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(maxima, "BATCH_MIN_CHAMBERS", 1)
    monkeypatch.setattr(oracle, "_batched_maxima", spy)
    batched = oracle.scan_all_chambers(arr, p, 1.0)
    assert any(calls)
    key = lambda s: sorted(zip(s.chamber.tolist(), s.sign.tolist()))  # noqa: E731
    assert key(batched) == key(loop)
    order_b = np.lexsort((batched.sign, batched.chamber))
    order_l = np.lexsort((loop.sign, loop.chamber))
    assert np.allclose(batched.value[order_b], loop.value[order_l], rtol=0, atol=1e-10)
    assert np.allclose(batched.point[order_b], loop.point[order_l], atol=1e-8)
    assert abs(batched.max_value - loop.max_value) <= 1e-10


def test_subset_keeps_facets():
    arr = enumerate_chambers(np.random.default_rng(3).standard_normal((7, 2)))
    rows = np.array([5, 0, 3])
    sub = arr.subset(rows)
    assert sub.n_chambers == 3
    for new, old in enumerate(rows):
        assert np.array_equal(sub.facets(new), arr.facets(old))
        assert np.array_equal(sub.inward_normals(new), arr.inward_normals(old))
