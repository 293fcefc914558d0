"""Float scan of a dual certificate over every dual region (DESIGN.md sections 2 and 3).

On the chamber with activation set A the certificate ``eta_p(theta) = sum_i p_i
relu(<theta, x~_i>)`` is linear, ``<theta, v_A>`` with ``v_A = sum_{i in A} p_i x~_i``.
Its maximum over the closed region (the chamber's closure cut by the unit sphere) is
``||P_C(v_A)||`` and, when positive, is reached at the single point
``P_C(v_A) / ||P_C(v_A)||`` (Moreau; proofs/one_extremum_per_region.md). The minimum is
``-||P_C(-v_A)||``. This module computes both for every chamber, with the maximisers,
the projection multipliers on the chamber's facets, and the hyperplanes each maximiser
lies on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.arrangement import Arrangement, region_max
from relucert.tolerances import Tolerances, resolve

__all__ = ["RegionScan", "scan_regions", "certificate_values", "on_hyperplanes", "maximiser_hyperplanes"]


@dataclass(frozen=True, eq=False)
class RegionScan:
    """Per-chamber extrema of ``eta_p`` and ``-eta_p``.

    ``value[k, 0]`` is ``max eta`` on region k, ``value[k, 1]`` is ``max (-eta)``
    (so the minimum of eta is ``-value[k, 1]``); ``point[k, s]`` the maximiser
    (NaN row when the maximum is 0 and the maximiser is not unique);
    ``multipliers[k][s]`` the projection multipliers on ``arrangement.facets(k)`` and
    ``hyperplanes[k][s]`` the hyperplanes the maximiser lies on, for the chambers whose
    maximum of either sign reaches ``1 - tol.extremal - tol.gpu_margin`` (the only ones
    the extremal set, non-degeneracy and uniqueness analyses read); ``None`` elsewhere.
    """

    p: np.ndarray
    v: np.ndarray                 # (m, d + 1)
    value: np.ndarray             # (m, 2)
    point: np.ndarray             # (m, 2, d + 1)
    multipliers: tuple            # m entries: None, or a tuple of two arrays
    hyperplanes: tuple            # m entries: None, or two int arrays (hyperplanes the maximiser lies on)

    @property
    def n_chambers(self) -> int:
        return int(self.v.shape[0])

    @property
    def max_abs(self) -> float:
        """``max |eta_p|`` over the sphere."""
        return float(np.max(self.value, initial=0.0))


#: sign index -> sign value
SIGNS = (1, -1)


def certificate_values(X_lift: np.ndarray, p: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``eta_p`` at the rows of ``theta`` (unit vectors), shape (k,)."""
    theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    return np.maximum(0.0, theta @ X_lift.T) @ p


def on_hyperplanes(X_lift: np.ndarray, theta: np.ndarray, tol: Tolerances) -> np.ndarray:
    """Indices i with ``|<theta, x~_i>| <= sign_zero * ||x~_i||``."""
    scale = np.linalg.norm(X_lift, axis=1)
    return np.flatnonzero(np.abs(X_lift @ theta) <= tol.sign_zero * scale)


def maximiser_hyperplanes(scan: RegionScan, X_lift: np.ndarray, k: int, si: int,
                          tol: Tolerances | None = None) -> np.ndarray:
    """The hyperplanes the maximiser ``scan.point[k, si]`` lies on (empty where the
    maximum is 0): recorded by the scan near the extremal threshold, computed here
    elsewhere."""
    if scan.hyperplanes[k] is not None:
        return scan.hyperplanes[k][si]
    if np.isnan(scan.point[k, si, 0]):
        return np.zeros(0, dtype=np.int64)
    return on_hyperplanes(X_lift, scan.point[k, si], resolve(tol))


def scan_regions(arrangement: Arrangement, p: np.ndarray, *, tol: Tolerances | None = None,
                 device: str = "auto") -> RegionScan:
    """Exact (up to float rounding) maxima of ``eta_p`` and ``-eta_p`` on every region.

    The maxima of all chambers come from the exchange oracle's vectorised exact
    projections (:func:`relucert.lp.tv.oracle.scan_all_chambers`: face candidates for d <= 3,
    the batched projections of :mod:`relucert.gpu` for large d >= 4 scans, each
    re-decided exactly near 1); the chambers whose maximum reaches ``1 - tol.extremal -
    tol.gpu_margin`` are then projected again one by one
    (:func:`relucert.arrangement.region_max`), which also gives the multipliers.
    ``device`` ("auto", "cpu", "cuda") is where the batched projections run.

    Examples
    --------
    One point ``x = 0``: two regions (bias > 0 and bias < 0); with ``p = (1,)`` the
    certificate is ``relu(b)``, maximal (value 1) at the north pole ``(0, 1)``.

    >>> from relucert.arrangement import enumerate_chambers
    >>> arr = enumerate_chambers(np.array([[0.0]]))
    >>> scan = scan_regions(arr, np.array([1.0]))
    >>> round(scan.max_abs, 12)
    1.0
    """
    tol = resolve(tol)
    p = np.asarray(p, dtype=np.float64)
    Xl = arrangement.X_lift
    m = arrangement.n_chambers
    D = Xl.shape[1]
    from relucert.gpu import certificate_vectors  # gpu/ is imported lazily (its numpy path)
    from relucert.lp.tv.oracle import scan_all_chambers

    V = certificate_vectors(arrangement, p, backend="numpy")
    value = np.zeros((m, 2))
    point = np.full((m, 2, D), np.nan)
    every = scan_all_chambers(arrangement, p, 0.0, V=V, tol=tol, device=device)  # every positive (region, sign)
    si = (every.sign < 0).astype(np.int64)
    value[every.chamber, si] = every.value
    point[every.chamber, si] = every.point
    mults: list = [None] * m
    planes: list = [None] * m
    near = np.flatnonzero(np.any(value >= 1.0 - tol.extremal - tol.gpu_margin, axis=1))
    for k in near:
        G = arrangement.inward_normals(int(k))
        mk = []
        hk = []
        for si, s in enumerate(SIGNS):
            r = region_max(s * V[k], G, tol=tol)
            mk.append(r.multipliers)
            # v in the polar cone: the projection is 0 up to rounding and its direction is
            # noise; a maximum below sign_zero * (size of the cancelling terms) counts as 0.
            noise = tol.sign_zero * max(1.0, float(np.linalg.norm(V[k])),
                                        float(np.linalg.norm(r.projection - s * V[k])))
            if r.point is not None and r.value > noise:
                value[k, si] = r.value
                point[k, si] = r.point
                hk.append(on_hyperplanes(Xl, r.point, tol))
            else:
                value[k, si] = 0.0
                point[k, si] = np.nan
                hk.append(np.zeros(0, dtype=np.int64))
        mults[k] = tuple(mk)
        planes[k] = tuple(hk)
    return RegionScan(p=p, v=V, value=value, point=point, multipliers=tuple(mults), hyperplanes=tuple(planes))
