"""A primal active-set method (Lawson-Hanson style) for the non-negative lasso

    min_c  0.5 ||Phi c - y||^2 + lam sum(c)   over  c >= 0,

warm-started from another solver's answer. It makes the finite QP exactly what the
exchange method needs: optimal ON ITS OWN COLUMNS, ``Phi^T p <= 1 + tol.dual_feas``
with ``p = (y - Phi c) / lam``. HiGHS's QP was measured to declare "optimal" with
``max Phi^T p = 1.004`` at lam = 0.001; the exchange then re-found the same violators
every round and stalled (proofs/exchange_method.md, "The finite QP").

Each outer step adds the column most violating ``Phi^T p <= 1``; the inner loop makes
``c`` stationary on the passive set ``P`` while keeping ``c >= 0``: the stationary point
``z`` of the unconstrained problem on ``P`` (an SVD, so nearly dependent ReLU features
do not square their conditioning through normal equations) is taken if positive, else
the step from ``c`` towards ``z`` stops at the first component reaching zero, which
leaves ``P``. When ``Phi_P`` is rank deficient and ``1`` has a component ``q`` in its
null space, the objective is unbounded along ``-q`` on ``P``: the step follows ``-q``
(``Phi c``, hence ``p``, is unchanged; ``sum c`` decreases) to the first zero. Every
step decreases the objective, so no passive set repeats and the method is finite in
exact arithmetic; a step budget guards against float cycling.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.tolerances import Tolerances, resolve

__all__ = ["ActiveSetResult", "nonneg_lasso_active_set"]

#: Inner steps allowed per column of Phi (plus a floor) before giving up.
_STEPS_PER_COLUMN = 4
_STEPS_FLOOR = 200


@dataclass(frozen=True)
class ActiveSetResult:
    """``c`` (K,), ``p = (y - Phi c)/lam``, ``max_violation = max(Phi^T p) - 1`` over all
    columns, ``converged`` when that is at most ``tol.dual_feas`` and ``c`` is
    stationary on its support, and the number of steps taken."""

    c: np.ndarray
    p: np.ndarray
    max_violation: float
    converged: bool
    steps: int


def _stationary_point(A: np.ndarray, y: np.ndarray, lam: float, tol: Tolerances):
    """For ``min 0.5 ||A z - y||^2 + lam 1^T z`` (no sign constraint): ``(z, p, None)``
    with ``z`` the stationary point and ``p = (y - A z)/lam`` when ``A`` has full column
    rank (relative threshold ``tol.rank``), else ``(None, None, v)`` with ``v`` a
    null-space direction of ``A`` along which the objective does not increase
    (``1^T v <= 0``) and some component decreases.

    ``p`` is formed from the SVD ``A = U S V^T`` as ``(y - U U^T y)/lam + U S^-1 V^T 1``,
    which does not divide ``z``'s error by ``lam``."""
    U, s, Vt = np.linalg.svd(A, full_matrices=A.shape[0] < A.shape[1])
    k = A.shape[1]
    rank = int(np.sum(s > tol.rank * max(float(s[0]), np.finfo(float).tiny))) if s.size else 0
    if rank < k:
        v = Vt[-1]
        total = float(np.sum(v))
        if total > 0 or (total == 0 and not np.any(v < 0)):
            v = -v
        return None, None, v
    ones = np.ones(k)
    U = U[:, :k]
    Uty = U.T @ y
    w = (Vt @ ones) / s
    z = Vt.T @ (Uty / s - lam * w / s)
    p = (y - U @ Uty) / lam + U @ w
    return z, p, None


def nonneg_lasso_active_set(Phi: np.ndarray, y: np.ndarray, lam: float, c0: np.ndarray | None = None,
                            *, tol: Tolerances | None = None, max_steps: int | None = None) -> ActiveSetResult:
    """Solve the non-negative lasso from the warm start ``c0`` (default 0); see the module doc.

    Examples
    --------
    Two columns, the second twice the first: only the second is used (half the cost).

    >>> Phi = np.array([[1.0, 2.0], [1.0, 2.0]])
    >>> res = nonneg_lasso_active_set(Phi, np.ones(2), 1.0)
    >>> res.converged, [round(float(v), 9) for v in res.c]
    (True, [0.0, 0.375])
    """
    tol = resolve(tol)
    Phi = np.asarray(Phi, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, K = Phi.shape
    c = np.zeros(K) if c0 is None else np.maximum(np.asarray(c0, dtype=np.float64), 0.0)
    scale = max(1.0, float(np.max(c, initial=0.0)))
    c[c <= tol.amplitude_zero * scale] = 0.0
    P = c > 0
    budget = max_steps if max_steps is not None else _STEPS_FLOOR + _STEPS_PER_COLUMN * K
    blocked = np.zeros(K, dtype=bool)
    steps = 0
    stationary = False
    while steps < budget:
        # inner loop: stationary on P with c >= 0
        stationary = moved = False
        while steps < budget:
            steps += 1
            idx = np.flatnonzero(P)
            if idx.size == 0:
                stationary = True
                break
            z, p_P, direction = _stationary_point(Phi[:, idx], y, lam, tol)
            cp = c[idx]
            if direction is None and np.all(z > 0):
                moved = moved or bool(np.any(z != cp))
                c[idx] = z
                stationary = True
                break
            if direction is not None:
                step, neg = direction, direction < 0
            else:  # Lawson-Hanson: towards z, stopping where the first z_i <= 0 hits zero
                step, neg = z - cp, z <= 0
            ratios = cp[neg] / np.maximum(-step[neg], np.finfo(float).tiny)
            k = int(np.argmin(ratios))
            alpha = float(ratios[k])
            c[idx] = np.maximum(cp + alpha * step, 0.0)
            out = idx[np.flatnonzero(neg)[k]]
            c[out] = 0.0
            moved = moved or alpha > 0.0
            if alpha == 0.0:
                blocked[out] = True  # e.g. the column just added: no progress through it
            P = c > 0
        if not stationary:
            break
        if moved:
            blocked[:] = False
        p = p_P if idx.size else y / lam
        w = Phi.T @ p - 1.0
        w[P | blocked] = -np.inf
        j = int(np.argmax(w)) if K else 0
        if not K or not w[j] > tol.dual_feas:
            break  # optimal, unless a blocked column still violates (then not converged)
        P[j] = True
        c[j] = 0.0
    p = p if stationary else (y - Phi @ c) / lam
    viol = float(np.max(Phi.T @ p, initial=-np.inf)) - 1.0 if K else -1.0
    return ActiveSetResult(c=c, p=p, max_violation=viol,
                           converged=bool(stationary and viol <= tol.dual_feas), steps=steps)
