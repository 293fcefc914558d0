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

__all__ = ["Frontier", "FrontierLog", "WarmStart"]


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


class WarmStart:
    """The memory of :class:`relucert.lp.tv.oracle_api.BranchAndBoundOracle`: the last
    remembered frontier over the distinct rows of ``X``, the weights it was searched with,
    and points where ``|eta|`` was large (incumbent hints for the next search).

    Parameters
    ----------
    X : np.ndarray, shape (n, d)
        The data (lifted here).
    max_nodes : int
        A frontier with more nodes is not kept (the next search starts from the roots).
    """

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

    def seeds(self, q: np.ndarray, support: np.ndarray):
        """The remembered frontier with bounds shifted to the weights ``q`` (Lemma 9), its
        inactive bits mapped onto the rows of the search (sample ``support[t]`` is its row
        ``t``), and the hint points; None when nothing is remembered.

        Returns
        -------
        (R, sign, bound, inactive), points
        """
        if self.prior is None:
            return None
        q_old, front, points = self.prior
        w = np.abs(self.summed(q) - q_old) * self.norms
        shift = _not_inactive_sums(front.inactive, w)
        # float rounding of the sums and of the addition: a relative margin of (N + 4) eps
        slack = 1.0 + (w.shape[0] + 4) * np.finfo(np.float64).eps
        bound = (front.bound + shift) * slack
        N = self.A_all.shape[0]
        ina_all = np.unpackbits(front.inactive, axis=1, count=N).astype(bool)
        ina = np.packbits(ina_all[:, self.inverse[support]], axis=1)
        return (front.R, front.sign, bound, ina), points

    def remember(self, q: np.ndarray, support: np.ndarray, front: Frontier, points: np.ndarray) -> None:
        """Keep ``front`` (inactive bits over the search's rows ``support``) for the weights
        ``q``, with hint points; a frontier above ``max_nodes`` nodes is dropped."""
        if front.size > self.max_nodes:
            self.prior = None
            return
        N = self.A_all.shape[0]
        ina = np.unpackbits(front.inactive, axis=1, count=support.shape[0]).astype(bool)
        ina_all = np.zeros((front.size, N), dtype=bool)
        ina_all[:, self.inverse[support]] = ina
        keep = Frontier(front.R, front.sign, front.bound, np.packbits(ina_all, axis=1))
        self.prior = (self.summed(q), keep, np.asarray(points, dtype=np.float64).reshape(-1, self.A_all.shape[1]))
