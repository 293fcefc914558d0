"""The bounding step and the exact leaves of :class:`relucert.lp.tv.bab.search._Search`
(proofs/branch_and_bound.md, Lemmas 2-4, 6 and 7): a mixin holding the incumbent, the
batched node bound (pre-bound, polar-cone bound, projected-gradient then Frank-Wolfe steps
on the relaxation slopes) and the resolution of exact leaves into violators."""
from __future__ import annotations

import numpy as np

from relucert._model import eta as _eta
from relucert.errors import SolverError
from relucert.lp.tv.bab import cones
from relucert.lp.tv.bab.leaves import ascend, has_interior, leaf_maxima, point_regions
from relucert.lp.tv.bab.slopes import slopes_and_bound
from relucert.tolerances import BAB_HARVEST_ASCENT_STEPS, BAB_QUOTA_ETA, BAB_QUOTA_NODES, BAB_SLOPE_ITERS

__all__ = ["Bounding", "minimax_value"]


class Bounding:
    """Methods of the search that bound nodes and resolve leaves. The search provides
    ``prob``, ``tol``, ``mode``, ``threshold``, ``alpha_steps``, ``best*``, ``witness``,
    ``found``, ``limit``, ``closed_upper``, ``n_nodes``, ``n_leaves``, ``n_harvested``,
    ``hurried``, ``harvest``, ``near_cap``, ``cutoff()`` and ``_late()``.
    ``kernels``: the object whose ``classify``, ``normals``, ``centre_alpha``,
    ``linear_majorant``, ``pre_bound`` and ``cone_max`` bound the nodes (default: the numpy
    module :mod:`relucert.lp.tv.bab.cones`, the reference; the API layer may pass torch
    ones, ``relucert.gpu.bab_kernels``)."""

    kernels = cones
    #: stop the Frank-Wolfe steps on a node once its gap test shows that no slope can close it
    #: (Lemma 2); only the work depends on it (benchmarks/bench_bab.py --ab turns it off)
    gap_test = True
    #: projected-gradient iterations on the slopes (:mod:`relucert.lp.tv.bab.slopes`) that
    #: replace the first Frank-Wolfe step of a node still open after the centre slopes
    #: (0: Frank-Wolfe only); only the work depends on it (Lemma 2)
    slope_iters = BAB_SLOPE_ITERS
    #: close a node as soon as a projected-gradient iterate's value is at most the cut-off
    #: (Lemma 2, "Early exit"); only the work depends on it (bench_bab.py --scan-ab turns it off)
    slope_exit = True
    #: certify: a node the gap test stops inside those iterations keeps the bound of its
    #: iterates and takes no projection or Frank-Wolfe step (it is split whatever its slopes);
    #: only the work depends on it
    skip_hopeless = True

    def _incumbent(self, vals, pts, signs) -> None:
        if vals.size == 0:
            return
        j = int(np.argmax(vals))
        if vals[j] > self.best:
            self.best, self.best_point, self.best_sign = float(vals[j]), pts[j].copy(), int(signs[j])
        if self.mode == "certify" and vals[j] > self.threshold and self.witness is None:
            self.witness = (pts[j].copy(), int(signs[j]), float(vals[j]))

    def _bound(self, R: np.ndarray, sg: np.ndarray, inherited: np.ndarray, cutoff: float):
        """Classification and bound of the cones ``R`` (signs ``sg``): the pre-bound, then
        the polar-cone bound where the pre-bound exceeds ``cutoff``; the bound's
        maximisers update the incumbent (their ``eta`` is a value met at a point)."""
        A, q, tol, kn = self.prob.A, self.prob.q, self.tol, self.kernels
        Q = sg[:, None] * q[None, :]
        act, und, Sn, Rn = kn.classify(A, R)
        try:
            G = kn.normals(Rn)
        except np.linalg.LinAlgError:
            # unit rays linearly dependent in float: a cone below float resolution that the
            # splits cannot resolve (e.g. a subspace that every hyperplane contains)
            raise SolverError(
                "branch and bound: a cone's rays became parallel to float precision before its "
                f"undecided points were decided (up to {int(und.sum(axis=1).max())} undecided points on "
                "one cone): the data are too degenerate for the branch and bound; "
                "use the enumeration oracle (oracle='enumerate')") from None
        alpha = kn.centre_alpha(Sn)
        W = kn.linear_majorant(A, Q, act, und, Sn, G, alpha)
        bound = np.minimum(inherited, kn.pre_bound(W, Rn, G))
        need = np.flatnonzero(bound > cutoff)
        neg = und & (Q < 0)
        base = None
        for step in range(self.alpha_steps + 1):
            if need.size == 0:
                break
            if step and self._late():
                self.hurried = True      # bounds still valid, but not those of the timing-free tree
                break
            if step == 1 and self.slope_iters:
                if base is None:
                    base = kn.linear_majorant(A, Q[need], act[need], und[need], Sn[need], G[need],
                                              np.zeros((need.size, Q.shape[1])))
                # near-optimal slopes by projected gradient on the bounded least squares
                # (Lemma 2, "Projected-gradient slopes"); any alpha in [0, 1] is valid
                # (Lemma 2, "Early exit": a node whose feasible iterate's value reaches the cut-off
                # is closed by that value and leaves the iterations and the projection; one whose
                # gap-test value exceeds it leaves the iterations, open)
                # the gap-test exit only where the order of the nodes does not follow their
                # bounds (certify, depth-first): best-first, the children of a node stopped early
                # inherit its looser bound and are taken earlier
                cut = self.cutoff() if self.slope_exit else None
                rays = Rn[need] if self.slope_exit and self.mode == "certify" else None
                alpha[need], ub, shut, hope = slopes_and_bound(A, Q[need], neg[need], base, G[need], alpha[need],
                                                               self.slope_iters, cut, rays)
                bound[need] = np.minimum(bound[need], ub)
                drop = shut | hope if self.skip_hopeless else shut
                if drop.any():
                    need, base = need[~drop], base[~drop]
                    if need.size == 0:
                        break
                W[need] = kn.linear_majorant(A, Q[need], act[need], und[need], Sn[need], G[need], alpha[need])
            elif step:
                # Frank-Wolfe on the convex alpha -> ||P_C(w(alpha))||: its gradient in alpha_i
                # is Q_i <a_i, theta*>, so the best vertex sets alpha_i = 1 where
                # <a_i, theta*> > 0; every alpha in [0, 1] gives a valid bound (Lemma 2)
                theta = np.zeros((need.size, A.shape[1]))
                theta[pos] = pts
                target = (theta @ A.T > 0).astype(np.float64)
                gamma = 2.0 / (step + 2.0)
                alpha[need] = np.where(neg[need], (1 - gamma) * alpha[need] + gamma * target, alpha[need])
                W[need] = kn.linear_majorant(A, Q[need], act[need], und[need], Sn[need], G[need], alpha[need])
            val, P = kn.cone_max(W[need], Rn[need], G[need], tol.sign_zero)
            bound[need] = np.minimum(bound[need], val)
            pos = val > 0
            pts = P[pos] / val[pos, None]
            met = sg[need][pos] * _eta(A, q, pts)
            self._incumbent(met, pts, sg[need][pos])
            if self.harvest and step == 0:
                self._harvest(pts, sg[need][pos])
            # a node stays open whatever its slopes when a point of it is above the cut-off,
            # or (gap test) when the minimax value at the maximiser is: no more steps on it
            lower = np.full(need.size, -np.inf)
            lower[pos] = met
            if self.gap_test:
                if base is None:
                    base = kn.linear_majorant(A, Q[need], act[need], und[need], Sn[need], G[need],
                                              np.zeros((need.size, Q.shape[1])))
                lower[pos] = np.maximum(met, minimax_value(A, Q[need][pos], neg[need][pos], base[pos], pts))
            keep = (bound[need] > self.cutoff()) & np.any(neg[need], axis=1) & ~(lower > self.cutoff())
            need, pos, pts = need[keep], pos[keep], pts[keep[pos]]
            base = None if base is None else base[keep]
        return Q, act, und, Rn, G, bound, Sn

    def _enough(self) -> bool:
        """The violator quota is met: ``limit`` found; or ``near_cap = (cap, band)`` found
        ``cap`` with the incumbent at most ``band`` times the threshold (the scan turned out
        near feasibility; ``near_cap`` None: no such stop); or, in a harvesting scan far from
        feasible (incumbent above ``BAB_QUOTA_ETA`` times the threshold), some found after
        ``BAB_QUOTA_NODES`` nodes: an early round of the exchange needs good violators
        quickly, not all of them (the scan then reports ``complete=False``)."""
        if self.limit is None:
            return False
        if len(self.found) >= self.limit:
            return True
        if (self.near_cap is not None and len(self.found) >= self.near_cap[0]
                and self.best <= self.near_cap[1] * self.threshold):
            return True     # near feasibility by this scan's own incumbent: the caller's cap
        return (self.harvest and len(self.found) > 0 and self.n_nodes >= BAB_QUOTA_NODES
                and self.best > BAB_QUOTA_ETA * self.threshold)

    def _harvest(self, pts, signs) -> None:
        """Violators without a leaf (a scan with a violator quota): from each bound
        maximiser, a short ascent of ``|eta|`` (:func:`leaves.ascend`); the region of every
        point it leaves above the threshold, with its exact maximum (proofs Lemma 10). They
        also raise the incumbent."""
        pts, met = ascend(self.prob.A, self.prob.q, pts, signs, BAB_HARVEST_ASCENT_STEPS)
        self._incumbent(met, pts, signs)
        up = met > self.threshold
        if not up.any():
            return
        act, sg, val, pt = point_regions(self.prob.A, self.prob.q, pts[up], signs[up], self.threshold, self.tol,
                                         known=self.found)
        for a, s, v, x in zip(act, sg, val, pt):
            self.found[(np.packbits(a).tobytes(), int(s))] = (float(v), x, a)
        self.n_harvested += int(val.size)
        self._incumbent(val, pt, sg)

    def _leaves(self, L, Q, act, und, Rn, G, sg) -> np.ndarray:
        """Exact leaves ``L`` of the batch: incumbent, violators (maximise); returns each
        leaf's upper bound."""
        A, tol = self.prob.A, self.tol
        self.n_leaves += int(L.size)
        cutoff = self.cutoff()
        report = self.threshold
        pieces = leaf_maxima(A, Q[L], act[L], und[L], Rn[L], G[L], cutoff, report, tol, kernels=self.kernels,
                             floor=min(cutoff, self.best))
        self.closed_upper = max(self.closed_upper, float(pieces.upper.max()))
        ok = np.isfinite(pieces.best)
        self._incumbent(pieces.best[ok], pieces.best_point[ok], sg[L][ok])
        if self.mode != "maximise":
            return pieces.upper
        for t in np.argsort(-pieces.value, kind="stable"):
            leaf, val = int(pieces.leaf[t]), float(pieces.value[t])
            sign = int(sg[L[leaf]])
            key = (np.packbits(pieces.active[t]).tobytes(), sign)
            if key in self.found and self.found[key][0] >= val:
                continue
            U = und[L[leaf]]
            if not has_interior(A[U], pieces.active[t][U], Rn[L[leaf]], tol, point=pieces.point[t]):
                continue
            self.found[key] = (val, pieces.point[t], pieces.active[t])
        return pieces.upper


def minimax_value(A: np.ndarray, Q: np.ndarray, neg: np.ndarray, base: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The Frank-Wolfe gap test of Lemma 2 (proofs/branch_and_bound.md): at points ``theta``
    (m, D) of the cones, ``<base, theta> + sum_{i in neg} Q_i relu(<a_i, theta>)`` with
    ``base = w(alpha = 0)`` (the active part and the interpolated undecided positive part).
    It is at most ``||P_C(w(alpha))||`` for EVERY slope vector ``alpha`` in ``[0, 1]``, so a
    node where it exceeds the cut-off cannot be closed by more slope steps.

    Parameters
    ----------
    A : np.ndarray, shape (n, D)
    Q : np.ndarray, shape (m, n)
        Weights of each node.
    neg : np.ndarray of bool, shape (m, n)
        The undecided rows with ``Q_i < 0`` of each node.
    base : np.ndarray, shape (m, D)
        ``linear_majorant`` with every slope 0.
    theta : np.ndarray, shape (m, D)
        One point of each cone with ``||theta|| <= 1``.

    Returns
    -------
    np.ndarray, shape (m,)
    """
    return np.einsum("md,md->m", base, theta) + np.einsum(
        "mn,mn->m", np.where(neg, Q, 0.0), np.maximum(theta @ A.T, 0.0))
