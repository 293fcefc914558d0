"""Regions leaves of the /2 builder: the forced leaf of a thin cone as a decision tree over
its weighted undecided samples (the checker's rule: :mod:`relucert.verify.checker.tree_regions`;
proofs/branch_and_bound.md, Lemma 11).

Floats only choose: a branch whose LP (:func:`relucert.arrangement.cones.interior_margin`)
shows no interior gets exact Gordan multipliers (a float vertex of ``{y >= 0, sum y = 1,
M^T y = 0}``, its support's exact null space, the float solution's coordinates in it as
rationals, checked here and again by the checker); a branch without such a proof is split
further. A sub-region at full depth gets its NNLS polar multipliers as exact rationals of
the floats. The leaf is written only when every sub-region's bound is at most 1 exactly.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.optimize import linprog, nnls

from relucert.arrangement.cones import interior_margin
from relucert.arrangement.exact import rref_exact
from relucert.tolerances import BAB_FORCED_ALL_PATTERNS, Tolerances
from relucert.verify.checker.tree import largest, undecided_weighted
from relucert.verify.checker.tree_regions import is_thin, regions_leaf_bounds

__all__ = ["regions_leaf", "is_thin"]


def _null_space(cols: list) -> list:
    """A basis (lists of Fractions) of ``{c : sum_b c_b cols_b = 0}`` (``cols`` integer vectors)."""
    m = len(cols)
    D = len(cols[0])
    rows, piv_cols = rref_exact([[Fraction(cols[b][r]) for b in range(m)] for r in range(D)])
    basis = []
    for free in (c for c in range(m) if c not in piv_cols):
        vec = [Fraction(0)] * m
        vec[free] = Fraction(1)
        for i, pc in enumerate(piv_cols):
            vec[pc] = -rows[i][free]
        basis.append(vec)
    return basis


def _gordan(M_int: list, M: np.ndarray, y: np.ndarray | None) -> dict | None:
    """Exact ``y >= 0``, not all 0, with ``sum_j y_j M_int_j = 0`` (sparse dict), or None;
    ``y``: float multipliers of the rows of ``M`` (the unit rows of ``M_int``) from the
    interior LP (None: a feasibility LP finds them)."""
    k = M.shape[0]
    if y is None or not np.abs(M.T @ y).max(initial=0.0) <= np.sqrt(np.finfo(np.float64).eps) * max(y.sum(), 1.0):
        res = linprog(np.zeros(k), A_eq=np.vstack([M.T, np.ones((1, k))]), b_eq=np.r_[np.zeros(M.shape[1]), 1.0],
                      bounds=[(0, None)] * k, method="highs")
        if res.status != 0:
            return None
        y = res.x
    supp = [j for j in range(k) if y[j] > 0]
    if not supp:
        return None
    basis = _null_space([M_int[j] for j in supp])
    if not basis:
        return None
    B = np.array([[float(v) for v in vec] for vec in basis]).T          # (|supp|, dim)
    coef, *_ = np.linalg.lstsq(B, y[supp], rcond=None)
    for trial in ([Fraction(float(c)) for c in coef], *([Fraction(1 if t == s else 0) for t in range(len(basis))]
                                                         for s in range(len(basis)))):
        vec = [sum((c * b[j] for c, b in zip(trial, basis)), Fraction(0)) for j in range(len(supp))]
        for sgn in (1, -1):
            if all(sgn * v >= 0 for v in vec) and any(vec):
                return {supp[j]: sgn * vec[j] for j in range(len(supp)) if vec[j]}
    return None


def _every_pattern(ctx, A, G, q, v0, node, act: list, U: list):
    """The regions leaf whose decision tree is complete (every one of the ``2^k`` sign patterns a
    sub-region, no empty branch), each with its NNLS polar multipliers, when every bound is at
    most 1 exactly (an empty sub-region's exact bound is its polar bound too: 0 or the bound of
    a lower-dimensional piece of the cone, so no LP decides it); else ``(None, None)``."""
    k = len(U)
    tree, mult = [], []
    stack = [()]
    while stack:            # the checker's preorder: at each split first s = -, then s = +
        pre = stack.pop()
        if len(pre) < k:
            tree.append("1")
            stack.extend((pre + (1,), pre + (-1,)))
            continue
        tree.append("0")
        s = np.array(pre, dtype=np.float64)
        on = [U[b] for b in range(k) if pre[b] > 0]
        v = v0 + (q[on] @ A[on] if on else 0.0)
        m, _ = nnls((np.vstack([G, s[:, None] * A[U]]) if k else G).T, -v)
        mult.append({j: Fraction(float(x)) for j, x in enumerate(m) if x > 0})
    leaf = ("regions", "".join(tree), tuple(mult), ())
    per = regions_leaf_bounds(ctx, node, act, U, leaf)
    if isinstance(per, str):
        return None, None
    out = largest(per)
    return (leaf, out) if out[0] <= out[1] else (None, None)


def regions_leaf(ctx, A: np.ndarray, p: np.ndarray, node, act: list, und: list, tol: Tolerances):
    """``(("regions", tree, mult, empty), (num, den))`` for a thin cone whose every
    sub-region is confirmed at ``||z||^2 <= 1``, or ``(None, None)``.

    ``A`` the lifted float rows, ``p`` the float dual vector, ``ctx`` the checker's context,
    ``act``/``und`` the node's exact classification. With at most ``BAB_FORCED_ALL_PATTERNS``
    weighted undecided samples every pattern is tried first, without LPs (:func:`_every_pattern`)."""
    if not is_thin(node.R):
        return None, None
    U = undecided_weighted(ctx, und)
    k, D, q = len(U), ctx.D, node.sign * p
    G_int = [[ctx.ex.DX * v for v in g] for g in node.G]      # the checker's rows: DX g_j and s_b Xi_b
    G = np.array([[float(v) for v in g] for g in node.G])
    Gn = G / np.linalg.norm(G, axis=1, keepdims=True)
    X_int = [list(ctx.Xi[i]) for i in range(ctx.n)]
    An = A[U] / np.linalg.norm(A[U], axis=1, keepdims=True) if k else np.zeros((0, D))
    v0 = q[act] @ A[act] if act else np.zeros(D)
    if k <= BAB_FORCED_ALL_PATTERNS:     # every pattern, no LP (proofs/branch_and_bound.md, Lemma 11)
        found = _every_pattern(ctx, A, G, q, v0, node, act, U)
        if found[0] is not None:
            return found
    tree, mult, empty = [], [], []
    zero = tol.sign_zero
    stack = [((), None)]        # a prefix of signs and an interior point of its branch (None: unknown)
    while stack:
        pre, pt = stack.pop()
        t = len(pre)
        s = np.array(pre, dtype=np.float64)
        if t and pt is None:
            M = np.vstack([Gn, s[:, None] * An[:t]])
            tau, pt, duals = interior_margin(M, duals=True)
            if not tau > zero:
                pt = None
                y = _gordan(G_int + [[sg * x for x in X_int[U[b]]] for b, sg in enumerate(pre)], M, duals)
                if y is not None:
                    tree.append("e")
                    empty.append(y)
                    continue
        if t < k:
            tree.append("1")
            side = 0.0 if pt is None else float(An[t] @ pt)
            # the branch's point serves the child on its side (margin above zero): no LP there
            stack.extend((pre + (sg,), pt if sg * side > zero else None) for sg in (1, -1))
            continue
        tree.append("0")
        on = [U[b] for b in range(k) if pre[b] > 0]
        v = v0 + (q[on] @ A[on] if on else 0.0)
        N = np.vstack([G, s[:, None] * A[U]]) if k else G
        m, _ = nnls(N.T, -v)
        mult.append({j: Fraction(float(x)) for j, x in enumerate(m) if x > 0})
    leaf = ("regions", "".join(tree), tuple(mult), tuple(empty))
    per = regions_leaf_bounds(ctx, node, act, U, leaf)
    if isinstance(per, str):
        return None, None
    out = largest(per)
    return (leaf, out) if out[0] <= out[1] else (None, None)
