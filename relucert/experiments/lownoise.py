"""The low-noise regime (DESIGN.md section 6): the minimal-norm certificate of (P_0)
with its margins, the critical noise ratio, and the lam -> 0 sweep.

Minimal-norm certificate: :mod:`relucert.verify.p0` computes the vanishing-derivative
pre-certificate ``p_V`` (the least-norm solution of the stationarity equations
``Gamma p = b`` of the (P_0) solution's atoms), which is p_0 when it is a valid
certificate, and its ND1-ND4. This module adds the margins (the largest local maximum
of ``|eta|`` off the support, the smallest facet multiplier at a boundary atom) and the
kernel of ``Gamma``.

Critical noise ratio (proofs/critical_noise_ratio.md). For ``y = y0 + c lam xi`` the
limit of ``p_lam`` is the projection of ``c xi`` onto the face F of dual solutions.
``F`` lies in ``{Gamma p = b}``, whose projection of ``c xi`` is
``q(c) = p_0 + c P_ker(Gamma) xi``; while ``q(c)`` is a non-degenerate certificate it is
in F, so it is the limit. The set of c >= 0 where ``q(c)`` is non-degenerate is an
interval ``[0, c_crit)`` (each condition is convex in c); ``c_crit`` is found by
bracketing and bisection, each step a full certificate check.

This module never calls a solver on its own: :func:`lownoise_sweep` takes the solver as
an argument (``relucert.solve``), as the command line and the tests pass it.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from relucert.arrangement import Arrangement, enumerate_chambers, lift
from relucert.results import jsonable
from relucert.solution import Solution, relu_features
from relucert.tolerances import Tolerances, resolve
from relucert.verify.extremal import ExtremalSet, extremal_set
from relucert.verify.nondegeneracy import NonDegeneracy, check_nondegeneracy
from relucert.verify.p0 import P0Certificate, boundary_multiplier_defect, p0_certificate, precertificate_system
from relucert.verify.regions import SIGNS, RegionExtrema, on_hyperplanes, scan_regions

__all__ = [
    "LOWNOISE_FORMAT", "DEFAULT_LAMS", "N_FIT", "SupportAtom", "support_atoms",
    "CertificateCheck", "assess_certificate", "MinimalNormCertificate", "minimal_norm_certificate",
    "CriticalRatio", "critical_noise_ratio", "ExactP0Check", "exact_p0_check", "SweepPoint", "LowNoiseResult", "lownoise_sweep",
    "measure_errors", "resolution_bound", "fit_slope", "fit_slopes", "regime_points", "angle", "parse_lams", "noise_direction",
]

LOWNOISE_FORMAT = "relucert.lownoise/1"

#: Default sweep: 8 values geometric from 1e-1 down to 1e-4.
DEFAULT_LAMS = tuple(float(v) for v in np.geomspace(10.0 ** -1, 10.0 ** -4, 8))

#: Slopes are least-squares fits over this many smallest lams.
N_FIT = 5

#: Bracketing for c_crit stops (c_crit reported infinite) beyond this ratio.
_C_LIMIT = 2.0 ** 40

Solver = Callable[[np.ndarray, np.ndarray, float], Solution]


def angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between unit vectors, accurate for small angles: ``2 arcsin(||a - b|| / 2)``.

    >>> round(angle(np.array([1.0, 0.0]), np.array([0.0, 1.0])) * 2 / math.pi, 12)
    1.0
    """
    return float(2.0 * math.asin(min(1.0, float(np.linalg.norm(np.asarray(a) - np.asarray(b))) / 2.0)))


# ----------------------------------------------------------------------------------------
# support atoms and the stationarity system
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SupportAtom:
    """A reference atom: unit ``theta`` (snapped onto its hyperplanes), signed amplitude,
    the data hyperplanes it lies on, and its activation set off them."""

    theta: np.ndarray
    amplitude: float
    hyperplanes: tuple
    active: np.ndarray           # boolean (n,): <theta, x~_i> > 0 strictly

    @property
    def sign(self) -> int:
        return 1 if self.amplitude > 0 else -1

    @property
    def location(self) -> str:
        return "boundary" if self.hyperplanes else "interior"

    def to_dict(self) -> dict:
        return jsonable({"theta": self.theta, "amplitude": self.amplitude, "location": self.location,
                         "hyperplanes": list(self.hyperplanes)})


def _complement_basis(N: np.ndarray, D: int, tol: Tolerances) -> np.ndarray:
    """Orthonormal basis (D, D - r) of the orthogonal complement of the row space of N."""
    if N.shape[0] == 0:
        return np.eye(D)
    _, s, Vt = np.linalg.svd(N, full_matrices=True)
    r = int(np.count_nonzero(s > tol.rank * max(1.0, float(s[0]))))
    return Vt[r:].T


def support_atoms(X_lift: np.ndarray, theta: np.ndarray, amplitude: np.ndarray,
                  tol: Tolerances | None = None) -> tuple:
    """The atoms of a measure as :class:`SupportAtom` s: zero amplitudes dropped, atoms of
    one sign closer than ``tol.point_merge`` merged, boundary atoms snapped exactly onto
    the hyperplanes they lie on (within ``tol.sign_zero``)."""
    tol = resolve(tol)
    X_lift = np.asarray(X_lift, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64).reshape(-1, X_lift.shape[1])
    amplitude = np.asarray(amplitude, dtype=np.float64).reshape(-1)
    scale = max(1.0, float(np.max(np.abs(amplitude), initial=0.0)))
    groups: list = []  # [theta, amplitude]
    for t, a in zip(theta, amplitude):
        if abs(a) <= tol.amplitude_zero * scale:
            continue
        for g in groups:
            if np.sign(g[1]) == np.sign(a) and np.linalg.norm(g[0] - t) <= tol.point_merge:
                g[1] += a
                break
        else:
            groups.append([t / np.linalg.norm(t), float(a)])
    D = X_lift.shape[1]
    norms = np.linalg.norm(X_lift, axis=1)
    out = []
    for t, a in groups:
        planes = on_hyperplanes(X_lift, t, tol)
        if planes.size:
            B = _complement_basis(X_lift[planes], D, tol)
            t = B @ (B.T @ t)
            t = t / np.linalg.norm(t)
        active = X_lift @ t > tol.sign_zero * norms
        active[planes] = False
        out.append(SupportAtom(theta=t, amplitude=a, hyperplanes=tuple(int(i) for i in planes), active=active))
    return tuple(out)


def _kernel_projector(Gamma: np.ndarray, n: int, tol: Tolerances) -> np.ndarray:
    _, s, Vt = np.linalg.svd(Gamma, full_matrices=False)
    r = int(np.count_nonzero(s > tol.rank * max(1.0, float(s[0]))))
    V = Vt[:r].T
    return np.eye(n) - V @ V.T


# ----------------------------------------------------------------------------------------
# the certificate check with margins (one definition, used for p_0 and for q(c))
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CertificateCheck:
    """Non-degeneracy of a (P_0) certificate ``p`` for the support ``atoms``.

    ``valid``: ``max |eta_p| <= 1 + tol.dual_feas`` (exact region maxima).
    ``max_abs_eta_off_support``: the largest region maximum of ``|eta_p|`` whose
    maximiser is not a support atom (the largest local maximum off the support).
    ``min_boundary_multiplier``: the smallest projection multiplier of an active facet
    of a chamber around a boundary atom (0 when the atom is not that region's
    maximiser); None without boundary atoms.
    ``nondegenerate``: valid, every atom is a point of E, no other point of E
    (``max_abs_eta_off_support < 1 - tol.extremal``), and ND1-ND4 of
    :mod:`relucert.verify.nondegeneracy` hold. ``reason`` says what fails.
    """

    p: np.ndarray
    max_abs_eta: float
    valid: bool
    max_abs_eta_off_support: float
    min_boundary_multiplier: float | None
    nondegenerate: bool
    reason: str
    scan: RegionExtrema = field(repr=False)
    extremal: ExtremalSet = field(repr=False)
    nondegeneracy: NonDegeneracy = field(repr=False)


def assess_certificate(arrangement: Arrangement, p: np.ndarray, atoms, *,
                       tol: Tolerances | None = None) -> CertificateCheck:
    """Check ``p`` as a non-degenerate certificate of the measure ``atoms`` (see
    :class:`CertificateCheck`)."""
    tol = resolve(tol)
    p = np.asarray(p, dtype=np.float64)
    scan = scan_regions(arrangement, p, tol=tol)
    E = extremal_set(arrangement, scan, tol=tol)
    max_abs = scan.max_abs
    defect, where = boundary_multiplier_defect(arrangement, p, np.array([at.theta for at in atoms]),
                                               np.array([at.sign for at in atoms]), tol=tol)
    valid = max_abs <= 1.0 + tol.dual_feas and defect <= tol.dual_feas

    def at_support(theta, sign) -> int:
        for j, at in enumerate(atoms):
            if at.sign == sign and np.linalg.norm(at.theta - theta) <= tol.point_merge:
                return j
        return -1

    on_support = np.array([at_support(q.theta, q.sign) >= 0 for q in E.points], dtype=bool)
    found = {at_support(q.theta, q.sign) for q in E.points} - {-1}
    missing = [j for j in range(len(atoms)) if j not in found]
    off = 0.0
    for k in range(scan.n_chambers):
        for si, s in enumerate(SIGNS):
            value = float(scan.value[k, si])
            if value <= off or np.isnan(scan.point[k, si, 0]):
                continue
            if at_support(scan.point[k, si], s) < 0:
                off = value
    nd = check_nondegeneracy(arrangement, scan, E, on_support, tol=tol)
    mults = []
    for rec in nd.facet_multipliers:
        if on_support[rec.point]:
            if not rec.is_maximiser:
                mults.append(0.0)
            elif rec.multipliers:
                mults.append(rec.min_multiplier)
    has_boundary = any(at.location == "boundary" for at in atoms)
    min_mult = (float(min(mults)) if mults else 0.0) if has_boundary else None
    problems = []
    if max_abs > 1.0 + tol.dual_feas:
        problems.append(f"not a certificate: max |eta| = {max_abs:.12g} > 1")
    if defect > tol.dual_feas:
        problems.append(f"not a certificate: a facet multiplier at a boundary atom has the wrong sign ({where}: "
                        f"defect {defect:.3g}), so |eta| exceeds 1 next to it")
    if missing:
        problems.append(f"support atom(s) {missing} are not points of E (|eta| != 1 there or not a maximum)")
    if off >= 1.0 - tol.extremal:
        problems.append(f"|eta| reaches {off:.12g} off the support (extra saturation)")
    for c in nd.conditions:
        if not c.holds:
            problems.append(f"{c.name} fails: {c.detail}")
    nondeg = valid and not missing and off < 1.0 - tol.extremal and nd.holds
    return CertificateCheck(p=p, max_abs_eta=max_abs, valid=bool(valid), max_abs_eta_off_support=float(off),
                            min_boundary_multiplier=min_mult, nondegenerate=bool(nondeg),
                            reason="; ".join(problems) if problems else "non-degenerate", scan=scan,
                            extremal=E, nondegeneracy=nd)


# ----------------------------------------------------------------------------------------
# the minimal-norm certificate (computed by relucert.verify.p0; margins and kernel here)
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class MinimalNormCertificate:
    """The (P_0) certificate of :func:`relucert.verify.p0.p0_certificate` for the
    reference atoms, with the low-noise extras.

    ``p0``: the :class:`~relucert.verify.p0.P0Certificate` (``p_V``, validity, ND1-ND4).
    ``check``: :func:`assess_certificate` of ``p_V`` (the margins; the same check is
    applied to ``q(c)`` for c_crit). ``kernel``: the projector onto the kernel of the
    pre-certificate equations.
    """

    atoms: tuple
    p0: P0Certificate
    check: CertificateCheck
    kernel: np.ndarray = field(repr=False)
    rank: int = 0               # rank of Gamma (numerical, tol.rank)
    n_equations: int = 0        # rows of Gamma

    @property
    def full_rank(self) -> bool:
        """``Gamma`` has full row rank: ``Gamma^T = [features, face derivatives]`` of the
        atoms is injective, the Jacobian condition of the O(lam) rate
        (proofs/lownoise_rate.md)."""
        return self.rank == self.n_equations

    @property
    def p(self) -> np.ndarray:
        return self.p0.p

    @property
    def is_p0(self) -> bool:
        """``p_V`` is a valid certificate, hence the minimal-norm dual solution p_0."""
        return bool(self.p0.is_minimal_norm)

    @property
    def nondegenerate(self) -> bool:
        return bool(self.p0.nondegenerate and self.check.nondegenerate)

    @property
    def margin(self) -> float:
        """``min(1 - max |eta| off the support, smallest boundary multiplier)``: the scale
        of a perturbation of eta that non-degeneracy survives (0 when degenerate)."""
        if not self.nondegenerate:
            return 0.0
        m = 1.0 - self.check.max_abs_eta_off_support
        if self.check.min_boundary_multiplier is not None:
            m = min(m, self.check.min_boundary_multiplier)
        return float(m)

    @property
    def reason(self) -> str:
        if self.p0.nondegenerate and not self.check.nondegenerate:
            return f"{self.p0.reason}; but the margin check fails: {self.check.reason}"
        return self.p0.reason


def minimal_norm_certificate(arrangement: Arrangement, y0: np.ndarray, theta: np.ndarray,
                             amplitude: np.ndarray, *, tol: Tolerances | None = None) -> MinimalNormCertificate:
    """The minimal-norm certificate of (P_0) for the solution ``(theta, amplitude)`` of
    ``min ||mu||_TV s.t. K mu = y0``, with its margins.

    The certificate itself is :func:`relucert.verify.p0.p0_certificate` (the
    vanishing-derivative pre-certificate ``p_V``, which is p_0 when valid); this adds
    :func:`assess_certificate` (largest local maximum of ``|eta|`` off the support,
    smallest boundary multiplier) and the kernel of the equations.

    Examples
    --------
    One point ``x = 0`` and ``y0 = 1``: the solution is the constant neuron
    ``theta = (0, 1)`` and the certificate ``p_0 = 1``.

    >>> from relucert.arrangement import enumerate_chambers
    >>> arr = enumerate_chambers(np.array([[0.0]]))
    >>> m = minimal_norm_certificate(arr, np.array([1.0]), np.array([[0.0, 1.0]]), np.array([1.0]))
    >>> m.is_p0, m.p.round(12).tolist(), m.nondegenerate
    (True, [1.0], True)
    """
    tol = resolve(tol)
    Xl = arrangement.X_lift
    n = Xl.shape[0]
    atoms = support_atoms(Xl, theta, amplitude, tol)
    if not atoms:
        raise ValueError("theta/amplitude: the (P_0) solution has no atom (y0 = 0); the low-noise analysis "
                         "needs a non-zero y0")
    th = np.array([a.theta for a in atoms]).reshape(len(atoms), Xl.shape[1])
    amp = np.array([a.amplitude for a in atoms])
    cert = p0_certificate(arrangement.X, y0, th, amp, arrangement=arrangement, tol=tol)
    Aeq, _ = precertificate_system(arrangement, th, np.sign(amp).astype(np.int64), tol=tol)
    sv = np.linalg.svd(Aeq, compute_uv=False)
    rank = int(np.count_nonzero(sv > tol.rank * max(1.0, float(sv[0]))))
    check = assess_certificate(arrangement, cert.p, atoms, tol=tol)
    # independent equations: the face dimension of each atom (its projector's rank)
    n_eq = sum(Xl.shape[1] - _complement_rank_deficit(Xl[list(a.hyperplanes)], tol) for a in atoms)
    return MinimalNormCertificate(atoms=atoms, p0=cert, check=check, kernel=_kernel_projector(Aeq, n, tol),
                                  rank=rank, n_equations=int(n_eq))


def _complement_rank_deficit(N: np.ndarray, tol: Tolerances) -> int:
    """rank of the hyperplane normals N (0 for an interior atom)."""
    if N.shape[0] == 0:
        return 0
    s = np.linalg.svd(N, compute_uv=False)
    return int(np.count_nonzero(s > tol.rank * max(1.0, float(s[0]))))


@dataclass(frozen=True)
class ExactP0Check:
    """Exact rational verification of the (P_0) certificate (:mod:`relucert.verify.certificate_builder`).

    The rationalised ``p_V`` divided by ``dual_scale >= 1`` is proven feasible
    (``|eta| <= 1`` on every chamber of a list proven complete) and the (P_0) optimum lies
    in ``[lower, upper]`` with ``relative_gap``; ``certified`` when the checker passed,
    ``dual_scale - 1 <= tol.dual_feas`` and ``relative_gap <= tol.obj_gap``. Fails closed:
    any error gives ``certified = False`` with the reason. It proves ``p_V / dual_scale``
    feasible, not ``p_V`` itself, so it does not prove ``p_0 = p_V`` (that verdict is the
    floating-point validity test of :func:`relucert.verify.p0.p0_certificate`;
    proofs/minimal_norm_certificate.md)."""

    certified: bool
    dual_scale: float | None
    relative_gap: float | None
    reason: str

    def to_dict(self) -> dict:
        return jsonable(self.__dict__)


def exact_p0_check(arrangement: Arrangement, y0: np.ndarray, mnc: MinimalNormCertificate, *,
                   tol: Tolerances | None = None) -> ExactP0Check:
    """Verify ``mnc.p`` and the reference atoms in exact rational arithmetic (see
    :class:`ExactP0Check`)."""
    from relucert.errors import CertificateError
    from relucert.results import Status
    from relucert.verify.certificate_builder import make_exact_certificate

    tol = resolve(tol)
    Xl = arrangement.X_lift
    th = np.array([a.theta for a in mnc.atoms]).reshape(len(mnc.atoms), Xl.shape[1])
    amp = np.array([a.amplitude for a in mnc.atoms])
    pred = relu_features(Xl, th) @ amp
    tv = float(np.sum(np.abs(amp)))
    sol = Solution(X=arrangement.X, y=np.asarray(y0, dtype=np.float64), lam=0.0, theta=th, amplitude=amp,
                   objective=tv, tv_norm=tv, dual=mnc.p, predictions=pred,
                   max_abs_certificate=mnc.check.max_abs_eta, duality_gap=0.0, n_chambers=arrangement.n_chambers,
                   status=Status.OPTIMAL, method="minimal-norm certificate", tol=tol)
    try:
        cert = make_exact_certificate(sol, arrangement=arrangement, tol=tol)
    except (CertificateError, ValueError, ArithmeticError) as exc:
        return ExactP0Check(False, None, None, f"not certified: {exc}")
    scale = float(cert.dual_scale)
    gap = float(cert.relative_gap)
    ok = bool(cert.report.passed and scale - 1.0 <= tol.dual_feas and gap <= tol.obj_gap)
    why = (f"p_V / {scale:.17g} proven feasible on every region and the (P_0) optimum within relative gap "
           f"{gap:.3g} (exact rationals)")
    if not cert.report.passed:
        why = "not certified: the exact checker rejected the certificate"
    elif scale - 1.0 > tol.dual_feas:
        why = f"not certified: p_V needs the factor 1 + {scale - 1.0:.3g} to be feasible (> dual_feas)"
    elif gap > tol.obj_gap:
        why = (f"not certified: p_V is proven feasible, but the reference atoms are optimal only within relative "
               f"gap {gap:.3g} (> obj_gap)")
    return ExactP0Check(ok, scale, gap, why)


# ----------------------------------------------------------------------------------------
# critical noise ratio
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CriticalRatio:
    """``value``: c_crit (``inf`` when q(c) stays non-degenerate for every c, 0 when p_0
    is degenerate); ``direction``: ``P_ker xi``; ``event``: what fails just above it;
    ``bracket``: the final (lo, hi) of the bisection; ``n_checks``: certificate checks."""

    value: float
    direction: np.ndarray
    event: str
    bracket: tuple
    n_checks: int

    def limit_dual(self, p0: np.ndarray, c: float) -> np.ndarray:
        """``q(c) = p_0 + c P_ker xi``: the small-lam limit of p_lam for c < c_crit."""
        return np.asarray(p0) + c * self.direction


def critical_noise_ratio(arrangement: Arrangement, mnc: MinimalNormCertificate, xi: np.ndarray, *,
                         tol: Tolerances | None = None) -> CriticalRatio:
    """c_crit(xi) for the noise ``y = y0 + c lam xi`` (module docstring)."""
    tol = resolve(tol)
    xi = np.asarray(xi, dtype=np.float64)
    direction = mnc.kernel @ xi
    if not mnc.nondegenerate:
        return CriticalRatio(0.0, direction, "p_0 is degenerate: " + mnc.reason, (0.0, 0.0), 0)
    p0 = mnc.p
    count = 0

    def check(c: float) -> CertificateCheck:
        nonlocal count
        count += 1
        return assess_certificate(arrangement, p0 + c * direction, mnc.atoms, tol=tol)

    if float(np.linalg.norm(direction)) <= tol.rank * max(1.0, float(np.linalg.norm(xi))):
        return CriticalRatio(math.inf, direction, "xi is orthogonal to ker Gamma: q(c) = p_0 for every c",
                             (math.inf, math.inf), 0)
    lo, hi = 0.0, 1.0
    last = check(hi)
    while last.nondegenerate:
        lo, hi = hi, 2.0 * hi
        if hi > _C_LIMIT:
            return CriticalRatio(math.inf, direction, f"q(c) is non-degenerate up to c = {lo:g}", (lo, math.inf),
                                 count)
        last = check(hi)
    event = last.reason
    while hi - lo > tol.critical_ratio * hi:
        mid = 0.5 * (lo + hi)
        res = check(mid)
        if res.nondegenerate:
            lo = mid
        else:
            hi, event = mid, res.reason
    return CriticalRatio(0.5 * (lo + hi), direction, event, (lo, hi), count)


# ----------------------------------------------------------------------------------------
# the sweep
# ----------------------------------------------------------------------------------------

def resolution_bound(solution: Solution) -> float:
    """The prediction error certified by the solution's duality gap:
    ``sqrt(2 G) + lam ||p - q||``, q the scaled-feasible dual.

    ``D`` is ``lam^2``-strongly concave, so ``||q - p_lam|| <= sqrt(2 G) / lam``; the
    predictions are ``y - lam p``, hence ``||K mu - K mu*|| <= lam ||p - q|| + sqrt(2 G)``.
    An atom whose own contribution ``|a| ||phi(theta)||`` to the predictions is below
    this bound is not resolved by the solve and is not counted as a Dirac.
    """
    p = np.asarray(solution.dual, dtype=np.float64)
    q = p / max(1.0, float(solution.max_abs_certificate))
    return float(math.sqrt(2.0 * max(float(solution.duality_gap), 0.0)) + solution.lam * np.linalg.norm(p - q))


def measure_errors(solution: Solution, reference, tol: Tolerances | None = None) -> dict:
    """Diracs of ``solution`` and their errors against the reference atoms.

    Atoms are merged per point (same sign within ``tol.point_merge``); an atom counts
    when ``|a| ||phi(theta)|| > resolution_bound`` and ``|a|`` exceeds
    ``tol.amplitude_zero`` (relative). Each counted atom is assigned to the nearest
    reference atom of its sign. Returns ``n_diracs``, ``loc_errs`` (per reference atom,
    the angle to the nearest counted atom of its sign; NaN when there is none),
    ``amp_errs`` (per reference atom, ``|sum of assigned amplitudes - a| / |a|``),
    ``loc_err`` and ``amp_err`` (their maxima) and ``mass_bound``.
    """
    tol = resolve(tol)
    Xl = lift(solution.X)
    atoms = support_atoms(Xl, solution.theta, solution.amplitude, tol)
    bound = resolution_bound(solution)
    scale = max(1.0, max((abs(a.amplitude) for a in atoms), default=0.0))
    counted = []
    for at in atoms:
        contribution = abs(at.amplitude) * float(np.linalg.norm(relu_features(Xl, at.theta[None, :])))
        if contribution > bound and abs(at.amplitude) > tol.amplitude_zero * scale:
            counted.append(at)
    loc = np.full(len(reference), np.nan)
    assigned = np.zeros(len(reference))
    for j, ref in enumerate(reference):
        same = [angle(ref.theta, at.theta) for at in counted if at.sign == ref.sign]
        if same:
            loc[j] = min(same)
    for at in counted:
        cands = [(angle(ref.theta, at.theta), j) for j, ref in enumerate(reference) if ref.sign == at.sign]
        if cands:
            assigned[min(cands)[1]] += at.amplitude
    amp = np.array([abs(assigned[j] - ref.amplitude) / abs(ref.amplitude) for j, ref in enumerate(reference)])
    return {"n_diracs": len(counted), "loc_errs": loc, "amp_errs": amp,
            "loc_err": float(np.max(loc)) if len(loc) and not np.any(np.isnan(loc)) else float("nan"),
            "amp_err": float(np.max(amp, initial=0.0)), "mass_bound": bound,
            "diracs": [at.to_dict() for at in counted]}


def fit_slope(lams, errs) -> float | None:
    """Least-squares slope of ``log err`` against ``log lam``; None unless every value is
    finite and positive (and there are at least two).

    >>> round(fit_slope([0.1, 0.01, 0.001], [0.3, 0.03, 0.003]), 12)
    1.0
    """
    lams = np.asarray(lams, dtype=np.float64)
    errs = np.asarray(errs, dtype=np.float64)
    if lams.size < 2 or not np.all(np.isfinite(errs)) or not np.all(errs > 0):
        return None
    slope, _ = np.polyfit(np.log(lams), np.log(errs), 1)
    return float(slope)


@dataclass(frozen=True, eq=False)
class SweepPoint:
    lam: float
    noise_scale: float
    n_diracs: int
    loc_err: float
    amp_err: float
    loc_errs: np.ndarray
    amp_errs: np.ndarray
    mass_bound: float
    dual_dist: float | None       # ||p_lam - q(C)|| (None when q(C) is not the limit)
    perturbation: float | None    # ||X~||_2 ||p_lam - q(C)||: bounds |eta_lam - eta_q| on the sphere
    diracs: list
    solution: Solution = field(repr=False)

    def to_dict(self) -> dict:
        return jsonable({"lam": self.lam, "noise_scale": self.noise_scale, "n_diracs": self.n_diracs,
                         "loc_err": self.loc_err, "amp_err": self.amp_err, "loc_errs": self.loc_errs,
                         "amp_errs": self.amp_errs, "mass_bound": self.mass_bound, "dual_dist": self.dual_dist,
                         "perturbation": self.perturbation,
                         "diracs": self.diracs})


@dataclass(frozen=True, eq=False)
class LowNoiseResult:
    """Everything :func:`lownoise_sweep` measured; ``to_dict`` is ``relucert.lownoise/1``."""

    X: np.ndarray
    y0: np.ndarray
    xi: np.ndarray
    noise_scale: float
    reference: Solution
    certificate: MinimalNormCertificate
    critical: CriticalRatio
    sweep: tuple
    slopes: dict
    pinned: tuple                    # indices of pinned reference atoms
    tol: Tolerances
    exact: ExactP0Check | None = None

    @property
    def atoms(self) -> tuple:
        return self.certificate.atoms

    @property
    def constant_diracs(self) -> bool:
        """Every lam of the sweep has as many Diracs as the (P_0) solution."""
        return all(pt.n_diracs == len(self.atoms) for pt in self.sweep)

    @property
    def fit_points(self) -> tuple:
        """The ``N_FIT`` smallest-lam points of the sweep (the asymptotic regime)."""
        return tuple(sorted(self.sweep, key=lambda pt: pt.lam)[:N_FIT])

    @property
    def constant_diracs_fit(self) -> bool:
        """The fit lams all have as many Diracs as the (P_0) solution."""
        return all(pt.n_diracs == len(self.atoms) for pt in self.fit_points)

    def to_dict(self) -> dict:
        chk = self.certificate.check
        c = self.critical.value
        return jsonable({
            "format": LOWNOISE_FORMAT,
            "reference_atoms": [a.to_dict() for a in self.atoms],
            "certificate_is_p0": self.certificate.is_p0,
            "certificate_nondegenerate": self.certificate.nondegenerate,
            "certificate_reason": self.certificate.reason,
            "max_abs_eta_off_support": chk.max_abs_eta_off_support,
            "min_boundary_multiplier": chk.min_boundary_multiplier,
            "p0_certificate": self.certificate.p0.to_dict(),
            "stationarity_full_rank": self.certificate.full_rank,
            "p0_exact": None if self.exact is None else self.exact.to_dict(),
            "critical_noise_ratio": c if math.isfinite(c) else None,
            "critical_noise_ratio_infinite": not math.isfinite(c),
            "critical_event": self.critical.event,
            "p0": self.certificate.p,
            "noise_direction": self.xi,
            "noise_scale": self.noise_scale,
            "sweep": [pt.to_dict() for pt in self.sweep],
            "slopes": self.slopes,
            "pinned_atoms": list(self.pinned),
            "constant_diracs": self.constant_diracs,
            "constant_diracs_small_lams": self.constant_diracs_fit,
            "reference_objective": self.reference.objective,
            "tol": self.tol.to_dict(),
        })


def parse_lams(text: str) -> tuple:
    """``"A:B:K"``: K values geometric from A down (or up) to B; A, B > 0, K >= 2.

    >>> parse_lams("0.1:0.001:3")
    (0.1, 0.01, 0.001)
    """
    parts = str(text).split(":")
    if len(parts) != 3:
        raise ValueError(f"--lams must be A:B:K (K lam values geometric from A to B); got {text!r}")
    try:
        a, b, k = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"--lams must be A:B:K with floats A, B > 0 and an integer K >= 2; got {text!r}") from None
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)) or k < 2:
        raise ValueError(f"--lams must be A:B:K with finite A, B > 0 and K >= 2; got {text!r}")
    return tuple(float(v) for v in np.geomspace(a, b, k))


def noise_direction(n: int, seed: int, xi=None) -> np.ndarray:
    """The unit noise direction: ``xi`` normalised, else a standard normal draw."""
    if xi is None:
        xi = np.random.default_rng(seed).standard_normal(n)
    xi = np.asarray(xi, dtype=np.float64).reshape(-1)
    if xi.shape[0] != n:
        raise ValueError(f"xi must have one entry per sample ({n}); got shape {xi.shape}")
    norm = float(np.linalg.norm(xi))
    if not math.isfinite(norm) or norm == 0.0:
        raise ValueError("xi must be a finite non-zero vector")
    return xi / norm


def lownoise_sweep(X, y0, *, solver: Solver, lams=DEFAULT_LAMS, xi=None, noise_scale: float | None = None,
                   noise_seed: int = 0, reference: Solution | None = None,
                   arrangement: Arrangement | None = None, tol: Tolerances | None = None,
                   progress: bool | None = None, exact: bool = True) -> LowNoiseResult:
    """Solve (P_0) on ``y0``, compute p_0, its margins and c_crit, then solve (P_lam) on
    ``y = y0 + C lam xi`` for every lam and measure the errors.

    Parameters
    ----------
    X, y0 : data and noiseless labels (validated by the caller).
    solver : ``solver(X, y, lam) -> Solution`` (``lam = 0`` for (P_0)).
    lams : the lam values (any order; slopes use the ``N_FIT`` smallest).
    xi : noise direction (normalised here); default a normal draw from ``noise_seed``.
    noise_scale : C; default ``min(1, c_crit / 2)`` (0 when p_0 is degenerate).
    reference : an already computed (P_0) solution.
    exact : also verify the (P_0) certificate in exact rational arithmetic
        (:func:`exact_p0_check`; only when p_V is a valid certificate).

    Returns
    -------
    LowNoiseResult
    """
    from tqdm import tqdm

    tol = resolve(tol)
    X = np.asarray(X, dtype=np.float64)
    y0 = np.asarray(y0, dtype=np.float64)
    arr = arrangement if arrangement is not None else enumerate_chambers(X, tol=tol)
    xi = noise_direction(X.shape[0], noise_seed, xi)
    ref = reference if reference is not None else solver(X, y0, 0.0)
    mnc = minimal_norm_certificate(arr, y0, ref.theta, ref.amplitude, tol=tol)
    crit = critical_noise_ratio(arr, mnc, xi, tol=tol)
    if noise_scale is None:
        noise_scale = min(1.0, 0.5 * crit.value) if mnc.nondegenerate else 0.0
    C = float(noise_scale)
    limit = crit.limit_dual(mnc.p, C) if (mnc.nondegenerate and C < crit.value) else None
    op_norm = float(np.linalg.norm(arr.X_lift, 2))
    points = []
    for lam in tqdm(sorted(float(v) for v in lams)[::-1], desc="lam sweep", disable=None if progress is not False
                    else True, file=sys.stderr, leave=False):
        y = y0 + C * lam * xi
        sol = solver(X, y, lam)
        m = measure_errors(sol, mnc.atoms, tol)
        dist = None if limit is None else float(np.linalg.norm(np.asarray(sol.dual) - limit))
        points.append(SweepPoint(lam=lam, noise_scale=C, n_diracs=m["n_diracs"], loc_err=m["loc_err"],
                                 amp_err=m["amp_err"], loc_errs=m["loc_errs"], amp_errs=m["amp_errs"],
                                 mass_bound=m["mass_bound"], dual_dist=dist,
                                 perturbation=None if dist is None else op_norm * dist, diracs=m["diracs"],
                                 solution=sol))
    slopes, pinned = fit_slopes(points, len(mnc.atoms), tol)
    ex = exact_p0_check(arr, y0, mnc, tol=tol) if (exact and mnc.is_p0) else None
    return LowNoiseResult(X=X, y0=y0, xi=xi, noise_scale=C, reference=ref, certificate=mnc, critical=crit,
                          sweep=tuple(points), slopes=slopes, pinned=pinned, tol=tol, exact=ex)


def fit_slopes(points, n_atoms: int, tol: Tolerances | None = None) -> tuple[dict, tuple]:
    """Slopes of the location error, the amplitude error and the dual distance over the
    ``N_FIT`` smallest lams of ``points``; pinned atoms (location error below
    ``tol.pinned`` at every one of those lams) are left out of the location slope.
    Returns ``(slopes, pinned atom indices)``."""
    tol = resolve(tol)
    if not points:
        return {"loc_err": None, "amp_err": None, "dual_dist": None}, ()
    L = np.array([pt.loc_errs for pt in points]).reshape(len(points), n_atoms)
    order = np.argsort([pt.lam for pt in points])[:N_FIT]
    Lf = L[order]
    pinned = tuple(j for j in range(n_atoms) if np.all(np.isfinite(Lf[:, j])) and np.all(Lf[:, j] < tol.pinned))
    free = [j for j in range(n_atoms) if j not in pinned]
    lam_fit = [points[i].lam for i in order]
    loc = [float(np.max(L[i, free])) if free else float("nan") for i in order]
    amp = [points[i].amp_err for i in order]
    dual = [points[i].dual_dist if points[i].dual_dist is not None else float("nan") for i in order]
    return ({"loc_err": fit_slope(lam_fit, loc) if free else None, "amp_err": fit_slope(lam_fit, amp),
             "dual_dist": fit_slope(lam_fit, dual), "fit_lams": lam_fit}, pinned)


def regime_points(result: LowNoiseResult) -> tuple:
    """The sweep points in the perturbative regime: ``||X~||_2 ||p_lam - q(C)|| <
    margin`` (:attr:`MinimalNormCertificate.margin`). ``|eta_p - eta_q| <= ||X~||_2 ||p - q||``
    on the sphere, so there the certificate moves by less than its margin; the theorem is
    asymptotic and the suite tests its conclusions on these lams only
    (proofs/lownoise_rate.md)."""
    m = result.certificate.margin
    return tuple(pt for pt in result.sweep if pt.perturbation is not None and pt.perturbation < m)
