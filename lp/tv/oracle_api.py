"""The oracle interface of the exchange method: "max |eta_p| and the violators above t".

``eta_p(theta) = sum_i p_i relu(<x~_i, theta>)``. An oracle, given ``p`` and a threshold
``t``, returns

- ``max_value``: the largest ``|eta_p|`` it met at a point (the exact maximum over the
  sphere when ``complete``, up to the backend's stated accuracy);
- ``upper_bound``: a bound on ``max |eta_p|`` over the whole sphere, valid even when the
  scan stopped early (a limit on violators, nodes or time), so ``p / max(1, upper_bound)``
  is dual feasible;
- the violators: every (region, sign) whose maximum exceeds ``t`` (the first ``limit``
  found when it stopped on that limit), each as its unit maximiser ``point``, ``sign``
  (+1: a maximum of ``eta``, -1: of ``-eta``) and ``value``.

A "region" is a closed dual region on which ``eta_p`` is linear. The enumeration lists
chambers of the whole data arrangement; the branch and bound lists the chambers of the
arrangement of the distinct samples whose summed weight is non-zero (chambers that differ
only on zero-weight samples carry the same linear piece and the same maximiser, and equal
samples are one hyperplane): the same maximisers and values, possibly fewer duplicates.

Two implementations satisfy it through thin adapters: :class:`EnumerationOracle`
(``lp.oracle.region_maxima`` over every chamber of ``relucert.arrangement``) and
:class:`BranchAndBoundOracle` (``lp.bab.maximise``: no chamber list). ``detail`` keeps the
backend's own result (``RegionScan``: chamber indices and the prior for the next scan;
``BabScan``: activation patterns and node counts).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from relucert.tolerances import Tolerances

__all__ = ["OracleScan", "Oracle", "EnumerationOracle", "BranchAndBoundOracle", "from_region_scan", "from_bab_scan"]


@dataclass(frozen=True)
class OracleScan:
    """What every oracle returns (module docstring)."""

    max_value: float
    upper_bound: float
    complete: bool
    threshold: float
    point: np.ndarray      # (k, D) unit maximisers
    sign: np.ndarray       # (k,) int8
    value: np.ndarray      # (k,)
    detail: Any = None

    @property
    def n_found(self) -> int:
        return int(self.value.shape[0])


@runtime_checkable
class Oracle(Protocol):
    """``scan(p, threshold, limit=None, tol=None) -> OracleScan`` for one data set."""

    name: str

    def scan(self, p: np.ndarray, threshold: float, *, limit: int | None = None,
             tol: Tolerances | None = None) -> OracleScan:
        ...


def from_region_scan(scan) -> OracleScan:
    """An ``lp.oracle.RegionScan`` as an :class:`OracleScan`. Complete: its ``max_value``
    is the exact maximum; stopped on ``limit``: every region's ``bounds`` entry bounds
    its maximum (``||v_A||`` where not projected), so their largest bounds the sphere."""
    upper = scan.max_value
    if not scan.complete and scan.bounds is not None and scan.bounds.size:
        upper = max(upper, float(np.max(scan.bounds)))
    elif not scan.complete:
        upper = float("inf")
    return OracleScan(max_value=float(scan.max_value), upper_bound=float(upper), complete=bool(scan.complete),
                      threshold=float(scan.threshold), point=scan.point, sign=scan.sign.astype(np.int8),
                      value=scan.value, detail=scan)


def from_bab_scan(scan) -> OracleScan:
    """An ``lp.bab.BabScan`` as an :class:`OracleScan`."""
    return OracleScan(max_value=float(scan.max_value), upper_bound=float(scan.upper_bound),
                      complete=bool(scan.complete), threshold=float(scan.threshold), point=scan.point,
                      sign=scan.sign.astype(np.int8), value=scan.value, detail=scan)


class EnumerationOracle:
    """The scan of every chamber (``lp.oracle.region_maxima``) of an arrangement.

    >>> from relucert.arrangement import enumerate_chambers
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> s = EnumerationOracle(enumerate_chambers(X)).scan(np.array([0.0, 0.0, 1.0]), 1.0)
    >>> round(s.max_value ** 2, 12), s.n_found, s.sign.tolist()   # two chambers: x = 0 splits the piece
    (5.0, 2, [1, 1])
    """

    name = "enumerate"

    def __init__(self, arr, *, ops=None):
        self.arr = arr
        self.ops = ops

    def scan(self, p, threshold, *, limit=None, tol=None) -> OracleScan:
        from relucert.lp.tv.oracle import region_maxima

        return from_region_scan(region_maxima(self.arr, np.asarray(p, dtype=np.float64), float(threshold),
                                              limit=limit, tol=tol, ops=self.ops))


class BranchAndBoundOracle:
    """Branch and bound over cones (``lp.bab.maximise``) on the data ``X``; the keyword
    arguments (``leaf_undecided``, ``max_nodes``, ``time_limit``, ``progress``, ``batch``)
    are passed on.

    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> s = BranchAndBoundOracle(X).scan(np.array([0.0, 0.0, 1.0]), 1.0)
    >>> round(s.max_value ** 2, 12), s.n_found, s.sign.tolist()   # one piece: zero weights do not split
    (5.0, 1, [1])
    """

    name = "bab"

    def __init__(self, X, **options):
        self.X = np.asarray(X, dtype=np.float64)
        self.options = options

    def scan(self, p, threshold, *, limit=None, tol=None) -> OracleScan:
        from relucert.lp.tv.bab import maximise

        return from_bab_scan(maximise(self.X, p, float(threshold), limit=limit, tol=tol, **self.options))
