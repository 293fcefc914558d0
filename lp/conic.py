"""A :class:`~relucert.lp.highs.FiniteProgram` solved by clarabel's interior-point
method: the fallback when HiGHS's active-set QP stalls.

Rows and columns with equal lower and upper bounds become a zero cone; every other
finite bound becomes one row of the non-negative cone. The answer goes through the
same primal re-check as a HiGHS answer.
"""
from __future__ import annotations

import time

import clarabel
import numpy as np
import scipy.sparse as sp

from relucert.lp.highs import FiniteProgram, primal_residual
from relucert.results import ProgramResult, Status
from relucert.tolerances import Tolerances, resolve

__all__ = ["solve_program_conic", "status_from_clarabel"]

_STATUS_TABLE = {
    "Solved": Status.OPTIMAL,
    "AlmostSolved": Status.INACCURATE,
    "PrimalInfeasible": Status.INFEASIBLE,
    "AlmostPrimalInfeasible": Status.INFEASIBLE,
    "DualInfeasible": Status.UNBOUNDED,
    "AlmostDualInfeasible": Status.UNBOUNDED,
    "MaxIterations": Status.LIMIT,
    "MaxTime": Status.LIMIT,
}


def status_from_clarabel(status) -> Status:
    """Our status for a clarabel status (explicit fallback: ERROR).

    Parameters
    ----------
    status : clarabel.SolverStatus or str
        The status clarabel reports; only the text after the last ``.`` is used.

    Returns
    -------
    Status
        Its entry in the module's status table, or ``Status.ERROR`` when it has none.

    Examples
    --------
    >>> status_from_clarabel("SolverStatus.AlmostSolved").name
    'INACCURATE'
    >>> status_from_clarabel("NumericalError").name
    'ERROR'
    """
    return _STATUS_TABLE.get(str(status).split(".")[-1], Status.ERROR)


def _constraint_rows(M, lower, upper):
    """Rows of ``A x + s = b`` for ``lower <= M x <= upper``: (zero part, nonneg part)."""
    lower = np.asarray(lower, float)
    upper = np.asarray(upper, float)
    eq = np.isfinite(lower) & (lower == upper)
    lo = np.isfinite(lower) & ~eq
    up = np.isfinite(upper) & ~eq
    M = sp.csr_matrix(M)
    zero = (M[eq], upper[eq])
    nonneg = (sp.vstack([-M[lo], M[up]]), np.concatenate([-lower[lo], upper[up]]))
    return zero, nonneg


def solve_program_conic(program: FiniteProgram, *, tol: Tolerances | None = None,
                        time_limit: float | None = None) -> ProgramResult:
    """Solve a convex LP/QP ``program`` with clarabel; statuses through clarabel's table.

    Parameters
    ----------
    program : FiniteProgram
        The LP or QP (``H`` positive semidefinite).
    tol : Tolerances, optional
        Tolerances (``tol.conic`` for clarabel, ``tol.primal_feas`` for the re-check);
        the defaults when ``None``.
    time_limit : float, optional
        Seconds allowed to clarabel; no limit when ``None``.

    Returns
    -------
    ProgramResult
        Status, solution ``x`` (n_cols,) and the primal residual; no duals. A failed
        primal re-check gives ``Status.INACCURATE``.

    Examples
    --------
    ``min 0.5 x^2 - x`` over ``x >= 0``: x = 1.

    >>> prog = FiniteProgram(c=np.array([-1.0]), A=sp.csc_matrix((0, 1)), row_lower=np.zeros(0),
    ...                      row_upper=np.zeros(0), col_lower=np.zeros(1), col_upper=np.array([np.inf]),
    ...                      H=sp.csc_matrix(np.ones((1, 1))))
    >>> round(float(solve_program_conic(prog).x[0]), 6)
    1.0
    """
    tol = resolve(tol)
    start = time.perf_counter()
    n = program.n_cols
    sense = -1.0 if program.maximize else 1.0
    (Az, bz), (An, bn) = _constraint_rows(program.A, program.row_lower, program.row_upper)
    (Cz, cz), (Cn, cn) = _constraint_rows(sp.identity(n, format="csr"), program.col_lower, program.col_upper)
    A = sp.vstack([Az, Cz, An, Cn], format="csc")
    b = np.concatenate([bz, cz, bn, cn])
    cones = []
    if Az.shape[0] + Cz.shape[0]:
        cones.append(clarabel.ZeroConeT(Az.shape[0] + Cz.shape[0]))
    if An.shape[0] + Cn.shape[0]:
        cones.append(clarabel.NonnegativeConeT(An.shape[0] + Cn.shape[0]))
    P = sp.csc_matrix((n, n)) if program.H is None else sp.triu(sp.csc_matrix(program.H) * sense, format="csc")
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = tol.conic
    settings.tol_feas = settings.tol_ktratio = tol.conic
    if time_limit is not None:
        settings.time_limit = float(time_limit)
    sol = clarabel.DefaultSolver(P, sense * np.asarray(program.c, float), A, b, cones, settings).solve()
    status = status_from_clarabel(sol.status)
    backend = str(sol.status).split(".")[-1]
    wall = time.perf_counter() - start
    if status is not Status.OPTIMAL:
        return ProgramResult(status, f"clarabel: {backend}", backend, None, None, None, None, {},
                             int(sol.iterations), wall, tol)
    x = np.asarray(sol.x, float)
    primal = primal_residual(program, x)
    scale = max(1.0, float(np.max(np.abs(x), initial=0.0)))
    ok = primal <= tol.primal_feas * scale
    objective = float(program.c @ x + (0.0 if program.H is None else 0.5 * x @ (program.H @ x)))
    return ProgramResult(Status.OPTIMAL if ok else Status.INACCURATE,
                         "optimal (clarabel)" if ok else f"re-check failed: primal residual {primal:.3e}",
                         backend, objective, x, None, None, {"primal": primal}, int(sol.iterations), wall, tol)
