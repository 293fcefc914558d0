"""Exact LP-free chamber enumeration by recursion on restrictions.

Every chamber of a (non-empty) central arrangement has a facet; the relative interior
of a facet on ``H_a`` is a chamber of the restriction ``A^{H_a}`` (the arrangement
that the other hyperplanes cut out on ``H_a``), and every chamber ``G`` of that
restriction is the common facet of exactly two chambers ``G+`` and ``G-`` (one on
each side of ``H_a``). Hence::

    chambers(A) = { G+, G- : a a hyperplane of A, G a chamber of A^{H_a} }.

The recursion goes down to rank-2 restrictions, whose chambers are the arcs between
consecutive crossing points on a circle: there the normals are sorted by angle
(float sort, verified pair by pair with exact predicates, exact sort as fallback).
Each chamber is found once per facet; duplicates are merged by a 64-bit additive hash
of the packed sign pattern, and every merge is then checked bit for bit against the
representative's pattern (a collision restarts with a new hash). The finds also give
each chamber's facets and the adjacency graph. All combinatorial decisions are exact
(:mod:`relucert.arrangement.exact`); see proofs/enumeration_by_restriction.md.

Data of lower rank are handled by keeping ``r = rank`` columns on which the lifted
data keep their rank: the sign patterns are unchanged (the arrangement is the product
of its essentialization with the lineality space).

The job is split: the chamber store and hash merge in
:mod:`relucert.arrangement._chamber_store`, the rank-2 circle step in
:mod:`relucert.arrangement._circle`, the recursion here.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from relucert.arrangement._chamber_store import _Chambers, _dedup, _facet_lists, _HashCollision, _top_edges
from relucert.arrangement._circle import _circle_edges, _CircleSteps
from relucert.arrangement._circle_batch import _CircleBatch
from relucert.arrangement._level3 import _LevelThree
from relucert.arrangement.chambers import csr_positions
from relucert.arrangement.exact import ExactData, FlagForms, exact_rank_columns

__all__ = ["enumerate_restrict", "EnumerationCore"]


@dataclass
class EnumerationCore:
    """Raw output of :func:`enumerate_restrict` (in the reduced coordinates)."""

    pos: np.ndarray
    pt: np.ndarray
    fptr: np.ndarray
    fidx: np.ndarray
    edges: np.ndarray          # (e, 2) chamber index pairs adjacent across a facet
    edge_class_ptr: np.ndarray  # CSR of the hyperplanes crossed by each edge
    edge_class_idx: np.ndarray
    columns: list[int]
    rank: int


class _Enumerator(_CircleSteps, _CircleBatch, _LevelThree):
    """The recursion on restrictions: one instance per attempt (hash seed). Rank-2
    restrictions are the circles of :class:`relucert.arrangement._circle._CircleSteps`;
    higher ranks (:meth:`_level`) combine the chambers of each hyperplane's restriction
    into ``G+`` and ``G-`` and merge the finds (:mod:`relucert.arrangement._chamber_store`)."""

    def __init__(self, Z: np.ndarray, seed: int, progress):
        self.data = ExactData(Z)
        self.Z = self.data.Z
        self.n, self.r = self.Z.shape
        self.nb = (self.n + 7) // 8
        self.nw = (self.n + 63) // 64      # 64-bit words per pattern
        self.nb8 = 8 * self.nw             # bytes per pattern, padded to whole words
        rng = np.random.default_rng(seed)
        self.R = rng.integers(0, np.iinfo(np.uint64).max, size=self.n, dtype=np.uint64, endpoint=True)
        self.byte = (np.arange(self.n) >> 3).astype(np.int64)
        self.bit = (np.uint8(1) << (np.arange(self.n) & 7).astype(np.uint8)).astype(np.uint8)
        self.progress = progress
        self.memo: dict[bytes, _Chambers] = {}
        self.memo_order: dict[bytes, tuple] = {}

    # ---- helpers ---------------------------------------------------------------------
    def _mask(self, members: np.ndarray) -> np.ndarray:
        m = np.zeros(self.nb8, dtype=np.uint8)
        np.bitwise_or.at(m, self.byte[members], self.bit[members])
        return m

    def _hash(self, members: np.ndarray) -> np.uint64:
        return np.add.reduce(self.R[members], dtype=np.uint64) if len(members) else np.uint64(0)

    def _basis(self, F: tuple[int, ...]) -> np.ndarray:
        """Float orthonormal basis (r, r - k) of ``L_F = span(F)^perp``."""
        k = len(F)
        if k == 0:
            return np.eye(self.r)
        Q, _ = np.linalg.qr(self.Z[list(F)].T, mode="complete")
        return Q[:, k:]

    # ---- dispatch --------------------------------------------------------------------
    def chambers(self, F: tuple[int, ...], B: np.ndarray) -> _Chambers:
        """Chambers of the restriction to ``L_F``; ``B`` the hyperplanes not containing it.

        The restriction depends only on the flat ``L_F``, which ``B`` determines (its
        complement is the set of hyperplanes containing ``L_F``): results are memoised by
        ``B``, so a flat reached through several flags (``(a, b)`` and ``(b, a)``) is
        enumerated once."""
        key = B.tobytes()
        hit = self.memo.get(key)
        if hit is None:
            hit = self._level3(F, B) if self.r - len(F) == 3 else self._level(F, B)
            self.memo[key] = hit
        return hit

    # ---- rank >= 3: recurse on the restrictions ---------------------------------------
    def _classes(self, F, B):
        """Classes of hyperplanes of the restriction to L_F: lists (rep, members, c-signs)."""
        if len(F) == 0:
            rows = self.Z[B] + 0.0
            _, first, inv = np.unique(rows, axis=0, return_index=True, return_inverse=True)
            inv = inv.reshape(-1)
            out = []
            for u in np.argsort(first, kind="stable"):
                mem = B[inv == u]
                out.append((int(mem[0]), mem, np.ones(len(mem), np.int8)))
            return out
        forms = FlagForms(self.data, F)
        same = forms.bilinear_zero_all_pairs(B)
        label = np.argmax(same, axis=1)  # first index of the class
        out = []
        for u in np.unique(label):
            mem = B[label == u]
            a = int(mem[0])
            if len(mem) == 1:
                out.append((a, mem, np.ones(1, np.int8)))
                continue
            la = forms.linear_signs(np.array([a]))[0]
            s_star = int(np.flatnonzero(la)[0])
            c = forms.linear_signs(mem)[:, s_star] * la[s_star]
            out.append((a, mem, c.astype(np.int8)))
        return out

    def _bar(self, top: bool, n_classes: int):
        """A tqdm bar over the top level's classes (two steps each), or None."""
        if not top or self.progress is False:
            return None
        from tqdm import tqdm

        return tqdm(total=2 * n_classes, desc="chambers", unit="hyperplane",
                    disable=None if self.progress is None else not self.progress, file=sys.stderr)

    def _level(self, F: tuple[int, ...], B: np.ndarray, top: bool = False) -> _Chambers:
        """Chambers of the restriction to ``L_F`` of rank >= 4 from its hyperplane classes'
        restrictions (rank 3: :meth:`_level3`)."""
        classes = self._classes(F, B)
        E = self._basis(F)
        bar = self._bar(top, len(classes))
        subs: list[_Chambers | None] = []
        fh, fcls, fg, fside = [], [], [], []
        masks = []
        where = np.empty(self.n, dtype=np.int64)   # position of each hyperplane in B
        where[B] = np.arange(len(B))
        for ci, (a, mem, c) in enumerate(classes):
            keep = np.ones(len(B), dtype=bool)
            keep[where[mem]] = False
            sub = self.chambers(F + (a,), B[keep])    # B without the class, in B's order
            subs.append(sub)
            plus, minus = mem[c > 0], mem[c < 0]
            masks.append((self._mask(plus), self._mask(minus)))
            hp, hm = self._hash(plus), self._hash(minus)
            k = len(sub.h)
            fh.append(np.concatenate([sub.h + hp, sub.h + hm]))
            fcls.append(np.full(2 * k, ci, dtype=np.int32))
            fg.append(np.concatenate([np.arange(k), np.arange(k)]).astype(np.int32))
            fside.append(np.repeat(np.array([1, -1], dtype=np.int8), k))
            if bar is not None:
                bar.update(1)
        block_start = np.r_[0, np.cumsum([len(x) for x in fh])[:-1]].astype(np.int64)
        fh = np.concatenate(fh)
        fcls = np.concatenate(fcls)
        fg = np.concatenate(fg)
        fside = np.concatenate(fside)
        ids, first, o, starts = _dedup(fh)
        M = len(first)
        hashes = fh[first]
        del fh
        sizes = np.array([len(cl[1]) for cl in classes], dtype=np.int64)
        members_all = np.concatenate([cl[1] for cl in classes])
        member_start = np.r_[0, np.cumsum(sizes)[:-1]]
        fptr, fidx = _facet_lists(fcls, ids, o, starts, M, sizes, members_all, member_start)
        del o, starts
        class_of = np.full(self.n, -1, dtype=np.int64)
        for ci, cl in enumerate(classes):
            class_of[cl[1]] = ci
        # pass 2: patterns, exact merge check, interior points
        pos = np.zeros((M, self.nb8 if not top else self.nb), dtype=np.uint8)
        pt = np.zeros((M, self.r))
        offset = 0
        for ci, (a, mem, c) in enumerate(classes):
            sub = subs[ci]
            k = len(sub.h)
            sl = slice(offset, offset + 2 * k)
            offset += 2 * k
            g = fg[sl]
            sd = fside[sl]
            mp, mm = masks[ci]
            sub64 = sub.pos.view(np.uint64)
            pats = np.concatenate([sub64 | mp.view(np.uint64)[None, :], sub64 | mm.view(np.uint64)[None, :]])
            pats = pats.view(np.uint8)[:, :pos.shape[1]]
            my_ids = ids[sl]
            is_rep = first[my_ids] == np.arange(sl.start, sl.stop)
            rep_rows = np.flatnonzero(is_rep)
            rid = my_ids[rep_rows]
            pos[rid] = pats[rep_rows]
            if not np.array_equal(np.take(pos, my_ids, axis=0), pats):   # (np.take: a fast row gather)
                raise _HashCollision()
            if len(rep_rows):
                qa = np.broadcast_to(E @ (E.T @ self.Z[a]), (len(rid), self.r))
                pt[rid] = self._push(qa, np.full(len(rid), ci), class_of, sub.points(g[rep_rows]), sd[rep_rows], rid, pos,
                                     fptr, fidx)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        self.last_edges = _top_edges(fside, fcls, block_start, ids, sizes, members_all, member_start) if top else None
        return _Chambers(pos=pos, h=hashes, pt=pt, fptr=fptr, fidx=fidx)

    def _push(self, qa, cls, class_of, p, side, rid, pos, fptr, fidx):
        """Interior points of the chambers ``G+-``: ``p + side * t * q_a`` (row by row: ``q_a``
        the projection of the class's ``z_a`` to ``L_F``, ``cls`` the class) with ``t`` half
        the step at which the first facet outside the class would be crossed."""
        cnt = fptr[rid + 1] - fptr[rid]
        rows = np.repeat(np.arange(len(rid)), cnt)
        f = fidx[csr_positions(fptr[rid], cnt)]
        sf = np.where((pos[rid[rows], self.byte[f]] & self.bit[f]) != 0, 1.0, -1.0)
        zf = self.Z[f]
        num = sf * np.einsum("ij,ij->i", p[rows], zf)
        den = -side[rows] * sf * np.einsum("ij,ij->i", zf, qa[rows])
        limiting = (den > 0) & (class_of[f] != cls[rows])
        ratio = np.full(len(f), np.inf)
        ratio[limiting] = num[limiting] / den[limiting]
        tmax = np.full(len(rid), np.inf)
        np.minimum.at(tmax, rows, ratio)
        scale = np.linalg.norm(p, axis=1) / np.maximum(np.linalg.norm(qa, axis=1), np.finfo(float).tiny)
        t = np.where(np.isfinite(tmax), 0.5 * tmax, scale)
        t = np.minimum(t, scale)
        out = p + (side * t)[:, None] * qa
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def enumerate_restrict(Z: np.ndarray, *, progress=None, seed: int = 0) -> EnumerationCore:
    """Chambers of the central arrangement with normals the rows of ``Z`` (n, D).

    Parameters
    ----------
    Z : (n, D) float array
        The lifted data.
    progress : bool or None
        A tqdm bar over the top-level hyperplanes (None: only on a terminal).
    seed : int
        Seed of the 64-bit pattern hashes; a collision restarts with the next seed.

    Returns
    -------
    EnumerationCore
        The raw enumeration in the reduced coordinates (``columns`` of ``Z``).
    """
    Z = np.asarray(Z, dtype=np.float64)
    n, D = Z.shape
    r, cols = exact_rank_columns(Z)
    Zr = np.ascontiguousarray(Z[:, cols])
    B = np.arange(n)
    for attempt in range(8):
        en = _Enumerator(Zr, seed + attempt, progress)
        try:
            if r == 1:
                return _rank_one(en, cols)
            if r == 2:
                ch = en._circle((), B)
                edges, ecp, eci = _circle_edges(ch, en)
            else:
                ch = (en._level3 if r == 3 else en._level)((), B, top=True)
                edges, ecp, eci = en.last_edges
            return EnumerationCore(pos=np.ascontiguousarray(ch.pos[:, :en.nb]) if r == 2 else ch.pos, pt=ch.pt, fptr=ch.fptr, fidx=ch.fidx, edges=edges,
                                   edge_class_ptr=ecp, edge_class_idx=eci, columns=cols, rank=r)
        except _HashCollision:
            continue
    raise RuntimeError("hash collisions in 8 independent attempts; this indicates a bug")


def _rank_one(en: _Enumerator, cols):
    """All lifted points equal: two chambers (all active, all inactive)."""
    n, r = en.n, en.r
    allbits = en._mask(np.arange(n))
    pos = np.stack([allbits, np.zeros(en.nb8, np.uint8)])[:, :en.nb].copy()
    z = en.Z[0] / np.linalg.norm(en.Z[0])
    pt = np.stack([z, -z])
    fptr = np.array([0, n, 2 * n], dtype=np.int64)
    fidx = np.r_[np.arange(n), np.arange(n)].astype(np.int64)
    return EnumerationCore(pos=pos, pt=pt, fptr=fptr, fidx=fidx, edges=np.array([[0, 1]]),
                           edge_class_ptr=np.array([0, n], dtype=np.int64),
                           edge_class_idx=np.arange(n, dtype=np.int64), columns=cols, rank=1)
