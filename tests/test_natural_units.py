"""Issue 12, "data in natural units": the solver's internal power-of-two scaling
(proofs/natural_units.md). Label scaling y -> c y, lam -> c lam is an exact symmetry (the
objective scales by c^2, the dual and max|eta| do not change); scaling X alone is not (the
bias coordinate of the lift stays 1), so for X the test asks for an answer certified in
the user's units, the gap recomputed independently by the verify package's own scan."""
import warnings

import numpy as np
import pytest

from relucert import solve
from relucert.errors import ConvergenceWarning
from relucert.solver import problem_scales
from relucert.verify.analysis import solution_from_measure

EXPONENTS = (-6, -3, 0, 3, 6)
LAM = 0.05


def _family(seed: int, n: int, d: int):
    rng = np.random.default_rng([seed, n, d])
    X = rng.standard_normal((n, d))
    y = np.sin(2.0 * X[:, 0]) + 0.1 * rng.standard_normal(n)
    return X, y


def _check_certified_in_user_units(X, y, lam, sol):
    """The returned network's gap, recomputed from its atoms by verify's own scan, is within
    the solver's tolerance relative to max(c_y^2, |objective|) (c_y: the label scale)."""
    ref = solution_from_measure(X, y, lam, sol.theta, sol.amplitude)
    _, c_y = problem_scales(np.hstack([X, np.ones((X.shape[0], 1))]), y)
    scale = max(c_y * c_y, abs(ref.objective))
    assert ref.duality_gap <= 2 * sol.tol.obj_gap * scale
    assert ref.objective == pytest.approx(sol.objective, rel=1e-9)


def test_problem_scales_are_powers_of_two():
    Xl = np.array([[3.0, 1.0], [0.1, 1.0]])
    s_x, c_y = problem_scales(Xl, np.array([-5e-7, 1e-8]))
    assert s_x == 4.0 and c_y == 2.0 ** -20
    assert 0.5 <= np.max(np.linalg.norm(Xl, axis=1)) / s_x < 1 and 0.5 <= 5e-7 / c_y < 1
    assert problem_scales(Xl, np.zeros(2))[1] == 1.0


@pytest.mark.parametrize("d", [1, 2])
def test_label_scaling_is_exact(d):
    """y -> 10^b y with lam -> 10^b lam: certified, objective x 10^(2b), predictions x 10^b,
    the same dual vector and max|eta| (to the certified gaps)."""
    X, y = _family(0, 10, d)
    base = solve(X, y, LAM)
    assert base.success
    for b in EXPONENTS:
        c = 10.0 ** b
        sol = solve(X, c * y, c * LAM)
        assert sol.success, sol.info["message"]
        _check_certified_in_user_units(X, c * y, c * LAM, sol)
        assert sol.objective / c ** 2 == pytest.approx(base.objective, rel=1e-8)
        np.testing.assert_allclose(sol.predictions / c, base.predictions, atol=1e-4 * np.max(np.abs(y)))
        np.testing.assert_allclose(sol.dual, base.dual, atol=1e-3 * np.max(np.abs(base.dual)))


@pytest.mark.parametrize("d,n,seeds", [(1, 8, (0, 1)), (2, 8, (0,)), (3, 8, (0,))])
def test_scale_sweep_certifies_with_default_tolerances(d, n, seeds):
    """X scaled by 10^a, y by 10^b (lam by 10^b), a in {-6, -3, 0, 3}, b in {-6, ..., 6}:
    every instance certified with the defaults, in the user's units, and the objective is
    10^(2b) times that of the same X with unscaled labels."""
    for seed in seeds:
        X0, y0 = _family(seed, n, d)
        for a in EXPONENTS[:-1]:
            X = X0 * 10.0 ** a
            base = solve(X, y0, LAM)
            assert base.success, (a, base.info["message"])
            for b in (-6, 6) if d == 3 else EXPONENTS:
                c = 10.0 ** b
                sol = solve(X, c * y0, c * LAM)
                assert sol.success, (seed, a, b, sol.info["message"])
                _check_certified_in_user_units(X, c * y0, c * LAM, sol)
                assert sol.objective / c ** 2 == pytest.approx(base.objective, rel=1e-8)


def test_x_in_very_large_units_is_certified_or_an_honest_limit():
    """X x 1e6 (bias coordinate 1 negligible: eta_p is a difference of terms ~1e6 times
    larger): certified, or LIMIT/INACCURATE with an honest gap and a diagnosis; never an
    exception and never a false 'optimal'."""
    for seed in range(3):
        X0, y = _family(seed, 8, 1)
        X = X0 * 1e6
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sol = solve(X, y, LAM)
        ref = solution_from_measure(X, y, LAM, sol.theta, sol.amplitude)
        assert ref.duality_gap <= max(2 * sol.duality_gap, 2 * sol.tol.obj_gap * max(1.0, ref.objective))
        if not sol.success:
            assert "precision floor" in sol.info["message"] or "support not found" in sol.info["message"]


def test_x_beyond_double_precision_is_a_limit_status_not_a_crash():
    """X x 1e20: the bias coordinate is invisible next to |x_i|; the run ends with a status
    and a 'precision floor' diagnosis (it used to be scipy's 'matmul: dimension mismatch')."""
    X0, y = _family(0, 8, 1)
    with pytest.warns(ConvergenceWarning, match="precision floor"):
        sol = solve(X0 * 1e20, y, LAM)
    assert sol.status.value in ("limit", "inaccurate")


@pytest.mark.parametrize("d,n", [(1, 20), (2, 8)])
def test_x_times_1e6_small_cells_certify_with_default_tolerances(d, n):
    """The X x 10^6 cells of the scale sweep at small n (a = 6; b = -6, 0, 6): certified
    with the default tolerances, in the user's units (verify's own scan), and the label
    scaling maps the objective by 10^(2b). (The n = 40 cells, where verify's float
    recomputation of (y - K mu)/lam is itself at the double-precision floor, are checked
    by the exact certificate in tests/test_precision_floor.py.)"""
    X0, y0 = _family(0, n, d)
    X = X0 * 1e6
    base = solve(X, y0, LAM)
    assert base.success, base.info["message"]
    for b in (-6, 0, 6):
        c = 10.0 ** b
        sol = solve(X, c * y0, c * LAM)
        assert sol.success, (b, sol.info["message"])
        _check_certified_in_user_units(X, c * y0, c * LAM, sol)
        assert sol.objective / c ** 2 == pytest.approx(base.objective, rel=1e-6)
