"""Exact sign predicates on float data: a float filter with a rigorous error bound,
and exact rational arithmetic (``fractions.Fraction``) where the filter cannot decide.

Every combinatorial decision of the fast enumerators is the sign of a minor of the
lifted data (``det`` of some rows on some columns), written as a linear or bilinear
form in one or two data rows whose coefficients are minors of a *flag* (a few fixed,
linearly independent rows). The coefficients are computed exactly (Fractions) once
per flag and rounded to float; a form is then evaluated in float together with the
bound (proofs/exact_predicates.md)::

    |fl(a^T W b) - a^T W b| <= 2 (2r + 2) u |a|^T |W| |b| + N eta,

with ``u = 2^-53`` the unit roundoff, ``r`` the row length, ``N`` the number of
products and ``eta`` the smallest subnormal (underflow). A value larger than its bound
has a certain sign; any other value is recomputed exactly from the float inputs'
rational values. No tolerance is involved anywhere.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np

__all__ = ["UNIT_ROUNDOFF", "frac", "det_exact", "exact_rank_columns", "FlagForms"]

#: Unit roundoff of IEEE double precision (2^-53): not a tolerance, a property of float64.
UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2.0
#: Smallest positive subnormal double (the absolute error of one underflowing product).
_ETA = float(np.nextafter(0.0, 1.0))


def frac(x: float) -> Fraction:
    """The exact rational value of a float."""
    return Fraction(float(x))


def det_exact(M) -> Fraction:
    """Exact determinant of a square matrix of Fractions (or floats), by elimination."""
    A = [[v if isinstance(v, Fraction) else frac(v) for v in row] for row in M]
    k = len(A)
    det = Fraction(1)
    for c in range(k):
        piv = next((r for r in range(c, k) if A[r][c] != 0), None)
        if piv is None:
            return Fraction(0)
        if piv != c:
            A[c], A[piv] = A[piv], A[c]
            det = -det
        det *= A[c][c]
        inv = 1 / A[c][c]
        for r in range(c + 1, k):
            f = A[r][c] * inv
            if f:
                for j in range(c + 1, k):
                    A[r][j] -= f * A[c][j]
    return det


def exact_rank_columns(Z: np.ndarray) -> tuple[int, list[int]]:
    """Exact rank of the float matrix ``Z`` (n, D) and ``r`` columns on which it keeps
    that rank.

    Fast path: ``D`` rows picked by pivoted QR whose exact determinant is non-zero
    prove full rank. Otherwise exact Gaussian elimination on all rows.
    """
    import scipy.linalg

    n, D = Z.shape
    if n >= D:
        _, _, piv = scipy.linalg.qr(Z.T, pivoting=True, mode="economic")
        rows = piv[:D]
        if det_exact(Z[rows]) != 0:
            return D, list(range(D))
    A = [[frac(v) for v in row] for row in Z]
    pivots: list[int] = []
    r = 0
    for c in range(D):
        piv = next((i for i in range(r, n) if A[i][c] != 0), None)
        if piv is None:
            continue
        A[r], A[piv] = A[piv], A[r]
        inv = 1 / A[r][c]
        for i in range(r + 1, n):
            f = A[i][c] * inv
            if f:
                for j in range(c, D):
                    A[i][j] -= f * A[r][j]
        pivots.append(c)
        r += 1
        if r == n:
            break
    return r, pivots


class FlagForms:
    """Exact sign predicates for minors of ``[F; a]`` and ``[F; a; b]``.

    ``F`` is a flag: ``k`` linearly independent rows of ``Z`` (n, r). For every set
    ``S`` of ``k + 1`` columns the minor ``det([F; b][:, S])`` is a linear form in
    ``b``; for every set of ``k + 2`` columns ``det([F; a; b][:, S])`` is a bilinear
    form ``a^T W_S b``. Both are built exactly from the ``k``-minors of ``F``.
    """

    def __init__(self, data: "ExactData", flag: tuple[int, ...]):
        self.data = data
        self.flag = tuple(flag)
        r = data.r
        k = len(flag)
        self.k = k
        Fq = [data.row_frac(i) for i in flag]
        cols = range(r)
        minors: dict[tuple[int, ...], Fraction] = {}
        if k + 1 <= r or k + 2 <= r:
            for T in combinations(cols, k):
                minors[T] = det_exact([[row[c] for c in T] for row in Fq]) if k else Fraction(1)
        # linear forms: (k+1)-minors of [F; b]
        self.lin_sets = list(combinations(cols, k + 1)) if k + 1 <= r else []
        Cq = [[Fraction(0)] * len(self.lin_sets) for _ in cols]
        for s_idx, S in enumerate(self.lin_sets):
            for j, c in enumerate(S):
                sgn = -1 if (k + j) % 2 else 1
                Cq[c][s_idx] = sgn * minors[S[:j] + S[j + 1:]]
        self.C_exact = Cq
        self.C = np.array([[float(v) for v in row] for row in Cq], dtype=np.float64).reshape(r, -1)
        self.C_abs = np.abs(self.C)
        # bilinear forms: (k+2)-minors of [F; a; b]
        self.bil_sets = list(combinations(cols, k + 2)) if k + 2 <= r else []
        Ws = []
        for S in self.bil_sets:
            W = [[Fraction(0)] * r for _ in cols]
            for i, j in combinations(range(len(S)), 2):
                sgn = -1 if (i + j + 1) % 2 else 1
                m = minors[S[:i] + S[i + 1:j] + S[j + 1:]]
                W[S[i]][S[j]] = sgn * m
                W[S[j]][S[i]] = -sgn * m
            Ws.append(W)
        self.W_exact = Ws
        self.W = np.array([[[float(v) for v in row] for row in W] for W in Ws], dtype=np.float64).reshape(-1, r, r)
        self.W_abs = np.abs(self.W)

    # -- linear forms ------------------------------------------------------------------
    def linear_signs(self, rows: np.ndarray) -> np.ndarray:
        """Exact signs (len(rows), n_sets) of the (k+1)-minors of ``[F; z_b]``."""
        d = self.data
        rows = np.asarray(rows, dtype=np.int64)
        val = d.Z[rows] @ self.C
        bound = (d.bound_factor * (d.absZ[rows] @ self.C_abs)
                 + (d.absZ[rows].sum(axis=1, keepdims=True) + d.r) * _ETA * 4)
        sg = np.sign(val).astype(np.int8)
        unsure = ~(np.abs(val) > bound)
        if unsure.any():
            for i, s in zip(*np.nonzero(unsure)):
                zb = d.row_frac(int(rows[i]))
                v = sum((zb[c] * self.C_exact[c][s] for c in range(d.r) if self.C_exact[c][s]), Fraction(0))
                sg[i, s] = (v > 0) - (v < 0)
        return sg

    # -- bilinear forms ----------------------------------------------------------------
    def bilinear_signs_pairs(self, a: np.ndarray, b: np.ndarray, set_index: int = 0) -> np.ndarray:
        """Exact signs of ``det([F; z_a; z_b][:, S])`` for paired index arrays."""
        d = self.data
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        W, Wa = self.W[set_index], self.W_abs[set_index]
        val = np.einsum("ij,ij->i", d.Z[a] @ W, d.Z[b])
        bound = (d.bound_factor2 * np.einsum("ij,ij->i", d.absZ[a] @ Wa, d.absZ[b])
                 + (d.rowsum[a] * d.rowsum[b] + d.rowsum[a] + d.rowsum[b] + d.r * d.r) * _ETA * 4)
        sg = np.sign(val).astype(np.int8)
        unsure = np.flatnonzero(~(np.abs(val) > bound))
        for i in unsure:
            v = self._bil_exact(int(a[i]), int(b[i]), set_index)
            sg[i] = (v > 0) - (v < 0)
        return sg

    def bilinear_zero_all_pairs(self, idx: np.ndarray) -> np.ndarray:
        """Boolean matrix: ``[F; z_a; z_b]`` has rank ``k + 1`` (every (k+2)-minor is 0),
        i.e. ``z_b`` lies in ``span(F, z_a)``, for all pairs of ``idx``."""
        d = self.data
        idx = np.asarray(idx, dtype=np.int64)
        Za, Aa = d.Z[idx], d.absZ[idx]
        maybe = np.ones((len(idx), len(idx)), dtype=bool)
        for s in range(len(self.bil_sets)):
            val = (Za @ self.W[s]) @ Za.T
            rs = d.rowsum[idx]
            bound = (d.bound_factor2 * ((Aa @ self.W_abs[s]) @ Aa.T)
                     + (np.outer(rs, rs) + rs[:, None] + rs[None, :] + d.r * d.r) * _ETA * 4)
            maybe &= ~(np.abs(val) > bound)
        np.fill_diagonal(maybe, True)
        ii, jj = np.nonzero(np.triu(maybe, 1))
        for i, j in zip(ii, jj):
            zero = all(self._bil_exact(int(idx[i]), int(idx[j]), s) == 0 for s in range(len(self.bil_sets)))
            maybe[i, j] = maybe[j, i] = zero
        return maybe

    def _bil_exact(self, a: int, b: int, s: int) -> Fraction:
        za, zb = self.data.row_frac(a), self.data.row_frac(b)
        W = self.W_exact[s]
        r = self.data.r
        return sum((za[p] * W[p][q] * zb[q] for p in range(r) for q in range(r) if W[p][q] and za[p] and zb[q]),
                   Fraction(0))


class ExactData:
    """Float rows ``Z`` (n, r) with cached exact rational copies and filter constants."""

    def __init__(self, Z: np.ndarray):
        self.Z = np.ascontiguousarray(Z, dtype=np.float64)
        self.absZ = np.abs(self.Z)
        self.rowsum = self.absZ.sum(axis=1)
        self.n, self.r = self.Z.shape
        u = UNIT_ROUNDOFF
        # rigorous (generous) relative bounds for a length-r dot product against
        # rounded coefficients, and for a bilinear form (proofs/exact_predicates.md)
        self.bound_factor = 2.0 * (self.r + 2) * u
        self.bound_factor2 = 2.0 * (2 * self.r + 2) * u
        self._frac: dict[int, list[Fraction]] = {}

    def row_frac(self, i: int) -> list[Fraction]:
        row = self._frac.get(i)
        if row is None:
            row = [frac(v) for v in self.Z[i]]
            self._frac[i] = row
        return row

    def dot_signs(self, theta: np.ndarray, rows: np.ndarray, theta_rows: np.ndarray) -> np.ndarray:
        """Exact signs of ``<theta[theta_rows[m]], Z[rows[m]]>`` for paired arrays."""
        P = theta[theta_rows]
        Q = self.Z[rows]
        val = np.einsum("ij,ij->i", P, Q)
        bound = self.bound_factor * np.einsum("ij,ij->i", np.abs(P), np.abs(Q)) + self.r * _ETA * 4
        sg = np.sign(val).astype(np.int8)
        for m in np.flatnonzero(~(np.abs(val) > bound)):
            zq = self.row_frac(int(rows[m]))
            v = sum((frac(p) * q for p, q in zip(P[m], zq)), Fraction(0))
            sg[m] = (v > 0) - (v < 0)
        return sg
