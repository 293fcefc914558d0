"""The basis-pursuit LP over signed columns (the interpolation problem (P_0)), on HiGHS:
``min sum(c)`` s.t. ``Phi c = y``, ``c >= 0``, as a CVXPY-style pair ``build`` / ``recover``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from relucert.lp.finite_solution import FiniteSolution, require_optimal
from relucert.lp.highs import FiniteProgram, solve_program
from relucert.results import ProgramResult
from relucert.tolerances import Tolerances, resolve

__all__ = ["build_basis_pursuit_lp", "recover_basis_pursuit_lp", "basis_pursuit_lp"]


def build_basis_pursuit_lp(Phi: np.ndarray, y: np.ndarray):
    """``min sum c`` s.t. ``Phi c = y``, ``c >= 0``.

    Parameters
    ----------
    Phi : array_like, shape (n, K)
        Signed columns.
    y : array_like, shape (n,)
        Targets.

    Returns
    -------
    prog : FiniteProgram
        The LP on ``K`` columns and ``n`` equality rows.
    inverse_data : dict
        What :func:`recover_basis_pursuit_lp` needs: ``Phi``, ``y`` and ``K``.

    Examples
    --------
    >>> prog, inv = build_basis_pursuit_lp(np.ones((2, 3)), np.ones(2))
    >>> prog.n_cols, prog.n_rows
    (3, 2)
    """
    Phi = np.asarray(Phi, dtype=np.float64)
    n, K = Phi.shape
    prog = FiniteProgram(c=np.ones(K), A=sp.csc_matrix(Phi), row_lower=np.asarray(y, float),
                         row_upper=np.asarray(y, float), col_lower=np.zeros(K),
                         col_upper=np.full(K, np.inf))
    return prog, {"Phi": Phi, "y": np.asarray(y, float), "K": K}


def recover_basis_pursuit_lp(res: ProgramResult, inverse_data: dict) -> FiniteSolution:
    """The basis-pursuit answer from HiGHS's result.

    Parameters
    ----------
    res : ProgramResult
        HiGHS's result for the program of :func:`build_basis_pursuit_lp`.
    inverse_data : dict
        The second value returned by :func:`build_basis_pursuit_lp`.

    Returns
    -------
    FiniteSolution
        Weights ``c`` (K,) clipped at 0, dual vector ``p`` (n,) (HiGHS's row duals,
        so ``Phi^T p <= 1``) and objective ``sum(c)``.

    Raises
    ------
    SolverError
        ``res`` is not optimal.
    """
    require_optimal(res, "basis-pursuit LP")
    c = np.maximum(res.x, 0.0)
    # HiGHS: 1 - Phi^T row_dual - col_dual = 0 with col_dual >= 0, so Phi^T p <= 1.
    p = np.asarray(res.row_dual, dtype=np.float64)
    return FiniteSolution(c=c, p=p, objective=float(np.sum(c)), program=res)


def basis_pursuit_lp(Phi: np.ndarray, y: np.ndarray, *, tol: Tolerances | None = None,
                     time_limit: float | None = None) -> FiniteSolution:
    """Solve ``min sum(c)`` s.t. ``Phi c = y``, ``c >= 0`` on HiGHS.

    The dual vector ``p`` (HiGHS's row duals) satisfies ``Phi^T p <= 1`` with equality
    where ``c > 0``; the dual value is ``<p, y>``.

    Parameters
    ----------
    Phi : array_like, shape (n, K)
        Signed columns.
    y : array_like, shape (n,)
        Targets.
    tol : Tolerances, optional
        Tolerances; the defaults when ``None``.
    time_limit : float, optional
        Seconds allowed to HiGHS; no limit when ``None``.

    Returns
    -------
    FiniteSolution
        Weights ``c`` (K,), dual vector ``p`` (n,), objective ``sum(c)``, HiGHS result.

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
