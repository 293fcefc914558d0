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

_CHUNK = 4096
_FIRST_CHUNK = 64
# chambers with more facets than this go to NNLS for the edge phase (memory ~ f^3)
_MAX_PAIR_FACETS = 24


def chamber_vectors(arr: Arrangement, p: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """``V[k] = sum_{i active in chamber k} p_i x~_i``, shape (m, d + 1): the numpy path
    of :func:`relucert.gpu.certificate_vectors` (byte lookup tables; no torch needed)."""
    from relucert.gpu import certificate_vectors

    return certificate_vectors(arr, p, backend="numpy", rows=rows)


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


def _interior_masks(arr: Arrangement, rows: np.ndarray, V: np.ndarray, zero: np.ndarray):
    """Whether ``+V[j]/||V[j]||`` and ``-V[j]/||V[j]||`` lie strictly inside chamber ``rows[j]``."""
    S = arr.X_lift @ V.T                               # (n, mc)
    act = arr.active(rows).T                           # (n, mc)
    pos, neg = S > zero[:, None], S < -zero[:, None]
    plus = np.where(act, pos, neg).all(axis=0)
    minus = np.where(act, neg, pos).all(axis=0)
    return plus, minus


def _padded_facets(arr: Arrangement, rows: np.ndarray):
    """Inward facet normals of the chambers ``rows``, padded: (mc, fmax, D) and a mask."""
    starts = arr.facet_indptr[rows]
    counts = arr.facet_indptr[rows + 1] - starts
    fmax = int(counts.max(initial=0))
    mc, D = rows.shape[0], arr.X_lift.shape[1]
    G = np.zeros((mc, max(fmax, 1), D))
    mask = np.zeros((mc, max(fmax, 1)), dtype=bool)
    if fmax == 0:
        return G, mask
    k = np.arange(fmax)
    mask[:, :fmax] = k[None, :] < counts[:, None]
    r_idx, c_idx = np.nonzero(mask)
    hp = arr.facet_indices[starts[r_idx] + c_idx]
    act = arr.active(rows)
    sgn = np.where(act[r_idx, hp], 1.0, -1.0)
    G[r_idx, c_idx] = sgn[:, None] * arr.X_lift[hp]
    return G, mask


def _face_maxima_small(V: np.ndarray, G: np.ndarray, mask: np.ndarray, zero_rel: float):
    """Exact ``max <theta, v>`` over ``{G theta >= 0, ||theta|| = 1}`` for D = 2 or 3, all
    chambers at once, by Moreau's characterisation of the projection: ``w = P_C(v)`` iff
    ``w in C``, ``v - w = -sum_j lam_j g_j`` with ``lam >= 0`` over facets where
    ``<w, g_j> = 0``. Candidates: the projection onto one facet plane (``lam_j =
    -<v, g_j>/||g_j||^2 >= 0``) and, for D = 3 where no single facet works, onto an
    edge line ``span{g_j, g_k}^perp`` with both multipliers ``>= 0``. The first
    feasible candidate IS ``P_C(v)`` (the projection is unique); none means ``P_C(v) =
    0``. The maximum is ``||P_C(v)||`` at ``P_C(v)/||P_C(v)||``. (Chambers whose
    ``v`` is interior are handled by the caller.)
    Returns (value, point, resolved): value 0 and point NaN where the maximum is 0;
    ``resolved`` False where no candidate passed (rounding at a near-degenerate corner):
    the caller projects those with NNLS instead of concluding ``P_C(v) = 0``."""
    mc, f, D = G.shape
    vn = np.linalg.norm(V, axis=1)
    gn = np.linalg.norm(G, axis=2)
    gn_safe = np.where(gn > 0, gn, 1.0)
    value = np.zeros(mc)
    point = np.full((mc, D), np.nan)
    # one facet
    vg = np.einsum("md,mfd->mf", V, G)
    lam = -vg / gn_safe ** 2
    W = V[:, None, :] + lam[:, :, None] * G                      # (mc, f, D)
    wn = np.linalg.norm(W, axis=2)
    act = np.matmul(W, np.transpose(G, (0, 2, 1)))               # (mc, f, f): <W_j, g_k>
    feas = np.all((act >= -zero_rel * wn[:, :, None] * gn[:, None, :]) | ~mask[:, None, :], axis=2)
    ok = mask & (lam >= -zero_rel * vn[:, None] / gn_safe) & feas & (wn > zero_rel * vn[:, None])
    cand = np.where(ok, wn, -np.inf)
    j = np.argmax(cand, axis=1)
    done = np.isfinite(cand[np.arange(mc), j])
    value[done] = wn[done, j[done]]
    point[done] = W[done, j[done]] / value[done, None]
    rest = np.flatnonzero(~done)
    if D == 3 and 2 <= f <= _MAX_PAIR_FACETS and rest.size:
        Vr, Gr, Mr, gr = V[rest], G[rest], mask[rest], gn[rest]
        a, b = np.triu_indices(f, 1)
        R = np.cross(Gr[:, a, :], Gr[:, b, :])                  # (mr, P, 3)
        rn = np.linalg.norm(R, axis=2)
        R = R / np.where(rn > 0, rn, 1.0)[:, :, None]
        t = np.einsum("md,mpd->mp", Vr, R)
        Wp = t[:, :, None] * R                                  # projection onto the edge line
        # v - w = alpha g_a + beta g_b: need alpha, beta <= 0
        E = Vr[:, None, :] - Wp
        ga, gb = Gr[:, a, :], Gr[:, b, :]
        g11 = np.sum(ga * ga, axis=2)
        g22 = np.sum(gb * gb, axis=2)
        g12 = np.sum(ga * gb, axis=2)
        r1 = np.sum(E * ga, axis=2)
        r2 = np.sum(E * gb, axis=2)
        det = g11 * g22 - g12 * g12
        det_safe = np.where(np.abs(det) > 0, det, 1.0)
        alpha = (r1 * g22 - r2 * g12) / det_safe
        beta = (r2 * g11 - r1 * g12) / det_safe
        wpn = np.abs(t)
        actp = np.matmul(Wp, np.transpose(Gr, (0, 2, 1)))       # (mr, P, f)
        feasp = np.all((actp >= -zero_rel * wpn[:, :, None] * gr[:, None, :]) | ~Mr[:, None, :], axis=2)
        gmaxn = np.sqrt(np.maximum(g11, g22))
        slack = zero_rel * vn[rest][:, None] / np.where(gmaxn > 0, gmaxn, 1.0)
        okp = (Mr[:, a] & Mr[:, b] & (rn > 0) & (np.abs(det) > 0) & (alpha <= slack) & (beta <= slack)
               & feasp & (wpn > zero_rel * vn[rest][:, None]))
        candp = np.where(okp, wpn, -np.inf)
        q = np.argmax(candp, axis=1)
        hit = np.isfinite(candp[np.arange(rest.size), q])
        rows = rest[hit]
        value[rows] = wpn[hit, q[hit]]
        point[rows] = Wp[hit, q[hit]] / value[rows, None]
        done[rows] = True
    # P_C(v) = 0 iff <v, r> <= 0 on every extreme ray r of the (pointed) cone C: its
    # rays are the feasible directions on one facet line (D = 2) or on two facet planes
    # (D = 3).
    rest = np.flatnonzero(~done)
    if rest.size and (D == 2 or 2 <= f <= _MAX_PAIR_FACETS):
        Vr, Gr, Mr, gr = V[rest], G[rest], mask[rest], gn[rest]
        if D == 2:
            R = np.stack([-Gr[:, :, 1], Gr[:, :, 0]], axis=2)
            pm = Mr
        else:
            a, b = np.triu_indices(f, 1)
            R = np.cross(Gr[:, a, :], Gr[:, b, :])
            pm = Mr[:, a] & Mr[:, b]
        R = np.concatenate([R, -R], axis=1)
        pm = np.concatenate([pm, pm], axis=1)
        rn = np.linalg.norm(R, axis=2)
        pm = pm & (rn > 0)
        R = R / np.where(rn > 0, rn, 1.0)[:, :, None]
        actr = np.matmul(R, np.transpose(Gr, (0, 2, 1)))
        feasr = pm & np.all((actr >= -zero_rel * gr[:, None, :]) | ~Mr[:, None, :], axis=2)
        vr = np.einsum("md,mpd->mp", Vr, R)
        has_ray = np.any(feasr, axis=1)
        nonpos = np.all((vr <= zero_rel * vn[rest][:, None]) | ~feasr, axis=1)
        done[rest[has_ray & nonpos]] = True
    return value, point, done


def _batched_maxima(arr: Arrangement, p: np.ndarray, rows: np.ndarray, inside_pm, tol: Tolerances):
    """For d >= 3: the region maxima of a chunk by the batched projections of
    :func:`relucert.gpu.region_maxima` (torch or numpy; values near 1 and unconverged
    ones recomputed exactly there), when enough chambers need a projection to beat the
    per-region loop (its measured threshold ``BATCH_MIN_CHAMBERS``). Returns
    ``{True: (vals, pts) for +eta, False: for -eta}`` or None (use the loop)."""
    from relucert.gpu import BATCH_MIN_CHAMBERS, region_maxima as batched_region_maxima

    need = ~(inside_pm[0] & inside_pm[1])
    if int(need.sum()) < BATCH_MIN_CHAMBERS:
        return None
    sel = np.flatnonzero(need)
    rm = batched_region_maxima(arr.subset(rows[sel]), p, tol=tol, prune=False)
    out = {}
    for positive, mx, pt in ((True, rm.max_pos, rm.point_pos), (False, rm.max_neg, rm.point_neg)):
        vals = np.zeros(rows.shape[0])
        pts = np.full((rows.shape[0], arr.X_lift.shape[1]), np.nan)
        vals[sel] = np.nan_to_num(mx, nan=0.0)
        pts[sel] = pt
        out[positive] = (vals, pts)
    return out


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
        small = arr.X_lift.shape[1] in (2, 3)
        if small:
            G, gmask = _padded_facets(arr, rows)
        nr = norms[rows]
        inside_pm = _interior_masks(arr, rows, Vc, zero)
        batched = None if small else _batched_maxima(arr, p, rows, inside_pm, tol)
        for sign, inside in zip((1.0, -1.0), inside_pm):
            n_int += int(inside.sum())
            if small:
                # exact face maxima for every chamber of the chunk, vectorised
                vals, pts, resolved = _face_maxima_small(sign * Vc, G, gmask, tol.sign_zero)
                n_proj += int((~inside).sum())
                for j in np.flatnonzero(~resolved & ~inside):
                    r = region_max(sign * Vc[j], arr.inward_normals(int(rows[j])), tol=tol)
                    if r.point is not None:
                        vals[j], pts[j] = r.value, r.point
                    else:
                        vals[j], pts[j] = 0.0, np.nan
            elif batched is not None:
                vals, pts = batched[sign > 0]
                n_proj += int((~inside).sum())
            else:
                vals = np.zeros(rows.shape[0])
                pts = np.full(Vc.shape, np.nan)
                for j in np.flatnonzero(~inside):
                    r = region_max(sign * Vc[j], arr.inward_normals(int(rows[j])), tol=tol)
                    n_proj += 1
                    if r.point is not None:
                        vals[j], pts[j] = r.value, r.point
            vals = np.where(inside, nr, vals)
            pts = np.where(inside[:, None], sign * Vc / nr[:, None], pts)
            # a projection at rounding level of ||v|| is the zero vector (its direction
            # is noise): the region maximum is 0
            vals = np.where(vals > tol.sign_zero * nr, vals, 0.0)
            if vals.size:
                best = max(best, float(vals.max()))
            hit = vals > threshold
            found_k.extend(rows[hit].tolist())
            found_s.extend([int(sign)] * int(hit.sum()))
            found_v.extend(vals[hit].tolist())
            found_pt.extend(list(pts[hit]))
    D = arr.X_lift.shape[1]
    return RegionScan(chamber=np.asarray(found_k, dtype=np.int64), sign=np.asarray(found_s, dtype=np.int8),
                      value=np.asarray(found_v, dtype=np.float64),
                      point=np.asarray(found_pt, dtype=np.float64).reshape(-1, D),
                      max_value=float(best), complete=complete, threshold=float(threshold),
                      n_projected=n_proj, n_interior=n_int)
