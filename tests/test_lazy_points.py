"""Issue 13 (d <= 3 speed): a rank-3 level below the top pushes its chambers' interior points
off their arcs only when a parent level asks for them (arrangement/_level3.py ``_LazyPush``).
Each point must not depend on which chambers are asked for together: points asked for in
random subsets and orders equal one batch of all of them, and each is on its chamber's side
of every hyperplane of the restriction."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers, general_position_count
from relucert.arrangement.restrict import _Enumerator


@pytest.mark.parametrize("kind", ["random", "integer"])
def test_lazy_points_do_not_depend_on_the_batch(kind):
    rng = np.random.default_rng(3 if kind == "random" else 4)
    X = rng.standard_normal((14, 3)) if kind == "random" else rng.integers(-2, 3, (14, 3)).astype(float)
    Z = np.hstack([X, np.ones((14, 1))])
    en = _Enumerator(Z, 0, False)
    B = np.array([i for i in range(1, 14) if not np.array_equal(Z[i], Z[0])])   # not containing H_0
    sub = en.chambers((0,), B)                      # the rank-3 restriction to H_0
    assert sub.pt is None and sub.lazy is not None
    m = len(sub.h)
    whole = sub.lazy(np.arange(m))
    seen = np.zeros(m, dtype=bool)
    for _ in range(5):
        rows = rng.choice(m, size=max(1, m // 3), replace=True)
        got = sub.points(rows)
        assert np.array_equal(got, whole[rows])
        seen[rows] = True
    assert np.array_equal(sub.points(np.arange(m)), whole)
    assert seen.any()
    if kind != "random":   # (integer data: some hyperplanes contain the flat and carry no sign)
        return
    # every point is on its chamber's side of every hyperplane of the restriction
    bits = (sub.pos[:, B >> 3] >> (B & 7).astype(np.uint8)) & 1
    assert np.array_equal(np.sign(whole @ Z[B].T), np.where(bits == 1, 1.0, -1.0))


@pytest.mark.parametrize("d,n", [(3, 12), (4, 9)])
def test_enumerations_with_lazy_points_are_complete_and_exact(d, n):
    """Whole enumerations (whose top levels take their base points from lazy rank-3 levels):
    the general-position count, and every interior point checked exactly."""
    from relucert.arrangement import verify_interior_points

    arr = enumerate_chambers(np.random.default_rng(10 * d + n).standard_normal((n, d)))
    assert arr.n_chambers == general_position_count(n, d)
    assert verify_interior_points(arr).all()
