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
- Local violators (:func:`local_violators`): near feasibility the next violators lie next to
  the last ones. A best-first climb over neighbouring regions (across the facets a region's
  maximiser sits on) from the regions of the last violators' points lists regions above the
  threshold at one projection each; when it lists enough of them the oracle returns them in
  place of a tree scan (an incomplete scan: it certifies nothing; proofs/local_violators.md).
"""
from __future__ import annotations

import heapq
from dataclasses import replace

import numpy as np

__all__ = ["scan_limit", "region_optima", "local_violators"]


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


def local_violators(A: np.ndarray, q: np.ndarray, points: np.ndarray, signs: np.ndarray, threshold: float,
                    max_regions: int, tol):
    """Regions (closed cones ``K_s = {s_i <a_i, theta> >= 0}`` of the rows ``A``) whose
    maximum of ``sign * eta`` over the ball exceeds ``threshold``, met by a best-first climb
    from the regions of ``points`` (proofs/local_violators.md, Lemma L1).

    A region's maximum is one projection (``relucert.arrangement.region_max``); the
    neighbours across each hyperplane its maximiser lies on (a facet with a positive
    multiplier, or a row within ``tol.sign_zero ||a_i||`` of the point) are queued with that value as priority; at most ``max_regions`` projections.
    Every value is ``sign * eta`` at the listed unit point (a value met at a point, at most
    ``max |eta|``), whatever the cone.

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
        The rows (non-zero).
    q : np.ndarray, shape (n,)
        Their weights.
    points : np.ndarray, shape (k, D)
        Start points (unit or not: only their side of each hyperplane matters).
    signs : np.ndarray, shape (k,)
        +1 (``eta``) or -1 (``-eta``) per point.
    threshold : float
    max_regions : int
    tol : Tolerances

    Returns
    -------
    active : np.ndarray of bool, shape (r, n)
        The pattern of each region listed, largest value first.
    sign : np.ndarray of int8, shape (r,)
    value : np.ndarray, shape (r,)
    point : np.ndarray, shape (r, D)
        Unit points with ``sign * eta = value``.
    best : float
        The largest ``sign * eta`` met at a point (0 when none).

    Examples
    --------
    ``eta = relu(theta_1) + relu(theta_2)`` from ``(1, -1)``: its region ``{theta_2 <= 0}``
    carries ``theta_1``, largest (1) at ``(1, 0)`` on the hyperplane of row 2; across it the
    region ``{theta >= 0}`` carries ``theta_1 + theta_2``, largest (``sqrt 2``) at
    ``(1, 1)/sqrt 2``:

    >>> from relucert.tolerances import DEFAULT
    >>> A, q = np.eye(2), np.ones(2)
    >>> act, sg, val, pt, best = local_violators(A, q, np.array([[1.0, -1.0]]), np.array([1]), 0.5, 10, DEFAULT)
    >>> [round(float(v) ** 2, 12) for v in val], act.tolist(), round(best ** 2, 12)
    ([2.0, 1.0], [[True, True], [True, False]], 2.0)
    """
    from relucert._model import eta
    from relucert.arrangement import region_max

    n, D = A.shape
    pts = np.asarray(points, dtype=np.float64).reshape(-1, D)
    sg = np.asarray(signs, dtype=np.int64).reshape(-1)
    norms = np.linalg.norm(A, axis=1)
    seen: set = set()
    heap: list = []

    def push(a, s, prio):
        key = (np.packbits(a).tobytes(), s)
        if key not in seen:
            seen.add(key)
            heapq.heappush(heap, (-prio, len(seen), a, s))

    start = sg * eta(A, q, pts) if pts.shape[0] else np.zeros(0)
    for a, s, v in zip(pts @ A.T > 0, sg.tolist(), start.tolist()):
        push(a, int(s), v)
    out_a, out_s, out_v, out_p = [], [], [], []
    best, done = 0.0, 0
    while heap and done < max_regions:
        _, _, a, s = heapq.heappop(heap)
        done += 1
        r = region_max(s * (np.where(a, q, 0.0) @ A), np.where(a, 1.0, -1.0)[:, None] * A)
        if r.point is None:
            continue
        val = float(s * eta(A, q, r.point[None])[0])
        best = max(best, val)
        if val > threshold:
            out_a.append(a)
            out_s.append(s)
            out_v.append(val)
            out_p.append(r.point)
        for i in np.flatnonzero((r.multipliers > 0) | (np.abs(A @ r.point) <= tol.sign_zero * norms)):
            b = a.copy()
            b[i] = not b[i]
            push(b, s, val)
    order = np.argsort(-np.asarray(out_v, dtype=np.float64), kind="stable")
    return (np.asarray(out_a, dtype=bool).reshape(-1, n)[order], np.asarray(out_s, dtype=np.int8)[order],
            np.asarray(out_v, dtype=np.float64)[order], np.asarray(out_p, dtype=np.float64).reshape(-1, D)[order],
            best)


class LocalScans:
    """The local scans of ``lp.tv.oracle_api.BranchAndBoundOracle``: a pool of start points
    (the newest violators' and maximisers' points with their signs, at most ``pool``) and
    the rule: near feasibility, a scan climbs from the pool (:func:`local_violators`, at most
    ``max_regions`` projections) and stands in for the tree when it lists at least
    ``min_found`` violators (``min_found`` 0: never), at most ``max_run`` times in a row (then
    the tree scans: the exchange's descent on the tree's rounds, proofs/local_violators.md).
    ``n_scans`` counts the local scans that stood in.
    """

    def __init__(self, D: int):
        from relucert.tolerances import BAB_LOCAL_MIN, BAB_LOCAL_POOL, BAB_LOCAL_REGIONS, BAB_LOCAL_RUN

        self.D = D
        self.min_found, self.max_regions, self.pool = BAB_LOCAL_MIN, BAB_LOCAL_REGIONS, BAB_LOCAL_POOL
        self.max_run = BAB_LOCAL_RUN
        self.n_scans = 0
        self.forget()

    def forget(self) -> None:
        """Empty the pool (a new run)."""
        self.points, self.signs = np.zeros((0, self.D)), np.zeros(0, dtype=np.int8)
        self.run = 0   # local scans in a row

    def add(self, points: np.ndarray, signs: np.ndarray) -> None:
        """Put points (with their signs) first in the pool."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, self.D)
        self.points = np.vstack([pts, self.points])[:self.pool]
        self.signs = np.concatenate([np.asarray(signs, dtype=np.int8).reshape(-1), self.signs])[:self.pool]

    def scan(self, X: np.ndarray, q: np.ndarray, threshold: float, upper: float, tol):
        """The local scan of the weights ``q`` on the data ``X``: an incomplete
        ``OracleScan`` (``upper``: a valid bound of ``max |eta_q|``, its ``upper_bound``) when
        it lists at least ``min_found`` violators, else None (the tree scans). Its points join
        the pool either way."""
        from relucert.lp.tv.bab.tree import prepare
        from relucert.lp.tv.oracle_api import OracleScan

        if self.min_found <= 0 or self.signs.size == 0 or self.run >= self.max_run:
            self.run = 0
            return None
        prob = prepare(X, q)
        _, sign, value, point, best = local_violators(prob.A, prob.q, self.points, self.signs, threshold,
                                                      self.max_regions, tol)
        self.add(point, sign)
        if value.size < self.min_found:
            self.run = 0
            return None
        self.n_scans += 1
        self.run += 1
        return OracleScan(max_value=best, upper_bound=max(float(upper), best), complete=False,
                          threshold=float(threshold), point=point, sign=sign, value=value)
