"""The filtered exact predicates against plain Fraction determinants, and Zaslavsky's
counts against closed forms."""
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest

from arrangement_helpers import fdet, sgn
from relucert.arrangement import characteristic_polynomial, exact_chamber_count, general_position_count
from relucert.arrangement.exact import ExactData, FlagForms, det_exact, exact_rank_columns


def _datasets():
    rng = np.random.default_rng(5)
    yield "random", rng.standard_normal((9, 4))
    yield "integer", rng.integers(-2, 3, (9, 4)).astype(float)
    yield "tiny_and_huge", rng.standard_normal((9, 4)) * np.array([1e-200, 1e150, 1.0, 1e-30])
    base = rng.integers(-2, 3, (3, 4)).astype(float)
    yield "dependent_thirds", np.vstack([base, (base[0] + base[1]) / 3.0, base[0] * 0.1 + base[2] * 0.7,
                                         rng.standard_normal((4, 4))])


@pytest.mark.parametrize("name,Z", list(_datasets()))
def test_flag_forms_signs_equal_exact_minors(name, Z):
    data = ExactData(Z)
    F = (0, 1)
    forms = FlagForms(data, F)
    Zq = [[Fraction(float(v)) for v in row] for row in Z]
    rows = np.arange(len(Z))
    lin = forms.linear_signs(rows)
    for b in rows:
        for s_idx, S in enumerate(forms.lin_sets):
            M = [[Zq[i][c] for c in S] for i in (*F, b)]
            assert lin[b, s_idx] == sgn(fdet(M)), (name, b, S)
    a = np.repeat(rows, len(rows))
    b = np.tile(rows, len(rows))
    for s_idx, S in enumerate(forms.bil_sets):
        got = forms.bilinear_signs_pairs(a, b, s_idx)
        want = [sgn(fdet([[Zq[i][c] for c in S] for i in (*F, int(x), int(y))])) for x, y in zip(a, b)]
        assert got.tolist() == want, (name, S)
    same = forms.bilinear_zero_all_pairs(rows)
    for x, y in combinations(rows, 2):
        rank3 = all(fdet([[Zq[i][c] for c in S] for i in (*F, x, y)]) == 0 for S in combinations(range(4), 4))
        assert same[x, y] == rank3


def test_det_and_rank_exact():
    M = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    assert det_exact(M) == 0
    assert exact_rank_columns(M)[0] == 2
    M2 = M.copy()
    M2[2, 2] = 9.0 + 2.0 ** -40
    assert det_exact(M2) == Fraction(-3) * Fraction(2) ** -40
    assert exact_rank_columns(M2) == (3, [0, 1, 2])
    r, cols = exact_rank_columns(np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 1.0], [3.0, 3.0, 1.0]]))
    assert r == 2 and len(cols) == 2


def test_dot_signs_exact():
    data = ExactData(np.array([[0.1, 0.2, -0.3], [1.0, 1.0, 1.0]]))
    theta = np.array([[1.0, 1.0, 1.0]])
    # 0.1 + 0.2 - 0.3 is 2^-54 * 1 > 0 in exact arithmetic of the float inputs
    exact = Fraction(0.1) + Fraction(0.2) - Fraction(0.3)
    got = data.dot_signs(theta, np.array([0, 1]), np.array([0, 0]))
    assert got.tolist() == [sgn(exact), 1]


@pytest.mark.parametrize("d,n", [(1, 4), (2, 5), (2, 7), (3, 6)])
def test_zaslavsky_general_position(d, n):
    X = np.random.default_rng(n + d).standard_normal((n, d))
    assert exact_chamber_count(X) == general_position_count(n, d)


def test_characteristic_polynomial_closed_forms():
    # d = 1 with k distinct points: chi(t) = t^2 - k t + (k - 1)
    assert characteristic_polynomial(np.array([[0.0], [1.0], [1.0], [5.0]])) == [2, -3, 1]
    # three collinear points in 2-D: one rank-2 flat of 3 hyperplanes (mu = 2):
    # chi(t) = t^3 - 3 t^2 + 2 t, so 1 + 3 + 2 = 6 chambers
    assert characteristic_polynomial(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])) == [0, 2, -3, 1]
    assert exact_chamber_count(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])) == 6
    with pytest.raises(ValueError, match="max_flats"):
        characteristic_polynomial(np.random.default_rng(0).standard_normal((12, 2)), max_flats=10)


def test_underflowing_minor_goes_exact():
    # proofs/exact_predicates.md: the partial product 1e-170 * 1e-160 underflows to 0 and is then
    # multiplied by 1e230, so no eta-sized term bounds the loss; the exact determinant is +5e-101
    # while the Leibniz sum in float is -5e-101
    from relucert.arrangement.exact import _minor_float
    M = np.array([[1e-170, 0, 0], [0, 1e-160, 1e-130], [0, 5e199, 1e230]])
    assert fdet([[Fraction(float(v)) for v in row] for row in M]) > 0
    val, err = _minor_float(M, (0, 1, 2))
    assert not abs(val) > err  # undecided in float: the exact path decides
    Z = np.array([[1e-170, 0, 0, 1], [0, 1e-160, 1e-130, 1], [0, 5e199, 1e230, 1], [0, 0, 0, 1.0]])
    forms = FlagForms(ExactData(Z), (0, 1, 2))
    assert forms.lin_sets == [(0, 1, 2, 3)]
    assert forms.linear_signs(np.array([3])).tolist() == [[1]]


def _tiny_and_huge(rng, shape):
    """Entries +-10^e with e spread over [-300, 300], some exact zeros, some rows sharing an
    exponent pattern with sign flips (cancellations between underflowing and huge products)."""
    e = rng.uniform(-300, 300, shape)
    Z = rng.choice([-1.0, 1.0], shape) * 10.0 ** e
    Z[rng.random(shape) < 0.3] = 0.0
    return Z


@pytest.mark.parametrize("seed", range(40))
def test_random_tiny_and_huge_signs_equal_exact_minors(seed):
    rng = np.random.default_rng(1000 + seed)
    Z = _tiny_and_huge(rng, (6, 4))
    Zq = [[Fraction(float(v)) for v in row] for row in Z]
    data = ExactData(Z)
    for F in ((0, 1, 2), (0, 1)):
        forms = FlagForms(data, F)
        rows = np.arange(len(Z))
        lin = forms.linear_signs(rows)
        for b in rows:
            for s_idx, S in enumerate(forms.lin_sets):
                assert lin[b, s_idx] == sgn(fdet([[Zq[i][c] for c in S] for i in (*F, b)])), (seed, F, b, S)
        for s_idx, S in enumerate(forms.bil_sets):
            a, b = np.repeat(rows, len(rows)), np.tile(rows, len(rows))
            want = [sgn(fdet([[Zq[i][c] for c in S] for i in (*F, int(x), int(y))])) for x, y in zip(a, b)]
            assert forms.bilinear_signs_pairs(a, b, s_idx).tolist() == want, (seed, F, S)
    theta = _tiny_and_huge(rng, (6, 4))
    got = data.dot_signs(theta, np.arange(6), np.arange(6))
    want = [sgn(sum((Fraction(float(t)) * q for t, q in zip(theta[m], Zq[m])), Fraction(0))) for m in range(6)]
    assert got.tolist() == want
