"""The answer of a finite program over signed columns: weights, dual vector, objective.

Shared by the lasso QP (:mod:`relucert.lp.programs`) and the basis-pursuit LP
(:mod:`relucert.lp.basis_pursuit`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.errors import SolverError
from relucert.results import ProgramResult, Status

__all__ = ["FiniteSolution", "require_optimal"]


@dataclass(frozen=True)
class FiniteSolution:
    """Weights ``c >= 0`` (K,), the dual vector ``p`` (n,), the objective recomputed
    from ``c`` in double precision, and the HiGHS result it came from.

    Attributes
    ----------
    c : np.ndarray, shape (K,)
        Non-negative weights of the signed columns of ``Phi``.
    p : np.ndarray, shape (n,)
        Dual vector: optimality means ``Phi^T p <= 1`` with equality where ``c > 0``.
    objective : float
        Primal objective recomputed from ``c`` in double precision.
    program : ProgramResult
        The backend's result the answer came from (status, timings, residuals).
    """

    c: np.ndarray
    p: np.ndarray
    objective: float
    program: ProgramResult


def require_optimal(res: ProgramResult, what: str) -> None:
    """Raise :class:`~relucert.errors.SolverError` naming ``res``'s status unless it is optimal."""
    if res.status is not Status.OPTIMAL:
        raise SolverError(f"{what} ended with status {res.status.value!r} "
                          f"(HiGHS: {res.backend_status}; {res.message})")
