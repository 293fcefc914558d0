"""Exact maxima of a linear function on the cones of the chambers, for D = d + 1 <= 4.

On a chamber with inward facet normals ``g_j`` the closed cone is ``C = {G theta >= 0}``,
and ``max <theta, v>`` over ``C`` cut by the unit sphere is ``||P_C(v)||``, attained at
``P_C(v)/||P_C(v)||`` (DESIGN.md section 3). These kernels find ``P_C(v)`` for many chambers
at once from the faces of ``C`` (Moreau's characterisation: facet, edge or 2-face and
extreme-ray candidates; proofs/exchange_method.md). The chamber scan
(:mod:`relucert.lp.tv.oracle`) calls them chunk by chunk; a chamber they leave
unresolved (rounding at a near-degenerate corner) gets an exact NNLS projection there.
"""
from __future__ import annotations

from math import comb

import numpy as np

from relucert.lp.tv.chamber_arrays import (D4_BUCKETS, D4_WORK, MAX_PAIR_FACETS, count_buckets, feasible_in_cone,
                                           row_norms)

__all__ = ["face_maxima_small"]



def face_maxima_small(V: np.ndarray, G: np.ndarray, mask: np.ndarray, zero_rel: float, rays=None,
                       cutoff: float = -np.inf, pointed: bool = True):
    """Exact ``max <theta, v>`` over ``{G theta >= 0, ||theta|| = 1}`` for D = 2 or 3, all
    chambers at once, by Moreau's characterisation of the projection: ``w = P_C(v)`` iff
    ``w in C``, ``v - w = -sum_j mult_j g_j`` with ``mult >= 0`` over facets where
    ``<w, g_j> = 0``. Candidates: the projection onto one facet plane (``mult_j =
    -<v, g_j>/||g_j||^2 >= 0``) and, for D = 3 where no single facet works, onto an
    edge line ``span{g_j, g_k}^perp`` with both multipliers ``>= 0``. The first
    feasible candidate IS ``P_C(v)`` (the projection is unique); none means ``P_C(v) =
    0``. The maximum is ``||P_C(v)||`` at ``P_C(v)/||P_C(v)||``. (Chambers whose
    ``v`` is interior are handled by the caller.)
    Returns (value, point, resolved): value 0 and point NaN where the maximum is 0;
    ``resolved`` False where no candidate passed (rounding at a near-degenerate corner):
    the caller projects those with NNLS instead of concluding ``P_C(v) = 0``.

    ``pointed``: the cones are pointed (the data span R^D). A non-essential arrangement's
    chambers all hold the lineality line ``span(X~)^perp``; the intersections of facet
    planes are then that line, on which ``<v, r> = 0`` for every v, so the ray test would
    conclude ``P_C(v) = 0`` vacuously: with ``pointed=False`` it is skipped and such
    chambers stay unresolved (the caller's per-region projection decides them).

    ``cutoff``: chambers whose maximum is provably at most ``cutoff`` skip the lower-face
    stages; their value is that upper bound (point NaN). The bound is weak duality for
    the projection: for ``mu >= 0`` and ``theta`` in the cone, ``<v, theta> <=
    <v + mu g_j, theta> <= ||v + mu g_j||`` (``<g_j, theta> >= 0``), so every one-facet
    candidate with a non-negative multiplier bounds the maximum, as does ``||v||``.

    Parameters
    ----------
    V : ndarray, shape (mc, D)
        The vector ``v`` of each of the mc chambers.
    G, mask : ndarray
        :func:`padded_facets` of the chambers.
    zero_rel : float
        Relative rounding threshold (``tol.sign_zero``).
    rays : tuple, optional
        :func:`padded_rays` of the chambers (D = 4).
    cutoff : float
        Chambers whose maximum is provably at most this skip the lower-face stages.
    pointed : bool
        Whether the cones are pointed (the lifted data span R^D).

    Returns
    -------
    value : ndarray, shape (mc,)
        The maximum (or, below ``cutoff``, its upper bound); 0 where it is 0.
    point : ndarray, shape (mc, D)
        Unit maximiser; NaN where the value is 0 or only a bound.
    resolved : ndarray of bool, shape (mc,)
        False where no candidate passed (the caller projects those by NNLS).
    """
    mc, f, D = G.shape
    vn = row_norms(V)
    gn = row_norms(G)
    gn_safe = np.where(gn > 0, gn, 1.0)
    value = np.zeros(mc)
    point = np.full((mc, D), np.nan)
    # one facet
    vg = np.einsum("md,mfd->mf", V, G)
    mult = -vg / gn_safe ** 2
    # v + mult g cancels when |v| >> |W| (X in large units): its direction is off by
    # eps |v| / |W|, off the facet plane and across a thin chamber. The facet line (D = 2)
    # is spanned by g's perpendicular r, from the data alone: W = <v, r> r; for D >= 3 a
    # second projection puts W on the facet plane to eps |W| (the error left lies in the
    # plane, where eta moves only to second order). proofs/natural_units.md, "The
    # maximiser's direction".
    if D == 2:
        R = np.stack([-G[:, :, 1], G[:, :, 0]], axis=2) / gn_safe[:, :, None]
        W = np.einsum("md,mfd->mf", V, R)[:, :, None] * R
    else:
        W = V[:, None, :] + mult[:, :, None] * G                  # (mc, f, D)
        W = W - (np.einsum("mfd,mfd->mf", W, G) / gn_safe ** 2)[:, :, None] * G
    wn = row_norms(W)
    act = np.matmul(W, np.transpose(G, (0, 2, 1)))               # (mc, f, f): <W_j, g_k>
    feas = np.all((act >= -zero_rel * wn[:, :, None] * gn[:, None, :]) | ~mask[:, None, :], axis=2)
    ok = mask & (mult >= -zero_rel * vn[:, None] / gn_safe) & feas & (wn > zero_rel * vn[:, None])
    cand = np.where(ok, wn, -np.inf)
    j = np.argmax(cand, axis=1)
    done = np.isfinite(cand[np.arange(mc), j])
    value[done] = wn[done, j[done]]
    point[done] = W[done, j[done]] / value[done, None]
    if cutoff > -np.inf:
        ub = np.minimum(vn, np.min(np.where(mask & (mult >= 0), wn, np.inf), axis=1))
        low = ~done & (ub <= cutoff)
        value[low] = ub[low]
        done |= low
    rest = np.flatnonzero(~done)
    if D == 3 and 2 <= f <= MAX_PAIR_FACETS and rest.size:
        Vr, Gr, Mr, gr = V[rest], G[rest], mask[rest], gn[rest]
        a, b = np.triu_indices(f, 1)
        R = np.cross(Gr[:, a, :], Gr[:, b, :])                  # (mr, P, 3)
        rn = row_norms(R)
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
    if D == 4:
        # the best feasible one-facet candidate, multiplier test aside (it may fail by
        # rounding): one of the candidates of the largest-norm rule in _lower_faces_d4
        fcand = np.where(mask & feas & (wn > zero_rel * vn[:, None]), wn, -np.inf)
        jf = np.argmax(fcand, axis=1)
        fbest, fpoint = fcand[np.arange(mc), jf], W[np.arange(mc), jf]
        rest = np.flatnonzero(~done)
        counts = mask[rest].sum(axis=1)
        inside = (counts >= D4_BUCKETS[0][0]) & (counts <= D4_BUCKETS[-1][1])
        rest, counts = rest[inside], counts[inside]
        for at, hi in count_buckets(counts, D4_BUCKETS):
            sel = rest[at]
            step = max(1, D4_WORK // max(1, comb(hi, 2) * hi))   # pairs: the rays are cached
            for s0 in range(0, sel.size, step):
                rows = sel[s0:s0 + step]
                val, pt, ok = _lower_faces_d4(V[rows], G[rows, :hi], mask[rows, :hi],
                                              (rays[0][rows], rays[1][rows]), zero_rel,
                                              fbest[rows], fpoint[rows], pointed)
                value[rows], point[rows], done[rows] = val, pt, ok
        return value, point, done
    # P_C(v) = 0 iff <v, r> <= 0 on every extreme ray r of the (pointed) cone C: its
    # rays are the feasible directions on one facet line (D = 2) or on two facet planes
    # (D = 3).
    rest = np.flatnonzero(~done)
    if pointed and rest.size and (D == 2 or 2 <= f <= MAX_PAIR_FACETS):
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
        rn = row_norms(R)
        pm = pm & (rn > 0)
        R = R / np.where(rn > 0, rn, 1.0)[:, :, None]
        actr = np.matmul(R, np.transpose(Gr, (0, 2, 1)))
        feasr = pm & np.all((actr >= -zero_rel * gr[:, None, :]) | ~Mr[:, None, :], axis=2)
        vr = np.einsum("md,mpd->mp", Vr, R)
        has_ray = np.any(feasr, axis=1)
        nonpos = np.all((vr <= zero_rel * vn[rest][:, None]) | ~feasr, axis=1)
        done[rest[has_ray & nonpos]] = True
    return value, point, done


def _lower_faces_d4(V: np.ndarray, G: np.ndarray, mask: np.ndarray, rays, zero_rel: float,
                    facet_best: np.ndarray, facet_point: np.ndarray, pointed: bool = True):
    """D = 4, chambers whose projection is not on a single facet: ``P_C(v)`` lies in the
    relative interior of a 2-face (the plane where two facets meet) or of an extreme ray
    (three facets), or is 0. For every pair and triple of facets, the projection ``w``
    of ``v`` onto the intersection of their planes is a candidate; among the candidates
    inside ``C``, the largest ``||w||`` is ``||P_C(v)||`` (``||v - w||^2 = ||v||^2 -
    ||w||^2`` for such projections, and ``P_C(v)`` is the projection onto the span of
    its own face, whose planes are facet planes: proofs/exchange_method.md). The rays
    are the chambers' cached extreme rays ``(R, mask)`` (:func:`chamber_rays`); a ray's
    candidate is ``<v, r> r``. No candidate with ``w != 0``: ``P_C(v) = 0`` iff
    ``<v, r> <= 0`` on every extreme ray. A chamber settled by a 2-face candidate with
    non-positive multipliers (Moreau's condition) skips the rays. ``facet_best`` and
    ``facet_point``: the largest feasible one-facet candidate (norm and point, ``-inf``
    where none), from the caller's facet stage. ``pointed``: as in
    :func:`face_maxima_small` (no zero conclusion from the rays of non-pointed cones).
    Returns (value, point, resolved) as :func:`face_maxima_small`."""
    mc, f, D = G.shape
    vn = row_norms(V)
    gn = row_norms(G)
    value = np.zeros(mc)
    point = np.full((mc, D), np.nan)
    resolved = np.zeros(mc, dtype=bool)
    if f < 2:
        return value, point, resolved
    best = np.array(facet_best, dtype=np.float64)
    point[np.isfinite(best)] = facet_point[np.isfinite(best)]
    # 2-faces: w = v - [g_a g_b] M^-1 [g_a g_b]^T v
    a, b = np.triu_indices(f, 1)
    ga, gb = G[:, a, :], G[:, b, :]
    g11, g22, g12 = (np.sum(ga * ga, axis=2), np.sum(gb * gb, axis=2), np.sum(ga * gb, axis=2))
    s1, s2 = np.einsum("md,mpd->mp", V, ga), np.einsum("md,mpd->mp", V, gb)
    det = g11 * g22 - g12 * g12
    good = mask[:, a] & mask[:, b] & (det > zero_rel * g11 * g22)
    det = np.where(good, det, 1.0)
    mu1, mu2 = (s1 * g22 - s2 * g12) / det, (s2 * g11 - s1 * g12) / det
    W = V[:, None, :] - mu1[:, :, None] * ga - mu2[:, :, None] * gb
    # a second projection onto the 2-face's plane (as for the one-facet candidates)
    t1, t2 = np.einsum("mpd,mpd->mp", W, ga), np.einsum("mpd,mpd->mp", W, gb)
    W = W - ((t1 * g22 - t2 * g12) / det)[:, :, None] * ga - ((t2 * g11 - t1 * g12) / det)[:, :, None] * gb
    wn = row_norms(W)
    # rounding in <w, g_k> scales with the terms summed into w, not with ||w||: a thin
    # wedge (nearly opposite normals) has large multipliers and a small projection
    scale = vn[:, None] + np.abs(mu1) * np.sqrt(g11) + np.abs(mu2) * np.sqrt(g22)
    ok = good & feasible_in_cone(W, scale, G, gn, mask, zero_rel) & (wn > zero_rel * vn[:, None])
    # Moreau: v - w = mu1 g_a + mu2 g_b must lie in the polar cone (mu <= 0); a feasible
    # candidate with that certificate IS P_C(v) and its chamber needs no ray stage
    slack = zero_rel * vn[:, None] / np.sqrt(np.maximum(np.maximum(g11, g22), np.finfo(float).tiny))
    kkt = ok & (mu1 <= slack) & (mu2 <= slack)
    cand = np.where(ok, wn, -np.inf)
    j = np.argmax(cand, axis=1)
    hit = cand[np.arange(mc), j] > best
    best[hit] = cand[hit, j[hit]]
    point[hit] = W[hit, j[hit]]
    settled = np.any(kkt, axis=1)
    # extreme rays: the line where three facet planes meet (generalised cross product)
    rest = np.flatnonzero(~settled)
    if rest.size:
        R, rmask = rays[0][rest], rays[1][rest]
        t = np.einsum("md,mpd->mp", V[rest], R)
        cand = np.where(rmask & (t > zero_rel * vn[rest, None]), t, -np.inf)
        j = np.argmax(cand, axis=1)
        hit = cand[np.arange(rest.size), j] > best[rest]
        best[rest[hit]] = cand[hit, j[hit]]
        point[rest[hit]] = t[hit, j[hit], None] * R[hit, j[hit]]
        # no candidate: P_C(v) = 0 when v makes a non-positive product with every ray
        zero = (~np.isfinite(best[rest]) & np.any(rmask, axis=1)
                & np.all((t <= zero_rel * vn[rest, None]) | ~rmask, axis=1))
        resolved[rest] |= zero & pointed
    found = np.isfinite(best)
    value[found] = best[found]
    point[found] = point[found] / best[found, None]
    point[~found] = np.nan
    resolved |= found
    return value, point, resolved
