"""Measuring one point of the low-noise sweep: the Diracs a solution resolves, their
location and amplitude errors against the (P_0) solution's atoms, and the log-log
slopes of those errors over the smallest lams (proofs/lownoise_rate.md)."""
from __future__ import annotations

import math

import numpy as np

from relucert._model import lift, relu_features
from relucert.solution import Solution
from relucert.tolerances import Tolerances, resolve
from relucert.experiments.lownoise.assessment import support_atoms
from relucert.experiments.parameters import N_FIT, PINNED

__all__ = ["angle", "resolution_bound", "measure_errors", "fit_slope", "fit_slopes"]


def angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between unit vectors, accurate for small angles: ``2 arcsin(||a - b|| / 2)``.

    >>> round(angle(np.array([1.0, 0.0]), np.array([0.0, 1.0])) * 2 / math.pi, 12)
    1.0

    Parameters
    ----------
    a, b : array
        Unit vectors.

    Returns
    -------
    float
        Radians.
    """
    return float(2.0 * math.asin(min(1.0, float(np.linalg.norm(np.asarray(a) - np.asarray(b))) / 2.0)))


def resolution_bound(solution: Solution) -> float:
    """The prediction error certified by the solution's duality gap:
    ``sqrt(2 G) + lam ||p - q||``, q the scaled-feasible dual.

    ``D`` is ``lam^2``-strongly concave, so ``||q - p_lam|| <= sqrt(2 G) / lam``; the
    predictions are ``y - lam p``, hence ``||K mu - K mu*|| <= lam ||p - q|| + sqrt(2 G)``.
    An atom whose own contribution ``|a| ||phi(theta)||`` to the predictions is below
    this bound is not resolved by the solve and is not counted as a Dirac.

    Parameters
    ----------
    solution : Solution

    Returns
    -------
    float
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

    Parameters
    ----------
    solution : Solution
    reference : sequence of SupportAtom
        The (P_0) solution's atoms.
    tol : Tolerances, optional

    Returns
    -------
    dict
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

    Parameters
    ----------
    lams, errs : sequence of float

    Returns
    -------
    float or None
    """
    lams = np.asarray(lams, dtype=np.float64)
    errs = np.asarray(errs, dtype=np.float64)
    if lams.size < 2 or not np.all(np.isfinite(errs)) or not np.all(errs > 0):
        return None
    slope, _ = np.polyfit(np.log(lams), np.log(errs), 1)
    return float(slope)


def fit_slopes(points, n_atoms: int) -> tuple[dict, tuple]:
    """Slopes of the location error, the amplitude error and the dual distance over the
    ``N_FIT`` smallest lams of ``points``; pinned atoms (location error below ``PINNED``
    at every one of those lams, :mod:`relucert.experiments.parameters`) are left out of
    the location slope.

    Parameters
    ----------
    points : sequence of SweepPoint
    n_atoms : int
        Number of reference atoms.

    Returns
    -------
    slopes : dict
        ``loc_err``, ``amp_err``, ``dual_dist`` (None where not fitted) and ``fit_lams``.
    pinned : tuple of int
        Indices of the pinned reference atoms.
    """
    if not points:
        return {"loc_err": None, "amp_err": None, "dual_dist": None}, ()
    L = np.array([pt.loc_errs for pt in points]).reshape(len(points), n_atoms)
    order = np.argsort([pt.lam for pt in points])[:N_FIT]
    Lf = L[order]
    pinned = tuple(j for j in range(n_atoms) if np.all(np.isfinite(Lf[:, j])) and np.all(Lf[:, j] < PINNED))
    free = [j for j in range(n_atoms) if j not in pinned]
    lam_fit = [points[i].lam for i in order]
    loc = [float(np.max(L[i, free])) if free else float("nan") for i in order]
    amp = [points[i].amp_err for i in order]
    dual = [points[i].dual_dist if points[i].dual_dist is not None else float("nan") for i in order]
    return ({"loc_err": fit_slope(lam_fit, loc) if free else None, "amp_err": fit_slope(lam_fit, amp),
             "dual_dist": fit_slope(lam_fit, dual), "fit_lams": lam_fit}, pinned)
