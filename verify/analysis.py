"""The certificate report of a solution of (P_lam) (floating point, named tolerances).

``analyse(solution)`` recomputes everything from the atoms and the data (it never
trusts or calls the solver): the dual ``p = (y - K mu) / lam``, the region maxima of
``eta_p`` (:mod:`relucert.verify.regions`), the extremal set E and the one-extremum
check (:mod:`relucert.verify.extremal`), the sparsity bound, uniqueness of the measure
and of the function (:mod:`relucert.verify.uniqueness`) and ND1-ND4
(:mod:`relucert.verify.nondegeneracy`). A solution that is not optimal within the
tolerances is refused (``CertificateError``, a ``ValueError``): a certificate of a
non-optimal point is meaningless.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from relucert.arrangement import Arrangement, enumerate_chambers
from relucert.errors import CertificateError
from relucert.results import AtomLocation, Status, Verdict, jsonable
from relucert._model import lift, objective_unit, primal_value, relu_features, scaled_dual_value
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve
from relucert.verify.extremal import ExtremalSet, closure_chambers, extremal_set
from relucert.verify.nondegeneracy import NonDegeneracy, check_nondegeneracy, condition_to_dict, phi_rank
from relucert.verify.regions import (SIGNS, RegionExtrema, certificate_values, maximiser_hyperplanes, on_hyperplanes,
                                     scan_regions)
from relucert.verify.uniqueness import Uniqueness, analyse_uniqueness

__all__ = ["REPORT_FORMAT", "AtomReport", "CertificateReport", "analyse", "certificate_dual", "solution_from_measure"]

REPORT_FORMAT = "relucert.certificate-report/1"

#: JSON lists every region only up to this many chambers.
REGION_LIST_LIMIT = 5000


@dataclass(frozen=True, eq=False)
class AtomReport:
    """One atom of the (merged) solution: a point of E with its amplitude."""

    theta: np.ndarray
    amplitude: float
    point: int                 # index into E
    location: AtomLocation
    hyperplanes: tuple
    eta: float                 # eta at theta
    margin: float              # ND2 distance to the nearest hyperplane, or ND3 smallest facet multiplier
    amplitude_range: tuple     # min and max of this amplitude over all optimal measures on E

    def to_dict(self) -> dict:
        return jsonable({"theta": self.theta, "amplitude": self.amplitude, "point": self.point,
                         "location": self.location, "hyperplanes": list(self.hyperplanes), "eta": self.eta,
                         "margin": self.margin, "amplitude_range": list(self.amplitude_range)})


@dataclass(frozen=True, eq=False)
class CertificateReport:
    """Everything :func:`analyse` found; ``to_dict`` is the JSON report."""

    unique: Verdict
    unique_reason: str
    unique_function: Verdict
    unique_function_reason: str
    support_size: int
    n_chambers: int
    support_bound: int          # |E|: every optimal measure is supported in E
    n_extremal_pairs: int       # (region, sign) pairs that can carry mass
    rank_phi_E: int             # a solution with at most this many atoms exists
    one_extremum_per_region: bool
    regions_plus: int
    regions_minus: int
    regions_both: int
    nondegenerate: bool
    atoms: tuple
    lam: float
    objective: float
    duality_gap: float
    max_abs_certificate: float
    mass_outside_bound: float
    outside_excluded_rigorously: bool
    dual: np.ndarray
    tol: Tolerances
    extremal: ExtremalSet = field(repr=False)
    scan: RegionExtrema = field(repr=False)
    uniqueness: Uniqueness = field(repr=False)
    nondegeneracy: NonDegeneracy = field(repr=False)
    arrangement: Arrangement = field(repr=False)
    solution: Solution = field(repr=False)
    p0: object | None = field(default=None, repr=False)   # verify.p0.P0Certificate, when asked for
    dropped_atoms: tuple = ()   # atoms of the given solution where |eta| < 1 - extremal (negligible mass)
    dropped_mass: float = 0.0
    # None: every chamber was listed; else every chamber left out of ``arrangement`` has both
    # region maxima at most this (the near-extremal list of verify/near_extremal.py)
    unlisted_max: float | None = None
    # whether the level unlisted_max decided a verdict or the exclusion of mass outside E
    # (None: every chamber listed; proofs/near_extremal_chambers.md, "The band")
    band_decides: bool | None = None
    exact: object | None = field(default=None, repr=False)   # exact certificate (/1 or /2), when asked for

    def with_p0(self, p0) -> "CertificateReport":
        """A copy carrying the (P_0) certificate ``p0``."""
        from dataclasses import replace

        return replace(self, p0=p0)

    def with_exact(self, certificate) -> "CertificateReport":
        """A copy carrying the exact certificate ``certificate`` (format /1 or /2)."""
        from dataclasses import replace

        return replace(self, exact=certificate)

    @property
    def witnesses(self) -> tuple:
        return self.uniqueness.witnesses

    @property
    def conditions(self) -> tuple:
        return self.nondegeneracy.conditions

    def to_dict(self, *, regions: bool | None = None) -> dict:
        """The JSON report (``regions``: list every region; default when at most
        ``REGION_LIST_LIMIT`` chambers)."""
        doc = {
            "format": REPORT_FORMAT,
            "unique": self.unique,
            "unique_reason": self.unique_reason,
            "unique_function": self.unique_function,
            "unique_function_reason": self.unique_function_reason,
            "support_size": self.support_size,
            "n_chambers": self.n_chambers,
            "support_bound": self.support_bound,
            "n_extremal_pairs": self.n_extremal_pairs,
            "rank_phi_E": self.rank_phi_E,
            "one_extremum_per_region": self.one_extremum_per_region,
            "one_extremum_violations": [list(v[:2]) + [list(v[2])] for v in self.extremal.violations],
            "regions_reaching": {"plus": self.regions_plus, "minus": self.regions_minus, "both": self.regions_both},
            "nondegenerate": self.nondegenerate,
            "conditions": [condition_to_dict(c) for c in self.conditions],
            "facet_multipliers": [f.to_dict() for f in self.nondegeneracy.facet_multipliers],
            "atoms": [a.to_dict() for a in self.atoms],
            "extremal_set": [q.to_dict() for q in self.extremal.points],
            "witnesses": [w.to_dict() for w in self.witnesses],
            "uniqueness": self.uniqueness.to_dict(),
            "lam": self.lam,
            "objective": self.objective,
            "duality_gap": self.duality_gap,
            "max_abs_certificate": self.max_abs_certificate,
            "mass_outside_E_bound": self.mass_outside_bound,
            "dropped_atoms": list(self.dropped_atoms),
            "dropped_mass": self.dropped_mass,
            "outside_E_excluded_rigorously": self.outside_excluded_rigorously,
            "dual": self.dual,
            "tol": self.tol.to_dict(),
            "chambers_listed": "all" if self.unlisted_max is None else "near-extremal",
            "unlisted_region_max_bound": self.unlisted_max,
            "unlisted_bound_decides": self.band_decides,
        }
        if self.p0 is not None:
            doc["p0"] = self.p0.to_dict()
            doc["p0"]["distance_to_p_lam"] = float(np.linalg.norm(self.p0.p - self.dual))
        if regions is None:
            regions = self.n_chambers <= REGION_LIST_LIMIT
        if regions:
            act = self.arrangement.active()
            s = self.scan
            Xl = self.arrangement.X_lift
            doc["regions"] = [
                {"chamber": k, "active": np.flatnonzero(act[k]).tolist(), "v": s.v[k],
                 "max": s.value[k, 0], "min": -s.value[k, 1],
                 "argmax": None if np.isnan(s.point[k, 0, 0]) else s.point[k, 0],
                 "argmin": None if np.isnan(s.point[k, 1, 0]) else s.point[k, 1],
                 "argmax_hyperplanes": maximiser_hyperplanes(s, Xl, k, 0, self.tol).tolist(),
                 "argmin_hyperplanes": maximiser_hyperplanes(s, Xl, k, 1, self.tol).tolist()}
                for k in range(self.n_chambers)]
        return jsonable(doc)


def solution_from_measure(X, y, lam: float, theta, amplitude, *, arrangement: Arrangement | None = None,
                          tol: Tolerances | None = None, method: str = "given") -> Solution:
    """A :class:`Solution` for a GIVEN measure (no solver): the dual ``(y - K mu)/lam``,
    ``max |eta|`` from the exact region maxima, the objective and the duality gap. Its
    status is OPTIMAL when the relative gap of the scaled-feasible dual
    ``p / max(1, max |eta|)`` is within ``tol.obj_gap`` (the solver's acceptance rule, in its
    internal units: relative to ``max(objective_unit, |P|)``), else INACCURATE.

    Parameters
    ----------
    X : array (n_samples, n_features)
    y : array (n_samples,)
    lam : float
        Regularisation, > 0.
    theta : array (k, n_features + 1)
        Unit directions of the atoms.
    amplitude : array (k,)
        Signed amplitudes of the atoms.
    arrangement : Arrangement, optional
        The chambers of ``X`` (enumerated here when None).
    tol : Tolerances, optional
    method : str
        Recorded as the solution's ``method``.

    Returns
    -------
    Solution
        Status OPTIMAL or INACCURATE (never raises for a non-optimal measure).

    Examples
    --------
    One point ``x = 0``, label 1, lam = 0.5: the network ``0.5 relu(b)`` is optimal
    (dual p = (1 - 0.5)/0.5 = 1, eta = relu(b) <= 1), objective 0.125 + 0.25.

    >>> sol = solution_from_measure(np.zeros((1, 1)), [1.0], 0.5, [[0.0, 1.0]], [0.5])
    >>> sol.status.value, sol.objective, sol.dual.tolist()
    ('optimal', 0.375, [1.0])
    """
    tol = resolve(tol)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64).reshape(-1, X.shape[1] + 1)
    amplitude = np.asarray(amplitude, dtype=np.float64).reshape(-1)
    arr = arrangement if arrangement is not None else enumerate_chambers(X, tol=tol)
    Xl = lift(X)
    Phi = relu_features(Xl, theta)
    pred = Phi @ amplitude
    p = (y - pred) / lam
    scan = scan_regions(arr, p, tol=tol)
    mx = scan.max_abs
    primal = primal_value(Phi, y, lam, amplitude)
    gap = primal - scaled_dual_value(p, y, lam, mx)
    # the gap of the feasible p / max(1, mx), judged as the solver judges it: relative to
    # max(1, |P|) in its internal units (relucert._model.objective_unit)
    ok = gap <= tol.obj_gap * max(objective_unit(Xl, y, lam), abs(primal))
    return Solution(X=X, y=y, lam=float(lam), theta=theta, amplitude=amplitude, objective=primal,
                    tv_norm=float(np.sum(np.abs(amplitude))), dual=p, predictions=pred,
                    max_abs_certificate=mx, duality_gap=float(gap), n_chambers=arr.n_chambers,
                    status=Status.OPTIMAL if ok else Status.INACCURATE, method=method, tol=tol)


def _refuse(msg: str):
    raise CertificateError(f"refusing to certify: {msg} (a certificate of a non-optimal point is meaningless)")


def certificate_dual(solution: Solution) -> np.ndarray:
    """The dual vector the report reads: ``p = (y - K mu) / lam`` from the atoms."""
    Xl = lift(solution.X)
    theta = np.asarray(solution.theta, dtype=np.float64).reshape(-1, Xl.shape[1])
    amp = np.asarray(solution.amplitude, dtype=np.float64).reshape(-1)
    return (solution.y - relu_features(Xl, theta) @ amp) / float(solution.lam)


def analyse(solution: Solution, *, arrangement: Arrangement | None = None,
            tol: Tolerances | None = None, ops=None, unlisted_max: float | None = None) -> CertificateReport:
    """The certificate report of an optimal solution of (P_lam), lam > 0 (module docstring).

    Parameters
    ----------
    solution : Solution
        An optimal solution of (P_lam); its atoms and data are all that is used.
    arrangement : Arrangement, optional
        The chambers of ``solution.X`` (enumerated here when None).
    tol : Tolerances, optional
    ops : array backend of the region scan (None: numpy).
    unlisted_max : float, optional
        None: ``arrangement`` holds every chamber. Else it holds only the near-extremal
        ones (:func:`relucert.verify.near_extremal.near_extremal_arrangement`) and every
        chamber left out has both region maxima at most ``unlisted_max < 1 - tol.extremal``:
        E, one extremum per region, ND2-ND4 and the amplitude ranges read only listed
        chambers, and the largest maximum outside E (ND1, mass outside E) is
        ``max(listed, unlisted_max)``; ``band_decides``: whether the verdicts would differ at
        the listed level (proofs/near_extremal_chambers.md, "The band").

    Returns
    -------
    CertificateReport

    Raises
    ------
    CertificateError (a ValueError)
        The solution is not optimal within the tolerances: status not optimal, relative
        duality gap above ``tol.certify_gap``, ``max |eta| > 1 + tol.extremal``, or a stored
        dual that is not ``(y - K mu)/lam``. (Atoms where ``|eta| < 1 - tol.extremal``
        carry at most ``gap / (lam (1 - |eta|))`` mass: they are dropped and listed in
        ``dropped_atoms``.)

    Examples
    --------
    >>> sol = solution_from_measure(np.zeros((1, 1)), [1.0], 0.5, [[0.0, 1.0]], [0.5])
    >>> rep = analyse(sol)
    >>> rep.unique, rep.support_bound, rep.atoms[0].location, rep.nondegenerate
    (<Verdict.UNIQUE: 'unique'>, 1, <AtomLocation.INTERIOR: 'interior'>, True)
    """
    tol = resolve(tol)
    if not isinstance(solution, Solution):
        raise TypeError(f"solution must be a relucert Solution; got {type(solution).__name__}")
    if not solution.lam > 0:
        raise ValueError(f"lam must be > 0 for the (P_lam) certificate report; got {solution.lam!r} "
                         f"(use relucert.verify.p0 for (P_0))")
    if solution.status is not Status.OPTIMAL:
        _refuse(f"the solution's status is {solution.status.value!r}, not 'optimal'")
    X, y, lam = solution.X, solution.y, float(solution.lam)
    Xl = lift(X)
    arr = arrangement if arrangement is not None else enumerate_chambers(X, tol=tol)
    if arr.X.shape != X.shape or not np.array_equal(arr.X, X):
        raise ValueError("arrangement was built from other data than the solution's X")
    theta = np.asarray(solution.theta, dtype=np.float64).reshape(-1, Xl.shape[1])
    amp = np.asarray(solution.amplitude, dtype=np.float64).reshape(-1)
    Phi = relu_features(Xl, theta)
    pred = Phi @ amp
    p = (y - pred) / lam
    pscale = max(1.0, float(np.max(np.abs(p), initial=0.0)))
    dual = np.asarray(solution.dual, dtype=np.float64)
    if dual.shape != p.shape or float(np.max(np.abs(dual - p), initial=0.0)) > tol.certify_gap * pscale:
        _refuse("the solution's dual vector is not (y - K mu) / lam")
    scan = scan_regions(arr, p, tol=tol, ops=ops)
    max_abs = scan.max_abs
    if max_abs > 1.0 + tol.extremal:
        _refuse(f"max |eta| = {max_abs:.12g} exceeds 1 + {tol.extremal:g}: the gap uses the feasible "
                f"p / max|eta|, but the extremal set {{|eta| >= 1 - tol.extremal}} of either vector is then "
                f"unreliable (tighten tol.obj_gap or loosen tol.extremal)")
    primal = primal_value(Phi, y, lam, amp)
    dual_val = scaled_dual_value(p, y, lam, max_abs)
    gap = primal - dual_val
    if gap > tol.certify_gap * max(1.0, abs(primal)):
        _refuse(f"the recomputed duality gap {gap:.3g} exceeds {tol.certify_gap:g} * max(1, |objective|)")
    E = extremal_set(arr, scan, tol=tol)
    if unlisted_max is not None:
        if not float(unlisted_max) < 1.0 - tol.extremal:
            raise ValueError(f"unlisted_max must be below 1 - tol.extremal (the near-extremal level); "
                             f"got {unlisted_max!r}")
        from dataclasses import replace

        listed_outside = E.max_outside
        E = replace(E, max_outside=max(listed_outside, float(unlisted_max)))
    # map the atoms onto E
    c0 = np.zeros(len(E))
    dropped: list[int] = []
    ascale = max(1.0, float(np.max(np.abs(amp), initial=0.0)))
    eta_atoms = certificate_values(Xl, p, theta) if len(theta) else np.zeros(0)
    act = arr.active()
    for k in range(len(amp)):
        if abs(amp[k]) <= tol.amplitude_zero * ascale:
            continue
        s = 1 if amp[k] > 0 else -1
        if s * eta_atoms[k] < 1.0 - tol.extremal:
            # lam |a_k| (1 - s eta^(theta_k)) <= gap (proofs/mass_outside_E.md): with the gap
            # accepted, such an atom is negligible mass outside E; drop it, say so.
            cost = lam * abs(amp[k]) * (1.0 - s * eta_atoms[k] / max(1.0, max_abs))
            if cost > max(gap, 0.0) + tol.obj_gap * max(1.0, abs(primal)):
                _refuse(f"atom {k} of the given solution has amplitude {amp[k]:.6g} but eta = {eta_atoms[k]:.12g} there "
                        f"(optimality needs eta = {s:+d})")
            dropped.append(k)
            continue
        si = SIGNS.index(s)
        planes = on_hyperplanes(Xl, theta[k], tol)
        cand = {int(E.pair_point[c, si]) for c in closure_chambers(arr, theta[k], planes, act)} - {-1}
        if not cand:
            cand = {j for j, q in enumerate(E.points) if q.sign == s}
        if not cand:
            _refuse(f"atom {k} of the given solution lies at no point of E of its sign")
        j = min(cand, key=lambda j: float(np.linalg.norm(E.points[j].theta - theta[k])))
        c0[j] += amp[k]
    ThE = E.thetas()
    PhiE = relu_features(Xl, ThE)
    ref = primal_value(PhiE, y, lam, c0)
    gap_E = max(gap, ref - dual_val)

    def uniqueness_at(m_out: float) -> Uniqueness:
        return analyse_uniqueness(Xl, y, lam, ThE, E.signs(), c0, reference_objective=ref, gap=gap_E,
                                  max_outside_hat=m_out / max(1.0, max_abs), tol=tol)

    uniq = uniqueness_at(E.max_outside)
    # the verdicts are monotone in m_out: equal at both ends, equal for any enumeration between
    band_decides = None if unlisted_max is None else bool(
        E.max_outside > listed_outside and _verdicts(uniqueness_at(listed_outside)) != _verdicts(uniq))
    nd = check_nondegeneracy(arr, scan, E, uniq.carries_mass, tol=tol)
    rank, _ = phi_rank(PhiE, tol)
    atoms = []
    for j in np.flatnonzero(np.abs(c0) > tol.amplitude_zero * ascale):
        q = E.points[j]
        atoms.append(AtomReport(theta=q.theta, amplitude=float(c0[j]), point=int(j), location=q.location,
                                hyperplanes=q.hyperplanes, eta=q.sign * q.value, margin=nd.point_margin[j],
                                amplitude_range=tuple(float(v) for v in uniq.ranges[j])))
    return CertificateReport(
        unique=uniq.measure, unique_reason=uniq.measure_reason, unique_function=uniq.function,
        unique_function_reason=uniq.function_reason, support_size=len(atoms), n_chambers=arr.n_chambers,
        support_bound=len(E), n_extremal_pairs=E.n_pairs, rank_phi_E=rank,
        one_extremum_per_region=E.one_extremum_per_region, regions_plus=E.regions_plus,
        regions_minus=E.regions_minus, regions_both=E.regions_both, nondegenerate=nd.holds,
        atoms=tuple(atoms), lam=lam, objective=primal, duality_gap=float(gap), max_abs_certificate=max_abs,
        mass_outside_bound=uniq.mass_outside_bound, outside_excluded_rigorously=uniq.excluded_rigorously,
        dual=p, tol=tol, extremal=E, scan=scan, uniqueness=uniq, nondegeneracy=nd, arrangement=arr,
        solution=solution, dropped_atoms=tuple(dropped),
        dropped_mass=float(np.sum(np.abs(amp[dropped]))) if dropped else 0.0,
        unlisted_max=None if unlisted_max is None else float(unlisted_max), band_decides=band_decides)


def _verdicts(u: Uniqueness) -> tuple:
    """What the unlisted level can change: the two verdicts and the exclusion of mass outside E."""
    return u.measure, u.function, u.excluded_rigorously
