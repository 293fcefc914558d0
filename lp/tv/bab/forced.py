"""Forced leaves of the branch and bound: cones too thin to split further in float,
decided exactly by their conditioning and solved by enumerating the sub-arrangement of
their undecided hyperplanes (proofs/branch_and_bound.md, Lemma 11).

Rays are integer vectors and every split keeps ``|det R| = 1`` (Lemma 5), so the unit-ray
matrix has ``|det R_n| = 1 / prod_j ||r_j||``: a cone is *thin* when
``prod_j ||r_j||^2 >= 4^BAB_THIN_BITS``, an integer comparison (:func:`thin_mask`; float
logarithms decide far from the limit, Python integers near it). On degenerate data
(collinear points, duplicated or constant features) every hyperplane contains a common
subspace and the cones along it keep their points undecided however far they are split;
their unit rays would become parallel in float. A thin cone is not split and not bounded
in float: its inward normals are computed exactly (the integer matrix ``R^{-1}``,
:func:`exact_normals`), and its maximum is the largest over the sub-regions with interior
of the arrangement of its undecided hyperplanes inside it (:func:`sub_arrangement`, a
depth-first search with one LP per new side; with at most ``BAB_FORCED_ALL_PATTERNS``
undecided rows, every sign pattern instead and no LP), each sub-region's maximum by
projection (batched, :func:`relucert.lp.tv.bab.subregions.project_batch`, or
:func:`relucert.arrangement.region_max`). Hyperplanes that share a common subspace cut a
cone into few regions (at most ``2k`` for ``k`` hyperplanes through a common
``(D - 2)``-dimensional subspace), not ``2^k``.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from relucert.arrangement.cones import interior_margin, region_max
from relucert.arrangement.exact import rref_exact
from relucert.lp.tv.bab import subregions
from relucert.tolerances import BAB_FORCED_ALL_PATTERNS, BAB_FORCED_CONE_MARGIN, BAB_LEAF_BATCH_MIN

__all__ = ["thin_mask", "exact_normals", "sub_arrangement", "forced_leaf", "has_interior_in"]


def thin_mask(R: np.ndarray, bits: int) -> np.ndarray:
    """Whether ``prod_j ||r_j||^2 >= 4^bits`` for each integer ray matrix (exact).

    Parameters
    ----------
    R : np.ndarray, shape (m, D, D)
        Integer-valued float rays (columns), entries below ``2^53``.
    bits : int

    Returns
    -------
    np.ndarray of bool, shape (m,)

    Examples
    --------
    >>> R = np.array([np.eye(2), [[3.0, 0.0], [0.0, 3.0]]])
    >>> thin_mask(R, 3).tolist()          # prod ||r_j||^2 = 1 and 81 against 4^3 = 64
    [False, True]
    """
    sq = np.einsum("mdj,mdj->mj", R, R)
    lg = np.log2(sq).sum(axis=1)
    out = lg >= 2 * bits + 1
    for m in np.flatnonzero(np.abs(lg - 2 * bits) <= 1):     # near the limit: integers
        prod = 1
        for j in range(R.shape[2]):
            prod *= sum(int(v) * int(v) for v in R[m, :, j])
        out[m] = prod >= 1 << (2 * bits)
    return out


def exact_normals(R: np.ndarray) -> np.ndarray:
    """Unit inward normals of ``cone(R)`` (rows): the rows of the integer matrix
    ``R^{-1}`` (``|det R| = 1``), normalised: the rounded float inverse when ``R G = I``
    holds exactly in integers, else computed in rationals.

    Examples
    --------
    >>> exact_normals(np.array([[1.0, 1.0], [0.0, 1.0]])).round(12).tolist()
    [[0.707106781187, -0.707106781187], [0.0, 1.0]]
    """
    D = R.shape[0]
    with np.errstate(all="ignore"):
        G0 = np.rint(np.linalg.inv(R)) if np.isfinite(np.linalg.cond(R)) else np.full((D, D), np.nan)
    if np.all(np.abs(G0) < 2.0 ** 52):      # the float inverse, rounded, is checked exactly
        Gi = G0.astype(np.int64).astype(object)
        if np.array_equal(R.astype(np.int64).astype(object) @ Gi, np.eye(D, dtype=np.int64).astype(object)):
            return G0 / np.linalg.norm(G0, axis=1, keepdims=True)
    M, _ = rref_exact([[Fraction(int(R[i, j])) for j in range(D)] + [Fraction(int(i == t)) for t in range(D)]
                       for i in range(D)])       # [R | I] -> [I | R^-1]
    G = np.empty((D, D))
    for i in range(D):
        row = M[i][D:]
        top = max(abs(v) for v in row)
        G[i] = [float(v / top) for v in row]
        G[i] /= np.linalg.norm(G[i])
    return G


def sub_arrangement(G: np.ndarray, rows: np.ndarray, zero: float) -> list:
    """The sign patterns (over ``rows``) whose sub-region of ``{G theta >= 0}`` has interior.

    Depth-first over the rows in order: a prefix pattern is kept when its polyhedral cone
    has an interior point with margin ``> zero`` (the LP of :func:`_interior`, unit rows;
    the point found for the parent serves the child on its side without an LP).

    Parameters
    ----------
    G : np.ndarray, shape (g, D)
        Unit inward normals of the cone (rows; none: the whole space).
    rows : np.ndarray, shape (u, D)
        Unit normals of the hyperplanes.
    zero : float
        The margin (``tol.sign_zero``).

    Returns
    -------
    list of np.ndarray of bool, shape (u,)
        One pattern (``True``: ``<row, theta> >= 0``) per sub-region with interior.

    Examples
    --------
    The quadrant cut by the diagonal: two regions; by the anti-diagonal (outside): one.

    >>> r = np.array([[1.0, -1.0], [1.0, 1.0]]) / 2 ** 0.5
    >>> [p.tolist() for p in sub_arrangement(np.eye(2), r, 1e-12)]
    [[True, True], [False, True]]
    """
    u = rows.shape[0]
    tau, pt = interior_margin(G)
    if not tau > zero:
        return []
    out = []
    stack = [(np.zeros(0, dtype=bool), pt, tau)]
    while stack:
        pre, pt, tau = stack.pop()
        t = pre.size
        if t == u:
            out.append(pre)
            continue
        M = np.vstack([G, np.where(pre, 1.0, -1.0)[:, None] * rows[:t]])
        side = float(rows[t] @ pt)
        for s in (False, True):
            sg = 1.0 if s else -1.0
            if sg * side > zero:                 # the parent's point is inside with a margin
                stack.append((np.append(pre, s), pt, min(tau, sg * side)))
                continue
            ct, cp = interior_margin(np.vstack([M, sg * rows[t]]))
            if ct > zero:
                stack.append((np.append(pre, s), cp, ct))
    return out


def forced_leaf(A: np.ndarray, Q: np.ndarray, act: np.ndarray, und: np.ndarray, R: np.ndarray, zero: float,
                cache: dict | None = None):
    """The exact maximum of ``sum_i Q_i relu(<a_i, theta>)`` over a thin cone and the ball.

    The closed regions of the central arrangement of the undecided hyperplanes (patterns
    with interior in R^D, :func:`sub_arrangement` without a cone; ``cache`` keeps them per
    undecided set) cover R^D, and on ``C`` intersected with the closed region ``s``,
    ``eta = <v_s, .>``; so the maximum over ``C`` is the largest ``||P_{C cap C_s}(v_s)||``
    (proofs Lemma 11). A region that misses ``C`` gives at most 0. That list is short when
    the undecided rows span less than R^D (a common subspace: the degenerate data that make
    thin cones); with at most ``BAB_FORCED_ALL_PATTERNS`` undecided rows every sign pattern
    is taken, with or without interior (no LP: proofs Lemma 11, "Every pattern"); when they span R^D (general position: O(u^(D-1)) regions in R^D) only the
    regions with interior in ``C`` are listed (:func:`sub_arrangement` in the cone), unless
    ``C``'s own interior margin is at most ``BAB_FORCED_CONE_MARGIN`` (its sub-regions' LPs
    would decide below the LP's accuracy).

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
    Q : np.ndarray, shape (n,)
        Weights (``sign * q``).
    act, und : np.ndarray of bool, shape (n,)
        Exact classification of the rows on the cone (:func:`relucert.lp.tv.bab.cones.classify`).
    R : np.ndarray, shape (D, D)
        The integer rays (columns).
    zero : float
        ``tol.sign_zero``: the interior margin, and a projection at most ``zero ||v||`` counts as 0.
    cache : dict, optional
        Region patterns per undecided set (bytes of ``und``), shared across leaves.

    Returns
    -------
    active : np.ndarray of bool, shape (r, n)
        The pattern of each region over all rows.
    value : np.ndarray, shape (r,)
        The exact maximum of ``eta`` over the cone cut by that closed region and the ball.
    point : np.ndarray, shape (r, D)
        Its unit maximiser (NaN where the value is 0).
    """
    n, D = A.shape
    G = exact_normals(R)
    U = np.flatnonzero(und)
    rows = A[U] / np.linalg.norm(A[U], axis=1)[:, None]
    pats = [np.zeros(0, dtype=bool)] if rows.shape[0] == 0 else None
    if pats is None and U.size <= BAB_FORCED_ALL_PATTERNS:
        # every sign pattern, no interior LP: the closed pieces cover the cone whatever
        # their interiors, and one without interior gives the maximum over a closed subset
        # of the cone (proofs Lemma 11, "Every pattern")
        pats = list((np.arange(1 << U.size)[:, None] >> np.arange(U.size)[None, :]) & 1 == 1)
    if pats is None and np.linalg.matrix_rank(rows) == D and interior_margin(G)[0] > BAB_FORCED_CONE_MARGIN:
        pats = sub_arrangement(G, rows, zero)     # general position: only the regions inside the cone
    if pats is None:
        # a common subspace (few regions in R^D), or a cone too thin for its own LPs: the
        # regions of R^D, listed once per undecided set
        key = und.tobytes()
        pats = None if cache is None else cache.get(key)
        if pats is None:
            pats = sub_arrangement(np.zeros((0, D)), rows, zero)
            if cache is not None:
                cache[key] = pats
    v0 = np.where(act, Q, 0.0) @ A
    bits = np.asarray(pats, dtype=bool).reshape(len(pats), U.size)
    active = np.repeat(act[None], len(pats), axis=0)
    active[:, U] = bits
    V = v0 + bits.astype(np.float64) @ (Q[U, None] * A[U])
    M = np.concatenate([np.broadcast_to(G, (len(pats), D, D)),
                        np.where(bits, 1.0, -1.0)[:, :, None] * rows[None]], axis=1)
    value, point = _piece_maxima(V, M, zero)
    return active, value, point


def _piece_maxima(V: np.ndarray, M: np.ndarray, zero: float):
    """``||P_K(v)||`` and its unit maximiser for each ``K = {M theta >= 0}`` (rows of ``M``):
    batched (:func:`relucert.lp.tv.bab.subregions.project_batch`) from
    ``BAB_LEAF_BATCH_MIN`` problems on, a problem it does not settle alone
    (:func:`relucert.arrangement.region_max`); a value at most ``zero ||v||`` is 0 (point NaN)."""
    k, D = V.shape
    value, point = np.zeros(k), np.full((k, D), np.nan)
    status = np.full(k, subregions.FAILED, dtype=np.int8)
    if k >= BAB_LEAF_BATCH_MIN:
        val, P, status = subregions.project_batch(V, M, zero)
    for t in range(k):
        if status[t] == subregions.EXACT:
            val_t, pt_t = float(val[t]), (P[t] / val[t] if val[t] > 0 else None)
        else:
            r = region_max(V[t], M[t])
            val_t, pt_t = r.value, r.point
        if val_t > zero * float(np.linalg.norm(V[t])) and pt_t is not None:
            value[t], point[t] = val_t, pt_t
    return value, point


def has_interior_in(R: np.ndarray, A: np.ndarray, active: np.ndarray, und: np.ndarray, zero: float) -> bool:
    """Whether the cone ``cone(R)`` cut by the pattern ``active`` on its undecided rows has
    interior points (margin ``> zero``, unit rows; the exact normals of :func:`exact_normals`)."""
    U = np.flatnonzero(und)
    rows = np.where(active[U], 1.0, -1.0)[:, None] * A[U] / np.linalg.norm(A[U], axis=1)[:, None]
    tau, _ = interior_margin(np.vstack([exact_normals(R), rows]))
    return tau > zero
