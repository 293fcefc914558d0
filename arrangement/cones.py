"""The maximum of a linear function on a dual region (a polyhedral cone cut by the
unit ball), by projection onto the cone (Moreau decomposition).

For ``C = {theta : G theta >= 0}`` (rows ``g_j = s_j x~_j``) and any ``v``::

    max { <theta, v> : theta in C, ||theta|| <= 1 } = ||P_C(v)||,
    P_C(v) = v + G^T mult*,   mult* = argmin_{mult >= 0} || v + G^T mult ||.

If ``P_C(v) != 0`` the maximiser is unique: ``P_C(v) / ||P_C(v)||``. The
multipliers ``mult*`` prove the bound (proofs/one_extremum_per_region.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.tolerances import Tolerances, resolve

__all__ = ["RegionMax", "region_max", "interior_margin"]


@dataclass(frozen=True)
class RegionMax:
    """``value = ||P_C(v)||``, ``point`` the maximiser (None when value is 0),
    ``multipliers`` ``mult*`` (one per row of G), ``projection`` ``P_C(v)``."""

    value: float
    point: np.ndarray | None
    multipliers: np.ndarray
    projection: np.ndarray


def region_max(v: np.ndarray, G: np.ndarray, *, tol: Tolerances | None = None) -> RegionMax:
    """Maximum of ``<theta, v>`` over ``{G theta >= 0, ||theta|| <= 1}`` (one region;
    :func:`relucert.arrangement.region_maxima` is the batched form).

    Parameters
    ----------
    v : (D,) array
        The linear function.
    G : (k, D) array
        Inward facet normals of the cone (rows ``s_j x~_j``).
    tol : Tolerances or None
        Accepted for a uniform signature; the projection (scipy's NNLS) uses none.

    Returns
    -------
    RegionMax
        ``value = ||P_C(v)||``, the maximiser, the multipliers and the projection.

    Examples
    --------
    The quarter plane ``{theta >= 0}`` in R^2 and ``v = (1, -1)``: the maximiser is
    ``(1, 0)`` with value 1, and the multiplier of the second facet is 1.

    >>> r = region_max(np.array([1.0, -1.0]), np.eye(2))
    >>> float(r.value), r.point.tolist(), r.multipliers.tolist()
    (1.0, [1.0, 0.0], [0.0, 1.0])
    """
    resolve(tol)
    v = np.asarray(v, dtype=np.float64)
    G = np.asarray(G, dtype=np.float64).reshape(-1, v.shape[0])
    if G.shape[0] == 0:
        mult = np.zeros(0)
        proj = v.copy()
    else:
        from scipy.optimize import nnls   # (imported on first use: scipy.optimize costs 0.1-0.3 s to import)

        mult, _ = nnls(G.T, -v)
        mult = np.maximum(mult, 0.0)
        proj = v + G.T @ mult
    value = float(np.linalg.norm(proj))
    point = proj / value if value > 0 else None
    return RegionMax(value=value, point=point, multipliers=mult, projection=proj)


def interior_margin(M: np.ndarray, duals: bool = False):
    """``max tau`` s.t. ``M theta >= tau`` (rows of ``M`` unit) and ``-1 <= theta <= 1``: the
    cone ``{M theta >= 0}`` has interior points iff ``tau > 0`` (a float LP, HiGHS).

    Returns
    -------
    tau : float
        The optimum (``-inf`` when the LP fails).
    theta : np.ndarray, shape (D,) or None
        A point with margin ``tau``.
    y : np.ndarray, shape (k,) or None
        With ``duals``: the LP's multipliers of the rows (``y >= 0``, ``sum y = 1``; at
        ``tau = 0`` with the box inactive, ``M^T y = 0``: Gordan's certificate that the cone
        has no interior, in floats).

    Examples
    --------
    >>> tau, theta = interior_margin(np.eye(2))
    >>> float(tau), theta.tolist()
    (1.0, [1.0, 1.0])
    """
    from scipy.optimize import linprog

    M = np.asarray(M, dtype=np.float64)
    D = M.shape[1]
    res = linprog(np.r_[np.zeros(D), -1.0], A_ub=np.hstack([-M, np.ones((M.shape[0], 1))]),
                  b_ub=np.zeros(M.shape[0]), bounds=[(-1.0, 1.0)] * D + [(None, 1.0)], method="highs")
    if res.status != 0:
        return (-np.inf, None, None) if duals else (-np.inf, None)
    if duals:
        return float(-res.fun), res.x[:D], np.maximum(-res.ineqlin.marginals, 0.0)
    return float(-res.fun), res.x[:D]
