"""Float hints of the /2 builder's leaves (:mod:`relucert.verify.bab_tree`): slopes and polar
multipliers of a bound leaf, per-pattern multipliers of an exact leaf. Floats only choose
rationals; the checker's exact kernels decide (proofs/exact_certificate.md, "Format /2")."""
from __future__ import annotations

import numpy as np
from scipy.optimize import lsq_linear, nnls

from relucert.tolerances import BAB_CERT_JOINT_WEIGHT
from relucert.verify.checker.tree import Node

__all__: list[str] = []     # the builder's own helpers (verify/bab_tree.py)


class _Floats:
    """Float hints of one node (floats only choose rationals; the checker kernels decide)."""

    def __init__(self, A: np.ndarray, p: np.ndarray):
        self.A, self.p = A, p

    def bound(self, node: Node, act, und, steps: int):
        """(alpha dict, lambda array, float bound) of the best of a few slope choices."""
        A, q = self.A, node.sign * self.p
        R = np.array(node.R, dtype=np.float64).T          # columns r_j
        G = np.array(node.G, dtype=np.float64)            # rows g_j
        v0 = q[act] @ A[act] if act else np.zeros(A.shape[1])
        pos = [i for i in und if q[i] > 0]
        neg = [i for i in und if q[i] < 0]
        f = q[pos] @ np.maximum(A[pos] @ R, 0.0) if pos else np.zeros(A.shape[1])
        base = v0 + G.T @ f
        An = A[neg]
        if neg:     # the best slopes and multipliers together, by one NNLS (usually enough)
            joint = _joint_hint(base, (q[neg][:, None] * An).T, G.T)
            if joint[2] <= 1.0:
                return {i: a for i, a in zip(neg, joint[0]) if a > 0}, joint[1], joint[2]
        centre = (R / np.linalg.norm(R, axis=0)).sum(axis=1)
        alpha = (An @ centre > 0).astype(np.float64)
        best = None
        for k in range(steps + 1):
            w = base + (alpha * q[neg]) @ An if neg else base
            lam, res = nnls(G.T, -w)
            if best is None or res < best[2]:
                best = (alpha.copy(), lam, res)
            if not neg or k == steps:
                break
            z = w + G.T @ lam
            vertex = (An @ z > 0).astype(np.float64)
            alpha = alpha + 2.0 / (k + 2.0) * (vertex - alpha)
        if neg and best[2] > 1.0:
            # the best slopes and multipliers together (bounded least squares; the solver's
            # projected-gradient slopes close such nodes, proofs/branch_and_bound.md Lemma 2)
            M = np.hstack([(q[neg][:, None] * An).T, G.T])
            k = len(neg)
            try:
                x = lsq_linear(M, -base, bounds=(np.zeros(M.shape[1]), np.r_[np.ones(k), np.full(G.shape[0], np.inf)]),
                               method="bvls").x
            except (ValueError, np.linalg.LinAlgError):    # floats only choose: the node is refined instead
                x = None
            res = np.inf if x is None else float(np.linalg.norm(M @ x + base))
            if res < best[2]:
                best = (np.clip(x[:k], 0.0, 1.0), np.maximum(x[k:], 0.0), res)
        alpha, lam, res = best
        return {i: a for i, a in zip(neg, alpha) if a > 0}, lam, res

    def patterns(self, node: Node, act, U):
        """Per pattern of the weighted undecided samples: (multipliers, float bound)."""
        A, q = self.A, node.sign * self.p
        G = np.array(node.G, dtype=np.float64)
        v0 = q[act] @ A[act] if act else np.zeros(A.shape[1])
        k = len(U)
        out = []
        for t in range(1 << k):
            on = [U[b] for b in range(k) if (t >> b) & 1]
            s = np.array([1.0 if (t >> b) & 1 else -1.0 for b in range(k)])
            v = v0 + (q[on] @ A[on] if on else 0.0)
            N = np.vstack([G, s[:, None] * A[U]]) if k else G
            mult, res = nnls(N.T, -v)
            out.append((mult, res))
        return out


def _joint_hint(base: np.ndarray, Ma: np.ndarray, Gt: np.ndarray):
    """Slopes ``alpha`` in [0, 1] and multipliers ``lambda >= 0`` nearly minimising
    ``||base + Ma alpha + Gt lambda||`` (the bounded least squares of the BVLS fallback in
    :meth:`_Floats.bound`) by one NNLS: ``alpha <= 1`` as ``alpha + s = 1``, ``s >= 0``, a
    penalty row of weight ``BAB_CERT_JOINT_WEIGHT`` times the columns' scale. Returns
    ``(alpha clipped to [0, 1], lambda, ||z||)`` for the clipped point (floats only choose:
    the leaf's exact check decides)."""
    D, k = Ma.shape
    w = BAB_CERT_JOINT_WEIGHT * max(1.0, float(np.max(np.abs(Ma), initial=0.0)), float(np.max(np.abs(Gt))))
    N = np.zeros((D + k, 2 * k + D))
    N[:D, :k], N[:D, 2 * k:] = Ma, Gt
    N[D:, :k] = N[D:, k:2 * k] = w * np.eye(k)
    rhs = np.concatenate([-base, np.full(k, w)])
    try:
        x, _ = nnls(N, rhs)
    except (ValueError, RuntimeError):       # floats only choose: the old path is tried instead
        return None, None, np.inf
    alpha, lam = np.clip(x[:k], 0.0, 1.0), x[2 * k:]
    return alpha, lam, float(np.linalg.norm(base + Ma @ alpha + Gt @ lam))
