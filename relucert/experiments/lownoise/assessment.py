"""The certificate assessment of the low-noise experiments: the (P_0) solution's atoms
as :class:`SupportAtom` s, and :func:`assess_certificate`, which checks a (P_0)
certificate ``p`` as a NON-DEGENERATE certificate of those atoms and measures its
margins (the largest local maximum of ``|eta|`` off the support, the smallest facet
multiplier at a boundary atom). One definition, applied to p_0 and to every ``q(c)`` of
the critical-ratio bisection (proofs/critical_noise_ratio.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from relucert.arrangement import Arrangement
from relucert.results import AtomLocation, jsonable
from relucert.tolerances import Tolerances, resolve
from relucert.verify.extremal import ExtremalSet, extremal_set
from relucert.verify.nondegeneracy import NonDegeneracy, check_nondegeneracy
from relucert.verify.p0 import boundary_multiplier_defect
from relucert.verify.regions import SIGNS, RegionExtrema, on_hyperplanes, scan_regions

__all__ = ["SupportAtom", "support_atoms", "CertificateCheck", "assess_certificate"]


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
    def location(self) -> AtomLocation:
        return AtomLocation.BOUNDARY if self.hyperplanes else AtomLocation.INTERIOR

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
    the hyperplanes they lie on (within ``tol.sign_zero``).

    Parameters
    ----------
    X_lift : array (n, d + 1)
    theta : array (k, d + 1)
    amplitude : array (k,)
    tol : Tolerances, optional

    Returns
    -------
    tuple of SupportAtom
    """
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
    :class:`CertificateCheck`).

    Parameters
    ----------
    arrangement : Arrangement
    p : array (n,)
        The candidate certificate.
    atoms : sequence of SupportAtom
        The support it must certify.
    tol : Tolerances, optional

    Returns
    -------
    CertificateCheck
    """
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
    has_boundary = any(at.location is AtomLocation.BOUNDARY for at in atoms)
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
        if not c.passed:
            problems.append(f"{c.name} fails: {c.detail}")
    nondeg = valid and not missing and off < 1.0 - tol.extremal and nd.holds
    return CertificateCheck(p=p, max_abs_eta=max_abs, valid=bool(valid), max_abs_eta_off_support=float(off),
                            min_boundary_multiplier=min_mult, nondegenerate=bool(nondeg),
                            reason="; ".join(problems) if problems else "non-degenerate", scan=scan,
                            extremal=E, nondegeneracy=nd)

