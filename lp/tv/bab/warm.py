"""Warm start of the branch and bound across scans of one data set (proofs/branch_and_bound.md,
Lemma 9).

A finished (or stopped) search leaves a *frontier*: its closed nodes, exact leaves and open
nodes, which tile the sphere once per sign (Lemma 5), each with an upper bound of its
maximum for the weights it was searched with, and the rows known to be inactive on it. For
new weights ``q'`` a node's maximum moves by at most ``sum_j |q'_j - q_j| ||a_j||`` over
the rows ``j`` not known inactive on it (Lemma 9), so the next search starts from the
shifted frontier instead of the ``2^D`` roots: nodes whose shifted bound is at most the
cut-off are closed with no work, the others are bounded again with ``q'`` and searched on.

Rows: the distinct lifted samples of the whole data set (``A_all``), whatever their weight;
a search works on the rows of non-zero summed weight (``tree.prepare``), a subset mapped
through ``support``. Inactivity is geometric (it depends on the cone and the row only),
so a bit once set stays true for that cone in every later scan; a row a search did not
classify (weight zero then) counts as not inactive, which only enlarges the shift.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert._model import lift

__all__ = ["Frontier", "FrontierLog", "WarmStart", "ray_shift"]


@dataclass(frozen=True)
class Frontier:
    """Nodes that tile the sphere once per sign, with bounds.

    Attributes
    ----------
    R : np.ndarray, shape (m, D, D)
        Integer-valued rays (columns) of each cone.
    sign : np.ndarray of int8, shape (m,)
        Sign of ``eta`` bounded on each node.
    bound : np.ndarray, shape (m,)
        Upper bound of ``sign * eta`` over the cone and the unit ball.
    inactive : np.ndarray of uint8, shape (m, ceil(k / 8))
        Packed bits (``np.packbits`` along axis 1) over the ``k`` rows of the search: set
        where the row is inactive on the cone (``<a_j, theta> <= 0`` on it).
    """

    R: np.ndarray
    sign: np.ndarray
    bound: np.ndarray
    inactive: np.ndarray

    @property
    def size(self) -> int:
        """Number of nodes."""
        return int(self.bound.shape[0])


class FrontierLog:
    """Collects the frontier of one search, part by part (``add``), into a :class:`Frontier`."""

    def __init__(self, D: int, nbytes: int):
        self.D, self.nbytes = D, nbytes
        self.parts: list[tuple] = []

    def add(self, R, sign, bound, inactive) -> None:
        """Record nodes (rays, signs, bounds, packed inactive rows)."""
        if len(bound):
            self.parts.append((np.array(R, dtype=np.float64), np.asarray(sign, dtype=np.int8).copy(),
                               np.array(bound, dtype=np.float64), np.array(inactive, dtype=np.uint8)))

    def result(self) -> Frontier:
        """Everything recorded, concatenated."""
        if not self.parts:
            D = self.D
            return Frontier(np.zeros((0, D, D)), np.zeros(0, np.int8), np.zeros(0), np.zeros((0, self.nbytes), np.uint8))
        return Frontier(*(np.concatenate([p[t] for p in self.parts]) for t in range(4)))


def _not_inactive_sums(inactive_all: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_j w_j`` over the rows whose bit is not set, per node, from the packed bits
    through a table of the 256 byte values (no unpacking)."""
    N = w.shape[0]
    nb = inactive_all.shape[1]
    wp = np.zeros(nb * 8)
    wp[:N] = w
    bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).astype(bool)   # (256, 8), MSB first
    table = (~bits).astype(np.float64) @ wp.reshape(nb, 8).T                               # (256, nb)
    return table[inactive_all, np.arange(nb)[None, :]].sum(axis=1)


#: bytes of one (m, D, N) float64 array of the ray shift: its nodes are taken in chunks of
#: about this size (524 nodes at n = 100, d = 4; 58 at n = 500, d = 8). Arrays of 32 MiB and
#: more are mapped and unmapped by the allocator at every call (page faults on every first
#: touch), and small ones stay in cache: 4.9 against 9.6 us per node at n = 100, d = 4
#: (benchmarks/RESULTS.md, session 11)
_RAY_SHIFT_BYTES = 2 ** 21


def ray_shift(A: np.ndarray, dq: np.ndarray, R: np.ndarray, sign: np.ndarray, inactive: np.ndarray) -> np.ndarray:
    """An upper bound of ``max {sign * (eta_{q + dq} - eta_q)(theta) : theta in C, ||theta|| <= 1}``
    per cone ``C`` (proofs/branch_and_bound.md, Lemma 9b; ``inf`` where it does not apply).

    On ``C`` the change is ``sign * eta_dq``; its rows known inactive (``inactive``, packed
    bits over the rows of ``A``) vanish, the rows active on ``C`` are linear and the
    undecided ones with ``sign * dq_j < 0`` are at most 0, so it is at most the sublinear
    ``f(theta) = sum_act s_j <a_j, theta> + sum_{und, s_j > 0} s_j relu(<a_j, theta>)``
    (``s = sign * dq``). With unit rays ``u_k`` and ``theta = sum_k c_k u_k`` (``c >= 0``),
    ``f(theta) <= sum_k c_k f(u_k) <= kappa max_k f(u_k)^+`` where
    ``kappa = ||G^T 1|| >= sum_k c_k`` on the unit ball (``G = U^{-1}``). Rounding: the
    products carry the error bound of ``cones.classify``; ``kappa`` is raised by the
    inverse's residual ``e = ||G U - I||_F`` (``inf`` when ``e > 1/2``).

    Parameters
    ----------
    A : np.ndarray, shape (N, D)
    dq : np.ndarray, shape (N,)
        The change of the weights.
    R : np.ndarray, shape (m, D, D)
        Rays (columns).
    sign : np.ndarray, shape (m,)
    inactive : np.ndarray of uint8, shape (m, ceil(N / 8))
        Packed bits: rows known inactive on each cone.

    Returns
    -------
    np.ndarray, shape (m,)
    """
    eps = np.finfo(np.float64).eps
    m, D = R.shape[0], A.shape[1]
    N = A.shape[0]
    U = R / np.linalg.norm(R, axis=1, keepdims=True)
    # ray-major products (m, D, N): every reduction below runs over contiguous rows of N
    Ut = U.transpose(0, 2, 1)
    S = np.matmul(Ut, A.T)                                                # S[m, k, j] = <a_j, u_k>
    err = (D + 2) * eps * np.matmul(np.abs(Ut), np.abs(A).T)
    not_ina = ~np.unpackbits(inactive, axis=1, count=N).astype(bool)
    act = not_ina.copy()
    for k in range(D):                                                    # active: every product above its error
        act &= S[:, k, :] > err[:, k, :]
    s = np.asarray(sign, dtype=np.float64)[:, None] * dq[None, :]        # (m, N)
    # the terms of f: the active rows (S > err > 0 there, so relu(S) = S) and the undecided
    # rows with s > 0, each product raised by its error bound
    use = act | (not_ina & (s > 0))
    f = (np.matmul(np.maximum(S, 0.0), np.where(use, s, 0.0)[:, :, None])
         + np.matmul(err, np.where(use, np.abs(s), 0.0)[:, :, None]))[:, :, 0]
    top = np.maximum(f.max(axis=1), 0.0)
    try:
        G = np.linalg.inv(U)
    except np.linalg.LinAlgError:   # some cone's unit rays dependent in float: no ray shift
        return np.full(m, np.inf)
    e = np.linalg.norm(np.matmul(G, U) - np.eye(D), axis=(1, 2))
    kappa = np.linalg.norm(G.sum(axis=1), axis=1) + 2.0 * np.sqrt(D) * np.linalg.norm(G, axis=(1, 2)) * e
    # rounding of the sums: (N + D + 4) eps of the terms' absolute sum, per ray
    size = np.matmul(np.abs(S) + err, np.where(not_ina, np.abs(s), 0.0)[:, :, None])[:, :, 0].max(axis=1)
    out = kappa * (top + (N + D + 4) * eps * size) * (1.0 + (D + 4) * eps)
    return np.where((e <= 0.5) & np.isfinite(out), out, np.inf)


class WarmStart:
    """The memory of :class:`relucert.lp.tv.oracle_api.BranchAndBoundOracle`: the last
    remembered frontier over the distinct rows of ``X``, the weights it was searched with,
    and points where ``|eta|`` was large (incumbent hints for the next search).

    Parameters
    ----------
    X : np.ndarray, shape (n, d)
        The data (lifted here).
    max_nodes : int
        A frontier with more nodes is not kept (the next search starts from the last one
        kept, or from the roots when none is).
    """

    #: the shift of :meth:`seeds`: "ray" (Lemmas 9 and 9b), "split" (Lemma 9b (a) only) or
    #: "lemma9" (Lemma 9's sum); the last two for benchmarks/bench_oracle.py's A/B only
    shift = "ray"

    def __init__(self, X: np.ndarray, max_nodes: int):
        Z = lift(X)
        uniq, inverse = np.unique(Z, axis=0, return_inverse=True)
        self.A_all = uniq
        self.inverse = inverse.reshape(-1)
        self.norms = np.linalg.norm(uniq, axis=1)
        self.max_nodes = int(max_nodes)
        self.prior = None

    def forget(self) -> None:
        """Drop the remembered frontier."""
        self.prior = None

    def summed(self, q: np.ndarray) -> np.ndarray:
        """Summed weight of every distinct row."""
        return np.bincount(self.inverse, weights=q, minlength=self.A_all.shape[0])

    def seeds(self, q: np.ndarray, support: np.ndarray, threshold: float = -np.inf):
        """The remembered frontier with bounds shifted to the weights ``q`` (Lemma 9), its
        inactive bits mapped onto the rows of the search (sample ``support[t]`` is its row
        ``t``), and the hint points; None when nothing is remembered.

        Every node gets the sign-split shift of Lemma 9 (only the rows whose weight moved
        towards ``sign`` can raise ``sign * eta``); a node whose shifted bound is still above
        ``floor`` (the search closes the others at once) gets the ray shift of Lemma 9b instead when that is smaller:
        first order in the cone's width, so a small cone whose ``eta`` fell stays closed.

        Returns
        -------
        (R, sign, bound, inactive), points
        """
        if self.prior is None:
            return None
        q_old, front, points = self.prior
        dq = self.summed(q) - q_old
        if self.shift == "lemma9":
            shift = _not_inactive_sums(front.inactive, np.abs(dq) * self.norms)
        else:
            up = _not_inactive_sums(front.inactive, np.maximum(dq, 0.0) * self.norms)
            down = _not_inactive_sums(front.inactive, np.maximum(-dq, 0.0) * self.norms)
            shift = np.where(front.sign > 0, up, down)
        # float rounding of the sums and of the addition: a relative margin of (N + 4) eps
        slack = 1.0 + (dq.shape[0] + 4) * np.finfo(np.float64).eps
        bound = (front.bound + shift) * slack
        floor = float(threshold)
        if floor > -np.inf and points.shape[0]:
            floor = min(floor, float(np.abs(np.maximum(points @ self.A_all.T, 0.0) @ self.summed(q)).max()))
        elif floor > -np.inf:
            floor = 0.0
        again = np.flatnonzero(bound > floor) if self.shift == "ray" else np.zeros(0, dtype=np.int64)
        chunk = max(1, _RAY_SHIFT_BYTES // (8 * self.A_all.shape[0] * self.A_all.shape[1]))
        for lo in range(0, again.size, chunk):
            ids = again[lo:lo + chunk]
            ray = ray_shift(self.A_all, dq, front.R[ids], front.sign[ids], front.inactive[ids])
            bound[ids] = np.minimum(bound[ids], (front.bound[ids] + ray) * slack)
        rows = self.inverse[support]
        if self._every_row(rows):
            ina = front.inactive    # every distinct row is in the search, in the same order
        else:
            ina_all = np.unpackbits(front.inactive, axis=1, count=self.A_all.shape[0]).astype(bool)
            ina = np.packbits(ina_all[:, rows], axis=1)
        return (front.R, front.sign, bound, ina), points

    def _every_row(self, rows: np.ndarray) -> bool:
        """Whether a search's rows (indices into the distinct rows) are every distinct row in
        order: its inactive bits are then the kept ones as they stand, with no remapping."""
        return rows.size == self.A_all.shape[0] and np.array_equal(rows, np.arange(rows.size))

    def remember(self, q: np.ndarray, support: np.ndarray, front: Frontier, points: np.ndarray) -> None:
        """Keep ``front`` (inactive bits over the search's rows ``support``) for the weights
        ``q``, with hint points; a frontier above ``max_nodes`` nodes is not kept: the last
        one kept stays (its bounds shift to any later weights just as well, Lemma 9: the
        shift is taken from the weights it was searched with), so the next search starts
        from it instead of the roots."""
        if front.size > self.max_nodes:
            return
        N = self.A_all.shape[0]
        rows = self.inverse[support]
        if self._every_row(rows):
            keep = front            # the search's rows are every distinct row, in the same order
        else:
            ina = np.unpackbits(front.inactive, axis=1, count=support.shape[0]).astype(bool)
            ina_all = np.zeros((front.size, N), dtype=bool)
            ina_all[:, rows] = ina
            keep = Frontier(front.R, front.sign, front.bound, np.packbits(ina_all, axis=1))
        self.prior = (self.summed(q), keep, np.asarray(points, dtype=np.float64).reshape(-1, self.A_all.shape[1]))
