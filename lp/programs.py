"""The finite programs over a fixed set of signed columns, on HiGHS.

Both programs take a dense column matrix ``Phi`` (n, K) whose columns are already
signed (column ``k`` is ``s_k phi_k``) and look for non-negative weights ``c``:

* :func:`lasso_qp` -- ``min 0.5 ||Phi c - y||^2 + lam sum(c)``, ``c >= 0``.
  Written with a residual block ``r = Phi c - y`` so that the Hessian is the identity
  on ``r`` only (tiny and diagonal, whatever ``K`` is).
* :func:`basis_pursuit_lp` -- ``min sum(c)`` s.t. ``Phi c = y``, ``c >= 0``.

Each comes as a CVXPY-style pair ``build_*(...) -> (FiniteProgram, inverse_data)``
and ``recover_*(ProgramResult, inverse_data) -> FiniteSolution``. Any status other
than optimal (after our own residual re-check) raises
:class:`~relucert.errors.SolverError` naming the status. This module knows nothing
about networks: ``Phi`` is just a matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from relucert.errors import SolverError
from relucert.lp.highs import FiniteProgram, solve_program
from relucert.results import ProgramResult, Status
from relucert.tolerances import Tolerances, resolve

#: Seconds before a lasso QP is retried with HiGHS's fallback regularisation.
_FIRST_TRY_SECONDS = 10.0
#: HiGHS QP iterations allowed per variable (plus a floor) before a lasso QP counts as
#: stalled: the active-set QP can cycle (measured: 150,000 iterations in 5 s on a
#: 142-variable lasso at lam = 1e-3), while healthy solves here take a few per variable.
_QP_ITERS_PER_VAR = 20
_QP_ITERS_FLOOR = 1000
#: Rounds of the active-set refinement after HiGHS.
_ACTIVE_SET_ROUNDS = 25

__all__ = [
    "FiniteSolution",
    "build_lasso_qp", "recover_lasso_qp", "lasso_qp",
    "build_basis_pursuit_lp", "recover_basis_pursuit_lp", "basis_pursuit_lp",
]


@dataclass(frozen=True)
class FiniteSolution:
    """Weights ``c >= 0`` (K,), the dual vector ``p`` (n,), the objective recomputed
    from ``c`` in double precision, and the HiGHS result it came from."""

    c: np.ndarray
    p: np.ndarray
    objective: float
    program: ProgramResult


def _require_optimal(res: ProgramResult, what: str) -> None:
    if res.status is not Status.OPTIMAL:
        raise SolverError(f"{what} ended with status {res.status.value!r} "
                          f"(HiGHS: {res.backend_status}; {res.message})")


# ---------------------------------------------------------------- lasso QP
def build_lasso_qp(Phi: np.ndarray, y: np.ndarray, lam: float):
    """Variables ``x = (c, r)``: ``min lam sum c + 0.5 ||r||^2`` s.t. ``Phi c - r = y``."""
    Phi = np.asarray(Phi, dtype=np.float64)
    n, K = Phi.shape
    A = sp.hstack([sp.csc_matrix(Phi), -sp.identity(n, format="csc")], format="csc")
    c = np.concatenate([np.full(K, float(lam)), np.zeros(n)])
    H = sp.diags(np.concatenate([np.zeros(K), np.ones(n)]), format="csc")
    prog = FiniteProgram(c=c, A=A, row_lower=np.asarray(y, float), row_upper=np.asarray(y, float),
                         col_lower=np.concatenate([np.zeros(K), np.full(n, -np.inf)]),
                         col_upper=np.full(K + n, np.inf), H=H)
    return prog, {"Phi": Phi, "y": np.asarray(y, float), "lam": float(lam), "K": K}


def recover_lasso_qp(res: ProgramResult, inverse_data: dict) -> FiniteSolution:
    _require_optimal(res, "lasso QP")
    K, Phi, y, lam = inverse_data["K"], inverse_data["Phi"], inverse_data["y"], inverse_data["lam"]
    c = _refine_lasso(Phi, y, lam, np.maximum(res.x[:K], 0.0), res.tol)
    resid = y - Phi @ c
    p = resid / lam
    objective = 0.5 * float(resid @ resid) + lam * float(np.sum(c))
    return FiniteSolution(c=c, p=p, objective=objective, program=res)


def _refine_lasso(Phi, y, lam, c, tol):
    """Polish HiGHS's lasso answer by a short primal active-set loop in floats: solve the
    KKT system ``Phi_S^T (y - Phi_S c_S) = lam 1`` on the support ``S``, drop columns that
    turn non-positive, add the column most violating ``Phi^T p <= 1``, repeat.
    Interior/regularised QP answers are only accurate to the backend's tolerances, and
    ``p = (y - Phi c)/lam`` amplifies their error by ``1/lam``. The result is kept only if
    it does not worsen the objective nor the dual feasibility ``max Phi^T p``."""
    scale = max(1.0, float(np.max(c, initial=0.0)))
    S = c > tol.amplitude_zero * scale

    def score(cc):
        r = y - Phi @ cc
        return 0.5 * float(r @ r) + lam * float(cc.sum()), float(np.max(Phi.T @ r / lam, initial=-np.inf))

    best_c, (best_o, best_f) = c, score(c)
    for _ in range(_ACTIVE_SET_ROUNDS):
        if not np.any(S):
            break
        PS = Phi[:, S]
        cs = np.linalg.lstsq(PS.T @ PS, PS.T @ y - lam, rcond=None)[0]
        if np.any(cs <= 0):
            idx = np.flatnonzero(S)
            S[idx[cs <= 0]] = False
            continue
        c2 = np.zeros_like(c)
        c2[S] = cs
        o2, f2 = score(c2)
        if o2 <= best_o + tol.rtol * max(1.0, abs(best_o)) and f2 <= max(best_f, 1.0):
            best_c, best_o, best_f = c2, o2, f2
        g = Phi.T @ (y - Phi @ c2) / lam
        g[S] = -np.inf
        j = int(np.argmax(g))
        if not g[j] > 1.0 + tol.dual_feas:
            break
        S[j] = True
    return best_c


def lasso_qp(Phi: np.ndarray, y: np.ndarray, lam: float, *, tol: Tolerances | None = None,
             time_limit: float | None = None) -> FiniteSolution:
    """Solve ``min 0.5 ||Phi c - y||^2 + lam sum(c)`` over ``c >= 0`` on HiGHS.

    The dual vector is ``p = (y - Phi c) / lam``; optimality means
    ``Phi^T p <= 1`` with equality where ``c > 0``.

    Raises
    ------
    SolverError
        HiGHS did not reach a (re-checked) optimum.

    Examples
    --------
    One column ``(1, 1)``, ``y = (1, 1)``, ``lam = 1``: ``c = 1 - 1/2 = 0.5``.

    >>> round(float(lasso_qp(np.ones((2, 1)), np.ones(2), 1.0).c[0]), 6)
    0.5
    """
    tol = resolve(tol)
    prog, inv = build_lasso_qp(Phi, y, lam)
    if inv["K"] == 0:  # nothing to optimise: c is empty, p = y / lam
        yy = inv["y"]
        empty = ProgramResult(Status.OPTIMAL, "no columns", "empty", 0.5 * float(yy @ yy),
                              np.zeros(0), None, None, {}, 0, 0.0, tol)
        return FiniteSolution(c=np.zeros(0), p=yy / lam, objective=0.5 * float(yy @ yy), program=empty)
    first_limit = _FIRST_TRY_SECONDS if time_limit is None else min(time_limit, _FIRST_TRY_SECONDS)
    iters = _QP_ITERS_FLOOR + _QP_ITERS_PER_VAR * prog.n_cols
    res = solve_program(prog, tol=tol, time_limit=first_limit, iteration_limit=iters)
    if res.status is Status.LIMIT and (time_limit is None or time_limit > first_limit):
        # HiGHS's active-set QP can stall with tiny regularisation: retry with more
        res = solve_program(prog, tol=tol.with_(highs_qp_regularization=tol.highs_qp_regularization_fallback),
                            time_limit=first_limit, iteration_limit=iters)
    if res.status is not Status.OPTIMAL and res.status not in (Status.INFEASIBLE, Status.UNBOUNDED):
        # Still stalled: the same QP by an interior-point method (clarabel); the
        # active-set refinement in recover_lasso_qp then polishes its answer.
        from relucert.lp.conic import solve_program_conic

        res = solve_program_conic(prog, tol=tol, time_limit=time_limit)
    return recover_lasso_qp(res, inv)


# ---------------------------------------------------------------- basis pursuit LP
def build_basis_pursuit_lp(Phi: np.ndarray, y: np.ndarray):
    """``min sum c`` s.t. ``Phi c = y``, ``c >= 0``."""
    Phi = np.asarray(Phi, dtype=np.float64)
    n, K = Phi.shape
    prog = FiniteProgram(c=np.ones(K), A=sp.csc_matrix(Phi), row_lower=np.asarray(y, float),
                         row_upper=np.asarray(y, float), col_lower=np.zeros(K),
                         col_upper=np.full(K, np.inf))
    return prog, {"Phi": Phi, "y": np.asarray(y, float), "K": K}


def recover_basis_pursuit_lp(res: ProgramResult, inverse_data: dict) -> FiniteSolution:
    _require_optimal(res, "basis-pursuit LP")
    c = np.maximum(res.x, 0.0)
    # HiGHS: 1 - Phi^T row_dual - col_dual = 0 with col_dual >= 0, so Phi^T p <= 1.
    p = np.asarray(res.row_dual, dtype=np.float64)
    return FiniteSolution(c=c, p=p, objective=float(np.sum(c)), program=res)


def basis_pursuit_lp(Phi: np.ndarray, y: np.ndarray, *, tol: Tolerances | None = None,
                     time_limit: float | None = None) -> FiniteSolution:
    """Solve ``min sum(c)`` s.t. ``Phi c = y``, ``c >= 0`` on HiGHS.

    The dual vector ``p`` (HiGHS's row duals) satisfies ``Phi^T p <= 1`` with equality
    where ``c > 0``; the dual value is ``<p, y>``.

    Raises
    ------
    SolverError
        Infeasible (``y`` is not in the cone of the columns), or any other
        non-optimal status.

    Examples
    --------
    >>> sol = basis_pursuit_lp(np.array([[1.0, 2.0]]), np.array([2.0]))
    >>> sol.c.tolist(), sol.p.tolist()
    ([0.0, 1.0], [0.5])
    """
    tol = resolve(tol)
    prog, inv = build_basis_pursuit_lp(Phi, y)
    return recover_basis_pursuit_lp(solve_program(prog, tol=tol, time_limit=time_limit), inv)
