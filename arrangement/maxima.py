"""Batched maxima of a dual certificate on every dual region (DESIGN.md sections 3 and 8).

For a dual vector ``p`` and every chamber ``A`` of an arrangement this computes

    max over the region of  eta_p  =  max { <theta,  v_A> : G_A theta >= 0, ||theta|| <= 1 }
    max over the region of -eta_p  =  max { <theta, -v_A> : G_A theta >= 0, ||theta|| <= 1 }

(``v_A = sum_{i in A} p_i x~_i``, rows of ``G_A`` the inward facet normals
``s_j x~_j``) and the maximisers, for all chambers at once:

1. ``v_A`` for every chamber (:func:`relucert.arrangement.chamber_vectors`).
2. Pruning: a region with ``||v_A|| <= 1 - gpu_margin`` cannot reach ``|eta| = 1``
   (``<theta, v> <= ||v||`` on the unit ball); it is not projected.
3. Batched cone projections for the rest (:mod:`relucert.arrangement._projections`),
   each with a certified bracket ``lower <= max <= upper``; a region is converged when
   ``upper - lower <= gpu_gap * max(1, upper)``.
4. Regions whose batched maximum lies within ``gpu_margin`` of 1, and unconverged
   ones, are recomputed by the exact per-region projection
   (:func:`relucert.arrangement.region_max`, scipy's NNLS).

:func:`region_max` is the singular (one region, exact); :func:`region_maxima` the
batched. The argument is in proofs/batched_region_maxima.md. The kernels run on an
``ops`` object: numpy by default, torch (CPU or CUDA) through ``relucert.gpu``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

import numpy as np

from relucert._validation import check_choice, check_positive_int
from relucert.arrangement._ops import resolve_ops
from relucert.arrangement._projections import facet_rows, padded_facets, project_bucket
from relucert.arrangement.chambers import Arrangement
from relucert.arrangement.cones import region_max
from relucert.arrangement.vectors import (DEFAULT_CHUNK, ChamberVectorMethod, all_chamber_vectors,
                                          check_arrangement, check_dual_vector)
from relucert.results import jsonable
from relucert.tolerances import BATCHED_MAX_ITER, Tolerances, resolve

__all__ = ["MaximaBackend", "RegionMaxima", "region_maxima", "BATCH_MIN_CHAMBERS"]

#: Chamber count from which ``backend="auto"`` uses the batched path instead of the
#: per-region loop (:func:`relucert.arrangement.region_max` on every region). Measured by
#: ``python benchmarks/gpu_scan.py --threshold`` (benchmarks/RESULTS.md, section "gpu"):
#: the batched path wins from about 1,000 regions on (d = 2 and 3).
BATCH_MIN_CHAMBERS = 1000


class MaximaBackend(str, Enum):
    """How :func:`region_maxima` computes: ``exact`` is the per-region loop,
    ``batched`` the batched projections on the given ops, ``auto`` the exact loop below
    :data:`BATCH_MIN_CHAMBERS` regions and the batched path from there on."""

    AUTO = "auto"
    BATCHED = "batched"
    EXACT = "exact"


@dataclass(frozen=True, eq=False)
class RegionMaxima:
    """Per-region maxima of ``eta_p`` and ``-eta_p``.

    Attributes
    ----------
    max_pos, max_neg : (m,) float64
        ``max eta`` and ``max -eta`` over each closed region (NaN where pruned).
    point_pos, point_neg : (m, d + 1) float64
        Unit maximisers (NaN rows where pruned or where the maximum is 0).
    norm_v : (m,) ``||v_A||``, an upper bound of both maxima.
    pruned : (m,) bool, ``norm_v <= 1 - gpu_margin``: not projected.
    exact : (m,) bool, recomputed by the exact CPU path (region_max).
    backend : "exact" (the per-region loop) or the ops that ran the batched part
        ("numpy" or "torch").
    device : where it ran.
    n_iter : the largest number of FISTA iterations any region used.
    wall_time_s : total time.
    tol : the tolerances used.
    """

    max_pos: np.ndarray
    max_neg: np.ndarray
    point_pos: np.ndarray
    point_neg: np.ndarray
    norm_v: np.ndarray
    pruned: np.ndarray
    exact: np.ndarray
    backend: str
    device: str
    n_iter: int
    wall_time_s: float
    tol: Tolerances

    @property
    def n_regions(self) -> int:
        """The number of regions (chambers)."""
        return int(self.norm_v.shape[0])

    @property
    def bound_pos(self) -> np.ndarray:
        """Upper bound of ``max eta`` per region: the maximum, or ``||v_A||`` if pruned."""
        return np.where(self.pruned, self.norm_v, self.max_pos)

    @property
    def bound_neg(self) -> np.ndarray:
        """Upper bound of ``max -eta`` per region: the maximum, or ``||v_A||`` if pruned."""
        return np.where(self.pruned, self.norm_v, self.max_neg)

    @property
    def max_abs(self) -> float:
        """Upper bound of ``max |eta|`` over S^d (exact unless every region was pruned)."""
        if self.n_regions == 0:
            return 0.0
        return float(max(np.max(self.bound_pos), np.max(self.bound_neg)))

    def to_dict(self, *, limit: int | None = 10000) -> dict:
        """A JSON-ready summary; the per-region arrays too when there are at most
        ``limit`` regions (None: always)."""
        out = {
            "n_regions": self.n_regions, "max_abs": self.max_abs,
            "n_pruned": int(self.pruned.sum()), "n_exact_path": int(self.exact.sum()),
            "backend": self.backend, "device": self.device, "n_iter": self.n_iter,
            "wall_time_s": self.wall_time_s, "tol": self.tol.to_dict(),
        }
        if limit is None or self.n_regions <= limit:
            out.update(max_pos=self.max_pos, max_neg=self.max_neg, point_pos=self.point_pos,
                       point_neg=self.point_neg, norm_v=self.norm_v, pruned=self.pruned,
                       exact=self.exact)
        return jsonable(out)



def _exact_region(arr: Arrangement, p: np.ndarray, k: int, act_row: np.ndarray, tol):
    v = arr.X_lift[act_row].T @ p[act_row]
    G = arr.inward_normals(k)
    out = []
    for sign in (1.0, -1.0):
        r = region_max(sign * v, G, tol=tol)
        pt = r.point if r.point is not None else np.full(v.shape[0], np.nan)
        out.append((r.value, pt))
    return out



def region_maxima(arrangement, p, *, ops=None, backend: str = "auto", tol: Tolerances | None = None,
                  chunk: int = DEFAULT_CHUNK, method: str = "lut", max_iter: int = BATCHED_MAX_ITER,
                  prune: bool = True) -> RegionMaxima:
    """Maxima of ``eta_p`` and ``-eta_p`` on every dual region, batched, exact in the end.

    Parameters
    ----------
    arrangement : Arrangement
        The chambers (packed patterns, interior points, facets).
    p : (n,) array
        The dual vector.
    ops : ops object or None
        Where the batched kernels run: None for numpy, ``relucert.gpu.torch_ops(device)``
        for torch on the CPU or CUDA (``relucert.gpu.batched_ops`` applies the measured
        choice between them).
    backend : "auto", "batched" or "exact"
        "exact" is the per-region loop (region_max on every region); "batched" the
        batched projections on ``ops``; "auto" is "exact" below
        :data:`BATCH_MIN_CHAMBERS` regions, else "batched".
    tol : Tolerances
        ``gpu_margin`` (pruning and borderline regions), ``gpu_gap`` (convergence of the
        batched projections), ``rank`` (dependent facets).
    chunk : int
        Regions per batch for ``v_A``; projections use a batch of similar memory.
    method : "lut" or "unpack"
        How ``v_A`` is summed (:class:`relucert.arrangement.ChamberVectorMethod`).
    max_iter : int
        FISTA iterations before a region goes to the exact path.
    prune : bool
        Skip the projection where ``||v_A|| <= 1 - gpu_margin`` (reported as NaN maxima
        and ``pruned``; ``bound_pos``/``bound_neg`` hold ``||v_A||`` there).

    Returns
    -------
    RegionMaxima

    Raises
    ------
    TypeError, ValueError
        Wrong arrangement type, ``p`` of the wrong length or not finite, unknown
        backend or method, a non-positive chunk or max_iter.

    Notes
    -----
    Regions within ``gpu_margin`` of 1 and regions whose batched projection did not
    converge are recomputed by :func:`relucert.arrangement.region_max`; every other
    batched maximum is certified to ``gpu_gap * max(1, value)`` by a bracket (an upper
    bound from the multipliers and a feasible point), proofs/batched_region_maxima.md.

    Examples
    --------
    Two points on a line, p = (1, 2): on the chamber where both are active,
    v = (0*1 + 1*2, 1 + 2) = (2, 3) lies inside the region, so max eta = ||v||.

    >>> from relucert.arrangement import enumerate_chambers
    >>> arr = enumerate_chambers(np.array([[0.0], [1.0]]))
    >>> r = region_maxima(arr, np.array([1.0, 2.0]), backend="batched")
    >>> round(float(np.nanmax(r.max_pos)) ** 2, 9)
    13.0
    """
    start = time.perf_counter()
    arr = check_arrangement(arrangement)
    p = check_dual_vector(p, arr.n)
    tol = resolve(tol)
    backend = check_choice(backend, "backend", MaximaBackend)
    method = check_choice(method, "method", ChamberVectorMethod)
    chunk = check_positive_int(chunk, "chunk")
    max_iter = check_positive_int(max_iter, "max_iter")
    if not isinstance(prune, (bool, np.bool_)):
        raise TypeError(f"prune must be a bool; got {type(prune).__name__}")
    if backend == MaximaBackend.AUTO.value:
        backend = MaximaBackend.EXACT.value if arr.n_chambers < BATCH_MIN_CHAMBERS else MaximaBackend.BATCHED.value
    if backend == MaximaBackend.EXACT.value:
        ops = resolve_ops(None)
    else:
        ops = resolve_ops(ops)
    with ops.running():
        return _region_maxima(arr, p, ops, backend, tol, chunk, method, max_iter, prune, start)


def _region_maxima(arr, p, ops, backend, tol, chunk, method, max_iter, prune, start):
    m, D = arr.n_chambers, arr.d + 1
    V = all_chamber_vectors(ops, method, arr.sign_patterns, arr.X_lift, p, chunk)
    norm_v = np.linalg.norm(V, axis=1)
    pruned = norm_v <= 1.0 - tol.gpu_margin if prune else np.zeros(m, dtype=bool)
    max_pos = np.full(m, np.nan)
    max_neg = np.full(m, np.nan)
    point_pos = np.full((m, D), np.nan)
    point_neg = np.full((m, D), np.nan)
    to_exact = np.zeros(m, dtype=bool)
    n_iter = 0
    work = np.flatnonzero(~pruned)
    if backend == MaximaBackend.EXACT.value:
        to_exact[work] = True
    elif work.size:
        counts, Gflat, starts = facet_rows(arr, work)
        F_of = 1 << np.ceil(np.log2(np.maximum(counts, 1))).astype(np.int64)
        for F in np.unique(F_of):
            sel_all = np.flatnonzero(F_of == F)
            rows_per = max(64, (chunk * 64) // int(F * F + F * D))
            for s in range(0, sel_all.size, rows_per):
                sel = sel_all[s:s + rows_per]
                regions = work[sel]
                Gp, mask = padded_facets(counts, Gflat, starts, sel, int(F))
                Vs = V[regions]
                Zs = arr.interior[regions]
                both = lambda a: np.concatenate([a, a])  # noqa: E731 - rows for +v and -v
                val, pt, conv, used = project_bucket(
                    ops, ops.asarray(np.concatenate([Vs, -Vs])), ops.asarray(both(Gp)),
                    ops.asarray(both(Zs)), ops.asarray(both(mask)), tol, max_iter)
                k = regions.size
                max_pos[regions], max_neg[regions] = val[:k], val[k:]
                point_pos[regions], point_neg[regions] = pt[:k], pt[k:]
                n_iter = max(n_iter, int(used.max()) if used.size else 0)
                near = (np.abs(val[:k] - 1.0) <= tol.gpu_margin) | (np.abs(val[k:] - 1.0) <= tol.gpu_margin)
                to_exact[regions] = near | ~conv[:k] | ~conv[k:]
    exact_rows = np.flatnonzero(to_exact)
    if exact_rows.size:
        act = arr.active(exact_rows)
        for r, k in enumerate(exact_rows):
            (vp, pp), (vn, pn) = _exact_region(arr, p, int(k), act[r], tol)
            max_pos[k], point_pos[k], max_neg[k], point_neg[k] = vp, pp, vn, pn
    return RegionMaxima(
        max_pos=max_pos, max_neg=max_neg, point_pos=point_pos, point_neg=point_neg,
        norm_v=norm_v, pruned=pruned, exact=to_exact,
        backend=backend if backend == MaximaBackend.EXACT.value else ops.name, device=ops.device_name,
        n_iter=n_iter, wall_time_s=time.perf_counter() - start, tol=tol,
    )
