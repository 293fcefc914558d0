"""The sub-regions of the exact leaves (:func:`relucert.lp.tv.bab.leaves.leaf_maxima`):
patterns proven empty by a pair of rows (:func:`empty_patterns`), and batched projections
onto small polyhedral cones (:func:`project_batch`).

For ``C = {theta : M theta >= 0}`` (``k`` rows ``m_j`` in R^D) and ``v``::

    max { <v, theta> : theta in C, ||theta|| <= 1 } = ||P_C(v)||,
    P_C(v) = v + M^T lam*,   lam* = argmin_{lam >= 0} || v + M^T lam ||

(Moreau; :func:`relucert.arrangement.region_max` is the single solve). Here many such
problems of one shape are solved together by the Lawson-Hanson active-set method, with
masked Gram systems (one batched ``k x k`` solve per step for every unfinished problem)
and at most ``BAB_LEAF_NNLS_STEPS_PER_ROW * k`` steps. Each answer is then checked on its
own (proofs/branch_and_bound.md, Lemma 6b): ``lam >= 0`` makes ``||v + M^T lam||`` an
upper bound of the maximum, and ``M P >= 0`` with ``<lam, M P> = 0`` (both to
``zero``, relative) makes it the maximum. A problem that did not converge or fails the
check is reported as such: the caller solves it alone.
"""
from __future__ import annotations

import numpy as np

from relucert.tolerances import BAB_LEAF_NNLS_STEPS_PER_ROW

__all__ = ["project_batch", "empty_patterns", "FAILED", "EXACT", "BOUNDED"]


def empty_patterns(S: np.ndarray, an: np.ndarray, bits: np.ndarray, zero: float) -> np.ndarray:
    """Sign patterns whose sub-region has no interior, proven by a pair of rows
    (proofs/branch_and_bound.md, Lemma 6a).

    For undecided points ``i != k`` of a leaf cone ``C = cone(r_1..r_D)`` and signs
    ``(s_i, s_k)``, the interior of ``{theta in C : s_i <a_i, theta> > 0, s_k <a_k, theta> > 0}``
    is empty if some ``t > 0`` has ``x_j + t y_j <= 0`` on every unit ray, with the rows
    shifted against rounding: ``x_j = s_i S_ij + zero ||a_i||``, ``y_j = s_k S_kj + zero
    ||a_k||``. Every pattern containing such a pair is empty (not all: the test is
    sufficient, never necessary).

    Parameters
    ----------
    S : np.ndarray, shape (l, u, D)
        ``<a_i, r_j / ||r_j||>`` of each leaf's undecided points on its unit rays.
    an : np.ndarray, shape (l, u)
        ``||a_i||``.
    bits : np.ndarray of bool, shape (P, u)
        The patterns (True: ``s_i = +``).
    zero : float
        Relative rounding slack.

    Returns
    -------
    np.ndarray of bool, shape (l, P)
        Proven empty.

    Examples
    --------
    In the quadrant, ``theta_1 - theta_2 > 0`` and ``theta_2 - 2 theta_1 > 0`` exclude
    each other (on both rays the sum with ``t = 1`` is ``<= 0``); the other patterns of the
    two lines have interior points.

    >>> from relucert.tolerances import DEFAULT
    >>> S = np.array([[[1.0, -1.0], [-2.0, 1.0]]])
    >>> bits = np.array([[False, False], [True, False], [False, True], [True, True]])
    >>> empty_patterns(S, np.ones((1, 2)), bits, DEFAULT.sign_zero).tolist()
    [[False, False, False, True]]
    """
    l, u, D = S.shape
    if u < 2:
        return np.zeros((l, bits.shape[0]), dtype=bool)
    I, K = np.triu_indices(u, 1)                                                     # the pairs
    sides = np.array([-1.0, 1.0])
    T = sides[None, None, :, None] * S[:, :, None, :] + zero * an[:, :, None, None]  # (l, u, 2, D)
    X, Y = T[:, I, :, None, :], T[:, K, None, :, :]                                   # (l, q, 2, 1|2, D)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = -X / Y
    hi = np.min(np.where(Y > 0, r, np.inf), axis=-1)
    lo = np.max(np.where(Y < 0, r, 0.0), axis=-1)
    t = np.where(np.isfinite(hi), 0.5 * (lo + hi), 2.0 * lo + 1.0)
    # the certificate: t > 0 and x + t y <= 0 on every ray, checked as computed
    proof = (t > 0) & np.all(X + t[..., None] * Y <= 0, axis=-1)                     # (l, q, 2, 2)
    b = bits.astype(np.int64)
    return np.any(proof[:, np.arange(I.size)[None, :], b[:, I], b[:, K]], axis=2)    # (l, P)
    sides = np.array([-1.0, 1.0])
    shift = zero * an
    for i in range(u):
        x = sides[None, :, None] * S[:, i, None, :] + shift[:, i, None, None]          # (l, 2, D)
        for k in range(i + 1, u):
            y = sides[None, :, None] * S[:, k, None, :] + shift[:, k, None, None]      # (l, 2, D)
            X, Y = x[:, :, None, :], y[:, None, :, :]                                 # (l, 2, 2, D)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = -X / Y
            hi = np.min(np.where(Y > 0, r, np.inf), axis=3)
            lo = np.max(np.where(Y < 0, r, 0.0), axis=3)
            t = np.where(np.isfinite(hi), 0.5 * (lo + hi), 2.0 * lo + 1.0)
            # the certificate: t > 0 and x + t y <= 0 on every ray, checked as computed
            proof = (t > 0) & np.all(X + t[..., None] * Y <= 0, axis=3)               # (l, 2, 2)
            out |= proof[:, bits[:, i].astype(np.int64), bits[:, k].astype(np.int64)]
    return out


def _masked_solve(H: np.ndarray, c: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``z`` with ``H_PP z_P = c_P`` and ``z = 0`` off ``P``, per problem (identity rows
    off ``P``); NaN rows where a system is singular."""
    k = H.shape[-1]
    Hm = np.where(P[:, :, None] & P[:, None, :], H, np.eye(k)[None])
    rhs = np.where(P, c, 0.0)
    try:
        return np.linalg.solve(Hm, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:   # some system exactly singular (its LU has a zero pivot)
        sing = ~(np.abs(np.linalg.det(Hm)) > 0)
        z = np.full(rhs.shape, np.nan)
        if not sing.all():
            z[~sing] = np.linalg.solve(Hm[~sing], rhs[~sing][..., None])[..., 0]
        return z


#: status of each problem of :func:`project_batch`
FAILED, EXACT, BOUNDED = 0, 1, 2


def project_batch(V: np.ndarray, M: np.ndarray, zero: float, floor: float = -np.inf):
    """``P_C(v)`` for ``C = {theta : M theta >= 0}``, batched (Lawson-Hanson).

    Parameters
    ----------
    V : np.ndarray, shape (N, D)
        The linear functions.
    M : np.ndarray, shape (N, k, D)
        Inward normals of each cone (rows, non-zero).
    zero : float
        Relative slack of the checks: ``<m_j, P> >= -zero ||m_j|| ||v||`` (feasible) and
        ``|<lam, M P>| <= zero ||P|| ||v||`` (complementary).
    floor : float
        A problem is dropped as soon as an iterate ``lam >= 0`` has ``||v + M^T lam|| <=
        floor`` (an upper bound of its maximum, Lemma 6b): status ``BOUNDED``.

    Returns
    -------
    value : np.ndarray, shape (N,)
        ``||P_C(v)||`` (``EXACT``), an upper bound of it at most ``floor`` (``BOUNDED``).
    P : np.ndarray, shape (N, D)
        ``P_C(v)`` (``EXACT``).
    status : np.ndarray of int8, shape (N,)
        ``EXACT`` (converged and passed the optimality check), ``BOUNDED``, or ``FAILED``
        (not converged in the step budget, a singular system, or the check failed:
        ``value``/``P`` mean nothing).

    Examples
    --------
    The quarter plane and ``v = (1, -1)``: ``P = (1, 0)``.

    >>> from relucert.tolerances import DEFAULT
    >>> value, P, status = project_batch(np.array([[1.0, -1.0]]), np.eye(2)[None], DEFAULT.sign_zero)
    >>> value.tolist(), P.tolist(), status.tolist() == [EXACT]
    ([1.0], [[1.0, 0.0]], True)
    """
    V = np.asarray(V, dtype=np.float64)
    M = np.asarray(M, dtype=np.float64)
    N, k, D = M.shape
    H = np.matmul(M, M.transpose(0, 2, 1))                # (N, k, k)
    c = -np.einsum("nkd,nd->nk", M, V)                    # lam minimises 0.5 lam'H lam - c'lam
    vn = np.linalg.norm(V, axis=1)
    slack = zero * np.linalg.norm(M, axis=2) * vn[:, None]
    tiny = np.finfo(np.float64).tiny
    lam = np.zeros((N, k))
    act = np.zeros((N, k), dtype=bool)                    # the passive (free) set
    status = np.full(N, FAILED, dtype=np.int8)
    bound = np.zeros(N)
    stopped = np.zeros(N, dtype=bool)                     # done (to be checked) or bounded
    live = np.arange(N)
    outer = np.ones(N, dtype=bool)                        # next: add a row (else: a step on act)
    for _ in range(BAB_LEAF_NNLS_STEPS_PER_ROW * k):
        if live.size == 0:
            break
        o = live[outer[live]]
        if o.size:
            Po = V[o] + np.einsum("nkd,nk->nd", M[o], lam[o])
            pn = np.linalg.norm(Po, axis=1)
            low = pn <= floor                             # lam >= 0: ||P|| bounds the maximum
            status[o[low]], bound[o[low]] = BOUNDED, pn[low]
            w = -np.einsum("nkd,nd->nk", M[o], Po)        # minus the gradient in lam
            w = np.where(act[o] | (w <= slack[o]), -np.inf, w / np.maximum(slack[o], tiny))
            j = np.argmax(w, axis=1)
            # optimal (no row left to add) or D free rows (then P = 0 up to rounding)
            fin = ~np.isfinite(w[np.arange(o.size), j]) | (act[o].sum(axis=1) >= D) | low
            stopped[o[fin]] = True
            add = o[~fin]
            act[add, j[~fin]] = True
            outer[add] = False
            live = live[~stopped[live]]
            if live.size == 0:
                break
        z = _masked_solve(H[live], c[live], act[live])
        bad = ~np.all(np.isfinite(z), axis=1)
        if bad.any():                                     # singular: left to the single solve
            live, z = live[~bad], z[~bad]
        a = act[live]
        feas = np.all(~a | (z > 0), axis=1)
        fl = live[feas]
        lam[fl] = z[feas]
        outer[fl] = True
        ilv = live[~feas]
        if ilv.size:
            zi, li, ai = z[~feas], lam[ilv], a[~feas]
            neg = ai & (zi <= 0)
            den = li - zi                                 # >= li >= 0 where neg
            ratio = np.where(neg, li / np.where(den > 0, den, 1.0), np.inf)
            t = np.argmin(ratio, axis=1)
            alpha = ratio[np.arange(ilv.size), t]
            li = li + alpha[:, None] * (zi - li)
            ai = ai & (li > 0)
            ai[np.arange(ilv.size), t] = False
            lam[ilv] = np.where(ai, li, 0.0)
            act[ilv] = ai
    P = V + np.einsum("nkd,nk->nd", M, lam)
    value = np.linalg.norm(P, axis=1)
    MP = np.einsum("nkd,nd->nk", M, P)
    feasible = np.all(MP >= -slack, axis=1)
    comp = np.abs(np.einsum("nk,nk->n", lam, MP)) <= zero * value * vn
    # a projection at rounding level of ||v|| counts as 0 (the caller's rule)
    good = stopped & (status != BOUNDED) & np.all(lam >= 0, axis=1) & feasible & (comp | (value <= zero * vn))
    status[good] = EXACT
    bd = status == BOUNDED
    value[bd] = bound[bd]
    return value, P, status
