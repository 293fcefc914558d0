"""Batched evaluation of a dual certificate on every dual region.

For a dual vector ``p`` and every chamber ``A`` of an arrangement this computes

    max over the region of  eta_p  =  max { <theta,  v_A> : G_A theta >= 0, ||theta|| <= 1 }
    max over the region of -eta_p  =  max { <theta, -v_A> : G_A theta >= 0, ||theta|| <= 1 }

(``v_A = sum_{i in A} p_i x~_i``, rows of ``G_A`` the inward facet normals
``s_j x~_j``) and the maximisers, for all chambers at once:

1. ``v_A`` for every chamber by a byte-wise lookup table: for each byte position of
   the packed sign patterns the 256 partial sums of ``p_i x~_i`` are precomputed, and
   ``v_A`` is the sum of ``ceil(n/8)`` table rows (``method="lut"``), or by unpacking
   chunks of patterns to floats and one matrix product (``method="unpack"``).
2. Pruning: a region with ``||v_A|| <= 1 - gpu_margin`` cannot reach ``|eta| = 1``
   (``<theta, v> <= ||v||`` on the unit ball); it is not projected.
3. Batched cone projections for the rest: accelerated projected gradient (FISTA with
   adaptive restart) on each region's dual NNLS ``min_{lam >= 0} ||v + G^T lam||^2``,
   padded to a power-of-two facet count, then an active-set polish (one small
   Cholesky solve per region). Each result carries a certified bracket
   ``lower <= max <= upper``; a region is converged when
   ``upper - lower <= gpu_gap * max(1, upper)``.
4. Regions whose batched maximum lies within ``gpu_margin`` of 1, and unconverged
   ones, are recomputed by the exact CPU path
   (:func:`relucert.arrangement.region_max`, scipy's NNLS).

The argument is in proofs/batched_region_maxima.md. ``backend="numpy"`` runs the same
kernels without torch; ``backend="exact"`` is the per-region CPU loop.
"""
from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass
from enum import Enum

import numpy as np

from relucert._validation import check_choice, check_positive_int
from relucert.arrangement.chambers import Arrangement, csr_positions, unpack_signs
from relucert.arrangement.cones import region_max
from relucert.results import jsonable
from relucert.tolerances import Tolerances, resolve
from relucert.gpu._ops import NumpyOps, TorchOps
from relucert.gpu.device import (Device, DEFAULT_CPU_THREADS, cpu_threads_for, device_name, import_torch,
                                 resolve_device, torch_available)

__all__ = [
    "Backend", "VMethod", "RegionMaxima", "region_maxima", "certificate_vectors",
    "BATCH_MIN_CHAMBERS", "TORCH_CPU_MIN_CHAMBERS", "DEFAULT_CHUNK", "DEFAULT_MAX_ITER", "DEFAULT_CPU_THREADS",
]

#: Chamber count from which ``backend="auto"`` uses the batched path instead of the
#: per-region CPU loop (:func:`relucert.arrangement.region_max` on every region).
#: Measured by ``python benchmarks/gpu_scan.py --threshold`` on the shared 2-core
#: development machine (benchmarks/RESULTS.md, section "gpu"): whole calls, half of
#: the regions projected, seconds for loop / numpy / torch-CPU:
#: d = 2:    242 regions 0.003 / 0.008 / 0.021;    872 regions 0.032 / 0.015 / 0.024;
#:         2,452 regions 0.082 / 0.043 / 0.037; 14,282 regions 0.527 / 0.171 / 0.141.
#: d = 3:    260 regions 0.008 / 0.023 / 0.040;    940 regions 0.029 / 0.032 / 0.054;
#:         2,320 regions 0.073 / 0.048 / 0.061; 19,840 regions 0.683 / 0.396 / 0.355.
#: The batched path wins from about 1,000 regions on (d = 2 and 3).
BATCH_MIN_CHAMBERS = 1000

#: Chamber count from which ``backend="auto"`` prefers torch on the CPU to numpy
#: (same measurements: torch is slower below a few thousand regions, faster from
#: about 10,000 on; at 999,002 regions (d = 2, n = 1000) 13.0 s vs 19.3 s, at
#: 323,600 regions (d = 3, n = 100) 9.2 s vs 9.3 s). With a CUDA device "auto" uses
#: torch from BATCH_MIN_CHAMBERS on (not measured on a GPU in this session: no device
#: was lent).
TORCH_CPU_MIN_CHAMBERS = 10_000

#: Default number of regions per batch when computing ``v_A`` (memory is about
#: ``chunk * ceil(n/8) * (d+1) * 8`` bytes for ``method="lut"``).
DEFAULT_CHUNK = 8192


#: When fewer unconverged rows than this remain in a batch after a polish, they go to
#: the exact path instead of more FISTA rounds: a round on a handful of rows costs
#: the same per-operation overhead as on thousands (about 10 us per operation in torch
#: on the CPU, more on a GPU launch), while region_max costs about 60 us per region.
_TAIL_TO_EXACT = 256

#: Machine epsilon of the float64 arithmetic used throughout.
_EPS = float(np.finfo(np.float64).eps)

#: Safety factor on the forward-error estimate ``eps * cond(Q_SS) * ||lam||`` of a
#: Cholesky solve (the classical bound carries a modest dimension factor; D <= 4 here
#: typically, and 64 covers it with room).
_POLAR_SAFETY = 64.0


def _polish_passes(F: int) -> int:
    """Cap on the Lawson-Hanson passes for padded facet count F (each facet is added
    about once, and each addition may cost a step back)."""
    return 3 * F + 2


#: Default cap on FISTA iterations per region before it goes to the exact path.
DEFAULT_MAX_ITER = 1000


class Backend(str, Enum):
    AUTO = "auto"
    TORCH = "torch"
    NUMPY = "numpy"
    EXACT = "exact"


class VMethod(str, Enum):
    LUT = "lut"
    UNPACK = "unpack"


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
    backend, device : what ran the batched part.
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
        return int(self.norm_v.shape[0])

    @property
    def bound_pos(self) -> np.ndarray:
        """Upper bound of ``max eta`` per region: the maximum, or ``||v_A||`` if pruned."""
        return np.where(self.pruned, self.norm_v, self.max_pos)

    @property
    def bound_neg(self) -> np.ndarray:
        return np.where(self.pruned, self.norm_v, self.max_neg)

    @property
    def max_abs(self) -> float:
        """Upper bound of ``max |eta|`` over S^d (exact unless every region was pruned)."""
        if self.n_regions == 0:
            return 0.0
        return float(max(np.max(self.bound_pos), np.max(self.bound_neg)))

    def to_dict(self, *, limit: int | None = 10000) -> dict:
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


# --------------------------------------------------------------------------- validation

def _check_arrangement(arrangement) -> Arrangement:
    if not isinstance(arrangement, Arrangement):
        raise TypeError("arrangement must be a relucert.arrangement.Arrangement; "
                        f"got {type(arrangement).__name__}")
    return arrangement


def _check_p(p, n: int) -> np.ndarray:
    if isinstance(p, (str, bytes)) or p is None:
        raise TypeError(f"p must be a numeric array of length n_samples={n}; got {type(p).__name__}")
    arr = np.asarray(p)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"p must be numeric; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"p must be real; got complex dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"p must be 1-D of length n_samples={n}; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        k = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"p must be finite; got {arr[k]} at index {k}")
    return arr


def _make_ops(backend: str, device):
    if backend == Backend.NUMPY.value:
        if device not in ("auto", "cpu", Device.AUTO, Device.CPU):
            raise ValueError(f"backend='numpy' runs on the CPU only; got device={device!r}")
        return NumpyOps(), "cpu"
    torch = import_torch()
    dev = resolve_device(device)
    return TorchOps(torch, dev), device_name(dev)


# --------------------------------------------------------------------------- v_A

def _lut_tables(Xl: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(nbytes * 256, D): row ``256 b + c`` is ``sum_{k : bit k of c} p_{8b+k} x~_{8b+k}``."""
    n, D = Xl.shape
    nbytes = (n + 7) // 8
    W = np.zeros((nbytes * 8, D))
    W[:n] = p[:, None] * Xl
    bits = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(np.float64)
    T = np.einsum("ck,bkd->bcd", bits, W.reshape(nbytes, 8, D))
    return T.reshape(nbytes * 256, D)


def _v_chunk(ops, method: str, signs_c, table, offsets, W, n: int):
    if method == VMethod.LUT.value:
        return ops.sum(table[ops.lut_index(signs_c, offsets)], 1)
    return ops.unpack_float(signs_c, n) @ W


def certificate_vectors(arrangement, p, *, backend: str = "numpy", device: str = "auto",
                        method: str = "lut", chunk: int = DEFAULT_CHUNK, rows=None) -> np.ndarray:
    """``v_A = sum_{i in A} p_i x~_i`` for every chamber (or the selected ``rows``), (m, d+1).

    Examples
    --------
    >>> from relucert.arrangement import enumerate_chambers
    >>> arr = enumerate_chambers(np.array([[0.0], [1.0]]))
    >>> V = certificate_vectors(arr, np.array([1.0, 2.0]))
    >>> sorted(map(tuple, V.tolist()))
    [(0.0, 0.0), (0.0, 1.0), (2.0, 2.0), (2.0, 3.0)]
    """
    arr = _check_arrangement(arrangement)
    p = _check_p(p, arr.n)
    backend = check_choice(backend, "backend", [Backend.TORCH, Backend.NUMPY])
    method = check_choice(method, "method", VMethod)
    chunk = check_positive_int(chunk, "chunk")
    ops, _ = _make_ops(backend, device)
    if (rows is None and backend == Backend.NUMPY.value and arr.edges is not None
            and arr.n >= TREE_MIN_POINTS and arr.n_chambers >= TREE_MIN_CHAMBERS):
        return _tree_v(arr, p)
    signs = arr.signs if rows is None else arr.signs[rows]
    return _all_v(ops, method, signs, arr.X_lift, p, chunk)


_TREES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
#: Data sizes from which ``v_A`` of a whole arrangement is computed along a spanning
#: tree of its adjacency graph (when the enumerator recorded it) instead of by byte lookup
#: tables: the tables cost n/8 passes over the chambers, the tree ~log2(depth) passes
#: plus a sparse product. Measured (numpy, 1 thread): d = 2, n = 1000 (999,002 chambers)
#: 0.32 s vs 1.43 s; d = 2, n = 200: 0.003 s vs 0.008 s; d = 3, n = 100: 0.057 s vs
#: 0.038 s. The tree (0.27 s to build at n = 1000) is cached per arrangement.
TREE_MIN_POINTS = 128
TREE_MIN_CHAMBERS = 10_000


def _tree(arr: Arrangement):
    """A breadth-first spanning tree of the chambers' adjacency graph from chamber 0,
    cached per arrangement: ``(pred, E)`` with ``E`` (m, n) sparse, row ``k`` holding ``+1`` at
    the hyperplanes crossed from ``pred[k]`` to ``k`` that are active in ``k`` and ``-1`` at
    those active in ``pred[k]`` (so ``v_k = v_pred[k] + (E (p x~))_k``)."""
    cached = _TREES.get(arr)
    if cached is not None:
        return cached
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    m, n = arr.n_chambers, arr.n
    e = arr.edges
    ids = np.arange(e.shape[0]) + 1
    G = sp.csr_matrix((np.r_[ids, ids], (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(m, m))
    order, pred = breadth_first_order(G, 0, directed=False, return_predecessors=True)
    if order.shape[0] != m:
        raise ValueError("the adjacency graph is not connected")
    pred = pred.astype(np.int64)
    pred[0] = 0                                   # the root (chamber 0) is its own parent
    child = np.arange(1, m)
    edge = np.asarray(G[pred[child], child]).ravel().astype(np.int64) - 1
    starts = arr.edge_indptr[edge]
    counts = arr.edge_indptr[edge + 1] - starts
    rows = np.repeat(child, counts)
    hyper = arr.edge_indices[csr_positions(starts, counts)].astype(np.int64)
    bit = (arr.signs[rows, hyper // 8] >> (hyper % 8)) & 1
    E = sp.csr_matrix((np.where(bit == 1, 1.0, -1.0), (rows, hyper)), shape=(m, n))
    out = (pred, E)
    _TREES[arr] = out
    return out


def _tree_v(arr: Arrangement, p: np.ndarray) -> np.ndarray:
    """``v_A`` for every chamber along the cached spanning tree: the increments
    ``E (p x~)`` summed along each path to the root by pointer doubling
    (``ceil(log2(depth))`` vectorised passes)."""
    pred, E = _tree(arr)
    Xl = arr.X_lift
    S = np.asarray(E @ (p[:, None] * Xl))
    a = pred.copy()
    while np.any(a != 0):
        S += S[a]
        a = a[a]
    act = unpack_signs(arr.signs[:1], arr.n)[0]             # the root, chamber 0
    return S + (p[act] @ Xl[act])[None, :]


def _all_v(ops, method, signs: np.ndarray, Xl: np.ndarray, p: np.ndarray, chunk: int) -> np.ndarray:
    n, D = Xl.shape
    m = signs.shape[0]
    nbytes = signs.shape[1]
    table = ops.asarray(_lut_tables(Xl, p)) if method == VMethod.LUT.value else None
    offsets = ops.index(256 * np.arange(nbytes)) if method == VMethod.LUT.value else None
    W = ops.asarray(p[:, None] * Xl) if method == VMethod.UNPACK.value else None
    if method == VMethod.LUT.value and ops.name == "numpy":
        # numpy: accumulate one byte column at a time (no (chunk, nbytes, D) gather),
        # measured 1.5x faster at d = 2, n = 1000 (999,002 chambers: 2.4 s -> 1.6 s)
        out = np.zeros((m, D))
        for b in range(nbytes):
            out += table[256 * b:256 * (b + 1)][signs[:, b]]
        return out
    out = np.empty((m, D))
    for s in range(0, m, chunk):
        sc = ops.asarray(signs[s:s + chunk])
        out[s:s + chunk] = ops.tonp(_v_chunk(ops, method, sc, table, offsets, W, n))
    return out


# --------------------------------------------------------------------------- facets

def _facet_rows(arr: Arrangement, regions: np.ndarray):
    """Deduplicated inward facet normals of ``regions``: (counts, flat G, starts).

    Repeated data points give identical hyperplanes; one copy of each is kept (the
    cone is the same), so the rows of one region's G are pairwise non-parallel.
    """
    Xl = arr.X_lift
    _, first, uid = np.unique(Xl, axis=0, return_index=True, return_inverse=True)
    uid = uid.reshape(-1)
    indptr = arr.facet_indptr
    lo, hi = indptr[regions], indptr[regions + 1]
    lens = hi - lo
    owner = np.repeat(np.arange(regions.shape[0]), lens)
    pos = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(lo, lens)
    j = arr.facet_indices[pos]
    nu = int(uid.max()) + 1 if uid.size else 1
    key = np.unique(owner.astype(np.int64) * nu + uid[j])
    owner = key // nu
    j = first[key % nu]
    counts = np.bincount(owner, minlength=regions.shape[0])
    byte = arr.signs[regions[owner], j >> 3]
    s = np.where((byte >> (j & 7)) & 1, 1.0, -1.0)
    G = s[:, None] * Xl[j]
    starts = np.cumsum(counts) - counts
    return counts, G, starts


def _padded(counts, G, starts, sel, F):
    """(len(sel), F, D) padded normals and the (len(sel), F) mask."""
    c = counts[sel]
    ar = np.arange(F)
    mask = ar[None, :] < c[:, None]
    idx = np.where(mask, starts[sel][:, None] + ar[None, :], 0)
    Gp = np.where(mask[:, :, None], G[idx] if G.shape[0] else 0.0, 0.0)
    return Gp, mask


# --------------------------------------------------------------------------- projections

def _fista(ops, Q, b, invL, lam, iters: int):
    """``iters`` steps of FISTA with gradient restart on ``min_{lam>=0} lam'Q lam/2 + b'lam``."""
    y = lam
    t = ops.ones((lam.shape[0],))
    for _ in range(iters):
        g = ops.einsum("bf,bfg->bg", y, Q) + b
        new = ops.clamp0(y - g * invL[:, None])
        restart = ops.sum(g * (new - lam), 1) > 0
        t_new = (1.0 + ops.sqrt(1.0 + 4.0 * t * t)) / 2.0
        beta = ops.where(restart, 0.0, (t - 1.0) / t_new)
        t = ops.where(restart, 1.0, t_new)
        y = new + beta[:, None] * (new - lam)
        lam = new
    return lam


def _masked_cholesky_solve(ops, Q, rhs, S, rank_tol: float):
    """Solve ``Q_SS lam_S = rhs_S`` (lam = 0 off S), dropping rows of S that depend
    on earlier ones (pivot below ``rank_tol * Q_kk``): the span, hence the projection
    onto its orthogonal complement, is unchanged."""
    B, F = rhs.shape
    Lm = ops.zeros((B, F, F))
    keep = ops.zeros_bool((B, F))
    for k in range(F):
        row = Lm[:, k, :k]
        s = Q[:, k, k] - ops.sum(row * row, 1)
        ok = S[:, k] & (s > rank_tol * Q[:, k, k])
        piv = ops.sqrt(ops.where(ok, s, 1.0))
        Lm[:, k, :k] = ops.where(ok[:, None], row, 0.0)
        Lm[:, k, k] = piv
        if k + 1 < F:
            col = (Q[:, k + 1:, k] - ops.einsum("bij,bj->bi", Lm[:, k + 1:, :k], Lm[:, k, :k])) / piv[:, None]
            Lm[:, k + 1:, k] = ops.where(ok[:, None], col, 0.0)
        keep[:, k] = ok
    r = ops.where(keep, rhs, 0.0)
    w = ops.zeros((B, F))
    for k in range(F):
        w[:, k] = (r[:, k] - ops.sum(Lm[:, k, :k] * w[:, :k], 1)) / Lm[:, k, k]
    lam = ops.zeros((B, F))
    for k in range(F - 1, -1, -1):
        lam[:, k] = (w[:, k] - ops.sum(Lm[:, k + 1:, k] * lam[:, k + 1:], 1)) / Lm[:, k, k]
    diag = ops.einsum("bkk->bk", Lm)
    big = ops.amax(ops.where(keep, diag, 0.0), 1)
    small = ops.amin(ops.where(keep, diag, math.inf), 1)
    cond = ops.where(big > 0, (big / small) ** 2, 1.0)  # estimate of cond(Q_SS)
    return ops.where(keep, lam, 0.0), keep, cond


def _bracket(ops, u, V, G, Z, gz, mask):
    """Certified bracket from a candidate ``u = v + G^T lam``: ``lower`` is
    ``<theta, v>/||theta||`` at the feasible ``theta = u + t z`` (``t >= 0`` the least
    that makes ``G theta >= 0``; ``z`` the interior point), floored at 0 (``theta = 0``
    is feasible); returns (lower, unit point or NaN)."""
    gu = ops.einsum("bfd,bd->bf", G, u)
    need = mask & (gu < 0)
    ratio = ops.where(need, -gu / ops.where(mask & (gz > 0), gz, 1.0), 0.0)
    ratio = ops.where(need & ~(gz > 0), math.inf, ratio)
    t = ops.amax(ratio, 1)
    theta = u + t[:, None] * Z
    nt = ops.sqrt(ops.sum(theta * theta, 1))
    good = ops.isfinite(nt) & (nt > 0)
    safe = ops.where(good, nt, 1.0)
    point = ops.where(good[:, None], theta / safe[:, None], 0.0)
    val = ops.where(good, ops.sum(point * V, 1), 0.0)
    lower = ops.clamp0(val)
    point = ops.where((good & (val > 0))[:, None], point, math.nan)
    return lower, point


def _solve_on_active(ops, Q, rhs, S, rank_tol: float):
    """:func:`_masked_cholesky_solve` on the columns of S only (moved to the front),
    so its cost follows the active-set size, not the padded facet count."""
    B, F = rhs.shape
    K = int(ops.tonp(ops.amax(ops.sum(S * 1, 1), 0))) if B else 0
    if K == 0:
        return ops.zeros((B, F)), ops.zeros_bool((B, F)), ops.ones((B,))
    idx = ops.active_first(S)[:, :K]
    Sm = ops.take_along(S, idx, 1)
    Qr = ops.take_along(Q, idx[:, :, None].expand(B, K, F) if ops.name == "torch"
                        else idx[:, :, None], 1)
    Qc = ops.take_along(Qr, idx[:, None, :].expand(B, K, K) if ops.name == "torch"
                        else idx[:, None, :], 2)
    lam_c, keep_c, cond = _masked_cholesky_solve(ops, Qc, ops.take_along(rhs, idx, 1), Sm, rank_tol)
    lam = ops.scatter_cols(F, idx, lam_c)
    keep = ops.scatter_cols(F, idx, keep_c * 1.0) > 0.5
    return lam, keep, cond


def _polish(ops, Q, b, G, V, Z, gz, mask, lam, upper, lower, pt, tol: Tolerances, passes: int):
    """Batched Lawson-Hanson active-set passes on ``min_{lam>=0} ||v + G^T lam||^2``,
    started from the feasible ``lam`` (its support is the first passive set).

    Each pass per row: solve the equality problem on the passive set P exactly; if the
    solution is positive on P take it, then add the facet of largest negative slack
    ``-(G u)_j`` (done when there is none: KKT holds); otherwise step from ``lam``
    towards it until a multiplier reaches 0 and drop that facet. ``lam`` stays >= 0,
    so every pass gives a certified upper bound ``||v + G^T lam||``, and its point
    ``u`` a lower bound (:func:`_bracket`); rows leave the batch when done.
    """
    F = mask.shape[1]
    D = G.shape[2]
    ar = ops.index(np.arange(F))
    gnorm = ops.sqrt(ops.where(mask, ops.einsum("bff->bf", Q), 1.0))
    lam = ops.where(mask, lam, 0.0)
    P = lam > 0
    rows = None  # None: all rows
    sub = (Q, b, G, V, Z, gz, mask, gnorm)
    for _ in range(passes):
        Qr, br, Gr, Vr, Zr, gzr, mr, gn = sub
        z, keep, cond = _solve_on_active(ops, Qr, -br, P, tol.rank)
        pos_ok = ops.all(~P | (z > 0), 1)
        # inner step (some z_j <= 0 on P): lam + alpha (z - lam), alpha = min lam_j / (lam_j - z_j)
        bad = P & ~(z > 0)
        den = ops.where(bad, lam - z, 1.0)
        ratio = ops.where(bad, lam / ops.where(den > 0, den, 1.0), math.inf)
        ratio = ops.where(bad & ~(den > 0), 0.0, ratio)
        alpha = ops.clamp0(ops.minimum(ops.amin(ratio, 1), ops.ones((ratio.shape[0],))))
        stepped = lam + alpha[:, None] * (z - lam)
        hit = ops.argmin(ratio)
        stepped = ops.where(ar[None, :] == hit[:, None], 0.0, ops.clamp0(stepped))
        lam = ops.where(pos_ok[:, None], ops.where(P, z, 0.0), stepped)
        P = ops.where(pos_ok[:, None], P, P & (lam > 0))
        u = Vr + ops.einsum("bf,bfd->bd", lam, Gr)
        nu = ops.sqrt(ops.sum(u * u, 1))
        ur = upper if rows is None else ops.rows(upper, rows)
        lr = lower if rows is None else ops.rows(lower, rows)
        pr = pt if rows is None else ops.rows(pt, rows)
        ur = ops.minimum(ur, nu)
        # D independent facets with positive multipliers: -v lies inside the cone they
        # span, v = -G_S^T lam exactly for the exact lam > 0, so the maximum is exactly 0.
        # The float solution's signs are trusted only when every multiplier exceeds its
        # forward-error estimate (_POLAR_SAFETY * eps * cond(Q_SS) * sum(lam)).
        posv = ops.where(keep & P, z, math.inf)
        err = _POLAR_SAFETY * _EPS * cond * ops.sum(ops.where(P, ops.clamp0(z), 0.0), 1)
        polar = pos_ok & (ops.sum((keep & P) * 1.0, 1) == D) & \
            (ops.amin(posv, 1) > ops.maximum(err, tol.gpu_gap * ops.sum(ops.where(P, z, 0.0), 1)))
        ur = ops.where(polar, 0.0, ur)
        lo2, pt2 = _bracket(ops, u, Vr, Gr, Zr, gzr, mr)
        better = lo2 > lr
        lr = ops.where(better, lo2, lr)
        pr = ops.where(better[:, None], pt2, pr)
        if rows is None:
            upper, lower, pt = ur, lr, pr
        else:
            upper, lower, pt = (ops.put_rows(a, rows, x) for a, x in ((upper, ur), (lower, lr), (pt, pr)))
        # outer step for the rows whose P-solution was positive: add the most violated facet
        viol = ops.where(mr & ~P, ops.einsum("bfd,bd->bf", Gr, u) / gn, 0.0)
        scale = tol.sign_zero * ops.maximum(nu, ops.ones(tuple(nu.shape)))
        add_any = pos_ok & (ops.amin(viol, 1) < -scale) & ~polar
        add = (ar[None, :] == ops.argmin(viol)[:, None]) & add_any[:, None]
        P = P | add
        go = (~pos_ok | add_any) & (ur - lr > tol.gpu_gap * ops.maximum(ur, ops.ones(tuple(ur.shape))))
        go_np = ops.tonp(go)
        if not go_np.any():
            break
        sel = ops.index(np.flatnonzero(go_np))
        P, lam = ops.rows(P, sel), ops.rows(lam, sel)
        sub = tuple(ops.rows(a, sel) for a in sub)
        rows = sel if rows is None else ops.rows(rows, sel)
    return upper, lower, pt


def _project_bucket(ops, V, G, Z, mask, tol: Tolerances, max_iter: int):
    """Batched maxima of ``<theta, V_b>`` over ``{G_b theta >= 0, ||theta|| <= 1}``.

    Returns numpy (value, point, converged, iterations used)."""
    B = V.shape[0]
    Q = ops.einsum("bfd,bgd->bfg", G, G)
    b = ops.einsum("bfd,bd->bf", G, V)
    gz = ops.einsum("bfd,bd->bf", G, Z)
    absQ = ops.where(Q < 0, -Q, Q)
    Lc = ops.minimum(ops.sqrt(ops.sum(ops.sum(Q * Q, 2), 1)), ops.amax(ops.sum(absQ, 2), 1))
    invL = 1.0 / ops.where(Lc > 0, Lc, 1.0)
    value = np.full(B, np.nan)
    point = np.full((B, V.shape[1]), np.nan)
    conv = np.zeros(B, dtype=bool)
    used = np.zeros(B, dtype=np.int64)
    active = np.arange(B)
    lam = ops.zeros(tuple(b.shape))
    schedule, total, step = [0], 0, 8
    while total < max_iter:
        step = min(step, max_iter - total)
        schedule.append(step)
        total += step
        step *= 2
    done_iters = 0
    aidx = None
    for iters in schedule:
        if active.size == 0:
            break
        if aidx is not None:
            Q, b, G, V, Z, gz, mask, invL, lam = (ops.rows(a, aidx) for a in (Q, b, G, V, Z, gz, mask, invL, lam))
        lam = _fista(ops, Q, b, invL, lam, iters)
        done_iters += iters
        u = V + ops.einsum("bf,bfd->bd", lam, G)
        upper = ops.sqrt(ops.sum(u * u, 1))
        lower, pt = _bracket(ops, u, V, G, Z, gz, mask)
        upper, lower, pt = _polish(ops, Q, b, G, V, Z, gz, mask, lam, upper, lower, pt, tol,
                                   passes=_polish_passes(G.shape[1]))
        ok = (upper - lower) <= tol.gpu_gap * ops.maximum(upper, ops.ones(tuple(upper.shape)))
        ok_np = ops.tonp(ok)
        value[active] = ops.tonp(upper)
        point[active] = ops.tonp(pt)
        conv[active] = ok_np
        used[active] = done_iters
        keep = np.flatnonzero(~ok_np)
        active = active[keep]
        if active.size < _TAIL_TO_EXACT:
            break  # the few left are cheaper on the exact path
        aidx = ops.index(keep)
    return value, point, conv, used


# --------------------------------------------------------------------------- driver

def _exact_region(arr: Arrangement, p: np.ndarray, k: int, act_row: np.ndarray, tol):
    v = arr.X_lift[act_row].T @ p[act_row]
    G = arr.inward_normals(k)
    out = []
    for sign in (1.0, -1.0):
        r = region_max(sign * v, G, tol=tol)
        pt = r.point if r.point is not None else np.full(v.shape[0], np.nan)
        out.append((r.value, pt))
    return out


def region_maxima(arrangement, p, *, backend: str = "auto", device: str = "auto",
                  tol: Tolerances | None = None, chunk: int = DEFAULT_CHUNK,
                  method: str = "lut", max_iter: int = DEFAULT_MAX_ITER,
                  prune: bool = True, cpu_threads: int | None = DEFAULT_CPU_THREADS) -> RegionMaxima:
    """Maxima of ``eta_p`` and ``-eta_p`` on every dual region, batched, exact in the end.

    Parameters
    ----------
    arrangement : Arrangement
        The chambers (packed patterns, interior points, facets).
    p : (n,) array
        The dual vector.
    backend : "auto", "torch", "numpy" or "exact"
        "exact" is the per-region CPU loop (region_max on every region). "auto" is
        "exact" below :data:`BATCH_MIN_CHAMBERS` regions; from there on "torch" on a
        CUDA device, else "numpy", or "torch" on the CPU from
        :data:`TORCH_CPU_MIN_CHAMBERS` on (measured; see those constants).
        ``device="cuda"`` always means "torch".
    device : "auto", "cpu" or "cuda" (torch backend only).
    tol : Tolerances; ``gpu_margin`` (pruning and borderline regions), ``gpu_gap``
        (convergence of the batched projections), ``rank`` (dependent facets).
    chunk : regions per batch for ``v_A``; projections use a batch of similar memory.
    method : "lut" (byte lookup tables) or "unpack" (bits to floats, matrix product).
    max_iter : FISTA iterations before a region goes to the exact path.
    cpu_threads : intra-op threads for torch on the CPU during the call (None: torch's
        setting). The kernels are many small element-wise operations; see
        :data:`DEFAULT_CPU_THREADS`.
    prune : skip the projection where ``||v_A|| <= 1 - gpu_margin`` (reported as NaN
        maxima and ``pruned``; ``bound_pos``/``bound_neg`` hold ``||v_A||`` there).

    Returns
    -------
    RegionMaxima

    Raises
    ------
    TypeError, ValueError
        Wrong arrangement type, ``p`` of the wrong length or not finite, unknown
        backend/device/method, ``device="cuda"`` without a CUDA device.

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
    >>> r = region_maxima(arr, np.array([1.0, 2.0]), backend="numpy")
    >>> round(float(np.nanmax(r.max_pos)) ** 2, 9)
    13.0
    """
    start = time.perf_counter()
    arr = _check_arrangement(arrangement)
    p = _check_p(p, arr.n)
    tol = resolve(tol)
    backend = check_choice(backend, "backend", Backend)
    check_choice(device, "device", Device)
    method = check_choice(method, "method", VMethod)
    chunk = check_positive_int(chunk, "chunk")
    max_iter = check_positive_int(max_iter, "max_iter")
    cpu_threads = check_positive_int(cpu_threads, "cpu_threads", allow_none=True)
    if not isinstance(prune, (bool, np.bool_)):
        raise TypeError(f"prune must be a bool; got {type(prune).__name__}")
    m, D = arr.n_chambers, arr.d + 1
    if backend == Backend.AUTO.value:
        if device == Device.CUDA.value or device is Device.CUDA:
            backend = Backend.TORCH.value
        else:
            backend = _auto_backend(m, arr.d, device)
    if backend == Backend.EXACT.value:
        if device not in ("auto", "cpu", Device.AUTO, Device.CPU):
            raise ValueError(f"backend='exact' runs on the CPU only; got device={device!r}")
        ops, dev_name = NumpyOps(), "cpu"
    else:
        ops, dev_name = _make_ops(backend, device)

    with cpu_threads_for(getattr(ops, "device", None), cpu_threads):
        return _region_maxima(arr, p, ops, backend, dev_name, tol, chunk, method, max_iter, prune, start)


def _auto_backend(m: int, d: int, device) -> str:
    """The measured dispatch rule (see :data:`BATCH_MIN_CHAMBERS`)."""
    if m < BATCH_MIN_CHAMBERS:
        return Backend.EXACT.value
    if not torch_available():
        return Backend.NUMPY.value
    if device in ("auto", Device.AUTO) and import_torch().cuda.is_available():
        return Backend.TORCH.value
    return Backend.TORCH.value if m >= TORCH_CPU_MIN_CHAMBERS else Backend.NUMPY.value


def _region_maxima(arr, p, ops, backend, dev_name, tol, chunk, method, max_iter, prune, start):
    m, D = arr.n_chambers, arr.d + 1
    V = _all_v(ops, method, arr.signs, arr.X_lift, p, chunk)
    norm_v = np.linalg.norm(V, axis=1)
    pruned = norm_v <= 1.0 - tol.gpu_margin if prune else np.zeros(m, dtype=bool)
    max_pos = np.full(m, np.nan)
    max_neg = np.full(m, np.nan)
    point_pos = np.full((m, D), np.nan)
    point_neg = np.full((m, D), np.nan)
    to_exact = np.zeros(m, dtype=bool)
    n_iter = 0
    work = np.flatnonzero(~pruned)
    if backend == Backend.EXACT.value:
        to_exact[work] = True
    elif work.size:
        counts, Gflat, starts = _facet_rows(arr, work)
        F_of = 1 << np.ceil(np.log2(np.maximum(counts, 1))).astype(np.int64)
        for F in np.unique(F_of):
            sel_all = np.flatnonzero(F_of == F)
            rows_per = max(64, (chunk * 64) // int(F * F + F * D))
            for s in range(0, sel_all.size, rows_per):
                sel = sel_all[s:s + rows_per]
                regions = work[sel]
                Gp, mask = _padded(counts, Gflat, starts, sel, int(F))
                Vs = V[regions]
                Zs = arr.interior[regions]
                both = lambda a: np.concatenate([a, a])  # noqa: E731 - rows for +v and -v
                val, pt, conv, used = _project_bucket(
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
        norm_v=norm_v, pruned=pruned, exact=to_exact, backend=backend, device=dev_name,
        n_iter=n_iter, wall_time_s=time.perf_counter() - start, tol=tol,
    )
