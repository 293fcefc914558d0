"""Uniqueness verdicts of the measure and of the function against hand-built cases."""
import numpy as np
import pytest

from analysis_cases import symmetric_continuum
from problems import by_construction
from relucert.arrangement import lift
from relucert.results import Status
from relucert.solution import Solution, relu_features
from relucert.tolerances import Tolerances
from relucert.verify.analysis import analyse, solution_from_measure
from relucert.verify.solution_polytope import function_coordinates
from relucert.verify.uniqueness import analyse_uniqueness


def _match(E_theta, theta):
    return [int(np.argmin(np.linalg.norm(E_theta - t, axis=1))) for t in theta]


def test_symmetric_continuum_measure_not_unique_function_unique():
    X, y, lam, theta, amp, p, objective, null = symmetric_continuum()
    sol = solution_from_measure(X, y, lam, theta, amp)
    rep = analyse(sol)
    assert rep.objective == pytest.approx(objective, rel=1e-12)
    assert rep.unique == "not unique"
    assert rep.unique_function == "unique"
    assert rep.support_bound == 6 and rep.rank_phi_E == 5
    assert not rep.nondegenerate and not rep.nondegeneracy.condition("ND4").passed
    assert len(rep.uniqueness.antipodal_pairs) == 3
    # the LP ranges over Q equal the analytic continuum amp + t null, t in [-1/4, 1/4]
    idx = _match(rep.extremal.thetas(), theta)
    for j, i in enumerate(idx):
        lo, hi = sorted((amp[j] - 0.25 * null[j], amp[j] + 0.25 * null[j]))
        assert rep.uniqueness.ranges[i] == pytest.approx([lo, hi], abs=1e-8)
    # the witness, re-checked independently from its atoms
    (w,) = rep.witnesses
    assert w.kind == "measure" and w.checked
    Xl = lift(X)
    grid = np.linspace(-6, 6, 2001)[:, None]
    G = lift(grid)
    fs = []
    for th, c in w.networks():
        assert np.all(c > 0)  # every E point has sign +1
        pred = relu_features(Xl, th) @ c
        obj = 0.5 * np.sum((pred - y) ** 2) + lam * np.sum(np.abs(c))
        assert obj == pytest.approx(objective, rel=1e-10)
        np.testing.assert_allclose(pred, sol.predictions, atol=1e-9)
        fs.append(relu_features(G, th) @ c)
    np.testing.assert_allclose(fs[0], fs[1], atol=1e-9)  # the same function on R
    c1 = np.zeros(6)
    c2 = np.zeros(6)
    c1[:] = w.c1
    c2[:] = w.c2
    diff = (c1 - c2)[idx]
    cos = abs(diff @ null) / (np.linalg.norm(diff) * np.linalg.norm(null))
    assert cos == pytest.approx(1.0, abs=1e-9) and np.linalg.norm(diff) > 0.5


def test_injective_case_unique():
    kp = by_construction(10, 2, 0.1, 3)
    rep = analyse(solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude))
    assert rep.unique == "unique" and rep.uniqueness.sufficient and not rep.witnesses
    assert rep.uniqueness.ranges[0] == pytest.approx([kp.amplitude[0]] * 2, rel=1e-9)


def test_function_not_unique_on_synthetic_extremal_set():
    # x = 0 only; E = {(1, 1)/r2, (-1, 1)/r2}, both sign +: both features equal 1/r2 at the
    # data, so Q = {c >= 0 : c1 + c2 = r2 r} is a segment, and relu(x + 1) != relu(1 - x).
    Xl = np.array([[0.0, 1.0]])
    theta = np.array([[1.0, 1.0], [-1.0, 1.0]]) / np.sqrt(2)
    c0 = np.array([0.3, 0.7])
    y = relu_features(Xl, theta) @ c0 + 0.1 * np.sqrt(2)
    ref = 0.5 * (0.1 * np.sqrt(2)) ** 2 + 0.1 * 1.0
    u = analyse_uniqueness(Xl, y, 0.1, theta, np.array([1, 1]), c0, reference_objective=ref, gap=0.0,
                           max_outside_hat=0.0)
    assert u.measure == "not unique" and u.function == "not unique"
    w = u.witnesses[-1]
    assert w.kind == "function" and w.checked
    x = np.r_[w.x, 1.0]
    f = [relu_features(x[None, :], theta) @ c for c in (w.c1, w.c2)]
    assert abs(f[0][0] - f[1][0]) > 1e-3
    assert f[0][0] == pytest.approx(w.f1) and f[1][0] == pytest.approx(w.f2)
    np.testing.assert_allclose(u.ranges, [[0, 1.0], [0, 1.0]], atol=1e-9)


def test_function_coordinates_detect_null_networks():
    # relu(z) - relu(-z) = z: theta, -theta with opposite amplitudes and sum t theta = 0
    r2 = np.sqrt(2)
    th = np.array([[1, 1], [1, 0], [1, -1]], float)
    th = th / np.linalg.norm(th, axis=1, keepdims=True)
    theta = np.vstack([th, -th])
    null = np.array([r2, -2, r2, -r2, 2, -r2])
    M, _ = function_coordinates(theta)
    np.testing.assert_allclose(M @ null, 0, atol=1e-12)
    assert np.linalg.matrix_rank(M) == 5
    grid = lift(np.linspace(-3, 3, 101)[:, None])
    np.testing.assert_allclose(relu_features(grid, theta) @ null, 0, atol=1e-12)


def test_large_gap_makes_the_verdict_undetermined():
    # a slightly suboptimal measure (amplitudes 5e-6 too small), accepted with loose
    # tolerances: a region outside E peaks at 0.998, so the gap (~3e-9) cannot exclude
    # mass there at the uniqueness_width scale
    kp = by_construction(8, 2, 0.1, 1)
    sol = solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude * (1 - 5e-6))
    sol = Solution(**{**sol.__dict__, "status": Status.OPTIMAL})
    rep = analyse(sol, tol=Tolerances(extremal=1e-3))
    assert 1e-10 < rep.duality_gap < 1e-7
    assert rep.unique == "undetermined" and "outside E" in rep.unique_reason
    assert rep.unique_function == "undetermined"
    assert rep.mass_outside_bound > 3.5e-6 and not rep.outside_excluded_rigorously


def test_loose_extremal_tolerance_exposes_a_massless_near_extremum():
    # seed 1: a second region peaks at 0.998; with extremal = 0.01 it joins E without mass
    kp = by_construction(8, 2, 0.1, 1)
    sol = solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude)
    rep = analyse(sol, tol=Tolerances(extremal=0.01))
    assert rep.support_bound == 2 and rep.support_size == 1
    nd1 = rep.nondegeneracy.condition("ND1")
    assert not nd1.passed and nd1.margin == 0.0 and not rep.nondegenerate
    assert rep.unique == "unique"  # Phi_E still injective: the massless point gets no mass


@pytest.mark.parametrize("args", [(8, 2, 0.1, 1), (10, 2, 0.1, 3), (6, 1, 0.1, 0)])
def test_float_verdict_never_contradicts_the_exact_certificate(args):
    """Independent reference: the exact rational certificate (issue 5). Where it CERTIFIES
    uniqueness the float analysis must say "unique"; on the continuum it cannot certify."""
    exact = pytest.importorskip("relucert.verify.certificate_builder")
    kp = by_construction(*args)
    sol = solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude)
    cert = exact.make_exact_certificate(sol)
    assert cert.unique == "unique"
    assert analyse(sol).unique == "unique"


def test_exact_certificate_does_not_certify_the_continuum():
    exact = pytest.importorskip("relucert.verify.certificate_builder")
    X, y, lam, theta, amp, *_ = symmetric_continuum()
    sol = solution_from_measure(X, y, lam, theta, amp)
    assert exact.make_exact_certificate(sol).unique != "unique"
    assert analyse(sol).unique == "not unique"


def _two_kinks(deficit=0.0):
    # x = 0 only; E = {(1, 1)/r2, (-1, 1)/r2}, both sign +, Q a segment (see the test above);
    # p is chosen so that eta = 1 - deficit at both points of E
    Xl = np.array([[0.0, 1.0]])
    theta = np.array([[1.0, 1.0], [-1.0, 1.0]]) / np.sqrt(2)
    c0 = np.array([0.3, 0.7])
    lam = 0.1
    p = np.sqrt(2) * (1.0 - deficit)
    y = relu_features(Xl, theta) @ c0 + lam * p
    ref = 0.5 * (lam * p) ** 2 + lam * 1.0
    return Xl, y, lam, theta, c0, ref


def test_witness_needs_extremal_points():
    # proofs/mass_outside_E.md, Statement 4: eta = 1 - 5e-8 passes tol.extremal = 1e-7 and the
    # objective re-check (the objective is constant along this Q), yet such points are not
    # optimal atoms: "undetermined", never "not unique"
    Xl, y, lam, theta, c0, ref = _two_kinks(deficit=5e-8)
    u = analyse_uniqueness(Xl, y, lam, theta, np.array([1, 1]), c0, reference_objective=ref, gap=0.0,
                           max_outside_hat=0.0)
    assert u.measure == "undetermined" and "witness_deficit" in u.measure_reason
    assert u.function == "undetermined"
    assert not u.witnesses[0].checked
    # extremal to the witness precision: the same Q is "not unique"
    Xl, y, lam, theta, c0, ref = _two_kinks(deficit=1e-12)
    u = analyse_uniqueness(Xl, y, lam, theta, np.array([1, 1]), c0, reference_objective=ref, gap=0.0,
                           max_outside_hat=0.0)
    assert u.measure == "not unique" and u.witnesses[0].checked


def _ten_points():
    X = np.arange(10.0)[:, None]
    Xl = lift(X)
    theta = np.array([[1.0, -2.5], [-1.0, 6.5]])
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    c0 = np.array([0.4, 0.6])
    lam = 0.1
    y = relu_features(Xl, theta) @ c0
    return Xl, y, lam, theta, c0


def test_mass_outside_E_moves_amplitudes_by_the_conditioning():
    # Q is one point (Phi_E has full column rank) and the mass bound outside E is below the
    # uniqueness width, but the amplitudes on E can move by ||X~|| B / sigma_min (plus the
    # localisation term): that is above the width, so the verdict is "undetermined"
    Xl, y, lam, theta, c0 = _ten_points()
    ref = 0.5 * 0.0 + lam * np.sum(c0)
    gap, m_out = 1e-12, 0.9999
    assert np.linalg.norm(Xl, 2) * np.sqrt(2 * gap) / lam + m_out >= 1.0  # not excluded
    u = analyse_uniqueness(Xl, y, lam, theta, np.array([1, 1]), c0, reference_objective=ref, gap=gap,
                           max_outside_hat=m_out)
    assert u.mass_outside_bound <= 1e-6  # the bound alone passed the width test before
    assert u.sufficient and not u.excluded_rigorously
    assert u.amplitude_shift_bound > 1e-6
    assert u.measure == "undetermined" and "move the amplitudes" in u.measure_reason


def test_amplitude_shift_bound_covers_a_measure_with_mass_outside_E():
    # an independent construction: put mass eps at a point outside E and re-solve the
    # predictions on E; the amplitudes move by no more than Statement 3's bound
    from relucert.verify.uniqueness import amplitude_shift_bound
    Xl, y, lam, theta, c0 = _ten_points()
    Phi = relu_features(Xl, theta)
    out = np.array([1.0, -4.5]) / np.linalg.norm([1.0, -4.5])
    eps = 1e-3
    c1, *_ = np.linalg.lstsq(Phi, Phi @ c0 - eps * relu_features(Xl, out[None, :])[:, 0], rcond=None)
    moved = np.linalg.norm(c1 - c0)
    assert moved > 0
    sv = np.linalg.svd(Phi, compute_uv=False)
    bound = amplitude_shift_bound(eps, 0.0, lam, 1.0, 1.0, np.linalg.norm(Xl, 2), sv[-1])
    assert moved <= bound
    assert amplitude_shift_bound(eps, 0.0, lam, 1.0, 1.0, 1.0, 0.0) == float("inf")


def test_three_coplanar_pairs_give_a_null_network():
    # proofs/measure_vs_function.md: linearly dependent pair directions suffice (not d + 2 pairs):
    # d = 2, theta = e1, e2, (e1 + e2)/sqrt2 (all with bias 0, so coplanar in R^3), t = (1, 1, -sqrt2)
    r2 = np.sqrt(2)
    th = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1 / r2, 1 / r2, 0.0]])
    t = np.array([1.0, 1.0, -r2])
    assert np.allclose(t @ th, 0)
    theta = np.vstack([th, -th])
    D = np.r_[t, -t]
    g = np.linspace(-3, 3, 61)
    grid = lift(np.array([[a, b] for a in g for b in g]))
    np.testing.assert_allclose(relu_features(grid, theta) @ D, 0, atol=1e-12)
    M, _ = function_coordinates(theta)
    np.testing.assert_allclose(M @ D, 0, atol=1e-12)
    assert len(th) < th.shape[1] + 1       # 3 pairs, fewer than d + 2 = 4
