"""The chamber vectors ``v_A = sum_{i in A} p_i x~_i`` of every chamber (DESIGN.md section 2).

On the chamber with activation set ``A`` the certificate is linear,
``eta_p(theta) = <theta, v_A>``. Three ways to compute ``v_A`` for all chambers at once:

- ``method="lut"``: for each byte position of the packed sign patterns the 256 partial
  sums of ``p_i x~_i`` are precomputed, and ``v_A`` is the sum of ``ceil(n/8)`` table
  rows;
- ``method="unpack"``: chunks of patterns unpacked to floats and one matrix product;
- along a spanning tree of the chambers' adjacency graph (when the enumerator recorded
  it, numpy only, large arrangements): crossing a hyperplane changes ``v`` by
  ``+- p_i x~_i``, so ``v`` is its parent's plus one increment, swept level by level
  in breadth-first order.

The kernels run on any ``ops`` object (:mod:`relucert.arrangement._ops`): numpy by
default, torch through ``relucert.gpu``.
"""
from __future__ import annotations

import weakref
from enum import Enum

import numpy as np

from relucert._validation import check_choice, check_positive_int
from relucert.arrangement._ops import resolve_ops
from relucert.arrangement.chambers import Arrangement, csr_positions, unpack_signs

__all__ = ["ChamberVectorMethod", "chamber_vectors", "DEFAULT_CHUNK", "TREE_MIN_POINTS", "TREE_MIN_CHAMBERS"]

#: Default number of regions per batch when computing ``v_A`` (memory is about
#: ``chunk * ceil(n/8) * (d+1) * 8`` bytes for ``method="lut"``).
DEFAULT_CHUNK = 8192

#: Data sizes from which ``v_A`` of a whole arrangement is computed along a spanning
#: tree of its adjacency graph (when the enumerator recorded it) instead of by byte lookup
#: tables: the tables cost n/8 passes over the chambers, the tree one gathered pass plus a
#: sparse product (the tree is cached per arrangement). Measured (CPU ms, tables / tree):
#: d = 3, n = 40: 0.5 / 0.4; n = 100: 27.4 / 10.0; d = 2, n = 100: 1.8 / 1.0; n = 300:
#: 25.4 / 4.4 (benchmarks/RESULTS.md, session 10).
TREE_MIN_POINTS = 32
TREE_MIN_CHAMBERS = 10_000


class ChamberVectorMethod(str, Enum):
    """How :func:`chamber_vectors` sums ``p_i x~_i`` over each chamber's active set."""

    LUT = "lut"
    UNPACK = "unpack"


def check_arrangement(arrangement) -> Arrangement:
    """``arrangement`` itself; ``TypeError`` unless it is an :class:`Arrangement`.

    Parameters
    ----------
    arrangement : object

    Returns
    -------
    Arrangement
    """
    if not isinstance(arrangement, Arrangement):
        raise TypeError("arrangement must be a relucert.arrangement.Arrangement; "
                        f"got {type(arrangement).__name__}")
    return arrangement


def check_dual_vector(p, n: int) -> np.ndarray:
    """``p`` as a finite float64 vector of length ``n``; ``TypeError``/``ValueError`` naming ``p``.

    Parameters
    ----------
    p : array-like
    n : int
        The number of samples.

    Returns
    -------
    (n,) float64 array

    Examples
    --------
    >>> check_dual_vector([1, 2], 2).tolist()
    [1.0, 2.0]
    """
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


def chamber_vectors(arrangement, p, *, ops=None, method: str = "lut", chunk: int = DEFAULT_CHUNK,
                    rows=None) -> np.ndarray:
    """``v_A = sum_{i in A} p_i x~_i`` for every chamber (or the selected ``rows``).

    Parameters
    ----------
    arrangement : Arrangement
        The chambers (packed sign patterns, lifted data).
    p : (n,) array
        The dual vector.
    ops : ops object or None
        Where the sums run (None: numpy; ``relucert.gpu.torch_ops`` for torch).
    method : "lut" or "unpack"
        Byte lookup tables, or bits unpacked to floats and a matrix product
        (:class:`ChamberVectorMethod`). Whole numpy arrangements past
        :data:`TREE_MIN_POINTS` and :data:`TREE_MIN_CHAMBERS` with recorded adjacency
        use the spanning tree instead.
    chunk : int
        Chambers per batch.
    rows : index array or None
        Only these chambers (in this order).

    Returns
    -------
    (m, d + 1) float64 array, row ``k`` the vector of chamber ``k`` (of ``rows[k]``).

    Examples
    --------
    >>> from relucert.arrangement import enumerate_chambers
    >>> arr = enumerate_chambers(np.array([[0.0], [1.0]]))
    >>> V = chamber_vectors(arr, np.array([1.0, 2.0]))
    >>> sorted(map(tuple, V.tolist()))
    [(0.0, 0.0), (0.0, 1.0), (2.0, 2.0), (2.0, 3.0)]
    """
    arr = check_arrangement(arrangement)
    p = check_dual_vector(p, arr.n)
    method = check_choice(method, "method", ChamberVectorMethod)
    chunk = check_positive_int(chunk, "chunk")
    ops = resolve_ops(ops)
    if (rows is None and ops.name == "numpy" and arr.edges is not None
            and arr.n >= TREE_MIN_POINTS and arr.n_chambers >= TREE_MIN_CHAMBERS):
        return _tree_vectors(arr, p)
    patterns = arr.sign_patterns if rows is None else arr.sign_patterns[rows]
    return all_chamber_vectors(ops, method, patterns, arr.X_lift, p, chunk)


def _lut_tables(Xl: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(nbytes * 256, D): row ``256 b + c`` is ``sum_{k : bit k of c} p_{8b+k} x~_{8b+k}``."""
    n, D = Xl.shape
    nbytes = (n + 7) // 8
    W = np.zeros((nbytes * 8, D))
    W[:n] = p[:, None] * Xl
    bits = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(np.float64)
    T = np.einsum("ck,bkd->bcd", bits, W.reshape(nbytes, 8, D))
    return T.reshape(nbytes * 256, D)


def _vectors_chunk(ops, method: str, patterns_c, table, offsets, W, n: int):
    if method == ChamberVectorMethod.LUT.value:
        return ops.sum(table[ops.lut_index(patterns_c, offsets)], 1)
    return ops.unpack_float(patterns_c, n) @ W


_TREES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _tree_parts(arr: Arrangement):
    """A breadth-first spanning tree of the chambers' adjacency graph from chamber 0,
    cached per arrangement: ``(pred, E, order, pred_pos, blocks)``. ``E`` (m, n)
    sparse, row ``k`` holding ``+1`` at the hyperplanes crossed from ``pred[k]`` to ``k`` that
    are active in ``k`` and ``-1`` at those active in ``pred[k]`` (so ``v_k = v_pred[k] +
    (E (p x~))_k``); ``order`` the breadth-first order, ``pred_pos`` each ordered chamber's
    parent's position in it, ``blocks`` the bounds ``[s, e)`` of consecutive runs of ``order``
    whose parents all lie before ``s`` (about one per level of the tree: breadth-first parents'
    positions never decrease along the order). :func:`_sweep_parts` adds the rows of ``E`` in
    that order and each chamber's position in it."""
    return _all_tree_parts(arr)[:5]


def _sweep_parts(arr: Arrangement):
    """``(pred_pos, blocks, E_order, pos)``: of :func:`_tree_parts`, with ``E_order`` the rows
    of ``E`` in the breadth-first order and ``pos`` each chamber's position in it
    (``order[pos[k]] == k``)."""
    parts = _all_tree_parts(arr)
    return parts[3], parts[4], parts[5], parts[6]


def _all_tree_parts(arr: Arrangement):
    """The cached ``(pred, E, order, pred_pos, blocks, E_order, pos)`` behind
    :func:`_tree_parts` and :func:`_sweep_parts`."""
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
    bit = (arr.sign_patterns[rows, hyper // 8] >> (hyper % 8)) & 1
    E = sp.csr_matrix((np.where(bit == 1, 1.0, -1.0), (rows, hyper)), shape=(m, n))
    order = order.astype(np.int64)
    pos = np.empty(m, dtype=np.int64)
    pos[order] = np.arange(m)
    pred_pos = pos[pred[order]]
    reach = np.maximum.accumulate(pred_pos)       # non-decreasing: a block test by bisection
    blocks, s = [], 1
    while s < m:  # the next block ends at the first chamber whose parent is not yet summed
        end = max(int(np.searchsorted(reach, s, side="left")), s + 1)
        blocks.append((s, end))
        s = end
    # the rows of E in the breadth-first order (each row's entries in the same order, so the
    # same sums): the sweep then reads its increments contiguously
    out = (pred, E, order, pred_pos, tuple(blocks), E[order], pos)
    _TREES[arr] = out
    return out


def _tree(arr: Arrangement):
    """``(pred, E)`` of :func:`_tree_parts`: each chamber's parent in the spanning tree and
    the sparse increments."""
    return _tree_parts(arr)[:2]


def _tree_vectors(arr: Arrangement, p: np.ndarray) -> np.ndarray:
    """``v_A`` for every chamber along the cached spanning tree: the root's vector, then
    each block of the breadth-first order as its parents' vectors plus the increments
    ``E (p x~)`` (one vectorised pass per block, about one per level; every chamber's sum
    is its parent's plus one increment, the same terms as the direct sum). Rows are gathered
    with ``np.take`` (a row gather several times faster than ``[]`` indexing)."""
    pred_pos, blocks, E_order, pos = _sweep_parts(arr)
    Xl = arr.X_lift
    W = np.asarray(E_order @ (p[:, None] * Xl))     # the increments, in the breadth-first order
    act = unpack_signs(arr.sign_patterns[:1], arr.n)[0]             # the root, chamber 0
    W[0] = p[act] @ Xl[act]
    for s, e in blocks:
        W[s:e] += np.take(W, pred_pos[s:e], axis=0)
    return np.take(W, pos, axis=0)


def all_chamber_vectors(ops, method: str, sign_patterns: np.ndarray, Xl: np.ndarray, p: np.ndarray,
                        chunk: int) -> np.ndarray:
    """``v_A`` of the packed ``sign_patterns`` by byte tables or unpacking, on ``ops``
    (validated inputs; the kernel behind :func:`chamber_vectors`)."""
    n, D = Xl.shape
    m = sign_patterns.shape[0]
    nbytes = sign_patterns.shape[1]
    lut = method == ChamberVectorMethod.LUT.value
    table = ops.asarray(_lut_tables(Xl, p)) if lut else None
    offsets = ops.index(256 * np.arange(nbytes)) if lut else None
    W = ops.asarray(p[:, None] * Xl) if not lut else None
    if lut and ops.name == "numpy":
        # numpy: accumulate one byte column at a time (no (chunk, nbytes, D) gather)
        out = np.zeros((m, D))
        for b in range(nbytes):   # np.take: a row gather several times faster than [] indexing
            out += np.take(table[256 * b:256 * (b + 1)], sign_patterns[:, b], axis=0)
        return out
    out = np.empty((m, D))
    for s in range(0, m, chunk):
        sc = ops.asarray(sign_patterns[s:s + chunk])
        out[s:s + chunk] = ops.tonp(_vectors_chunk(ops, method, sc, table, offsets, W, n))
    return out
