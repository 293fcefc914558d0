"""The non-negative lasso through its dual on DAQP, a dual active-set QP solver.

The lasso over signed columns ``Phi`` (n, K),

    min_c  0.5 ||Phi c - y||^2 + lam sum(c)   over  c >= 0,

has, divided by ``lam^2``, the dual

    min_p  0.5 ||p||^2 - <y, p> / lam   subject to   Phi^T p <= 1,

a strictly convex QP with the identity as Hessian and one inequality per column: the
problem DAQP is made for (Arnstrom, Bemporad and Axehill, "A dual active-set solver for
embedded quadratic programming using recursive LDL^T updates", IEEE TAC 67, 2022). Its
KKT conditions, ``p = y/lam - Phi nu`` with multipliers ``nu >= 0`` and
``nu_k (1 - phi_k^T p) = 0``, are the lasso's with ``c = lam nu`` and ``p = (y - Phi c)/lam``:
the multipliers are the weights. A warm start marks the constraints of its support active
(DAQP's ``sense`` 1); DAQP removes the ones that do not belong.

Every answer is re-checked here from ``c`` alone, as the exchange uses it: ``r = y - Phi c``
compensated (:mod:`relucert.lp.compensated`), then ``g = Phi^T r / lam`` in floats with a
rounding bound, and compensated where the bound does not decide. The answer is OPTIMAL only
when ``max_k g_k - 1`` (dual feasibility) and ``max over c_k > 0 of |g_k - 1|``
(complementarity; the finite QP's duality gap is ``lam sum_k c_k (1 - g_k)``) are both at
most ``tol.dual_feas``; otherwise INACCURATE with both numbers, and the caller finishes it
with the active-set method (:mod:`relucert.lp.active_set`).

DAQP is an optional dependency (``pip install relucert[qp]``); :func:`available` says
whether it imports. This module knows nothing about networks: ``Phi`` is a matrix.
"""
from __future__ import annotations

import time
from enum import Enum

import numpy as np

from relucert.lp.compensated import dot_transpose, residual
from relucert.results import ProgramResult, Status
from relucert.tolerances import DAQP_NO_LOWER_BOUND, DAQP_PRIMAL_TOL_SHARE, Tolerances, resolve

__all__ = ["QPBackend", "available", "uses_daqp", "lasso_daqp", "status_from_daqp", "lasso_kkt_residuals",
           "weights_dual"]

# One table maps DAQP's exit flags (daqp's api.h: EXIT_*) to ours; anything else is ERROR.
_STATUS_TABLE = {
    1: Status.OPTIMAL,          # EXIT_OPTIMAL
    2: Status.INACCURATE,       # EXIT_SOFT_OPTIMAL (no soft constraints are posed)
    -1: Status.INFEASIBLE,      # EXIT_INFEASIBLE (p = 0 is feasible: cannot happen)
    -2: Status.ERROR,           # EXIT_CYCLE
    -3: Status.UNBOUNDED,       # EXIT_UNBOUNDED (identity Hessian: cannot happen)
    -4: Status.LIMIT,           # EXIT_ITERLIMIT
    -5: Status.ERROR,           # EXIT_NONCONVEX
    -6: Status.ERROR,           # EXIT_OVERDETERMINED_INITIAL (the warm start's active set)
    -7: Status.LIMIT,           # EXIT_TIMELIMIT
}
_FLAG_NAMES = {1: "optimal", 2: "soft optimal", -1: "infeasible", -2: "cycling", -3: "unbounded",
               -4: "iteration limit", -5: "nonconvex", -6: "overdetermined initial active set",
               -7: "time limit"}


def available() -> bool:
    """Whether the optional DAQP backend imports (``pip install relucert[qp]``).

    >>> isinstance(available(), bool)
    True
    """
    try:
        import daqp  # noqa: F401
    except ImportError:
        return False
    return True


def status_from_daqp(exitflag: int) -> Status:
    """Our status for a DAQP exit flag (explicit fallback: ERROR).

    Parameters
    ----------
    exitflag : int
        The flag ``daqp.solve`` returns.

    Returns
    -------
    Status
        Its entry in the module's status table, or ``Status.ERROR`` when it has none.

    Examples
    --------
    >>> status_from_daqp(1).name, status_from_daqp(-4).name, status_from_daqp(99).name
    ('OPTIMAL', 'LIMIT', 'ERROR')
    """
    return _STATUS_TABLE.get(int(exitflag), Status.ERROR)


def lasso_kkt_residuals(Phi: np.ndarray, y: np.ndarray, lam: float, c: np.ndarray) -> tuple[float, float]:
    """KKT residuals of weights ``c >= 0`` for the non-negative lasso, from ``c`` alone.

    With ``g = Phi^T (y - Phi c) / lam``: ``(max_k g_k - 1, max over c_k > 0 of |g_k - 1|)``,
    dual infeasibility and complementarity. ``r = y - Phi c`` is formed compensated; ``g``
    in floats, then again compensated (double-double) on the support and on every column the
    float rounding bound ``(n + 3) eps ||phi_k|| ||r|| / lam`` does not place below 1. A
    positive violation and the complementarity are then accurate to about ``eps`` of the
    terms, far below ``tol.dual_feas``; a column left in floats certainly has ``g_k < 1``.

    Parameters
    ----------
    Phi : array_like, shape (n, K)
    y : array_like, shape (n,)
    lam : float
    c : array_like, shape (K,)
        Non-negative weights.

    Returns
    -------
    (float, float)
        Dual violation (``<= 0`` when ``Phi^T p <= 1``) and complementarity residual.

    Examples
    --------
    One column ``(1, 1)``, ``y = (1, 1)``, ``lam = 1``: ``c = 0.5`` is optimal.

    >>> lasso_kkt_residuals(np.ones((2, 1)), np.ones(2), 1.0, np.array([0.5]))
    (0.0, 0.0)
    """
    Phi = np.asarray(Phi, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    n, K = Phi.shape
    if K == 0:
        return -1.0, 0.0
    supp = np.flatnonzero(c > 0)
    r_hi, r_lo = residual(y, Phi[:, supp], c[supp])
    # one float product; |fl(phi_k^T r) - phi_k^T r| <= (n + 3) eps ||phi_k|| ||r|| (the dot
    # product's gamma_n, the rounding of r_hi + r_lo, Cauchy-Schwarz), without forming |Phi|
    g = (Phi.T @ (r_hi + r_lo)) / lam
    norms = np.sqrt(np.einsum("ij,ij->j", Phi, Phi))
    bound = (n + 3) * np.finfo(float).eps * norms * (float(np.linalg.norm(r_hi)) + float(np.linalg.norm(r_lo))) / lam
    near = g + bound >= 1.0   # the others certainly have g_k < 1: they do not violate
    near[supp] = True
    cols = np.flatnonzero(near)
    if cols.size:
        h, lo = dot_transpose(Phi[:, cols], r_hi, r_lo)
        g[cols] = h / lam + lo / lam
    viol = float(np.max(g)) - 1.0
    comp = float(np.max(np.abs(g[supp] - 1.0))) if supp.size else 0.0
    return viol, comp


def lasso_daqp(Phi: np.ndarray, y: np.ndarray, lam: float, *, tol: Tolerances | None = None,
               warm_start: np.ndarray | None = None, iteration_limit: int | None = None,
               time_limit: float | None = None) -> ProgramResult:
    """Solve the non-negative lasso's dual on DAQP; the weights are its multipliers.

    Parameters
    ----------
    Phi : array_like, shape (n, K)
        Signed columns.
    y : array_like, shape (n,)
        Targets.
    lam : float
        Regularisation weight, ``> 0``.
    tol : Tolerances, optional
        ``tol.dual_feas`` for the re-check (DAQP's own primal tolerance is
        ``DAQP_PRIMAL_TOL_SHARE`` of it); the defaults when ``None``.
    warm_start : array_like, shape (K,), optional
        Weights ``>= 0``: their support is DAQP's initial active set. A start DAQP rejects
        (flag -6, dependent columns) is retried cold.
    iteration_limit : int, optional
        DAQP iterations (one constraint added or removed each); DAQP's default when None.
    time_limit : float, optional
        Seconds allowed to DAQP; no limit when ``None``.

    Returns
    -------
    ProgramResult
        ``x`` the weights ``c`` (K,) when DAQP returned a point (whatever the status),
        ``max_residuals`` the re-check's ``dual`` and ``complementarity``; OPTIMAL only when
        DAQP says optimal and both are within ``tol.dual_feas``, INACCURATE when the
        re-check fails.

    Raises
    ------
    ImportError
        DAQP is not installed (see :func:`available`).

    Examples
    --------
    One column ``(1, 1)``, ``y = (1, 1)``, ``lam = 1``: ``c = 0.5`` (DAQP is optional: ``relucert[qp]``).

    >>> res = lasso_daqp(np.ones((2, 1)), np.ones(2), 1.0) if available() else None
    >>> ("OPTIMAL", 0.5) if res is None else (res.status.name, round(float(res.x[0]), 12))
    ('OPTIMAL', 0.5)
    """
    import daqp

    tol = resolve(tol)
    t0 = time.perf_counter()
    Phi = np.asarray(Phi, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, K = Phi.shape
    A = np.ascontiguousarray(Phi.T)
    settings = {"primal_tol": DAQP_PRIMAL_TOL_SHARE * tol.dual_feas, "eps_prox": 0.0}
    if iteration_limit is not None:
        settings["iter_limit"] = int(iteration_limit)
    if time_limit is not None:
        settings["time_limit"] = float(time_limit)
    upper, lower = np.ones(K), np.full(K, -DAQP_NO_LOWER_BOUND)
    starts = []
    if warm_start is not None and np.any(np.asarray(warm_start) > 0):
        starts.append((np.asarray(warm_start) > 0).astype(np.int32))
    starts.append(np.zeros(K, dtype=np.int32))
    for sense in starts:
        _, _, flag, info = daqp.solve(np.eye(n), -y / lam, A, upper, lower, sense, **settings)
        if flag != -6:
            break
    status = status_from_daqp(flag)
    name = _FLAG_NAMES.get(int(flag), f"exit flag {flag}")
    nu = np.asarray(info.get("lam", np.zeros(0)), dtype=np.float64).reshape(-1)
    iters = int(info.get("iterations", 0))
    if nu.size != K or not np.all(np.isfinite(nu)):
        return ProgramResult(Status.ERROR if status is Status.OPTIMAL else status, f"DAQP: {name}, no multipliers",
                             f"daqp {name}", None, None, None, None, {}, iters, time.perf_counter() - t0, tol)
    c = np.maximum(lam * nu, 0.0)
    viol, comp = lasso_kkt_residuals(Phi, y, lam, c)
    resid = y - Phi @ c
    objective = 0.5 * float(resid @ resid) + lam * float(np.sum(c))
    ok = max(viol, comp) <= tol.dual_feas
    if status is Status.OPTIMAL and not ok:
        status = Status.INACCURATE
    message = ("optimal (DAQP)" if status is Status.OPTIMAL else
               f"DAQP: {name}; re-check max Phi^T p - 1 = {viol:.3e}, complementarity {comp:.3e} "
               f"(tol.dual_feas = {tol.dual_feas:g})")
    return ProgramResult(status, message, f"daqp {name}", objective, c, None, None,
                         {"dual": viol, "complementarity": comp}, iters, time.perf_counter() - t0, tol)


class QPBackend(str, Enum):
    """Who solves the finite lasso first (:func:`relucert.lp.programs.lasso_qp`).

    ``ACTIVE_SET`` (the default): the hand-written active-set method
    (:mod:`relucert.lp.active_set`) from the warm start, then HiGHS (then clarabel) when it
    does not converge. ``DAQP``: DAQP first (ImportError without it); an answer that fails
    the re-check goes down the active-set path. benchmarks/RESULTS.md ("QP backends") has
    the weighing that keeps the active set as the default: DAQP's set-up factorises the
    ``n x n`` Hessian and forms ``Phi^T R^-1`` (``O(K n^2)``) on every call, which costs more
    than the warm-started active set at n = 1000, and it cycles on nearly dependent columns.
    """

    ACTIVE_SET = "active-set"
    DAQP = "daqp"


def uses_daqp(backend: str | QPBackend) -> bool:
    """Whether ``backend`` (a :class:`QPBackend` or its value) starts with DAQP.

    Raises
    ------
    ValueError
        Unknown backend (the message lists the known ones).
    ImportError
        ``"daqp"`` was asked for and DAQP does not import.

    Examples
    --------
    >>> uses_daqp("active-set")
    False
    """
    try:
        choice = QPBackend(backend)
    except ValueError:
        raise ValueError(f"qp_backend must be one of {[b.value for b in QPBackend]}; got {backend!r}") from None
    if choice is QPBackend.DAQP and not available():
        raise ImportError("qp_backend='daqp' needs the daqp package: pip install relucert[qp]")
    return choice is QPBackend.DAQP


def weights_dual(Phi: np.ndarray, y: np.ndarray, lam: float, c: np.ndarray) -> np.ndarray:
    """``p = (y - Phi c) / lam`` with the residual compensated (rounded once at the end).

    >>> weights_dual(np.ones((2, 1)), np.ones(2), 2.0, np.array([0.5])).tolist()
    [0.25, 0.25]
    """
    supp = np.flatnonzero(np.asarray(c) > 0)
    r_hi, r_lo = residual(np.asarray(y, float), np.asarray(Phi, float)[:, supp], np.asarray(c, float)[supp])
    return (r_hi + r_lo) / lam
