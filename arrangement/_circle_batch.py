"""The exact circular orders of many rank-2 restrictions at once (the circles of one rank-3
level of the enumeration by restriction; proofs/enumeration_by_restriction.md, Lemma 2).

Each circle ``L_{F'}`` (``F'`` a flag of ``r - 2`` rows) is ordered by the sign of the full
``r x r`` minor ``det([F'; z_x; z_y]) = z_x^T W_{F'} z_y``. The coefficients ``W_{F'}`` of all
flags are built at once, with the same float values and the same rigorous error bounds as
:class:`relucert.arrangement.exact.FlagForms` (the same Leibniz products in the same order), and
every form is evaluated with the same float filter; an undecided form is computed exactly by
that flag's :class:`FlagForms`. A circle with a hyperplane through the crossing of its first
hyperplane (``delta = 0``), or whose float sort fails the exact check of a consecutive pair, is
ordered by the one-circle code (:meth:`_CircleSteps._circle_order`), which handles those cases.
"""
from __future__ import annotations

from itertools import combinations, permutations

import numpy as np

from relucert.arrangement.exact import (_TINY, UNIT_ROUNDOFF, FlagForms, _bilinear_underflow, _nonfinite_ok,
                                        _perm_sign, _signs)

__all__: list[str] = []

_TWO_PI = 2.0 * np.pi
#: Entries of a batch of circles (memory: a few float arrays of this length).
_BATCH_ENTRIES = 1 << 19
#: Pairs whose coefficient matrices are gathered at once (memory: 3 r^2 floats each).
_PAIR_CHUNK = 1 << 16


def _minors(Fz: np.ndarray, T: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`relucert.arrangement.exact._minor_float` for a stack of flags ``Fz`` (C, k, r):
    the same products and sums in the same order (so bitwise the same values) and the same
    error bound; where a partial product underflows, the bound is infinite and the value the
    sum of the terms before (as there)."""
    C, k = Fz.shape[0], len(T)
    if k == 1:
        return Fz[:, 0, T[0]].copy(), np.zeros(C)
    M = Fz[:, :, list(T)]
    total = np.zeros(C)
    perm_abs = np.zeros(C)
    lost = np.zeros(C, dtype=bool)
    nterms = 0
    with _nonfinite_ok():
        for p in permutations(range(k)):
            prod = np.ones(C)
            lost_now = np.zeros(C, dtype=bool)
            for i in range(k):
                factor = M[:, i, p[i]]
                nxt = prod * factor
                lost_now |= (np.abs(nxt) < _TINY) & (prod != 0.0) & (factor != 0.0)
                prod = nxt
            lost |= lost_now
            total = np.where(lost, total, total + _perm_sign(p) * prod)   # the one-flag code stops there
            perm_abs = perm_abs + np.abs(prod)
            nterms += 1
        err = 2.0 * (k + nterms) * UNIT_ROUNDOFF * perm_abs
    return total, np.where(lost, np.inf, err)


def bilinear_forms(Fz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For flags ``Fz`` (C, r - 2, r): the coefficients ``W`` (C, r, r) of
    ``det([F; x; y]) = x^T W y``, ``|W|`` and their error bounds, as ``FlagForms.W[0]``,
    ``W_abs[0]``, ``W_err[0]``."""
    C, k, r = Fz.shape
    S = tuple(range(r))
    W = np.zeros((C, r, r))
    Werr = np.zeros((C, r, r))
    for i, j in combinations(range(r), 2):
        sgn = -1 if (i + j + 1) % 2 else 1
        val, err = _minors(Fz, S[:i] + S[i + 1:j] + S[j + 1:])
        W[:, i, j] = sgn * val
        W[:, j, i] = -sgn * val
        Werr[:, i, j] = Werr[:, j, i] = err
    return W, np.abs(W), Werr


def _order_in_circles(ang, half, size, off) -> np.ndarray:
    """The flat order that sorts every circle's entries (``off[c]:off[c] + size[c]``) by
    ``(half, ang)``: one row per circle, padded to the largest circle (sorting rows of a
    2-D array is faster than one sort of all entries by circle, half and angle)."""
    C, P = len(size), int(size.max())
    col = np.arange(len(ang)) - np.repeat(off[:-1] if len(off) > C else off, size)
    row = np.repeat(np.arange(C), size)
    H = np.full((C, P), 2, dtype=np.int8)
    A = np.zeros((C, P))
    H[row, col], A[row, col] = half, ang
    o = np.lexsort((A, H), axis=1)
    keep = np.arange(P)[None, :] < size[:, None]
    return (o + (off[:-1] if len(off) > C else off)[:, None])[keep]


class _CircleBatch:
    """Mixin of :class:`relucert.arrangement.restrict._Enumerator`: batched circle orders."""

    def _circle_orders(self, flags: list[tuple[int, ...]], Bs: list[np.ndarray], memo: bool) -> list:
        """The :meth:`_circle_order` tuples of the circles ``(flags[i], Bs[i])``, memoised by
        ``Bs[i]`` when ``memo``."""
        out: list = [None] * len(flags)
        todo = []
        for i, B in enumerate(Bs):
            hit = self.memo_order.get(B.tobytes()) if memo else None
            if hit is None:
                todo.append(i)
            else:
                out[i] = hit
        lo = 0
        while lo < len(todo):
            hi, size = lo, 0
            while hi < len(todo) and (hi == lo or size + 2 * len(Bs[todo[hi]]) <= _BATCH_ENTRIES):
                size += 2 * len(Bs[todo[hi]])
                hi += 1
            part = todo[lo:hi]
            for i, info in zip(part, self._orders_batch([flags[i] for i in part], [Bs[i] for i in part])):
                out[i] = info
                if memo:
                    self.memo_order[Bs[i].tobytes()] = info
            lo = hi
        return out

    def _forms_of(self, cache: dict, flags, c: int) -> FlagForms:
        got = cache.get(c)
        if got is None:
            got = cache[c] = FlagForms(self.data, flags[c])
        return got

    def _bil_signs(self, W, Wa, We, flags, cache, c, a, b, first=None) -> np.ndarray:
        """Exact signs of ``z_a^T W_c z_b`` for paired index arrays (float filter of
        ``FlagForms.bilinear_signs_pairs``; the undecided ones exactly). ``first``: ``a`` is
        ``first[c]`` (one row per circle), whose products with ``W_c``, ``|W_c|`` and the error
        bounds are then formed once per circle (the same sums) instead of once per entry."""
        d = self.data
        if first is not None:
            with _nonfinite_ok():
                left = (np.einsum("ij,ijk->ik", d.Z[first], W), np.einsum("ij,ijk->ik", d.absZ[first], Wa),
                        np.einsum("ij,ijk->ik", d.absZ[first], We))
        sg = np.zeros(len(a), dtype=np.int8)
        for lo in range(0, len(a), _PAIR_CHUNK):
            s = slice(lo, lo + _PAIR_CHUNK)
            cc, aa, bb = c[s], a[s], b[s]
            with _nonfinite_ok():
                if first is None:
                    zw = np.einsum("ij,ijk->ik", d.Z[aa], W[cc])
                    aw = np.einsum("ij,ijk->ik", d.absZ[aa], Wa[cc])
                    ae = np.einsum("ij,ijk->ik", d.absZ[aa], We[cc])
                else:
                    zw, aw, ae = (np.take(x, cc, axis=0) for x in left)
                val = np.einsum("ij,ij->i", zw, d.Z[bb])
                bound = (d.bound_factor2 * np.einsum("ij,ij->i", aw, d.absZ[bb])
                         + 2.0 * np.einsum("ij,ij->i", ae, d.absZ[bb])
                         + _bilinear_underflow(d.rowsum[aa], d.rowsum[bb], d.r))
            out = _signs(val)
            for i in np.flatnonzero(~(np.abs(val) > bound)):
                v = self._forms_of(cache, flags, int(cc[i]))._bil_exact(int(aa[i]), int(bb[i]), 0)
                out[i] = (v > 0) - (v < 0)
            sg[s] = out
        return sg

    def _orders_batch(self, flags: list[tuple[int, ...]], Bs: list[np.ndarray]) -> list:
        """:meth:`_circle_order` of every circle ``(flags[c], Bs[c])`` (flags of ``r - 2``
        rows), vectorised over the circles; the exceptional circles by the one-circle code."""
        C = len(flags)
        fl = np.asarray(flags, dtype=np.int64).reshape(C, -1)
        k = fl.shape[1]
        Fz = self.Z[fl]
        W, Wa, We = bilinear_forms(Fz)
        cache: dict = {}
        m = np.array([len(B) for B in Bs], dtype=np.int64)
        off = np.r_[0, np.cumsum(m)]
        Ball = np.concatenate(Bs).astype(np.int64)
        circ = np.repeat(np.arange(C), m)
        firsts = off[:-1]
        rest = np.ones(len(Ball), dtype=bool)
        rest[firsts] = False
        rest = np.flatnonzero(rest)
        delta = np.zeros(len(Ball), dtype=np.int8)
        delta[rest] = self._bil_signs(W, Wa, We, flags, cache, circ[rest], Ball[firsts][circ[rest]], Ball[rest],
                                      first=Ball[firsts])
        special = np.zeros(C, dtype=bool)
        special[circ[(delta == 0) & (np.arange(len(Ball)) != firsts[circ])]] = True
        # entries of circle c: (b, +) for b in Bs[c], then (b, -); at positions 2 off_c + ...
        N = len(Ball)
        local = np.arange(N) - firsts[circ]
        plus_at = 2 * firsts[circ] + local
        minus_at = plus_at + m[circ]
        ecirc = np.empty(2 * N, dtype=np.int64)
        eb = np.empty(2 * N, dtype=np.int64)
        es = np.empty(2 * N, dtype=np.int8)
        half = np.empty(2 * N, dtype=np.int8)
        ecirc[plus_at] = ecirc[minus_at] = circ
        eb[plus_at] = eb[minus_at] = Ball
        es[plus_at], es[minus_at] = 1, -1
        half[plus_at] = delta < 0
        half[minus_at] = delta > 0
        half[minus_at[firsts]] = 1   # (a0, -) is the half-turn after (a0, +)
        # basis of each L_F, oriented so that det(F, u, v) > 0
        Q, _ = np.linalg.qr(np.transpose(Fz, (0, 2, 1)), mode="complete")
        E = Q[:, :, k:]
        flip = np.linalg.det(np.concatenate([Fz, np.transpose(E, (0, 2, 1))], axis=1)) < 0
        E[flip] = E[flip][:, :, ::-1]
        q = np.einsum("ij,ijk->ik", self.Z[Ball], E[circ])
        v = np.empty((2 * N, 2))
        v[plus_at], v[minus_at] = q, -q
        rho = q[firsts][ecirc]
        ref = np.where(half[:, None] == 0, rho, -rho)
        ang = np.arctan2(ref[:, 0] * v[:, 1] - ref[:, 1] * v[:, 0], ref[:, 0] * v[:, 0] + ref[:, 1] * v[:, 1])
        ang = np.where(ang < -np.pi / 2, ang + _TWO_PI, ang)
        order = _order_in_circles(ang, half, 2 * m, 2 * off)
        a, b = order[:-1], order[1:]
        same = (ecirc[a] == ecirc[b]) & (half[a] == half[b]) & ~special[ecirc[a]]
        sg = np.zeros(len(a), dtype=np.int8)
        idx = np.flatnonzero(same)
        sg[idx] = self._bil_signs(W, Wa, We, flags, cache, ecirc[a[idx]], eb[a[idx]], eb[b[idx]]) * es[a[idx]] * es[b[idx]]
        special[ecirc[a[same & (sg < 0)]]] = True
        start = np.r_[True, ~(same & (sg == 0))]
        gid = np.cumsum(start) - 1
        gstarts = np.flatnonzero(start)
        grp_of = np.empty(2 * N, dtype=np.int64)
        grp_of[order] = gid
        init = grp_of[minus_at] > grp_of[plus_at]
        alpha = np.arctan2(v[order[gstarts], 1], v[order[gstarts], 0])
        sb = eb[order].astype(np.int32)
        ss = es[order]
        gcut = np.searchsorted(gstarts, 2 * off)
        out = []
        for c in range(C):
            if special[c]:
                out.append(self._circle_order(tuple(flags[c]), Bs[c]))
                continue
            lo, hi = 2 * off[c], 2 * off[c + 1]
            g0, g1 = gcut[c], gcut[c + 1]
            out.append((sb[lo:hi], ss[lo:hi], (gstarts[g0:g1] - lo).astype(np.int32),
                        Bs[c][init[off[c]:off[c + 1]]], alpha[g0:g1], E[c]))
        return out
