"""Certificate analysis (verify/): region maxima, extremal set, report claims, refusals.

The report's claims are checked independently: dense sampling of the sphere never
beats the reported region maxima, known optima by construction (tests/problems.py),
and hand-built cases (tests/analysis_cases.py)."""
import numpy as np
import pytest

from problems import by_construction
from relucert import CertificateError, certify
from relucert.arrangement import enumerate_chambers, lift
from relucert.results import Status
from relucert.solution import Solution
from relucert.tolerances import Tolerances
from relucert.verify.analysis import REPORT_FORMAT, analyse, solution_from_measure
from relucert.verify.regions import certificate_values, scan_regions


def _sphere(rng, m, D):
    T = rng.standard_normal((m, D))
    return T / np.linalg.norm(T, axis=1, keepdims=True)



@pytest.mark.parametrize("d,n,seed", [(1, 12, 0), (2, 14, 1), (3, 12, 2), (4, 9, 3)])
def test_scan_equals_the_per_region_projection_loop(d, n, seed):
    """scan_regions' vectorised maxima against region_max on every region (a different
    algorithm), on data with repeated, antipodal and summed points; multipliers exactly
    where the maximum can be extremal, and they reproduce the projection."""
    from relucert.arrangement import region_max
    from relucert.tolerances import DEFAULT

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[3], X[5], X[7] = X[1], -X[2], X[0] + X[4]
    arr = enumerate_chambers(X)
    p = rng.standard_normal(n)
    p *= 1.05 / max(1e-12, scan_regions(arr, p).max_abs)   # a few regions reach past 1
    scan = scan_regions(arr, p)
    near = 1.0 - DEFAULT.extremal - DEFAULT.gpu_margin
    for k in range(arr.n_chambers):
        G = arr.inward_normals(k)
        for si, s in enumerate((1, -1)):
            ref = region_max(s * scan.v[k], G)
            ref_value = ref.value if ref.value > 1e-12 * max(1.0, np.linalg.norm(scan.v[k])) else 0.0
            assert scan.value[k, si] == pytest.approx(ref_value, abs=1e-9)
        if scan.value[k].max() >= near:
            assert scan.multipliers[k] is not None and scan.hyperplanes[k] is not None
        else:
            assert scan.multipliers[k] is None
    assert scan.max_abs == pytest.approx(1.05, rel=1e-9)

@pytest.mark.parametrize("n,d,seed", [(7, 1, 0), (9, 2, 1), (6, 3, 2)])
def test_dense_sampling_never_beats_region_maxima(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    p = rng.standard_normal(n)
    arr = enumerate_chambers(X)
    scan = scan_regions(arr, p)
    T = _sphere(rng, 40000, d + 1)
    eta = certificate_values(arr.X_lift, p, T)
    # the chamber of every sample, by its sign pattern
    act = arr.active()
    index = {act[k].tobytes(): k for k in range(arr.n_chambers)}
    samples_act = (T @ arr.X_lift.T) > 0
    slack = 1e-12 * (1 + np.abs(p).sum() * np.linalg.norm(arr.X_lift, axis=1).max())
    seen = 0
    for t in range(len(T)):
        k = index.get(samples_act[t].tobytes())
        if k is None:
            continue
        seen += 1
        assert eta[t] <= scan.value[k, 0] + slack
        assert -eta[t] <= scan.value[k, 1] + slack
    assert seen > 0.99 * len(T)
    # the reported maximisers attain the reported values and lie in their closed regions
    for k in range(arr.n_chambers):
        G = arr.inward_normals(k)
        for si, s in enumerate((1, -1)):
            if np.isnan(scan.point[k, si, 0]):
                assert scan.value[k, si] <= slack
                continue
            pt = scan.point[k, si]
            assert abs(np.linalg.norm(pt) - 1) < 1e-12
            assert np.all(G @ pt >= -1e-12)
            assert s * certificate_values(arr.X_lift, p, pt)[0] == pytest.approx(scan.value[k, si], abs=1e-12)
    assert scan.max_abs >= np.max(np.abs(eta)) - slack


def test_boundary_point_from_several_chambers_is_one_point_of_E():
    kp = by_construction(8, 2, 0.1, 1)
    sol = solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude)
    rep = analyse(sol)
    (q,) = rep.extremal.points
    assert q.location == "boundary" and len(q.found_in) >= 2
    assert set(q.found_in) <= set(q.closure)
    assert rep.support_bound == 1 and rep.n_extremal_pairs == len(q.found_in)
    assert rep.one_extremum_per_region


@pytest.mark.parametrize("n,d,seed", [(6, 1, 0), (10, 2, 3), (8, 2, 1)])
def test_known_optimum_is_certified_unique(n, d, seed):
    kp = by_construction(n, d, 0.1, seed)
    sol = solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude)
    assert sol.status is Status.OPTIMAL
    rep = analyse(sol)
    assert rep.objective == pytest.approx(kp.objective, rel=1e-12)
    np.testing.assert_allclose(rep.dual, kp.p, atol=1e-10)
    assert rep.unique == "unique" and rep.unique_function == "unique"
    assert rep.uniqueness.sufficient
    # by_construction may list one boundary point once per chamber: count distinct points
    distinct = len(np.unique(np.round(kp.theta, 9), axis=0))
    assert rep.support_size == distinct and rep.rank_phi_E == distinct
    assert rep.support_size <= rep.support_bound <= rep.n_extremal_pairs <= 2 * rep.n_chambers
    assert rep.outside_excluded_rigorously and rep.mass_outside_bound == 0.0
    assert rep.nondegenerate
    for a in rep.atoms:
        assert a.eta == pytest.approx(np.sign(a.amplitude), abs=1e-9)
        assert a.margin > 0
    doc = rep.to_dict()
    assert doc["format"] == REPORT_FORMAT
    for key in ("unique", "unique_function", "support_size", "n_chambers", "support_bound",
                "one_extremum_per_region", "nondegenerate", "atoms", "witnesses"):
        assert key in doc
    assert doc["atoms"][0]["location"] in ("interior", "boundary")


def test_nd_margins_match_geometry():
    # interior atom (seed 3) and boundary atom (seed 1): ND2 margin is the distance to the
    # nearest hyperplane; ND3 the smallest unit-normal facet multiplier, positive.
    kp = by_construction(10, 2, 0.1, 3)
    rep = analyse(solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude))
    (a,) = rep.atoms
    Xl = lift(kp.X)
    assert a.location == "interior"
    assert a.margin == pytest.approx(np.min(np.abs(Xl @ a.theta) / np.linalg.norm(Xl, axis=1)))
    kp = by_construction(8, 2, 0.1, 1)
    rep = analyse(solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude))
    nd3 = rep.nondegeneracy.condition("ND3")
    assert nd3.passed and nd3.margin > 0
    recs = rep.nondegeneracy.facet_multipliers
    assert recs and all(r.is_maximiser for r in recs)
    # the multipliers reproduce the projection: v + sum mu_j u_j = value * theta
    arr = rep.arrangement
    for r in recs:
        q = rep.extremal.points[r.point]
        v = q.sign * rep.scan.v[r.chamber]
        U = np.array([arr.inward_normals(r.chamber)[list(arr.facets(r.chamber)).index(h)] for h in r.hyperplanes])
        U = U / np.linalg.norm(U, axis=1, keepdims=True)
        np.testing.assert_allclose(v + U.T @ np.array(r.multipliers), q.theta * rep.scan.value[r.chamber, 0 if q.sign > 0 else 1], atol=1e-9)


def test_dense_sampling_near_extremal_points_stays_below_one():
    kp = by_construction(8, 2, 0.1, 1)
    rep = analyse(solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude))
    rng = np.random.default_rng(0)
    for q in rep.extremal.points:
        T = q.theta + 1e-3 * rng.standard_normal((5000, 3))
        T /= np.linalg.norm(T, axis=1, keepdims=True)
        assert np.max(q.sign * certificate_values(lift(kp.X), rep.dual, T)) <= 1 + 1e-12


# ---- refusals and bad input -------------------------------------------------------------

def _known():
    kp = by_construction(6, 1, 0.1, 0)
    return kp, solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude)


def test_data_mismatch_refused():
    kp, sol = _known()
    with pytest.raises(ValueError, match="y does not match"):
        certify(sol, kp.y + 0.1, kp.lam)
    with pytest.raises(ValueError, match="X does not match"):
        certify(sol, X=kp.X + 1.0)
    with pytest.raises(ValueError, match="y must"):
        certify(sol, kp.y[:-1])


def test_lam_mismatch_refused():
    kp, sol = _known()
    with pytest.raises(ValueError, match="lam"):
        certify(sol, kp.y, 2 * kp.lam)
    with pytest.raises(ValueError, match="lam"):
        certify(sol, kp.y, -1.0)


def test_non_optimal_solution_refused():
    kp, sol = _known()
    bad = solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, 0.5 * kp.amplitude)
    assert bad.status is Status.INACCURATE
    with pytest.raises(CertificateError, match="not 'optimal'"):
        certify(bad)
    # claims OPTIMAL but is not: the recomputed gap / eta refuse it
    forged = Solution(**{**bad.__dict__, "status": Status.OPTIMAL})
    with pytest.raises(ValueError, match="non-optimal"):
        certify(forged)
    # a dual vector that is not (y - K mu)/lam
    forged = Solution(**{**sol.__dict__, "dual": sol.dual + 0.01})
    with pytest.raises(CertificateError, match="dual"):
        certify(forged)


def test_bad_types():
    kp, sol = _known()
    with pytest.raises(TypeError, match="solution_or_data"):
        certify({"X": kp.X})
    with pytest.raises(ValueError, match="y and lam"):
        certify(kp.X)
    with pytest.raises(TypeError, match="tol"):
        certify(sol, tol=1e-9)
    with pytest.raises(ValueError, match="arrangement"):
        analyse(sol, arrangement=enumerate_chambers(kp.X + 1.0))


def test_tolerances_are_recorded():
    kp, sol = _known()
    tol = Tolerances(extremal=1e-6)
    rep = certify(sol, tol=tol)
    assert rep.tol is tol and rep.to_dict()["tol"]["extremal"] == 1e-6


def test_negligible_atom_off_E_is_dropped_but_a_real_one_refused():
    kp, sol = _known()
    Xl = lift(kp.X)
    off = np.array([[0.6, -0.8]])  # a direction where |eta| < 1
    assert abs(certificate_values(Xl, kp.p, off)[0]) < 0.99
    for amp, ok in ((1e-10, True), (1e-3, False)):
        theta = np.vstack([kp.theta, off])
        a = np.r_[kp.amplitude, amp]
        s = solution_from_measure(kp.X, kp.y, kp.lam, theta, a, tol=Tolerances(obj_gap=1.0, dual_feas=1.0))
        s = Solution(**{**s.__dict__, "status": Status.OPTIMAL})
        if ok:
            rep = analyse(s)
            assert rep.dropped_atoms == (len(a) - 1,) and rep.dropped_mass == amp
            assert rep.unique == "unique"
        else:
            with pytest.raises(CertificateError):
                analyse(s)


def test_nd3_first_order_decrease_by_sampling():
    """Strict complementarity means a first-order decrease of eta away from the boundary
    point: for theta' in a closure chamber C, 1 - s eta(theta') >= mu_min * max_j <theta', u_j>
    (u_j the unit facet normals through the point). Checked on samples near the point."""
    kp = by_construction(8, 2, 0.1, 1)
    rep = analyse(solution_from_measure(kp.X, kp.y, kp.lam, kp.theta, kp.amplitude))
    arr = rep.arrangement
    Xl = arr.X_lift
    act = arr.active()
    rng = np.random.default_rng(3)
    checked = 0
    for r in rep.nondegeneracy.facet_multipliers:
        q = rep.extremal.points[r.point]
        U = Xl[list(r.hyperplanes)] * np.where(act[r.chamber, list(r.hyperplanes)], 1.0, -1.0)[:, None]
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        T = q.theta + 1e-2 * rng.standard_normal((4000, 3))
        T /= np.linalg.norm(T, axis=1, keepdims=True)
        inside = np.all(((T @ Xl.T) > 0) == act[r.chamber], axis=1)
        T = T[inside]
        drop = 1 - q.sign * certificate_values(Xl, rep.dual, T)
        bound = min(r.multipliers) * np.max(T @ U.T, axis=1)
        assert np.all(drop >= bound - 1e-12)
        assert np.all(bound > 0)
        checked += len(T)
    assert checked > 1000
