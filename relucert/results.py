"""Result types shared by every subpackage: statuses and check reports.

All frozen dataclasses, JSON-serialisable through ``to_dict``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from relucert.tolerances import Tolerances

__all__ = ["Status", "ProgramResult", "CheckResult", "VerificationReport", "jsonable"]


class Status(str, Enum):
    """Outcome of a finite program or of a whole solve."""

    OPTIMAL = "optimal"
    INACCURATE = "inaccurate"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit"
    ERROR = "error"


def jsonable(value):
    """Convert numpy scalars/arrays, enums and dataclass dicts to JSON-ready values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


@dataclass(frozen=True)
class ProgramResult:
    """Result of one finite program (LP or QP) on HiGHS.

    ``x`` are the column values, ``row_dual``/``col_dual`` HiGHS's duals (for a
    minimisation, ``c + H x - A^T row_dual - col_dual = 0``). ``max_residuals``
    holds our own re-check (``primal``: row/bound violation, ``dual``:
    stationarity residual). ``status`` is OPTIMAL only when HiGHS said optimal
    AND our re-check passed; a failed re-check gives INACCURATE.
    """

    status: Status
    message: str
    backend_status: str
    objective: float | None
    x: np.ndarray | None
    row_dual: np.ndarray | None
    col_dual: np.ndarray | None
    max_residuals: dict
    n_iter: int
    wall_time_s: float
    tol: Tolerances

    @property
    def success(self) -> bool:
        return self.status is Status.OPTIMAL

    def to_dict(self) -> dict:
        return jsonable(
            {
                "status": self.status,
                "message": self.message,
                "backend_status": self.backend_status,
                "objective": self.objective,
                "x": self.x,
                "row_dual": self.row_dual,
                "col_dual": self.col_dual,
                "max_residuals": self.max_residuals,
                "n_iter": self.n_iter,
                "wall_time_s": self.wall_time_s,
                "tol": self.tol.to_dict(),
            }
        )


@dataclass(frozen=True)
class CheckResult:
    """One named claim: whether it passed, its worst violation and the bound used."""

    name: str
    passed: bool
    max_violation: float | str | None = None
    bound: float | str | None = None
    detail: str = ""

    def to_dict(self) -> dict:
        return jsonable(
            {
                "name": self.name,
                "passed": self.passed,
                "max_violation": self.max_violation,
                "bound": self.bound,
                "detail": self.detail,
            }
        )


@dataclass(frozen=True)
class VerificationReport:
    """A list of checks; ``passed`` is their conjunction, ``exact`` says whether
    every check was made in exact arithmetic."""

    passed: bool
    exact: bool
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @classmethod
    def from_checks(cls, checks, *, exact: bool) -> "VerificationReport":
        checks = tuple(checks)
        return cls(passed=bool(checks) and all(c.passed for c in checks), exact=exact, checks=checks)

    def first_failure(self) -> CheckResult | None:
        return next((c for c in self.checks if not c.passed), None)

    def to_dict(self) -> dict:
        return {"passed": self.passed, "exact": self.exact, "checks": [c.to_dict() for c in self.checks]}
