"""Thin QR factors of a changing set of columns, for the active-set lasso
(:mod:`relucert.lp.active_set`): column insertions (one by one, or a batch by one block
update) and deletions, the least-squares coefficients and the lasso's stationary point on
the columns, and the null-space swap of a dependent column
(proofs/exchange_method.md, "The finite QP"). This module knows nothing about networks:
``Phi`` is a matrix.
"""
from __future__ import annotations

import functools

import numpy as np

from relucert.tolerances import QR_KEEP_RESIDUAL, Tolerances

__all__ = ["ThinQR", "KeptFactors", "swap_in", "triangular_solve", "lapack_operand"]


@functools.cache
def _trtrs():
    """LAPACK's ``dtrtrs``, resolved once: scipy's ``solve_triangular`` checks and converts its
    arguments on every call, which costs as much as the solve at the active set's sizes."""
    from scipy.linalg import get_lapack_funcs

    return get_lapack_funcs(("trtrs",), (np.zeros((1, 1)),))[0]


def _leading_block(R: np.ndarray):
    """``R`` stored column-major with a leading dimension ``lda`` above its rows (as
    ``qr_delete`` leaves it): the ``(lda, k)`` Fortran-contiguous array whose leading ``k x k``
    block is ``R``, when its buffer holds it (LAPACK reads only that block); else None."""
    from numpy.lib.array_utils import byte_bounds
    from numpy.lib.stride_tricks import as_strided

    item = R.itemsize
    if R.ndim != 2 or R.strides[0] != item or R.strides[1] % item or R.strides[1] // item < R.shape[0]:
        return None
    lda = R.strides[1] // item
    root = R
    while isinstance(root.base, np.ndarray):
        root = root.base
    start = byte_bounds(R)[0]
    lo, hi = byte_bounds(root)
    if not (lo <= start and start + lda * R.shape[1] * item <= hi):
        return None
    return as_strided(R, shape=(lda, R.shape[1]), strides=R.strides, writeable=False)


def lapack_operand(R: np.ndarray):
    """``(A, lower)``: what ``dtrtrs`` is given for the upper triangular ``R`` without copying it
    where its storage allows: ``R`` itself (Fortran order), its ``(lda, k)`` leading-block view
    (:func:`_leading_block`), or ``R^T`` as a lower triangular matrix (C order); else a copy."""
    if R.flags.f_contiguous:
        return R, False
    F = _leading_block(R)
    if F is not None:
        return F, False
    return (R.T if R.flags.c_contiguous else np.asfortranarray(R.T)), True


def triangular_solve(R: np.ndarray, b: np.ndarray, transpose: bool = False, operand=None) -> np.ndarray:
    """``x`` with ``R x = b`` (``R^T x = b`` when ``transpose``), ``R`` upper triangular, by
    LAPACK's ``dtrtrs`` without copying ``R`` when it is stored in either order (a C-ordered
    ``R`` is passed as the lower triangular ``R^T`` in Fortran order); ``operand``: ``R``'s
    :func:`lapack_operand` when the caller keeps it.

    Raises
    ------
    numpy.linalg.LinAlgError
        A zero on the diagonal of ``R`` (as ``scipy.linalg.solve_triangular``).

    Examples
    --------
    >>> triangular_solve(np.array([[2.0, 1.0], [0.0, 4.0]]), np.array([4.0, 8.0])).tolist()
    [1.0, 2.0]
    """
    if R.shape[0] == 0:
        return np.zeros(0)
    A, lower = lapack_operand(R) if operand is None else operand
    x, info = _trtrs()(A, b, lower=int(lower), trans=int(transpose != lower))
    if info != 0:
        raise np.linalg.LinAlgError(f"singular triangular factor (dtrtrs info {info})")
    return x


class ThinQR:
    """Thin QR factors of ``Phi[:, cols]``, kept up to date by column insertions and
    deletions (scipy's ``qr_insert``/``qr_delete``: O(n k) each instead of a new O(n k^2)
    factorisation per step). An insertion that would make the columns dependent (relative
    residual below ``tol.rank``) is refused."""

    def __init__(self, Phi: np.ndarray, tol: Tolerances):
        self.Phi, self.tol = Phi, tol
        self.cols: list[int] = []
        self.Q = np.zeros((Phi.shape[0], 0))
        self.R = np.zeros((0, 0))
        self._operand = None

    def adopt(self, kept: "KeptFactors", passive: np.ndarray) -> bool:
        """Start from the kept factors of ``kept.cols`` (indices into this ``Phi``): the
        columns not in ``passive`` (a mask) are deleted. Refused (False, nothing adopted) when
        the factors do not pass the probes of ``QR_KEEP_RESIDUAL`` against this ``Phi``."""
        cols, Q, R = kept.cols, kept.Q, kept.R
        if (cols is None or self.cols or Q.shape[0] != self.Phi.shape[0] or len(cols) != R.shape[0]
                or not len(cols) or max(cols) >= self.Phi.shape[1]):
            return False
        A = self.Phi[:, cols]
        rng = np.random.default_rng(len(cols))
        v, w = rng.standard_normal(len(cols)), rng.standard_normal(len(cols))
        if not (np.linalg.norm(Q @ (R @ v) - A @ v) <= QR_KEEP_RESIDUAL * np.linalg.norm(A) * np.linalg.norm(v)
                and np.linalg.norm(Q.T @ (Q @ w) - w) <= QR_KEEP_RESIDUAL * np.linalg.norm(w)):
            return False
        self.Q, self.R, self.cols = np.array(Q, order="F"), np.array(R, order="F"), [int(j) for j in cols]
        for j in [j for j in self.cols if not passive[j]]:
            self.delete(j)
        return True

    def insert(self, j: int) -> bool:
        from scipy.linalg import LinAlgError, qr_insert

        u = self.Phi[:, j]
        k = len(self.cols)
        if k == 0:
            norm = float(np.linalg.norm(u))
            if not norm > 0:
                return False
            self.Q, self.R = (u / norm)[:, None], np.array([[norm]])
        else:
            if k >= self.Phi.shape[0]:
                return False
            try:
                Q, R = qr_insert(self.Q, self.R, u, k, which="col", rcond=self.tol.rank, check_finite=False)
            except LinAlgError:
                return False
            # near the threshold qr_insert may accept a column whose re-orthogonalised
            # residual vanishes (a zero column of Q, a zero diagonal of R): refuse it too
            if not abs(R[k, k]) > self.tol.rank * float(np.linalg.norm(u)):
                return False
            self.Q, self.R = np.asfortranarray(Q), np.asfortranarray(R)
        self.cols.append(int(j))
        return True

    def _against_q(self, js, drop: bool = False):
        """``(U, C, W, keep)``: the columns ``js``, their coefficients on ``Q`` and their
        components orthogonal to ``Q`` (classical Gram-Schmidt, twice). With ``drop``, a column
        whose component after the first pass is already within ``tol.rank`` of its norm is left
        out before the second (``keep``: the positions kept): a projection never lengthens it,
        so the test of :meth:`insert` refuses it either way, up to rounding at the threshold."""
        U = self.Phi[:, js]
        keep = np.arange(len(js))
        if not self.cols:
            return U, np.zeros((0, len(js))), U.copy(), keep
        C = self.Q.T @ U
        W = U - self.Q @ C
        if drop:
            keep = np.flatnonzero(np.linalg.norm(W, axis=0) > self.tol.rank * np.linalg.norm(U, axis=0))
            U, C, W = U[:, keep], C[:, keep], W[:, keep]
        C2 = self.Q.T @ W
        W -= self.Q @ C2
        C += C2
        return U, C, W, keep

    def _append(self, js, C, Q2, R2) -> None:
        """Append the columns ``js`` given ``Phi[:, js] = Q C + Q2 R2`` with ``Q2`` orthonormal
        up to its loss of orthogonality to ``Q`` (up to ``cond(W)``: once more against ``Q``)."""
        k = len(self.cols)
        if k:
            E = self.Q.T @ Q2
            Q2, R3 = np.linalg.qr(Q2 - self.Q @ E)
            C, R2 = C + E @ R2, R3 @ R2
        a = len(js)
        R = np.zeros((k + a, k + a), order="F")
        R[:k, :k] = self.R
        R[:k, k:] = C
        R[k:, k:] = R2
        Q = np.empty((self.Q.shape[0], k + a), order="F")
        Q[:, :k] = self.Q
        Q[:, k:] = Q2
        self.Q, self.R = Q, R
        self.cols.extend(js)

    def insert_block(self, js) -> list[int]:
        """Insert the columns ``js`` in order, as many as stay independent before the first
        that would not (relative residual below ``tol.rank``, as :meth:`insert`), by one
        block update: their components orthogonal to ``Q`` (classical Gram-Schmidt, twice),
        a QR factorisation of those, its ``Q`` orthogonalised against ``Q`` once more. Returns
        the columns inserted (a prefix of ``js``); the caller inserts the rest one by one."""
        js = [int(j) for j in js][: max(self.Phi.shape[0] - len(self.cols), 0)]
        if not js:
            return []
        U, C, W, _ = self._against_q(js)
        Q2, R2 = np.linalg.qr(W)
        ok = np.abs(np.diag(R2)) > self.tol.rank * np.linalg.norm(U, axis=0)
        a = len(js) if ok.all() else int(np.argmin(ok))
        if a == 0:
            return []
        self._append(js[:a], C[:, :a], Q2[:, :a], R2[:a, :a])
        return js[:a]

    def insert_independent(self, js) -> list[int]:
        """Insert, in order, every column of ``js`` whose residual after projection on the
        passive columns and on the columns of ``js`` inserted before it is above ``tol.rank``
        relative (the test of :meth:`insert`), skipping the others, by one block update.
        The block's columns are orthogonalised against ``Q`` together (those already within
        ``tol.rank`` after the first pass are refused there), then in order against the block's
        columns accepted before them (Gram-Schmidt, twice): a refused column does not enter the
        span the later ones are tested against, as with one-by-one insertions.
        Returns the columns inserted (a subsequence of ``js``)."""
        js = [int(j) for j in js]
        if not js:
            return []
        U, C, W, keep = self._against_q(js, drop=True)
        js = [js[i] for i in keep]
        norms = np.linalg.norm(U, axis=0)
        room = max(self.Phi.shape[0] - len(self.cols), 0)   # one-by-one insertion stops there too
        # the block's columns in order, each against those accepted before it (Gram-Schmidt,
        # twice): its residual is the diagonal entry of R one-by-one insertion would compute
        sel: list[int] = []
        Q2 = np.zeros((W.shape[0], min(room, len(js))))
        R2 = np.zeros((Q2.shape[1], Q2.shape[1]))
        for i in range(len(js)):
            if len(sel) == room:
                break
            a = len(sel)
            v = W[:, i].copy()
            h = Q2[:, :a].T @ v
            v -= Q2[:, :a] @ h
            h2 = Q2[:, :a].T @ v
            v -= Q2[:, :a] @ h2
            nv = float(np.linalg.norm(v))
            if not nv > self.tol.rank * norms[i]:
                continue
            Q2[:, a] = v / nv
            R2[:a, a] = h + h2
            R2[a, a] = nv
            sel.append(i)
        if not sel:
            return []
        a = len(sel)
        chosen = [js[i] for i in sel]
        self._append(chosen, C[:, sel], Q2[:, :a], R2[:a, :a])
        return chosen

    def delete(self, j: int) -> None:
        from scipy.linalg import qr_delete

        pos = self.cols.index(int(j))
        if len(self.cols) == 1:
            self.Q, self.R = np.zeros((self.Phi.shape[0], 0)), np.zeros((0, 0))
        else:
            self.Q, self.R = qr_delete(self.Q, self.R, pos, 1, which="col", overwrite_qr=True,
                                       check_finite=False)
            k = self.R.shape[1]
            if self.R.shape[0] > k:  # a square Q counts as a full factorisation: trim it
                self.Q, self.R = self.Q[:, :k], self.R[:k]
            # Fortran order (R with its old leading dimension): qr_delete then updates in place
            # and the triangular solves copy nothing (triangular_solve's _leading_block)
            self.Q = np.asfortranarray(self.Q)
        self.cols.pop(pos)

    def _solve(self, b: np.ndarray, transpose: bool = False) -> np.ndarray:
        """:func:`triangular_solve` with ``R``'s LAPACK operand kept until ``R`` changes."""
        if self._operand is None or self._operand[0] is not self.R:
            self._operand = (self.R, lapack_operand(self.R))
        return triangular_solve(self.R, b, transpose, self._operand[1])

    def coefficients(self, u: np.ndarray) -> np.ndarray:
        """``alpha`` with ``Phi[:, cols] alpha`` the projection of ``u`` on their span."""
        return self._solve(self.Q.T @ u)

    def stationary_point(self, y: np.ndarray, lam: float):
        """``(z, parts)``: ``z`` the lasso's stationary point on the columns (as
        :func:`relucert.lp.active_set._stationary_point` for independent columns), ``parts``
        what :meth:`dual` forms its dual from. One pass over ``Q``; the dual takes another."""
        w = self._solve(np.ones(len(self.cols)), transpose=True)
        Qty = self.Q.T @ y
        return self._solve(Qty - lam * w), (Qty, w)

    def dual(self, y: np.ndarray, lam: float, parts) -> np.ndarray:
        """``p = (y - Q Q^T y)/lam + Q R^-T 1`` from :meth:`stationary_point`'s ``parts``,
        ``(y - Phi_P z)/lam`` without dividing ``z``'s error by ``lam``."""
        Qty, w = parts
        both = self.Q @ np.column_stack([Qty, w])
        return (y - both[:, 0]) / lam + both[:, 1]

    def stationary(self, y: np.ndarray, lam: float):
        """``(z, p)``: :meth:`stationary_point` and its :meth:`dual`."""
        z, parts = self.stationary_point(y, lam)
        return z, self.dual(y, lam, parts)


def swap_in(fac: ThinQR, c: np.ndarray, j: int, toward: float, alpha: np.ndarray | None = None) -> int | None:
    """Column ``j`` lies in the span of the passive columns: move along the null direction
    ``e_j - alpha`` (``toward`` = +1) or its opposite, which keeps ``Phi c`` fixed and changes
    the objective by ``lam t (1 - sum alpha)`` per unit ``t``, up to the first zero. Returns
    the column that left (``j`` itself when it is the one), or None when nothing can move.
    ``alpha``: ``fac.coefficients(Phi[:, j])`` when the caller has it."""
    if alpha is None:
        alpha = fac.coefficients(fac.Phi[:, j])
    idx = np.array(fac.cols, dtype=np.int64)
    d = -toward * alpha                       # change of c[idx] per unit t; c[j] changes by +toward
    cand = [(c[idx][d < 0] / -d[d < 0], idx[d < 0])]
    if toward < 0:
        cand.append((np.array([c[j]]), np.array([j])))
    ratios = np.concatenate([r for r, _ in cand])
    owners = np.concatenate([o for _, o in cand])
    if ratios.size == 0:
        return None
    k = int(np.argmin(ratios))
    t = float(ratios[k])
    c[idx] = np.maximum(c[idx] + t * d, 0.0)
    c[j] = max(c[j] + toward * t, 0.0)
    out = int(owners[k])
    c[out] = 0.0
    return out


class KeptFactors:
    """The QR factors of the passive columns of an active-set solve, kept for the next solve
    of a program that shares those columns (the exchange's next round: the same atoms, new
    ones appended, unused ones possibly dropped). The solve that adopts them empties the
    holder; a converged solve stores its final factors (:func:`relucert.lp.active_set.
    nonneg_lasso_active_set`). Only the active set's starting factorisation changes: its
    answer still comes from a fresh factorisation of its passive columns."""

    def __init__(self):
        self.cols, self.Q, self.R = None, None, None

    def store(self, fac: ThinQR) -> None:
        """Keep ``fac``'s factors (its arrays are not copied: ``fac`` is done)."""
        self.cols, self.Q, self.R = list(fac.cols), fac.Q, fac.R

    def clear(self) -> None:
        """Forget the factors."""
        self.cols, self.Q, self.R = None, None, None

    def renumber(self, kept: np.ndarray) -> None:
        """The columns were filtered by the mask ``kept`` (the order of the kept ones
        unchanged, new ones appended after them): renumber, or forget when a factored column
        was dropped."""
        if self.cols is None:
            return
        kept = np.asarray(kept, dtype=bool)
        if not np.all(kept[self.cols]):
            self.clear()
            return
        new = np.cumsum(kept) - 1
        self.cols = [int(new[j]) for j in self.cols]
