"""The chamber store of the enumeration by restriction: one restriction's chambers
(packed patterns, hashes, interior points, facets), and the grouping of finds by hash.

Each chamber is found once per facet; finds are merged by a 64-bit additive hash of the
packed sign pattern (:func:`_dedup`), and every merge is checked bit for bit by the
enumerator (a collision, :class:`_HashCollision`, restarts with a new hash).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__: list[str] = []


class _HashCollision(Exception):
    """Two different patterns share a 64-bit hash (astronomically rare): restart."""


@dataclass
class _Chambers:
    """Chambers of one restriction ``A^{L_F}``."""

    pos: np.ndarray    # (m, nb) uint8, packed positive bits (only hyperplanes not containing L_F)
    h: np.ndarray      # (m,) uint64 additive hash of pos
    pt: np.ndarray     # (m, r) float interior points (approximately in L_F)
    fptr: np.ndarray   # (m + 1,) int64
    fidx: np.ndarray   # facet hyperplane indices (every member of a facet's class)
    gsize: np.ndarray | None = None  # circles: size of crossing group k (arc k's first facets)



def _expand(members_all, member_start, sizes, sel) -> np.ndarray:
    """Concatenation of the member lists of the classes ``sel`` (vectorised)."""
    rep = sizes[sel]
    total = int(rep.sum())
    within = np.arange(total) - np.repeat(np.cumsum(rep) - rep, rep)
    return members_all[np.repeat(member_start[sel], rep) + within]


def _dedup(h: np.ndarray):
    """Group equal hashes. Returns ``ids`` (chambers numbered by first occurrence), the
    index of each chamber's first occurrence, the hash order ``o`` and the starts of its
    groups (equal hashes are contiguous in ``o``)."""
    o = np.argsort(h)
    hs = h[o]
    new = np.empty(len(h), dtype=bool)
    new[:1] = True
    np.not_equal(hs[1:], hs[:-1], out=new[1:])
    del hs
    starts = np.flatnonzero(new)
    first = np.minimum.reduceat(o, starts)  # the smallest index of each group
    grp = np.cumsum(new) - 1
    perm = np.argsort(first, kind="stable")
    rank_of = np.empty_like(perm)
    rank_of[perm] = np.arange(len(perm))
    ids = np.empty(len(h), dtype=np.int64)
    ids[o] = rank_of[grp]
    return ids, first[perm], o, starts
