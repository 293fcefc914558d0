"""Reference enumeration: breadth-first search over facet flips, one LP per candidate
chamber.

Slow (``m * n`` LPs) but general and simple: it is the independent cross-check of the
fast enumerator (a different algorithm: LPs instead of restrictions to circles) and the
baseline of ``benchmarks/``. The LP is a callable (:data:`ChamberLP`), by default
:func:`relucert.arrangement.chamber_lp.chamber_lp` on scipy's HiGHS.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from relucert.arrangement.chamber_lp import ChamberLP, chamber_lp as default_chamber_lp
from relucert.arrangement.chambers import Arrangement, lift, pack_signs
from relucert.tolerances import Tolerances, resolve

__all__ = ["enumerate_bfs"]


def enumerate_bfs(X: np.ndarray, *, tol: Tolerances | None = None, progress=None,
                  chamber_lp: ChamberLP | None = None) -> Arrangement:
    """All chambers of the arrangement of ``X`` by BFS over single sign flips.

    Parameters
    ----------
    X : (n, d) array
        The data (validated by the caller).
    tol : Tolerances or None
        ``sign_zero``: a flipped pattern is a chamber when its LP margin exceeds it; the
        LP's own tolerances.
    progress : callable or None
        Called with the number of chambers found so far.
    chamber_lp : callable or None
        ``chamber_lp(U, s, tol=tol) -> (t, theta)``, the largest margin of pattern ``s``
        on unit normals ``U`` (None: scipy's HiGHS, :func:`default_chamber_lp`).

    Returns
    -------
    Arrangement
        method "bfs-lp"; no adjacency edges recorded.

    Examples
    --------
    >>> enumerate_bfs(np.array([[0.0], [1.0], [2.0]])).n_chambers
    6
    """
    tol = resolve(tol)
    chamber_lp = default_chamber_lp if chamber_lp is None else chamber_lp
    Xl = lift(X)
    uniq, inverse = np.unique(Xl, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    U = uniq / np.linalg.norm(uniq, axis=1, keepdims=True)
    k = U.shape[0]
    start = np.ones(k, dtype=np.int8)  # theta = (0, ..., 0, 1) activates everything
    seen = {start.tobytes(): 0}
    patterns, points, margins, facets = [start], [], [], []
    t0, th0 = chamber_lp(U, start.astype(float), tol=tol)
    points.append(th0)
    margins.append(t0)
    queue = deque([0])
    while queue:
        idx = queue.popleft()
        s = patterns[idx]
        my_facets = []
        for j in range(k):
            s2 = s.copy()
            s2[j] = -s2[j]
            key = s2.tobytes()
            if key in seen:
                my_facets.append(j)
                continue
            t, th = chamber_lp(U, s2.astype(float), tol=tol)
            if t > tol.sign_zero:
                seen[key] = len(patterns)
                patterns.append(s2)
                points.append(th)
                margins.append(t)
                queue.append(len(patterns) - 1)
                my_facets.append(j)
                if progress is not None:
                    progress(len(patterns))
        facets.append((idx, my_facets))
    S = np.array(patterns)  # (m, k) over unique hyperplanes
    P = np.array(points)
    norms = np.linalg.norm(P, axis=1)
    P = P / norms[:, None]
    full = S[:, inverse]  # back to all n samples
    Ul = Xl / np.linalg.norm(Xl, axis=1, keepdims=True)
    margin = np.min(full * (P @ Ul.T), axis=1)
    facet_lists = [None] * len(patterns)
    for idx, fs in facets:
        members = np.flatnonzero(np.isin(inverse, fs))
        facet_lists[idx] = members
    indptr = np.zeros(len(patterns) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(f) for f in facet_lists])
    indices = np.concatenate(facet_lists).astype(np.int64) if facet_lists else np.zeros(0, np.int64)
    return Arrangement(X=np.asarray(X, float), X_lift=Xl, sign_patterns=pack_signs(full > 0), interior=P,
                       margin=margin, facet_indptr=indptr, facet_indices=indices, method="bfs-lp")
