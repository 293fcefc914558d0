"""Simplicial cones of R^D for the branch and bound over the sphere (DESIGN.md section 10).

A node is a cone ``C = {R c : c >= 0}`` whose ray matrix ``R`` (columns ``r_j``) holds
integers (roots: the orthants; a split adds ``r_j + r_k``), so ``|det R| = 1`` on every
node and the rays are exact in float64 below ``2**53``. This module, batched over many
cones at once (arrays with a leading axis ``m``):

- :func:`classify`: which data points are active (``S_i = a_i^T R >= 0``), inactive
  (``S_i <= 0``) or undecided on each cone, with exact signs (float products whose
  rounding bound reaches zero are decided in rationals);
- :func:`linear_majorant`: the vector ``w`` with ``eta <= <w, theta>`` on the cone
  (active part, sublinear interpolation of the undecided positive terms, the alpha
  relaxation of the undecided negative terms);
- :func:`cone_max`: ``max {<w, theta> : theta in C, ||theta|| <= 1} = ||P_C(w)||``
  exactly, by the largest feasible face projection, and :func:`pre_bound`, a bound
  that needs no projection.

Proofs: proofs/branch_and_bound.md (Lemmas 1-4).
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np

__all__ = ["classify", "centre_alpha", "linear_majorant", "pre_bound", "cone_max", "normals"]

_EPS = np.finfo(np.float64).eps


def classify(A: np.ndarray, R: np.ndarray):
    """Exact classification of the data against cones.

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
        Data rows ``a_i``.
    R : np.ndarray, shape (m, D, D)
        Integer-valued float rays (columns) of m cones.

    Returns
    -------
    act, und : np.ndarray of bool, shape (m, n)
        ``act``: ``<a_i, r_j> >= 0`` for every ray (and not all zero); ``und``: some ray
        on each side. The rest are inactive.
    Sn : np.ndarray, shape (m, n, D)
        ``<a_i, r_j / ||r_j||>`` (floats).
    Rn : np.ndarray, shape (m, D, D)
        The unit rays.

    Examples
    --------
    The positive quadrant against ``a = (1, 0)`` (active) and ``(1, -1)`` (undecided):

    >>> act, und, Sn, Rn = classify(np.array([[1.0, 0.0], [1.0, -1.0]]), np.eye(2)[None])
    >>> act.tolist(), und.tolist()
    ([[True, False]], [[False, True]])

    Notes
    -----
    The float product ``fl(S_ij)`` differs from ``S_ij`` by at most
    ``gamma_D sum_k |a_ik| |r_kj|`` (``gamma_D = D u / (1 - D u)``, bounded here by
    ``(D + 2) eps``); entries within that bound of zero get their sign from the exact
    rational sum (``Fraction`` of the float data and the integer rays).
    """
    m, D, _ = R.shape
    S = np.matmul(A, R)                                       # (m, n, D), batched BLAS
    err = (D + 2) * _EPS * np.matmul(np.abs(A), np.abs(R))
    sg = np.sign(S)
    amb = np.abs(S) <= err
    if amb.any():
        for k, i, j in zip(*np.nonzero(amb)):
            exact = sum(Fraction(float(A[i, t])) * int(R[k, t, j]) for t in range(D))
            sg[k, i, j] = (exact > 0) - (exact < 0)
    ina = np.all(sg <= 0, axis=2)
    act = np.all(sg >= 0, axis=2) & ~ina
    und = ~act & ~ina
    norms = np.linalg.norm(R, axis=1)                       # (m, D)
    Rn = R / norms[:, None, :]
    Sn = S / norms[:, None, :]
    return act, und, Sn, Rn


def normals(Rn: np.ndarray) -> np.ndarray:
    """``G = Rn^{-1}`` (rows ``g_j``): ``C = {theta : G theta >= 0}`` and
    ``theta = sum_j <g_j, theta> r_j``.

    Parameters
    ----------
    Rn : np.ndarray, shape (m, D, D)
        Unit rays of m cones (columns).

    Returns
    -------
    np.ndarray, shape (m, D, D)
        The inward normals ``g_j`` (rows) of each cone.

    Examples
    --------
    >>> normals(np.array([[[1.0, 1.0], [0.0, 1.0]]])).tolist()
    [[[1.0, -1.0], [0.0, 1.0]]]
    """
    return np.linalg.inv(Rn)


def centre_alpha(Sn: np.ndarray) -> np.ndarray:
    """The default relaxation slopes (m, n): 1 where the cone's centre ``sum_j r_j/||r_j||``
    is on the active side of ``H_i``, else 0.

    Parameters
    ----------
    Sn : np.ndarray, shape (m, n, D)
        ``<a_i, r_j / ||r_j||>`` for every cone, data point and ray (from :func:`classify`).

    Returns
    -------
    np.ndarray of float, shape (m, n)
        1.0 where ``<a_i, centre> > 0``, else 0.0.

    Examples
    --------
    >>> centre_alpha(np.array([[[1.0, -0.5], [-1.0, 0.5]]])).tolist()
    [[1.0, 0.0]]
    """
    return (Sn.sum(axis=2) > 0).astype(np.float64)


def linear_majorant(A: np.ndarray, Q: np.ndarray, act: np.ndarray, und: np.ndarray, Sn: np.ndarray,
                    G: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """``w`` (m, D) with ``sum_i Q_i relu(<a_i, theta>) <= <w, theta>`` on each cone.

    ``Q`` (m, n): the weights of each node (``sign * p``). Active points contribute
    ``Q_i a_i``; the undecided positive part ``f`` is sublinear, so ``f <= <G^T f(r), .>``
    on the cone (``f(r_j)`` at the unit rays, interpolated); an undecided negative term
    is bounded by ``Q_i alpha_i <a_i, theta>`` for any ``alpha_i in [0, 1]`` (``alpha``
    (m, n); default :func:`centre_alpha`; proofs Lemma 2).

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
        Data rows ``a_i``.
    Q : np.ndarray, shape (m, n)
        Weight of each data point on each node (``sign * p``).
    act, und : np.ndarray of bool, shape (m, n)
        Active and undecided points of each cone (from :func:`classify`).
    Sn : np.ndarray, shape (m, n, D)
        ``<a_i, r_j / ||r_j||>`` (from :func:`classify`).
    G : np.ndarray, shape (m, D, D)
        Inward normals of each cone (from :func:`normals`).
    alpha : np.ndarray, shape (m, n), optional
        Slopes in ``[0, 1]`` for the undecided negative terms; :func:`centre_alpha`
        when ``None``.

    Returns
    -------
    np.ndarray, shape (m, D)
        The majorant ``w`` of each cone.
    """
    v0 = (np.where(act, Q, 0.0)) @ A
    pos = und & (Q > 0)
    fr = np.matmul(np.where(pos, Q, 0.0)[:, None, :], np.maximum(Sn, 0.0))[:, 0, :]
    w_pos = np.einsum("mjd,mj->md", G, fr)
    if alpha is None:
        alpha = centre_alpha(Sn)
    neg = und & (Q < 0)
    w_neg = np.where(neg, Q * alpha, 0.0) @ A
    return v0 + w_pos + w_neg


def pre_bound(W: np.ndarray, Rn: np.ndarray, G: np.ndarray) -> np.ndarray:
    """A bound on ``max {<w, theta> : theta in C, ||theta|| <= 1}`` without projection:
    ``min(||w||, sum_j ||g_j|| max(0, <w, r_j>))`` (``theta = sum_j c_j r_j`` with
    ``c_j = <g_j, theta> <= ||g_j||``).

    Parameters
    ----------
    W : np.ndarray, shape (m, D)
        One vector ``w`` per cone.
    Rn : np.ndarray, shape (m, D, D)
        Unit rays (columns).
    G : np.ndarray, shape (m, D, D)
        Inward normals (rows, from :func:`normals`).

    Returns
    -------
    np.ndarray, shape (m,)
        The bound per cone.

    Examples
    --------
    >>> I = np.eye(2)[None]
    >>> pre_bound(np.array([[3.0, -4.0]]), I, I).tolist()
    [3.0]
    """
    wr = np.einsum("md,mdj->mj", W, Rn)
    return np.minimum(np.linalg.norm(W, axis=1), np.sum(np.linalg.norm(G, axis=2) * np.maximum(wr, 0.0), axis=1))


_FACES: dict[int, list[tuple[int, np.ndarray, np.ndarray, bool]]] = {}


def _faces(D: int) -> list[tuple[int, np.ndarray, np.ndarray, bool]]:
    """The proper non-empty ray subsets ``F``, grouped by size ``k = |F|``: per size, the
    ``(f, k)`` index array of the subsets, the ``(f, D - k)`` array of their complements
    ``N``, and whether the projection onto ``span r_F`` is solved on the rays
    (``k <= D - k``) or on the normals."""
    if D not in _FACES:
        out = []
        for k in range(1, D):
            F = list(combinations(range(D), k))
            N = [tuple(j for j in range(D) if j not in f) for f in F]
            out.append((k, np.array(F, dtype=np.int64).reshape(len(F), k),
                        np.array(N, dtype=np.int64).reshape(len(F), D - k), k <= D - k))
        _FACES[D] = out
    return _FACES[D]


def _solve_small(M: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``M^{-1} b`` for a stack of small symmetric systems ``M`` (..., k, k), ``b`` (..., k)
    (closed forms for k <= 2)."""
    k = M.shape[-1]
    if k == 1:
        return b / M[..., 0]
    if k == 2:
        a, c, e = M[..., 0, 0], M[..., 0, 1], M[..., 1, 1]
        det = a * e - c * c
        det = np.where(det != 0, det, np.finfo(np.float64).tiny)
        out = np.empty(b.shape)
        out[..., 0] = (e * b[..., 0] - c * b[..., 1]) / det
        out[..., 1] = (a * b[..., 1] - c * b[..., 0]) / det
        return out
    try:
        return np.linalg.solve(M, b[..., None])[..., 0]
    except np.linalg.LinAlgError:   # rays parallel to float precision (a forced leaf)
        return np.einsum("...kl,...l->...k", np.linalg.pinv(M), b)


def cone_max(W: np.ndarray, Rn: np.ndarray, G: np.ndarray, zero: float):
    """``||P_C(w)||`` and ``P_C(w)`` for simplicial cones ``C = cone(Rn)``, batched.

    ``P_C(w)`` lies in the relative interior of a face ``cone(r_F)`` and equals the
    orthogonal projection of ``w`` onto ``span(r_F)``; every such projection that lies
    in ``C`` (coefficients ``>= 0``) is at least as far from ``w``, and
    ``||w - P_L w||^2 = ||w||^2 - ||P_L w||^2``: so ``P_C(w)`` is the feasible face
    projection of largest norm (0 when none; proofs Lemma 3). Each face's projection is
    solved on the smaller of its ray Gram matrix ``Rn_F^T Rn_F`` and its normals' Gram
    matrix ``G_N G_N^T`` (``N`` the other rays: ``span r_F = {g_N theta = 0}``), from
    Gram matrices computed once; the winner is recomputed explicitly.

    Parameters
    ----------
    W : np.ndarray, shape (m, D)
        One vector ``w`` per cone.
    Rn : np.ndarray, shape (m, D, D)
        Unit rays (columns).
    G : np.ndarray, shape (m, D, D)
        Inward normals (rows, from :func:`normals`).
    zero : float
        Relative slack on the coefficients' signs (a coefficient ``>= -zero * ||w||``
        counts as non-negative).

    Returns
    -------
    value : np.ndarray, shape (m,)
        ``||P_C(w)||`` per cone.
    P : np.ndarray, shape (m, D)
        ``P_C(w)`` per cone.

    Examples
    --------
    The positive quadrant: ``P_C((3, -4)) = (3, 0)``.

    >>> I = np.eye(2)[None]
    >>> value, P = cone_max(np.array([[3.0, -4.0]]), I, I, 0.0)
    >>> value.tolist(), P.tolist()
    ([3.0], [[3.0, 0.0]])
    """
    m, D = W.shape
    vn = np.linalg.norm(W, axis=1)
    value = np.zeros(m)
    P = np.zeros((m, D))
    gw = np.einsum("mjd,md->mj", G, W)                     # coefficients of w on the rays
    gn = np.linalg.norm(G, axis=2)
    inside = np.all(gw >= -zero * vn[:, None] * gn, axis=1)
    value[inside] = vn[inside]
    P[inside] = W[inside]
    rw = np.einsum("md,mdj->mj", W, Rn)
    rest = np.flatnonzero(~inside & np.any(rw > 0, axis=1))   # otherwise w is in the polar cone: P = 0
    if rest.size == 0:
        return value, P
    Wr, Rr, Gr, gwr, rwr = W[rest], Rn[rest], G[rest], gw[rest], rw[rest]
    RR = np.einsum("mdj,mdk->mjk", Rr, Rr)
    GG = np.einsum("mjd,mkd->mjk", Gr, Gr)
    w2 = vn[rest] ** 2
    tiny = zero * vn[rest]
    best = np.zeros(rest.size)
    face = np.full((rest.size, 2), -1)              # (size group, face in the group) of the winner
    for g, (k, F, N, on_rays) in enumerate(_faces(D)):
        # every face of size k at once: (m, f, k) coefficients
        if on_rays:
            c = _solve_small(RR[:, F[:, :, None], F[:, None, :]], rwr[:, F])
            val2 = np.einsum("mfk,mfk->mf", c, rwr[:, F])
        else:
            gN = gwr[:, N]
            mu = _solve_small(GG[:, N[:, :, None], N[:, None, :]], gN)
            c = gwr[:, F] - np.einsum("mfkl,mfl->mfk", GG[:, F[:, :, None], N[:, None, :]], mu)
            val2 = w2[:, None] - np.einsum("mfk,mfk->mf", mu, gN)
        ok = np.all(c >= -tiny[:, None, None], axis=2) & np.any(c > tiny[:, None, None], axis=2)
        val2 = np.where(ok, val2, -np.inf)
        j = np.argmax(val2, axis=1)
        top = val2[np.arange(rest.size), j]
        better = top > best
        best[better] = top[better]
        face[better] = np.stack([np.full(int(better.sum()), g), j[better]], axis=1)
    Pr = np.zeros((rest.size, D))
    groups = _faces(D)
    for g in np.unique(face[face[:, 0] >= 0, 0]):
        sel = face[:, 0] == g
        rows = np.flatnonzero(sel)
        _, Fs, Ns, on_rays = groups[g]
        F, N = Fs[face[rows, 1]], Ns[face[rows, 1]]       # (r, k), (r, D - k)
        if on_rays:
            RF = np.take_along_axis(Rr[rows], F[:, None, :], axis=2)            # (r, D, k)
            c = _solve_small(np.einsum("rdk,rdl->rkl", RF, RF), np.take_along_axis(rwr[rows], F, axis=1))
            Pr[rows] = np.einsum("rdk,rk->rd", RF, c)
        else:
            GN = np.take_along_axis(Gr[rows], N[:, :, None], axis=1)            # (r, D - k, D)
            mu = _solve_small(np.einsum("rkd,rld->rkl", GN, GN), np.take_along_axis(gwr[rows], N, axis=1))
            Pr[rows] = Wr[rows] - np.einsum("rkd,rk->rd", GN, mu)
    value[rest] = np.linalg.norm(Pr, axis=1)
    P[rest] = Pr
    return value, P
