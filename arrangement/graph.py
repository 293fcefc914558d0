"""The chamber adjacency graph and each chamber's cone in H- and V-representation.

Two chambers are adjacent when they share a facet; crossing that facet flips the
signs of exactly the hyperplanes that carry it (all copies of one repeated point).
The cone of chamber ``k`` is the closure ``{theta : s_f <theta, x~_f> >= 0}`` over its
facets ``f``; pycddlib (2.1.8) converts it to generators (rays and lineality lines),
exactly in rationals (``number_type="fraction"``) or in floats.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from relucert.arrangement.chambers import Arrangement

__all__ = ["adjacency_graph", "adjacency_edges", "ChamberCone", "chamber_cone"]


def adjacency_edges(arr: Arrangement) -> tuple[np.ndarray, list[frozenset]]:
    """``(edges, crossed)``: chamber pairs (e, 2) that share a facet, and for each the
    set of hyperplane indices whose sign differs between them.

    Uses the edges the fast enumerator recorded; otherwise derives them from the facets
    (the neighbour across facet ``f`` has the pattern with the signs of every copy of
    ``x~_f`` flipped).

    Parameters
    ----------
    arr : Arrangement

    Returns
    -------
    edges : (e, 2) int array
    crossed : list of frozenset
        The hyperplanes crossed by each edge.
    """
    if arr.edges is not None:
        ptr, idx = arr.edge_indptr, arr.edge_indices
        crossed = [frozenset(idx[ptr[e]:ptr[e + 1]].tolist()) for e in range(len(arr.edges))]
        return np.asarray(arr.edges, dtype=np.int64).reshape(-1, 2), crossed
    Xl = arr.X_lift + 0.0
    _, inv = np.unique(Xl, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    classes = {c: np.flatnonzero(inv == c) for c in np.unique(inv)}
    lookup = {arr.sign_patterns[k].tobytes(): k for k in range(arr.n_chambers)}
    edges, crossed, seen = [], [], set()
    for k in range(arr.n_chambers):
        for c in np.unique(inv[arr.facets(k)]):
            members = classes[c]
            pattern = arr.sign_patterns[k].copy()
            np.bitwise_xor.at(pattern, members >> 3, (np.uint8(1) << (members & 7).astype(np.uint8)))
            j = lookup.get(pattern.tobytes())
            if j is None:
                raise ValueError(f"chamber {k}: the neighbour across hyperplane {members[0]} is not enumerated")
            key = (min(k, j), max(k, j))
            if key not in seen:
                seen.add(key)
                edges.append(key)
                crossed.append(frozenset(members.tolist()))
    return np.array(edges, dtype=np.int64).reshape(-1, 2), crossed


def adjacency_graph(arr: Arrangement):
    """The chamber adjacency graph as a ``networkx.Graph``: nodes are chamber indices
    (attribute ``signs``: the ``"+-"`` string when n <= 64), edges join chambers sharing
    a facet, with attribute ``hyperplanes`` (frozenset of the hyperplane indices crossed).

    Parameters
    ----------
    arr : Arrangement

    Returns
    -------
    networkx.Graph

    >>> import numpy as np
    >>> from relucert.arrangement import enumerate_chambers
    >>> G = adjacency_graph(enumerate_chambers(np.array([[0.0], [1.0]])))
    >>> G.number_of_nodes(), G.number_of_edges(), sorted(dict(G.degree()).values())
    (4, 4, [2, 2, 2, 2])
    """
    import networkx as nx

    edges, crossed = adjacency_edges(arr)
    G = nx.Graph()
    G.add_nodes_from(range(arr.n_chambers))
    G.add_edges_from((int(u), int(v), {"hyperplanes": c}) for (u, v), c in zip(edges, crossed))
    return G


@dataclass(frozen=True)
class ChamberCone:
    """A chamber's closed cone ``{theta : G theta >= 0}``.

    ``inequalities`` are the rows of ``G`` (one per distinct facet hyperplane,
    ``s_f x~_f``); ``rays`` and ``lines`` generate it: ``cone = cone(rays) + span(lines)``.
    Entries are ``Fraction`` (exact) or ``float``.
    """

    chamber: int
    inequalities: tuple[tuple, ...]
    rays: tuple[tuple, ...]
    lines: tuple[tuple, ...]


def chamber_cone(arr: Arrangement, k: int, *, number_type: str = "fraction") -> ChamberCone:
    """H- and V-representation of chamber ``k``'s closed cone through pycddlib.

    ``number_type="fraction"`` converts the float data to their exact rational values
    (an explicit, named step) and runs cdd in exact arithmetic; ``"float"`` runs it in
    floating point.

    Parameters
    ----------
    arr : Arrangement
    k : int
        The chamber.
    number_type : "fraction" or "float"

    Returns
    -------
    ChamberCone
        Inequalities, rays and lines of the closed cone.

    >>> import numpy as np
    >>> from relucert.arrangement import enumerate_chambers
    >>> arr = enumerate_chambers(np.array([[0.0], [1.0]]))
    >>> cone = chamber_cone(arr, 0)
    >>> len(cone.inequalities), len(cone.rays), len(cone.lines)
    (2, 2, 0)
    """
    import cdd

    if number_type not in ("fraction", "float"):
        raise ValueError(f"number_type must be 'fraction' or 'float'; got {number_type!r}")
    if not (0 <= int(k) < arr.n_chambers):
        raise ValueError(f"k must be a chamber index in [0, {arr.n_chambers}); got {k!r}")
    k = int(k)
    f = arr.facets(k)
    sign = np.where(arr.active([k])[0, f], 1.0, -1.0)
    G = np.unique((sign[:, None] * arr.X_lift[f]) + 0.0, axis=0)
    conv = (lambda v: Fraction(float(v))) if number_type == "fraction" else float
    rows = [[0] + [conv(v) for v in g] for g in G]
    mat = cdd.Matrix(rows, number_type=number_type)
    mat.rep_type = cdd.RepType.INEQUALITY
    gens = cdd.Polyhedron(mat).get_generators()
    lin = set(gens.lin_set)
    rays, lines = [], []
    for i in range(gens.row_size):
        row = gens[i]
        vec = tuple(Fraction(v) if number_type == "fraction" else float(v) for v in row[1:])
        if i in lin:
            lines.append(vec)
        elif row[0] == 0:
            rays.append(vec)
        # a vertex row (t = 1) of a cone is the origin: nothing to record
    ineq = tuple(tuple(r[1:]) for r in rows)
    return ChamberCone(chamber=k, inequalities=ineq, rays=tuple(rays), lines=tuple(lines))
