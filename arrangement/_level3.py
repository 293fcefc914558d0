"""The rank-3 levels of the enumeration by restriction, vectorised over their circles.

A rank-3 restriction ``A^{L_F}`` is combined from the circles ``L_{F + (a,)}`` of its hyperplane
classes (Lemma 1 of proofs/enumeration_by_restriction.md): every arc ``G`` of the circle of
class ``[a]`` gives the two chambers ``G+`` and ``G-``. Here all the circles of one level are
ordered together (:mod:`relucert.arrangement._circle_batch`), their arcs' hashes and packed
patterns are built as flat arrays (segmented sums and xor-scans), the finds are merged by hash
and checked bit for bit exactly as in the general level, and the interior points are pushed off
the circles in one vectorised pass per chunk of classes.
"""
from __future__ import annotations

import sys

import numpy as np

from relucert.arrangement._chamber_store import _Chambers, _dedup, _facet_lists, _HashCollision, _top_edges

__all__: list[str] = []

_TWO_PI = 2.0 * np.pi
#: Bytes of the one-hot patterns built at once in the pattern pass (memory).
_PASS_BYTES = 1 << 22


class _LazyPush:
    """The interior points of a rank-3 level's chambers, pushed off their representative
    find's arc on demand (the same arithmetic per chamber as the eager push)."""

    def __init__(self, en, QA, class_of, arcs, cls, arc, side, pos, fptr, fidx):
        self.en, self.QA, self.class_of, self.arcs = en, QA, class_of, arcs
        self.cls, self.arc, self.side, self.pos, self.fptr, self.fidx = cls, arc, side, pos, fptr, fidx
        self.dim = en.r

    def __call__(self, rid: np.ndarray) -> np.ndarray:
        cr = self.cls[rid]
        return self.en._push(self.QA[cr], cr, self.class_of, self.arcs[self.arc[rid]], self.side[rid], rid,
                             self.pos, self.fptr, self.fidx)


class _LevelThree:
    """Mixin of :class:`relucert.arrangement.restrict._Enumerator`: :meth:`_level3`."""

    def _level3(self, F: tuple[int, ...], B: np.ndarray, top: bool = False) -> _Chambers:
        """Chambers of the rank-3 restriction to ``L_F`` (``B`` its hyperplanes); ``top``:
        the whole arrangement (patterns of ``nb`` bytes, adjacency in ``self.last_edges``)."""
        classes = self._classes(F, B)
        E = self._basis(F)
        K = len(classes)
        bar = self._bar(top, K)
        where = np.empty(self.n, dtype=np.int64)
        where[B] = np.arange(len(B))
        reps = [int(cl[0]) for cl in classes]
        Bsubs = []
        for a, mem, c in classes:
            keep = np.ones(len(B), dtype=bool)
            keep[where[mem]] = False
            Bsubs.append(B[keep])                     # B without the class, in B's order
        infos = self._circle_orders([F + (a,) for a in reps], Bsubs, memo=len(F) >= 1)
        del Bsubs
        if bar is not None:
            bar.update(K)
        # the circles as flat arrays: entries (sorted crossings), arcs (= groups), per class
        sb = np.concatenate([i[0] for i in infos]).astype(np.int64)
        ss = np.concatenate([i[1] for i in infos])
        nent = np.array([len(i[0]) for i in infos], dtype=np.int64)
        narc = np.array([len(i[2]) for i in infos], dtype=np.int64)
        eoff, aoff = np.r_[0, np.cumsum(nent)], np.r_[0, np.cumsum(narc)]
        gst = np.concatenate([i[2] for i in infos]).astype(np.int64) + np.repeat(eoff[:-1], narc)
        alpha = np.concatenate([i[4] for i in infos])
        Ecs = np.stack([i[5] for i in infos])
        init = np.concatenate([i[3] for i in infos]).astype(np.int64)
        init_cls = np.repeat(np.arange(K), [len(i[3]) for i in infos])
        del infos
        arc_cls = np.repeat(np.arange(K), narc)
        # arc hashes: h0 + the prefix sums of the group deltas, per circle
        Rv = self.R[sb]
        hdelta = np.add.reduceat(np.where(ss > 0, (~Rv) + np.uint64(1), Rv), gst)
        del Rv
        h0 = np.zeros(K, dtype=np.uint64)
        np.add.at(h0, init_cls, self.R[init])
        cs = np.cumsum(hdelta, dtype=np.uint64)
        base = np.concatenate([np.zeros(1, np.uint64), cs])[aoff[:-1]]
        harc = cs - base[arc_cls] + h0[arc_cls]
        # the classes' own hashes and masks (members with c > 0 on the G+ side)
        sizes = np.array([len(cl[1]) for cl in classes], dtype=np.int64)
        members_all = np.concatenate([cl[1] for cl in classes]).astype(np.int64)
        csign = np.concatenate([cl[2] for cl in classes])
        mcls = np.repeat(np.arange(K), sizes)
        hside = np.zeros((2, K), dtype=np.uint64)
        for s, sel in enumerate((csign > 0, csign < 0)):
            np.add.at(hside[s], mcls[sel], self.R[members_all[sel]])
        mem_rank = (members_all, mcls, csign, np.arange(len(mcls)) - np.repeat(np.r_[0, np.cumsum(sizes)[:-1]], sizes))
        # finds: class ci contributes [G+ for every arc G] then [G- for every arc G]
        # (each half, G+ or G- of one class, is a run of consecutive arcs: one repeat per array)
        foff = np.r_[0, np.cumsum(2 * narc)]
        fcls = np.repeat(np.arange(K), 2 * narc)
        halves = np.repeat(narc, 2)
        fside = np.repeat(np.tile(np.array([1, -1], dtype=np.int8), K), halves)
        farc = np.arange(foff[-1]) - np.repeat(np.r_[0, np.cumsum(halves)[:-1]] - np.repeat(aoff[:-1], 2), halves)
        fh = harc[farc] + np.repeat(hside.T.ravel(), halves)
        ids, first, o, starts = _dedup(fh)
        M = len(first)
        hashes = fh[first]
        del fh
        member_start = np.r_[0, np.cumsum(sizes)[:-1]]
        fptr, fidx = _facet_lists(fcls, ids, o, starts, M, sizes, members_all, member_start)
        del o, starts
        class_of = np.full(self.n, -1, dtype=np.int64)
        class_of[members_all] = mcls
        QA = (E @ (E.T @ self.Z[reps].T)).T                    # q_a: z_a projected to L_F
        P0 = np.zeros((K, self.nb8), dtype=np.uint8)
        np.bitwise_or.at(P0, (init_cls, self.byte[init]), self.bit[init])
        P0 = P0.view(np.uint64)
        width = self.nb if top else self.nb8
        pos = np.zeros((M, width), dtype=np.uint8)
        # below the top the points are pushed lazily (a parent level needs those of its
        # representatives only): per chamber, its representative find's class, arc and side
        pt = np.zeros((M, self.r)) if top else None
        rep_cls, rep_arc, rep_side = (None, None, None) if top else (np.zeros(M, np.int64), np.zeros(M, np.int64),
                                                                     np.zeros(M, np.int8))
        arc_pts = [] if not top else None
        c0 = 0
        while c0 < K:
            c1 = c0 + 1
            while c1 < K and (eoff[c1 + 1] - eoff[c0]) * self.nb8 <= _PASS_BYTES:
                c1 += 1
            e0, e1, a0, a1, f0, f1 = eoff[c0], eoff[c1], aoff[c0], aoff[c1], foff[c0], foff[c1]
            arcpos, ptarc = self._arcs(sb[e0:e1], gst[a0:a1] - e0, aoff[c0:c1 + 1] - a0, arc_cls[a0:a1] - c0,
                                       P0[c0:c1], alpha[a0:a1], Ecs[c0:c1])
            fa, fs, fc = farc[f0:f1] - a0, fside[f0:f1], fcls[f0:f1]
            pats = np.take(arcpos, fa, axis=0).view(np.uint8)
            for rows, bytes_, bits in self._class_bits(mem_rank, foff[c0:c1 + 1] - f0, narc[c0:c1], c0, c1):
                pats[rows, bytes_] |= bits
            pats = pats[:, :width]
            my_ids = ids[f0:f1]
            rep_rows = np.flatnonzero(first[my_ids] == np.arange(f0, f1))
            rid = my_ids[rep_rows]
            pos[rid] = np.take(pats, rep_rows, axis=0)
            if not np.array_equal(np.take(pos, my_ids, axis=0), pats):   # (np.take: a fast row gather)
                raise _HashCollision()
            if len(rep_rows) and top:
                cr = fc[rep_rows]
                pt[rid] = self._push(QA[cr], cr, class_of, ptarc[fa[rep_rows]], fs[rep_rows], rid, pos, fptr, fidx)
            elif len(rep_rows):
                rep_cls[rid], rep_arc[rid], rep_side[rid] = fc[rep_rows], fa[rep_rows] + a0, fs[rep_rows]
            if not top:
                arc_pts.append(ptarc)
            if bar is not None:
                bar.update(c1 - c0)
            c0 = c1
        if bar is not None:
            bar.close()
        self.last_edges = _top_edges(fside, fcls, foff[:-1], ids, sizes, members_all, member_start) if top else None
        if top:
            return _Chambers(pos=pos, h=hashes, pt=pt, fptr=fptr, fidx=fidx)
        arcs = np.concatenate(arc_pts) if arc_pts else np.zeros((0, self.r))
        return _Chambers(pos=pos, h=hashes, pt=None, fptr=fptr, fidx=fidx,
                         lazy=_LazyPush(self, QA, class_of, arcs, rep_cls, rep_arc, rep_side, pos, fptr, fidx))

    def _class_bits(self, mem_rank, foff, narc, c0, c1):
        """The class bits of the finds of classes ``c0:c1`` (find rows from ``foff``, class
        ``ci``'s G+ rows first): members with ``c > 0`` are set in the G+ rows, those with
        ``c < 0`` in the G- rows. Yields ``(rows, bytes, bits)`` with no (row, byte) pair twice
        (one member rank of every class at a time)."""
        members, mcls, csign, rank = mem_rank
        lo, hi = np.searchsorted(mcls, [c0, c1])
        members, mcls, csign, rank = members[lo:hi], mcls[lo:hi] - c0, csign[lo:hi], rank[lo:hi]
        for j in range(int(rank.max(initial=-1)) + 1):
            sel = np.flatnonzero(rank == j)
            b, c = members[sel], mcls[sel]
            k = narc[c]
            first_row = foff[c] + np.where(csign[sel] > 0, 0, k)
            rows = np.repeat(first_row - np.r_[0, np.cumsum(k)[:-1]], k) + np.arange(int(k.sum()))
            yield rows, np.repeat(self.byte[b], k), np.repeat(self.bit[b], k)

    def _arcs(self, sb, gst, aoff, arc_cls, P0, alpha, Ecs):
        """Packed patterns (uint64 words) and interior points of the arcs of some circles:
        entries ``sb`` sorted by circle, group starts ``gst``, circle ``c``'s arcs
        ``aoff[c]:aoff[c + 1]``; ``P0`` the pattern of each circle's last arc."""
        ne = len(sb)
        onehot = np.zeros((ne, self.nb8), dtype=np.uint8)
        onehot[np.arange(ne), self.byte[sb]] = self.bit[sb]
        delta = onehot.view(np.uint64)
        if len(gst) < ne:
            delta = np.bitwise_xor.reduceat(delta, gst, axis=0)
        del onehot
        acc = np.bitwise_xor.accumulate(delta, axis=0, out=delta)
        before = np.zeros((len(aoff) - 1, acc.shape[1]), dtype=np.uint64)
        before[1:] = acc[aoff[1:-1] - 1]
        acc ^= (before ^ P0)[arc_cls]
        # interior points: bisector of consecutive crossing points of the same circle
        idx = np.arange(len(alpha))
        nxt = np.where(idx + 1 == aoff[1:][arc_cls], aoff[:-1][arc_cls], idx + 1)
        gap = np.mod(alpha[nxt] - alpha, _TWO_PI)
        gap = np.where(gap > np.pi, gap - _TWO_PI, gap)  # true gaps are < pi; float misorder of near-ties
        mid = alpha + gap / 2 + np.pi / 2
        Ec = Ecs[arc_cls]
        pt = np.cos(mid)[:, None] * Ec[:, :, 0] + np.sin(mid)[:, None] * Ec[:, :, 1]
        return acc, pt
