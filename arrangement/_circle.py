"""Rank-2 restrictions of the enumeration by restriction: their chambers are the arcs
between consecutive crossing points on a circle, found by sorting the normals by angle
(float sort, verified pair by pair with exact predicates, exact sort as fallback);
proofs/enumeration_by_restriction.md.
"""
from __future__ import annotations

from functools import cmp_to_key

import numpy as np

from relucert.arrangement._chamber_store import _Chambers
from relucert.arrangement.exact import FlagForms

__all__: list[str] = []

_TWO_PI = 2.0 * np.pi


class _CircleSteps:
    """The rank-2 step of :class:`relucert.arrangement.restrict._Enumerator` (a mixin:
    it uses the enumerator's data ``Z``, hash weights ``R``, masks and basis)."""

    def _circle(self, F: tuple[int, ...], B: np.ndarray) -> _Chambers:
        """Arcs of the rank-2 restriction to ``L_F`` (the whole arrangement when ``r = 2``;
        the circles of rank-3 levels are batched: :mod:`relucert.arrangement._level3`)."""
        sb, ss, starts, init_pos, alpha, E = self._circle_order(F, B)
        m2 = len(sb)
        K = len(starts)
        h0 = self._hash(init_pos)
        Rv = self.R[sb]
        hv = np.where(ss > 0, (~Rv) + np.uint64(1), Rv)
        hdelta = hv if K == m2 else np.add.reduceat(hv, starts)
        h = np.cumsum(hdelta, dtype=np.uint64) + h0
        P0 = self._mask(init_pos)
        onehot = np.zeros((m2, self.nb8), dtype=np.uint8)
        onehot[np.arange(m2), self.byte[sb]] = self.bit[sb]
        onehot = onehot.view(np.uint64)
        delta_bits = onehot if K == m2 else np.bitwise_xor.reduceat(onehot, starts, axis=0)
        pos = np.bitwise_xor.accumulate(delta_bits, axis=0, out=delta_bits)  # in place: memory
        pos ^= P0.view(np.uint64)[None, :]
        pos = pos.view(np.uint8)
        # interior points: bisector of consecutive crossing points
        gap = np.mod(np.concatenate((alpha[1:], alpha[:1])) - alpha, _TWO_PI)
        gap = np.where(gap > np.pi, gap - _TWO_PI, gap)  # true gaps are < pi; float misorder of near-ties
        mid = alpha + gap / 2 + np.pi / 2
        pt = np.cos(mid)[:, None] * E[:, 0][None, :] + np.sin(mid)[:, None] * E[:, 1][None, :]
        # facets of arc k: the hyperplanes of groups k and k + 1
        gsize = np.diff(starts, append=m2)
        fsize = gsize + np.concatenate((gsize[1:], gsize[:1]))
        fptr = np.zeros(K + 1, dtype=np.int64)
        fptr[1:] = np.cumsum(fsize)
        fidx = np.empty(int(fptr[-1]), dtype=np.int64)
        # fill: for each arc, members of its group then of the next group
        own = np.repeat(np.arange(K), gsize)  # group of each sorted entry
        within = np.arange(m2) - starts[own]
        fidx[fptr[:-1][own] + within] = sb
        tgt = own - 1
        tgt[tgt < 0] = K - 1
        fidx[fptr[:-1][tgt] + gsize[tgt] + within] = sb
        return _Chambers(pos=pos, h=h, pt=pt, fptr=fptr, fidx=fidx, gsize=gsize)

    def _circle_order(self, F: tuple[int, ...], B: np.ndarray):
        """The exact circular order of the crossing points of the rank-2 restriction:
        ``(sorted hyperplanes, their sides, group starts, positive set of the last arc,
        float angle of each group, basis of L_F)``."""
        forms = FlagForms(self.data, F)
        m = len(B)
        a0 = int(B[0])
        delta = np.zeros(m, dtype=np.int8)
        delta[1:] = forms.bilinear_signs_pairs(np.full(m - 1, a0), B[1:])
        gamma = np.zeros(m, dtype=np.int8)
        gamma[0] = 1  # a0 itself
        par = np.flatnonzero(delta[1:] == 0) + 1
        if len(par):
            la = forms.linear_signs(np.array([a0]))[0]
            s_star = int(np.flatnonzero(la)[0])
            lb = forms.linear_signs(B[par])[:, s_star]
            gamma[par] = lb * la[s_star]
        # entries: (b, +) with vector q_b and (b, -) with -q_b
        eb = np.concatenate([B, B])
        es = np.concatenate([np.ones(m, np.int8), -np.ones(m, np.int8)])
        ed = np.concatenate([delta, -delta])
        eg = np.concatenate([gamma, -gamma])
        half = np.where(ed != 0, (ed < 0), (eg < 0)).astype(np.int8)
        E = self._basis(F)
        if len(F):
            if np.linalg.det(np.vstack([self.Z[list(F)], E.T])) < 0:
                E = E[:, ::-1].copy()
        q = self.Z[B] @ E
        v = np.concatenate([q, -q]) if m else q
        rho = q[0]
        ref = np.where(half[:, None] == 0, rho[None, :], -rho[None, :])
        ang = np.arctan2(ref[:, 0] * v[:, 1] - ref[:, 1] * v[:, 0], ref[:, 0] * v[:, 0] + ref[:, 1] * v[:, 1])
        ang = np.where(ang < -np.pi / 2, ang + _TWO_PI, ang)
        order = np.lexsort((ang, half))
        order, tie = self._verify_order(forms, order, eb, es, half)
        # group boundaries
        start = np.concatenate(([True], ~tie))
        gid = np.cumsum(start) - 1
        starts = np.flatnonzero(start)
        grp_of = np.empty(2 * m, dtype=np.int64)
        grp_of[order] = gid
        init_pos = B[grp_of[m:] > grp_of[:m]]
        first = order[starts]
        alpha = np.arctan2(v[first, 1], v[first, 0])
        return eb[order].astype(np.int32), es[order], starts.astype(np.int32), init_pos, alpha, E

    def _verify_order(self, forms, order, eb, es, half):
        """Check consecutive entries of each half exactly; exact sort where it fails.
        Returns the order and ``tie[i]``: entries ``i`` and ``i + 1`` are the same point."""
        def adjacent(order):
            a, b = order[:-1], order[1:]
            same_half = half[a] == half[b]
            sg = np.zeros(len(a), dtype=np.int8)
            idx = np.flatnonzero(same_half)
            if len(idx):
                sg[idx] = forms.bilinear_signs_pairs(eb[a[idx]], eb[b[idx]]) * es[a[idx]] * es[b[idx]]
            return same_half, sg

        same_half, sg = adjacent(order)
        if np.any(same_half & (sg < 0)):
            def cmp(i, j):
                s = int(forms.bilinear_signs_pairs(eb[[i]], eb[[j]])[0]) * int(es[i]) * int(es[j])
                return -s

            parts = []
            for hv in (0, 1):
                members = [int(i) for i in order if half[i] == hv]
                parts.extend(sorted(members, key=cmp_to_key(cmp)))
            order = np.array(parts, dtype=np.int64)
            same_half, sg = adjacent(order)
            assert not np.any(same_half & (sg < 0))
        return order, same_half & (sg == 0)


def _circle_edges(ch: _Chambers, en):
    """Arcs k and k + 1 are adjacent across crossing group k + 1, which is the second
    part of arc k's facet list."""
    K = len(ch.h)
    u = np.arange(K)
    w = (u + 1) % K
    length = ch.gsize[w]
    start = ch.fptr[:-1] + ch.gsize
    ecp = np.zeros(K + 1, dtype=np.int64)
    ecp[1:] = np.cumsum(length)
    within = np.arange(int(ecp[-1])) - np.repeat(ecp[:-1], length)
    eci = ch.fidx[np.repeat(start, length) + within]
    return np.stack([u, w], axis=1), ecp, eci
