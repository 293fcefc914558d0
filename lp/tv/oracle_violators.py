"""The violator policy of the branch-and-bound oracle (``lp.tv.oracle_api.BranchAndBoundOracle``):
how many violators a scan of the exchange lists, and what it lists for each.

- The cap near feasibility (:func:`scan_limit`): once the last scan met at most ``band`` times
  the threshold, a scan without a node budget lists at most ``cap`` violators. Best-first
  lists the most violated regions first, and near feasibility the ones after the first few
  cost many nodes each (benchmarks/RESULTS.md, "Issue-13 targets"). Closer still (at most
  ``complete`` times the threshold) the scan is complete: it lists every violator, and only a
  complete scan lets the exchange evaluate and polish its candidate.
- Exact region optima (:func:`region_optima`): a scan stopped on its violator limit lists each
  (region, sign) with the maximum of the leaf piece it met first, which may lie on that
  leaf's boundary, below the region's maximum. The region (a chamber of the support rows) is
  known from its activation pattern, and its maximum over the ball is one projection onto its
  cone (``relucert.arrangement.region_max``), so each listed violator is raised to its
  region's exact maximum and maximiser: the atom the exchange would want
  (proofs/branch_and_bound.md, Lemma 7: a complete scan already lists those).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

__all__ = ["scan_limit", "region_optima"]


def scan_limit(limit, max_nodes, last_max: float, threshold: float, band: float, cap: int,
               complete: float = 0.0):
    """The violator limit of one scan without a node budget (``max_nodes`` None), from the
    max |eta| ``last_max`` met by the last scan: None (a complete scan, every violator) when
    ``last_max <= complete * threshold``; ``min(limit, cap)`` when
    ``last_max <= band * threshold``; else ``limit`` (also whenever there is a node budget).

    Near the end a complete scan costs about as many nodes as a capped one (the remembered
    frontier already holds the fine cones around the maxima), lists every violator and lets
    the exchange evaluate and polish its candidate (which needs a complete scan).

    >>> [scan_limit(200, None, m, 1.0, 1.25, 16, 1.05) for m in (1.01, 1.1, 3.0)]
    [None, 16, 200]
    """
    if limit is None or max_nodes is not None:
        return limit
    if last_max <= complete * float(threshold):
        return None
    if last_max <= band * float(threshold):
        return min(int(limit), int(cap))
    return limit


def region_optima(X: np.ndarray, q: np.ndarray, scan, tol):
    """``scan`` (a ``BabScan`` of ``maximise(X, q, ...)``) with each violator's value and
    point replaced by its region's exact maximum and maximiser where that is larger (a
    complete scan is returned as it is: it lists them already), re-sorted by value;
    ``max_value`` (a value met at a point) rises with them.

    Parameters
    ----------
    X : np.ndarray, shape (n, d)
    q : np.ndarray, shape (n,)
        The weights the scan searched with.
    scan : BabScan
    tol : Tolerances

    Returns
    -------
    BabScan
    """
    from relucert.arrangement import region_max
    from relucert.lp.tv.bab.tree import prepare

    if scan.complete or scan.value.size == 0:
        return scan
    prob = prepare(X, q)
    A, qs = prob.A, prob.q
    value, point = scan.value.copy(), scan.point.copy()
    for t in range(value.size):
        a = scan.active[t]
        v = int(scan.sign[t]) * (np.where(a, qs, 0.0) @ A)
        r = region_max(v, np.where(a, 1.0, -1.0)[:, None] * A, tol=tol)
        if r.point is not None and r.value > value[t]:
            value[t], point[t] = r.value, r.point
    order = np.argsort(-value, kind="stable")
    top = int(order[0])
    out = replace(scan, value=value[order], point=point[order], sign=scan.sign[order], active=scan.active[order])
    if value[top] > scan.max_value:   # a value met at a point: the (valid) upper bound is kept above it
        out = replace(out, max_value=float(value[top]), max_point=point[top].copy(), max_sign=int(scan.sign[top]),
                      upper_bound=max(float(scan.upper_bound), float(value[top])))
    return out
