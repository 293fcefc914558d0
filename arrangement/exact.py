"""Exact sign predicates on float data: a float filter with a rigorous error bound,
and exact rational arithmetic (``fractions.Fraction``) where the filter cannot decide.

Every combinatorial decision of the fast enumerators is the sign of a minor of the
lifted data (``det`` of some rows on some columns), written as a linear or bilinear
form in one or two data rows whose coefficients are minors of a *flag* (a few fixed,
linearly independent rows). The coefficients are computed exactly (Fractions) once
per flag and rounded to float; a form is then evaluated in float together with the
bound (proofs/exact_predicates.md)::

    |fl(a^T W b) - a^T W b| <= 2 (2r + 2) u |a|^T |W| |b| + 2 |a|^T W_err |b|
                                + 4 eta (r (1 + |a|_1)(1 + |b|_1) + r^2),

with ``u = 2^-53`` the unit roundoff, ``r`` the row length, ``W_err`` the coefficients'
own error bounds and ``eta`` the smallest subnormal (an underflowing product errs by at
most ``eta / 2``, and in the bilinear form that error is multiplied by ``b``). A minor of
the flag whose Leibniz products underflow at any partial product has no useful float
bound (the lost part is multiplied by the later factors): its bound is infinite, so every
form using it is decided exactly. A value larger than its bound has a certain sign; any
other value (non-finite ones included) is recomputed exactly from the float inputs'
rational values. No tolerance is involved anywhere.
"""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations, permutations

import numpy as np

__all__ = ["UNIT_ROUNDOFF", "frac", "det_exact", "exact_rank_columns", "rref_exact", "FlagForms"]

#: Unit roundoff of IEEE double precision (2^-53): not a tolerance, a property of float64.
UNIT_ROUNDOFF = float(np.finfo(np.float64).eps) / 2.0
#: Smallest positive subnormal double (twice the absolute error of one underflowing product).
_ETA = float(np.nextafter(0.0, 1.0))
#: Smallest positive normal double: a non-zero product below it has underflowed.
_TINY = float(np.finfo(np.float64).tiny)
#: Float filters may overflow or meet ``0 * inf`` (an infinite bound): the value is then
#: non-finite or NaN, which never passes ``|value| > bound``, so it is decided exactly.
def _nonfinite_ok():
    return np.errstate(over="ignore", invalid="ignore", under="ignore")


def frac(x: float) -> Fraction:
    """The exact rational value of a float.

    Parameters
    ----------
    x : float

    Returns
    -------
    Fraction

    Examples
    --------
    >>> frac(0.5)
    Fraction(1, 2)
    """
    return Fraction(float(x))


def det_exact(M) -> Fraction:
    """Exact determinant of a square matrix of Fractions (or floats), by elimination.

    Parameters
    ----------
    M : square matrix (nested sequences or array) of Fractions, ints or floats

    Returns
    -------
    Fraction

    Examples
    --------
    >>> det_exact([[1, 2], [3, 4]])
    Fraction(-2, 1)
    """
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
    prove full rank. Otherwise exact Gauss-Jordan elimination on all rows (:func:`rref_exact`).

    Parameters
    ----------
    Z : (n, D) float array

    Returns
    -------
    (r, columns)
        The exact rank and ``r`` column indices.

    Examples
    --------
    >>> exact_rank_columns(np.array([[1.0, 2.0], [2.0, 4.0]]))
    (1, [0])
    """
    import scipy.linalg

    n, D = Z.shape
    if n >= D:
        _, _, piv = scipy.linalg.qr(Z.T, pivoting=True, mode="economic")
        rows = piv[:D]
        if det_exact(Z[rows]) != 0:
            return D, list(range(D))
    _, pivots = rref_exact([[frac(v) for v in row] for row in Z])
    return len(pivots), pivots


def rref_exact(rows: list) -> tuple[list, list[int]]:
    """The reduced row echelon form of a matrix of Fractions (a list of rows; copied) and its
    pivot columns, by Gauss-Jordan elimination in exact arithmetic.

    Examples
    --------
    >>> rref_exact([[Fraction(2), Fraction(4)], [Fraction(1), Fraction(3)]])[1]
    [0, 1]
    """
    A = [list(r) for r in rows]
    n, m = len(A), (len(A[0]) if A else 0)
    pivots: list[int] = []
    r = 0
    for c in range(m):
        piv = next((i for i in range(r, n) if A[i][c] != 0), None)
        if piv is None:
            continue
        A[r], A[piv] = A[piv], A[r]
        inv = 1 / A[r][c]
        A[r] = [v * inv for v in A[r]]
        for i in range(n):
            if i != r and A[i][c] != 0:
                f = A[i][c]
                A[i] = [a - f * b for a, b in zip(A[i], A[r])]
        pivots.append(c)
        r += 1
        if r == n:
            break
    return A, pivots


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
        Fz = data.Z[list(flag)] if k else np.zeros((0, r))
        # k-minors of F in float, each with a rigorous absolute error bound
        self._minor_f: dict[tuple[int, ...], tuple[float, float]] = {}
        for T in combinations(range(r), k):
            self._minor_f[T] = _minor_float(Fz, T)
        self.lin_sets = list(combinations(range(r), k + 1)) if k + 1 <= r else []
        C = np.zeros((r, len(self.lin_sets)))
        Cerr = np.zeros_like(C)
        self._lin_terms = []
        for s_idx, S in enumerate(self.lin_sets):
            terms = []
            for j, c in enumerate(S):
                sgn = -1 if (k + j) % 2 else 1
                T = S[:j] + S[j + 1:]
                val, err = self._minor_f[T]
                C[c, s_idx] = sgn * val
                Cerr[c, s_idx] = err
                terms.append((c, sgn, T))
            self._lin_terms.append(terms)
        self.C, self.C_abs, self.C_err = C, np.abs(C), Cerr
        self.bil_sets = list(combinations(range(r), k + 2)) if k + 2 <= r else []
        W = np.zeros((len(self.bil_sets), r, r))
        Werr = np.zeros_like(W)
        self._bil_terms = []
        for s_idx, S in enumerate(self.bil_sets):
            terms = []
            for i, j in combinations(range(len(S)), 2):
                sgn = -1 if (i + j + 1) % 2 else 1
                T = S[:i] + S[i + 1:j] + S[j + 1:]
                val, err = self._minor_f[T]
                W[s_idx, S[i], S[j]] = sgn * val
                W[s_idx, S[j], S[i]] = -sgn * val
                Werr[s_idx, S[i], S[j]] = Werr[s_idx, S[j], S[i]] = err
                terms.append((S[i], S[j], sgn, T))
            self._bil_terms.append(terms)
        self.W, self.W_abs, self.W_err = W, np.abs(W), Werr
        self._exact_minors: dict[tuple[int, ...], Fraction] = {}

    def _minor_exact(self, T: tuple[int, ...]) -> Fraction:
        v = self._exact_minors.get(T)
        if v is None:
            if not T:
                v = Fraction(1)
            else:
                v = det_exact([[self.data.row_frac(i)[c] for c in T] for i in self.flag])
            self._exact_minors[T] = v
        return v

    # -- linear forms ------------------------------------------------------------------
    def linear_signs(self, rows: np.ndarray) -> np.ndarray:
        """Exact signs (len(rows), n_sets) of the (k+1)-minors of ``[F; z_b]``."""
        d = self.data
        rows = np.asarray(rows, dtype=np.int64)
        with _nonfinite_ok():
            val = d.Z[rows] @ self.C
            bound = (d.bound_factor * (d.absZ[rows] @ self.C_abs) + 2.0 * (d.absZ[rows] @ self.C_err)
                     + (d.absZ[rows].sum(axis=1, keepdims=True) + d.r) * _ETA * 4)
        sg = _signs(val)
        unsure = ~(np.abs(val) > bound)
        if unsure.any():
            for i, s in zip(*np.nonzero(unsure)):
                zb = d.row_frac(int(rows[i]))
                v = sum((sgn * zb[c] * self._minor_exact(T) for c, sgn, T in self._lin_terms[s] if zb[c]),
                        Fraction(0))
                sg[i, s] = (v > 0) - (v < 0)
        return sg

    # -- bilinear forms ----------------------------------------------------------------
    def bilinear_signs_pairs(self, a: np.ndarray, b: np.ndarray, set_index: int = 0) -> np.ndarray:
        """Exact signs of ``det([F; z_a; z_b][:, S])`` for paired index arrays."""
        d = self.data
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        W, Wa, We = self.W[set_index], self.W_abs[set_index], self.W_err[set_index]
        Aa, Ab = d.absZ[a], d.absZ[b]
        with _nonfinite_ok():
            val = np.einsum("ij,ij->i", d.Z[a] @ W, d.Z[b])
            bound = (d.bound_factor2 * np.einsum("ij,ij->i", Aa @ Wa, Ab)
                     + 2.0 * np.einsum("ij,ij->i", Aa @ We, Ab) + _bilinear_underflow(d.rowsum[a], d.rowsum[b], d.r))
        sg = _signs(val)
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
        rs = d.rowsum[idx]
        for s in range(len(self.bil_sets)):
            with _nonfinite_ok():
                val = (Za @ self.W[s]) @ Za.T
                bound = (d.bound_factor2 * ((Aa @ self.W_abs[s]) @ Aa.T) + 2.0 * ((Aa @ self.W_err[s]) @ Aa.T)
                         + _bilinear_underflow(rs[:, None], rs[None, :], d.r))
            maybe &= ~(np.abs(val) > bound)
        np.fill_diagonal(maybe, True)
        ii, jj = np.nonzero(np.triu(maybe, 1))
        for i, j in zip(ii, jj):
            zero = all(self._bil_exact(int(idx[i]), int(idx[j]), s) == 0 for s in range(len(self.bil_sets)))
            maybe[i, j] = maybe[j, i] = zero
        return maybe

    def _bil_exact(self, a: int, b: int, s: int) -> Fraction:
        za, zb = self.data.row_frac(a), self.data.row_frac(b)
        total = Fraction(0)
        for p, q, sgn, T in self._bil_terms[s]:
            x = za[p] * zb[q] - za[q] * zb[p]
            if x:
                total += sgn * x * self._minor_exact(T)
        return total


def _signs(val: np.ndarray) -> np.ndarray:
    """Signs as int8; a NaN gives 0 (its bound never passes, so it is decided exactly)."""
    return (val > 0).astype(np.int8) - (val < 0).astype(np.int8)


def _bilinear_underflow(rowsum_a, rowsum_b, r: int):
    """The underflow part of a bilinear form's bound: ``(a @ W)`` loses at most ``r eta/2``
    per entry, then multiplied by ``b``; the outer sum loses ``r eta/2`` more
    (proofs/exact_predicates.md), generously ``4 eta (r (1 + |a|_1)(1 + |b|_1) + r^2)``."""
    return (r * (1.0 + rowsum_a) * (1.0 + rowsum_b) + r * r) * (_ETA * 4)


def _minor_float(Fz: np.ndarray, T: tuple[int, ...]) -> tuple[float, float]:
    """``det(Fz[:, T])`` in float by the Leibniz formula, and a rigorous bound on its
    absolute error: ``2 (k + k!) u perm(|Fz[:, T]|)`` (each of the ``k!`` products has at
    most ``k - 1`` roundings, the sum at most ``k! - 1``) when no partial product
    underflows; infinite otherwise (an underflow's error is multiplied by the later
    factors, and ``perm`` is computed from the same lost products)."""
    k = len(T)
    if k == 0:
        return 1.0, 0.0
    if k == 1:
        return float(Fz[0, T[0]]), 0.0
    M = Fz[:, list(T)].tolist()  # Python floats: IEEE binary64, no numpy overflow warnings
    total = 0.0
    perm_abs = 0.0
    nterms = 0
    for p in permutations(range(k)):
        prod = 1.0
        for i in range(k):
            factor = M[i][p[i]]
            nxt = prod * factor
            if abs(nxt) < _TINY and prod != 0.0 and factor != 0.0:
                return float(total), float("inf")
            prod = nxt
        sgn = _perm_sign(p)
        total += sgn * prod
        perm_abs += abs(prod)
        nterms += 1
    err = 2.0 * (k + nterms) * UNIT_ROUNDOFF * perm_abs
    return total, err


def _perm_sign(p) -> int:
    p = list(p)
    sign = 1
    for i in range(len(p)):
        while p[i] != i:
            j = p[i]
            p[i], p[j] = p[j], p[i]
            sign = -sign
    return sign


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
        with _nonfinite_ok():
            val = np.einsum("ij,ij->i", P, Q)
            bound = self.bound_factor * np.einsum("ij,ij->i", np.abs(P), np.abs(Q)) + self.r * _ETA * 4
        sg = _signs(val)
        for m in np.flatnonzero(~(np.abs(val) > bound)):
            zq = self.row_frac(int(rows[m]))
            v = sum((frac(p) * q for p, q in zip(P[m], zq)), Fraction(0))
            sg[m] = (v > 0) - (v < 0)
        return sg
