"""The branch and bound from a given list of seed cones, on a node budget: the entry point of
parallel subtrees (a coordinator hands out seeds, each worker returns what it closed, what it
left open and what it found; proofs/branch_and_bound.md, Lemma 9 and Theorems B, C).

Seeds are nodes ``(R, sign)`` with optional bounds and inactive rows; any set of seeds that
tiles R^D once per sign (the roots :func:`relucert.lp.tv.bab.tree.roots`, or the open and
closed nodes of an earlier run) gives the search's guarantees for the whole sphere, and any
subset gives them for the union of its cones. The search itself is
:meth:`relucert.lp.tv.bab.search._Search.explore` (the one loop of ``maximise``,
``certify`` and the parallel units):
depth-first and reproducible in mode "certify" (a node's fate depends only on the node and
the fixed threshold), best-first in mode "maximise".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.lp.tv.bab.loop import Seeds
from relucert.lp.tv.bab.results import BabStats
from relucert.lp.tv.bab.search import _BATCH_BEST, _BATCH_DFS, _Search, _batch, _check_budget, _leaf_rule
from relucert.lp.tv.bab.tree import prepare
from relucert.lp.tv.bab.warm import Frontier
from relucert.tolerances import Tolerances, resolve

__all__ = ["SeedRun", "search_seeds"]


@dataclass(frozen=True)
class SeedRun:
    """What a search from seeds returns.

    Attributes
    ----------
    closed : Frontier
        Nodes closed by their bound and exact leaves, each with an upper bound of its
        maximum (at most the cut-off, or its exact leaf value).
    open : Frontier
        Nodes left open (budget, time, violator limit or witness), with valid bounds: the
        unfinished seeds to hand out again. ``closed`` and ``open`` together tile the
        seeds' union once per sign.
    upper_bound : float
        Bound of ``max |eta_p|`` over the seeds' union (closed, open and met values).
    best_value, best_point, best_sign :
        The largest ``|eta_p|`` met at a point of the seeds' union, its unit point and sign.
    witness : tuple or None
        Mode "certify": ``(point, sign, value)`` with value above the threshold.
    point, sign, value, active :
        Mode "maximise": the violators found (unit maximiser, sign, value, activation
        pattern over the rows of ``support``), as in :class:`relucert.lp.tv.bab.BabScan`.
    support : np.ndarray of int64
        A sample index of each row of the search (the inactive bits run over these rows).
    stats : BabStats
    """

    closed: Frontier
    open: Frontier
    upper_bound: float
    best_value: float
    best_point: np.ndarray | None
    best_sign: int
    witness: tuple | None
    point: np.ndarray
    sign: np.ndarray
    value: np.ndarray
    active: np.ndarray
    support: np.ndarray
    stats: BabStats


def search_seeds(X, p, R, sign, *, bound=None, inactive=None, mode: str = "certify", threshold: float | None = None,
                 tol: Tolerances | None = None, leaf_undecided: int | None = None, max_nodes: int | None = None,
                 time_limit: float | None = None, progress: bool | None = False, batch: int | None = None,
                 hints=None) -> SeedRun:
    """Run the branch and bound from the seed cones ``R`` (signs ``sign``).

    Parameters
    ----------
    X : (n, d) data; p : (n,) dual vector.
    R : (m, D, D) integer-valued rays (columns) of the seeds; sign : (m,) +1 or -1.
    bound : (m,) valid upper bounds of the seeds' maxima (None: ``sum_i |p_i| ||x~_i||``,
        valid on every cone).
    inactive : (m, ceil(k / 8)) uint8 packed bits over the rows of ``prepare(X, p)`` known
        inactive on each seed (None: none known).
    mode : "certify" (depth-first, threshold default ``1 + tol.dual_feas``; stops at a
        witness) or "maximise" (best-first; lists the (region, sign) pairs above
        ``threshold``, default ``inf``).
    max_nodes, time_limit : budgets; progress, batch, leaf_undecided, tol : as in
        :func:`relucert.lp.tv.bab.certify`. hints : (k, D) points seeding the incumbent.

    Returns
    -------
    SeedRun

    Examples
    --------
    From the roots, the same verdict as ``certify``:

    >>> from relucert.lp.tv.bab.tree import roots
    >>> R, s = roots(2)
    >>> run = search_seeds(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 0.0, 0.4]), R, s)
    >>> run.witness is None and run.open.size == 0 and run.upper_bound <= 1.0
    True
    """
    tol = resolve(tol)
    if mode not in ("certify", "maximise"):
        raise ValueError(f"mode must be 'certify' or 'maximise'; got {mode!r}")
    if threshold is None:
        threshold = 1.0 + tol.dual_feas if mode == "certify" else np.inf
    threshold = float(threshold)
    if threshold != threshold or threshold < 0:
        raise ValueError(f"threshold must be a float >= 0; got {threshold!r}")
    _check_budget(max_nodes, time_limit, leaf_undecided, batch)
    prob = prepare(X, p)
    k, D = prob.A.shape[0], prob.A.shape[1]
    R = np.asarray(R, dtype=np.float64)
    sign = np.asarray(sign, dtype=np.int8).reshape(-1)
    m = sign.shape[0]
    if R.shape != (m, D, D) or not np.all(np.isin(sign, (-1, 1))):
        raise ValueError(f"R must have shape (m, {D}, {D}) and sign (m,) entries +-1; got {R.shape}, {sign.shape}")
    if not np.all(np.isfinite(R)) or np.any(R != np.round(R)):
        raise ValueError("R must hold integer-valued, finite rays")
    trivial = float(np.abs(prob.q) @ np.linalg.norm(prob.A, axis=1)) if k else 0.0
    bound = np.full(m, trivial) if bound is None else np.asarray(bound, dtype=np.float64).reshape(m)
    if np.any(np.isnan(bound)):
        raise ValueError("bound must not contain NaN")
    nbytes = (k + 7) // 8
    inactive = (np.zeros((m, nbytes), np.uint8) if inactive is None
                else np.asarray(inactive, dtype=np.uint8).reshape(m, nbytes))
    search = _Search(prob, mode, threshold, tol, limit=None, leaf_undecided=_leaf_rule(leaf_undecided, X),
                     max_nodes=max_nodes, time_limit=time_limit, progress=progress,
                     batch=_batch(batch, _BATCH_DFS if mode == "certify" else _BATCH_BEST, X),
                     seeds=Seeds(R, sign, bound, None, inactive), hints=hints, keep_frontier=True)
    if k:
        upper, _, stats = search.run()
        front = search.frontier
    else:
        upper, stats = 0.0, BabStats(0, 0, 0, 0, 0, 0.0)
        front = Frontier(R, sign, np.zeros(m), inactive)
    cut = front.size - stats.n_open
    part = [Frontier(*(a[sl] for a in (front.R, front.sign, front.bound, front.inactive)))
            for sl in (slice(0, cut), slice(cut, None))]
    items = sorted(search.found.items(), key=lambda kv: -kv[1][0])
    return SeedRun(closed=part[0], open=part[1], upper_bound=upper, best_value=search.best,
                   best_point=search.best_point, best_sign=search.best_sign, witness=search.witness,
                   point=np.array([v[1] for _, v in items], dtype=np.float64).reshape(-1, D),
                   sign=np.array([kk[1] for kk, _ in items], dtype=np.int8),
                   value=np.array([v[0] for _, v in items], dtype=np.float64),
                   active=np.array([v[2] for _, v in items], dtype=bool).reshape(len(items), k),
                   support=prob.support, stats=stats)
