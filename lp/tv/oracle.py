"""The enumeration oracle: the exact maximum of ``|eta_p|`` on every chamber of the data.

On the chamber with activation set ``A`` the certificate is linear,
``eta(theta) = <theta, v_A>`` with ``v_A = sum_{i in A} p_i x~_i``; its maximum on the
closed region (cut by the unit sphere) is ``||P_C(v_A)||`` (DESIGN.md section 3,
``relucert.arrangement.region_max``), and ``||P_C(v)|| <= ||v||``.

:func:`relucert.arrangement.chamber_vectors` computes ``v_A`` for all chambers at
once from the packed sign patterns (re-exported here for the exchange method).

:func:`scan_all_chambers` scans chambers in decreasing upper bound: ``||v_A||``, for d = 2 and 3
also ``<c_A, v_A> + ||v_A|| rho_A`` around the chamber's interior point
(:func:`relucert.lp.tv.chamber_bounds.chamber_radii`), and an earlier scan's bound moved by
``||v_A(p) - v_A(p_prev)||``. A chamber whose bound is below the current cut-off cannot
matter (no projection needed); at d = 3 a chamber that passes is first bounded by its extreme
rays (:func:`relucert.lp.tv.chamber_bounds.ray_bounds`), which settles most of them. When
``v/||v||`` lies strictly inside the chamber the maximum is ``||v||`` itself (checked
in one vectorised pass); the others get the exact face candidates of
:mod:`relucert.lp.tv.faces` (d <= 3), batched projections (d >= 4, large scans) or an
exact cone projection (NNLS). It returns the oracle's one result type,
:class:`~relucert.lp.tv.oracle_api.OracleScan`.
"""
from __future__ import annotations

import weakref

import numpy as np

from relucert.arrangement.chambers import Arrangement
from relucert.arrangement.cones import region_max
from relucert.arrangement.vectors import chamber_vectors
from relucert.lp.tv.chamber_arrays import (MAX_PAIR_FACETS, count_buckets, interior_masks, is_pointed, padded_facets,
                                           padded_rays, row_norms)
from relucert.lp.tv.chamber_bounds import chamber_radii, ray_bounds
from relucert.lp.tv.faces import face_maxima_small
from relucert.lp.tv.oracle_api import OracleScan
from relucert.tolerances import CENTRE_BOUND_SLACK, Tolerances, resolve

__all__ = ["chamber_vectors", "scan_all_chambers"]

_CHUNK = 4096
_FIRST_CHUNK = 64
_FIRST_SORT = 4096   # the lazy order's first block
_BOUND_BLOCK = 1 << 14   # chambers per block of the upper bounds' pass (cache sized)
# the oracle's facet-count buckets (any count falls in one)
_FACET_BUCKETS = ((0, 4), (5, 6), (7, 8), (9, 12), (13, 1 << 62))


class _Descending:
    """The indices with ``lo < key <= hi`` by decreasing key (ties in index order), sorted
    lazily: a scan that stops after a few chunks sorts only the blocks it reached. A block is
    every remaining index whose key is at least the ``n``-th largest remaining one (ties at
    the edge all enter it), so the blocks' concatenation is the full stable order."""

    def __init__(self, key: np.ndarray, lo: float, hi: float):
        self.key = key
        self.rest = np.flatnonzero((key > lo) & (key <= hi))     # index order
        self.size = int(self.rest.size)
        self.done = np.zeros(0, dtype=np.int64)

    def _extend(self, upto: int) -> None:
        while self.done.size < upto and self.rest.size:
            want = max(_FIRST_SORT, 2 * self.done.size, upto - self.done.size)
            kr = self.key[self.rest]
            if want < self.rest.size:
                edge = np.partition(kr, kr.size - want)[kr.size - want]
                take = kr >= edge
            else:
                take = np.ones(kr.size, dtype=bool)
            block = self.rest[take]
            self.done = np.concatenate([self.done, block[np.argsort(-kr[take], kind="stable")]])
            self.rest = self.rest[~take]

    def at(self, pos: int) -> int:
        self._extend(pos + 1)
        return int(self.done[pos])

    def take(self, pos: int, count: int) -> np.ndarray:
        self._extend(pos + count)
        return self.done[pos:pos + count]


_SLACKS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _radius_slack(arr: Arrangement, zero_rel: float) -> tuple[np.ndarray, np.ndarray]:
    """Where :func:`chamber_radii` is finite, and ``rho + CENTRE_BOUND_SLACK`` there (0
    elsewhere), cached per arrangement: the centre bound's slack is ``||v||`` times it."""
    rho = chamber_radii(arr, zero_rel)
    got = _SLACKS.get(arr, {}).get(zero_rel)
    if got is None or got[0] is not rho:     # (radii cached there: the same array object)
        finite = np.isfinite(rho)
        got = _SLACKS.setdefault(arr, {})[zero_rel] = (rho, finite, np.where(finite, rho, 0.0) + CENTRE_BOUND_SLACK)
    return got[1], got[2]


def _batched_maxima(arr: Arrangement, p: np.ndarray, rows: np.ndarray, inside_pm, tol: Tolerances,
                    ops=None):
    """For d >= 3: the region maxima of a chunk by the batched projections of
    :func:`relucert.arrangement.region_maxima` (on ``ops``: numpy by default, torch
    from the API layer; values near 1 and unconverged
    ones recomputed exactly there), when enough chambers need a projection to beat the
    per-region loop (its measured threshold ``BATCH_MIN_CHAMBERS``). Returns
    ``{True: (vals, pts) for +eta, False: for -eta}`` or None (use the loop)."""
    from relucert.arrangement import maxima

    need = ~(inside_pm[0] & inside_pm[1])
    if int(need.sum()) < maxima.BATCH_MIN_CHAMBERS:
        return None
    sel = np.flatnonzero(need)
    rm = maxima.region_maxima(arr.subset(rows[sel]), p, tol=tol, prune=False, ops=ops,
                              backend=maxima.MaximaBackend.BATCHED)
    out = {}
    for positive, mx, pt in ((True, rm.max_pos, rm.point_pos), (False, rm.max_neg, rm.point_neg)):
        vals = np.zeros(rows.shape[0])
        pts = np.full((rows.shape[0], arr.X_lift.shape[1]), np.nan)
        vals[sel] = np.nan_to_num(mx, nan=0.0)
        pts[sel] = pt
        out[positive] = (vals, pts)
    return out


def _upper_bounds(arr: Arrangement, p: np.ndarray, V: np.ndarray, prior, zero_rel: float):
    """``(norms, bounds, key)`` of a scan: ``||v_A||``, the upper bounds of every region's
    maximum of ``(+eta, -eta)`` (``||v_A||``; an earlier scan's bound moved by
    ``||v_A(p) - v_A(p_prev)||``; for d = 2, 3 ``<c, v> + ||v|| rho`` around the interior point)
    and their larger one, computed in blocks of ``_BOUND_BLOCK`` chambers (the arrays stay in
    cache; every value is computed row by row, so the blocks change none)."""
    m = V.shape[0]
    V_prev = moved_V = b_prev = None
    if prior is not None:
        b_prev = np.asarray(prior[1], float)
        if len(prior) > 2 and prior[2] is not None:   # the earlier scan's V: no second pass
            V_prev = prior[2]
        else:
            moved_V = chamber_vectors(arr, np.asarray(p, float) - np.asarray(prior[0], float))
    centre = arr.X_lift.shape[1] in (3, 4)   # d = 2, 3: <theta, v> <= <c, v> + ||v|| rho on the region
    if centre:
        finite, rho_slack = _radius_slack(arr, zero_rel)
    norms, bounds, key = np.empty(m), np.empty((m, 2)), np.empty(m)
    for s in range(0, m, _BOUND_BLOCK):     # (the two signs' bounds as contiguous columns)
        sl = slice(s, min(m, s + _BOUND_BLOCK))
        Vs = V[sl]
        nr = row_norms(Vs)
        b0 = b1 = nr
        if prior is not None:
            moved = row_norms(Vs - V_prev[sl]) if V_prev is not None else row_norms(moved_V[sl])
            bp = b_prev[sl]
            b0, b1 = np.minimum(nr, bp[:, 0] + moved), np.minimum(nr, bp[:, 1] + moved)
        if centre:
            cv = np.einsum("md,md->m", Vs, arr.interior[sl])
            slack = np.where(finite[sl], nr * rho_slack[sl], np.inf)
            b0, b1 = np.minimum(b0, np.maximum(cv + slack, 0.0)), np.minimum(b1, np.maximum(slack - cv, 0.0))
        norms[sl], bounds[sl, 0], bounds[sl, 1], key[sl] = nr, b0, b1, np.maximum(b0, b1)
    return norms, bounds, key


def _ray_bounds_needed(arr: Arrangement, rows: np.ndarray, Vc: np.ndarray, needs, inside_pm, zero_rel: float):
    """:func:`ray_bounds` of the chunk's chambers where some sign needs its faces (needed and
    ``v`` not interior: only there does the scan read the bound), ``inf`` elsewhere; the
    bounds are computed chamber by chamber, so each is the one of a call on all rows."""
    want = np.flatnonzero((needs[0] & ~inside_pm[0]) | (needs[1] & ~inside_pm[1]))
    if want.size == rows.size:
        return ray_bounds(arr, rows, Vc, zero_rel)
    out = (np.full(rows.shape[0], np.inf), np.full(rows.shape[0], np.inf))
    if want.size:
        plus, minus = ray_bounds(arr, rows[want], Vc[want], zero_rel)
        out[0][want], out[1][want] = plus, minus
    return out


def _face_maxima_both(Vc, groups, needs, inside_pm, skips, ray_ub, zero_rel, cutoff, pointed):
    """The exact face maxima of a chunk's chambers (:func:`face_maxima_small`) for ``+v`` and
    ``-v`` together, one kernel call per facet-count group (the kernel works chamber by
    chamber, so stacking the two signs changes no value): ``[(vals, pts, resolved)]`` for
    ``+eta`` and ``-eta``. Where a sign needs no faces (not needed, ``v`` interior, or settled
    by its ray bound) its value stays 0, or the ray bound where that settled it."""
    out = []
    for col in (0, 1):
        skip = skips[col]
        out.append((np.where(skip, np.inf if ray_ub is None else ray_ub[col], 0.0),
                    np.full(Vc.shape, np.nan), skip.copy()))
    for sel, G, gmask, rays in groups:
        uses = [needs[c][sel] & ~inside_pm[c][sel] & ~skips[c][sel] for c in (0, 1)]
        if not (uses[0].any() or uses[1].any()):
            continue
        Vs = np.concatenate([Vc[sel[uses[0]]], -Vc[sel[uses[1]]]])
        Gs = np.concatenate([G[uses[0]], G[uses[1]]])
        ms = np.concatenate([gmask[uses[0]], gmask[uses[1]]])
        rs = None if rays is None else tuple(np.concatenate([r[uses[0]], r[uses[1]]]) for r in rays)
        v, pt, res = face_maxima_small(Vs, Gs, ms, zero_rel, rs, cutoff, pointed)
        k = int(uses[0].sum())
        for col, part in ((0, slice(0, k)), (1, slice(k, None))):
            at = sel[uses[col]]
            vals, pts, resolved = out[col]
            vals[at], pts[at], resolved[at] = v[part], pt[part], res[part]
    return out


def scan_all_chambers(arr: Arrangement, p: np.ndarray, threshold: float, *, limit: int | None = None,
                      V: np.ndarray | None = None, tol: Tolerances | None = None,
                      prior: tuple[np.ndarray, np.ndarray] | None = None, ops=None,
                      budget: int | None = None, reject_above: float | None = None,
                      progress: float | None = None) -> OracleScan:
    """The oracle's scan of every chamber: exact maxima of ``eta_p`` and ``-eta_p`` on the
    dual regions above ``threshold``.

    Parameters
    ----------
    arr : Arrangement
        Every chamber of the data.
    p : ndarray, shape (n,)
        The dual vector.
    threshold : float
        List the (region, sign) pairs whose maximum exceeds it.
    limit : int, optional
        Stop after this many are found (the scan is then ``complete=False``).
    V : ndarray, optional
        Precomputed :func:`chamber_vectors` of ``p``.
    tol : Tolerances, optional
    prior : tuple, optional
        ``(p_prev, bounds_prev)`` or ``(p_prev, bounds_prev, V_prev)`` from an earlier
        scan of the same arrangement (``OracleScan.p``, ``OracleScan.bounds`` and its
        chamber vectors, which spare a second pass). A region's maximum moves by at
        most ``||v_A(p) - v_A(p_prev)||`` (the maximum of a linear function over the unit
        ball), so ``bounds_prev + ||v_A(p - p_prev)||`` bounds it, and regions whose
        bound is below the cut-off are skipped like those with small ``||v_A||``.
    ops : optional
        Where the batched projections (d >= 4, large scans) run: None for numpy, or the
        torch ops the API layer got from ``relucert.gpu``; d <= 3 use the exact face
        candidates on the CPU.
    budget : int, optional
        With ``reject_above``: projections ((region, sign) pairs) after which the scan may
        stop like at ``limit``.
    reject_above : float, optional
        When given, the scan stops before it is complete (``complete=False``) only once the
        largest value found, ``b``, exceeds it, and then: where the exact maximum is known
        (no region left has a bound above ``b``), or at ``limit`` violators or the ``budget``
        when also ``b - 1 >= progress (u - 1)``, ``u`` the largest bound left (so ``b - 1`` is
        at least ``progress`` times the largest violation; proofs/exchange_method.md,
        "Early-stopped scans"). None: the ``limit`` alone stops it.
    progress : float, optional
        In ``(0, 1]``; None: no such condition.

    Returns
    -------
    OracleScan
        With the enumeration's own fields filled: ``chamber`` (the violators' chamber
        indices), ``p``, ``bounds`` (an upper bound of every region's maximum of
        ``+eta, -eta``, exact where computed: the ``prior`` of a later scan),
        ``n_projected`` and ``n_interior``.

    Examples
    --------
    Three points ``x = 0, 1, 2``: with ``p = (0, 0, 1)`` the certificate is
    ``max(0, <theta, (2, 1)>)``, largest (``sqrt 5``) at ``theta = (2, 1)/sqrt 5``.

    >>> from relucert.arrangement import enumerate_chambers
    >>> arr = enumerate_chambers(np.array([[0.0], [1.0], [2.0]]))
    >>> scan = scan_all_chambers(arr, np.array([0.0, 0.0, 1.0]), 1.0)
    >>> round(scan.max_value ** 2, 12), (scan.point[scan.value.argmax()] * 5 ** 0.5).round(9).tolist()
    (5.0, [2.0, 1.0])
    """
    tol = resolve(tol)
    if V is None:
        V = chamber_vectors(arr, p)
    norms, bounds, key = _upper_bounds(arr, p, V, prior, tol.sign_zero)
    zero = tol.sign_zero * np.linalg.norm(arr.X_lift, axis=1)
    pointed = is_pointed(arr)
    found_k, found_s, found_v, found_pt = [], [], [], []
    best = 0.0
    n_proj = n_int = 0
    complete = True
    small = arr.X_lift.shape[1] in (2, 3, 4)
    # regions in decreasing key; only those above the threshold are sorted first (a scan
    # that finds a violator never needs the rest), the others only when no region so far
    # reached the threshold (the exact maximum is then below it)
    order = _Descending(key, max(threshold, 0.0), np.inf)
    phase_two = False
    pos = 0
    chunk = _FIRST_CHUNK  # small first: a scan that stops at the first violator stays cheap
    while True:
        if pos >= order.size:
            if phase_two or best >= threshold:
                break
            order, pos, phase_two = _Descending(key, best, threshold), 0, True
            continue
        cutoff = min(threshold, best)
        head = key[order.at(pos)]
        if head <= cutoff:
            break
        if reject_above is None:
            if limit is not None and len(found_k) >= limit:
                complete = False
                break
        elif best > reject_above and (
                head <= best   # the maximum is known: nothing left above it
                or (((limit is not None and len(found_k) >= limit) or (budget is not None and n_proj >= budget))
                    and (progress is None or best - 1.0 >= progress * (head - 1.0)))):
            complete = False
            break
        rows = order.take(pos, chunk)
        rows = rows[key[rows] > cutoff]
        pos += chunk
        chunk = min(2 * chunk, _CHUNK)
        Vc = V[rows]
        nr = norms[rows]
        inside_pm = interior_masks(arr, rows, Vc, zero)
        # each sign only where its own bound passes the cut-off (the other keeps its bound)
        needs = [bounds[rows, 0] > cutoff, bounds[rows, 1] > cutoff]
        # d = 3: the extreme rays' bound settles a chamber below the cut-off without its faces
        ray_ub = _ray_bounds_needed(arr, rows, Vc, needs, inside_pm, tol.sign_zero) if arr.X_lift.shape[1] == 4 else None
        skips = [np.zeros(rows.shape[0], dtype=bool)] * 2 if ray_ub is None else \
            [(ray_ub[c] <= cutoff) & needs[c] & ~inside_pm[c] for c in (0, 1)]
        if small:  # padded facets (and d = 3 rays) per facet-count bucket: padding to the
            # chunk's largest count would multiply the work of typical chambers
            # (a few chambers go in one call: count_buckets)
            counts = arr.facet_indptr[rows + 1] - arr.facet_indptr[rows]
            cand = np.flatnonzero((needs[0] & ~inside_pm[0] & ~skips[0]) | (needs[1] & ~inside_pm[1] & ~skips[1]))
            groups = []
            for at, _ in count_buckets(counts[cand], _FACET_BUCKETS, MAX_PAIR_FACETS):
                sel = cand[at]
                G, gmask = padded_facets(arr, rows[sel])
                rays = padded_rays(arr, rows[sel], tol.sign_zero) if arr.X_lift.shape[1] == 4 else None
                groups.append((sel, G, gmask, rays))
            batched = None
            faces = _face_maxima_both(Vc, groups, needs, inside_pm, skips, ray_ub, tol.sign_zero, cutoff, pointed)
        else:
            batched = _batched_maxima(arr, p, rows, inside_pm, tol, ops)
        for col, (sign, inside, need) in enumerate(zip((1.0, -1.0), inside_pm, needs)):
            n_int += int((inside & need).sum())
            skip = skips[col]
            if small:
                vals, pts, resolved = faces[col]
                n_proj += int((~inside & need & ~skip).sum())
                for j in np.flatnonzero(~resolved & ~inside & need):
                    r = region_max(sign * Vc[j], arr.inward_normals(int(rows[j])), tol=tol)
                    if r.point is not None:
                        vals[j], pts[j] = r.value, r.point
                    else:
                        vals[j], pts[j] = 0.0, np.nan
            elif batched is not None:
                vals, pts = batched[sign > 0]
                n_proj += int((~inside & need).sum())
            else:
                vals = np.zeros(rows.shape[0])
                pts = np.full(Vc.shape, np.nan)
                for j in np.flatnonzero(~inside & need):
                    r = region_max(sign * Vc[j], arr.inward_normals(int(rows[j])), tol=tol)
                    n_proj += 1
                    if r.point is not None:
                        vals[j], pts[j] = r.value, r.point
            vals = np.where(inside, nr, vals)
            pts = np.where(inside[:, None], sign * Vc / nr[:, None], pts)
            # a projection at rounding level of ||v|| is the zero vector (its direction
            # is noise): the region maximum is 0
            vals = np.where(vals > tol.sign_zero * nr, vals, 0.0)
            vals, rows_s, pts = vals[need], rows[need], pts[need]
            bounds[rows_s, col] = vals   # exact, or an upper bound below the cut-off
            if vals.size:
                best = max(best, float(vals.max()))
            hit = vals > threshold
            found_k.extend(rows_s[hit].tolist())
            found_s.extend([int(sign)] * int(hit.sum()))
            found_v.extend(vals[hit].tolist())
            found_pt.extend(list(pts[hit]))
    D = arr.X_lift.shape[1]
    upper = float(best)
    if not complete:  # every region's bound holds (||v_A|| where not projected)
        upper = max(upper, float(np.max(bounds, initial=0.0)))
    return OracleScan(max_value=float(best), upper_bound=upper, complete=complete, threshold=float(threshold),
                      point=np.asarray(found_pt, dtype=np.float64).reshape(-1, D),
                      sign=np.asarray(found_s, dtype=np.int8), value=np.asarray(found_v, dtype=np.float64),
                      chamber=np.asarray(found_k, dtype=np.int64), p=np.asarray(p, float).copy(), bounds=bounds,
                      n_projected=n_proj, n_interior=n_int)
