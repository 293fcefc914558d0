"""The reference (BFS + LP) enumerator against the closed-form counts."""
import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers, general_position_count, region_max
from relucert.arrangement.baseline import enumerate_bfs
from relucert.errors import TooManyChambersError


@pytest.mark.parametrize("d,n", [(1, 4), (2, 6), (3, 6)])
def test_bfs_matches_formula(rng, d, n):
    X = rng.standard_normal((n, d))
    arr = enumerate_bfs(X)
    assert arr.n_chambers == general_position_count(n, d)
    # every interior point realises its pattern with a positive margin
    S = arr.sign_matrix().astype(float)
    vals = S * (arr.interior @ arr.X_lift.T)
    assert np.all(vals > 0) and np.all(arr.margin > 0)
    assert len({row.tobytes() for row in arr.sign_patterns}) == arr.n_chambers


def test_repeated_points_share_a_hyperplane():
    X = np.array([[0.0], [1.0], [1.0], [2.0]])
    arr = enumerate_bfs(X)
    assert arr.n_chambers == general_position_count(3, 1)
    act = arr.active()
    assert np.array_equal(act[:, 1], act[:, 2])


def test_refuses_beyond_limit():
    X = np.random.default_rng(0).standard_normal((50, 3))
    with pytest.raises(TooManyChambersError, match="max_chambers"):
        enumerate_chambers(X, max_chambers=100)


def test_region_max_against_sampling(rng):
    # Quarter plane in R^3 cut by two facets; compare with dense sampling of the sphere.
    G = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    v = np.array([-0.3, 0.8, 0.5])
    r = region_max(v, G)
    pts = rng.standard_normal((200000, 3))
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    inside = np.all(pts @ G.T >= 0, axis=1)
    sampled = np.max(pts[inside] @ v)
    assert sampled <= r.value + 1e-12
    assert r.value - sampled < 1e-2
    assert np.all(G @ r.point >= -1e-12) and abs(np.linalg.norm(r.point) - 1) < 1e-12
