"""The critical noise ratio c_crit (proofs/critical_noise_ratio.md).

For ``y = y0 + c lam xi`` the limit of ``p_lam`` is the projection of ``c xi`` onto the
face F of dual solutions. ``F`` lies in ``{Gamma p = b}``, whose projection of ``c xi``
is ``q(c) = p_0 + c P_ker(Gamma) xi``; while ``q(c)`` is a non-degenerate certificate it
is in F, so it is the limit. The set of c >= 0 where ``q(c)`` is non-degenerate is an
interval ``[0, c_crit)`` (each condition is convex in c); ``c_crit`` is found by
bracketing and bisection, each step a full certificate check
(:func:`~relucert.experiments.lownoise.assessment.assess_certificate`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from relucert.arrangement import Arrangement
from relucert.tolerances import Tolerances, resolve
from relucert.experiments.lownoise.assessment import CertificateCheck, assess_certificate
from relucert.experiments.lownoise.minimal_norm import MinimalNormCertificate
from relucert.experiments.parameters import C_LIMIT, CRITICAL_RATIO

__all__ = ["CriticalRatio", "critical_noise_ratio"]


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
    """c_crit(xi) for the noise ``y = y0 + c lam xi`` (module docstring).

    Parameters
    ----------
    arrangement : Arrangement
    mnc : MinimalNormCertificate
        p_0 with its support and the kernel of its equations.
    xi : array (n,)
        The noise direction.
    tol : Tolerances, optional

    Returns
    -------
    CriticalRatio
    """
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
        if hi > C_LIMIT:
            return CriticalRatio(math.inf, direction, f"q(c) is non-degenerate up to c = {lo:g}", (lo, math.inf),
                                 count)
        last = check(hi)
    event = last.reason
    while hi - lo > CRITICAL_RATIO * hi:
        mid = 0.5 * (lo + hi)
        res = check(mid)
        if res.nondegenerate:
            lo = mid
        else:
            hi, event = mid, res.reason
    return CriticalRatio(0.5 * (lo + hi), direction, event, (lo, hi), count)

