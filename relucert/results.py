"""Result types shared by every subpackage: statuses and check reports.

All frozen dataclasses, JSON-serialisable through ``to_dict``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum

import numpy as np

from relucert.tolerances import Tolerances

__all__ = ["Status", "Verdict", "Degeneracy", "AtomLocation", "ProgramResult", "CheckResult", "VerificationReport", "jsonable"]


class Status(str, Enum):
    """Outcome of a finite program or of a whole solve."""

    OPTIMAL = "optimal"
    INACCURATE = "inaccurate"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit"
    ERROR = "error"


class Verdict(StrEnum):
    """Uniqueness verdict, for the optimal measure and for the learned function
    (DESIGN.md section 5). String-valued: the values are those of the JSON reports and of
    the certificate file format (:mod:`relucert.verify.certfile`)."""

    UNIQUE = "unique"
    NOT_UNIQUE = "not unique"
    UNDETERMINED = "undetermined"


class Degeneracy(StrEnum):
    """Whether a dual certificate is non-degenerate (ND1-ND4 of DESIGN.md section 6)."""

    NONDEGENERATE = "non-degenerate"
    DEGENERATE = "degenerate"


class AtomLocation(StrEnum):
    """Where an atom (a point of the extremal set E) lies: inside a chamber, or on one
    or more data hyperplanes (a region boundary, where ND3 rather than ND2 applies)."""

    INTERIOR = "interior"
    BOUNDARY = "boundary"


def jsonable(value):
    """Convert numpy scalars/arrays, enums and dataclass dicts to JSON-ready values.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
        Built from dict, list, str, int, float, bool and None only (NaN becomes None).
    """
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
    """One named claim: whether it passed, its worst violation, the bound used, and
    (for a condition measured by how far it is from failing, such as ND1-ND4 of
    :mod:`relucert.verify.nondegeneracy`) its margin.

    The one vocabulary of every check in relucert: the exact checker's claims, the
    float analysis' conditions ND1-ND4, the certificate reports.

    Parameters
    ----------
    name : str
        The claim, e.g. ``"dual.feasible"`` or ``"ND3"``.
    passed : bool
        Whether it holds.
    max_violation, bound : float or str or None
        The worst violation found and the bound it was held to.
    detail : str
        What was checked, in words.
    margin : float or None
        How far from failing (larger is safer), where the check has such a scale.
    """

    name: str
    passed: bool
    max_violation: float | str | None = None
    bound: float | str | None = None
    detail: str = ""
    margin: float | None = None

    def to_dict(self) -> dict:
        """The JSON form; ``margin`` appears only when the check has one."""
        doc = {
            "name": self.name,
            "passed": self.passed,
            "max_violation": self.max_violation,
            "bound": self.bound,
            "detail": self.detail,
        }
        if self.margin is not None:
            doc["margin"] = self.margin
        return jsonable(doc)


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
