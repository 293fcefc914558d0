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

__all__ = ["projected_slopes"]


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
    G : np.ndarray, shape (m, D, D)
        Inward normals of each cone (rows, ``cones.normals``).
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
    m, D = base.shape
    Qn = np.where(neg, Q, 0.0)
    xa = np.where(neg, alpha, 0.0)
    if iters <= 0 or m == 0:
        return xa
    Gn = G / np.linalg.norm(G, axis=2)[:, :, None]
    GnT = Gn.transpose(0, 2, 1)
    # Lipschitz constant of the gradient: the largest eigenvalue of M M^T, M = [Qn_i a_i | g_j / ||g_j||]
    AA = (A[:, :, None] * A[:, None, :]).reshape(A.shape[0], D * D)
    H = ((Qn * Qn) @ AA).reshape(m, D, D) + np.matmul(GnT, Gn)
    step = 1.0 / np.maximum(np.linalg.eigvalsh(H)[:, -1], np.finfo(np.float64).tiny)
    xl = np.zeros((m, D))
    ya, yl = xa.copy(), xl.copy()
    t = 1.0
    for _ in range(iters):
        z = base + (ya * Qn) @ A + np.matmul(GnT, yl[:, :, None])[:, :, 0]
        na = np.clip(ya - step[:, None] * (Qn * (z @ A.T)), 0.0, 1.0)
        nl = np.maximum(yl - step[:, None] * np.matmul(Gn, z[:, :, None])[:, :, 0], 0.0)
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        mom = (t - 1.0) / t_next
        ya, yl = na + mom * (na - xa), nl + mom * (nl - xl)
        xa, xl, t = na, nl, t_next
    return np.where(neg, xa, 0.0)
