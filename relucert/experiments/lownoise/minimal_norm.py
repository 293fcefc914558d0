"""The minimal-norm certificate of (P_0) with its margins, and its exact check.

The certificate itself is computed by :mod:`relucert.verify.p0` (the vanishing-derivative
pre-certificate ``p_V``: the least-norm solution of the stationarity equations
``Gamma p = b`` of the (P_0) solution's atoms, which is p_0 when it is a valid
certificate, with ND1-ND4). This module adds the margins
(:func:`~relucert.experiments.lownoise.assessment.assess_certificate`), the kernel of
``Gamma`` and the rank condition of the O(lam) rate, and the exact rational
verification of the (P_0) optimum (proofs/minimal_norm_certificate.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from relucert._model import relu_features
from relucert.arrangement import Arrangement
from relucert.results import jsonable
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve
from relucert.experiments.lownoise.assessment import CertificateCheck, assess_certificate, support_atoms
from relucert.verify.p0 import P0Certificate, p0_certificate, precertificate_system

__all__ = ["MinimalNormCertificate", "minimal_norm_certificate", "ExactP0Check", "exact_p0_check"]


def _kernel_projector(Gamma: np.ndarray, n: int, tol: Tolerances) -> np.ndarray:
    _, s, Vt = np.linalg.svd(Gamma, full_matrices=False)
    r = int(np.count_nonzero(s > tol.rank * max(1.0, float(s[0]))))
    V = Vt[:r].T
    return np.eye(n) - V @ V.T



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

    Parameters
    ----------
    arrangement : Arrangement
    y0 : array (n,)
        The noiseless labels.
    theta : array (k, d + 1)
    amplitude : array (k,)
        The (P_0) solution.
    tol : Tolerances, optional

    Returns
    -------
    MinimalNormCertificate

    Raises
    ------
    ValueError
        The (P_0) solution has no atom.

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
    :class:`ExactP0Check`).

    Parameters
    ----------
    arrangement : Arrangement
    y0 : array (n,)
    mnc : MinimalNormCertificate
    tol : Tolerances, optional

    Returns
    -------
    ExactP0Check
        Fails closed: never raises for a certificate that does not verify.
    """
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

