"""LP and convex QP on HiGHS (through highspy), with one status table and our own
residual re-check after every solve.

The program is ``min c^T x + 1/2 x^T H x`` subject to ``row_lower <= A x <= row_upper``
and ``col_lower <= x <= col_upper``; ``H`` (optional) is symmetric positive
semidefinite. Infinite bounds may be given as ``numpy.inf``: they are translated to
HiGHS's own infinity here and nowhere else.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from relucert.results import ProgramResult, Status
from relucert.tolerances import Tolerances, resolve

__all__ = ["FiniteProgram", "solve_program", "solve_objectives", "primal_residual", "status_from_highs",
           "HIGHS_INF"]

HIGHS_INF = highspy.kHighsInf

_MS = highspy.HighsModelStatus
# One table maps HiGHS's model statuses to ours; anything else falls back to ERROR.
_STATUS_TABLE = {
    _MS.kOptimal: Status.OPTIMAL,
    _MS.kInfeasible: Status.INFEASIBLE,
    _MS.kUnbounded: Status.UNBOUNDED,
    _MS.kUnboundedOrInfeasible: Status.INFEASIBLE,
    _MS.kTimeLimit: Status.LIMIT,
    _MS.kIterationLimit: Status.LIMIT,
    _MS.kSolutionLimit: Status.LIMIT,
    _MS.kMemoryLimit: Status.LIMIT,
    _MS.kObjectiveBound: Status.LIMIT,
    _MS.kObjectiveTarget: Status.LIMIT,
    _MS.kModelEmpty: Status.OPTIMAL,
}


_BANNER_SHOWN = False


def _new_highs() -> "highspy.Highs":
    """A silent Highs instance. HiGHS prints its banner on standard output once per
    process when the first instance is built; that would corrupt ``--json -`` output, so
    the first construction sends file descriptor 1 to standard error."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        import os
        import sys

        sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no real stdout (embedded interpreters): nothing to protect
            saved = None
        try:
            if saved is not None:
                os.dup2(2, 1)
            h = highspy.Highs()
        finally:
            if saved is not None:
                os.dup2(saved, 1)
                os.close(saved)
            _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def status_from_highs(model_status) -> Status:
    """Our status for a HiGHS model status (explicit fallback: ERROR).

    Parameters
    ----------
    model_status : highspy.HighsModelStatus
        The status HiGHS reports after ``run()``.

    Returns
    -------
    Status
        Its entry in the module's status table, or ``Status.ERROR`` when it has none.

    Examples
    --------
    >>> status_from_highs(highspy.HighsModelStatus.kOptimal).name
    'OPTIMAL'
    >>> status_from_highs(highspy.HighsModelStatus.kSolveError).name
    'ERROR'
    """
    return _STATUS_TABLE.get(model_status, Status.ERROR)


@dataclass(frozen=True)
class FiniteProgram:
    """A finite LP/QP in HiGHS's form (see the module docstring).

    Attributes
    ----------
    c : np.ndarray, shape (n_cols,)
        Linear cost.
    A : scipy.sparse.csc_matrix, shape (n_rows, n_cols)
        Constraint matrix.
    row_lower, row_upper : np.ndarray, shape (n_rows,)
        Bounds on ``A x``; ``numpy.inf`` with a sign for none.
    col_lower, col_upper : np.ndarray, shape (n_cols,)
        Bounds on ``x``; ``numpy.inf`` with a sign for none.
    H : scipy.sparse.csc_matrix, shape (n_cols, n_cols), optional
        Symmetric positive semidefinite Hessian; ``None`` for an LP.
    maximize : bool
        Maximise instead of minimise.
    """

    c: np.ndarray
    A: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    H: sp.csc_matrix | None = None
    maximize: bool = False

    @property
    def n_cols(self) -> int:
        """Number of variables (columns), ``len(c)``."""
        return int(self.c.shape[0])

    @property
    def n_rows(self) -> int:
        """Number of constraint rows, ``A.shape[0]``."""
        return int(self.A.shape[0])


def _hinf(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64).copy()
    a[a == np.inf] = HIGHS_INF
    a[a == -np.inf] = -HIGHS_INF
    return a


def solve_program(program: FiniteProgram, *, tol: Tolerances | None = None,
                  time_limit: float | None = None, iteration_limit: int | None = None) -> ProgramResult:
    """Solve ``program`` on HiGHS and re-check the answer ourselves.

    ``iteration_limit`` bounds simplex and QP iterations (HiGHS's active-set QP can
    cycle; a deterministic bound turns that into a LIMIT status).

    Statuses other than optimal are statuses, not exceptions (callers that need an
    optimum raise :class:`~relucert.errors.SolverError`).

    Parameters
    ----------
    program : FiniteProgram
        The LP or QP.
    tol : Tolerances, optional
        Tolerances (HiGHS's own and the re-check's); the defaults when ``None``.
    time_limit : float, optional
        Seconds allowed to HiGHS; no limit when ``None``.
    iteration_limit : int, optional
        Bound on simplex and QP iterations; none when ``None``.

    Returns
    -------
    ProgramResult
        Status, solution ``x`` (n_cols,), row duals (n_rows,), column duals (n_cols,)
        and the re-check's residuals; a failed re-check gives ``Status.INACCURATE``.
    """
    tol = resolve(tol)
    start = time.perf_counter()
    h, A = _load(program, tol, time_limit, iteration_limit)
    h.run()
    return _result(h, program, A, tol, start)


def solve_objectives(program: FiniteProgram, objectives, maximize, *, tol: Tolerances | None = None):
    """Solve ``program`` once per objective (rows of ``objectives``, senses ``maximize``) on
    ONE HiGHS instance: only the costs change between solves, so each solve starts from
    the previous optimal basis (a few pivots instead of a cold start). Every answer gets
    the same re-check as :func:`solve_program`.

    Parameters
    ----------
    program : FiniteProgram
        The constraints (its own ``c`` and ``maximize`` are replaced per solve).
    objectives : array_like, shape (m, n_cols) or (n_cols,)
        One cost vector per row.
    maximize : iterable of bool, length m
        Sense of each solve.
    tol : Tolerances, optional
        Tolerances; the defaults when ``None``.

    Returns
    -------
    list of ProgramResult
        One re-checked result per objective, in order.
    """
    tol = resolve(tol)
    h, A = _load(program, tol, None, None)
    idx = np.arange(program.n_cols, dtype=np.int32)
    out = []
    for c, mx in zip(np.atleast_2d(np.asarray(objectives, dtype=np.float64)), maximize):
        start = time.perf_counter()
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if mx else highspy.ObjSense.kMinimize)
        h.changeColsCost(program.n_cols, idx, np.ascontiguousarray(c))
        h.run()
        out.append(_result(h, FiniteProgram(c=c, A=program.A, row_lower=program.row_lower,
                                            row_upper=program.row_upper, col_lower=program.col_lower,
                                            col_upper=program.col_upper, H=program.H, maximize=bool(mx)),
                           A, tol, start))
    return out


def _load(program: FiniteProgram, tol: Tolerances, time_limit, iteration_limit):
    """A silent HiGHS instance holding ``program`` (and the sorted CSC matrix)."""
    A = sp.csc_matrix(program.A, dtype=np.float64)
    A.sort_indices()
    n, m = program.n_cols, program.n_rows

    h = _new_highs()
    h.setOptionValue("primal_feasibility_tolerance", tol.highs_feas)
    h.setOptionValue("dual_feasibility_tolerance", tol.highs_feas)
    h.setOptionValue("optimality_tolerance", tol.highs_feas)
    if program.H is not None:
        h.setOptionValue("qp_regularization_value", tol.highs_qp_regularization)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if iteration_limit is not None:
        h.setOptionValue("qp_iteration_limit", int(iteration_limit))
        h.setOptionValue("simplex_iteration_limit", int(iteration_limit))

    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.asarray(program.c, dtype=np.float64)
    lp.col_lower_ = _hinf(program.col_lower)
    lp.col_upper_ = _hinf(program.col_upper)
    lp.row_lower_ = _hinf(program.row_lower)
    lp.row_upper_ = _hinf(program.row_upper)
    lp.sense_ = highspy.ObjSense.kMaximize if program.maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    model = highspy.HighsModel()
    model.lp_ = lp
    if program.H is not None:
        # HiGHS takes the lower triangle, column-wise.
        L = sp.tril(sp.csc_matrix(program.H, dtype=np.float64), format="csc")
        L.sort_indices()
        hess = highspy.HighsHessian()
        hess.dim_ = n
        hess.format_ = highspy.HessianFormat.kTriangular
        hess.start_ = L.indptr.astype(np.int32)
        hess.index_ = L.indices.astype(np.int32)
        hess.value_ = L.data
        model.hessian_ = hess
    h.passModel(model)
    return h, A


def _result(h, program: FiniteProgram, A, tol: Tolerances, start: float) -> ProgramResult:
    """The re-checked result of the last ``h.run()``."""
    n = program.n_cols
    ms = h.getModelStatus()
    status = status_from_highs(ms)
    backend = h.modelStatusToString(ms)
    info = h.getInfo()
    n_iter = int(max(info.simplex_iteration_count, 0) + max(info.ipm_iteration_count, 0)
                 + max(getattr(info, "qp_iteration_count", 0), 0))
    if status is not Status.OPTIMAL or n == 0:
        return ProgramResult(status, f"HiGHS: {backend}", backend, None, None, None, None, {},
                             n_iter, time.perf_counter() - start, tol)
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=np.float64)
    row_dual = np.asarray(sol.row_dual, dtype=np.float64)
    col_dual = np.asarray(sol.col_dual, dtype=np.float64)
    residuals = _residuals(program, A, x, row_dual, col_dual)
    scale = max(1.0, float(np.max(np.abs(x), initial=0.0)))
    residuals["dual_sign"] = _dual_sign_violation(program, A, x, row_dual, col_dual, tol.primal_feas * scale)
    dscale = max(1.0, float(np.max(np.abs(program.c), initial=0.0)))
    ok_primal = residuals["primal"] <= tol.primal_feas * scale
    ok = ok_primal and residuals["dual_sign"] <= tol.dual_feas * dscale
    message = ("optimal" if ok else
               f"re-check failed: primal residual {residuals['primal']:.3e}" if not ok_primal else
               f"re-check failed: dual infeasibility {residuals['dual_sign']:.3e}")
    objective = float(info.objective_function_value)
    return ProgramResult(Status.OPTIMAL if ok else Status.INACCURATE, message, backend, objective,
                         x, row_dual, col_dual, residuals, n_iter,
                         time.perf_counter() - start, tol)


def primal_residual(program: FiniteProgram, x: np.ndarray) -> float:
    """Largest violation of ``program``'s row and column bounds at ``x``.

    Parameters
    ----------
    program : FiniteProgram
        The program whose bounds are checked.
    x : np.ndarray, shape (n_cols,)
        A point.

    Returns
    -------
    float
        ``max`` over rows and columns of the distance to their bounds; 0 when feasible.

    Examples
    --------
    >>> prog = FiniteProgram(c=np.ones(1), A=sp.csc_matrix(np.ones((1, 1))),
    ...                      row_lower=np.ones(1), row_upper=np.ones(1),
    ...                      col_lower=np.zeros(1), col_upper=np.full(1, np.inf))
    >>> primal_residual(prog, np.array([3.0]))
    2.0
    """
    act = program.A @ x
    viol = [np.maximum(program.row_lower - act, 0.0), np.maximum(act - program.row_upper, 0.0),
            np.maximum(program.col_lower - x, 0.0), np.maximum(x - program.col_upper, 0.0)]
    return max((float(np.max(v, initial=0.0)) for v in viol), default=0.0)


def _dual_sign_violation(program: FiniteProgram, A, x, row_dual, col_dual, active: float) -> float:
    """Largest violation of the duals' sign conditions (HiGHS's convention, for a
    minimisation: a dual is >= 0 at a lower bound, <= 0 at an upper bound, 0 between).
    HiGHS's QP can declare "optimal" with such violations (a few millionths)."""
    sense = -1.0 if program.maximize else 1.0
    worst = 0.0
    for val, lo, up, dual in ((x, program.col_lower, program.col_upper, col_dual),
                              (A @ x, program.row_lower, program.row_upper, row_dual)):
        dual = sense * np.asarray(dual, dtype=np.float64)
        at_lo = val <= np.asarray(lo, dtype=np.float64) + active
        at_up = val >= np.asarray(up, dtype=np.float64) - active
        viol = np.where(at_lo & at_up, 0.0,
                        np.where(at_lo, np.maximum(-dual, 0.0),
                                 np.where(at_up, np.maximum(dual, 0.0), np.abs(dual))))
        worst = max(worst, float(np.max(viol, initial=0.0)))
    return worst


def _residuals(program: FiniteProgram, A, x, row_dual, col_dual) -> dict:
    primal = primal_residual(program, x)
    grad = np.asarray(program.c, dtype=np.float64).copy()
    if program.H is not None:
        grad = grad + program.H @ x
    stat = grad - A.T @ row_dual - col_dual
    dual = float(np.max(np.abs(stat), initial=0.0))
    return {"primal": primal, "dual": dual}
