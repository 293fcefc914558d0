"""The tree of the branch and bound: the prepared data, the open nodes, the roots and
the split (proofs/branch_and_bound.md, Lemma 5)."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from relucert.arrangement.chambers import lift

__all__ = ["Problem", "prepare", "Nodes", "roots", "split"]


@dataclass(frozen=True)
class Problem:
    A: np.ndarray          # (k, D) distinct lifted rows with non-zero summed weight
    q: np.ndarray          # (k,)
    support: np.ndarray    # (k,) a sample index of each row
    groups: np.ndarray     # (n,) row of each sample, -1 if its weight sums to 0


def prepare(X, p) -> Problem:
    X = np.asarray(X, dtype=np.float64) if not isinstance(X, np.ndarray) or X.dtype != np.float64 else X
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must be 2-D (n_samples, n_features) with n, d >= 1; got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite; got NaN or inf")
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (X.shape[0],):
        raise ValueError(f"p must be 1-D with one entry per sample ({X.shape[0]},); got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("p must be finite; got NaN or inf")
    Z = lift(X)
    uniq, first, inverse = np.unique(Z, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    q = np.bincount(inverse, weights=p, minlength=uniq.shape[0])
    keep = q != 0
    new = np.full(uniq.shape[0], -1, dtype=np.int64)
    new[keep] = np.arange(int(keep.sum()))
    return Problem(A=uniq[keep], q=q[keep], support=first[keep].astype(np.int64), groups=new[inverse])


class Nodes:
    """Open nodes: rays (integer-valued floats), sign, bound (inherited), depth, in
    slots reused through a free list."""

    def __init__(self, D: int):
        self.D = D
        self.R = np.zeros((0, D, D))
        self.sign = np.zeros(0, dtype=np.int8)
        self.bound = np.zeros(0)
        self.depth = np.zeros(0, dtype=np.int64)
        self.free: list[int] = []

    def add(self, R, sign, bound, depth) -> np.ndarray:
        k = R.shape[0]
        take = [self.free.pop() for _ in range(min(k, len(self.free)))]
        extra = k - len(take)
        if extra:
            start = self.R.shape[0]
            grow = max(extra, start)
            self.R = np.concatenate([self.R, np.zeros((grow, self.D, self.D))])
            self.sign = np.concatenate([self.sign, np.zeros(grow, dtype=np.int8)])
            self.bound = np.concatenate([self.bound, np.zeros(grow)])
            self.depth = np.concatenate([self.depth, np.zeros(grow, dtype=np.int64)])
            self.free.extend(range(start + grow - 1, start + extra - 1, -1))
            take.extend(range(start, start + extra))
        ids = np.asarray(take, dtype=np.int64)
        self.R[ids], self.sign[ids], self.bound[ids], self.depth[ids] = R, sign, bound, depth
        return ids

    def release(self, ids) -> None:
        self.free.extend(int(i) for i in ids)


def roots(D: int):
    R = np.array([np.diag(s) for s in product((1.0, -1.0), repeat=D)], dtype=np.float64)
    R = np.concatenate([R, R])
    sign = np.repeat(np.array([1, -1], dtype=np.int8), R.shape[0] // 2)
    return R, sign


def split(R: np.ndarray, Rn: np.ndarray, Sn: np.ndarray, Q: np.ndarray, und: np.ndarray):
    """Children of each cone at one edge ``(j, k)``: ``r_j`` or ``r_k`` replaced by
    ``r_j + r_k``. The edge: the largest relaxation error crossing it, times its length,
    ``sum_{i in U} |Q_i| |s_ij s_ik| / |s_ij - s_ik| * (1 - cos(r_j, r_k))`` over the undecided
    points whose hyperplane crosses it (``s_ij s_ik < 0``; the bracket is the gap between
    ``relu`` and its chord at the crossing); the longest edge when nothing crosses. Any
    edge tiles (proofs Lemma 5); ties go to the first pair."""
    m, D, _ = R.shape
    cos = np.einsum("mdj,mdk->mjk", Rn, Rn)
    a, b = np.triu_indices(D, 1)
    Sa, Sb = Sn[:, :, a], Sn[:, :, b]                                   # (m, n, P)
    cross = (Sa * Sb < 0) & und[:, :, None]
    gap = np.where(cross, np.abs(Sa * Sb) / np.maximum(np.abs(Sa - Sb), np.finfo(np.float64).tiny), 0.0)
    score = np.einsum("mn,mnp->mp", np.abs(Q), gap) * (1.0 - cos[:, a, b])
    pair = np.where(score.max(axis=1) > 0, np.argmax(score, axis=1), np.argmin(cos[:, a, b], axis=1))
    j, k = a[pair], b[pair]
    rows = np.arange(m)
    new = R[rows, :, j] + R[rows, :, k]
    c1, c2 = R.copy(), R.copy()
    c1[rows, :, j] = new
    c2[rows, :, k] = new
    return c1, c2, np.abs(new).max(axis=1)
