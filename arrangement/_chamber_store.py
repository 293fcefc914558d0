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
    lazy: object | None = None  # pt is None: ``lazy(rows)`` computes the points of those chambers

    def points(self, rows: np.ndarray) -> np.ndarray:
        """The interior points of chambers ``rows`` (computed on first use where lazy; each
        chamber's point is computed from its own data only, so it does not depend on which
        chambers are asked for together)."""
        if self.pt is not None:
            return self.pt[rows]
        if self._have is None:
            self._have = np.zeros(len(self.h), dtype=bool)
            self._cache = np.zeros((len(self.h), self.lazy.dim))
        new = np.unique(rows[~self._have[rows]])
        if new.size:
            self._cache[new] = self.lazy(new)
            self._have[new] = True
        return self._cache[rows]

    _have: np.ndarray | None = None
    _cache: np.ndarray | None = None



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
    # the groups ranked by first occurrence: the firsts are distinct indices below len(h), so
    # a bitmap of them and its running count rank them (no sort)
    mark = np.zeros(len(h), dtype=bool)
    mark[first] = True
    rank_at = np.cumsum(mark, dtype=np.int64) - 1
    ids = np.empty(len(h), dtype=np.int64)
    ids[o] = rank_at[first][grp]
    return ids, np.flatnonzero(mark), o, starts


def _facet_lists(fcls, ids, o, starts, M, sizes, members_all, member_start):
    """Facets of the merged chambers of one level: the classes of each chamber's finds,
    expanded to their members (CSR ``fptr, fidx``). A chamber is found at most once through
    a class (Lemma 1), so there are no duplicates; the finds of one chamber are contiguous
    in the hash order ``o`` (groups starting at ``starts``)."""
    cls_sorted = fcls[o]
    glen = np.diff(np.r_[starts, len(o)])
    gid = ids[o[starts]]
    cnt = np.zeros(M, dtype=np.int64)
    fptr = np.zeros(M + 1, dtype=np.int64)
    if np.all(sizes == 1):   # one member per class: a chamber's finds are its facets, in o's order
        cnt[gid] = glen
        fptr[1:] = np.cumsum(cnt)
        off = np.repeat(fptr[gid] - starts, glen) + np.arange(len(o))
        fidx = np.empty(int(fptr[-1]), dtype=np.int64)
        fidx[off] = members_all[member_start[cls_sorted]]
        return fptr, fidx
    sz = sizes[cls_sorted]
    cnt[gid] = np.add.reduceat(sz, starts)
    fptr[1:] = np.cumsum(cnt)
    cs = np.cumsum(sz) - sz
    off = np.repeat(fptr[gid] - cs[starts], glen) + cs
    fidx = np.empty(int(fptr[-1]), dtype=np.int64)
    within = np.arange(int(sz.sum())) - np.repeat(cs, sz)
    fidx[np.repeat(off, sz) + within] = _expand(members_all, member_start, sizes, cls_sorted)
    return fptr, fidx


def _top_edges(fside, fcls, block_start, ids, sizes, members_all, member_start):
    """Adjacency of the top level: ``G+`` and ``G-`` of one sub chamber are adjacent across
    the class; the finds of a class (from ``block_start``) are [G+ for every G] then [G- for
    every G]. Returns the pairs and the CSR lists of the hyperplanes each edge crosses."""
    plus_rows = np.flatnonzero(fside > 0)
    blen = np.diff(np.r_[block_start, len(fside)])
    k_of = np.repeat(blen // 2, blen)
    minus_rows = plus_rows + k_of[plus_rows]
    pairs = np.stack([ids[plus_rows], ids[minus_rows]], axis=1)
    cls = fcls[plus_rows]
    eptr = np.zeros(len(cls) + 1, dtype=np.int64)
    eptr[1:] = np.cumsum(sizes[cls])
    return pairs, eptr, _expand(members_all, member_start, sizes, cls)
