"""The loop of the branch and bound (:class:`relucert.lp.tv.bab.search._Search`): a mixin
with the one entry every search runs, :meth:`SearchLoop.explore` (from the roots or from
seed nodes, with a depth cap, the node, time and violator budgets, an incumbent and a
deadline; it returns the open nodes with their depths), and :meth:`SearchLoop.run`, the
whole search of :func:`~relucert.lp.tv.bab.certify` and :func:`~relucert.lp.tv.bab.maximise`.
Its callers: those two, :func:`relucert.lp.tv.bab.search_seeds` (warm starts, proofs Lemma 9)
and the parallel units (:func:`relucert.lp.tv.bab.parallel.search_from`,
proofs/parallel_subtrees.md).
"""
from __future__ import annotations

import heapq
import sys
import time
from typing import NamedTuple

import numpy as np
from tqdm.auto import tqdm

from relucert._model import eta as _eta
from relucert.lp.tv.bab.results import BabStats
from relucert.lp.tv.bab.tree import Nodes, roots

__all__ = ["Seeds", "SearchLoop"]


class Seeds(NamedTuple):
    """Unevaluated nodes a search starts from: rays ``(m, D, D)`` (integer-valued), signs
    ``(m,)``, valid upper bounds ``(m,)`` of their maxima, depths ``(m,)`` (None: 0) and
    packed inactive-row bits ``(m, ceil(k / 8))`` (None: none known)."""

    R: np.ndarray
    sign: np.ndarray
    bound: np.ndarray
    depth: np.ndarray | None = None
    inactive: np.ndarray | None = None


class SearchLoop:
    """The loop of the search. The search provides ``prob``, ``D``, ``mode``, ``batch``,
    ``progress``, ``nbytes``, ``log``, ``seeds``, ``hints``, the budgets, the counters,
    ``cutoff()``, ``_late()``, ``_closed``, ``_front``, ``_incumbent`` and ``_step``."""

    def _first_nodes(self, nodes: Nodes, seeds):
        """The roots (with the triangle-inequality bound ``sum_i |q_i| ||a_i||``, valid on
        every cone: they are bounded in the loop, under its time checks) or the seeds;
        seeds at most the cut-off are closed at once."""
        A, q = self.prob.A, self.prob.q
        if self.hints is not None and len(self.hints):
            pts = np.asarray(self.hints, dtype=np.float64).reshape(-1, self.D)
            val = _eta(A, q, pts)
            self._incumbent(np.concatenate([val, -val]), np.concatenate([pts, pts]),
                            np.repeat(np.array([1, -1], dtype=np.int8), pts.shape[0]))
        if seeds is None:
            R0, s0 = roots(self.D)
            b0 = np.full(R0.shape[0], float(np.abs(q) @ np.linalg.norm(A, axis=1)))
            d0, ina0 = np.zeros(R0.shape[0], dtype=np.int64), np.zeros((R0.shape[0], self.nbytes), dtype=np.uint8)
        else:
            R0, s0, b0, d0, ina0 = seeds
            m = len(s0)
            d0 = np.zeros(m, dtype=np.int64) if d0 is None else np.asarray(d0, dtype=np.int64)
            ina0 = np.zeros((m, self.nbytes), dtype=np.uint8) if ina0 is None else np.asarray(ina0, dtype=np.uint8)
            drop = b0 <= self.cutoff()
            if drop.any():
                self.closed_upper = max(self.closed_upper, float(b0[drop].max()))
                self.n_pruned += int(drop.sum())
                self._closed(R0[drop], s0[drop])
                self._front(R0[drop], s0[drop], b0[drop], ina0[drop])
                R0, s0, b0, d0, ina0 = R0[~drop], s0[~drop], b0[~drop], d0[~drop], ina0[~drop]
        return nodes.add(R0, s0, b0, d0, ina0 if self.nbytes else None)

    def explore(self, seeds: Seeds | None = None, *, max_depth: int | None = None, incumbent: float = 0.0,
                deadline: float | None = None):
        """The search loop: the one entry of :func:`certify`, :func:`maximise`,
        :func:`relucert.lp.tv.bab.search_seeds` and the parallel units
        (:func:`relucert.lp.tv.bab.parallel.search_from`).

        Starts from the roots (``seeds`` None) or from ``seeds``; evaluates nodes
        depth-first (certify) or best-first (maximise) until none is left, a witness is
        met, or the node budget, the time limit, ``deadline`` (a ``time.time()``: a unit
        run in another process) or the violator limit stops it. Nodes of depth
        ``max_depth`` are held open, not evaluated. ``incumbent``: a value met elsewhere
        (maximise prunes with it). Returns ``(nodes, open_ids, stopped)``: the open nodes
        (held ones first, then in the order the loop would take them), also logged last
        in the frontier.
        """
        nodes = Nodes(self.D, self.nbytes)
        self.start = time.perf_counter()
        if deadline is not None:
            left = deadline - time.time()
            self.time_limit = left if self.time_limit is None else min(self.time_limit, left)
        self.best = max(self.best, float(incumbent))
        ids0 = self._first_nodes(nodes, seeds)
        held: list[int] = []
        if max_depth is not None:
            deep = nodes.depth[ids0] >= max_depth
            held, ids0 = [int(i) for i in ids0[deep]], ids0[~deep]
        dfs = self.mode == "certify"
        stack: list[int] = list(ids0[::-1])
        heap: list[tuple[float, int]] = [(-float(b), int(i)) for b, i in zip(nodes.bound[ids0], ids0)]
        heapq.heapify(heap)
        stopped = False
        show = None if self.progress is None else not self.progress
        bar = tqdm(desc=f"bab {self.mode}", unit="node", disable=show, file=sys.stderr, leave=False)
        try:
            while (stack if dfs else heap) and self.witness is None:
                if ((self.max_nodes is not None and self.n_nodes >= self.max_nodes) or self._late()
                        or self._enough()):
                    stopped = True
                    break
                if (self.accept_below is not None and not dfs
                        and max(self.best, self.closed_upper, -heap[0][0]) <= self.accept_below):
                    # the stopping test (Lemma L3): the bound of every open node, closed node and
                    # leaf is at most accept_below, so is max |eta|: the caller's answer is settled
                    stopped = self.settled = True
                    break
                if dfs:
                    take = stack[-self.batch:]
                    del stack[-self.batch:]
                    ids = np.asarray(take[::-1], dtype=np.int64)
                else:
                    pop = heapq.heappop
                    ids = np.fromiter((pop(heap)[1] for _ in range(min(self.batch, len(heap)))), dtype=np.int64)
                kids = self._step(nodes, ids)
                if kids is not None and max_depth is not None:
                    deep = nodes.depth[kids] >= max_depth
                    held.extend(kids[deep].tolist())
                    kids = kids[~deep]
                if kids is not None:
                    if dfs:
                        stack.extend(kids[::-1].tolist())
                    else:
                        for item in zip((-nodes.bound[kids]).tolist(), kids.tolist()):
                            heapq.heappush(heap, item)
                if not bar.disable:     # the open nodes' largest bound costs a pass over the stack
                    bar.update(int(ids.size))
                    top = (float(nodes.bound[np.asarray(stack, dtype=np.int64)].max(initial=0.0)) if dfs
                           else (-heap[0][0] if heap else 0.0))
                    bar.set_postfix(open=len(stack) if dfs else len(heap), best=f"{self.best:.9g}",
                                    bound=f"{max(self.best, self.closed_upper, top):.9g}", refresh=False)
        finally:
            bar.close()
        open_ids = np.asarray(held + (stack[::-1] if dfs else [i for _, i in sorted(heap)]), dtype=np.int64)
        self._front(nodes.R[open_ids], nodes.sign[open_ids], nodes.bound[open_ids], nodes.inactive[open_ids])
        if self.log is not None:
            self.frontier = self.log.result()
        return nodes, open_ids, stopped

    def run(self):
        """:meth:`explore` from the roots or the constructor's seeds: ``(upper, complete, stats)``."""
        nodes, open_ids, stopped = self.explore(self.seeds)
        open_max = float(nodes.bound[open_ids].max()) if open_ids.size else 0.0
        stats = BabStats(n_nodes=self.n_nodes, n_leaves=self.n_leaves, n_pruned=self.n_pruned,
                         n_open=int(open_ids.size), max_depth=self.max_depth,
                         wall_time_s=time.perf_counter() - self.start, n_harvested=self.n_harvested)
        # every point lies in a closed node (bound <= closed_upper), an exact leaf (its upper
        # bound is in closed_upper) or an open node (open_max): the children of the batch
        # that met a witness are kept open, so the bound holds for every status
        upper = max(self.best, self.closed_upper, open_max)
        # a search that skipped Frank-Wolfe steps for time is never complete: a certified
        # tree does not depend on timing (Theorem C)
        complete = not stopped and self.witness is None and not self.hurried
        return upper, complete, stats
