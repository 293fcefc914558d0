"""Exact chamber enumeration (method "restrict") against closed forms, hand-derived
counts, Zaslavsky's theorem, the independent BFS + LP baseline and sampling."""
import numpy as np
import pytest

from arrangement_helpers import assert_interiors_exact, facet_map, lines_count, pattern_set
from relucert.arrangement import (
    adjacency_graph, enumerate_chambers, exact_chamber_count, general_position_count,
)
from relucert.arrangement.baseline import enumerate_bfs
from relucert.errors import TooManyChambersError

GENERAL = [(1, n) for n in (1, 2, 3, 7, 40)] + [(2, n) for n in (1, 2, 3, 4, 9, 30, 80)] \
    + [(3, n) for n in (1, 3, 4, 5, 9, 18)] + [(4, n) for n in (2, 5, 6, 9)]


@pytest.mark.parametrize("d,n", GENERAL)
def test_general_position_counts_and_interiors(d, n):
    X = np.random.default_rng(1000 * d + n).standard_normal((n, d))
    arr = enumerate_chambers(X)
    assert arr.n_chambers == general_position_count(n, d)
    assert len(pattern_set(arr)) == arr.n_chambers  # no duplicates
    assert_interiors_exact(arr)
    assert np.all(arr.margin > 0)
    # the margin is the distance to the nearest hyperplane (all n of them, not only facets)
    dist = np.abs(arr.interior @ arr.X_lift.T) / np.linalg.norm(arr.X_lift, axis=1)
    np.testing.assert_allclose(arr.margin, dist.min(axis=1), rtol=1e-9, atol=0)
    # every chamber has a facet; every listed facet index is a data index
    assert np.all(np.diff(arr.facet_indptr) >= 1)
    assert arr.facet_indices.min() >= 0 and arr.facet_indices.max() < n


def _degenerate_sets():
    g3 = np.array([[i, j] for i in range(3) for j in range(3)], float)
    star = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [0, 2], [1, 1], [2, 2], [-1, 1]], float)
    rng = np.random.default_rng(7)
    U = rng.integers(-3, 4, (8, 2)).astype(float)
    return {
        "1d_repeated": np.array([[0.0], [1.0], [1.0], [2.0], [2.0], [2.0]]),
        "2d_grid3": g3,
        "2d_grid3_repeated": np.vstack([g3, g3[:4]]),
        "2d_star": star,
        "2d_on_a_line": np.array([[0, 0], [1, 1], [2, 2], [3, 3], [1, 1]], float),
        "2d_identical": np.array([[1.5, -2.0]] * 4),
        "2d_integer": rng.integers(0, 4, (14, 2)).astype(float),
        "3d_coplanar": np.c_[rng.standard_normal((7, 2)), np.zeros(7)],
        "3d_some_coplanar": np.vstack([np.c_[g3[:5], np.zeros(5)], rng.standard_normal((3, 3))]),
        "3d_collinear": np.array([[0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3], [0, 1, 0], [1, 0, 2]], float),
        "3d_integer": rng.integers(0, 3, (11, 3)).astype(float),
        "4d_integer": rng.integers(0, 2, (9, 4)).astype(float),
        "2d_tenths": np.array([[0.1, 0.2], [0.2, 0.4], [0.3, 0.6], [0.7, 0.1], [0.1, 0.3]]),
        # on the slanted plane x + y + z = 1 (lifted rank 3, no zero column to spot it)
        "3d_slanted_plane": np.c_[U, 1.0 - U[:, 0] - U[:, 1]],
        # a 2-D affine subspace of R^4 (lifted rank 3)
        "4d_on_a_plane": rng.integers(-2, 3, (9, 2)).astype(float) @ np.array([[1, 2, 0, 1], [0, 1, 1, -1.0]])
        + np.array([0.5, 0, 0, 1]),
    }


DEGENERATE = _degenerate_sets()


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_equals_bfs_baseline_and_zaslavsky(name):
    X = DEGENERATE[name]
    arr = enumerate_chambers(X)
    ref = enumerate_bfs(X)
    # same set of patterns and, chamber by chamber, the same facets
    assert facet_map(arr) == facet_map(ref)
    assert arr.n_chambers == exact_chamber_count(X)
    assert_interiors_exact(arr)
    assert len(pattern_set(arr)) == arr.n_chambers


@pytest.mark.parametrize("d,n,seed", [(1, 6, 0), (2, 7, 1), (2, 10, 2), (3, 7, 3), (4, 7, 4)])
def test_random_equals_bfs_baseline(d, n, seed):
    X = np.random.default_rng(seed).standard_normal((n, d))
    arr = enumerate_chambers(X)
    assert facet_map(arr) == facet_map(enumerate_bfs(X))


def test_hand_derived_counts():
    D = DEGENERATE
    # d = 1: k distinct values give 2k arcs
    assert enumerate_chambers(D["1d_repeated"]).n_chambers == 2 * 3
    # d = 2: 2 + 2 * sum over lines (points on the line - 1)  (3x3 grid: 8 triple lines
    # and 12 pairs: 2 + 2 * 28 = 58)
    assert lines_count(D["2d_grid3"]) == 58
    for name in ("2d_grid3", "2d_grid3_repeated", "2d_star", "2d_integer"):
        assert enumerate_chambers(D[name]).n_chambers == lines_count(D[name]), name
    # all points on one line: the arrangement has a lineality space, k distinct points -> 2k
    assert enumerate_chambers(D["2d_on_a_line"]).n_chambers == 2 * 4
    assert enumerate_chambers(D["2d_identical"]).n_chambers == 2
    # coplanar 3-D data: the chambers of the same points seen in 2-D
    X3 = D["3d_coplanar"]
    assert enumerate_chambers(X3).n_chambers == general_position_count(7, 2)


def test_exact_near_degenerate_decisions():
    # exactly collinear: 2 + 2 * 2 = 6 chambers; off the line by 1e-13: general position (8)
    line = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert enumerate_chambers(line).n_chambers == 6
    near = line.copy()
    near[2, 1] += 1e-13
    assert enumerate_chambers(near).n_chambers == 8
    # points 2^-40 apart on the line are distinct hyperplanes
    close = np.array([[0.0], [1.0], [1.0 + 2.0 ** -40], [3.0]])
    arr = enumerate_chambers(close)
    assert arr.n_chambers == 8
    assert_interiors_exact(arr)
    # 0.1 + 0.2 != 0.3 in floats: (0.1, 0.2, 0.3) lifted are NOT dependent as floats
    X = np.array([[0.1, 0.1], [0.2, 0.2], [0.1 + 0.2, 0.3]])
    collinear = (0.1 + 0.2) == 0.3
    arr = enumerate_chambers(X)
    assert arr.n_chambers == (6 if collinear else 8) == exact_chamber_count(X)
    # the two sliver chambers are narrower than float resolution: exact rational points
    assert arr.rational_interior and all(arr.margin[k] == 0.0 for k in arr.rational_interior)
    assert_interiors_exact(arr)


@pytest.mark.parametrize("d,n", [(1, 12), (2, 25), (3, 12)])
def test_monte_carlo_patterns_are_enumerated(d, n):
    rng = np.random.default_rng(d * 100 + n)
    X = rng.integers(-3, 4, (n, d)).astype(float)  # many degeneracies
    arr = enumerate_chambers(X)
    known = pattern_set(arr)
    theta = rng.standard_normal((40000, d + 1))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    V = theta @ arr.X_lift.T
    ok = np.all(np.abs(V) > 1e-9 * np.linalg.norm(arr.X_lift, axis=1), axis=1)
    packed = np.packbits(V[ok] > 0, axis=1, bitorder="little")
    sampled = {row.tobytes() for row in packed}
    assert sampled <= known
    assert len(sampled) > 0.5 * len(known)  # the sampling reached most chambers


def test_adjacency_graph_matches_baseline():
    X = DEGENERATE["2d_star"]
    G = adjacency_graph(enumerate_chambers(X))
    ref_arr = enumerate_bfs(X)
    H = adjacency_graph(ref_arr)  # derived from the facets
    arr = enumerate_chambers(X)

    def edge_set(arrangement, graph):
        return {(frozenset({arrangement.sign_patterns[u].tobytes(), arrangement.sign_patterns[v].tobytes()}), data["hyperplanes"])
                for u, v, data in graph.edges(data=True)}

    assert edge_set(arr, G) == edge_set(ref_arr, H)
    import networkx as nx

    assert nx.is_connected(G)
    # each chamber's degree is its number of distinct facet hyperplanes
    for k in range(arr.n_chambers):
        f = arr.facets(k)
        assert G.degree(k) == len(np.unique(arr.X_lift[f], axis=0))


def test_verify_interior_points_accepts_and_rejects():
    from dataclasses import replace

    from relucert.arrangement import verify_interior_points

    X = DEGENERATE["2d_grid3"]
    arr = enumerate_chambers(X)
    assert verify_interior_points(arr).all()
    bad = arr.interior.copy()
    bad[3] = -bad[3]  # the antipodal point has the opposite pattern
    bad[5] = arr.interior[6]
    got = verify_interior_points(replace(arr, interior=bad))
    assert not got[3] and not got[5] and got.sum() == arr.n_chambers - 2
    sliver = enumerate_chambers(np.array([[0.1, 0.1], [0.2, 0.2], [0.1 + 0.2, 0.3]]))
    assert verify_interior_points(sliver).all()


def test_hash_collisions_are_detected_and_retried(monkeypatch):
    import relucert.arrangement.restrict as restrict

    calls = []
    original = restrict._Enumerator.__init__

    def weak_hash(self, Z, seed, progress):
        original(self, Z, seed, progress)
        calls.append(seed)
        if len(calls) == 1:  # first attempt: a 1-bit hash, so distinct patterns collide
            self.R = self.R & np.uint64(1)

    monkeypatch.setattr(restrict._Enumerator, "__init__", weak_hash)
    X = np.random.default_rng(3).standard_normal((9, 2))
    arr = enumerate_chambers(X)
    assert len(calls) >= 2
    assert arr.n_chambers == general_position_count(9, 2)
    assert len(pattern_set(arr)) == arr.n_chambers


def test_progress_bar(capsys):
    X = np.random.default_rng(0).standard_normal((30, 2))
    enumerate_chambers(X, progress=True)
    assert "chambers" in capsys.readouterr().err
    enumerate_chambers(X, progress=False)
    assert capsys.readouterr().err == ""


def test_refusal_message_says_count_and_what_to_do():
    X = np.random.default_rng(0).standard_normal((200, 3))
    with pytest.raises(TooManyChambersError) as info:
        enumerate_chambers(X, max_chambers=1000)
    msg = str(info.value)
    assert str(general_position_count(200, 3)) in msg and "max_chambers" in msg and "fewer samples" in msg


@pytest.mark.parametrize("bad,exc,match", [
    (np.array([[0.0], [np.nan]]), ValueError, "finite"),
    (np.array([[0.0], [np.inf]]), ValueError, "finite"),
    (np.zeros((0, 2)), ValueError, "at least one sample"),
    (np.zeros((3, 0)), ValueError, "d >= 1"),
    (np.zeros(3), ValueError, "2-D"),
    ("abc", TypeError, "X"),
    ([[1, "a"]], TypeError, "numeric"),
])
def test_bad_input(bad, exc, match):
    with pytest.raises(exc, match=match):
        enumerate_chambers(bad)


def test_bad_options():
    X = np.zeros((2, 1)) + np.array([[0.0], [1.0]])
    with pytest.raises(ValueError, match="method"):
        enumerate_chambers(X, method="simplex")
    with pytest.raises(ValueError, match="max_chambers"):
        enumerate_chambers(X, max_chambers=0)
    with pytest.raises(TypeError, match="progress"):
        enumerate_chambers(X, progress="yes")


@pytest.mark.parametrize("d,off", [(3, 2), (3, 3), (4, 3)])
def test_nearly_collinear_float_data_has_chambers_below_lp_resolution(d, off):
    # points on a line computed in floats are not exactly collinear: the exact arrangement has
    # chambers far narrower than the LP's tolerances (the LP repair returns margin 0 and
    # theta = 0 there); they keep an exact rational interior point instead of crashing
    from relucert.arrangement import exact_chamber_count
    from relucert.arrangement.enumerate import verify_interior_points

    rng = np.random.default_rng(2)
    t = rng.standard_normal(8)
    X = np.outer(t, rng.standard_normal(d)) + rng.standard_normal(d)
    X[:off] = rng.standard_normal((off, d))
    arr = enumerate_chambers(X)
    assert arr.n_chambers == exact_chamber_count(X)
    assert verify_interior_points(arr).all()
