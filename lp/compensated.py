"""Compensated (double-double) kernels for the finite programs' residuals and duals.

Error-free transformations (Knuth's TwoSum, Dekker's TwoProduct with Veltkamp's split),
vectorised over numpy arrays, give the residual ``r = y - A z`` and the products
``A^T r`` as unevaluated sums ``hi + lo`` accurate to about ``eps^2`` times the sum of the
absolute terms (Ogita, Rump and Oishi, "Accurate sum and dot product", SIAM J. Sci.
Comput. 26, 2005: Dot2), instead of ``eps`` times it. On top of them,
:func:`refined_stationary_dual` refines the stationary point of the lasso restricted to a
support in double-double (iterative refinement: float corrections from a QR or SVD factor, the
residual of the stationarity equations compensated), so that the dual vector
``p = (y - A z)/lam`` is accurate to about one unit in the last place of ``p`` itself
instead of ``eps |y| / lam`` per entry (proofs/natural_units.md, "Compensated duals").

This module knows nothing about networks: ``A`` is a matrix.

>>> import numpy as np
>>> hi, lo = two_sum(np.array([1.0]), np.array([2.0 ** -60]))
>>> float(hi[0]), float(lo[0]) == 2.0 ** -60
(1.0, True)
>>> hi, lo = residual(np.array([1.0]), np.array([[3.0]]), np.array([1.0 / 3.0]))
>>> float(hi[0]) == 2.0 ** -54, float(lo[0])
(True, 0.0)
"""
from __future__ import annotations

import numpy as np

from relucert.tolerances import ACTIVE_SET_QR_RANK_MARGIN

__all__ = ["two_sum", "two_prod", "residual", "dot_transpose", "masked_sums", "refined_stationary_dual"]

#: Veltkamp's splitting constant ``2^27 + 1`` (double precision, 53-bit significands).
_SPLITTER = 134217729.0


def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly (Knuth's TwoSum).

    Parameters
    ----------
    a, b : ndarray or float

    Returns
    -------
    (ndarray, ndarray)
    """
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a, b):
    """``(p, e)`` with ``p = fl(a b)`` and ``a b = p + e`` exactly (Dekker's TwoProduct;
    exact unless an intermediate under- or overflows, far outside the solver's scaled
    range, proofs/natural_units.md).

    Parameters
    ----------
    a, b : ndarray or float

    Returns
    -------
    (ndarray, ndarray)
    """
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _renormalise(s, c):
    hi = s + c
    return hi, c - (hi - s)


def residual(y: np.ndarray, A: np.ndarray, z_hi: np.ndarray, z_lo: np.ndarray | None = None):
    """``y - A (z_hi + z_lo)`` as ``(hi, lo)``, compensated (Dot2 per entry).

    Parameters
    ----------
    y : ndarray, shape (n,)
    A : ndarray, shape (n, k)
    z_hi, z_lo : ndarray, shape (k,)
        The double-double vector ``z`` (``z_lo`` None: zero).

    Returns
    -------
    (ndarray, ndarray)
        ``hi + lo`` within about ``eps^2 (|y| + |A| |z|)`` of the exact residual, plus
        ``eps |A| |z_lo|``.
    """
    s = np.array(y, dtype=np.float64, copy=True)
    c = np.zeros_like(s)
    A = np.asarray(A, dtype=np.float64)
    for j in range(A.shape[1]):
        p, e = two_prod(A[:, j], -float(z_hi[j]))
        s, q = two_sum(s, p)
        c += q + e
        if z_lo is not None and z_lo[j] != 0.0:
            c -= A[:, j] * float(z_lo[j])
    return _renormalise(s, c)


def dot_transpose(A: np.ndarray, r_hi: np.ndarray, r_lo: np.ndarray | None = None):
    """``A^T (r_hi + r_lo)`` as ``(hi, lo)``, compensated.

    Parameters
    ----------
    A : ndarray, shape (n, k)
    r_hi, r_lo : ndarray, shape (n,)

    Returns
    -------
    (ndarray, ndarray)
        Shape (k,) each.
    """
    A = np.asarray(A, dtype=np.float64)
    s = np.zeros(A.shape[1])
    c = np.zeros(A.shape[1])
    for i in range(A.shape[0]):
        p, e = two_prod(A[i], float(r_hi[i]))
        s, q = two_sum(s, p)
        c += q + e
        if r_lo is not None and r_lo[i] != 0.0:
            c += A[i] * float(r_lo[i])
    return _renormalise(s, c)


def masked_sums(mask: np.ndarray, p: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``V[k] = sum_{i : mask[k, i]} p_i X[i]`` for every row ``k`` of ``mask``, compensated
    and rounded once (within about one unit in the last place of each entry, plus
    ``eps^2`` times the sum of the absolute terms).

    Parameters
    ----------
    mask : ndarray of bool, shape (m, n)
    p : ndarray, shape (n,)
    X : ndarray, shape (n, D)

    Returns
    -------
    ndarray, shape (m, D)
    """
    mask = np.asarray(mask, dtype=bool)
    X = np.asarray(X, dtype=np.float64)
    s = np.zeros((mask.shape[0], X.shape[1]))
    c = np.zeros_like(s)
    for i in range(X.shape[0]):
        t_hi, t_lo = two_prod(float(p[i]), X[i])
        on = mask[:, i:i + 1]
        s, q = two_sum(s, np.where(on, t_hi[None, :], 0.0))
        c += q + np.where(on, t_lo[None, :], 0.0)
    return s + c


def _normal_solver(B: np.ndarray, rank_tol: float):
    """``g -> (B^T B)^-1 g`` for the columns ``B`` (k <= n), or None when they are rank deficient
    (smallest singular value at most ``rank_tol`` times the largest).

    From the triangular factor of a Householder QR ``B = Q R`` (``(B^T B)^-1 = R^-1 R^-T``; ``Q``
    is never formed) when ``||R||_F ||R^-1||_F``, an upper bound of ``s_max / s_min``, shows the
    rank test passed with ``ACTIVE_SET_QR_RANK_MARGIN`` to spare; otherwise from the SVD
    ``B = U S V^T`` (``V S^-2 V^T``), which then decides the rank as before. Both are the same
    operator: only its rounding differs, and the refinement's compensated residual corrects it."""
    from scipy.linalg import lapack

    from relucert.lp.qr_factors import triangular_solve

    if B.shape[1] <= B.shape[0]:
        R = np.linalg.qr(B, mode="r")[: B.shape[1]]
        Rinv, info = lapack.dtrtri(np.asfortranarray(R), lower=0)
        if (info == 0 and np.all(np.isfinite(Rinv))
                and np.linalg.norm(R) * np.linalg.norm(Rinv) * ACTIVE_SET_QR_RANK_MARGIN * rank_tol < 1.0):
            R = np.asfortranarray(R)
            return lambda g: triangular_solve(R, triangular_solve(R, g, transpose=True))
    _, s, Vt = np.linalg.svd(B, full_matrices=False)
    if s[-1] <= rank_tol * s[0]:
        return None
    return lambda g: Vt.T @ ((Vt @ g) / (s * s))


def refined_stationary_dual(A: np.ndarray, y: np.ndarray, lam: float, weight: np.ndarray, z0: np.ndarray,
                            steps: int, rank_tol: float):
    """The stationary point of ``0.5 ||A z - y||^2 + lam weight^T z`` (no sign constraint)
    refined in double-double from ``z0``, and its dual ``p = (y - A z)/lam``.

    Each step computes the stationarity residual ``g = A^T (y - A z) - lam weight`` compensated
    and corrects ``z`` by the float solution of ``A^T A dz = g`` (:func:`_normal_solver` of the
    column-equilibrated ``A``, powers of two: exact scaling: the triangular factor of its QR,
    or its SVD); ``z`` is kept as ``hi + lo``.

    Parameters
    ----------
    A : ndarray, shape (n, k)
        Columns of full rank.
    y : ndarray, shape (n,)
    lam : float
        ``> 0``.
    weight : ndarray, shape (k,)
        The linear cost per column (``1`` for the signed columns of the lasso).
    z0 : ndarray, shape (k,)
        Start (e.g. the float stationary point).
    steps : int
        Refinement steps.
    rank_tol : float
        Relative singular-value threshold below which ``A`` counts as rank deficient.

    Returns
    -------
    (z_hi, z_lo, p, g_norm) or None
        None when ``A`` is rank deficient; ``g_norm`` the last stationarity residual
        ``max |A^T (y - A z) - lam weight|`` (compensated).
    """
    A = np.asarray(A, dtype=np.float64)
    norms = np.linalg.norm(A, axis=0)
    if A.shape[1] == 0 or not np.all(norms > 0):
        return None
    scale = np.ldexp(1.0, np.frexp(norms)[1])
    solve = _normal_solver(A / scale, rank_tol)
    if solve is None:
        return None
    z_hi = np.array(z0, dtype=np.float64, copy=True)
    z_lo = np.zeros_like(z_hi)
    g_norm = np.inf
    for _ in range(steps):
        r_hi, r_lo = residual(y, A, z_hi, z_lo)
        g_hi, g_lo = dot_transpose(A, r_hi, r_lo)
        g = (g_hi - lam * weight) + g_lo
        g_norm = float(np.max(np.abs(g)))
        # A^T A dz = g with A = B D: dz = D^-1 (B^T B)^-1 D^-1 g
        dz = solve(g / scale) / scale
        z_hi, lo = two_sum(z_hi, dz)
        z_hi, z_lo = _renormalise(z_hi, lo + z_lo)
    r_hi, r_lo = residual(y, A, z_hi, z_lo)
    return z_hi, z_lo, r_hi / lam + r_lo / lam, g_norm
