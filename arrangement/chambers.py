"""The chambers of a data set's hyperplane arrangement: one container type.

The lifted data ``x~_i = (x_i, 1)`` define hyperplanes ``H_i = {theta : <theta, x~_i> = 0}``
in R^{d+1}. A chamber is an open cone on which every ``sign <theta, x~_i>`` is non-zero;
its sign pattern is stored as packed bits (bit ``i`` set <=> ``<theta, x~_i> > 0``,
``numpy.packbits(..., bitorder="little")`` along the sample axis).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from relucert._model import lift  # noqa: F401  (re-exported: arrangement.lift)
from relucert.results import jsonable

__all__ = ["Arrangement", "lift", "pack_signs", "unpack_signs", "sign_string", "csr_positions"]


def pack_signs(active: np.ndarray) -> np.ndarray:
    """Pack a boolean (m, n) activation matrix into (m, ceil(n / 8)) uint8 rows.

    Parameters
    ----------
    active : (m, n) bool array
        Row k, column i: sample i active in chamber k.

    Returns
    -------
    (m, ceil(n / 8)) uint8 array
        The packed sign patterns (bit i of byte i // 8, little bit order).

    Examples
    --------
    >>> pack_signs(np.array([[True, False, True]])).tolist()
    [[5]]
    """
    return np.packbits(np.asarray(active, dtype=bool), axis=-1, bitorder="little")


def unpack_signs(packed: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pack_signs`: a boolean (m, n) activation matrix.

    Parameters
    ----------
    packed : (m, ceil(n / 8)) uint8 array
        Packed sign patterns.
    n : int
        The number of samples.

    Returns
    -------
    (m, n) bool array

    Examples
    --------
    >>> unpack_signs(np.array([[5]], dtype=np.uint8), 3).tolist()
    [[True, False, True]]
    """
    return np.unpackbits(packed, axis=-1, count=n, bitorder="little").astype(bool)


def csr_positions(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The positions ``starts[r], ..., starts[r] + counts[r] - 1`` of every row ``r`` of a
    CSR list, concatenated (vectorised).

    Parameters
    ----------
    starts, counts : (k,) int arrays
        First position and length of each row.

    Returns
    -------
    (sum(counts),) int64 array

    >>> csr_positions(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist()
    [5, 6, 9, 10, 11]
    """
    starts = np.asarray(starts, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    first = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(first - starts, counts)


def sign_string(active_row: np.ndarray) -> str:
    """``"+-+..."`` for one boolean activation row.

    Parameters
    ----------
    active_row : (n,) bool array

    Returns
    -------
    str
        ``+`` for an active sample, ``-`` for an inactive one.

    Examples
    --------
    >>> sign_string(np.array([True, False]))
    '+-'
    """
    return "".join("+" if a else "-" for a in active_row)


@dataclass(frozen=True, eq=False)
class Arrangement:
    """All chambers of the central arrangement of a data set.

    Attributes
    ----------
    X : (n, d) data the arrangement was built from.
    X_lift : (n, d + 1) lifted data ``(x_i, 1)``.
    sign_patterns : (m, ceil(n / 8)) uint8, packed activation patterns (bit set: active).
    interior : (m, d + 1) unit vectors, one strictly inside each chamber.
    margin : (m,) ``min_i |<interior, x~_i>| / ||x~_i||`` for each chamber (> 0).
    facet_indptr, facet_indices : CSR lists of the hyperplanes that carry a facet
        of each chamber (every duplicate index of a repeated point is listed).
    method : the enumeration method that produced it.
    edges : (e, 2) int64 or None, pairs of chambers adjacent across a facet (the
        fast enumerator records them; :func:`relucert.arrangement.adjacency_graph`
        derives them from the facets otherwise).
    edge_indptr, edge_indices : CSR lists of the hyperplanes crossed by each edge.
    rational_interior : dict or None, ``{k: (Fraction, ...)}`` for the chambers narrower
        than float resolution: an exact interior point (checked exactly); their
        ``interior[k]`` is its rounding, not certified, and ``margin[k]`` is 0.0.
    """

    X: np.ndarray
    X_lift: np.ndarray
    sign_patterns: np.ndarray
    interior: np.ndarray
    margin: np.ndarray
    facet_indptr: np.ndarray
    facet_indices: np.ndarray
    method: str = ""
    edges: np.ndarray | None = None
    edge_indptr: np.ndarray | None = None
    edge_indices: np.ndarray | None = None
    rational_interior: dict | None = None

    @property
    def n(self) -> int:
        return int(self.X_lift.shape[0])

    @property
    def d(self) -> int:
        return int(self.X_lift.shape[1] - 1)

    @property
    def n_chambers(self) -> int:
        return int(self.sign_patterns.shape[0])

    def __len__(self) -> int:
        return self.n_chambers

    def active(self, rows=None) -> np.ndarray:
        """Boolean activation matrix (m, n) (or of the selected rows)."""
        packed = self.sign_patterns if rows is None else self.sign_patterns[rows]
        return unpack_signs(packed, self.n)

    def sign_matrix(self, rows=None) -> np.ndarray:
        """Signs in {-1, +1} as int8, shape (m, n) (or of the selected rows)."""
        return np.where(self.active(rows), np.int8(1), np.int8(-1))

    def facets(self, k: int) -> np.ndarray:
        """Indices of the hyperplanes carrying a facet of chamber ``k``."""
        return self.facet_indices[self.facet_indptr[k]:self.facet_indptr[k + 1]]

    def inward_normals(self, k: int) -> np.ndarray:
        """Rows ``s_j x~_j`` for the facets j of chamber ``k``: the closed region is
        ``{theta : G theta >= 0}``."""
        idx = self.facets(k)
        s = np.where(unpack_signs(self.sign_patterns[k:k + 1], self.n)[0, idx], 1.0, -1.0)
        return s[:, None] * self.X_lift[idx]

    def subset(self, rows) -> "Arrangement":
        """The chambers ``rows`` only (same data; facet lists and rational interior
        points re-indexed; no adjacency edges). Not a whole arrangement: for batched
        work on some chambers."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        starts, ends = self.facet_indptr[rows], self.facet_indptr[rows + 1]
        counts = ends - starts
        indptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        take = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1])
        return replace(self, sign_patterns=self.sign_patterns[rows], interior=self.interior[rows], margin=self.margin[rows],
                       facet_indptr=indptr, facet_indices=self.facet_indices[take],
                       edges=None, edge_indptr=None, edge_indices=None,
                       rational_interior=None if self.rational_interior is None else {
                           new: self.rational_interior[int(old)] for new, old in enumerate(rows)
                           if int(old) in self.rational_interior})

    def to_dict(self, *, limit: int | None = 10000) -> dict:
        """JSON form; chambers are listed only when there are at most ``limit`` of them
        (``limit=None`` lists all)."""
        out = {"n": self.n, "d": self.d, "n_chambers": self.n_chambers, "method": self.method}
        if limit is None or self.n_chambers <= limit:
            act = self.active()
            out["chambers"] = [
                {"signs": sign_string(act[k]), "interior_point": jsonable(self.interior[k]),
                 "facets": jsonable(self.facets(k))}
                for k in range(self.n_chambers)
            ]
        return out
