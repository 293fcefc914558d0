"""Exact leaves of the branch and bound: the maximum of ``eta`` on a cone with few
undecided points, by sub-enumeration of their sign patterns.

On a cone ``C`` with undecided set ``U`` and sign pattern ``s in {-, +}^U``, the closed
sub-region ``C_s = C intersected with {s_i <a_i, theta> >= 0, i in U}`` carries
``eta = <v_s, theta>``, ``v_s = v_0 + sum_{i in U, s_i = +} Q_i a_i``; the sub-regions
cover ``C``, so ``max_C eta = max_s max_{C_s} <v_s, theta>`` (proofs/branch_and_bound.md,
Lemma 6). Each sub-region's maximum: first ``||P_C(v_s)||`` (batched over all patterns
of all leaves, :func:`relucert.lp.tv.bab.cones.cone_max`), an upper bound that is exact
when ``P_C(v_s)`` satisfies the pattern; otherwise the cone projection onto ``C_s``,
batched (:mod:`relucert.lp.tv.bab.subregions`, Lemma 6b; the single solve
:func:`relucert.arrangement.region_max` where the batch does not settle it). Patterns
whose bound is at most the cut-off need nothing more; patterns proven empty by a pair of
undecided rows are skipped (Lemma 6a), and an empty sub-region needs no feasibility test:
its value is still a maximum of ``eta`` over a closed subset of ``C``.

:func:`point_regions` finds violators without a leaf: the region (chamber of the support
rows) holding a point met by the bounding, and that region's exact maximum (proofs Lemma 10).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from relucert._model import eta as _eta
from relucert.arrangement.cones import region_max
from relucert.lp.tv.bab import cones
from relucert.lp.tv.bab import subregions
from relucert.lp.tv.bab.subregions import empty_patterns, project_batch
from relucert.tolerances import BAB_INTERIOR_PUSH_STEPS, BAB_LEAF_BATCH_MIN, Tolerances

__all__ = ["LeafPieces", "leaf_maxima", "has_interior", "point_regions", "ascend"]


@dataclass(frozen=True)
class LeafPieces:
    """Per leaf: ``upper`` (an upper bound of its maximum: exact unless at most the
    cut-off), ``best``/``best_point`` (the largest exact value met and its unit
    maximiser; -inf and NaN when every pattern was below the cut-off). Pieces above
    ``report``: ``leaf`` (index into the batch), ``active`` (pattern over the data
    rows), ``value``, ``point`` (unit).

    Attributes
    ----------
    upper : np.ndarray, shape (m,)
        Upper bound of each leaf's maximum (exact unless at most the cut-off).
    best : np.ndarray, shape (m,)
        Largest exact value met on each leaf; -inf when none was resolved.
    best_point : np.ndarray, shape (m, D)
        Unit maximiser of ``best``; NaN rows when ``best <= 0``.
    leaf : np.ndarray of int64, shape (k,)
        Leaf (index into the batch) of each reported piece.
    active : np.ndarray of bool, shape (k, n)
        Activation pattern of each piece over the data rows.
    value : np.ndarray, shape (k,)
        Exact maximum of each piece (above ``report``).
    point : np.ndarray, shape (k, D)
        Unit maximiser of each piece.
    """

    upper: np.ndarray
    best: np.ndarray
    best_point: np.ndarray
    leaf: np.ndarray
    active: np.ndarray
    value: np.ndarray
    point: np.ndarray


def _patterns(u: int) -> np.ndarray:
    return ((np.arange(1 << u)[:, None] >> np.arange(u)[None, :]) & 1).astype(bool)


def leaf_maxima(A: np.ndarray, Q: np.ndarray, act: np.ndarray, und: np.ndarray, Rn: np.ndarray, G: np.ndarray,
                cutoff: float, report: float, tol: Tolerances, *, kernels=None, batched: bool = True,
                floor: float = -np.inf) -> LeafPieces:
    """Exact maxima of ``sum_i Q_i relu(<a_i, theta>)`` over leaf cones (batched).

    ``Q`` (m, n) node weights, ``act``/``und`` (m, n) from
    :func:`relucert.lp.tv.bab.cones.classify`, ``Rn``/``G`` unit rays and normals.
    Patterns whose bound ``||P_C(v_s)||`` is at most ``cutoff`` are not resolved further;
    pieces with an exact value above ``report`` are listed.

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
        Data rows ``a_i``.
    Q : np.ndarray, shape (m, n)
        Weight of each data point on each leaf (``sign * p``).
    act, und : np.ndarray of bool, shape (m, n)
        Active and undecided points of each leaf cone.
    Rn : np.ndarray, shape (m, D, D)
        Unit rays of each leaf cone (columns).
    G : np.ndarray, shape (m, D, D)
        Inward normals of each leaf cone (rows).
    cutoff : float
        Patterns whose bound is at most this are left unresolved.
    report : float
        Pieces with an exact value above ``max(report, 0)`` are listed.
    tol : Tolerances
        ``tol.sign_zero`` is the relative sign slack; also passed to ``region_max``.
    kernels : optional
        The object whose ``cone_max`` bounds the patterns (None: the numpy module
        :mod:`relucert.lp.tv.bab.cones`; torch ones from ``relucert.gpu.bab_kernels``).
    batched : bool
        Patterns proven empty by a pair of undecided rows are skipped, and sub-regions
        whose ``P_C(v_s)`` leaves them are projected together
        (:mod:`relucert.lp.tv.bab.subregions`, falling back to the single solve where that
        does not settle them); False: every pattern, one ``region_max`` each (the reference).
    floor : float
        With ``batched``, a sub-region whose projection is proven at most ``floor`` (at
        most ``cutoff``; the caller passes ``min(cutoff, incumbent)``, so such a pattern
        can change neither the incumbent nor the list) keeps that bound instead of its
        exact value.

    Returns
    -------
    LeafPieces
        Per-leaf bounds and best values, and the listed pieces.
    """
    m, D = Rn.shape[0], A.shape[1]
    zero = tol.sign_zero
    cone_max = (cones if kernels is None else kernels).cone_max
    an = np.linalg.norm(A, axis=1)
    upper = np.zeros(m)
    best = np.full(m, -np.inf)
    best_point = np.full((m, D), np.nan)
    out_leaf, out_act, out_val, out_pt = [], [], [], []
    v0 = np.where(act, Q, 0.0) @ A
    usize = und.sum(axis=1)
    for u in np.unique(usize):
        L = np.flatnonzero(usize == u)
        Uidx = np.nonzero(und[L])[1].reshape(L.size, u)             # sorted per row
        bits = _patterns(int(u))                                    # (P, u)
        QA = Q[L[:, None], Uidx][:, :, None] * A[Uidx]              # (l, u, D)
        V = v0[L][:, None, :] + np.einsum("pu,lud->lpd", bits.astype(float), QA)
        npat = bits.shape[0]
        owner = np.repeat(np.arange(L.size), npat)
        Vf = V.reshape(-1, D)
        if batched:     # patterns proven empty need nothing (Lemma 6a): value 0, not exact
            SU = np.einsum("lud,ldj->luj", A[Uidx], Rn[L])
            keep = ~empty_patterns(SU, an[Uidx], bits, zero).reshape(-1)
        else:
            keep = np.ones(Vf.shape[0], dtype=bool)
        val, P = np.zeros(Vf.shape[0]), np.zeros(Vf.shape)
        kk = np.flatnonzero(keep)
        val[kk], P[kk] = cone_max(Vf[kk], Rn[L][owner[kk]], G[L][owner[kk]], zero)
        exact = np.zeros(val.shape, dtype=bool)
        need = np.flatnonzero(keep & (val > cutoff))
        if need.size:
            sg = np.where(bits[need % npat], 1.0, -1.0)                         # (k, u)
            AU = A[Uidx[owner[need]]]                                           # (k, u, D)
            dots = sg * np.einsum("kud,kd->ku", AU, P[need])
            pn = np.linalg.norm(P[need], axis=1)
            fits = np.all(dots >= -zero * an[Uidx[owner[need]]] * pn[:, None], axis=1)
            exact[need[fits]] = True
            rest = np.flatnonzero(~fits)
            if rest.size:
                _resolve(need[rest], owner, L, G, sg[rest][:, :, None] * AU[rest], Vf, val, P, exact, floor, tol,
                         batched)
        # a projection at rounding level of ||v|| is the zero vector: the maximum is 0
        vn = np.linalg.norm(Vf, axis=1)
        small = exact & (val <= zero * vn)
        val[small] = 0.0
        P[small] = 0.0
        vals = val.reshape(L.size, npat)
        upper[L] = vals.max(axis=1)
        ex = exact.reshape(L.size, npat)
        exv = np.where(ex, vals, -np.inf)
        j = np.argmax(exv, axis=1)
        bv = exv[np.arange(L.size), j]
        best[L] = bv
        Pj = P.reshape(L.size, npat, D)[np.arange(L.size), j]
        with np.errstate(invalid="ignore", divide="ignore"):
            best_point[L] = np.where((bv > 0)[:, None], Pj / np.linalg.norm(Pj, axis=1, keepdims=True), np.nan)
        hit = np.flatnonzero(exact & (val > max(report, 0.0)))
        if hit.size:
            a = act[L[owner[hit]]]
            a[np.arange(hit.size)[:, None], Uidx[owner[hit]]] = bits[hit % npat]
            out_leaf.append(L[owner[hit]])
            out_act.append(a)
            out_val.append(val[hit])
            out_pt.append(P[hit] / val[hit, None])
    n = A.shape[0]
    return LeafPieces(upper=upper, best=best, best_point=best_point,
                      leaf=np.concatenate(out_leaf).astype(np.int64) if out_leaf else np.zeros(0, dtype=np.int64),
                      active=np.concatenate(out_act) if out_act else np.zeros((0, n), dtype=bool),
                      value=np.concatenate(out_val).astype(np.float64) if out_val else np.zeros(0),
                      point=np.concatenate(out_pt) if out_pt else np.zeros((0, D)))


def _resolve(ks, owner, L, G, SA, Vf, val, P, exact, floor, tol, batched: bool) -> None:
    """Exact maxima of the patterns ``ks`` (indices into ``Vf``) whose ``P_C(v_s)`` left
    their sub-region: the projection onto ``C_s = {G theta >= 0, s_i <a_i, theta> >= 0}``
    (``SA`` the rows ``s_i a_i``), batched (:func:`subregions.project_batch`); a pattern it
    does not settle, and every pattern of a batch smaller than ``BAB_LEAF_BATCH_MIN``, is
    solved alone (:func:`relucert.arrangement.region_max`). A pattern
    the batch bounds at most ``floor`` keeps that bound, not exact. Writes ``val[ks]``,
    ``P[ks]`` and ``exact[ks]``."""
    M = np.concatenate([G[L[owner[ks]]], SA], axis=1)                     # (k, D + u, D)
    if batched and ks.size >= BAB_LEAF_BATCH_MIN:
        bv, bP, status = project_batch(Vf[ks], M, tol.sign_zero, floor)
        ok = status == subregions.EXACT
        val[ks[ok]], P[ks[ok]] = bv[ok], bP[ok]
        bounded = status == subregions.BOUNDED
        val[ks[bounded]] = bv[bounded]
        exact[ks] = ~bounded
    else:
        status = np.full(ks.size, subregions.FAILED)
        exact[ks] = True
    for t in np.flatnonzero(status == subregions.FAILED):
        r = region_max(Vf[ks[t]], M[t], tol=tol)
        val[ks[t]], P[ks[t]] = r.value, r.projection


def has_interior(A: np.ndarray, active: np.ndarray, Rn: np.ndarray, tol: Tolerances,
                 point: np.ndarray | None = None) -> bool:
    """Whether the pattern ``active`` (over the rows of ``A``) has interior points in
    the cone ``cone(Rn)``: the LP ``max tau`` s.t. ``c >= tau``, ``s_i <a_i, Rn c> >=
    tau ||a_i||``, ``sum c = 1`` has ``tau > tol.sign_zero`` (a float decision, as the
    enumeration's own margin test).

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
        Data rows ``a_i`` (non-zero).
    active : np.ndarray of bool, shape (n,)
        The pattern: ``True`` for ``<a_i, theta> >= 0``, ``False`` for ``<= 0``.
    Rn : np.ndarray, shape (D, D)
        Unit rays of the cone (columns).
    tol : Tolerances
        ``tol.sign_zero`` is the margin ``tau`` must exceed.
    point : np.ndarray, shape (D,), optional
        A point of the closed sub-region (its maximiser): the start of a search for an
        interior point (:func:`_pushed_inside`) that, when it succeeds, answers without the LP.

    Returns
    -------
    bool
        Whether the LP is solved with ``tau > tol.sign_zero``.
    """
    D = Rn.shape[1]
    s = np.where(active, 1.0, -1.0)
    rows = (s[:, None] * (A @ Rn)) / np.linalg.norm(A, axis=1)[:, None]
    if point is not None and _pushed_inside(np.vstack([np.eye(D), rows]), np.linalg.solve(Rn, point), tol.sign_zero):
        return True
    A_ub = np.vstack([np.hstack([-np.eye(D), np.ones((D, 1))]), np.hstack([-rows, np.ones((rows.shape[0], 1))])])
    b_ub = np.zeros(A_ub.shape[0])
    A_eq = np.hstack([np.ones((1, D)), np.zeros((1, 1))])
    res = linprog(np.r_[np.zeros(D), -1.0], A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0],
                  bounds=[(0, None)] * D + [(None, 1.0)], method="highs")
    return bool(res.status == 0 and -res.fun > tol.sign_zero)


def _pushed_inside(M: np.ndarray, c0: np.ndarray, zero: float) -> bool:
    """Whether a perceptron walk from ``c0`` (mixed with the cone's centre) meets ``c`` with
    ``min(M c) > zero * sum(c)``, ``M = [I; rows]``: then ``c / sum(c)`` is a feasible
    point of :func:`has_interior`'s LP with ``tau > zero``, so the LP's answer is True (a
    sufficient test; ``False`` here says nothing and the LP decides)."""
    D = M.shape[1]
    c = np.maximum(c0, 0.0)
    c = c / max(float(c.sum()), float(np.finfo(np.float64).tiny)) + np.full(D, 1.0 / D)
    unit = M / np.linalg.norm(M, axis=1, keepdims=True)
    for _ in range(BAB_INTERIOR_PUSH_STEPS):
        Mc = M @ c
        j = int(np.argmin(Mc))
        if Mc[j] > zero * c.sum():
            return True
        c = c + unit[j] * (c.sum() / D)
    return False


def point_regions(A: np.ndarray, q: np.ndarray, pts: np.ndarray, signs: np.ndarray, report: float,
                  tol: Tolerances, known=()):
    """The regions holding the points ``pts`` and their exact maxima (proofs Lemma 10).

    A point off every hyperplane (``|<a_i, theta>| > tol.sign_zero ||a_i||``, ``theta``
    a unit vector) is interior to one region, the chamber of the rows ``A`` with pattern
    ``<a_i, theta> > 0``; on it ``sign * eta = <v, .>``, ``v = sign sum_{active} q_i a_i``,
    and its maximum over the ball is the projection onto the chamber's cone
    (:func:`relucert.arrangement.region_max` on the normals ``s_i a_i``; at rounding level
    of ``||v||`` it counts as 0). Points on a hyperplane are skipped; each region is
    solved once.

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
        Data rows ``a_i`` (non-zero).
    q : np.ndarray, shape (n,)
        Their weights.
    pts : np.ndarray, shape (k, D)
        Unit points.
    signs : np.ndarray, shape (k,)
        +1 (maximise ``eta``) or -1 (``-eta``) per point.
    report : float
        Regions whose maximum is at most this are dropped.
    tol : Tolerances
        ``tol.sign_zero``: the distance to a hyperplane below which a point is skipped.
    known : container of ``(packed pattern bytes, sign)``, optional
        Regions to skip (already listed).

    Returns
    -------
    active : np.ndarray of bool, shape (r, n)
        Pattern of each region kept.
    sign : np.ndarray of int8, shape (r,)
    value : np.ndarray, shape (r,)
        Its exact maximum (above ``report``).
    point : np.ndarray, shape (r, D)
        Its unit maximiser.

    Examples
    --------
    ``eta = relu(theta_1) - relu(theta_1 - theta_2)`` from a point with both rows active:
    the region ``{theta_1 >= 0, theta_1 >= theta_2}`` carries ``<(0, 1), theta>``, largest
    (``1/sqrt 2``) at ``(1, 1)/sqrt 2``.

    >>> from relucert.tolerances import DEFAULT
    >>> A, q = np.array([[1.0, 0.0], [1.0, -1.0]]), np.array([1.0, -1.0])
    >>> act, sg, val, pt = point_regions(A, q, np.array([[0.8, 0.6]]), np.array([1]), 0.5, DEFAULT)
    >>> act.tolist(), sg.tolist(), round(float(val[0]) ** 2, 12), (pt * 2 ** 0.5).round(12).tolist()
    ([[True, True]], [1], 0.5, [[1.0, 1.0]])
    """
    n, D = A.shape
    S = pts @ A.T
    off = np.all(np.abs(S) > tol.sign_zero * np.linalg.norm(A, axis=1)[None, :], axis=1)
    act_all = S[off] > 0
    sg_all = np.asarray(signs, dtype=np.int8)[off]
    keys = np.hstack([np.packbits(act_all, axis=1), (sg_all > 0).astype(np.uint8)[:, None]])
    _, first = np.unique(keys, axis=0, return_index=True)
    out_act, out_sg, out_val, out_pt = [], [], [], []
    for k in np.sort(first):
        a, s = act_all[k], int(sg_all[k])
        if (keys[k, :-1].tobytes(), s) in known:
            continue
        v = s * (np.where(a, q, 0.0) @ A)
        r = region_max(v, np.where(a, 1.0, -1.0)[:, None] * A, tol=tol)
        # a projection at rounding level of ||v|| is the zero vector (as in leaf_maxima)
        if r.value > max(report, tol.sign_zero * float(np.linalg.norm(v))) and r.point is not None:
            out_act.append(a)
            out_sg.append(s)
            out_val.append(r.value)
            out_pt.append(r.point)
    return (np.asarray(out_act, dtype=bool).reshape(-1, n), np.asarray(out_sg, dtype=np.int8),
            np.asarray(out_val, dtype=np.float64), np.asarray(out_pt, dtype=np.float64).reshape(-1, D))


def ascend(A: np.ndarray, q: np.ndarray, pts: np.ndarray, signs: np.ndarray, steps: int):
    """Local ascent of ``sign * eta`` from unit points: ``steps`` steps
    ``theta <- sign v(theta) / ||v(theta)||`` (``v(theta) = sum_{<a_i, theta> > 0} q_i a_i``,
    the maximiser over the ball of the linear piece at ``theta``), keeping each point's best.

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
    q : np.ndarray, shape (n,)
    pts : np.ndarray, shape (k, D)
        Unit starting points.
    signs : np.ndarray, shape (k,)
        +1 or -1 per point.
    steps : int

    Returns
    -------
    point : np.ndarray, shape (k, D)
        The best unit point met from each start.
    value : np.ndarray, shape (k,)
        ``sign * eta`` there (a value met at a point).

    Examples
    --------
    ``eta = relu(theta_1) + relu(theta_2)`` from ``(0.8, 0.6)`` (value 1.4): one step
    reaches ``(1, 1)/sqrt 2`` and ``sqrt 2``.

    >>> pt, val = ascend(np.eye(2), np.ones(2), np.array([[0.8, 0.6]]), np.array([1.0]), 1)
    >>> round(float(val[0]) ** 2, 12), (pt * 2 ** 0.5).round(12).tolist()
    (2.0, [[1.0, 1.0]])
    """
    s = np.asarray(signs, dtype=np.float64)
    best = np.array(pts, dtype=np.float64)
    val = s * _eta(A, q, best)
    theta = best
    for _ in range(steps):
        V = s[:, None] * (np.where(theta @ A.T > 0, q[None, :], 0.0) @ A)
        vn = np.linalg.norm(V, axis=1)
        ok = vn > 0
        theta = np.where(ok[:, None], V / np.where(ok, vn, 1.0)[:, None], theta)
        met = s * _eta(A, q, theta)
        up = met > val
        best[up], val[up] = theta[up], met[up]
    return best, val
