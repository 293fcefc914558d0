"""The low-noise regime (issue 7): p_0, margins, c_crit, the sweep and its slopes, on
hand-built instances with closed-form answers (tests/lownoise_cases.py).

Independent references: the closed forms; eta evaluated on a dense grid of the circle
(no region projections); the noiseless (P_lam) dual p_lam converging to p_0."""
import math

import numpy as np
import pytest

from lownoise_cases import S5, circle_eta, grid_local_maxima, kink_at_data_point, two_interior_kinks
from relucert.arrangement import enumerate_chambers, lift
from relucert.experiments.parameters import RATE_SLOPE
from relucert.experiments.rescaled import default_solver
from relucert.tolerances import Tolerances
from relucert.experiments.lownoise import (
    DEFAULT_LAMS, angle, critical_noise_ratio, fit_slope, lownoise_sweep, minimal_norm_certificate,
    noise_direction, parse_lams,
)

SOLVER = default_solver()
LAMS = tuple(np.geomspace(1e-2, 1e-4, 5))
TOL = Tolerances()


def _match(theta, amp, theta_ref, amp_ref):
    """Both measures' atoms pair up: angles and relative amplitude differences."""
    out = []
    for t, a in zip(theta_ref, amp_ref):
        j = int(np.argmin([angle(t, s) for s in theta]))
        out.append((angle(t, theta[j]), abs(amp[j] - a) / abs(a)))
    return out


@pytest.fixture(scope="module")
def interior_sweep():
    X, y0, *_ = two_interior_kinks()
    return lownoise_sweep(X, y0, solver=SOLVER, lams=LAMS, noise_scale=1.0, noise_seed=3, progress=False)


@pytest.fixture(scope="module")
def boundary_sweep():
    X, y0, *_ = kink_at_data_point()
    return lownoise_sweep(X, y0, solver=SOLVER, lams=LAMS, noise_seed=0, progress=False)


def test_two_interior_kinks_p0_and_margins(interior_sweep):
    X, y0, theta, amp, p0 = two_interior_kinks()
    res = interior_sweep
    # the (P_0) solver recovers the planted measure
    assert len(res.atoms) == 2
    for da, dr in _match(np.array([a.theta for a in res.atoms]), np.array([a.amplitude for a in res.atoms]),
                         theta, amp):
        assert da < 1e-9 and dr < 1e-9
    assert all(a.location == "interior" for a in res.atoms)
    mnc = res.certificate
    assert mnc.is_p0 and mnc.nondegenerate
    np.testing.assert_allclose(mnc.p, p0, atol=1e-10)
    assert mnc.check.max_abs_eta_off_support == pytest.approx(2 / S5, abs=1e-10)
    assert mnc.check.min_boundary_multiplier is None
    # independent: eta on a dense grid never exceeds 1 and, away from the atoms, 2/sqrt5
    t, T, eta = circle_eta(X, mnc.p)
    assert np.max(np.abs(eta)) <= 1 + 1e-12
    assert grid_local_maxima(T, eta, theta, 1e-3) == pytest.approx(2 / S5, abs=1e-8)
    assert res.exact.certified and res.exact.dual_scale - 1 <= 1e-12   # exact rational check
    # Gamma is invertible: q(c) = p_0 for every c
    assert mnc.full_rank and mnc.n_equations == 4
    assert math.isinf(res.critical.value)


def test_two_interior_kinks_rates(interior_sweep):
    res = interior_sweep
    assert [pt.n_diracs for pt in res.sweep] == [2] * len(LAMS)
    assert res.pinned == ()
    assert abs(res.slopes["loc_err"] - 1) <= RATE_SLOPE
    assert abs(res.slopes["amp_err"] - 1) <= RATE_SLOPE
    assert abs(res.slopes["dual_dist"] - 1) <= RATE_SLOPE
    doc = res.to_dict()
    assert doc["format"] == "relucert.lownoise/1"
    assert doc["critical_noise_ratio"] is None and doc["critical_noise_ratio_infinite"]
    for key in ("reference_atoms", "certificate_nondegenerate", "max_abs_eta_off_support",
                "min_boundary_multiplier", "critical_noise_ratio", "sweep", "slopes"):
        assert key in doc
    for pt in doc["sweep"]:
        assert set(pt) >= {"lam", "noise_scale", "n_diracs", "loc_err", "amp_err"}


def test_noiseless_p_lam_converges_to_p0():
    """Cross-check of p_0 against p_lam (noiseless): ||p_lam - p_0|| = O(lam)."""
    X, y0, _, _, p0 = two_interior_kinks()
    d = [float(np.linalg.norm(SOLVER(X, y0, lam).dual - p0)) for lam in (1e-3, 1e-4)]
    assert d[1] < 0.1 and d[1] < 30 * 1e-4
    assert d[0] / d[1] == pytest.approx(10.0, rel=0.1)


def test_kink_at_data_point_margins(boundary_sweep):
    X, y0, theta, amp, p0 = kink_at_data_point()
    res = boundary_sweep
    for da, dr in _match(np.array([a.theta for a in res.atoms]), np.array([a.amplitude for a in res.atoms]),
                         theta, amp):
        assert da < 1e-9 and dr < 1e-9
    locs = {a.location: a for a in res.atoms}
    assert set(locs) == {"interior", "boundary"}
    assert locs["boundary"].hyperplanes == (3,)
    mnc = res.certificate
    assert mnc.nondegenerate and mnc.full_rank and mnc.n_equations == 3
    assert res.exact.certified
    np.testing.assert_allclose(mnc.p, p0, atol=1e-10)
    assert mnc.check.max_abs_eta_off_support == pytest.approx(1 - 1 / S5, abs=1e-10)
    # the facet multiplier, by hand: v_C + theta_b is a multiple of x~_4 = (2, 1)
    Xl = lift(X)
    v = p0[3] * Xl[3] + p0[4] * Xl[4]
    coef = (v + theta[1]) @ Xl[3] / (Xl[3] @ Xl[3])
    np.testing.assert_allclose(v + theta[1], coef * Xl[3], atol=1e-12)
    assert mnc.check.min_boundary_multiplier == pytest.approx(coef * np.linalg.norm(Xl[3]), abs=1e-9)
    assert mnc.check.min_boundary_multiplier == pytest.approx(3 - S5, abs=1e-9)
    t, T, eta = circle_eta(X, mnc.p)
    assert np.max(np.abs(eta)) <= 1 + 1e-12
    grid = grid_local_maxima(T, eta, theta, 1e-3)   # the maximum sits on a hyperplane (a kink of eta):
    assert 1 - 1 / S5 - 1e-4 < grid <= 1 - 1 / S5 + 1e-12   # the grid approaches it from below


def test_kink_at_data_point_rates(boundary_sweep):
    res = boundary_sweep
    b = [j for j, a in enumerate(res.atoms) if a.location == "boundary"]
    assert res.pinned == tuple(b)            # the kink stays on the data point
    fit = res.fit_points
    assert all(pt.n_diracs == 2 for pt in fit)
    assert abs(res.slopes["loc_err"] - 1) <= RATE_SLOPE
    assert abs(res.slopes["amp_err"] - 1) <= RATE_SLOPE
    assert res.noise_scale == pytest.approx(min(1.0, res.critical.value / 2))


def test_critical_ratio_separates_dirac_counts(boundary_sweep):
    X, y0, theta, _, _ = kink_at_data_point()
    res = boundary_sweep
    c = res.critical.value
    assert 0 < c < math.inf
    # independent: q(c) = p_0 + c P_ker xi on a dense grid, away from the atoms
    k = res.critical.direction
    t, T, _ = circle_eta(X, res.certificate.p, 100001)
    far = np.min(np.linalg.norm(T[:, None, :] - theta[None], axis=2), axis=1) > 0.05
    feats = np.maximum(0.0, T[far] @ lift(X).T)
    below = np.max(np.abs(feats @ (res.certificate.p + 0.99 * c * k)))
    above = np.max(np.abs(feats @ (res.certificate.p + 1.01 * c * k)))
    assert below < 1 < above
    lams = (1e-3, 1e-4)
    counts = {}
    for f in (0.8, 1.25):
        r = lownoise_sweep(X, y0, solver=SOLVER, lams=lams, noise_scale=f * c, noise_seed=0,
                           reference=res.reference, progress=False)
        counts[f] = [pt.n_diracs for pt in r.sweep]
    assert counts[0.8] == [2, 2]
    assert counts[1.25] == [3, 3]


def test_degenerate_certificate_has_zero_critical_ratio():
    """A kink at a data point alone: p_V = least-norm with eta(theta) = 1 has p_k = 0 on
    its hyperplane, so no strict complementarity (p_0 degenerate, c_crit = 0)."""
    X = np.array([[-1.0], [0.0], [1.0]])
    theta = np.array([[1.0, 0.0]])
    y0 = np.array([0.0, 0.0, 1.0])
    arr = enumerate_chambers(X)
    mnc = minimal_norm_certificate(arr, y0, theta, np.array([1.0]))
    assert not mnc.nondegenerate
    assert mnc.margin == 0.0
    crit = critical_noise_ratio(arr, mnc, noise_direction(3, 0))
    assert crit.value == 0.0 and "degenerate" in crit.event


def test_helpers_and_errors():
    assert len(DEFAULT_LAMS) == 8
    assert DEFAULT_LAMS[0] == pytest.approx(0.1) and DEFAULT_LAMS[-1] == pytest.approx(1e-4)
    assert parse_lams("1e-1:1e-3:3") == pytest.approx((0.1, 0.01, 0.001))
    for bad in ("1:2", "a:b:3", "1:-1:3", "1:0.1:1"):
        with pytest.raises(ValueError, match="--lams"):
            parse_lams(bad)
    with pytest.raises(ValueError, match="xi"):
        noise_direction(3, 0, [1.0, 2.0])
    with pytest.raises(ValueError, match="xi"):
        noise_direction(2, 0, [0.0, 0.0])
    assert np.linalg.norm(noise_direction(4, 1)) == pytest.approx(1.0)
    assert fit_slope([1e-2, 1e-3], [2e-2, 2e-3]) == pytest.approx(1.0)
    assert fit_slope([1e-2, 1e-3], [0.0, 1e-3]) is None
    arr = enumerate_chambers(np.array([[0.0]]))
    with pytest.raises(ValueError, match="no atom"):
        minimal_norm_certificate(arr, np.zeros(1), np.zeros((0, 2)), np.zeros(0))


def test_exact_check_fails_closed_on_an_infeasible_certificate():
    """p_V scaled by 1.01 violates |eta| <= 1 at the atoms: the exact check must not certify it."""
    import dataclasses

    from relucert.experiments.lownoise import exact_p0_check

    X, y0, theta, amp, _ = two_interior_kinks()
    arr = enumerate_chambers(X)
    mnc = minimal_norm_certificate(arr, y0, theta, amp)
    assert exact_p0_check(arr, y0, mnc).certified
    bad = dataclasses.replace(mnc, p0=dataclasses.replace(mnc.p0, p=1.01 * mnc.p))
    out = exact_p0_check(arr, y0, bad)
    assert not out.certified and out.reason.startswith("not certified")


def test_measure_errors_counting_and_assignment():
    """Atoms below the gap's resolution are not Diracs; a split atom's amplitudes are summed."""
    import dataclasses

    from relucert.experiments.lownoise import measure_errors, resolution_bound, support_atoms

    X, y0, theta, amp, _ = two_interior_kinks()
    ref = support_atoms(lift(X), theta, amp)
    sol = SOLVER(X, y0, 1e-3)
    base = measure_errors(sol, ref)
    assert base["n_diracs"] == 2
    bound = resolution_bound(sol)
    assert 0 <= bound < 1e-6
    # a negligible extra atom is not counted; it does not change the errors
    tiny = dataclasses.replace(sol, theta=np.vstack([sol.theta, [0.0, 1.0]]),
                               amplitude=np.r_[sol.amplitude, bound * 1e-3])
    m = measure_errors(tiny, ref)
    assert m["n_diracs"] == 2 and m["amp_err"] == pytest.approx(base["amp_err"])
    # split the first atom into two of half the amplitude, 1e-3 rad apart: 3 Diracs, same sums
    t0 = sol.theta[0]
    rot = np.array([[np.cos(1e-3), -np.sin(1e-3)], [np.sin(1e-3), np.cos(1e-3)]])
    split = dataclasses.replace(sol, theta=np.vstack([t0, rot @ t0, sol.theta[1:]]),
                                amplitude=np.r_[sol.amplitude[0] / 2, sol.amplitude[0] / 2, sol.amplitude[1:]])
    m = measure_errors(split, ref)
    assert m["n_diracs"] == 3
    np.testing.assert_allclose(m["amp_errs"], base["amp_errs"], atol=1e-12)
    assert m["loc_err"] == pytest.approx(base["loc_err"], abs=1e-3 + 1e-9)


def _wrong_signed_multiplier(mu):
    # proofs/p0_precertificate.md, "Validity at boundary atoms": x = 0, 1 and the atom
    # theta = (1, 0) (a kink at the data point 0). With p = (mu - 1, 1) the chamber above the
    # hyperplane (both points active) has v = (1, mu): for mu > 0 its maximum is
    # sqrt(1 + mu^2) > 1 at a point off the atom (multiplier -mu), for mu <= 0 it is 1 at the atom
    from relucert.arrangement import enumerate_chambers
    from relucert.experiments.lownoise import SupportAtom

    X = np.array([[0.0], [1.0]])
    arr = enumerate_chambers(X)
    atom = SupportAtom(theta=np.array([1.0, 0.0]), amplitude=1.0, hyperplanes=(0,),
                       active=np.array([False, True]))
    return arr, np.array([mu - 1.0, 1.0]), atom


def test_wrong_signed_boundary_multiplier_is_not_a_certificate():
    from relucert.experiments.lownoise import assess_certificate
    from relucert.verify.p0 import boundary_multiplier_defect

    mu = 4e-5
    arr, p, atom = _wrong_signed_multiplier(mu)
    # an independent evaluation: eta on a fine arc around the atom exceeds 1 by ~ mu^2 / 2
    t = np.linspace(-1e-3, 1e-3, 200001)
    T = np.stack([np.cos(t), np.sin(t)], axis=1)
    eta = np.maximum(0.0, T @ lift(arr.X).T) @ p
    assert eta.max() - 1 == pytest.approx(mu ** 2 / 2, rel=1e-3)
    assert eta.max() <= 1 + TOL.dual_feas              # invisible to a tolerance on max |eta|
    defect, where = boundary_multiplier_defect(arr, p, atom.theta[None], np.array([1]))
    assert defect == pytest.approx(mu, rel=1e-6) and "atom 0" in where
    chk = assess_certificate(arr, p, [atom])
    assert not chk.valid and not chk.nondegenerate and "wrong sign" in chk.reason
    # the right sign: a valid certificate, the atom is the maximiser with multiplier |mu|
    arr, p, atom = _wrong_signed_multiplier(-mu)
    assert boundary_multiplier_defect(arr, p, atom.theta[None], np.array([1]))[0] <= 1e-15
    assert assess_certificate(arr, p, [atom]).valid
