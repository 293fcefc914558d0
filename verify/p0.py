"""The minimal-norm dual certificate p_0 of (P_0) (noiseless data) and its non-degeneracy.

(P_0): ``min ||mu||_TV`` s.t. ``K mu = y``; its dual solutions are the p with
``|eta_p| <= 1`` and ``<p, y> = ||mu_0||_TV``; p_0 is the one of minimal norm (the limit
of p_lam as lam -> 0). Given a solution mu_0 = sum_k a_k delta_{theta_k}:

the vanishing-derivative pre-certificate p_V is the least-norm p with, for every atom k
lying on the hyperplanes ``I_k`` (empty: interior) of a chamber C_k whose closure holds it,

    P_k v_{C_k}(p) = s_k theta_k,      P_k = projector onto span{x~_i : i in I_k}^perp

(value ``eta(theta_k) = s_k`` and zero derivative of eta along the face through
theta_k). Every dual solution satisfies these equations, so ``||p_V|| <= ||p_0||``;
hence if ``|eta_{p_V}| <= 1`` then p_V is a dual solution and ``p_V = p_0``. Conversely if
eta_0 is non-degenerate (ND1-ND4 of :mod:`relucert.verify.nondegeneracy`, ND1 read as
``|eta_0| < 1`` outside supp mu_0) then ``p_0 = p_V`` (proofs/p0_precertificate.md). So:
p_V valid and non-degenerate <=> p_0 non-degenerate, and then p_0 = p_V.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert._model import dual_value, lift, relu_features
from relucert.arrangement import Arrangement, enumerate_chambers
from relucert.results import Degeneracy, jsonable
from relucert.tolerances import Tolerances, resolve
from relucert.verify.extremal import ExtremalSet, closure_chambers, extremal_set
from relucert.verify.nondegeneracy import NonDegeneracy, check_nondegeneracy
from relucert.verify.regions import RegionExtrema, on_hyperplanes, scan_regions

__all__ = ["P0Certificate", "p0_certificate", "precertificate", "precertificate_system",
           "boundary_multiplier_defect"]


@dataclass(frozen=True, eq=False)
class P0Certificate:
    """The (P_0) certificate: ``p`` (p_V), whether it is a valid dual certificate (then it
    is p_0), its extremal set, ND1-ND4 and the verdict."""

    p: np.ndarray
    valid: bool
    is_minimal_norm: bool
    nondegenerate: bool
    max_abs_certificate: float
    residual: float
    tv_norm: float
    dual_value: float
    reason: str
    extremal: ExtremalSet
    nondegeneracy: NonDegeneracy
    scan: RegionExtrema

    @property
    def verdict(self) -> Degeneracy:
        return Degeneracy.NONDEGENERATE if self.nondegenerate else Degeneracy.DEGENERATE

    def to_dict(self) -> dict:
        return jsonable({"p0": self.p, "valid": self.valid, "is_minimal_norm": self.is_minimal_norm,
                         "nondegenerate": self.nondegenerate, "verdict": self.verdict,
                         "max_abs_certificate": self.max_abs_certificate, "equation_residual": self.residual,
                         "tv_norm": self.tv_norm, "dual_value": self.dual_value, "reason": self.reason,
                         "extremal_set": [q.to_dict() for q in self.extremal.points],
                         **self.nondegeneracy.to_dict()})


def precertificate(arrangement: Arrangement, theta: np.ndarray, signs: np.ndarray, *,
                   tol: Tolerances | None = None) -> tuple[np.ndarray, float]:
    """The least-norm p of the module docstring and the residual of its equations.

    Parameters
    ----------
    arrangement : Arrangement
    theta : array (k, n_features + 1)
    signs : array of int (k,)
    tol : Tolerances, optional

    Returns
    -------
    p : array (n,)
    residual : float
        ``max |Aeq p - b|``.
    """
    Aeq, b = precertificate_system(arrangement, theta, signs, tol=tol)
    p, *_ = np.linalg.lstsq(Aeq, b, rcond=None)
    return p, float(np.max(np.abs(Aeq @ p - b), initial=0.0))


def boundary_multiplier_defect(arrangement: Arrangement, p: np.ndarray, theta: np.ndarray, signs: np.ndarray,
                               *, tol: Tolerances | None = None) -> tuple[float, str]:
    """How far ``p`` is from having non-negative facet multipliers at the boundary atoms
    (proofs/p0_precertificate.md, "Validity at boundary atoms").

    For an atom ``theta`` of sign ``s`` on the hyperplanes ``I`` and every chamber C whose
    closure holds it, ``theta`` is C's maximiser of ``s eta_p = <., s v_C>`` with value 1 iff
    ``theta = P_C(s v_C)``, i.e. ``theta - s v_C(p) = sum_{i in I} mult_i g_i`` for some
    ``mult >= 0`` (``g_i = +-x~_i`` the inward normals: Moreau). Returns the largest
    residual of that non-negative least-squares fit, relative to ``max(1, ||v_C||)``, and
    where it occurs. A wrong-signed multiplier ``m`` shows here linearly (residual
    ``|m|``), while it raises the region maximum only to ``sqrt(1 + m^2) ~ 1 + m^2 / 2``,
    inside any float tolerance on ``max |eta|`` for small ``m``.

    Parameters
    ----------
    arrangement : Arrangement
    p : array (n,)
    theta : array (k, n_features + 1)
        The atoms (only those on hyperplanes are examined).
    signs : array of int (k,)
    tol : Tolerances, optional

    Returns
    -------
    defect : float
        0 when every multiplier is non-negative.
    where : str
        The atom and chamber of the largest defect ("" when none).
    """
    from scipy.optimize import nnls

    tol = resolve(tol)
    Xl = arrangement.X_lift
    act = arrangement.active()
    worst, where = 0.0, ""
    for j, (th, s) in enumerate(zip(np.atleast_2d(theta), signs)):
        planes = on_hyperplanes(Xl, th, tol)
        if planes.size == 0:
            continue
        for k in closure_chambers(arrangement, th, planes, act):
            A = act[k]
            v = Xl[A].T @ p[A]
            U = np.where(A[planes], 1.0, -1.0)[:, None] * Xl[planes]
            _mult, res = nnls(U.T, th - s * v)
            rel = float(res) / max(1.0, float(np.linalg.norm(v)))
            if rel > worst:
                worst, where = rel, f"atom {j} in chamber {int(k)}"
    return worst, where


def precertificate_system(arrangement: Arrangement, theta: np.ndarray, signs: np.ndarray, *,
                          tol: Tolerances | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The equations ``Aeq p = b`` of the module docstring (the low-noise analysis,
    :mod:`relucert.experiments.lownoise`, needs the kernel of ``Aeq``).

    Parameters
    ----------
    arrangement : Arrangement
    theta : array (k, n_features + 1)
    signs : array of int (k,)
    tol : Tolerances, optional

    Returns
    -------
    Aeq : array (m, n)
    b : array (m,)
    """
    tol = resolve(tol)
    Xl = arrangement.X_lift
    n, D = Xl.shape
    act = arrangement.active()
    rows = []
    rhs = []
    for th, s in zip(np.atleast_2d(theta), signs):
        planes = on_hyperplanes(Xl, th, tol)
        chambers = closure_chambers(arrangement, th, planes, act)
        if chambers.size == 0:
            raise ValueError(f"atom {th.tolist()} lies in no chamber's closure")
        A = act[chambers[0]]
        L = (Xl * A[:, None]).T              # (D, n): p -> v_C(p)
        if planes.size:
            B = Xl[planes].T                 # (D, |I|)
            P = np.eye(D) - B @ np.linalg.pinv(B)
        else:
            P = np.eye(D)
        rows.append(P @ L)
        rhs.append(s * (P @ th))
    return np.vstack(rows), np.concatenate(rhs)


def p0_certificate(X, y, theta, amplitude, *, arrangement: Arrangement | None = None,
                   tol: Tolerances | None = None) -> P0Certificate:
    """The (P_0) certificate for the solution ``mu_0 = sum a_k delta_{theta_k}`` of
    ``min ||mu||_TV s.t. K mu = y`` (see the module docstring).

    Parameters
    ----------
    X : array (n_samples, n_features)
    y : array (n_samples,)
    theta : array (k, n_features + 1)
    amplitude : array (k,)
    arrangement : Arrangement, optional
        The chambers of ``X`` (enumerated here when None).
    tol : Tolerances, optional

    Returns
    -------
    P0Certificate

    Raises
    ------
    ValueError
        ``K mu_0 != y`` (within ``tol.primal_feas``).

    Examples
    --------
    One point ``x = 0`` with label 2: mu_0 = 2 delta_{(0, 1)} (the constant network 2),
    p_0 = (1,) and eta_0 = relu(b) reaches 1 only at the north pole: non-degenerate.

    >>> cert = p0_certificate([[0.0]], [2.0], [[0.0, 1.0]], [2.0])
    >>> cert.p.round(12).tolist(), cert.verdict
    ([1.0], <Degeneracy.NONDEGENERATE: 'non-degenerate'>)
    """
    tol = resolve(tol)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    Xl = lift(X)
    theta = np.asarray(theta, dtype=np.float64).reshape(-1, Xl.shape[1])
    amp = np.asarray(amplitude, dtype=np.float64).reshape(-1)
    keep = np.abs(amp) > tol.amplitude_zero * max(1.0, float(np.max(np.abs(amp), initial=0.0)))
    theta, amp = theta[keep], amp[keep]
    pred = relu_features(Xl, theta) @ amp
    scale = max(1.0, float(np.max(np.abs(y), initial=0.0)))
    if float(np.max(np.abs(pred - y), initial=0.0)) > tol.primal_feas * scale * max(1, len(amp)):
        raise ValueError("theta/amplitude: the measure does not interpolate y (K mu_0 != y); the (P_0) "
                         "certificate needs a solution of min ||mu||_TV s.t. K mu = y")
    arr = arrangement if arrangement is not None else enumerate_chambers(X, tol=tol)
    signs = np.sign(amp).astype(np.int64)
    p, residual = precertificate(arr, theta, signs, tol=tol)
    scan = scan_regions(arr, p, tol=tol)
    E = extremal_set(arr, scan, tol=tol)
    # ND1 for (P_0): |eta_0| < 1 outside the support of mu_0
    carries = np.zeros(len(E), dtype=bool)
    for j, q in enumerate(E.points):
        same = [k for k in range(len(amp)) if signs[k] == q.sign]
        carries[j] = any(np.linalg.norm(theta[k] - q.theta) <= tol.point_merge for k in same)
    nd = check_nondegeneracy(arr, scan, E, carries, tol=tol)
    max_abs = scan.max_abs
    tv = float(np.sum(np.abs(amp)))
    dual_val = dual_value(p, y, 0.0)
    eq_ok = residual <= tol.primal_feas * max(1.0, float(np.max(np.abs(p), initial=0.0)))
    defect, where = boundary_multiplier_defect(arr, p, theta, signs, tol=tol)
    mult_ok = defect <= tol.dual_feas
    valid = bool(eq_ok and max_abs <= 1.0 + tol.extremal and mult_ok)
    if not eq_ok:
        reason = (f"the pre-certificate equations are inconsistent (residual {residual:.3g}): no dual "
                  f"certificate vanishes in derivative at these atoms, so mu_0 is not a (P_0) solution")
    elif not mult_ok:
        reason = (f"the vanishing-derivative pre-certificate has a wrong-signed facet multiplier at a "
                  f"boundary atom ({where}: defect {defect:.3g}), so |eta| exceeds 1 next to it: p_0 != p_V, "
                  f"so the certificate of (P_0) is degenerate")
    elif not valid:
        reason = (f"the vanishing-derivative pre-certificate violates |eta| <= 1 (max {max_abs:.9g}): "
                  f"p_0 != p_V, so the certificate of (P_0) is degenerate")
    elif not nd.holds:
        failed = [c.name for c in nd.conditions if not c.passed]
        reason = f"p_V is the minimal-norm certificate p_0 (|eta| <= 1, <p, y> = ||mu_0||), but {', '.join(failed)} fail(s)"
    else:
        reason = "p_V is the minimal-norm certificate p_0 and it is non-degenerate (ND1-ND4)"
    return P0Certificate(p=p, valid=valid, is_minimal_norm=valid, nondegenerate=bool(valid and nd.holds),
                         max_abs_certificate=max_abs, residual=residual, tv_norm=tv, dual_value=dual_val,
                         reason=reason, extremal=E, nondegeneracy=nd, scan=scan)
