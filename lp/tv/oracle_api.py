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

Two implementations: :class:`EnumerationOracle` (``lp.tv.oracle.scan_all_chambers`` over
every chamber of ``relucert.arrangement``; the default of the exchange) and
:class:`BranchAndBoundOracle` (``lp.tv.bab.maximise``: no chamber list). Both return the
one result type :class:`OracleScan`; the enumeration fills its chamber-level fields
(``chamber``, ``p``, ``bounds``, ``n_projected``, ``n_interior``), the branch and bound keeps
its own result (``BabScan``: activation patterns and node counts) in ``detail``.

An oracle also carries the lifted data ``X_lift`` (and ``X``) it scans, a ``deadline``
(``time.perf_counter()`` value or None: a stop rule for the scans of a time-limited run,
which then return ``complete=False`` with their valid ``upper_bound``), ``bound_scan(p)``
(a scan for the certified bound ``U >= max |eta_p|`` only, with no deadline: complete for
the enumeration, a best-first branch and bound on a node budget otherwise, so that it is
reproducible), and ``dual_norm_bound(p)``, an upper bound of ``max |eta_p|`` (used to place the continuation
levels). ``scan`` takes two hints that only an oracle with memory uses: ``remember`` (keep
this scan's per-region bounds as the prior of later scans) and ``warm`` (use the remembered
prior; a region's maximum moves by at most ``||v_A(p) - v_A(p_prev)||``, a branch-and-bound
node's by at most ``sum_i |p_i - p_prev_i| ||x~_i||`` over the rows not inactive on it).
Neither changes what a scan returns, only which regions it may skip because they cannot
reach the cut-off.
"""
from __future__ import annotations

from dataclasses import replace

import time

import numpy as np

from relucert.lp.tv.anytime import DualRecord
from relucert.lp.tv.oracle_scan import Oracle, OracleScan, from_bab_scan
from relucert.lp.tv.oracle_violators import LocalScans
from relucert.tolerances import (BAB_BOUND_NODES, BAB_QUOTA_ETA, BAB_SCAN_COMPLETE_ETA, BAB_SCAN_NEAR_CAP,
                                 BAB_SCAN_VIOLATORS, BAB_WARM_HINTS, BAB_WARM_MAX_BYTES, BAB_WARM_MAX_NODES,
                                 Tolerances, resolve)

__all__ = ["OracleScan", "Oracle", "EnumerationOracle", "BranchAndBoundOracle", "from_bab_scan"]


class EnumerationOracle:
    """The scan of every chamber (``lp.tv.oracle.scan_all_chambers``) of an arrangement.

    Parameters
    ----------
    arr : Arrangement
        Every chamber of the data.
    ops : optional
        Where batched projections run (None: numpy; torch ops from the API layer).

    It remembers the per-chamber bounds of a scan made with ``remember=True`` and, with
    ``warm=True``, lets later scans skip the chambers those bounds rule out.

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
        self.X = arr.X
        self.X_lift = arr.X_lift
        self._prior = None
        self.deadline = None   # unused: a scan of every chamber is not interrupted
        self.bound_window = None   # unused: its bound_scan is complete
        self.duals = DualRecord()

    def bound_scan(self, p, *, tol=None) -> OracleScan:
        """A complete scan of every chamber (its ``upper_bound`` is the exact maximum).

        Parameters
        ----------
        p : ndarray, shape (n,)
        tol : Tolerances, optional

        Returns
        -------
        OracleScan
        """
        tol = resolve(tol)
        return self.scan(p, 1.0 + tol.dual_feas, tol=tol, warm=True)

    def forget(self) -> None:
        """Drop the remembered prior and the recorded duals (a new run starts from scratch)."""
        self._prior = None
        self.duals.clear()

    def scan(self, p, threshold, *, limit=None, tol=None, remember=False, warm=True, budget=None,
             reject_above=None, progress=None) -> OracleScan:
        """The scan of every chamber (:func:`relucert.lp.tv.oracle.scan_all_chambers`).

        Parameters
        ----------
        p : ndarray, shape (n,)
        threshold : float
        limit : int, optional
            Stop after this many violators (``complete=False``).
        tol : Tolerances, optional
        remember : bool
            Keep this scan's bounds (and chamber vectors) as the prior of later scans.
        warm : bool
            Use the remembered prior.
        budget, reject_above, progress : optional
            The early stop of a non-final scan (``scan_all_chambers``).

        Returns
        -------
        OracleScan
        """
        from relucert.lp.tv.oracle import chamber_vectors, scan_all_chambers

        p = np.asarray(p, dtype=np.float64)
        V = chamber_vectors(self.arr, p) if remember else None
        out = scan_all_chambers(self.arr, p, float(threshold), limit=limit, V=V, tol=tol,
                                prior=self._prior if warm else None, ops=self.ops, budget=budget,
                                reject_above=reject_above, progress=progress)
        if remember:
            self._prior = (out.p, out.bounds, V)
        self.duals.add(p, out.upper_bound)
        return out

    def dual_norm_bound(self, p) -> float:
        """``max_A ||v_A(p)||``, an upper bound of ``max |eta_p|``.

        Parameters
        ----------
        p : ndarray, shape (n,)

        Returns
        -------
        float
        """
        from relucert.lp.tv.oracle import chamber_vectors

        return float(np.max(np.linalg.norm(chamber_vectors(self.arr, np.asarray(p, float)), axis=1), initial=0.0))


class BranchAndBoundOracle:
    """Branch and bound over cones (``lp.tv.bab.maximise``) on the data ``X``.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    lift_scale : float
        A power of two ``s``: the oracle scans the lifted rows ``lift(X) / s`` (the solver's
        internal units). ``eta`` over them is ``eta_{p / s}`` over ``lift(X)``, exact in
        floating point, with the same maximisers.
    bound_nodes : int, optional
        The node budget of :meth:`bound_scan` (default ``BAB_BOUND_NODES``).
    **options
        Passed on to ``maximise`` (``leaf_undecided``, ``max_nodes``, ``time_limit``,
        ``progress``, ``batch``, ``kernels``: the bounding kernels, set by the API layer
        for its ``device``; the subtrees on an executor run numpy's).

    ``executor`` (None: serial; set by the API layer for ``n_jobs`` / ``scheduler``) runs
    :meth:`scan` by subtrees on it (``lp.tv.bab.parallel.maximise_parallel``).
    ``deadline`` (a ``time.perf_counter()`` value, or None) stops every later
    :meth:`scan` at that time (``complete=False``; its ``upper_bound`` holds): the stop
    rule of a time-limited run. :meth:`bound_scan` ignores it and stops on its node budget
    only, so the certified bound of a run does not depend on the machine's speed.

    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> s = BranchAndBoundOracle(X).scan(np.array([0.0, 0.0, 1.0]), 1.0)
    >>> round(s.max_value ** 2, 12), s.n_found, s.sign.tolist()   # one piece: zero weights do not split
    (5.0, 1, [1])
    """

    name = "bab"
    timed_bound = True   # bound_scan may go on to the run's limit (lp.tv.anytime.run_deadlines)

    def __init__(self, X, *, lift_scale: float = 1.0, bound_nodes: int | None = None, **options):
        from relucert._model import lift
        from relucert.lp.tv.bab.warm import WarmStart

        self.X = np.asarray(X, dtype=np.float64)
        self.lift_scale = float(lift_scale)
        self.X_lift = lift(self.X) / self.lift_scale if self.lift_scale != 1.0 else lift(self.X)
        self.options = options
        self.bound_nodes = BAB_BOUND_NODES if bound_nodes is None else int(bound_nodes)
        self.deadline = None
        self.bound_window = None   # (rounds, final) perf_counter values of a time-limited run
        D = self.X.shape[1] + 1
        per_node = 8 * D * D + 16 + self.X.shape[0]   # rays, sign and bound, unpacked inactive bits
        self.memory = WarmStart(self.X, min(BAB_WARM_MAX_NODES, BAB_WARM_MAX_BYTES // per_node))
        self.executor = None   # an executor (relucert.lp.tv.bab.parallel): scan by subtrees on it
        self.duals = DualRecord()
        # the violator policy (lp.tv.oracle_violators): the cap near feasibility and its band
        # (the last scan's max |eta| over the threshold), and each violator at its region's optimum
        self.violator_cap, self.violator_band, self.exact_regions = BAB_SCAN_VIOLATORS, BAB_QUOTA_ETA, True
        self.complete_band = BAB_SCAN_COMPLETE_ETA   # closer still: complete scans
        self.near_cap = BAB_SCAN_NEAR_CAP   # the cap also by the scan's own incumbent
        self.last_max = np.inf   # max |eta| met by the last scan (the violator cap's test)
        self.local = LocalScans(D)   # in the cap's band: local violators in place of a tree scan

    def forget(self) -> None:
        """Drop the remembered frontier (the next scan starts from the root cones) and the
        recorded duals."""
        self.memory.forget()
        self.duals.clear()
        self.bound_window = None
        self.last_max = np.inf
        self.local.forget()

    def scan(self, p, threshold, *, limit=None, tol=None, remember=False, warm=True,
             accept_below=None) -> OracleScan:
        """``lp.tv.bab.maximise`` at ``threshold``; with ``warm``, started from the remembered
        frontier with shifted bounds (proofs/branch_and_bound.md, Lemma 9) instead of the
        roots; with ``remember``, this scan's frontier is kept for later scans. With a
        ``limit`` (the exchange's scans) it is a quota scan: violators also come from the
        bound maximisers' regions, and far from feasible it stops on a node budget once it
        has one (Lemma 10; ``complete=False``, so such a scan certifies nothing). Near
        feasibility (the last scan met at most ``violator_band`` times ``threshold``) and
        without a node budget the ``limit`` is capped at ``violator_cap`` (dropped within
        ``complete_band``: a complete scan), a local scan from the last violators stands in
        for the tree when it lists enough (``local``, a ``LocalScans``), and the violators
        of a scan stopped on its limit are raised to their regions' exact optima
        (``exact_regions``; :mod:`relucert.lp.tv.oracle_violators`). Every scan's ``(p, upper_bound)`` is recorded in
        ``duals`` (:class:`relucert.lp.tv.anytime.DualRecord`: the run's anytime bound).

        Parameters
        ----------
        p : ndarray, shape (n,)
        threshold : float
        limit : int, optional
        tol : Tolerances, optional
        remember, warm : bool
            Keep this scan's frontier; start from the remembered one.
        accept_below : float, optional
            The stopping test (serial scans): stop once the upper bound is at most this
            (``settled``; proofs/local_violators.md, Lemma L3).

        Returns
        -------
        OracleScan
        """
        from relucert.lp.tv.bab import maximise
        from relucert.lp.tv.bab.tree import prepare

        from relucert.lp.tv.oracle_violators import region_optima, scan_limit

        options = dict(self.options)
        near = limit is not None and options.get("max_nodes") is None and self.last_max <= self.violator_band * threshold
        limit = scan_limit(limit, options.get("max_nodes"), self.last_max, threshold, self.violator_band,
                           self.violator_cap, self.complete_band)
        q = np.asarray(p, dtype=np.float64) / self.lift_scale
        local = (self.local.scan(self.X, q, float(threshold), self.dual_norm_bound(p), resolve(tol))
                 if near and limit is not None and self.executor is None else None)
        if local is not None:   # violators next to the last ones (lp.tv.oracle_violators.LocalScans)
            self.duals.add(p, local.upper_bound)
            self.last_max = local.max_value
            return local
        if self.deadline is not None:
            left = max(self.deadline - time.perf_counter(), float(np.finfo(float).tiny))
            given = options.get("time_limit")
            options["time_limit"] = left if given is None else min(given, left)
        if self.executor is not None:   # by subtrees on the executor (issue 14)
            from relucert.lp.tv.bab.parallel import maximise_parallel

            options.pop("batch", None)
            options.pop("kernels", None)   # the workers bound with numpy's kernels
            out = from_bab_scan(maximise_parallel(self.X, q, float(threshold), executor=self.executor, limit=limit,
                                                  tol=tol, **options))
            self.duals.add(p, out.upper_bound)
            self.last_max = float(out.max_value)
            return out
        support = prepare(self.X, q).support
        start = self.memory.seeds(q, support, float(threshold)) if warm else None
        seeds, hints = (None, None) if start is None else start
        # a scan that turns out near feasibility by its own incumbent takes the cap too
        cap = (self.violator_cap, self.violator_band) if options.get("max_nodes") is None and self.near_cap else None
        out = maximise(self.X, q, float(threshold), limit=limit, tol=tol, seeds=seeds, hints=hints,
                       keep_frontier=remember, accept_below=accept_below, near_cap=cap, **options)
        if limit is not None and self.exact_regions:   # each violator at its region's optimum
            out = region_optima(self.X, q, out, resolve(tol))
        self.local.add(out.point, out.sign)
        if remember and out.frontier is not None:
            # a scan stopped on its violator limit is remembered too (its open nodes carry
            # valid bounds): it saved more nodes per scan than remembering complete scans
            # only (benchmarks/RESULTS.md, "warm start")
            pts = out.point if out.max_point is None else np.vstack([out.max_point[None], out.point])
            self.memory.remember(q, support, out.frontier, pts[:BAB_WARM_HINTS])
        elif remember:
            self.memory.forget()
        self.duals.add(p, out.upper_bound)
        self.last_max = float(out.max_value)
        # the frontier lives in the memory only (scans are kept in the candidates' history)
        return from_bab_scan(replace(out, frontier=None))

    def bound_scan(self, p, *, tol=None) -> OracleScan:
        """Best-first ``maximise`` with no threshold and no deadline, ``bound_nodes`` nodes at
        most: ``upper_bound >= max |eta_p|`` (exact to ``tol.bab_rel_gap`` when complete;
        never above :meth:`dual_norm_bound`). It starts from the remembered frontier with
        shifted bounds (Lemma 9; the roots when none is kept), so the bound of a run's last
        dual continues its last scan. When a time-limited run's rounds ran out of time
        (``bound_window``, set by ``lp.tv.anytime.run_deadlines``), the search then goes on
        best-first from its own frontier until the run's limit (the largest open bound
        first: it lowers ``U`` fastest; ``lp.tv.anytime.timed_bound_scan``).

        Parameters
        ----------
        p : ndarray, shape (n,)
        tol : Tolerances, optional

        Returns
        -------
        OracleScan
        """
        from relucert.lp.tv.anytime import timed_bound_scan

        scan = from_bab_scan(timed_bound_scan(self, np.asarray(p, dtype=np.float64) / self.lift_scale, tol))
        trivial = self.dual_norm_bound(p)   # the triangle inequality: better while the tree is shallow
        scan = replace(scan, upper_bound=trivial) if trivial < scan.upper_bound else scan
        self.duals.add(p, scan.upper_bound)
        return scan

    def dual_norm_bound(self, p) -> float:
        """``sum_i |p_i| ||x~_i||`` for ``p`` (n,): an upper bound of ``max |eta_p|`` (triangle
        inequality)."""
        return float(np.abs(np.asarray(p, float)) @ np.linalg.norm(self.X_lift, axis=1))
