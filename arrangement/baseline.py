"""Reference enumeration: breadth-first search over facet flips, one HiGHS LP per
candidate chamber.

Slow (``m * n`` LPs) but general and simple: it is the independent cross-check of
the fast enumerators and the baseline of ``benchmarks/``.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import scipy.sparse as sp

from relucert.arrangement.chambers import Arrangement, lift, pack_signs
from relucert.lp.highs import FiniteProgram, solve_program
from relucert.results import Status
from relucert.errors import SolverError
from relucert.tolerances import Tolerances, resolve

__all__ = ["enumerate_bfs", "chamber_lp"]


def chamber_lp(U: np.ndarray, s: np.ndarray, *, tol: Tolerances | None = None):
    """Largest margin of the sign pattern ``s`` on unit normals ``U`` (k, D).

    Solves ``max t  s.t.  s_j <u_j, theta> >= t,  -1 <= theta <= 1,  t <= 1``.
    Returns ``(t, theta)``: the pattern is a chamber iff ``t > 0``.
    """
    tol = resolve(tol)
    k, D = U.shape
    A = sp.csc_matrix(np.hstack([s[:, None] * U, -np.ones((k, 1))]))
    c = np.zeros(D + 1)
    c[-1] = 1.0
    prog = FiniteProgram(c=c, A=A, row_lower=np.zeros(k), row_upper=np.full(k, np.inf),
                         col_lower=np.r_[-np.ones(D), -np.inf], col_upper=np.ones(D + 1),
                         maximize=True)
    res = solve_program(prog, tol=tol)
    if res.status is not Status.OPTIMAL:
        raise SolverError(f"chamber feasibility LP ended with status {res.status.value}: {res.message}")
    return float(res.x[-1]), res.x[:-1]


def enumerate_bfs(X: np.ndarray, *, tol: Tolerances | None = None, progress=None) -> Arrangement:
    """All chambers of the arrangement of ``X`` by BFS over single sign flips.

    ``progress`` is an optional callable taking the number of chambers found so far.
    """
    tol = resolve(tol)
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
    return Arrangement(X=np.asarray(X, float), X_lift=Xl, signs=pack_signs(full > 0), interior=P,
                       margin=margin, facet_indptr=indptr, facet_indices=indices, method="bfs-lp")
