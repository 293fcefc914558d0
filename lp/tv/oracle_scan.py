"""The result type of every oracle of the exchange method, :class:`OracleScan`, the
:class:`Oracle` protocol, and :func:`from_bab_scan` (a branch-and-bound scan as an
``OracleScan``). The oracles themselves and the meaning of each field: :mod:`relucert.lp.tv.oracle_api`
(split from it so each file stays within the project's module size limit; it re-exports
these names)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from relucert.tolerances import Tolerances

__all__ = ["OracleScan", "Oracle", "from_bab_scan"]


@dataclass(frozen=True)
class OracleScan:
    """What every oracle returns (module docstring).

    ``point`` (k, D) unit maximisers, ``sign`` (k,) int8 and ``value`` (k,) list the
    violators; ``max_value``, ``upper_bound``, ``complete`` and ``threshold`` as in the
    module docstring. The enumeration's chamber-level fields: ``chamber`` (k,) the
    violators' chamber indices, ``p`` the dual vector scanned, ``bounds`` (m, 2) an upper
    bound of every chamber's maximum of ``+eta, -eta`` (exact where computed),
    ``n_projected`` (projections) and ``n_interior`` (chambers settled by the interior
    test). ``detail``: another backend's own result. ``settled``: a branch-and-bound scan
    stopped by the caller's stopping test (``accept_below``: its ``upper_bound`` is at most
    that; ``complete`` False, the violators not all listed; proofs/local_violators.md, Lemma L3).
    ``conclusive`` (a property): the gap test may judge on ``upper_bound`` (complete or settled).
    """

    max_value: float
    upper_bound: float
    complete: bool
    threshold: float
    point: np.ndarray
    sign: np.ndarray
    value: np.ndarray
    chamber: np.ndarray | None = None
    p: np.ndarray | None = None
    bounds: np.ndarray | None = None
    n_projected: int = 0
    n_interior: int = 0
    detail: Any = None
    settled: bool = False

    @property
    def conclusive(self) -> bool:
        """Whether the gap test may accept on ``upper_bound``: the scan is ``complete`` (every
        violator listed, the bound exact to the backend's accuracy) or ``settled`` (the stopping
        test: ``upper_bound <= accept_below``, proofs/local_violators.md, Lemma L3). ``complete``
        keeps its own meaning: a settled scan is conclusive but never complete."""
        return bool(self.complete or self.settled)

    @property
    def n_found(self) -> int:
        """The number of violators listed."""
        return int(self.value.shape[0])


@runtime_checkable
class Oracle(Protocol):
    """``scan(p, threshold, limit=None, tol=None, remember=False, warm=True) -> OracleScan``
    for one data set (lifted rows ``X_lift``), and ``dual_norm_bound(p)``."""

    name: str
    X: np.ndarray
    X_lift: np.ndarray

    def scan(self, p: np.ndarray, threshold: float, *, limit: int | None = None,
             tol: Tolerances | None = None, remember: bool = False, warm: bool = True) -> OracleScan:
        ...

    def bound_scan(self, p: np.ndarray, *, tol: Tolerances | None = None) -> OracleScan:
        ...

    def dual_norm_bound(self, p: np.ndarray) -> float:
        ...


def from_bab_scan(scan) -> OracleScan:
    """An ``lp.tv.bab.BabScan`` as an :class:`OracleScan` (its ``detail`` is ``scan``)."""
    return OracleScan(max_value=float(scan.max_value), upper_bound=float(scan.upper_bound),
                      complete=bool(scan.complete), threshold=float(scan.threshold), point=scan.point,
                      sign=scan.sign.astype(np.int8), value=scan.value, detail=scan,
                      settled=bool(getattr(scan, "settled", False)))
