"""The chambers' cones as padded arrays, for the vectorised face kernels of
:mod:`relucert.lp.tv.faces`: inward facet normals, cached extreme rays (d = 3), the interior
test of ``v/||v||`` on the facets only, and whether the cones are pointed.
"""
from __future__ import annotations

import weakref
from itertools import combinations
from math import comb

import numpy as np

from relucert.arrangement.chambers import Arrangement, csr_positions
from relucert.arrangement.vertex_rays import cross4, vertex_rays

__all__ = ["row_norms", "interior_masks", "padded_facets", "feasible_in_cone", "chamber_rays", "is_pointed", "padded_rays", "cross4",
           "ill_resolved_rays", "rays_from_lines",
           "MAX_PAIR_FACETS", "D4_BUCKETS", "D4_WORK", "SMALL_BATCH_WORK", "count_buckets"]

# chambers with more facets than this go to NNLS for the edge phase (memory ~ f^3)
MAX_PAIR_FACETS = 24
# d = 3 (D = 4): chambers grouped by facet count for the pair/triple candidates, and
# the number of (chamber, triple, facet) entries processed at once (memory)
D4_BUCKETS = ((2, 6), (7, 9), (10, 13), (14, 18), (19, MAX_PAIR_FACETS))
D4_WORK = 1 << 21
# a kernel call's fixed cost (about a hundred numpy calls, ~0.5-1 ms) exceeds the padded work
# of this many (chamber, pair, facet) entries: chambers this few go in one call, padded to
# their largest facet count, instead of one call per facet-count bucket (padding changes no
# value: the kernels work chamber by chamber and masked facets take part in no candidate)
SMALL_BATCH_WORK = 1 << 15


def row_norms(V: np.ndarray) -> np.ndarray:
    """``np.linalg.norm(V, axis=-1)`` bit for bit (the squares summed one component at a time
    in the same order, then one square root), without numpy's strided reduction over short
    rows (2-3x faster for D <= 4).

    Parameters
    ----------
    V : ndarray, shape (..., D)

    Returns
    -------
    ndarray, shape (...)

    >>> V = np.array([[3.0, 4.0, 12.0], [0.0, 0.0, 0.0]])
    >>> row_norms(V).tolist(), np.array_equal(row_norms(V), np.linalg.norm(V, axis=1))
    ([13.0, 0.0], True)
    """
    s = V[..., 0] * V[..., 0]
    for j in range(1, V.shape[-1]):
        s += V[..., j] * V[..., j]
    return np.sqrt(s)


def interior_masks(arr: Arrangement, rows: np.ndarray, V: np.ndarray, zero: np.ndarray):
    """Whether ``+V[j]/||V[j]||`` and ``-V[j]/||V[j]||`` lie strictly inside chamber ``rows[j]``.

    Tested on the chamber's facets only (its cone is the intersection of its facet
    half-spaces), ``O(facets)`` per chamber instead of ``O(n)``: inside iff
    ``<g, v> > zero`` for every inward facet normal ``g = +-x~_i``.

    Parameters
    ----------
    arr : Arrangement
        The data's hyperplane arrangement.
    rows : ndarray of int, shape (mc,)
        Chamber indices.
    V : ndarray, shape (mc, D)
        Their chamber vectors.
    zero : ndarray, shape (n,)
        Per-hyperplane threshold of a strictly positive product.

    Returns
    -------
    (ndarray of bool, ndarray of bool)
        For ``+V`` and for ``-V``, shape (mc,) each.
    """
    starts = arr.facet_indptr[rows]
    counts = arr.facet_indptr[rows + 1] - starts
    if rows.size == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    r_idx = np.repeat(np.arange(rows.size), counts)
    hp = arr.facet_indices[csr_positions(starts, counts)].astype(np.int64)
    act = (arr.sign_patterns[rows[r_idx], hp // 8] >> (hp % 8)) & 1
    dots = np.einsum("kd,kd->k", arr.X_lift[hp], V[r_idx]) * np.where(act == 1, 1.0, -1.0)
    z = zero[hp]
    plus = np.ones(rows.size, dtype=bool)
    minus = np.ones(rows.size, dtype=bool)
    np.logical_and.at(plus, r_idx, dots > z)
    np.logical_and.at(minus, r_idx, -dots > z)
    return plus, minus


def padded_facets(arr: Arrangement, rows: np.ndarray):
    """Inward facet normals of the chambers ``rows``, padded.

    Parameters
    ----------
    arr : Arrangement
        The data's hyperplane arrangement.
    rows : ndarray of int, shape (mc,)
        Chamber indices.

    Returns
    -------
    (ndarray, ndarray)
        ``G`` (mc, fmax, D) and its mask (mc, fmax) of real facets.
    """
    starts = arr.facet_indptr[rows]
    counts = arr.facet_indptr[rows + 1] - starts
    fmax = int(counts.max(initial=0))
    mc, D = rows.shape[0], arr.X_lift.shape[1]
    G = np.zeros((mc, max(fmax, 1), D))
    mask = np.zeros((mc, max(fmax, 1)), dtype=bool)
    if fmax == 0:
        return G, mask
    if int(counts.min()) == fmax:     # one facet count (the radii's groups): no mask, no scatter
        hp = arr.facet_indices[(starts[:, None] + np.arange(fmax)[None, :]).ravel()].astype(np.int64)
        bit = (arr.sign_patterns[np.repeat(rows, fmax), hp // 8] >> (hp % 8)) & 1
        sgn = np.where(bit == 1, 1.0, -1.0)
        G = (sgn[:, None] * np.take(arr.X_lift, hp, axis=0)).reshape(mc, fmax, D)
        mask[:] = True
        return G, mask
    k = np.arange(fmax)
    mask[:, :fmax] = k[None, :] < counts[:, None]
    r_idx, c_idx = np.nonzero(mask)
    hp = arr.facet_indices[starts[r_idx] + c_idx].astype(np.int64)
    # the facets' own sign bits only (unpacking whole patterns costs n per chamber)
    bit = (arr.sign_patterns[rows[r_idx], hp // 8] >> (hp % 8)) & 1
    sgn = np.where(bit == 1, 1.0, -1.0)
    G[r_idx, c_idx] = sgn[:, None] * arr.X_lift[hp]
    return G, mask


def _triple_cross4(G: np.ndarray, t3: np.ndarray) -> np.ndarray:
    """``cross4(G[:, a], G[:, b], G[:, c])`` for every triple ``(a, b, c)`` of ``t3`` (the same
    arithmetic, so the same floats), with the 2 x 2 minors of ``G[:, b], G[:, c]`` computed once
    per pair of facets instead of once per triple."""
    f = G.shape[1]
    pb, pc = np.triu_indices(f, 1)
    pair = np.full((f, f), -1)
    pair[pb, pc] = np.arange(len(pb))
    at = pair[t3[:, 1], t3[:, 2]]
    B, C = G[:, pb], G[:, pc]
    m = {(j, k): (B[..., j] * C[..., k] - B[..., k] * C[..., j])[:, at] for j in range(4) for k in range(j + 1, 4)}
    A = G[:, t3[:, 0]]

    def det3(j, k, l):
        return A[..., j] * m[k, l] - A[..., k] * m[j, l] + A[..., l] * m[j, k]

    return np.stack([det3(1, 2, 3), -det3(0, 2, 3), det3(0, 1, 3), -det3(0, 1, 2)], axis=-1)


def feasible_in_cone(W: np.ndarray, scale: np.ndarray, G: np.ndarray, gn: np.ndarray, mask: np.ndarray,
              zero_rel: float) -> np.ndarray:
    """Whether the candidates ``W`` (mc, P, D) lie in their chamber's cone
    ``{G theta >= 0}``, with slack ``zero_rel * scale`` (``scale`` (mc, P): the size of
    the terms each candidate was computed from).

    Parameters
    ----------
    W : np.ndarray, shape (mc, P, D)
        P candidate points for each of mc chambers.
    scale : np.ndarray, shape (mc, P)
        Size of the terms each candidate was computed from.
    G : np.ndarray, shape (mc, f, D)
        Inward facet normals of each chamber, padded to f rows.
    gn : np.ndarray, shape (mc, f)
        Norms of the rows of ``G``.
    mask : np.ndarray of bool, shape (mc, f)
        Which rows of ``G`` are real facets (the rest are padding and ignored).
    zero_rel : float
        Relative slack.

    Returns
    -------
    np.ndarray of bool, shape (mc, P)
        Whether ``<g, w> >= -zero_rel * scale * ||g||`` for every real facet ``g``.

    Examples
    --------
    >>> G = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> W = np.array([[[1.0, 1.0], [1.0, -1.0]]])
    >>> feasible_in_cone(W, np.ones((1, 2)), G, np.ones((1, 2)), np.array([[True, True]]), 0.0).tolist()
    [[True, False]]
    """
    act = np.matmul(W, np.transpose(G, (0, 2, 1)))                           # (mc, P, f)
    return np.all((act >= -zero_rel * scale[:, :, None] * gn[:, None, :]) | ~mask[:, None, :], axis=2)


_RAYS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def chamber_rays(arr: Arrangement, zero_rel: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit extreme rays of every chamber's cone for d = 3 (D = 4), as CSR ``(indptr,
    rays)``; computed once per arrangement (they do not depend on ``p``). A ray is the
    line where three facet planes meet (generalised cross product), kept with the sign
    that lies in the cone. Chambers with more than ``MAX_PAIR_FACETS`` facets get none
    (their projections go to NNLS).

    Parameters
    ----------
    arr : Arrangement
        With d = 3.
    zero_rel : float
        Relative rounding threshold (``tol.sign_zero``); part of the cache key.

    Returns
    -------
    (ndarray, ndarray)
        ``indptr`` (m + 1,) and ``rays`` (total, 4).
    """
    return _ray_pass(arr, zero_rel)[:2]


def ill_resolved_rays(arr: Arrangement, zero_rel: float) -> np.ndarray:
    """For d = 3: the chambers with three facet planes that are nearly, not exactly, dependent
    (generalised cross product between ``zero_rel`` and ``sqrt(zero_rel)`` times the product of
    their norms): a ray where they meet is resolved only to about ``eps / sqrt(zero_rel)``, so
    the set :func:`chamber_rays` lists may miss it (computed in the same pass, cached).

    Parameters
    ----------
    arr : Arrangement
        With d = 3.
    zero_rel : float
        Relative rounding threshold (``tol.sign_zero``).

    Returns
    -------
    ndarray of bool, shape (m,)
    """
    return _ray_pass(arr, zero_rel)[2]


def rays_from_lines(arr: Arrangement, zero_rel: float) -> bool:
    """Whether :func:`chamber_rays` came from the lines of a simple arrangement
    (:func:`relucert.arrangement.vertex_rays.vertex_rays`): then every ray lies on exactly
    three hyperplanes, all facets of its chamber, and the list is complete by construction.

    Parameters
    ----------
    arr : Arrangement
        With d = 3.
    zero_rel : float
        Relative rounding threshold (``tol.sign_zero``).

    Returns
    -------
    bool
    """
    return _ray_pass(arr, zero_rel)[3]


def _ray_pass(arr: Arrangement, zero_rel: float):
    """:func:`chamber_rays` and :func:`ill_resolved_rays` in one pass over the triples."""
    key = (zero_rel,)
    cached = _RAYS.get(arr, {}).get(key)
    if cached is not None:
        return cached
    m = arr.n_chambers
    fast = vertex_rays(arr, zero_rel, MAX_PAIR_FACETS) if arr.X_lift.shape[1] == 4 else None
    if fast is not None:   # a simple arrangement: every ray from its own line, none ill-resolved
        _RAYS.setdefault(arr, {})[key] = (fast[0], fast[1], np.zeros(m, dtype=bool), True)
        return _RAYS[arr][key]
    counts = np.diff(arr.facet_indptr)
    loose = np.sqrt(zero_rel)
    ill = np.zeros(m, dtype=bool)
    owners, found = [np.zeros(0, dtype=np.int64)], [np.zeros((0, 4))]
    # grouped by exact facet count: no padded facets, so no triples of padding
    for f in range(3, MAX_PAIR_FACETS + 1):
        sel = np.flatnonzero(counts == f)
        step = max(1, D4_WORK // (comb(f, 3) * f))
        for s0 in range(0, sel.size, step):
            rows = sel[s0:s0 + step]
            G, mask = padded_facets(arr, rows)
            gn = row_norms(G)
            t3 = np.array(list(combinations(range(G.shape[1]), 3)))
            R = _triple_cross4(G, t3)                                        # (mc, P, 4)
            rn = row_norms(R)
            scale = np.prod(gn[:, t3], axis=2)
            trip = mask[:, t3].all(axis=2)
            line = trip & (rn > zero_rel * scale)
            ill[rows] = np.any(line & (rn <= loose * scale), axis=1)
            R = R / np.where(line, rn, 1.0)[:, :, None]
            # r and -r at once: <g, -r> = -<g, r>; a padding row g = 0 gives 0, which passes
            act = np.matmul(R, np.transpose(G, (0, 2, 1)))                   # (mc, P, f)
            slack = zero_rel * gn[:, None, :]
            pos = line & np.all(act >= -slack, axis=2)
            neg = line & np.all(act <= slack, axis=2)
            R = np.concatenate([R, -R], axis=1)
            ray = np.concatenate([pos, neg], axis=1)
            owners.append(np.repeat(rows, ray.sum(axis=1)))
            found.append(R[ray])                                             # row-major: by chamber
    owner = np.concatenate(owners)
    order = np.argsort(owner, kind="stable")
    indptr = np.zeros(m + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(owner, minlength=m))
    rays = np.concatenate(found, axis=0)[order]
    _RAYS.setdefault(arr, {})[key] = (indptr, rays, ill, False)
    return _RAYS[arr][key]


_POINTED: "weakref.WeakKeyDictionary[Arrangement, bool]" = weakref.WeakKeyDictionary()


def is_pointed(arr: Arrangement) -> bool:
    """Whether the chambers' cones are pointed: the lifted data span R^D.

    Parameters
    ----------
    arr : Arrangement
        The data's hyperplane arrangement.

    Returns
    -------
    bool
        From the exact rank, cached per arrangement.
    """
    from relucert.arrangement.exact import exact_rank_columns

    got = _POINTED.get(arr)
    if got is None:
        Z = arr.X_lift
        got = _POINTED[arr] = exact_rank_columns(Z)[0] == Z.shape[1]
    return got


def padded_rays(arr: Arrangement, rows: np.ndarray, zero_rel: float):
    """The cached extreme rays of the chambers ``rows``, padded.

    Parameters
    ----------
    arr : Arrangement
        The data's hyperplane arrangement (d = 3, D = 4).
    rows : ndarray of int, shape (mc,)
        Chamber indices.
    zero_rel : float
        Relative rounding threshold the rays were computed with (:func:`chamber_rays`).

    Returns
    -------
    (ndarray, ndarray)
        ``R`` (mc, rmax, 4) and its mask (mc, rmax).
    """
    indptr, rays = chamber_rays(arr, zero_rel)
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    rmax = max(int(counts.max(initial=0)), 1)
    mask = np.arange(rmax)[None, :] < counts[:, None]
    R = np.zeros((rows.shape[0], rmax, 4))
    r_idx, c_idx = np.nonzero(mask)
    R[r_idx, c_idx] = rays[starts[r_idx] + c_idx]
    return R, mask


def count_buckets(counts: np.ndarray, buckets, cube_cap: int | None = None) -> list[tuple[np.ndarray, int]]:
    """Positions of ``counts`` grouped for the kernels, as ``(positions, width)``: the buckets
    ``(lo, hi)`` that hold any, each with width ``hi``, except that going down from the top a
    bucket joins the group above it (width: that group's largest count) when the padding costs
    at most ``SMALL_BATCH_WORK`` entries, ``rows * (width^3 - its own largest count^3)`` (a
    call's fixed cost), and the group's width is at most ``cube_cap`` (None: no cap). Positions
    in increasing order within each group.

    >>> [(g.tolist(), w) for g, w in count_buckets(np.array([4, 9, 5]), ((0, 4), (5, 12)))]
    [([0, 1, 2], 9)]
    >>> [(g.tolist(), w) for g, w in count_buckets(np.array([4] * 600 + [9]), ((0, 4), (5, 12)))][::-1][0]
    ([600], 12)
    """
    counts = np.asarray(counts)
    found = []
    for lo, hi in buckets:
        sel = np.flatnonzero((counts >= lo) & (counts <= hi))
        if sel.size:
            found.append((sel, hi, int(counts[sel].max())))
    out: list[tuple[list, int, int]] = []     # (position arrays, width, largest count)
    for sel, hi, top in reversed(found):
        if out:
            parts, width, gtop = out[-1]
            if ((cube_cap is None or gtop <= cube_cap)
                    and sel.size * (gtop ** 3 - top ** 3) <= SMALL_BATCH_WORK):
                out[-1] = (parts + [sel], gtop, gtop)
                continue
        out.append(([sel], hi, top))
    return [(parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts)), width)
            for parts, width, _ in reversed(out)]
