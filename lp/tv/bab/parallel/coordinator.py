"""The coordinator: the branch and bound on an executor, by subtrees (issue 14, DESIGN.md
section 11, proofs/parallel_subtrees.md).

The first levels of the tree (down to ``seed_depth``) are expanded in the calling
process; the open nodes there are the seeds (up to ``2 * 2^D * 2^seed_depth`` of them).
Units of work are chunks of open nodes, each run depth-first (certify) or best-first
(maximise) on a worker with a node budget (:func:`~relucert.lp.tv.bab.parallel.seeds.search_from`);
a unit returns its bounds, incumbent, witness or violators and the nodes its budget left
open, which are re-queued as new units as results arrive (dynamic load balance over very
uneven subtrees). Maximise mode hands every unit the best value met so far (the shared
incumbent), so workers prune with it. Only the data, ``p`` and the seeds travel.

Determinism (certify): a node's fate depends on the node alone (fixed threshold), so the
union of the units' subtrees is the serial tree whatever the scheduling, the number of
workers or the budget; status, bounds and counters are the serial ones (a violated run
stops at the first witness to arrive, which may differ). A unit whose worker died
(``executor.lost``) is run again: it is a pure function of its seeds.
"""
from __future__ import annotations

import math
import os
import pickle
import socket
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from relucert.errors import SolverError
from relucert.lp.tv.bab.parallel.executor import SerialExecutor
from relucert.lp.tv.bab.parallel.seeds import search_from
from relucert.lp.tv.bab.results import BabCertificate, BabScan, BabStats, BabStatus
from relucert.lp.tv.bab.tree import prepare
from relucert.tolerances import (
    PARALLEL_MAX_RETRIES, PARALLEL_SEEDS, PARALLEL_SEEDS_PER_TASK, PARALLEL_TASK_NODES, Tolerances,
    resolve,
)

__all__ = ["ParallelStats", "TaskRecord", "certify_parallel", "maximise_parallel", "run_parallel"]


@dataclass(frozen=True)
class TaskRecord:
    """One unit of work: its id, the unit whose open nodes it took (-1: the seeds), the
    seed nodes it got, the nodes it evaluated, the nodes it left open, the worker's
    seconds, the pickled bytes of its arguments (without the shared data) and of its
    result, the worker process's CPU seconds on it and the worker (``host:pid``)."""

    task: int
    parent: int
    n_seeds: int
    n_nodes: int
    n_open: int
    seconds: float
    bytes_in: int
    bytes_out: int
    cpu_seconds: float = 0.0
    worker: str = ""


@dataclass(frozen=True)
class ParallelStats:
    """How a parallel run went: units, re-runs after a lost worker, the data shipped
    once (``shared_bytes``: X and p, per worker for a scattering executor, per unit for
    the others: counted in ``bytes_in``), and every unit (:class:`TaskRecord`)."""

    n_workers: int
    n_tasks: int
    n_retried: int
    shared_bytes: int
    seed_nodes: int
    seed_time_s: float
    wall_time_s: float
    tasks: tuple = field(repr=False, default=())

    @property
    def bytes_per_task(self) -> float:
        """Mean pickled bytes of a unit's arguments and result."""
        if not self.tasks:
            return 0.0
        return float(np.mean([t.bytes_in + t.bytes_out for t in self.tasks]))


def _unit(X, p, seeds, mode, threshold, incumbent, tol, leaf_undecided, max_nodes, limit, record_tree=False,
          deadline=None):
    """The task a worker runs (module level: pickled by reference); it stops at ``deadline``
    (a ``time.time()``: the run's time limit) with its remaining nodes open."""
    t0, c0 = time.perf_counter(), time.process_time()
    run = search_from(X, p, seeds, mode=mode, threshold=threshold, incumbent=incumbent, tol=tol,
                      leaf_undecided=leaf_undecided, max_nodes=max_nodes, limit=limit, record_tree=record_tree,
                      deadline=deadline)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    out_bytes = len(pickle.dumps(run, protocol=pickle.HIGHEST_PROTOCOL))
    return run, seconds, out_bytes, cpu, f"{socket.gethostname()}:{os.getpid()}"


class _Queue:
    """Units waiting for a worker: fixed chunks of open nodes (rays, sign, inherited
    bound, depth) and the unit that left them. The chunks depend only on the tree (a
    unit's open nodes, in its order, cut into pieces of ``per_task``), never on timing,
    so every unit evaluates the same batches of nodes on any executor: bit-identical
    bounds."""

    def __init__(self, per_task: int):
        self.per_task = per_task
        self.units: list = []

    def __len__(self) -> int:
        return len(self.units)

    def add(self, run, parent: int) -> None:
        k = run.open_bound.size
        for a in range(0, k, self.per_task):
            b = min(a + self.per_task, k)
            self.units.append(((run.open_R[a:b], run.open_sign[a:b], run.open_bound[a:b], run.open_depth[a:b]),
                               parent))

    def prune(self, cutoff: float) -> np.ndarray:
        """Drop the nodes whose inherited bound is at most ``cutoff`` (maximise); their bounds."""
        out, keep = [], []
        for (R, sg, bd, dp), parent in self.units:
            drop = bd <= cutoff
            out.append(bd[drop])
            if not drop.all():
                keep.append(((R[~drop], sg[~drop], bd[~drop], dp[~drop]), parent))
        self.units = keep
        return np.concatenate(out) if out else np.zeros(0)

    def take(self, best_first: bool):
        """The unit with the largest bound (best-first) or the last added (depth-first)."""
        j = int(np.argmax([u[0][2].max() for u in self.units])) if best_first else len(self.units) - 1
        return self.units.pop(j)

    def bound(self) -> float:
        return max([float(u[0][2].max()) for u in self.units], default=0.0)

    def n_nodes(self) -> int:
        return sum(int(u[0][2].size) for u in self.units)


class _Merged:
    """The results of the units merged (maxima, sums, violators by region key)."""

    def __init__(self, first):
        self.best, self.best_point, self.best_sign = first.best, first.best_point, first.best_sign
        self.witness = first.witness
        self.closed_upper = first.closed_upper
        self.found = dict(first.found)
        self.n_nodes, self.n_leaves = first.n_nodes, first.n_leaves
        self.n_pruned, self.max_depth = first.n_pruned, first.max_depth
        self.splits = None if first.splits is None else dict(first.splits)

    def add(self, run) -> None:
        if run.best_point is not None and run.best > self.best:
            self.best, self.best_point, self.best_sign = run.best, run.best_point, run.best_sign
        if self.witness is None and run.witness is not None:
            self.witness = run.witness
        self.closed_upper = max(self.closed_upper, run.closed_upper)
        for key, val in run.found.items():
            if key not in self.found or self.found[key][0] < val[0]:
                self.found[key] = val
        self.n_nodes += run.n_nodes
        self.n_leaves += run.n_leaves
        self.n_pruned += run.n_pruned
        self.max_depth = max(self.max_depth, run.max_depth)
        if self.splits is not None and run.splits:
            self.splits.update(run.splits)   # disjoint subtrees: disjoint keys


def _seed_depth(D: int) -> int:
    """Smallest depth ``k >= 0`` with ``2 * 2^D * 2^k >= PARALLEL_SEEDS`` (a function of ``D``
    alone: the units must not depend on the executor)."""
    return max(0, math.ceil(math.log2(max(1.0, PARALLEL_SEEDS / 2.0 ** (D + 1)))))


def run_parallel(X, p, mode: str, *, executor=None, threshold: float | None = None, tol: Tolerances | None = None,
                 leaf_undecided: int | None = None, seed_depth: int | None = None, task_nodes: int | None = None,
                 seeds_per_task: int | None = None, max_nodes: int | None = None, time_limit: float | None = None,
                 limit: int | None = None, progress: bool | None = None, record_tree: bool = False):
    """The branch and bound of ``mode`` ("certify" or "maximise") on ``executor`` by
    subtrees (module docstring): ``(merged, frontier_bound, n_open, stats, prob)``, the
    parts :func:`certify_parallel` and :func:`maximise_parallel` assemble."""
    ex = SerialExecutor() if executor is None else executor
    tol = resolve(tol)
    if threshold is None:
        threshold = 1.0 + tol.dual_feas if mode == "certify" else np.inf
    threshold = float(threshold)
    prob = prepare(X, p)
    X = np.asarray(X, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    D = X.shape[1] + 1
    n_workers = max(1, int(getattr(ex, "n_workers", 1)))
    depth = _seed_depth(D) if seed_depth is None else int(seed_depth)
    budget = PARALLEL_TASK_NODES if task_nodes is None else int(task_nodes)
    per_task = PARALLEL_SEEDS_PER_TASK if seeds_per_task is None else int(seeds_per_task)
    best_first = mode == "maximise"
    start = time.perf_counter()
    # the time limit as a wall-clock deadline shipped with every unit (workers on other
    # machines: clocks kept in step by NTP, to milliseconds); the coordinator checks it too
    deadline = None if time_limit is None else time.time() + time_limit
    first = search_from(X, p, None, mode=mode, threshold=threshold, tol=tol, leaf_undecided=leaf_undecided,
                        max_depth=depth, limit=limit, record_tree=record_tree, deadline=deadline)
    seed_time = time.perf_counter() - start
    merged, queue = _Merged(first), _Queue(per_task)
    queue.add(first, -1)
    n_seed_nodes = queue.n_nodes()
    Xh, ph = ex.share(X), ex.share(p)
    shipped = 0 if (Xh is X and ph is p) else 1
    data_bytes = len(pickle.dumps((X, p), protocol=pickle.HIGHEST_PROTOCOL))
    inflight: dict = {}
    records: list[TaskRecord] = []
    n_retried = 0
    stopped = False
    show = None if progress is None else not progress
    bar = tqdm(desc=f"bab {mode} x{n_workers}", unit="node", disable=show, file=sys.stderr, leave=False)
    bar.update(first.n_nodes)

    def cutoff() -> float:
        return threshold if mode == "certify" else min(threshold, merged.best * (1.0 + tol.bab_rel_gap))

    def submit(seeds, parent: int, tries: int = 0) -> None:
        args = (seeds, mode, threshold, merged.best, tol, leaf_undecided, budget, limit, record_tree, deadline)
        size = len(pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)) + (0 if shipped else data_bytes)
        fut = ex.submit(_unit, Xh, ph, *args)
        inflight[fut] = (seeds, parent, tries, size)

    def fill() -> None:
        if best_first:
            dropped = queue.prune(cutoff())
            if dropped.size:
                merged.closed_upper = max(merged.closed_upper, float(dropped.max()))
                merged.n_pruned += int(dropped.size)
        while len(inflight) < 2 * n_workers and len(queue):
            seeds, parent = queue.take(best_first)
            submit(seeds, parent)

    def done() -> bool:
        return (merged.witness is not None or (limit is not None and len(merged.found) >= limit)
                or (max_nodes is not None and merged.n_nodes >= max_nodes)
                or (deadline is not None and time.time() >= deadline))

    try:
        stopped = merged.witness is not None or (limit is not None and len(merged.found) >= limit)
        if not stopped:
            fill()
        while inflight and not stopped:
            for fut in ex.as_completed(list(inflight)):
                seeds, parent, tries, size = inflight.pop(fut)
                try:
                    run, seconds, out_bytes, cpu, worker = fut.result()
                except Exception as exc:
                    if ex.lost(exc) and tries < PARALLEL_MAX_RETRIES:
                        n_retried += 1
                        submit(seeds, parent, tries + 1)
                        continue
                    if ex.lost(exc):
                        raise SolverError(f"parallel branch and bound: a unit's worker was lost "
                                          f"{tries + 1} times ({type(exc).__name__}: {exc})") from exc
                    raise
                task = len(records)
                records.append(TaskRecord(task, parent, len(seeds[1]), run.n_nodes, int(run.open_bound.size), seconds,
                                          size, out_bytes, cpu, worker))
                merged.add(run)
                queue.add(run, task)
                bar.update(run.n_nodes)
                bar.set_postfix(units=len(records), queued=len(queue), refresh=False)
                if done():
                    stopped = True
                    break
                fill()
    except BaseException:
        ex.cancel(list(inflight))
        raise
    finally:
        bar.close()
    if stopped and inflight:
        ex.cancel(list(inflight))
    left = [s[2] for s, *_ in inflight.values()]
    frontier_bound = float(max([queue.bound()] + [float(b.max(initial=0.0)) for b in left]))
    n_open = queue.n_nodes() + sum(b.size for b in left)
    stats = ParallelStats(n_workers=n_workers, n_tasks=len(records), n_retried=n_retried,
                          shared_bytes=data_bytes * (n_workers if shipped else 0), seed_nodes=n_seed_nodes,
                          seed_time_s=seed_time, wall_time_s=time.perf_counter() - start, tasks=tuple(records))
    return merged, frontier_bound, n_open, stats, prob


def _bab_stats(merged, n_open: int, wall: float) -> BabStats:
    return BabStats(n_nodes=merged.n_nodes, n_leaves=merged.n_leaves, n_pruned=merged.n_pruned, n_open=n_open,
                    max_depth=merged.max_depth, wall_time_s=wall)


def certify_parallel(X, p, *, executor=None, threshold: float | None = None, tol: Tolerances | None = None,
                     leaf_undecided: int | None = None, seed_depth: int | None = None,
                     task_nodes: int | None = None, seeds_per_task: int | None = None,
                     max_nodes: int | None = None, time_limit: float | None = None,
                     progress: bool | None = None, return_stats: bool = False, record_tree: bool = False):
    """:func:`relucert.lp.tv.bab.certify` by subtrees on ``executor`` (None: serial, in
    this process). Same status, bounds and node counts as the serial certify (a violated
    run's witness may be another point above the threshold).

    Parameters
    ----------
    X, p, threshold, tol, leaf_undecided, max_nodes, time_limit, progress
        As :func:`relucert.lp.tv.bab.certify`.
    executor : an :class:`~relucert.lp.tv.bab.parallel.executor.Executor`
        (``relucert._executors.executor_for`` builds one for ``n_jobs`` / ``scheduler``).
    seed_depth : depth of the seed nodes (default: enough for a few units per worker).
    task_nodes : node budget of one unit (default ``PARALLEL_TASK_NODES``).
    return_stats : also return the :class:`ParallelStats`.
    record_tree : the certificate's ``splits``, as :func:`relucert.lp.tv.bab.certify`'s
        (the exact tree certificate replays them).

    Returns
    -------
    BabCertificate, or (BabCertificate, ParallelStats)

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> certify_parallel(X, np.array([0.0, 0.0, 0.4])).status.value
    'certified'
    """
    tol = resolve(tol)
    thr = 1.0 + tol.dual_feas if threshold is None else float(threshold)
    if not math.isfinite(thr) or thr < 0:
        raise ValueError(f"threshold must be a finite float >= 0; got {threshold!r}")
    merged, frontier_bound, n_open, stats, _ = run_parallel(
        X, p, "certify", executor=executor, threshold=thr, tol=tol, leaf_undecided=leaf_undecided,
        seed_depth=seed_depth, task_nodes=task_nodes, seeds_per_task=seeds_per_task, max_nodes=max_nodes,
        time_limit=time_limit, progress=progress, record_tree=record_tree)
    upper = max(merged.best, merged.closed_upper, frontier_bound)
    bstats = _bab_stats(merged, n_open, stats.wall_time_s)
    if merged.witness is not None:
        pt, sg, val = merged.witness
        out = BabCertificate(status=BabStatus.VIOLATED, threshold=thr, upper_bound=upper, lower_bound=merged.best,
                             witness_point=pt, witness_sign=sg, witness_value=val, stats=bstats)
    else:
        out = BabCertificate(status=BabStatus.CERTIFIED if n_open == 0 else BabStatus.LIMIT, threshold=thr,
                             upper_bound=upper, lower_bound=merged.best, witness_point=None, witness_sign=0,
                             witness_value=float("nan"), stats=bstats, splits=merged.splits)
    return (out, stats) if return_stats else out


def maximise_parallel(X, p, threshold: float = np.inf, *, executor=None, limit: int | None = None,
                      tol: Tolerances | None = None, leaf_undecided: int | None = None,
                      seed_depth: int | None = None, task_nodes: int | None = None,
                      seeds_per_task: int | None = None, max_nodes: int | None = None,
                      time_limit: float | None = None, progress: bool | None = None, return_stats: bool = False):
    """:func:`relucert.lp.tv.bab.maximise` by subtrees on ``executor``, every unit pruning
    with the best value met so far. ``max_value`` is within ``tol.bab_rel_gap`` of the
    maximum and the violators above ``threshold`` are every (region, sign) above it
    (proofs/branch_and_bound.md, Theorem B, Lemma 7), whatever the scheduling; which leaf
    met a region's maximum (its value to rounding) may depend on it.

    Returns
    -------
    BabScan, or (BabScan, ParallelStats) with ``return_stats``

    Examples
    --------
    >>> scan = maximise_parallel(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 0.0, 1.0]))
    >>> round(scan.max_value ** 2, 12)
    5.0
    """
    threshold = float(threshold)
    if threshold != threshold:
        raise ValueError("threshold must be a float (inf allowed); got nan")
    merged, frontier_bound, n_open, stats, prob = run_parallel(
        X, p, "maximise", executor=executor, threshold=threshold, tol=tol, leaf_undecided=leaf_undecided,
        seed_depth=seed_depth, task_nodes=task_nodes, seeds_per_task=seeds_per_task, max_nodes=max_nodes,
        time_limit=time_limit, limit=limit, progress=progress)
    items = sorted(merged.found.items(), key=lambda kv: (-kv[1][0], kv[0]))
    D, k = prob.A.shape[1], prob.A.shape[0]
    out = BabScan(max_value=merged.best, max_point=merged.best_point, max_sign=merged.best_sign,
                  upper_bound=max(merged.best, merged.closed_upper, frontier_bound), complete=n_open == 0,
                  threshold=threshold,
                  point=np.array([v[1] for _, v in items], dtype=np.float64).reshape(-1, D),
                  sign=np.array([key[1] for key, _ in items], dtype=np.int8),
                  value=np.array([v[0] for _, v in items], dtype=np.float64),
                  active=np.array([v[2] for _, v in items], dtype=bool).reshape(len(items), k),
                  support=prob.support, groups=prob.groups, stats=_bab_stats(merged, n_open, stats.wall_time_s))
    return (out, stats) if return_stats else out
