"""The tree of the branch and bound: the prepared data, the open nodes, the roots and
the split (proofs/branch_and_bound.md, Lemma 5)."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from relucert.arrangement.chambers import lift

__all__ = ["Problem", "prepare", "Nodes", "roots", "split", "record_splits"]


@dataclass(frozen=True)
class Problem:
    """The data of one branch and bound: distinct lifted rows and their summed weights.

    Attributes
    ----------
    A : np.ndarray, shape (k, D)
        Distinct lifted rows with non-zero summed weight.
    q : np.ndarray, shape (k,)
        Summed weight ``p`` of the samples equal to each row.
    support : np.ndarray of int64, shape (k,)
        A sample index of each row.
    groups : np.ndarray of int64, shape (n,)
        Row of each sample; -1 if its weight sums to 0.
    """

    A: np.ndarray
    q: np.ndarray
    support: np.ndarray
    groups: np.ndarray


def prepare(X, p) -> Problem:
    """Lift ``X``, merge equal samples (summing their weights) and drop zero weights.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Samples, finite.
    p : array_like, shape (n,)
        Weight of each sample (the dual vector), finite.

    Returns
    -------
    Problem
        The distinct lifted rows with non-zero summed weight.

    Raises
    ------
    ValueError
        ``X`` or ``p`` has the wrong shape or a non-finite entry (the field is named).

    Examples
    --------
    >>> pb = prepare(np.array([[0.0], [0.0], [1.0]]), np.array([1.0, 2.0, 0.0]))
    >>> pb.A.tolist(), pb.q.tolist(), pb.groups.tolist()
    ([[0.0, 1.0]], [3.0], [0, 0, -1])
    """
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
    slots reused through a free list.

    Parameters
    ----------
    D : int
        Dimension of the (lifted) space.
    nbytes : int
        Width of the packed inactive-row bits kept per node (0: none kept).

    Attributes
    ----------
    D : int
        Dimension of the space.
    R : np.ndarray, shape (slots, D, D)
        Integer-valued rays (columns) of the node in each slot.
    sign : np.ndarray of int8, shape (slots,)
        Sign (+1 or -1) of ``eta`` searched on each node.
    bound : np.ndarray, shape (slots,)
        Bound inherited from the parent.
    depth : np.ndarray of int64, shape (slots,)
        Depth in the tree.
    inactive : np.ndarray of uint8, shape (slots, nbytes)
        Packed bits of the rows known inactive on the node (from its parent, or from the
        frontier it was seeded from).
    free : list of int
        Slots not holding an open node.

    Examples
    --------
    >>> nodes = Nodes(2)
    >>> nodes.add(np.eye(2)[None], 1, 0.0, 0).tolist()
    [0]
    """

    def __init__(self, D: int, nbytes: int = 0):
        self.D = D
        self.R = np.zeros((0, D, D))
        self.sign = np.zeros(0, dtype=np.int8)
        self.bound = np.zeros(0)
        self.depth = np.zeros(0, dtype=np.int64)
        self.inactive = np.zeros((0, nbytes), dtype=np.uint8)
        self.free: list[int] = []

    def add(self, R, sign, bound, depth, inactive=None) -> np.ndarray:
        """Store nodes in free slots (growing the arrays when there are too few).

        Parameters
        ----------
        R : np.ndarray, shape (k, D, D)
            Rays of the new nodes.
        sign : int or array_like of int, shape (k,)
            Their signs.
        bound : float or array_like, shape (k,)
            Their inherited bounds.
        depth : int or array_like of int, shape (k,)
            Their depths.
        inactive : array_like of uint8, shape (k, nbytes), optional
            Their packed inactive-row bits (None: none known).

        Returns
        -------
        np.ndarray of int64, shape (k,)
            The slots that now hold them.
        """
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
            self.inactive = np.concatenate([self.inactive, np.zeros((grow, self.inactive.shape[1]), np.uint8)])
            self.free.extend(range(start + grow - 1, start + extra - 1, -1))
            take.extend(range(start, start + extra))
        ids = np.asarray(take, dtype=np.int64)
        self.R[ids], self.sign[ids], self.bound[ids], self.depth[ids] = R, sign, bound, depth
        self.inactive[ids] = 0 if inactive is None else inactive
        return ids

    def release(self, ids) -> None:
        """Free slots for later nodes.

        Parameters
        ----------
        ids : iterable of int
            Slots whose nodes are closed.
        """
        self.free.extend(int(i) for i in ids)


def roots(D: int):
    """The root nodes: the ``2**D`` orthants of R^D, each once per sign.

    Parameters
    ----------
    D : int
        Dimension of the space.

    Returns
    -------
    R : np.ndarray, shape (2 * 2**D, D, D)
        Diagonal ray matrices with entries +-1 (each orthant twice).
    sign : np.ndarray of int8, shape (2 * 2**D,)
        +1 for the first ``2**D`` roots, -1 for the others.

    Examples
    --------
    >>> R, sign = roots(1)
    >>> R[:, 0, 0].tolist(), sign.tolist()
    ([1.0, -1.0, 1.0, -1.0], [1, 1, -1, -1])
    """
    R = np.array([np.diag(s) for s in product((1.0, -1.0), repeat=D)], dtype=np.float64)
    R = np.concatenate([R, R])
    sign = np.repeat(np.array([1, -1], dtype=np.int8), R.shape[0] // 2)
    return R, sign


def split(R: np.ndarray, Rn: np.ndarray, Sn: np.ndarray, Q: np.ndarray, und: np.ndarray):
    """Children of each cone at one edge ``(j, k)``: ``r_j`` or ``r_k`` replaced by
    ``r_j + r_k``. The edge: the largest relaxation error crossing it,
    ``sum_{i in U} |Q_i| |s_ij s_ik| / |s_ij - s_ik|`` over the undecided points whose
    hyperplane crosses it (``s_ij s_ik < 0``; the bracket is the gap between ``relu`` and
    its chord at the crossing, already proportional to the edge's length near the
    crossing); the longest edge when nothing crosses. Any edge tiles (proofs Lemma 5);
    ties go to the first pair.

    Parameters
    ----------
    R : np.ndarray, shape (m, D, D)
        Integer-valued rays of each cone (columns).
    Rn : np.ndarray, shape (m, D, D)
        The same rays, unit.
    Sn : np.ndarray, shape (m, n, D)
        ``<a_i, r_j / ||r_j||>`` (from :func:`relucert.lp.tv.bab.cones.classify`).
    Q : np.ndarray, shape (m, n)
        Weight of each data point on each cone.
    und : np.ndarray of bool, shape (m, n)
        Undecided points of each cone.

    Returns
    -------
    c1, c2 : np.ndarray, shape (m, D, D)
        The two children's rays.
    height : np.ndarray, shape (m,)
        Largest absolute entry of the new ray ``r_j + r_k`` of each cone.

    Examples
    --------
    The quadrant split along its diagonal:

    >>> I = np.eye(2)[None]
    >>> c1, c2, h = split(I, I, np.zeros((1, 0, 2)), np.zeros((1, 0)), np.zeros((1, 0), bool))
    >>> c1[0].tolist(), c2[0].tolist(), h.tolist()
    ([[1.0, 0.0], [1.0, 1.0]], [[1.0, 1.0], [0.0, 1.0]], [1.0])
    """
    cos = np.einsum("mdj,mdk->mjk", Rn, Rn)
    a, b = np.triu_indices(R.shape[1], 1)
    score = crossing_error(Sn, Q, und)
    pair = np.where(score.max(axis=1) > 0, np.argmax(score, axis=1), np.argmin(cos[:, a, b], axis=1))
    return split_at(R, pair)


def crossing_error(Sn: np.ndarray, Q: np.ndarray, und: np.ndarray) -> np.ndarray:
    """The relaxation error crossing each edge of each cone, (m, P) over the pairs
    ``np.triu_indices(D, 1)``: ``sum_{i in U} |Q_i| |s_ij s_ik| / |s_ij - s_ik|`` over the
    undecided points whose hyperplane crosses the edge (:func:`split`'s score)."""
    m, _, D = Sn.shape
    a, b = np.triu_indices(D, 1)
    weight = np.where(und, np.abs(Q), 0.0)
    aS = np.abs(Sn)
    out = np.empty((m, a.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        for p, (j, k) in enumerate(zip(a, b)):      # one (m, n) pass per edge: no (m, n, P) temporaries
            prod = Sn[:, :, j] * Sn[:, :, k]
            # crossing: opposite signs, so |s_ij - s_ik| = |s_ij| + |s_ik| > 0
            gap = np.where(prod < 0, prod / (aS[:, :, j] + aS[:, :, k]), 0.0)
            out[:, p] = -np.einsum("mn,mn->m", weight, gap)
    return out


def split_at(R: np.ndarray, pair: np.ndarray):
    """The children of each cone at its edge ``pair`` (an index into ``np.triu_indices(D, 1)``):
    ``r_j`` or ``r_k`` replaced by ``r_j + r_k``; returns ``c1, c2`` and the new ray's largest
    absolute entry (as :func:`split`)."""
    m, D, _ = R.shape
    a, b = np.triu_indices(D, 1)
    j, k = a[pair], b[pair]
    rows = np.arange(m)
    new = R[rows, :, j] + R[rows, :, k]
    c1, c2 = R.copy(), R.copy()
    c1[rows, :, j] = new
    c2[rows, :, k] = new
    return c1, c2, np.abs(new).max(axis=1)


def record_splits(splits: dict, R: np.ndarray, sg: np.ndarray, c1: np.ndarray, c2: np.ndarray) -> None:
    """Record in ``splits`` each split node's edge ``(j, k)`` (the ray columns its two
    children ``c1``, ``c2`` replace), keyed by ``(sign, rays)`` (rays as integer tuples,
    column by column)."""
    for Rm, s, a, b in zip(R, sg, c1, c2):
        j = int(np.flatnonzero(np.any(a != Rm, axis=0))[0])
        k = int(np.flatnonzero(np.any(b != Rm, axis=0))[0])
        key = (int(s), tuple(tuple(int(v) for v in Rm[:, c]) for c in range(Rm.shape[1])))
        splits[key] = (j, k)
