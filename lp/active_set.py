"""A primal active-set method (Lawson-Hanson style) for the non-negative lasso
``min_c 0.5 ||Phi c - y||^2 + lam sum(c)`` over ``c >= 0``, warm-started from another answer.

It makes the finite QP what the exchange needs: optimal ON ITS OWN COLUMNS,
``Phi^T p <= 1 + tol.dual_feas`` with ``p = (y - Phi c) / lam`` (HiGHS's QP can declare
"optimal" with ``max Phi^T p`` well above 1 at small lam, and the exchange then stalls:
proofs/exchange_method.md, "The finite QP").

The passive columns' thin QR factors (:mod:`relucert.lp.qr_factors`) are updated by column
insertions (a batch by one block update) and deletions (O(n k) per step), and may start from
factors kept from an earlier solve (``kept``); the final answer is re-derived from a fresh
factorisation of the passive columns (Householder QR when its rank bound holds, else the SVD).
Each outer step adds the columns most violating ``Phi^T p <= 1`` (up to ``_ADD_BATCH``,
largest first); the inner loop makes ``c`` stationary on the passive set ``P``
while keeping ``c >= 0``: the stationary point ``z`` on ``P`` (from the QR factors: nearly
dependent ReLU features do not square their conditioning) is taken if positive, else the step
from ``c`` towards ``z`` stops at the first component reaching zero, which leaves ``P``. A
violating column in the span of ``P`` (QR insertion refused at relative residual ``tol.rank``)
enters by a null-space swap, ``e_j - alpha`` with ``Phi_P alpha = phi_j``, which keeps ``Phi c``
(hence ``p``) fixed and lowers ``sum c`` since ``sum alpha = phi_j^T p > 1``, until a passive
column leaves; the batch's other dependent violators then follow by swaps without a new
pricing where ``sum alpha > 1`` (:func:`_swap_rest`). Every step decreases the objective, so
no passive set repeats and the method is finite in exact arithmetic; a step budget guards
against float cycling.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.lp.compensated import dot_transpose, refined_stationary_dual, residual
from relucert.lp.qr_factors import KeptFactors, ThinQR as _ThinQR, swap_in as _swap_in, triangular_solve
from relucert.tolerances import (ACTIVE_SET_EQUILIBRATION_SPREAD, ACTIVE_SET_QR_RANK_MARGIN, DUAL_REFINE_STEPS,
                                 Tolerances, resolve)

__all__ = ["ActiveSetResult", "nonneg_lasso_active_set", "refined_finish", "refine_weights"]

#: Inner steps allowed per column of Phi (plus a floor); violating columns per pricing.
_STEPS_PER_COLUMN, _STEPS_FLOOR, _ADD_BATCH = 4, 200, 16


@dataclass(frozen=True)
class ActiveSetResult:
    """The active-set method's answer (its dual ``p`` is formed from a fresh factorisation, not
    from ``c``).

    Attributes
    ----------
    c : np.ndarray, shape (K,)
        Non-negative weights of the columns.
    p : np.ndarray, shape (n,)
        Dual vector ``(y - Phi c)/lam``.
    max_violation : float
        ``max(Phi^T p) - 1`` over all K columns (<= 0 when dual feasible).
    converged : bool
        ``max_violation <= tol.dual_feas`` and ``c`` stationary on its support.
    steps : int
        Inner steps taken.
    objective : float
        ``0.5 ||Phi c - y||^2 + lam sum(c)`` recomputed from ``c``.
    """

    c: np.ndarray
    p: np.ndarray
    max_violation: float
    converged: bool
    steps: int
    objective: float


def _equilibration(A: np.ndarray) -> np.ndarray:
    """The column scale ``D`` of :func:`_stationary_point`: powers of two nearest the column
    norms when they spread by more than ``ACTIVE_SET_EQUILIBRATION_SPREAD``, else ones."""
    norms = np.linalg.norm(A, axis=0)
    positive = norms[norms > 0]
    if positive.size and positive.max() > ACTIVE_SET_EQUILIBRATION_SPREAD * positive.min():
        return np.where(norms > 0, np.ldexp(1.0, np.frexp(norms)[1]), 1.0)
    return np.ones(A.shape[1])  # comparable norms: cond(A) is within the spread of cond(B); A as it is


def _stationary_point_qr(B: np.ndarray, y: np.ndarray, lam: float, scale: np.ndarray, tol: Tolerances):
    """:func:`_stationary_point` from a fresh Householder QR of the equilibrated ``B``, or None
    when ``||R||_F ||R^-1||_F`` (an upper bound of ``s_max / s_min``) does not show the rank
    test passed with ``ACTIVE_SET_QR_RANK_MARGIN`` to spare (the SVD then decides)."""
    from scipy.linalg import lapack

    Q, R = np.linalg.qr(B)
    Rinv, info = lapack.dtrtri(np.asfortranarray(R), lower=0)
    if info != 0 or not np.all(np.isfinite(Rinv)):
        return None
    if not np.linalg.norm(R) * np.linalg.norm(Rinv) * ACTIVE_SET_QR_RANK_MARGIN * tol.rank < 1.0:
        return None
    Qty = Q.T @ y
    w = triangular_solve(R, 1.0 / scale, transpose=True)
    z = triangular_solve(R, Qty - lam * w) / scale
    both = Q @ np.column_stack([Qty, w])
    return z, (y - both[:, 0]) / lam + both[:, 1]


def _stationary_point(A: np.ndarray, y: np.ndarray, lam: float, tol: Tolerances):
    """For ``min 0.5 ||A z - y||^2 + lam 1^T z`` (no sign constraint): ``(z, p)`` with
    ``z`` the stationary point and ``p = (y - A z)/lam``, from a fresh factorisation, or None
    when ``A`` is rank deficient (relative threshold ``tol.rank`` on the singular values of the
    equilibrated columns).

    When the column norms spread by more than ``ACTIVE_SET_EQUILIBRATION_SPREAD`` (X in large
    units, proofs/natural_units.md), the columns are equilibrated first, ``A = B D`` with ``D``
    the powers of two nearest their norms (exact): ``z = D^-1 u`` with ``u`` the stationary
    point of ``0.5 ||B u - y||^2 + lam (D^-1 1)^T u``, so ``z`` carries errors of order
    ``eps cond(B)`` (van der Sluis: within ``sqrt(k)`` of the best diagonal scaling), not
    ``eps cond(A)``. ``p`` is formed as ``(y - Q Q^T y)/lam + Q R^-T D^-1 1`` from a fresh
    Householder QR ``B = Q R`` (:func:`_stationary_point_qr`) when ``||R||_F ||R^-1||_F`` shows the
    rank test passed; otherwise from the SVD ``B = U S V^T`` as ``(y - U U^T y)/lam + U S^-1 V^T
    D^-1 1``: neither divides ``z``'s error by ``lam``."""
    scale = _equilibration(A)
    B = A / scale
    if A.shape[1] and np.all(scale == 1.0):   # equilibrated columns (X in large units): the SVD
        fast = _stationary_point_qr(B, y, lam, scale, tol)
        if fast is not None:
            return fast
    U, s, Vt = np.linalg.svd(B, full_matrices=False)
    k = A.shape[1]
    rank = int(np.sum(s > tol.rank * max(float(s[0]), np.finfo(float).tiny))) if s.size else 0
    if rank < k:
        return None
    Uty = U.T @ y
    w = (Vt @ (1.0 / scale)) / s
    z = (Vt.T @ (Uty / s - lam * w / s)) / scale
    p = (y - U @ Uty) / lam + U @ w
    return z, p


def _swap_rest(fac: _ThinQR, c: np.ndarray, js: list[int], room: int) -> int:
    """After a null-space swap (``Phi c``, hence ``p``, unchanged), the pricing's other
    violators ``js`` in the span of the passive columns are swapped in too, one after another,
    without a new pricing: each only where its coefficients ``alpha`` on the current passive
    columns have ``sum alpha > 1`` (the objective then drops by ``lam t (sum alpha - 1)``, so
    each swap is a descent step as the first). Stops at ``room`` swaps or at a column that
    does not enter (the inner loop then restores stationarity). Returns the swaps made."""
    done = 0
    for j in js:
        if done >= room:
            break
        alpha = fac.coefficients(fac.Phi[:, j])
        if not float(np.sum(alpha)) > 1.0:
            continue
        out = _swap_in(fac, c, j, 1.0, alpha)
        done += 1
        if out is None or out == j:
            c[j] = 0.0
            break
        fac.delete(out)
        if not fac.insert(j):
            c[j] = 0.0
            break
    return done


def nonneg_lasso_active_set(Phi: np.ndarray, y: np.ndarray, lam: float, c0: np.ndarray | None = None,
                            *, tol: Tolerances | None = None, max_steps: int | None = None,
                            kept: KeptFactors | None = None) -> ActiveSetResult:
    """Solve the non-negative lasso from the warm start ``c0`` (default 0); see the module doc.

    Parameters
    ----------
    Phi : array_like, shape (n, K)
        Signed columns.
    y : array_like, shape (n,)
        Targets.
    lam : float
        Regularisation weight, ``> 0``.
    c0 : array_like, shape (K,), optional
        Warm start; clipped at 0, entries below ``tol.amplitude_zero`` (relative) set
        to 0. Zeros when ``None``.
    tol : Tolerances, optional
        Tolerances; the defaults when ``None``.
    max_steps : int, optional
        Step budget; ``_STEPS_FLOOR + _STEPS_PER_COLUMN * K`` when ``None``.
    kept : KeptFactors, optional
        QR factors of columns of ``Phi`` from an earlier solve: the warm start's passive
        columns among them start from these factors instead of a new factorisation (when
        they pass :meth:`~relucert.lp.qr_factors.ThinQR.adopt`'s probes). Emptied here, and
        given this solve's final factors when it converges.

    Returns
    -------
    ActiveSetResult
        Weights, dual vector, worst dual violation, convergence flag, steps, objective.

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
    budget = max_steps if max_steps is not None else _STEPS_FLOOR + _STEPS_PER_COLUMN * K
    steps = 0
    # passive set from the warm start: largest weights first; a dependent column is
    # resolved by a null-space move (one column leaves; the objective does not increase)
    fac = _ThinQR(Phi, tol)
    warm = np.argsort(-c)[: int(np.sum(c > 0))]
    if kept is not None and fac.adopt(kept, c > 0):   # the kept factors, then the rest of the support
        have = set(fac.cols)
        rest = [int(j) for j in warm if j not in have]
        entered = set(fac.insert_independent(rest))
        pending = [j for j in rest if j not in entered]
    else:
        pending = warm[len(fac.insert_block(warm)):]   # the leading independent run in one factorisation
    if kept is not None:
        kept.clear()
    for j in pending:
        while c[j] > 0 and not fac.insert(int(j)) and steps < budget:
            steps += 1
            s = float(np.sum(fac.coefficients(Phi[:, j])))
            out = _swap_in(fac, c, int(j), 1.0 if s >= 1.0 else -1.0)
            if out is None or out == j:
                c[j] = 0.0
            elif out is not None:
                fac.delete(out)
    c[np.setdiff1d(np.arange(K), fac.cols)] = 0.0
    blocked = np.zeros(K, dtype=bool)
    converged = False
    p = y / lam
    while steps < budget:
        # inner loop: stationary on the passive set with c >= 0 (Lawson-Hanson)
        moved = False
        while steps < budget:
            steps += 1
            if not fac.cols:
                p = y / lam
                break
            idx = np.array(fac.cols, dtype=np.int64)
            z, parts = fac.stationary_point(y, lam)
            cp = c[idx]
            if np.all(z > 0):   # the dual only here: the steps that drop a column do not use it
                p = fac.dual(y, lam, parts)
                moved = moved or bool(np.any(z != cp))
                c[idx] = z
                break
            neg = z <= 0  # towards z, stopping where the first z_i <= 0 reaches zero
            ratios = cp[neg] / np.maximum(cp[neg] - z[neg], np.finfo(float).tiny)
            k = int(np.argmin(ratios))
            alpha = float(ratios[k])
            c[idx] = np.maximum(cp + alpha * (z - cp), 0.0)
            out = int(idx[np.flatnonzero(neg)[k]])
            c[out] = 0.0
            fac.delete(out)
            moved = moved or alpha > 0.0
            if alpha == 0.0:
                blocked[out] = True  # e.g. the column just added: no progress through it
        else:
            break
        if moved:
            blocked[:] = False
        w = Phi.T @ p - 1.0
        w[fac.cols] = -np.inf
        w[blocked] = -np.inf
        j = int(np.argmax(w)) if K else 0
        if not K or not w[j] > tol.dual_feas:
            converged = True  # unless a blocked column still violates: checked below
            break
        # several violators enter at once (each pricing costs O(n K)); the inner loop's
        # steps still decrease the objective, and a lone dependent violator is swapped in
        top = np.argpartition(-w, _ADD_BATCH)[:_ADD_BATCH] if K > _ADD_BATCH else np.arange(K)
        top = [int(t) for t in top[np.argsort(-w[top], kind="stable")] if w[t] > tol.dual_feas]
        # the independent columns in one block update, in order (those one-by-one
        # insertions would accept); a dependent one is skipped, as insert() would refuse it
        added = fac.insert_independent(top)
        if added:
            c[added] = 0.0
            continue
        if not fac.insert(j):
            steps += 1
            out = _swap_in(fac, c, j, 1.0)    # sum alpha = 1 + w_j > 1: j enters
            if out is None or out == j:
                blocked[j] = True
                continue
            fac.delete(out)
            if not fac.insert(j):
                blocked[j] = True
                c[j] = 0.0
                continue
            blocked[:] = False
            steps += _swap_rest(fac, c, [t for t in top if t != j], budget - steps)
        else:
            c[j] = 0.0
    # final answer from a fresh factorisation (QR or SVD) of the passive columns
    idx = np.array(fac.cols, dtype=np.int64)
    if converged and idx.size:
        fresh = _stationary_point(Phi[:, idx], y, lam, tol)
        if fresh is not None and np.all(fresh[0] > 0):
            c[idx], p = fresh
        else:
            converged = False
    c[np.setdiff1d(np.arange(K), idx)] = 0.0
    if not converged:
        p = (y - Phi @ c) / lam
    elif kept is not None:
        kept.store(fac)
    viol = float(np.max(Phi.T @ p, initial=-np.inf)) - 1.0 if K else -1.0
    resid = y - Phi @ c
    return ActiveSetResult(c=c, p=p, max_violation=viol, converged=bool(converged and viol <= tol.dual_feas),
                           steps=steps, objective=0.5 * float(resid @ resid) + lam * float(np.sum(c)))


def refined_finish(Phi: np.ndarray, y: np.ndarray, lam: float, fit, tol: Tolerances):
    """The active-set answer judged at the double-precision floor: ``(c, p, objective)`` or None.

    At small lam against ``|y| |Phi|`` the float dual ``p`` carries ``eps |y| / lam`` per entry and
    ``Phi^T p`` a multiple of it, so a stationary support can miss ``tol.dual_feas``. Its
    stationary point is refined in double-double (:mod:`relucert.lp.compensated`) and
    ``Phi^T p - 1`` evaluated compensated; accepted when every weight stays positive and the
    violation is within ``tol.dual_feas`` (proofs/natural_units.md, "Compensated duals")."""
    supp = np.flatnonzero(fit.c > 0)
    if supp.size == 0:
        return None
    out = refined_stationary_dual(Phi[:, supp], y, lam, np.ones(supp.size), fit.c[supp], DUAL_REFINE_STEPS, tol.rank)
    if out is None or not np.all(out[0] > 0) or not np.all(np.isfinite(out[2])):
        return None
    g_hi, g_lo = dot_transpose(Phi, out[2])
    if float(np.max((g_hi - 1.0) + g_lo)) > tol.dual_feas:
        return None
    c = np.zeros(Phi.shape[1])
    c[supp] = out[0]
    r_hi, r_lo = residual(y, Phi[:, supp], out[0], out[1])
    r = r_hi + r_lo
    return c, out[2], 0.5 * float(r @ r) + lam * float(np.sum(c))


def refine_weights(Phi: np.ndarray, y: np.ndarray, lam: float, c: np.ndarray, tol: Tolerances):
    """The lasso's stationary point on the support of ``c`` refined in double-double: ``(c',
    objective)``, ``c'`` rounded to doubles, or None (refinement failed, a weight not > 0)."""
    supp = np.flatnonzero(c > 0)
    if supp.size == 0:
        return None
    out = refined_stationary_dual(Phi[:, supp], y, lam, np.ones(supp.size), c[supp], DUAL_REFINE_STEPS, tol.rank)
    if out is None or not np.all(out[0] > 0):
        return None
    refined = np.zeros(Phi.shape[1])
    refined[supp] = out[0]
    r = np.add(*residual(y, Phi[:, supp], out[0], out[1]))
    return refined, 0.5 * float(r @ r) + lam * float(np.sum(refined))
