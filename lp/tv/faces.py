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

import weakref
from itertools import combinations
from math import comb

import numpy as np

from relucert.arrangement.chambers import Arrangement, csr_positions

__all__ = ["interior_masks", "padded_facets", "face_maxima_small", "chamber_rays", "is_pointed", "padded_rays"]

# chambers with more facets than this go to NNLS for the edge phase (memory ~ f^3)
_MAX_PAIR_FACETS = 24
# d = 3 (D = 4): chambers grouped by facet count for the pair/triple candidates, and
# the number of (chamber, triple, facet) entries processed at once (memory)
_D4_BUCKETS = ((2, 6), (7, 9), (10, 13), (14, 18), (19, _MAX_PAIR_FACETS))
_D4_WORK = 1 << 21


def interior_masks(arr: Arrangement, rows: np.ndarray, V: np.ndarray, zero: np.ndarray):
    """Whether ``+V[j]/||V[j]||`` and ``-V[j]/||V[j]||`` lie strictly inside chamber ``rows[j]``.

    Tested on the chamber's facets only (its cone is the intersection of its facet
    half-spaces), ``O(facets)`` per chamber instead of ``O(n)``: inside iff
    ``<g, v> > zero`` for every inward facet normal ``g = +-x~_i``."""
    starts = arr.facet_indptr[rows]
    counts = arr.facet_indptr[rows + 1] - starts
    if rows.size == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    r_idx = np.repeat(np.arange(rows.size), counts)
    hp = arr.facet_indices[csr_positions(starts, counts)].astype(np.int64)
    act = (arr.signs[rows[r_idx], hp // 8] >> (hp % 8)) & 1
    dots = np.einsum("kd,kd->k", arr.X_lift[hp], V[r_idx]) * np.where(act == 1, 1.0, -1.0)
    z = zero[hp]
    plus = np.ones(rows.size, dtype=bool)
    minus = np.ones(rows.size, dtype=bool)
    np.logical_and.at(plus, r_idx, dots > z)
    np.logical_and.at(minus, r_idx, -dots > z)
    return plus, minus


def padded_facets(arr: Arrangement, rows: np.ndarray):
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
    candidate with a non-negative multiplier bounds the maximum, as does ``||v||``."""
    mc, f, D = G.shape
    vn = np.linalg.norm(V, axis=1)
    gn = np.linalg.norm(G, axis=2)
    gn_safe = np.where(gn > 0, gn, 1.0)
    value = np.zeros(mc)
    point = np.full((mc, D), np.nan)
    # one facet
    vg = np.einsum("md,mfd->mf", V, G)
    mult = -vg / gn_safe ** 2
    W = V[:, None, :] + mult[:, :, None] * G                      # (mc, f, D)
    wn = np.linalg.norm(W, axis=2)
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
    if D == 4:
        # the best feasible one-facet candidate, multiplier test aside (it may fail by
        # rounding): one of the candidates of the largest-norm rule in _lower_faces_d4
        fcand = np.where(mask & feas & (wn > zero_rel * vn[:, None]), wn, -np.inf)
        jf = np.argmax(fcand, axis=1)
        fbest, fpoint = fcand[np.arange(mc), jf], W[np.arange(mc), jf]
        rest = np.flatnonzero(~done)
        counts = mask[rest].sum(axis=1)
        for lo, hi in _D4_BUCKETS:
            sel = rest[(counts >= lo) & (counts <= hi)]
            step = max(1, _D4_WORK // max(1, comb(hi, 2) * hi))   # pairs: the rays are cached
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
    if pointed and rest.size and (D == 2 or 2 <= f <= _MAX_PAIR_FACETS):
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
    vn = np.linalg.norm(V, axis=1)
    gn = np.linalg.norm(G, axis=2)
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
    wn = np.linalg.norm(W, axis=2)
    # rounding in <w, g_k> scales with the terms summed into w, not with ||w||: a thin
    # wedge (nearly opposite normals) has large multipliers and a small projection
    scale = vn[:, None] + np.abs(mu1) * np.sqrt(g11) + np.abs(mu2) * np.sqrt(g22)
    ok = good & _feasible(W, scale, G, gn, mask, zero_rel) & (wn > zero_rel * vn[:, None])
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


def _cross4(A: np.ndarray, B: np.ndarray, C: np.ndarray) -> np.ndarray:
    """The generalised cross product of three vectors of R^4 (last axis): orthogonal to
    all three, norm the 3-volume they span; zero iff they are dependent."""
    m = {(j, k): B[..., j] * C[..., k] - B[..., k] * C[..., j] for j in range(4) for k in range(j + 1, 4)}

    def det3(j, k, l):  # columns j < k < l of [A; B; C]
        return A[..., j] * m[k, l] - A[..., k] * m[j, l] + A[..., l] * m[j, k]

    return np.stack([det3(1, 2, 3), -det3(0, 2, 3), det3(0, 1, 3), -det3(0, 1, 2)], axis=-1)


def _feasible(W: np.ndarray, scale: np.ndarray, G: np.ndarray, gn: np.ndarray, mask: np.ndarray,
              zero_rel: float) -> np.ndarray:
    """Whether the candidates ``W`` (mc, P, D) lie in their chamber's cone
    ``{G theta >= 0}``, with slack ``zero_rel * scale`` (``scale`` (mc, P): the size of
    the terms each candidate was computed from)."""
    act = np.matmul(W, np.transpose(G, (0, 2, 1)))                           # (mc, P, f)
    return np.all((act >= -zero_rel * scale[:, :, None] * gn[:, None, :]) | ~mask[:, None, :], axis=2)


_RAYS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def chamber_rays(arr: Arrangement, zero_rel: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit extreme rays of every chamber's cone for d = 3 (D = 4), as CSR ``(indptr,
    rays)``; computed once per arrangement (they do not depend on ``p``). A ray is the
    line where three facet planes meet (generalised cross product), kept with the sign
    that lies in the cone. Chambers with more than ``_MAX_PAIR_FACETS`` facets get none
    (their projections go to NNLS)."""
    key = (zero_rel,)
    cached = _RAYS.get(arr, {}).get(key)
    if cached is not None:
        return cached
    m = arr.n_chambers
    counts = np.diff(arr.facet_indptr)
    owners, found = [np.zeros(0, dtype=np.int64)], [np.zeros((0, 4))]
    for lo, hi in _D4_BUCKETS:
        sel = np.flatnonzero((counts >= max(lo, 3)) & (counts <= hi))
        step = max(1, _D4_WORK // max(1, comb(hi, 3) * hi))
        for s0 in range(0, sel.size, step):
            rows = sel[s0:s0 + step]
            G, mask = padded_facets(arr, rows)
            gn = np.linalg.norm(G, axis=2)
            t3 = np.array(list(combinations(range(G.shape[1]), 3)))
            M3 = G[:, t3, :]                                                 # (mc, P, 3, 4)
            R = _cross4(M3[:, :, 0], M3[:, :, 1], M3[:, :, 2])
            rn = np.linalg.norm(R, axis=2)
            scale = np.prod(np.linalg.norm(M3, axis=3), axis=2)
            line = mask[:, t3].all(axis=2) & (rn > zero_rel * scale)
            R = R / np.where(line, rn, 1.0)[:, :, None]
            R = np.concatenate([R, -R], axis=1)
            line = np.concatenate([line, line], axis=1)
            ray = line & _feasible(R, np.ones(line.shape), G, gn, mask, zero_rel)
            owners.append(np.repeat(rows, ray.sum(axis=1)))
            found.append(R[ray])                                             # row-major: by chamber
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    indptr = np.zeros(m + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(owner, minlength=m))
    rays = np.concatenate(found, axis=0)[order]
    _RAYS.setdefault(arr, {})[key] = (indptr, rays)
    return indptr, rays


_POINTED: "weakref.WeakKeyDictionary[Arrangement, bool]" = weakref.WeakKeyDictionary()


def is_pointed(arr: Arrangement) -> bool:
    """Whether the chambers' cones are pointed: the lifted data span R^D (exact rank,
    cached per arrangement)."""
    from relucert.arrangement.exact import exact_rank_columns

    got = _POINTED.get(arr)
    if got is None:
        Z = arr.X_lift
        got = _POINTED[arr] = exact_rank_columns(Z)[0] == Z.shape[1]
    return got


def padded_rays(arr: Arrangement, rows: np.ndarray, zero_rel: float):
    """The cached extreme rays of the chambers ``rows``, padded: (mc, rmax, 4) and a mask."""
    indptr, rays = chamber_rays(arr, zero_rel)
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    rmax = max(int(counts.max(initial=0)), 1)
    mask = np.arange(rmax)[None, :] < counts[:, None]
    R = np.zeros((rows.shape[0], rmax, 4))
    r_idx, c_idx = np.nonzero(mask)
    R[r_idx, c_idx] = rays[starts[r_idx] + c_idx]
    return R, mask
