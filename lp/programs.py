"""The finite programs over a fixed set of signed columns.

Both programs take a dense column matrix ``Phi`` (n, K) whose columns are already
signed (column ``k`` is ``s_k phi_k``) and look for non-negative weights ``c``:

* :func:`lasso_qp` -- ``min 0.5 ||Phi c - y||^2 + lam sum(c)``, ``c >= 0`` (for HiGHS with a
  residual block ``r = Phi c - y``: the Hessian is the identity on ``r`` only).
* :func:`basis_pursuit_lp` -- ``min sum(c)`` s.t. ``Phi c = y``, ``c >= 0`` (in
  :mod:`relucert.lp.basis_pursuit`, re-exported here).

Each comes as a CVXPY-style pair ``build_*(...) -> (FiniteProgram, inverse_data)`` and
``recover_*(ProgramResult, inverse_data) -> FiniteSolution``. Any status other than optimal
(after our own re-check) raises :class:`~relucert.errors.SolverError` naming the status.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from relucert.errors import SolverError
from relucert.lp.active_set import nonneg_lasso_active_set, refine_weights, refined_finish
from relucert.lp.basis_pursuit import basis_pursuit_lp, build_basis_pursuit_lp, recover_basis_pursuit_lp
from relucert.lp.daqp_lasso import QPBackend, lasso_daqp, lasso_kkt_residuals, uses_daqp, weights_dual
from relucert.lp.finite_solution import FiniteSolution, require_optimal
from relucert.lp.highs import FiniteProgram, solve_program
from relucert.results import ProgramResult, Status
from relucert.tolerances import PRECISION_FLOOR_MARGIN, QP_ITERATIONS_FLOOR, QP_ITERATIONS_PER_VARIABLE, Tolerances, resolve

__all__ = ["FiniteSolution", "QPBackend", "build_lasso_qp", "recover_lasso_qp", "lasso_qp", "qp_iteration_budget",
           "build_basis_pursuit_lp", "recover_basis_pursuit_lp", "basis_pursuit_lp"]


def qp_iteration_budget(n_variables: int) -> int:
    """HiGHS QP iterations allowed before a lasso QP counts as stalled.

    Parameters
    ----------
    n_variables : int
        Columns of the QP (weights and residuals).

    Returns
    -------
    int
        ``QP_ITERATIONS_FLOOR + QP_ITERATIONS_PER_VARIABLE * n_variables``
        (relucert/tolerances/): a size budget, the same on every machine.
    """
    return QP_ITERATIONS_FLOOR + QP_ITERATIONS_PER_VARIABLE * int(n_variables)


def build_lasso_qp(Phi: np.ndarray, y: np.ndarray, lam: float):
    """Variables ``x = (c, r)``: ``min lam sum c + 0.5 ||r||^2`` s.t. ``Phi c - r = y``.

    Parameters
    ----------
    Phi : array_like, shape (n, K)
        Signed columns (column ``k`` is ``s_k phi_k``).
    y : array_like, shape (n,)
        Targets.
    lam : float
        Regularisation weight, ``> 0``.

    Returns
    -------
    prog : FiniteProgram
        The QP on ``K + n`` columns (weights, then residuals) and ``n`` equality rows.
    inverse_data : dict
        What :func:`recover_lasso_qp` needs: ``Phi``, ``y``, ``lam`` and ``K``.

    Examples
    --------
    >>> prog, inv = build_lasso_qp(np.ones((2, 3)), np.zeros(2), 1.0)
    >>> prog.n_cols, prog.n_rows, inv["K"]
    (5, 2, 3)
    """
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
    """The lasso answer from a solver's result: its weights are only a warm start for
    the active-set method (:mod:`relucert.lp.active_set`), whose answer is optimal on the
    columns to ``tol.dual_feas`` or raises :class:`~relucert.errors.SolverError`.
    Interior/regularised QP answers are only accurate to the backend's tolerances, and
    ``p = (y - Phi c)/lam`` amplifies their error by ``1/lam``.

    Parameters
    ----------
    res : ProgramResult
        The backend's result for the program of :func:`build_lasso_qp`.
    inverse_data : dict
        The second value returned by :func:`build_lasso_qp`.

    Returns
    -------
    FiniteSolution
        Weights ``c`` (K,), dual vector ``p = (y - Phi c)/lam`` (n,) and objective.

    Raises
    ------
    SolverError
        ``res`` is not optimal, carries no usable solution, or the active-set method
        does not converge from it.
    """
    require_optimal(res, "lasso QP")
    return _finish_lasso(res, inverse_data)


def _phi_p_floor(Phi: np.ndarray, y: np.ndarray, lam: float) -> float:
    """Rounding ``p = (y - Phi c)/lam`` moves ``phi_k^T p`` by up to ``eps |y| |phi_k| / lam``."""
    return float(np.finfo(float).eps * np.linalg.norm(y) * np.max(np.linalg.norm(Phi, axis=0)) / lam)


def _at_floor(fit, floor: float) -> bool:
    """The active set stopped with its violation within ``PRECISION_FLOOR_MARGIN`` floors."""
    return bool(fit.max_violation <= PRECISION_FLOOR_MARGIN * floor)


def _finish_lasso(res: ProgramResult, inverse_data: dict) -> FiniteSolution:
    K, Phi, y, lam = inverse_data["K"], inverse_data["Phi"], inverse_data["y"], inverse_data["lam"]
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64).reshape(-1)
    if x is None or x.size < K or not np.all(np.isfinite(x[:K])):
        raise SolverError(f"lasso QP: the solver returned no usable solution (status {res.status.value!r}; "
                          f"backend: {res.backend_status}; {res.message})")
    fit = nonneg_lasso_active_set(Phi, y, lam, x[:K], tol=res.tol)
    if not fit.converged:
        refined = refined_finish(Phi, y, lam, fit, res.tol)
        if refined is not None:
            return FiniteSolution(c=refined[0], p=refined[1], objective=refined[2], program=res)
        floor = _phi_p_floor(Phi, y, lam)
        why = (f"at the precision floor: Phi^T p carries rounding errors of about {floor:.1e} at lam = {lam:g}; "
               f"relucert.Tolerances(dual_feas=..., obj_gap=...) loosens it" if _at_floor(fit, floor)
               else f"far above the precision floor of Phi^T p (about {floor:.1e}): not a rounding issue")
        raise SolverError(f"lasso QP: the active-set method did not reach optimality on the columns "
                          f"(max Phi^T p - 1 = {fit.max_violation:.3e} > tol.dual_feas = {res.tol.dual_feas:g} "
                          f"after {fit.steps} steps, from the {res.backend_status} answer of "
                          f"{res.message.split(':')[0]}); {why}")
    return FiniteSolution(c=fit.c, p=fit.p, objective=fit.objective, program=res)


def lasso_qp(Phi: np.ndarray, y: np.ndarray, lam: float, *, tol: Tolerances | None = None,
             time_limit: float | None = None, warm_start: np.ndarray | None = None,
             qp_backend: str | QPBackend = QPBackend.ACTIVE_SET, refine: bool = True, kept=None,
             floor_answer: bool = False) -> FiniteSolution:
    """Solve ``min 0.5 ||Phi c - y||^2 + lam sum(c)`` over ``c >= 0``.

    The dual vector is ``p = (y - Phi c) / lam``; optimality means
    ``Phi^T p <= 1`` with equality where ``c > 0``. The active-set method
    (:mod:`relucert.lp.active_set`) makes an answer optimal on the columns to ``tol.dual_feas``:
    from ``warm_start`` (weights ``>= 0`` for the columns, e.g. the previous exchange round's
    answer padded with zeros) first, from HiGHS's answer when that does not converge. With
    ``qp_backend="daqp"`` the lasso's dual is solved on DAQP first (:mod:`relucert.lp.daqp_lasso`,
    hot-started from ``warm_start``'s support) and its answer kept when the re-check from the
    weights passes (dual feasibility and complementarity within ``tol.dual_feas``); otherwise
    the active-set path above runs.

    Parameters
    ----------
    Phi : array_like, shape (n, K)
        Signed columns (column ``k`` is ``s_k phi_k``).
    y : array_like, shape (n,)
        Targets.
    lam : float
        Regularisation weight, ``> 0``.
    tol : Tolerances, optional
        Tolerances; the defaults when ``None``.
    time_limit : float, optional
        Seconds allowed to each backend solve; no limit when ``None``.
    warm_start : array_like, shape (K,), optional
        Non-negative starting weights (DAQP: their support is its initial active set).
    qp_backend : {"active-set", "daqp"}, optional
        Who starts (:class:`QPBackend`); the active-set path is the fallback either way.
    refine : bool
        Refine the weights in double-double where their own dual misses ``tol.dual_feas``.
    kept : KeptFactors, optional
        QR factors the warm-started active set keeps across calls (its answer does not use them).
    floor_answer : bool
        When the warm-started active set stops unconverged within ``PRECISION_FLOOR_MARGIN``
        times the rounding floor of ``Phi^T p`` (and its double-double refinement does not
        confirm it), return its answer with status INACCURATE instead of solving the dense QP
        on HiGHS: for callers that judge every answer by its own certified gap, as the exchange
        does (proofs/exchange_method.md, "Finite programs at the precision floor").

    Returns
    -------
    FiniteSolution
        Weights ``c`` (K,), dual vector ``p`` (n,), objective and backend result.

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
    Phi = np.asarray(Phi, dtype=np.float64)
    yy = np.asarray(y, float)
    if Phi.shape[1] == 0:  # nothing to optimise: c is empty, p = y / lam
        empty = ProgramResult(Status.OPTIMAL, "no columns", "empty", 0.5 * float(yy @ yy),
                              np.zeros(0), None, None, {}, 0, 0.0, tol)
        return FiniteSolution(c=np.zeros(0), p=yy / lam, objective=0.5 * float(yy @ yy), program=empty)
    if not uses_daqp(qp_backend):
        sol = _lasso_active_set_path(Phi, yy, lam, tol, time_limit, warm_start, kept, floor_answer)
        return _sharpened(Phi, yy, lam, sol, tol) if refine else sol
    res = lasso_daqp(Phi, yy, lam, tol=tol, warm_start=warm_start, time_limit=time_limit,
                     iteration_limit=qp_iteration_budget(sum(Phi.shape)))
    if res.status is Status.OPTIMAL:
        return FiniteSolution(c=res.x, p=weights_dual(Phi, yy, lam, res.x), objective=res.objective, program=res)
    try:  # from DAQP's point when it is close (it only failed the re-check)
        sol = _lasso_active_set_path(Phi, yy, lam, tol, time_limit,
                                     res.x if res.status is Status.INACCURATE else warm_start, None, floor_answer)
    except SolverError as exc:
        raise SolverError(f"{exc}; DAQP first: {res.message}") from exc
    return _sharpened(Phi, yy, lam, sol, tol) if refine else sol


def _sharpened(Phi, y, lam, sol: FiniteSolution, tol: Tolerances) -> FiniteSolution:
    """``sol`` with weights whose own dual ``(y - Phi c)/lam`` meets ``tol.dual_feas`` where a
    refinement gets there. The active set judges convergence on its SVD's dual; the weights'
    dual carries the solve's error times ``1/lam`` (benchmarks/RESULTS.md, "QP backends").
    When their residuals (compensated) miss it, the support's stationary point is refined in
    double-double and kept if its weights do better."""
    if sol.c.size == 0 or max(before := lasso_kkt_residuals(Phi, y, lam, sol.c)) <= tol.dual_feas:
        return sol
    refined = refine_weights(Phi, y, lam, sol.c, tol)
    after = None if refined is None else lasso_kkt_residuals(Phi, y, lam, refined[0])
    if after is None or max(after) >= max(before):
        return sol
    program = replace(sol.program, message=f"{sol.program.message}; weights refined in double-double",
                      max_residuals={**sol.program.max_residuals, "dual": after[0], "complementarity": after[1]})
    return FiniteSolution(c=refined[0], p=weights_dual(Phi, y, lam, refined[0]), objective=refined[1], program=program)


def _lasso_active_set_path(Phi, yy, lam, tol, time_limit, warm_start, kept=None,
                           floor_answer: bool = False) -> FiniteSolution:
    """The active-set method from ``warm_start``, else (unless ``floor_answer`` and it stopped at
    the precision floor) from HiGHS's (then clarabel's) answer."""
    if warm_start is not None:  # the sparse program is built only if HiGHS is needed
        t0 = time.perf_counter()
        try:
            fit = nonneg_lasso_active_set(Phi, yy, lam, warm_start, tol=tol, kept=kept)
            if not fit.converged and kept is not None:  # kept factors can drift: once more from its
                kept.clear()                            # point on fresh ones (proofs/exchange_method.md)
                fit = nonneg_lasso_active_set(Phi, yy, lam, fit.c, tol=tol)
        except np.linalg.LinAlgError:  # the warm start's factorisation broke down: solve cold below
            fit = None
        if fit is not None and fit.converged:
            res = ProgramResult(Status.OPTIMAL, "optimal (active set, warm start)", "active set", fit.objective,
                                fit.c, None, None, {"dual": fit.max_violation}, fit.steps,
                                time.perf_counter() - t0, tol)
            return FiniteSolution(c=fit.c, p=fit.p, objective=fit.objective, program=res)
        refined = None if fit is None else refined_finish(Phi, yy, lam, fit, tol)
        if refined is not None:  # stationary, optimal once judged in double-double
            res = ProgramResult(Status.OPTIMAL, "optimal (active set, warm start, refined)", "active set",
                                refined[2], refined[0], None, None, {"dual": fit.max_violation}, fit.steps,
                                time.perf_counter() - t0, tol)
            return FiniteSolution(c=refined[0], p=refined[1], objective=refined[2], program=res)
        floor = _phi_p_floor(Phi, yy, lam)
        if floor_answer and fit is not None and _at_floor(fit, floor):
            res = ProgramResult(Status.INACCURATE, f"active set at the precision floor: max Phi^T p - 1 = "
                                f"{fit.max_violation:.3e} > tol.dual_feas = {tol.dual_feas:g}, rounding floor "
                                f"about {floor:.1e}", "active set (precision floor)", fit.objective, fit.c, None,
                                None, {"dual": fit.max_violation}, fit.steps, time.perf_counter() - t0, tol)
            return FiniteSolution(c=fit.c, p=fit.p, objective=fit.objective, program=res)
    prog, inv = build_lasso_qp(Phi, yy, lam)
    iters = qp_iteration_budget(prog.n_cols)
    res = solve_program(prog, tol=tol, time_limit=time_limit, iteration_limit=iters)
    if res.status is Status.LIMIT:
        # HiGHS's active-set QP can stall with tiny regularisation: retry with more. The
        # switch is decided by the iteration budget alone (never by elapsed time), so the
        # path and the answer do not depend on the machine's speed.
        res = solve_program(prog, tol=tol.with_(highs_qp_regularization=tol.highs_qp_regularization_fallback),
                            time_limit=time_limit, iteration_limit=iters)
    if res.status in (Status.OPTIMAL, Status.INACCURATE):  # a warm start either way
        try:
            return _finish_lasso(res, inv)
        except SolverError:
            pass  # HiGHS's answer was too far off for the active-set method's budget
    if res.status in (Status.INFEASIBLE, Status.UNBOUNDED):
        require_optimal(res, "lasso QP")  # cannot happen for a lasso; never a result
    # HiGHS stalled or was inaccurate: the same QP by an interior-point method
    # (clarabel), whose answer the active-set method then makes optimal.
    from relucert.lp.conic import solve_program_conic

    return recover_lasso_qp(solve_program_conic(prog, tol=tol, time_limit=time_limit), inv)
