"""The batched cone projections behind :func:`relucert.arrangement.region_maxima`.

For a batch of regions ``{G_b theta >= 0}`` and vectors ``V_b`` this computes
``max { <theta, V_b> : G_b theta >= 0, ||theta|| <= 1 }`` by accelerated projected
gradient (FISTA with adaptive restart) on the dual NNLS ``min_{mult >= 0} ||v + G^T
mult||^2``, padded to a power-of-two facet count, then an active-set polish (one small
Cholesky solve per region and pass). Each result carries a certified bracket
``lower <= max <= upper`` (proofs/batched_region_maxima.md). Every kernel runs on an
``ops`` object (:mod:`relucert.arrangement._ops`): numpy, or torch through
``relucert.gpu``.
"""
from __future__ import annotations

import math

import numpy as np

from relucert.arrangement.chambers import Arrangement
from relucert.tolerances import (BATCHED_FIRST_ROUND, BATCHED_POLAR_SAFETY, BATCHED_POLISH_EXTRA_PASSES,
                                 BATCHED_POLISH_PASSES_PER_FACET, BATCHED_TAIL_TO_EXACT, Tolerances)

__all__ = ["facet_rows", "padded_facets", "project_bucket"]

#: Machine epsilon of the float64 arithmetic used throughout.
_EPS = float(np.finfo(np.float64).eps)


def _polish_passes(F: int) -> int:
    """Cap on the Lawson-Hanson passes for padded facet count F."""
    return BATCHED_POLISH_PASSES_PER_FACET * F + BATCHED_POLISH_EXTRA_PASSES


def facet_rows(arr: Arrangement, regions: np.ndarray):
    """Deduplicated inward facet normals of ``regions``: (counts, flat G, starts).

    Repeated data points give identical hyperplanes; one copy of each is kept (the
    cone is the same), so the rows of one region's G are pairwise non-parallel.
    """
    Xl = arr.X_lift
    _, first, uid = np.unique(Xl, axis=0, return_index=True, return_inverse=True)
    uid = uid.reshape(-1)
    indptr = arr.facet_indptr
    lo, hi = indptr[regions], indptr[regions + 1]
    lens = hi - lo
    owner = np.repeat(np.arange(regions.shape[0]), lens)
    pos = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(lo, lens)
    j = arr.facet_indices[pos]
    nu = int(uid.max()) + 1 if uid.size else 1
    key = np.unique(owner.astype(np.int64) * nu + uid[j])
    owner = key // nu
    j = first[key % nu]
    counts = np.bincount(owner, minlength=regions.shape[0])
    byte = arr.sign_patterns[regions[owner], j >> 3]
    s = np.where((byte >> (j & 7)) & 1, 1.0, -1.0)
    G = s[:, None] * Xl[j]
    starts = np.cumsum(counts) - counts
    return counts, G, starts


def padded_facets(counts, G, starts, sel, F):
    """(len(sel), F, D) padded normals and the (len(sel), F) mask."""
    c = counts[sel]
    ar = np.arange(F)
    mask = ar[None, :] < c[:, None]
    idx = np.where(mask, starts[sel][:, None] + ar[None, :], 0)
    Gp = np.where(mask[:, :, None], G[idx] if G.shape[0] else 0.0, 0.0)
    return Gp, mask


# --------------------------------------------------------------------------- projections

def _fista(ops, Q, b, invL, mult, iters: int):
    """``iters`` steps of FISTA with gradient restart on ``min_{mult>=0} mult'Q mult/2 + b'mult``."""
    y = mult
    t = ops.ones((mult.shape[0],))
    for _ in range(iters):
        g = ops.einsum("bf,bfg->bg", y, Q) + b
        new = ops.clamp0(y - g * invL[:, None])
        restart = ops.sum(g * (new - mult), 1) > 0
        t_new = (1.0 + ops.sqrt(1.0 + 4.0 * t * t)) / 2.0
        beta = ops.where(restart, 0.0, (t - 1.0) / t_new)
        t = ops.where(restart, 1.0, t_new)
        y = new + beta[:, None] * (new - mult)
        mult = new
    return mult


def _masked_cholesky_solve(ops, Q, rhs, S, rank_tol: float):
    """Solve ``Q_SS mult_S = rhs_S`` (mult = 0 off S), dropping rows of S that depend
    on earlier ones (pivot below ``rank_tol * Q_kk``): the span, hence the projection
    onto its orthogonal complement, is unchanged."""
    B, F = rhs.shape
    Lm = ops.zeros((B, F, F))
    keep = ops.zeros_bool((B, F))
    for k in range(F):
        row = Lm[:, k, :k]
        s = Q[:, k, k] - ops.sum(row * row, 1)
        ok = S[:, k] & (s > rank_tol * Q[:, k, k])
        piv = ops.sqrt(ops.where(ok, s, 1.0))
        Lm[:, k, :k] = ops.where(ok[:, None], row, 0.0)
        Lm[:, k, k] = piv
        if k + 1 < F:
            col = (Q[:, k + 1:, k] - ops.einsum("bij,bj->bi", Lm[:, k + 1:, :k], Lm[:, k, :k])) / piv[:, None]
            Lm[:, k + 1:, k] = ops.where(ok[:, None], col, 0.0)
        keep[:, k] = ok
    r = ops.where(keep, rhs, 0.0)
    w = ops.zeros((B, F))
    for k in range(F):
        w[:, k] = (r[:, k] - ops.sum(Lm[:, k, :k] * w[:, :k], 1)) / Lm[:, k, k]
    mult = ops.zeros((B, F))
    for k in range(F - 1, -1, -1):
        mult[:, k] = (w[:, k] - ops.sum(Lm[:, k + 1:, k] * mult[:, k + 1:], 1)) / Lm[:, k, k]
    diag = ops.einsum("bkk->bk", Lm)
    big = ops.amax(ops.where(keep, diag, 0.0), 1)
    small = ops.amin(ops.where(keep, diag, math.inf), 1)
    cond = ops.where(big > 0, (big / small) ** 2, 1.0)  # estimate of cond(Q_SS)
    return ops.where(keep, mult, 0.0), keep, cond


def _bracket(ops, u, V, G, Z, gz, mask):
    """Certified bracket from a candidate ``u = v + G^T mult``: ``lower`` is
    ``<theta, v>/||theta||`` at the feasible ``theta = u + t z`` (``t >= 0`` the least
    that makes ``G theta >= 0``; ``z`` the interior point), floored at 0 (``theta = 0``
    is feasible); returns (lower, unit point or NaN)."""
    gu = ops.einsum("bfd,bd->bf", G, u)
    need = mask & (gu < 0)
    ratio = ops.where(need, -gu / ops.where(mask & (gz > 0), gz, 1.0), 0.0)
    ratio = ops.where(need & ~(gz > 0), math.inf, ratio)
    t = ops.amax(ratio, 1)
    theta = u + t[:, None] * Z
    nt = ops.sqrt(ops.sum(theta * theta, 1))
    good = ops.isfinite(nt) & (nt > 0)
    safe = ops.where(good, nt, 1.0)
    point = ops.where(good[:, None], theta / safe[:, None], 0.0)
    val = ops.where(good, ops.sum(point * V, 1), 0.0)
    lower = ops.clamp0(val)
    point = ops.where((good & (val > 0))[:, None], point, math.nan)
    return lower, point


def _solve_on_active(ops, Q, rhs, S, rank_tol: float):
    """:func:`_masked_cholesky_solve` on the columns of S only (moved to the front),
    so its cost follows the active-set size, not the padded facet count."""
    B, F = rhs.shape
    K = int(ops.tonp(ops.amax(ops.sum(S * 1, 1), 0))) if B else 0
    if K == 0:
        return ops.zeros((B, F)), ops.zeros_bool((B, F)), ops.ones((B,))
    idx = ops.active_first(S)[:, :K]
    Sm = ops.take_along(S, idx, 1)
    Qr = ops.take_along(Q, idx[:, :, None].expand(B, K, F) if ops.name == "torch"
                        else idx[:, :, None], 1)
    Qc = ops.take_along(Qr, idx[:, None, :].expand(B, K, K) if ops.name == "torch"
                        else idx[:, None, :], 2)
    mult_c, keep_c, cond = _masked_cholesky_solve(ops, Qc, ops.take_along(rhs, idx, 1), Sm, rank_tol)
    mult = ops.scatter_cols(F, idx, mult_c)
    keep = ops.scatter_cols(F, idx, keep_c * 1.0) > 0.5
    return mult, keep, cond


def _polish(ops, Q, b, G, V, Z, gz, mask, mult, upper, lower, pt, tol: Tolerances, passes: int):
    """Batched Lawson-Hanson active-set passes on ``min_{mult>=0} ||v + G^T mult||^2``,
    started from the feasible ``mult`` (its support is the first passive set).

    Each pass per row: solve the equality problem on the passive set P exactly; if the
    solution is positive on P take it, then add the facet of largest negative slack
    ``-(G u)_j`` (done when there is none: KKT holds); otherwise step from ``mult``
    towards it until a multiplier reaches 0 and drop that facet. ``mult`` stays >= 0,
    so every pass gives a certified upper bound ``||v + G^T mult||``, and its point
    ``u`` a lower bound (:func:`_bracket`); rows leave the batch when done.
    """
    F = mask.shape[1]
    D = G.shape[2]
    ar = ops.index(np.arange(F))
    gnorm = ops.sqrt(ops.where(mask, ops.einsum("bff->bf", Q), 1.0))
    mult = ops.where(mask, mult, 0.0)
    P = mult > 0
    rows = None  # None: all rows
    sub = (Q, b, G, V, Z, gz, mask, gnorm)
    for _ in range(passes):
        Qr, br, Gr, Vr, Zr, gzr, mr, gn = sub
        z, keep, cond = _solve_on_active(ops, Qr, -br, P, tol.rank)
        pos_ok = ops.all(~P | (z > 0), 1)
        # inner step (some z_j <= 0 on P): mult + alpha (z - mult), alpha = min mult_j / (mult_j - z_j)
        bad = P & ~(z > 0)
        den = ops.where(bad, mult - z, 1.0)
        ratio = ops.where(bad, mult / ops.where(den > 0, den, 1.0), math.inf)
        ratio = ops.where(bad & ~(den > 0), 0.0, ratio)
        alpha = ops.clamp0(ops.minimum(ops.amin(ratio, 1), ops.ones((ratio.shape[0],))))
        stepped = mult + alpha[:, None] * (z - mult)
        hit = ops.argmin(ratio)
        stepped = ops.where(ar[None, :] == hit[:, None], 0.0, ops.clamp0(stepped))
        mult = ops.where(pos_ok[:, None], ops.where(P, z, 0.0), stepped)
        P = ops.where(pos_ok[:, None], P, P & (mult > 0))
        u = Vr + ops.einsum("bf,bfd->bd", mult, Gr)
        nu = ops.sqrt(ops.sum(u * u, 1))
        ur = upper if rows is None else ops.rows(upper, rows)
        lr = lower if rows is None else ops.rows(lower, rows)
        pr = pt if rows is None else ops.rows(pt, rows)
        ur = ops.minimum(ur, nu)
        # D independent facets with positive multipliers: -v lies inside the cone they
        # span, v = -G_S^T mult exactly for the exact mult > 0, so the maximum is exactly 0.
        # The float solution's signs are trusted only when every multiplier exceeds its
        # forward-error estimate (BATCHED_POLAR_SAFETY * eps * cond(Q_SS) * sum(mult)).
        posv = ops.where(keep & P, z, math.inf)
        err = BATCHED_POLAR_SAFETY * _EPS * cond * ops.sum(ops.where(P, ops.clamp0(z), 0.0), 1)
        polar = pos_ok & (ops.sum((keep & P) * 1.0, 1) == D) & \
            (ops.amin(posv, 1) > ops.maximum(err, tol.gpu_gap * ops.sum(ops.where(P, z, 0.0), 1)))
        ur = ops.where(polar, 0.0, ur)
        lo2, pt2 = _bracket(ops, u, Vr, Gr, Zr, gzr, mr)
        better = lo2 > lr
        lr = ops.where(better, lo2, lr)
        pr = ops.where(better[:, None], pt2, pr)
        if rows is None:
            upper, lower, pt = ur, lr, pr
        else:
            upper, lower, pt = (ops.put_rows(a, rows, x) for a, x in ((upper, ur), (lower, lr), (pt, pr)))
        # outer step for the rows whose P-solution was positive: add the most violated facet
        viol = ops.where(mr & ~P, ops.einsum("bfd,bd->bf", Gr, u) / gn, 0.0)
        scale = tol.sign_zero * ops.maximum(nu, ops.ones(tuple(nu.shape)))
        add_any = pos_ok & (ops.amin(viol, 1) < -scale) & ~polar
        add = (ar[None, :] == ops.argmin(viol)[:, None]) & add_any[:, None]
        P = P | add
        go = (~pos_ok | add_any) & (ur - lr > tol.gpu_gap * ops.maximum(ur, ops.ones(tuple(ur.shape))))
        go_np = ops.tonp(go)
        if not go_np.any():
            break
        sel = ops.index(np.flatnonzero(go_np))
        P, mult = ops.rows(P, sel), ops.rows(mult, sel)
        sub = tuple(ops.rows(a, sel) for a in sub)
        rows = sel if rows is None else ops.rows(rows, sel)
    return upper, lower, pt


def project_bucket(ops, V, G, Z, mask, tol: Tolerances, max_iter: int):
    """Batched maxima of ``<theta, V_b>`` over ``{G_b theta >= 0, ||theta|| <= 1}``.

    Returns numpy (value, point, converged, iterations used)."""
    B = V.shape[0]
    Q = ops.einsum("bfd,bgd->bfg", G, G)
    b = ops.einsum("bfd,bd->bf", G, V)
    gz = ops.einsum("bfd,bd->bf", G, Z)
    absQ = ops.where(Q < 0, -Q, Q)
    Lc = ops.minimum(ops.sqrt(ops.sum(ops.sum(Q * Q, 2), 1)), ops.amax(ops.sum(absQ, 2), 1))
    invL = 1.0 / ops.where(Lc > 0, Lc, 1.0)
    value = np.full(B, np.nan)
    point = np.full((B, V.shape[1]), np.nan)
    conv = np.zeros(B, dtype=bool)
    used = np.zeros(B, dtype=np.int64)
    active = np.arange(B)
    mult = ops.zeros(tuple(b.shape))
    schedule, total, step = [0], 0, BATCHED_FIRST_ROUND
    while total < max_iter:
        step = min(step, max_iter - total)
        schedule.append(step)
        total += step
        step *= 2
    done_iters = 0
    aidx = None
    for iters in schedule:
        if active.size == 0:
            break
        if aidx is not None:
            Q, b, G, V, Z, gz, mask, invL, mult = (ops.rows(a, aidx) for a in (Q, b, G, V, Z, gz, mask, invL, mult))
        mult = _fista(ops, Q, b, invL, mult, iters)
        done_iters += iters
        u = V + ops.einsum("bf,bfd->bd", mult, G)
        upper = ops.sqrt(ops.sum(u * u, 1))
        lower, pt = _bracket(ops, u, V, G, Z, gz, mask)
        upper, lower, pt = _polish(ops, Q, b, G, V, Z, gz, mask, mult, upper, lower, pt, tol,
                                   passes=_polish_passes(G.shape[1]))
        ok = (upper - lower) <= tol.gpu_gap * ops.maximum(upper, ops.ones(tuple(upper.shape)))
        ok_np = ops.tonp(ok)
        value[active] = ops.tonp(upper)
        point[active] = ops.tonp(pt)
        conv[active] = ok_np
        used[active] = done_iters
        keep = np.flatnonzero(~ok_np)
        active = active[keep]
        if active.size < BATCHED_TAIL_TO_EXACT:
            break  # the few left are cheaper on the exact path
        aidx = ops.index(keep)
    return value, point, conv, used
