"""Branch and bound over simplicial cones of the sphere for ``max |eta_p|``.

``eta_p(theta) = sum_i p_i relu(<x~_i, theta>)`` is a one-hidden-layer ReLU network of
``theta``; both ``+eta`` and ``-eta`` are maximised over the unit ball by splitting the
input space (DESIGN.md section 10, proofs/branch_and_bound.md). A node is a pair
(cone, sign). Roots: the ``2^D`` orthants, each with both signs. Each node gets the
polar-cone bound of its linear majorant (:mod:`relucert.lp.tv.bab.cones`); nodes whose bound
is at most the cut-off are closed, nodes with at most ``leaf_undecided`` undecided
points are solved exactly (:mod:`relucert.lp.tv.bab.leaves`), thin nodes
(``prod_j ||r_j||^2 >= 4^BAB_THIN_BITS``, exact) are forced leaves solved by their
sub-arrangement without a float bound (:mod:`relucert.lp.tv.bab.forced`, proofs Lemma 11),
the others are split at
the edge that carries the largest relaxation error (:func:`relucert.lp.tv.bab.tree.split`)
with the new ray ``r_j + r_k``.

Two modes:

- :func:`maximise` (best-first on the bound): ``max |eta_p|`` within
  ``tol.bab_rel_gap`` (relative) and every (region, sign) whose maximum exceeds a
  threshold, with its maximiser (the information of ``lp.tv.oracle_api.OracleScan``);
- :func:`certify` (depth-first, fixed threshold ``1 + tol.dual_feas``): certified,
  violated (with a witness) or, on a node or time budget, ``limit`` with a valid upper
  bound on ``max |eta_p|`` from the open nodes (an anytime certified bound; also when
  violated: the children of the batch that met the witness stay open).

Roots carry the triangle bound ``sum_i |q_i| ||a_i||`` and are bounded inside the timed
loop. A search may start from seed nodes instead of the roots (a warm start from an
earlier frontier with shifted bounds, :mod:`relucert.lp.tv.bab.warm`, proofs Lemma 9; or
parallel subtrees, :mod:`relucert.lp.tv.bab.seeds`) and record its frontier.
"""
from __future__ import annotations

import time

import numpy as np

from relucert.errors import SolverError
from relucert.lp.tv.bab import cones
from relucert.lp.tv.bab.bounding import Bounding
from relucert.lp.tv.bab.forced import forced_leaf, has_interior_in, thin_mask
from relucert.lp.tv.bab.loop import SearchLoop, Seeds
from relucert.lp.tv.bab.results import BabCertificate, BabScan, BabStats, BabStatus
from relucert.lp.tv.bab.tree import Nodes, Problem, prepare, record_splits, split
from relucert.lp.tv.bab.warm import Frontier, FrontierLog
from relucert.tolerances import BAB_RAY_LIMIT, BAB_THIN_BITS, Tolerances, resolve

__all__ = ["BabStatus", "BabStats", "BabScan", "BabCertificate", "maximise", "certify", "LEAF_EXTRA"]

#: default exact-leaf rule: a node with at most ``D + LEAF_EXTRA`` undecided points
#: (``D = d + 1``) is solved exactly (``2^|U|`` sub-patterns). ``D - 1`` hyperplanes meet
#: at every vertex line of the arrangement, so fewer would split forever around them;
#: more trades nodes for costlier leaves (benchmarks/RESULTS.md, branch and bound).
LEAF_EXTRA = 0
# nodes evaluated together (vectorised): depth-first (certify) and best-first (maximise,
# where a large batch expands nodes a better incumbent would have pruned)
_BATCH_DFS = 1024
_BATCH_BEST = 256
# the batches above are for D <= _BATCH_FULL_D; a bound costs about 2^D (cone faces), so
# beyond it they shrink by 2^(D - _BATCH_FULL_D), down to _BATCH_MIN (time checks stay
# frequent at d = 10: a batch of 1024 nodes took 10 s there); the tree does not depend on it
_BATCH_FULL_D = 5
_BATCH_MIN = 8
# a forced leaf (rays too long to split exactly) may have at most this many undecided points
_MAX_FORCED_UNDECIDED = 16
# Frank-Wolfe steps on the relaxation slopes of the undecided negative terms per node
_ALPHA_STEPS = 4


class _Search(Bounding, SearchLoop):
    """The shared loop; ``mode`` is "maximise" or "certify"."""

    def __init__(self, prob: Problem, mode: str, threshold: float, tol: Tolerances, *, limit, leaf_undecided,
                 max_nodes, time_limit, progress, batch, seeds=None, hints=None, keep_frontier=False, kernels=None):
        self.prob, self.mode, self.threshold, self.tol = prob, mode, float(threshold), tol
        self.kernels = self.kernels if kernels is None else kernels    # default: numpy (Bounding.kernels)
        self.limit, self.k0, self.max_nodes, self.time_limit = limit, leaf_undecided, max_nodes, time_limit
        self.batch = batch
        self.progress = progress
        self.D = prob.A.shape[1]
        self.best, self.best_point, self.best_sign = 0.0, None, 0
        self.closed_upper = 0.0
        self.found: dict[tuple[bytes, int], tuple[float, np.ndarray, np.ndarray]] = {}
        self.witness = None
        self.n_nodes = self.n_leaves = self.n_pruned = self.n_forced = 0
        self.regions: dict = {}     # forced leaves: region patterns per undecided set
        self.max_depth = 0
        self.alpha_steps = _ALPHA_STEPS
        self.record: list | None = None     # tests: (rays, signs) of every closed node
        # the first nodes of run() instead of the roots (Seeds), and points whose |eta| seeds
        # the incumbent (warm start, proofs Lemma 9)
        self.seeds, self.hints = seeds, hints
        self.nbytes = (prob.A.shape[0] + 7) // 8 if keep_frontier else 0
        self.log = FrontierLog(self.D, self.nbytes) if keep_frontier else None
        self.frontier: Frontier | None = None
        self.start = 0.0
        self.hurried = False
        self.splits: dict | None = None     # certify(record_tree=True): (sign, rays) -> split edge (j, k)
        # maximise with a violator quota: also list the regions of the bound maximisers
        # above the threshold (Bounding._harvest), so the quota fills before the leaves
        self.harvest = False
        self.n_harvested = 0
        # (cap, band): a quota scan also stops at cap violators once its incumbent is at
        # most band times the threshold (Bounding._enough); None: only at the limit
        self.near_cap: tuple[int, float] | None = None
        # maximise's stopping test (proofs/local_violators.md, Lemma L3): stop once the upper
        # bound is at most accept_below (settled)
        self.accept_below: float | None = None
        self.settled = False

    def _front(self, R, sign, bound, inactive) -> None:
        if self.log is not None:
            self.log.add(R, sign, bound, inactive)

    def _late(self) -> bool:
        return self.time_limit is not None and time.perf_counter() - self.start >= self.time_limit

    def _closed(self, R: np.ndarray, sign: np.ndarray) -> None:
        if self.record is not None:
            self.record.append((R.copy(), np.asarray(sign, dtype=np.int8).copy()))

    def cutoff(self) -> float:
        if self.mode == "certify":
            return self.threshold
        return min(self.threshold, self.best * (1.0 + self.tol.bab_rel_gap))

    def _thin_leaves(self, R, sg, inherited, known) -> None:
        """Thin cones (``prod_j ||r_j||^2 >= 4^BAB_THIN_BITS``): exact leaves by their
        sub-arrangement (:func:`relucert.lp.tv.bab.forced.forced_leaf`, proofs Lemma 11),
        neither bounded nor split in float."""
        A, q = self.prob.A, self.prob.q
        act, und, _, _ = cones.classify(A, R)
        self.n_leaves += int(R.shape[0])
        self.n_forced += int(R.shape[0])
        self._closed(R, sg)
        upper = np.zeros(R.shape[0])
        for m in range(R.shape[0]):
            s = int(sg[m])
            a, val, pt = forced_leaf(A, s * q, act[m], und[m], R[m], self.tol.sign_zero, self.regions)
            upper[m] = float(val.max(initial=0.0))
            ok = val > 0
            self._incumbent(val[ok], pt[ok], np.full(int(ok.sum()), s))
            if self.mode == "maximise":     # a violator is a region with interior in the cone (Lemma 7)
                for k in np.flatnonzero(val > max(self.threshold, 0.0)):
                    key = (np.packbits(a[k]).tobytes(), s)
                    if ((key not in self.found or self.found[key][0] < val[k])
                            and has_interior_in(R[m], A, a[k], und[m], self.tol.sign_zero)):
                        self.found[key] = (float(val[k]), pt[k], a[k])
        self.closed_upper = max(self.closed_upper, float(upper.max()))
        ina = known | np.packbits(~act & ~und, axis=1) if self.nbytes else known
        self._front(R, sg, np.minimum(inherited, upper), ina)

    def _step(self, nodes: Nodes, ids: np.ndarray):
        cutoff = self.cutoff()
        inherited = nodes.bound[ids]
        drop = inherited <= cutoff
        if drop.any():
            self.closed_upper = max(self.closed_upper, float(inherited[drop].max()))
            self.n_pruned += int(drop.sum())
            self._closed(nodes.R[ids[drop]], nodes.sign[ids[drop]])
            self._front(nodes.R[ids[drop]], nodes.sign[ids[drop]], inherited[drop], nodes.inactive[ids[drop]])
            nodes.release(ids[drop])
            ids, inherited = ids[~drop], inherited[~drop]
        if ids.size == 0:
            return None
        R, sg, depth = nodes.R[ids], nodes.sign[ids].astype(np.float64), nodes.depth[ids]
        known = nodes.inactive[ids]
        nodes.release(ids)
        self.n_nodes += int(ids.size)
        self.max_depth = max(self.max_depth, int(depth.max()))
        thin = thin_mask(R, BAB_THIN_BITS)
        if thin.any():      # forced leaves, decided by the conditioning (proofs Lemma 11)
            self._thin_leaves(R[thin], sg[thin], inherited[thin], known[thin])
            keep = ~thin
            R, sg, depth, known, inherited = R[keep], sg[keep], depth[keep], known[keep], inherited[keep]
            if not keep.any():
                return None
        Q, act, und, Rn, G, bound, Sn = self._bound(R, sg, inherited, cutoff)
        ina = known | np.packbits(~act & ~und, axis=1) if self.nbytes else known
        cutoff = self.cutoff()
        closed = bound <= cutoff
        if closed.any():
            self.closed_upper = max(self.closed_upper, float(bound[closed].max()))
            self.n_pruned += int(closed.sum())
            self._closed(R[closed], sg[closed])
            self._front(R[closed], sg[closed], bound[closed], ina[closed])
        live = np.flatnonzero(~closed)
        if live.size == 0:
            return None
        nu = und[live].sum(axis=1)
        with np.errstate(over="ignore"):    # a crossing at rounding level of a ray scores inf
            c1, c2, longest = split(R[live], Rn[live], Sn[live], Q[live], und[live])
        forced = longest > BAB_RAY_LIMIT
        if np.any(forced & (nu > _MAX_FORCED_UNDECIDED)):
            raise SolverError(
                f"branch and bound: a cone narrower than float resolution still has {int(nu[forced].max())} "
                f"undecided points (more than {_MAX_FORCED_UNDECIDED}): the data are too degenerate for it; "
                "use the enumeration oracle")
        leaf = (nu <= self.k0) | forced
        L = live[leaf]
        if L.size:
            self._closed(R[L], sg[L])
            upper = self._leaves(L, Q, act, und, Rn, G, sg)
            self._front(R[L], sg[L], np.minimum(bound[L], upper), ina[L])
        rest = ~leaf
        if not rest.any():
            return None
        k = int(rest.sum())
        if self.splits is not None:
            record_splits(self.splits, R[live][rest], sg[live][rest], c1[rest], c2[rest])
        Rc = np.concatenate([c1[rest], c2[rest]])
        b = np.tile(bound[live][rest], 2)
        dep = np.tile(depth[live][rest] + 1, 2)
        sgn = np.tile(sg[live][rest].astype(np.int8), 2)
        kids = nodes.add(Rc, sgn, b, dep, np.tile(ina[live][rest], (2, 1)) if self.nbytes else None)
        order = np.arange(2 * k).reshape(2, k).T.reshape(-1)   # first and second child of each parent together
        return kids[order]


def _batch(batch, base: int, X) -> int:
    """The batch size: ``batch`` if given, else ``base`` shrunk for large ``D``."""
    if batch is not None:
        return int(batch)
    D = np.shape(X)[1] + 1
    return max(_BATCH_MIN, base >> max(0, D - _BATCH_FULL_D))


def _leaf_rule(leaf_undecided, X) -> int:
    D = np.shape(X)[1] + 1
    return min(D + LEAF_EXTRA, _MAX_FORCED_UNDECIDED) if leaf_undecided is None else int(leaf_undecided)


def _check_budget(max_nodes, time_limit, leaf_undecided, batch):
    if max_nodes is not None and (not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1):
        raise ValueError(f"max_nodes must be None or an int >= 1; got {max_nodes!r}")
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise ValueError(f"time_limit must be None or a float > 0 (seconds); got {time_limit!r}")
    if leaf_undecided is not None and (not isinstance(leaf_undecided, (int, np.integer))
                                       or not 0 <= leaf_undecided <= _MAX_FORCED_UNDECIDED):
        raise ValueError(f"leaf_undecided must be None or an int in [0, {_MAX_FORCED_UNDECIDED}]; "
                         f"got {leaf_undecided!r}")
    if batch is not None and (not isinstance(batch, (int, np.integer)) or batch < 1):
        raise ValueError(f"batch must be None or an int >= 1; got {batch!r}")


def maximise(X, p, threshold: float = np.inf, *, limit: int | None = None, tol: Tolerances | None = None,
             leaf_undecided: int | None = None, max_nodes: int | None = None, time_limit: float | None = None,
             progress: bool | None = None, batch: int | None = None, seeds=None, hints=None,
             keep_frontier: bool = False, kernels=None, harvest: bool = True,
             accept_below: float | None = None, near_cap: tuple[int, float] | None = None) -> BabScan:
    """``max |eta_p|`` over the sphere by best-first branch and bound, and the regions
    above ``threshold``.

    Parameters
    ----------
    X : (n, d) data; p : (n,) dual vector.
    threshold : list every (region, sign) whose maximum exceeds it (``inf``: none).
    limit : stop once this many are found (``complete=False``); with ``harvest`` (default)
        such a scan also lists the region of every bound maximiser above ``threshold`` with
        its exact maximum, so the quota fills from the first batches (proofs Lemma 10), and
        far from feasible (``max |eta_p|`` met above ``BAB_QUOTA_ETA`` times ``threshold``)
        it stops after ``BAB_QUOTA_NODES`` nodes once it has listed one.
    leaf_undecided : nodes with at most this many undecided points are exact leaves
        (default ``d + 1 + LEAF_EXTRA``).
    max_nodes, time_limit : budgets; when one stops the search, ``complete=False`` and
        ``upper_bound`` still bounds ``max |eta_p|`` (open nodes included).
    progress : tqdm bar on stderr (None: only on a terminal).
    batch : nodes evaluated together (default 256; certify: 1024; halved per dimension above D = 5).
    seeds : optional ``(R, sign, bound, inactive)``: start from these nodes instead of the
        roots (they must tile R^D once per sign; ``bound`` valid for ``p``; ``inactive``
        packed bits over the rows of ``prepare(X, p)``): a warm start (proofs Lemma 9,
        :class:`relucert.lp.tv.bab.warm.WarmStart`).
    hints : optional (k, D) points whose ``|eta_p|`` seeds the incumbent.
    keep_frontier : return the frontier (closed nodes, leaves, open nodes with their
        bounds) in ``BabScan.frontier``.
    kernels : the bounding kernels (None: the numpy module ``lp.tv.bab.cones``, the
        reference; ``relucert.gpu.bab_kernels(device)`` runs them in torch).
    accept_below : the stopping test: stop as soon as the upper bound on ``max |eta_p|``
        (incumbent, closed nodes, leaves and open nodes) is at most this
        (``settled=True``, ``complete=False``: the violators above ``threshold`` may not all
        be listed; proofs/local_violators.md, Lemma L3). None: no such stop.
    near_cap : ``(cap, band)``: with a ``limit``, also stop (``complete=False``) once ``cap``
        violators are listed while the largest ``|eta_p|`` met is at most ``band`` times
        ``threshold``: the exchange's violator cap near feasibility, decided by this scan's
        own incumbent (the order and amount of work only; what is listed is as before).

    Returns
    -------
    BabScan

    Examples
    --------
    Three points ``x = 0, 1, 2`` and ``p = (0, 0, 1)``: ``eta = relu(<theta, (2, 1)>)``,
    largest (``sqrt 5``) at ``(2, 1)/sqrt 5``.

    >>> scan = maximise(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 0.0, 1.0]))
    >>> round(scan.max_value ** 2, 12), (scan.max_point * 5 ** 0.5).round(9).tolist()
    (5.0, [2.0, 1.0])
    """
    tol = resolve(tol)
    threshold = float(threshold)
    if threshold != threshold:
        raise ValueError("threshold must be a float (inf allowed); got nan")
    if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 1):
        raise ValueError(f"limit must be None or an int >= 1; got {limit!r}")
    _check_budget(max_nodes, time_limit, leaf_undecided, batch)
    prob = prepare(X, p)
    search = _Search(prob, "maximise", threshold, tol, limit=limit, leaf_undecided=_leaf_rule(leaf_undecided, X),
                     max_nodes=max_nodes, time_limit=time_limit, progress=progress,
                     batch=_batch(batch, _BATCH_BEST, X), hints=hints,
                     seeds=None if seeds is None else Seeds(*seeds[:3], None, seeds[3]),
                     keep_frontier=keep_frontier, kernels=kernels)
    search.harvest = limit is not None and harvest
    search.accept_below = None if accept_below is None else float(accept_below)
    search.near_cap = None if limit is None or near_cap is None else (int(near_cap[0]), float(near_cap[1]))
    upper, complete, stats = search.run() if prob.A.shape[0] else (0.0, True, BabStats(0, 0, 0, 0, 0, 0.0))
    items = sorted(search.found.items(), key=lambda kv: -kv[1][0])
    D = prob.A.shape[1]
    return BabScan(max_value=search.best, max_point=search.best_point, max_sign=search.best_sign,
                   upper_bound=upper, complete=complete, threshold=threshold,
                   point=np.array([v[1] for _, v in items], dtype=np.float64).reshape(-1, D),
                   sign=np.array([k[1] for k, _ in items], dtype=np.int8),
                   value=np.array([v[0] for _, v in items], dtype=np.float64),
                   active=np.array([v[2] for _, v in items], dtype=bool).reshape(len(items), prob.A.shape[0]),
                   support=prob.support, groups=prob.groups, stats=stats, frontier=search.frontier,
                   settled=search.settled)


def certify(X, p, *, threshold: float | None = None, tol: Tolerances | None = None,
            leaf_undecided: int | None = None, max_nodes: int | None = None, time_limit: float | None = None,
            progress: bool | None = None, batch: int | None = None, record_tree: bool = False,
            kernels=None) -> BabCertificate:
    """Decide ``|eta_p| <= threshold`` on the sphere (default ``1 + tol.dual_feas``) by
    depth-first branch and bound.

    Returns ``certified`` (every node closed below the threshold; ``upper_bound`` is
    the largest closed bound), ``violated`` (a witness point above it) or ``limit``
    (``max_nodes``/``time_limit`` reached; ``upper_bound`` still bounds ``max |eta_p|``:
    closed nodes and the inherited bounds of the open ones). The tree depends only on
    the data, ``p``, the threshold and ``leaf_undecided``/``batch`` (no timing), so a
    certified run is reproducible.
    ``record_tree``: the result's ``splits`` maps every split node, keyed by
    ``(sign, rays)`` (rays as integer tuples, column by column), to its split edge
    ``(j, k)`` (the children replace ``r_j``, resp. ``r_k``, by ``r_j + r_k``); the exact
    tree certificate replays it (relucert.verify.bab_certificate).
    ``kernels``: the bounding kernels, as in :func:`maximise`.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> certify(X, np.array([0.0, 0.0, 0.4])).status.value        # max = 0.4 sqrt 5 < 1
    'certified'
    >>> certify(X, np.array([0.0, 0.0, 0.5])).status.value        # max = 0.5 sqrt 5 > 1
    'violated'
    """
    tol = resolve(tol)
    threshold = 1.0 + tol.dual_feas if threshold is None else float(threshold)
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a finite float >= 0; got {threshold!r}")
    _check_budget(max_nodes, time_limit, leaf_undecided, batch)
    prob = prepare(X, p)
    search = _Search(prob, "certify", threshold, tol, limit=None, leaf_undecided=_leaf_rule(leaf_undecided, X),
                     max_nodes=max_nodes, time_limit=time_limit, progress=progress,
                     batch=_batch(batch, _BATCH_DFS, X), kernels=kernels)
    if record_tree:
        search.splits = {}
    upper, complete, stats = search.run() if prob.A.shape[0] else (0.0, True, BabStats(0, 0, 0, 0, 0, 0.0))
    if search.witness is not None:
        pt, sg, val = search.witness
        return BabCertificate(status=BabStatus.VIOLATED, threshold=threshold, upper_bound=upper,
                              lower_bound=search.best, witness_point=pt, witness_sign=sg, witness_value=val,
                              stats=stats)
    status = BabStatus.CERTIFIED if complete else BabStatus.LIMIT
    return BabCertificate(status=status, threshold=threshold, upper_bound=upper, lower_bound=search.best,
                          witness_point=None, witness_sign=0, witness_value=float("nan"), stats=stats,
                          splits=search.splits)
