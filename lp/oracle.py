"""The exact oracle: the maximum of ``|eta_p|`` on every dual region.

On the chamber with activation set ``A`` the certificate is linear,
``eta(theta) = <theta, v_A>`` with ``v_A = sum_{i in A} p_i x~_i``; its maximum on the
closed region (cut by the unit sphere) is ``||P_C(v_A)||`` (DESIGN.md section 3,
``relucert.arrangement.region_max``), and ``||P_C(v)|| <= ||v||``.

:func:`chamber_vectors` computes ``v_A`` for all chambers at once from the packed
sign patterns: for every byte column of the packed patterns, a table of the 256
possible partial sums is gathered (vectorised, memory ``O(m (d + 1))``).

:func:`region_maxima` scans chambers in decreasing ``||v_A||``. A chamber whose
``||v_A||`` is below the current cut-off cannot matter (no projection needed). When
``v/||v||`` lies strictly inside the chamber the maximum is ``||v||`` itself (checked
in one vectorised pass); the others get an exact cone projection (NNLS).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.arrangement.chambers import Arrangement
from relucert.arrangement.cones import region_max
from relucert.tolerances import Tolerances, resolve

__all__ = ["chamber_vectors", "RegionScan", "region_maxima"]

_BYTE_BITS = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(np.float64)
_CHUNK = 4096
_FIRST_CHUNK = 64


def chamber_vectors(arr: Arrangement, p: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """``V[k] = sum_{i active in chamber k} p_i x~_i``, shape (m, d + 1)."""
    p = np.asarray(p, dtype=np.float64)
    W = p[:, None] * arr.X_lift
    signs = arr.signs if rows is None else arr.signs[rows]
    V = np.zeros((signs.shape[0], W.shape[1]))
    for b in range(signs.shape[1]):
        block = W[8 * b: 8 * b + 8]
        table = _BYTE_BITS[:, :block.shape[0]] @ block
        V += table[signs[:, b]]
    return V


@dataclass(frozen=True)
class RegionScan:
    """Region maxima of ``+eta`` and ``-eta`` above a threshold.

    ``chamber``, ``sign`` (+1 or -1), ``value`` and ``point`` (unit maximisers) list
    every (region, sign) whose maximum exceeds ``threshold`` (only the first ``limit``
    found in decreasing ``||v||`` order when the scan stopped early). ``max_value`` is
    the exact ``max |eta|`` over the sphere when ``complete`` (and, if no region
    exceeds the threshold, the largest maximum met, every skipped region being at most
    it). ``n_projected`` counts NNLS projections, ``n_interior`` the chambers settled by
    the interior test.
    """

    chamber: np.ndarray
    sign: np.ndarray
    value: np.ndarray
    point: np.ndarray
    max_value: float
    complete: bool
    threshold: float
    n_projected: int
    n_interior: int

    @property
    def n_found(self) -> int:
        return int(self.chamber.shape[0])


def _interior_mask(arr: Arrangement, rows: np.ndarray, V: np.ndarray, sign: float, zero: np.ndarray) -> np.ndarray:
    """Whether ``sign * V[j] / ||V[j]||`` lies strictly inside chamber ``rows[j]``."""
    S = sign * (arr.X_lift @ V.T)                      # (n, mc)
    act = arr.active(rows).T                           # (n, mc)
    inside = np.where(act, S > zero[:, None], S < -zero[:, None])
    return inside.all(axis=0)


def region_maxima(arr: Arrangement, p: np.ndarray, threshold: float, *, limit: int | None = None,
                  V: np.ndarray | None = None, tol: Tolerances | None = None) -> RegionScan:
    """Exact maxima of ``eta_p`` and ``-eta_p`` on the dual regions above ``threshold``.

    Parameters
    ----------
    arr : the arrangement (every chamber of the data).
    p : (n,) dual vector.
    threshold : list the (region, sign) pairs whose maximum exceeds it.
    limit : stop after this many are found (the scan is then ``complete=False``).
    V : precomputed :func:`chamber_vectors` (optional).

    Examples
    --------
    Three points ``x = 0, 1, 2``: with ``p = (0, 0, 1)`` the certificate is
    ``max(0, <theta, (2, 1)>)``, largest (``sqrt 5``) at ``theta = (2, 1)/sqrt 5``.

    >>> from relucert.arrangement import enumerate_chambers
    >>> arr = enumerate_chambers(np.array([[0.0], [1.0], [2.0]]))
    >>> scan = region_maxima(arr, np.array([0.0, 0.0, 1.0]), 1.0)
    >>> round(scan.max_value ** 2, 12), (scan.point[scan.value.argmax()] * 5 ** 0.5).round(9).tolist()
    (5.0, [2.0, 1.0])
    """
    tol = resolve(tol)
    if V is None:
        V = chamber_vectors(arr, p)
    norms = np.linalg.norm(V, axis=1)
    order = np.argsort(-norms, kind="stable")
    order = order[norms[order] > 0]
    zero = tol.sign_zero * np.linalg.norm(arr.X_lift, axis=1)
    found_k, found_s, found_v, found_pt = [], [], [], []
    best = 0.0
    n_proj = n_int = 0
    complete = True
    pos = 0
    chunk = _FIRST_CHUNK  # small first: a scan that stops at the first violator stays cheap
    while pos < order.shape[0]:
        cutoff = min(threshold, best)
        if norms[order[pos]] <= cutoff:
            break
        if limit is not None and len(found_k) >= limit:
            complete = False
            break
        rows = order[pos:pos + chunk]
        rows = rows[norms[rows] > cutoff]
        pos += chunk
        chunk = min(2 * chunk, _CHUNK)
        Vc = V[rows]
        for sign in (1.0, -1.0):
            inside = _interior_mask(arr, rows, Vc, sign, zero)
            n_int += int(inside.sum())
            for j in range(rows.shape[0]):
                k = int(rows[j])
                if inside[j]:
                    value = float(norms[k])
                    point = sign * Vc[j] / value
                else:
                    r = region_max(sign * Vc[j], arr.inward_normals(k), tol=tol)
                    n_proj += 1
                    # a projection at rounding level of ||v|| is the zero vector (its
                    # direction is noise): the region maximum is 0
                    if r.point is None or r.value <= tol.sign_zero * float(norms[k]):
                        continue
                    value, point = r.value, r.point
                best = max(best, value)
                if value > threshold:
                    found_k.append(k)
                    found_s.append(int(sign))
                    found_v.append(value)
                    found_pt.append(point)
    D = arr.X_lift.shape[1]
    return RegionScan(chamber=np.asarray(found_k, dtype=np.int64), sign=np.asarray(found_s, dtype=np.int8),
                      value=np.asarray(found_v, dtype=np.float64),
                      point=np.asarray(found_pt, dtype=np.float64).reshape(-1, D),
                      max_value=float(best), complete=complete, threshold=float(threshold),
                      n_projected=n_proj, n_interior=n_int)
