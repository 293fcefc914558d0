"""Polishing: Newton's method on the optimality conditions with the support pattern fixed.

Once the exchange method has found the support pattern -- for every atom the face of
the arrangement it lies on (zero set ``Z_j`` of its sign vector) and its strictly
active set ``P_j`` -- the atoms are ``u_j = B_j z_j`` with ``B_j`` an orthonormal basis
of the face's span ``{u : <u, x~_i> = 0, i in Z_j}``, and the predictions are linear:
``f = sum_j M_j z_j``, ``M_j = s_j X~[P_j] B_j`` (rows outside ``P_j`` are zero).

* lam > 0: the restricted problem ``min 0.5 ||M z - y||^2 + lam sum_j ||z_j||`` is smooth
  where every ``z_j != 0``; its stationarity equations are
  ``F_j(z) = M_j^T (y - M z) / lam - z_j / ||z_j|| = 0``.
* lam = 0: unknowns ``(z, p)``, equations ``M z = y`` and ``M_j^T p = z_j / ||z_j||``.

Both are solved by Newton's method with least-squares steps (the Jacobian may be
singular when the optimal measure is not unique). The result is only a candidate:
the pattern is kept only if no atom left its face's relative interior, and the
caller re-verifies it with the exact oracle and the duality gap, so a wrong pattern
can never produce a wrong answer (it is simply rejected).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from relucert.lp.tv.merge import sign_vectors
from relucert.tolerances import (POLISH_FLOOR_FACTOR, POLISH_SHORT_STEP, POLISH_STALL_RATIO, POLISH_STEP_RCOND,
                                 Tolerances, resolve)

__all__ = ["polish", "polish_pruned", "snap_to_faces", "dual_rounding_floor"]

_MAX_NEWTON = 30
_MAX_HALVINGS = 30


def dual_rounding_floor(Xl: np.ndarray, y: np.ndarray, lam: float) -> float:
    """A bound, to first order in the unit roundoff ``eps``, on the rounding error of
    ``<phi, p>`` with ``p = (y - K mu)/lam`` for any unit atom's features ``phi`` (and of any
    region's ``||v_A||``): the residual's error is at most ``eps (|y| + |K mu|)`` per entry, with
    ``||K mu|| <= 2 ||y||`` at a lasso iterate (``||y - K mu|| <= ||y||`` since its objective is at
    most that of 0), and ``||phi|| <= ||X~||_F``: ``3 eps ||y|| ||X~||_F / lam``. Invariant under
    the scalings of proofs/natural_units.md. For (P_0) (``lam = 0``) p comes from the LP's
    duals: 0 (the caller's tolerance stands).

    Parameters
    ----------
    Xl : np.ndarray, shape (n, D)
        Lifted data points (rows).
    y : np.ndarray, shape (n,)
        Targets.
    lam : float
        Regularisation weight; ``lam <= 0`` means (P_0).

    Returns
    -------
    float
        ``POLISH_FLOOR_FACTOR * eps * ||y|| * ||X~||_F / lam``, or 0 when ``lam <= 0``.

    Examples
    --------
    >>> dual_rounding_floor(np.ones((2, 2)), np.ones(2), 0.0)
    0.0
    """
    if not lam > 0:
        return 0.0
    return POLISH_FLOOR_FACTOR * np.finfo(float).eps * float(np.linalg.norm(y)) * float(np.linalg.norm(Xl)) / lam


def _lstsq(J, r):
    """Least-squares Newton step (complete orthogonal factorisation: fast, and fine
    with a singular Jacobian)."""
    return scipy.linalg.lstsq(J, r, lapack_driver="gelsy", check_finite=False)[0]


def _truncated_step(A, r):
    """The minimum-norm solution of ``A x = r`` on the eigenvectors of the symmetric PSD ``A``
    whose eigenvalues exceed ``POLISH_STEP_RCOND`` times the largest (the others are rounding
    noise of a singular ``A``)."""
    w, V = scipy.linalg.eigh(A, driver="evd", check_finite=False)
    keep = w > POLISH_STEP_RCOND * max(float(w[-1]), 0.0) if w.size else np.zeros(0, dtype=bool)
    if not np.any(keep):
        return np.zeros_like(r)
    Vk = V[:, keep]
    return Vk @ ((Vk.T @ r) / w[keep])


def _psd_step(A, r, robust=False):
    """``A^-1 r`` for a symmetric positive semi-definite ``A`` by Cholesky (cheap), or, when
    ``A`` is numerically singular (Cholesky fails, its diagonal says nearly singular, the solve
    is not finite), the least-squares step; ``robust``: the truncated minimum-norm step
    :func:`_truncated_step` (used once those steps stall)."""
    if robust:
        return _truncated_step(A, r)
    try:
        c = scipy.linalg.cho_factor(A, check_finite=False)
        dg = np.abs(np.diag(c[0]))
        # a nearly singular A (estimated by the factor's diagonal) gets the least-squares step
        if dg.size and float(np.min(dg)) ** 2 > np.sqrt(np.finfo(float).eps) * float(np.max(dg)) ** 2:
            x = scipy.linalg.cho_solve(c, r, check_finite=False)
            if np.all(np.isfinite(x)):
                return x
    except (np.linalg.LinAlgError, ValueError):
        pass
    return _lstsq(A, r)


def _face_bases(X_lift, theta, sig, tol):
    bases = []
    for j in range(theta.shape[0]):
        Z = X_lift[sig[j] == 0]
        if Z.shape[0] == 0:
            bases.append(np.eye(X_lift.shape[1]))
            continue
        _, s, Vt = np.linalg.svd(Z)
        rank = int(np.sum(s > tol.rank * max(1.0, s[0])))
        bases.append(Vt[rank:].T)
    return bases


def polish(X_lift: np.ndarray, y: np.ndarray, lam: float, theta: np.ndarray, amplitude: np.ndarray,
           p: np.ndarray | None = None, *, tol: Tolerances | None = None, why: list | None = None):
    """Newton-polish a network on its support pattern.

    Returns ``(theta, amplitude, p, residual)`` -- ``residual`` the norm of the
    optimality equations at the end -- or None when the pattern breaks (an atom
    vanishes or leaves its face); ``why`` (a list) then receives the reason.

    Parameters
    ----------
    X_lift : np.ndarray, shape (n, D)
        Lifted data points (rows).
    y : np.ndarray, shape (n,)
        Targets.
    lam : float
        Regularisation weight; 0 for (P_0).
    theta : np.ndarray, shape (k, D)
        Unit atom directions whose sign vectors fix the support pattern.
    amplitude : np.ndarray, shape (k,)
        Signed atom weights (nonzero).
    p : np.ndarray, shape (n,), optional
        Dual vector to start from; required when ``lam == 0`` (None is returned
        without it), ignored when ``lam > 0``.
    tol : Tolerances, optional
        Tolerances; defaults when ``None``.
    why : list of str, optional
        Receives the reason when None is returned.

    Returns
    -------
    theta : np.ndarray, shape (k, D)
        Polished unit directions, on the same faces.
    amplitude : np.ndarray, shape (k,)
        Polished signed weights.
    p : np.ndarray, shape (n,)
        Dual vector: ``(y - f)/lam`` for ``lam > 0``, Newton's ``p`` for ``lam == 0``.
    residual : float
        2-norm of the optimality equations at the end.

    Or None when the pattern breaks.
    """
    tol = resolve(tol)
    why = [] if why is None else why
    k = theta.shape[0]
    if k == 0:
        why.append("no atoms")
        return None
    sig = sign_vectors(X_lift, theta, tol)
    bases = _face_bases(X_lift, theta, sig, tol)
    dims = [B.shape[1] for B in bases]
    if min(dims) == 0:
        why.append("an atom's face is a point")
        return None
    offs = np.concatenate([[0], np.cumsum(dims)])
    n = X_lift.shape[0]
    s = np.sign(amplitude)
    M = np.zeros((n, offs[-1]))
    for j, B in enumerate(bases):
        pos = sig[j] > 0
        M[pos, offs[j]:offs[j + 1]] = s[j] * (X_lift[pos] @ B)
    z = np.concatenate([np.abs(amplitude[j]) * (bases[j].T @ theta[j]) for j in range(k)])

    starts = offs[:-1]
    block_of = np.repeat(np.arange(k), dims)

    def norm_blocks(z):
        return np.sqrt(np.add.reduceat(z * z, starts))

    def curvature(z, r):
        Hb = np.zeros((offs[-1], offs[-1]))
        for j in range(k):
            zj = z[offs[j]:offs[j + 1]]
            e = zj / r[j]
            Hb[offs[j]:offs[j + 1], offs[j]:offs[j + 1]] = (np.eye(dims[j]) - np.outer(e, e)) / r[j]
        return Hb

    def unit(z, r):
        return z / r[block_of]

    if lam > 0:
        def residual(z, _p):
            r = norm_blocks(z)
            return M.T @ (y - M @ z) / lam - unit(z, r)

        MtM = M.T @ M

        def step(z, _p, robust=False):
            r = norm_blocks(z)
            # J = -(M^T M / lam + curvature) is symmetric negative semi-definite
            dz = _psd_step(MtM / lam + curvature(z, r), residual(z, None), robust)
            return dz, None
        pp = None
    else:
        if p is None:
            return None

        def residual(z, pp):
            r = norm_blocks(z)
            return np.concatenate([M @ z - y, M.T @ pp - unit(z, r)])

        def step(z, pp, robust=False):
            r = norm_blocks(z)
            top = np.hstack([M, np.zeros((n, n))])
            bot = np.hstack([-curvature(z, r), M.T])
            J = np.vstack([top, bot])
            delta = _lstsq(J, -residual(z, pp))
            return delta[:offs[-1]], delta[offs[-1]:]
        pp = np.asarray(p, float).copy()

    if np.any(norm_blocks(z) <= tol.amplitude_zero * max(1.0, float(np.max(np.abs(amplitude))))):
        why.append("an atom has no component in its face")
        return None
    res = np.linalg.norm(residual(z, pp))
    robust = False
    for _ in range(_MAX_NEWTON):
        dz, dp = step(z, pp, robust)
        # damped: halve until the residual decreases and no block crosses zero
        t = 1.0
        accepted = False
        for _half in range(_MAX_HALVINGS):
            z_new = z + t * dz
            p_new = None if dp is None else pp + t * dp
            if np.all(norm_blocks(z_new) > 0):
                res_new = np.linalg.norm(residual(z_new, p_new))
                if res_new < res:
                    accepted = True
                    break
            t *= 0.5
        if (not accepted or t < POLISH_SHORT_STEP) and not robust and lam > 0:
            robust = True   # a stalled Cholesky or least-squares step: again with the truncated step
            continue
        if not accepted:
            break
        stalled = robust and res_new > POLISH_STALL_RATIO * res
        z, pp, res = z_new, p_new, res_new
        if stalled:   # the truncated steps are at the singular system's residual floor
            break
    r = norm_blocks(z)
    new_theta = np.array([bases[j] @ z[offs[j]:offs[j + 1]] / r[j] for j in range(k)])
    new_sig = sign_vectors(X_lift, new_theta, tol)
    if np.any(new_sig != sig):  # an atom left its face: the pattern was wrong
        left = int(np.sum(np.any(new_sig != sig, axis=1)))
        why.append(f"{left} of {k} atoms left their face (Newton residual {res:.1e})")
        return None
    new_amp = s * r
    if lam > 0:
        pp = (y - (np.maximum(0.0, X_lift @ new_theta.T) @ new_amp)) / lam
    return new_theta, new_amp, pp, float(res)


def snap_to_faces(X_lift: np.ndarray, theta: np.ndarray, distance: float,
                  tol: Tolerances | None = None) -> np.ndarray:
    """Move every atom onto the face spanned by the hyperplanes within ``distance`` of
    it (``|<theta, x~_i>| <= distance * ||x~_i||``), by orthogonal projection onto
    their common null space, renormalised. An exchange iterate approaches an optimal
    atom that lies ON hyperplanes from inside the neighbouring chambers; snapping
    exposes that support pattern (the caller re-verifies whatever comes out).

    Parameters
    ----------
    X_lift : np.ndarray, shape (n, D)
        Lifted data points (rows).
    theta : array_like, shape (k, D)
        Unit atom directions.
    distance : float
        Relative distance below which a hyperplane counts as active.
    tol : Tolerances, optional
        ``tol.rank`` fixes the rank of the active hyperplanes; defaults when ``None``.

    Returns
    -------
    np.ndarray, shape (k, D)
        The snapped unit directions (an atom with no active hyperplane, or whose face is
        a point, is unchanged).

    Examples
    --------
    >>> snap_to_faces(np.array([[1.0, 0.0]]), np.array([[0.1, 1.0]]), 0.2).tolist()
    [[0.0, 1.0]]
    """
    tol = resolve(tol)
    nrm = np.linalg.norm(X_lift, axis=1)
    out = np.array(theta, dtype=float, copy=True)
    for j in range(out.shape[0]):
        Z = X_lift[np.abs(X_lift @ out[j]) <= distance * nrm]
        if Z.shape[0] == 0:
            continue
        _, sv, Vt = np.linalg.svd(Z)
        rank = int(np.sum(sv > tol.rank * max(1.0, sv[0])))
        B = Vt[rank:]
        if B.shape[0] == 0:
            continue
        u = B.T @ (B @ out[j])
        r = float(np.linalg.norm(u))
        if r > 0:
            out[j] = u / r
    return out


def polish_pruned(X_lift: np.ndarray, y: np.ndarray, lam: float, theta: np.ndarray, amplitude: np.ndarray,
                  p: np.ndarray | None = None, *, tol: Tolerances | None = None, max_drop: int = 1,
                  why: list | None = None):
    """:func:`polish`, retried without the smallest atoms when the pattern carries atoms
    that should vanish (Newton then cannot solve the equations: an atom's norm heads
    to zero). Returns the first candidate whose equations are solved to
    ``tol.primal_feas`` (relative), or None (``why`` then lists each try's reason).

    Parameters
    ----------
    X_lift, y, lam, theta, amplitude, p, tol
        As for :func:`polish`.
    max_drop : int
        Most atoms dropped (smallest ``|amplitude|`` first); at least one atom is kept.
    why : list of str, optional
        Receives each failed try's reason.

    Returns
    -------
    tuple or None
        ``(theta, amplitude, p, residual)`` as from :func:`polish`, on the kept atoms.
    """
    tol = resolve(tol)
    why = [] if why is None else why
    order = np.argsort(np.abs(amplitude), kind="stable")
    scale = max(1.0, float(np.max(np.abs(y), initial=0.0)))
    # the stationarity equations M_j^T p - z_j/||z_j|| cannot be solved below the rounding
    # floor of M^T p (the candidate is re-verified by its gap whatever the threshold)
    base = max(tol.primal_feas * scale, dual_rounding_floor(X_lift, y, lam))
    for drop in range(0, min(max_drop, theta.shape[0] - 1) + 1):
        keep = np.sort(order[drop:])
        out = polish(X_lift, y, lam, theta[keep], amplitude[keep], p, tol=tol, why=why)
        accept = base
        if out is not None and lam > 0:
            # at the answer: every equation carries eps (|y| + |K||mu|)^T |phi_j| / lam, and the
            # residual is the 2-norm over all of them
            absk = np.maximum(0.0, X_lift @ out[0].T) @ np.abs(out[1])
            per = (np.finfo(float).eps * float(np.linalg.norm(X_lift)) * float(np.linalg.norm(np.abs(y) + absk))
                   / lam)
            accept = max(base, per * np.sqrt(out[0].size))
        if out is not None and out[3] <= accept:
            return out
        if out is not None:
            why.append(f"Newton residual {out[3]:.1e} > {accept:.3g}")
    return None
