"""The batched rank-3 levels of the enumeration (arrangement/_circle_batch.py, _level3.py):
their exact sign predicates against plain Fraction determinants, their circle orders against
the one-circle code, and whole enumerations against counts derived independently (closed
forms, hand-derived line counts, Zaslavsky on the exact lattice) and the BFS + LP baseline."""
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest

from arrangement_helpers import assert_interiors_exact, facet_map, fdet, lines_count, pattern_set, sgn
from relucert.arrangement import enumerate_chambers, exact_chamber_count, general_position_count, lift
from relucert.arrangement._circle_batch import bilinear_forms
from relucert.arrangement.baseline import enumerate_bfs
from relucert.arrangement.exact import ExactData, FlagForms
from relucert.arrangement.restrict import _Enumerator


def _tiny_and_huge(rng, shape):
    Z = rng.choice([-1.0, 1.0], shape) * 10.0 ** rng.uniform(-300, 300, shape)
    Z[rng.random(shape) < 0.3] = 0.0
    return Z


def _data(kind, r, seed):
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.standard_normal((8, r))
    if kind == "integer":
        return rng.integers(-2, 3, (8, r)).astype(float)
    return _tiny_and_huge(rng, (8, r))


@pytest.mark.parametrize("r", [3, 4, 5])
@pytest.mark.parametrize("kind", ["random", "integer", "tiny_and_huge"])
def test_batched_forms_and_signs_equal_exact_determinants(kind, r):
    Z = _data(kind, r, 10 * r + len(kind))
    data = ExactData(Z)
    flags = [F for F in combinations(range(len(Z)), r - 2)][:12 if r < 5 else 3]
    W, Wa, We = bilinear_forms(Z[np.array(flags)])
    for c, F in enumerate(flags):   # the same floats and error bounds as the one-flag forms
        forms = FlagForms(data, F)
        np.testing.assert_array_equal(W[c], forms.W[0])
        np.testing.assert_array_equal(Wa[c], forms.W_abs[0])
        np.testing.assert_array_equal(We[c], forms.W_err[0])
    en = _Enumerator(Z, 0, False)
    Zq = [[Fraction(float(v)) for v in row] for row in Z]
    n = len(Z)
    c = np.repeat(np.arange(len(flags)), n * n)
    a = np.tile(np.repeat(np.arange(n), n), len(flags))
    b = np.tile(np.arange(n), n * len(flags))
    got = en._bil_signs(W, Wa, We, flags, {}, c, a, b)
    want = [sgn(fdet([Zq[i] for i in (*flags[ci], x, y)])) for ci, x, y in zip(c, a, b)]
    assert got.tolist() == want


def _groups(info):
    sb, ss, starts, init_pos, alpha, E = info
    bounds = list(starts) + [len(sb)]
    return [frozenset(zip(sb[lo:hi].tolist(), ss[lo:hi].tolist())) for lo, hi in zip(bounds[:-1], bounds[1:])]


@pytest.mark.parametrize("name,X", [
    ("3d_integer", np.random.default_rng(3).integers(-1, 2, (12, 3)).astype(float)),
    ("3d_random", np.random.default_rng(4).standard_normal((12, 3))),
    ("3d_repeated", np.repeat(np.random.default_rng(5).standard_normal((5, 3)), 2, axis=0)),
    ("4d_integer", np.random.default_rng(6).integers(0, 2, (9, 4)).astype(float)),
])
def test_batched_circle_orders_equal_the_one_circle_code(name, X):
    """Every circle of the data (all flags of r - 2 independent rows): the same crossing groups
    in the same cyclic order from the same start, the same sides and the same first arc."""
    Z = lift(X)
    en = _Enumerator(Z, 0, False)
    r, n = en.r, en.n
    flags, Bs = [], []
    for F in combinations(range(n), r - 2):
        if np.linalg.matrix_rank(Z[list(F)]) < r - 2:
            continue
        B = np.array([b for b in range(n) if np.linalg.matrix_rank(Z[list(F) + [b]]) == r - 1])
        if len(B) and np.linalg.matrix_rank(Z[list(F) + list(B)]) == r:
            flags.append(F)
            Bs.append(B)
    assert len(flags) > 10
    batched = en._orders_batch(flags, Bs)
    for F, B, info in zip(flags, Bs, batched):
        one = en._circle_order(F, B)
        assert _groups(info) == _groups(one), (name, F)
        assert np.array_equal(info[2], one[2]), (name, F)
        assert sorted(info[3].tolist()) == sorted(one[3].tolist()), (name, F)


def test_mid_size_enumerations_equal_independent_counts():
    rng = np.random.default_rng(11)
    X3 = rng.standard_normal((40, 3))
    arr = enumerate_chambers(X3)
    assert arr.n_chambers == general_position_count(40, 3) == len(pattern_set(arr))
    grid = np.array([[i, j] for i in range(5) for j in range(5)], float)   # many concurrent lines
    assert enumerate_chambers(grid).n_chambers == lines_count(grid)
    Xi = rng.integers(-1, 2, (14, 3)).astype(float)                        # repeated and coplanar points
    arr = enumerate_chambers(Xi)
    assert arr.n_chambers == exact_chamber_count(Xi) == len(pattern_set(arr))
    assert_interiors_exact(arr)


@pytest.mark.parametrize("seed", [0, 1])
def test_degenerate_3d_equals_bfs_baseline(seed):
    rng = np.random.default_rng(20 + seed)
    X = np.vstack([rng.integers(-1, 2, (6, 3)).astype(float), rng.standard_normal((1, 3))])
    X = np.vstack([X, X[:2]])                                               # repeated points
    arr = enumerate_chambers(X)
    assert facet_map(arr) == facet_map(enumerate_bfs(X))
