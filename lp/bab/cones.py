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

__all__ = ["classify", "linear_majorant", "pre_bound", "cone_max", "normals"]

_EPS = np.finfo(np.float64).eps


def classify(A: np.ndarray, R: np.ndarray):
    """Exact classification of the data against cones.

    Parameters
    ----------
    A : (n, D) data rows ``a_i``.
    R : (m, D, D) integer-valued float rays (columns).

    Returns
    -------
    act, und : (m, n) bool. ``act``: ``<a_i, r_j> >= 0`` for every ray (and not all
        zero); ``und``: some ray on each side. The rest are inactive.
    Sn : (m, n, D) ``<a_i, r_j / ||r_j||>`` (floats).
    Rn : (m, D, D) the unit rays.

    Notes
    -----
    The float product ``fl(S_ij)`` differs from ``S_ij`` by at most
    ``gamma_D sum_k |a_ik| |r_kj|`` (``gamma_D = D u / (1 - D u)``, bounded here by
    ``(D + 2) eps``); entries within that bound of zero get their sign from the exact
    rational sum (``Fraction`` of the float data and the integer rays).
    """
    m, D, _ = R.shape
    S = np.einsum("nd,mdj->mnj", A, R)
    err = (D + 2) * _EPS * np.einsum("nd,mdj->mnj", np.abs(A), np.abs(R))
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
    ``theta = sum_j <g_j, theta> r_j``."""
    return np.linalg.inv(Rn)


def linear_majorant(A: np.ndarray, Q: np.ndarray, act: np.ndarray, und: np.ndarray, Sn: np.ndarray,
                    G: np.ndarray) -> np.ndarray:
    """``w`` (m, D) with ``sum_i Q_i relu(<a_i, theta>) <= <w, theta>`` on each cone.

    ``Q`` (m, n): the weights of each node (``sign * p``). Active points contribute
    ``Q_i a_i``; the undecided positive part ``f`` is sublinear, so ``f <= <G^T f(r), .>``
    on the cone (``f(r_j)`` at the unit rays, interpolated); an undecided negative term
    is bounded by ``Q_i alpha_i <a_i, theta>`` with ``alpha_i = 1`` when the cone's centre
    ``sum_j r_j/||r_j||`` lies on the active side of ``H_i`` and 0 otherwise (the linear
    minorant of relu that is exact on the side holding the centre; proofs Lemma 2)."""
    v0 = (np.where(act, Q, 0.0)) @ A
    pos = und & (Q > 0)
    fr = np.einsum("mn,mnj->mj", np.where(pos, Q, 0.0), np.maximum(Sn, 0.0))
    w_pos = np.einsum("mjd,mj->md", G, fr)
    neg = und & (Q < 0) & (Sn.sum(axis=2) > 0)
    w_neg = np.where(neg, Q, 0.0) @ A
    return v0 + w_pos + w_neg


def pre_bound(W: np.ndarray, Rn: np.ndarray, G: np.ndarray) -> np.ndarray:
    """A bound on ``max {<w, theta> : theta in C, ||theta|| <= 1}`` without projection:
    ``min(||w||, sum_j ||g_j|| max(0, <w, r_j>))`` (``theta = sum_j c_j r_j`` with
    ``c_j = <g_j, theta> <= ||g_j||``)."""
    wr = np.einsum("md,mdj->mj", W, Rn)
    return np.minimum(np.linalg.norm(W, axis=1), np.sum(np.linalg.norm(G, axis=2) * np.maximum(wr, 0.0), axis=1))


_SUBSETS: dict[int, list[tuple[int, ...]]] = {}


def _subsets(D: int) -> list[tuple[int, ...]]:
    if D not in _SUBSETS:
        _SUBSETS[D] = [F for k in range(1, D) for F in combinations(range(D), k)]
    return _SUBSETS[D]


def cone_max(W: np.ndarray, Rn: np.ndarray, G: np.ndarray, zero: float):
    """``||P_C(w)||`` and ``P_C(w)`` for simplicial cones ``C = cone(Rn)``, batched.

    ``P_C(w)`` lies in the relative interior of a face ``cone(r_F)`` and equals the
    orthogonal projection of ``w`` onto ``span(r_F)``; every such projection that lies
    in ``C`` (coefficients ``>= 0``) is at least as far from ``w``, and
    ``||w - P_L w||^2 = ||w||^2 - ||P_L w||^2``: so ``P_C(w)`` is the feasible face
    projection of largest norm (0 when none; proofs Lemma 3). ``zero``: relative
    slack on the coefficients' signs. Returns ``(value (m,), P (m, D))``.
    """
    m, D = W.shape
    vn = np.linalg.norm(W, axis=1)
    value = np.zeros(m)
    P = np.zeros((m, D))
    c_full = np.einsum("mjd,md->mj", G, W)
    slack = zero * vn[:, None] * np.linalg.norm(G, axis=2)
    inside = np.all(c_full >= -slack, axis=1)
    value[inside] = vn[inside]
    P[inside] = W[inside]
    rest = np.flatnonzero(~inside)
    if rest.size == 0:
        return value, P
    Wr, Rr = W[rest], Rn[rest]
    wr = np.einsum("md,mdj->mj", Wr, Rr)
    rest_live = np.any(wr > 0, axis=1)              # otherwise w is in the polar cone: P = 0
    rest, Wr, Rr, wr = rest[rest_live], Wr[rest_live], Rr[rest_live], wr[rest_live]
    if rest.size == 0:
        return value, P
    best = np.zeros(rest.size)
    bestP = np.zeros((rest.size, D))
    tiny = zero * vn[rest]
    for F in _subsets(D):
        if len(F) == 1:
            c = wr[:, F[0]]
            ok = c > tiny
            val = np.where(ok, c, 0.0)
            proj = c[:, None] * Rr[:, :, F[0]]
        else:
            RF = Rr[:, :, F]                                   # (mr, D, k)
            M = np.einsum("mdk,mdl->mkl", RF, RF)
            b = wr[:, F]
            try:
                c = np.linalg.solve(M, b[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:   # rays parallel to float precision (a forced leaf)
                c = np.einsum("mkl,ml->mk", np.linalg.pinv(M), b)
            ok = np.all(c >= -tiny[:, None], axis=1)
            proj = np.einsum("mdk,mk->md", RF, c)
            val = np.linalg.norm(proj, axis=1)
        better = ok & (val > best)
        best[better] = val[better]
        bestP[better] = proj[better]
    value[rest] = best
    P[rest] = bestP
    return value, P
