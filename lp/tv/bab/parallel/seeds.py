"""The unit of parallel work: the branch and bound run on the subtrees of a list of seed
nodes with a node budget (issue 14; proofs/parallel_subtrees.md).

:func:`search_from` runs the one loop of :mod:`relucert.lp.tv.bab.search`
(``_Search.explore``, the loop of :func:`~relucert.lp.tv.bab.certify` and
:func:`~relucert.lp.tv.bab.maximise`) from given nodes instead of the roots, and returns
what a coordinator needs to merge: the bounds, the incumbent, the witness or violators,
and the nodes it left open.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from relucert.lp.tv.bab.search import _BATCH_BEST, _BATCH_DFS, _batch, _leaf_rule, _Search
from relucert.lp.tv.bab.loop import Seeds
from relucert.lp.tv.bab.tree import prepare
from relucert.tolerances import Tolerances, resolve

__all__ = ["UnitRun", "search_from"]


@dataclass(frozen=True)
class UnitRun:
    """What :func:`search_from` returns for one unit of work (a list of seed nodes).

    ``best`` / ``best_point`` / ``best_sign``: the largest value met at a point (the
    point is None when none beat the given incumbent); ``witness``: (point, sign, value)
    above the threshold (certify) or None; ``closed_upper``: the largest bound of a node
    closed here; ``found``: the violators (maximise: region key -> (value, point, active));
    ``open_*``: the nodes not evaluated (the budget or the depth cap stopped them: rays,
    sign, inherited bound, depth); the counters as in :class:`BabStats`.
    """

    best: float
    best_point: np.ndarray | None
    best_sign: int
    witness: tuple | None
    closed_upper: float
    found: dict
    open_R: np.ndarray
    open_sign: np.ndarray
    open_bound: np.ndarray
    open_depth: np.ndarray
    n_nodes: int
    n_leaves: int
    n_pruned: int
    max_depth: int
    splits: dict | None = None


def search_from(X, p, seeds=None, *, mode: str = "certify", threshold: float | None = None,
                incumbent: float = 0.0, tol: Tolerances | None = None, leaf_undecided: int | None = None,
                max_nodes: int | None = None, max_depth: int | None = None, limit: int | None = None,
                batch: int | None = None, record_tree: bool = False, deadline: float | None = None) -> UnitRun:
    """Run the search of :func:`certify` (``mode="certify"``, depth-first) or :func:`maximise`
    (``"maximise"``, best-first) on the subtrees of ``seeds`` only
    (:meth:`relucert.lp.tv.bab.search._Search.explore`, the loop of both).

    ``seeds``: ``(R, sign, bound, depth)`` arrays of unevaluated nodes (rays ``(k, D, D)``,
    their inherited bounds), or None for the roots (as the full search starts).
    ``max_nodes`` is this unit's node budget; nodes of depth ``max_depth`` are returned
    open instead of evaluated; ``incumbent`` is a value met elsewhere (maximise prunes
    with it); ``deadline``: a ``time.time()`` at which the unit stops and returns its
    nodes open (the run's time limit, met inside the unit); ``record_tree``: the run's ``splits`` maps
    every node it split to its edge, as :func:`certify`'s (merged over the units, the
    solver's tree). A node's fate depends on the node alone in certify mode (fixed
    threshold), so the union of the subtrees is the tree of :func:`certify`
    (proofs/branch_and_bound.md, Theorem C; proofs/parallel_subtrees.md).
    """
    tol = resolve(tol)
    if mode not in ("certify", "maximise"):
        raise ValueError(f"mode must be 'certify' or 'maximise'; got {mode!r}")
    threshold = (1.0 + tol.dual_feas if mode == "certify" else np.inf) if threshold is None else float(threshold)
    prob = prepare(X, p)
    D = prob.A.shape[1]
    if prob.A.shape[0] == 0:   # eta = 0: nothing to search
        return UnitRun(0.0, None, 0, None, 0.0, {}, np.zeros((0, D, D)), np.zeros(0, np.int8), np.zeros(0),
                       np.zeros(0, np.int64), 0, 0, 0, 0)
    search = _Search(prob, mode, threshold, tol, limit=limit, leaf_undecided=_leaf_rule(leaf_undecided, X),
                     max_nodes=max_nodes, time_limit=None, progress=False,
                     batch=_batch(batch, _BATCH_DFS if mode == "certify" else _BATCH_BEST, X))
    if record_tree:
        search.splits = {}
    start = None if seeds is None else Seeds(np.asarray(seeds[0], np.float64), np.asarray(seeds[1], np.int8),
                                             np.asarray(seeds[2], np.float64), np.asarray(seeds[3], np.int64))
    nodes, rest, _ = search.explore(start, max_depth=max_depth, incumbent=incumbent, deadline=deadline)
    return UnitRun(best=search.best, best_point=search.best_point, best_sign=search.best_sign,
                   witness=search.witness, closed_upper=search.closed_upper, found=search.found,
                   open_R=nodes.R[rest].copy(), open_sign=nodes.sign[rest].copy(),
                   open_bound=nodes.bound[rest].copy(), open_depth=nodes.depth[rest].copy(),
                   n_nodes=search.n_nodes, n_leaves=search.n_leaves, n_pruned=search.n_pruned,
                   max_depth=search.max_depth, splits=search.splits)
