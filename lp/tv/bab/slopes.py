"""Near-optimal relaxation slopes of a node's undecided negative terms (proofs/branch_and_bound.md,
Lemma 2, "Projected-gradient slopes"): accelerated projected gradient (FISTA) on the bounded
least-squares problem whose value is the best polar-cone bound over the slopes,

    min { ||base + sum_{i in N} alpha_i Q_i a_i + sum_j mu_j g_j / ||g_j|| ||^2 :
          0 <= alpha <= 1, mu >= 0 },

batched over nodes. Every ``alpha`` in ``[0, 1]`` gives a valid bound (Lemma 2), so the
iterations only choose the slopes; the node's bound is the exact ``||P_C(w(alpha))||`` of the
slopes returned (``cones.cone_max``). One iteration costs two ``(m, n) x (n, D)`` products,
far less than a projection onto the cone's ``2^D - 2`` faces at ``D >= 5``.
"""
from __future__ import annotations

import numpy as np

from relucert.tolerances import BAB_SLOPE_CHECK_EVERY

__all__ = ["projected_slopes", "slopes_and_bound"]


def projected_slopes(A: np.ndarray, Q: np.ndarray, neg: np.ndarray, base: np.ndarray, G: np.ndarray,
                     alpha: np.ndarray, iters: int) -> np.ndarray:
    """Slopes in ``[0, 1]`` (m, n) after ``iters`` FISTA iterations from ``alpha``.

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
        Data rows ``a_i``.
    Q : np.ndarray, shape (m, n)
        Weights of each node.
    neg : np.ndarray of bool, shape (m, n)
        The undecided rows with ``Q_i < 0`` of each node (the slopes of the other rows are
        returned as 0; they do not enter the majorant).
    base : np.ndarray, shape (m, D)
        ``linear_majorant`` with every slope 0.
    G : np.ndarray, shape (m, k, D)
        Inward normals of each node's region (rows, non-zero): the cone's ``cones.normals``
        (``k = D``), or those and the rows ``s_i a_i`` of its neuron splits (Lemma 12).
    alpha : np.ndarray, shape (m, n)
        Starting slopes in ``[0, 1]``.
    iters : int
        Iterations (0: ``alpha`` on ``neg``, 0 elsewhere).

    Returns
    -------
    np.ndarray, shape (m, n)
        The slopes, in ``[0, 1]``.

    Examples
    --------
    One negative term ``-relu(theta_1)`` on the positive quadrant with ``base = (1, 0)``:
    ``w(alpha) = (1 - alpha, 0)``, so the best slope is 1 (bound 0).

    >>> A = np.array([[1.0, 0.0]])
    >>> projected_slopes(A, np.array([[-1.0]]), np.array([[True]]), np.array([[1.0, 0.0]]),
    ...                  np.eye(2)[None], np.array([[0.0]]), 50).round(6).tolist()
    [[1.0]]
    """
    return slopes_and_bound(A, Q, neg, base, G, alpha, iters)[0]


def slopes_and_bound(A: np.ndarray, Q: np.ndarray, neg: np.ndarray, base: np.ndarray, G: np.ndarray,
                     alpha: np.ndarray, iters: int, cutoff=None, Rn: np.ndarray | None = None):
    """:func:`projected_slopes` that also returns an upper bound of each node's maximum, and
    stops early on the nodes it closes.

    Every ``BAB_SLOPE_CHECK_EVERY`` iterations (with ``cutoff`` given) the iterate ``(alpha,
    mu)``, feasible after the clip, gives ``||base + sum_N alpha_i Q_i a_i + sum_j mu_j g_j /
    ||g_j|| ||``, an upper bound of the node's maximum (Lemma 2 and weak duality, Lemma 3: any
    ``mu >= 0``); a node where it is at most its ``cutoff`` is closed, and leaves the
    iterations (proofs/branch_and_bound.md, Lemma 2, "Early exit"). With the cone's unit rays
    ``Rn``, a node also leaves them, open, once the gap-test value (``bounding.minimax_value``)
    at the point ``Rn max(0, G z)`` of the cone (``z`` the iterate's vector, normalised) exceeds
    its cut-off: then no slopes can close it.

    Parameters
    ----------
    A, Q, neg, base, G, alpha, iters
        As :func:`projected_slopes`.
    cutoff : float or np.ndarray, shape (m,), optional
        Per-node cut-off (None: no checks, as :func:`projected_slopes`).
    Rn : np.ndarray, shape (m, D, D), optional
        The cone's unit rays (columns; ``G`` then holds their normals, ``k = D``): enables the
        gap-test exit.

    Returns
    -------
    alpha : np.ndarray, shape (m, n)
        The slopes (in ``[0, 1]``, 0 off ``neg``; a closed node's at its exit).
    upper : np.ndarray, shape (m,)
        The smallest bound met at the checks (``inf`` where none was made).
    closed : np.ndarray of bool, shape (m,)
        ``upper <= cutoff``.
    hopeless : np.ndarray of bool, shape (m,)
        Left the iterations by the gap test (no slopes can close them).
    """
    from relucert.lp.tv.bab.bounding import minimax_value

    m, D = base.shape
    Qn = np.where(neg, Q, 0.0)
    xa = np.where(neg, alpha, 0.0)
    upper = np.full(m, np.inf)
    closed = np.zeros(m, dtype=bool)
    hopeless = np.zeros(m, dtype=bool)
    if iters <= 0 or m == 0:
        return xa, upper, closed, hopeless
    check = cutoff is not None
    cut = np.broadcast_to(np.asarray(np.inf if cutoff is None else cutoff, dtype=np.float64), (m,))
    out = xa.copy()
    Gn = G / np.linalg.norm(G, axis=2)[:, :, None]
    GnT = Gn.transpose(0, 2, 1)
    # Lipschitz constant of the gradient: the largest eigenvalue of M M^T, M = [Qn_i a_i | g_j / ||g_j||]
    AA = (A[:, :, None] * A[:, None, :]).reshape(A.shape[0], D * D)
    H = ((Qn * Qn) @ AA).reshape(m, D, D) + np.matmul(GnT, Gn)
    step = 1.0 / np.maximum(np.linalg.eigvalsh(H)[:, -1], np.finfo(np.float64).tiny)
    xl = np.zeros((m, G.shape[1]))
    ya, yl = xa.copy(), xl.copy()
    t = 1.0
    live = np.arange(m)
    for it in range(1, iters + 1):
        z = base + (ya * Qn) @ A + np.matmul(GnT, yl[:, :, None])[:, :, 0]
        na = np.clip(ya - step[:, None] * (Qn * (z @ A.T)), 0.0, 1.0)
        nl = np.maximum(yl - step[:, None] * np.matmul(Gn, z[:, :, None])[:, :, 0], 0.0)
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        mom = (t - 1.0) / t_next
        ya, yl = na + mom * (na - xa), nl + mom * (nl - xl)
        xa, xl, t = na, nl, t_next
        if check and it % BAB_SLOPE_CHECK_EVERY == 0 and it < iters:
            # the feasible iterate's value: an upper bound of the maximum (Lemma 2, weak duality)
            zx = base + (xa * Qn) @ A + np.matmul(GnT, xl[:, :, None])[:, :, 0]
            ub = np.linalg.norm(zx, axis=1)
            upper[live] = np.minimum(upper[live], ub)
            done = upper[live] <= cut[live]
            closed[live[done]] = True
            if Rn is not None:
                # a point of the cone near the maximiser; the gap test there (Lemma 2) shows
                # that no slope can close the node: it leaves the iterations, open
                c = np.maximum(np.einsum("mjd,md->mj", G[live], zx), 0.0)
                th = np.einsum("mdj,mj->md", Rn[live], c)
                tn = np.linalg.norm(th, axis=1)
                th = th / np.where(tn > 0, tn, 1.0)[:, None]
                gap = ~done & (minimax_value(A, Q[live], neg[live], base, th) > cut[live])
                hopeless[live[gap]] = True
                done |= gap
            if done.any():
                out[live[done]] = xa[done]
                k = ~done
                live = live[k]
                Qn, base, Gn, GnT, step = Qn[k], base[k], Gn[k], GnT[k], step[k]
                xa, xl, ya, yl = xa[k], xl[k], ya[k], yl[k]
                if live.size == 0:
                    break
    out[live] = xa
    return np.where(neg, out, 0.0), upper, closed, hopeless
