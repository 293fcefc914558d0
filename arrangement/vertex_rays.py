"""The extreme rays of every chamber at d = 3 (D = 4) from the lines of the arrangement.

A chamber's closed cone is pointed when the lifted data span R^4; its extreme rays are
1-dimensional faces, each the intersection of the facet hyperplanes through it, so each lies
on a line ``H_a cap H_b cap H_c`` of three independent hyperplanes. Conversely, a unit
``r`` on such a line lies in the closure of chamber ``C`` iff ``C``'s sign pattern agrees with
``sign <x~_i, r>`` on every hyperplane not through ``r``; ``r`` is then an extreme ray of ``C``
(the faces ``closure(C) cap H_a``, ``H_b``, ``H_c`` meet in a face inside the line).

In a *simple* arrangement exactly three hyperplanes pass through every line, and the eight
sign choices on them are all chambers (three independent hyperplanes cut a neighbourhood of
``r`` into eight non-empty pieces). :func:`vertex_rays` walks the ``C(n, 3)`` lines once: it
computes ``u = cross4(x~_a, x~_b, x~_c)`` and ``<x~_i, u>`` for every ``i`` with a rigorous
float error bound, gives up (returns None) unless every sign off the triple is certain, then
looks the eight neighbouring patterns of ``+u`` and of ``-u`` up among the chambers (a 64-bit
additive hash of the packed pattern, unique over the chambers, each hit then compared bit for
bit). Every (chamber, ray) incidence is found this way, from the ray's own line, so the list
is complete by construction (proofs/chamber_completeness.md, "Extreme rays from the lines").

Cost: ``O(n^4)`` float work for the ``C(n, 3)`` lines against ``n`` hyperplanes, instead of
``O(f^4)`` per chamber (all facet triples of each chamber against its facets), about
``m f^4 / 6`` in all: at n = 100 about 16M dot products against 80M.
"""
from __future__ import annotations

import numpy as np

from relucert.arrangement.chambers import Arrangement
from relucert.arrangement.exact import UNIT_ROUNDOFF

__all__ = ["cross4", "cross4_abs", "vertex_rays", "line_triples"]

#: The float error of ``<x~_i, fl(cross4(x~_a, x~_b, x~_c))>`` is at most ``gamma_10`` times
#: ``<|x~_i|, cross4_abs(|x~_a|, |x~_b|, |x~_c|)>`` (proofs/chamber_completeness.md); the
#: filter uses 32 unit roundoffs, which also covers the rounding of the bound itself.
_ERROR_ROUNDOFFS = 32
#: Non-zero data magnitudes outside ``[2^-_EXP_RANGE, 2^_EXP_RANGE]`` go to the caller's own
#: method: within it no product of four entries under- or overflows.
_EXP_RANGE = 120
#: Triples per batch: their products with every hyperplane, ``_BATCH_ENTRIES`` in all.
_BATCH_ENTRIES = 1 << 20


def cross4(A: np.ndarray, B: np.ndarray, C: np.ndarray) -> np.ndarray:
    """The generalised cross product of three vectors of R^4 (last axis): orthogonal to
    all three, norm the 3-volume they span; zero iff they are dependent.

    Parameters
    ----------
    A, B, C : ndarray, shape (..., 4)

    Returns
    -------
    ndarray, shape (..., 4)
        ``<x, cross4(A, B, C)> = det [x; A; B; C]``.

    Examples
    --------
    >>> e = np.eye(4)
    >>> cross4(e[1], e[2], e[3]).tolist()
    [1.0, -0.0, 0.0, -0.0]
    """
    m = {(j, k): B[..., j] * C[..., k] - B[..., k] * C[..., j] for j in range(4) for k in range(j + 1, 4)}

    def det3(j, k, l):  # columns j < k < l of [A; B; C]
        return A[..., j] * m[k, l] - A[..., k] * m[j, l] + A[..., l] * m[j, k]

    return np.stack([det3(1, 2, 3), -det3(0, 2, 3), det3(0, 1, 3), -det3(0, 1, 2)], axis=-1)


def cross4_abs(A: np.ndarray, B: np.ndarray, C: np.ndarray) -> np.ndarray:
    """:func:`cross4` with every sign ``+`` (the 3 x 3 permanents of the minors) of
    non-negative inputs: the scale of each component's rounding error."""
    m = {(j, k): B[..., j] * C[..., k] + B[..., k] * C[..., j] for j in range(4) for k in range(j + 1, 4)}

    def per3(j, k, l):
        return A[..., j] * m[k, l] + A[..., k] * m[j, l] + A[..., l] * m[j, k]

    return np.stack([per3(1, 2, 3), per3(0, 2, 3), per3(0, 1, 3), per3(0, 1, 2)], axis=-1)


def line_triples(n: int) -> np.ndarray:
    """Every ``a < b < c`` of ``range(n)`` in lexicographic order, shape ``(C(n, 3), 3)``.

    >>> line_triples(4).tolist()
    [[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]
    """
    a, b = np.triu_indices(n, 1)
    per = n - 1 - b                      # c in (b, n)
    rep = np.repeat(np.arange(a.size), per)
    start = np.repeat(np.cumsum(per) - per, per)
    c = b[rep] + 1 + (np.arange(rep.size) - start)
    return np.stack([a[rep], b[rep], c], axis=1).astype(np.int64)


def _hash_tables(R: np.ndarray, nb: int) -> np.ndarray:
    """``T[j, v]``: the sum (mod 2^64) of ``R[8 j + k]`` over the bits ``k`` set in byte ``v``."""
    Rp = np.zeros(8 * nb, dtype=np.uint64)
    Rp[:R.size] = R
    bits = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(bool)     # (256, 8)
    out = np.zeros((nb, 256), dtype=np.uint64)
    for k in range(8):
        out += np.where(bits[None, :, k], Rp[k::8][:, None], np.uint64(0))
    return out


def vertex_rays(arr: Arrangement, zero_rel: float, max_facets: int, seed: int = 0):
    """Unit extreme rays of every chamber of a simple arrangement at d = 3, or None.

    Parameters
    ----------
    arr : Arrangement
        With D = d + 1 = 4.
    zero_rel : float
        A sign off the triple must also exceed ``2 zero_rel ||x~_i||`` on the unit ray (so
        that a facet test with slack ``zero_rel``, as the per-chamber method uses, decides it
        the same way); otherwise None.
    max_facets : int
        Chambers with more facets get no rays (as in the per-chamber method).
    seed : int
        Seed of the pattern hash (the result does not depend on it).

    Returns
    -------
    (indptr, rays) or None
        CSR over the chambers: rays ``s u / ||u||`` of the triple's ``u = cross4``
        (``s = +-1``), per chamber first those with ``s`` equal to the product of the
        chamber's signs on the triple, then the others, each part in lexicographic triple
        order (the order of the per-chamber method, whose facet lists are sorted). None when
        the arrangement is not simple or not pointed, some sign is too close to call, some
        triple is nearly dependent (``||u|| <= sqrt(zero_rel)`` times the product of its
        norms), data magnitudes are extreme, or a look-up fails: the caller then uses the
        per-chamber method.

    Examples
    --------
    Five points in general position in R^3: every cone has at least four rays.

    >>> from relucert.arrangement import enumerate_chambers
    >>> X = np.array([[0., 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 2]])
    >>> indptr, rays = vertex_rays(enumerate_chambers(X), 1e-12, 24)
    >>> bool(np.diff(indptr).min() >= 4), bool(np.allclose(np.linalg.norm(rays, axis=1), 1))
    (True, True)
    """
    Z = np.ascontiguousarray(arr.X_lift, dtype=np.float64)
    n, D = Z.shape
    if D != 4 or n < 4 or not np.all(np.isfinite(Z)):
        return None
    nz = np.abs(Z[Z != 0])
    if nz.size and (nz.min() < np.ldexp(1.0, -_EXP_RANGE) or nz.max() > np.ldexp(1.0, _EXP_RANGE)):
        return None
    m = arr.n_chambers
    pos = arr.sign_patterns
    nb = pos.shape[1]
    counts = np.diff(arr.facet_indptr)
    R = np.random.default_rng(seed).integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)
    table = _hash_tables(R, nb)
    hc = np.zeros(m, dtype=np.uint64)
    for j in range(nb):
        hc += np.take(table[j], pos[:, j])
    order = np.argsort(hc, kind="stable")
    hs = hc[order]
    if m == 0 or np.any(hs[1:] == hs[:-1]):
        return None
    zn = np.linalg.norm(Z, axis=1)
    absZ = np.abs(Z)
    loose = np.sqrt(zero_rel)
    tri = line_triples(n)
    T = tri.shape[0]
    step = max(1, _BATCH_ENTRIES // n)
    keys, found, table_rays = [], [], []
    byte = np.arange(n) >> 3
    bit = (np.uint8(1) << (np.arange(n) & 7).astype(np.uint8)).astype(np.uint8)
    # the eight sign choices e on the triple (bit j of e: hyperplane t[:, j] positive)
    ebits = (np.arange(8)[:, None] >> np.arange(3)[None, :]) & 1                 # (8, 3)
    eprod = np.where((3 - ebits.sum(axis=1)) % 2 == 0, 1, -1)
    for t0 in range(0, T, step):
        t = tri[t0:t0 + step]
        k = t.shape[0]
        rk = np.arange(k)
        tid = np.arange(t0, t0 + k, dtype=np.int64)
        u = cross4(Z[t[:, 0]], Z[t[:, 1]], Z[t[:, 2]])
        un = np.linalg.norm(u, axis=1)
        if np.any(un <= loose * zn[t[:, 0]] * zn[t[:, 1]] * zn[t[:, 2]]):
            return None
        dots = u @ Z.T                                                        # (k, n)
        # certain signs: beyond the rounding bound (|<z_i, P>| <= max|z_i| sum P) and beyond
        # 2 zero_rel on the unit ray
        # (max|z_i| <= ||z_i||: one rank-one threshold covers both)
        perm = cross4_abs(absZ[t[:, 0]], absZ[t[:, 1]], absZ[t[:, 2]]).sum(axis=1)
        thr = np.outer(np.maximum((_ERROR_ROUNDOFFS * UNIT_ROUNDOFF) * perm, (2 * zero_rel) * un), zn)
        mag = np.abs(dots)
        mag[rk[:, None], t] = np.inf
        if not np.all(mag > thr):
            return None
        rays = u / un[:, None]
        hq, want = [], []
        for sigma in (1, -1):
            side = (dots > 0) if sigma > 0 else (dots < 0)
            side[rk[:, None], t] = False
            packed = np.packbits(side, axis=1, bitorder="little")
            base = np.zeros(k, dtype=np.uint64)
            for j in range(nb):
                base += np.take(table[j], packed[:, j])
            for e in range(8):
                q = base.copy()
                w = packed.copy()
                for col in range(3):
                    if ebits[e, col]:
                        q += R[t[:, col]]
                        w[rk, byte[t[:, col]]] |= bit[t[:, col]]
                hq.append(q)
                want.append(w)
        hq = np.concatenate(hq)                                               # (16 k,): sigma, e, triple
        srt = np.argsort(hq)
        at = np.minimum(np.searchsorted(hs, hq[srt]), m - 1)
        if not np.array_equal(hs[at], hq[srt]):
            return None
        ch = np.empty(hq.size, dtype=np.int64)
        ch[srt] = order[at]
        if not np.array_equal(pos[ch], np.concatenate(want)):
            return None
        sig = np.repeat(np.array([1, -1]), 8 * k)
        half = (sig != np.tile(np.repeat(eprod, k), 2)).astype(np.int64)
        keep = counts[ch] <= max_facets
        keys.append(((ch * 2 + half) * T + np.tile(tid, 16))[keep])
        found.append((np.tile(tid, 16) + T * (sig < 0))[keep])
        table_rays.append(rays)
    key, found = np.concatenate(keys), np.concatenate(found)
    key, found = _sort_by_distinct_key(key, found, 2 * m * T, 2 * T)
    owner = key // (2 * T)
    indptr = np.zeros(m + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(owner, minlength=m))
    unit = np.concatenate(table_rays, axis=0)
    return indptr, np.concatenate([unit, -unit])[found]


def _sort_by_distinct_key(key: np.ndarray, val: np.ndarray, key_bound: int, val_bound: int):
    """``key`` sorted and ``val`` in the same order, for distinct non-negative int64 keys below
    ``key_bound`` and values below ``val_bound``: one sort of ``key << b | val`` where that fits
    in 63 bits (a plain sort is about twice as fast as an argsort; the keys being distinct, the
    order is the argsort's), else an argsort."""
    b = max(1, int(val_bound - 1).bit_length())
    if int(key_bound - 1).bit_length() + b <= 63:
        packed = (key << np.int64(b)) | val
        packed.sort()
        return packed >> np.int64(b), packed & np.int64((1 << b) - 1)
    srt = np.argsort(key)
    return key[srt], val[srt]
