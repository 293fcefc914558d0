"""Regions leaves of ``relucert.exact-certificate/2``: the forced leaves of thin cones
(proofs/branch_and_bound.md, Lemma 11; proofs/exact_certificate.md, "Format /2").

A regions leaf is accepted only on a *thin* cone, ``prod_j ||r_j||^2 >= 4^BAB_THIN_BITS``
(integers, :func:`is_thin`); anything else fails closed. Its ``tree`` string is the
preorder of a decision tree over the cone's weighted undecided samples ``i_1 < ... < i_k``
(those an exact leaf enumerates): at depth ``t`` a ``1`` splits on ``i_{t+1}`` (first child
``s_{t+1} = -``, then ``+``); a ``0`` is only allowed at depth ``k``: a sub-region with its
``D + k`` polar multipliers, bounded exactly as an exact leaf's pattern; an ``e`` at depth
``t`` is a branch without interior, proven by Gordan multipliers ``y >= 0``, not all 0, over
its ``D + t`` rows: ``sum_j y_j g_j + sum_b y_{D+b} s_b x~_{i_b} = 0`` exactly. Every point
of the cone lies in the closure of the interior points off all the hyperplanes, and such a
point follows one path of the tree to a ``0`` (an ``e`` branch has no interior point), so the
``0`` sub-regions cover the cone and the largest of their bounds bounds it.
"""
from __future__ import annotations

from relucert.tolerances import BAB_THIN_BITS
from relucert.verify.checker.rational import as_ints, common_denominator

__all__ = ["is_thin", "regions_leaf_bounds"]


def is_thin(R: tuple) -> bool:
    """``prod_j ||r_j||^2 >= 4^BAB_THIN_BITS`` for the integer rays ``R`` (exact)."""
    prod = 1
    for r in R:
        prod *= sum(a * a for a in r)
    return prod >= 1 << (2 * BAB_THIN_BITS)


def _combine(ctx, node, rows: list, ints: list) -> list:
    """``sum_j ints_j g_j * S + sum_b ints_{D+b} s_b Xi_{i_b} * DP`` (``rows``: ``(s_b, i_b)``)."""
    D = ctx.D
    z = [0] * D
    for j in range(D):
        if ints[j]:
            c = ints[j] * ctx.S
            z = [a + c * g for a, g in zip(z, node.G[j])]
    for b, (s, i) in enumerate(rows):
        c = ints[D + b] * s * ctx.DP
        if c:
            z = [a + c * x for a, x in zip(z, ctx.Xi[i])]
    return z


def regions_leaf_bounds(ctx, node, act: list, U: list, leaf) -> list | str:
    """Per ``0`` of the leaf's decision tree, ``(num, den)`` with ``num/den = ||z||^2`` (an
    upper bound on the square of the maximum of ``sign * eta`` over that sub-region), or a
    string naming why the leaf does not fit (module docstring). ``U``: the weighted
    undecided samples; ``leaf = ("regions", tree, mult, empty)``."""
    _, tree, mults, empties = leaf
    if not is_thin(node.R):
        return (f"a regions leaf on a cone that is not thin (prod ||r_j||^2 < 4^{BAB_THIN_BITS}): only thin cones "
                "may be forced leaves")
    D, k, sign = ctx.D, len(U), node.sign
    out, n_mult, n_empty, pos = [], 0, 0, 0
    stack = [()]                            # prefixes of signs, preorder
    while stack:
        pre = stack.pop()
        if pos >= len(tree):
            return "the regions tree ends early"
        c = tree[pos]
        pos += 1
        t = len(pre)
        rows = [(pre[b], U[b]) for b in range(t)]
        if c == "1":
            if t >= k:
                return f"the regions tree splits below depth k = {k}"
            stack.append(pre + (1,))
            stack.append(pre + (-1,))
            continue
        if c == "e":
            if n_empty >= len(empties):
                return "the regions tree has more empty branches than the leaf lists"
            y = empties[n_empty]
            n_empty += 1
            if any(j >= D + t for j in y) or any(v < 0 for v in y.values()) or not any(y.values()):
                return f"empty branch {n_empty - 1}: its multipliers must be >= 0, not all 0, over D + {t} rows"
            vals = [y.get(j, 0) for j in range(D + t)]
            Dm = common_denominator(vals, ctx.bits, "an empty branch's multipliers")
            if any(_combine(ctx, node, rows, as_ints(vals, Dm))):
                return f"empty branch {n_empty - 1}: its Gordan combination is not 0 (the branch may have interior)"
            continue
        if c != "0" or t != k:
            return f"the regions tree has a sub-region at depth {t}, not k = {k}"
        if n_mult >= len(mults):
            return "the regions tree has more sub-regions than the leaf lists multipliers"
        sparse = mults[n_mult]
        n_mult += 1
        if any(j >= D + k for j in sparse) or any(v < 0 for v in sparse.values()):
            return f"sub-region {n_mult - 1}: its multipliers must be >= 0 over D + k = {D + k} rows"
        vals = [sparse.get(j, 0) for j in range(D + k)]
        Dm = common_denominator(vals, ctx.bits, "a sub-region's multipliers")
        on = [U[b] for b in range(k) if pre[b] > 0]
        z = [0] * D
        for i in act + on:
            c0 = sign * ctx.Pi[i] * Dm
            if c0:
                z = [a + c0 * x for a, x in zip(z, ctx.Xi[i])]
        z = [a + b for a, b in zip(z, _combine(ctx, node, rows, as_ints(vals, Dm)))]
        den = ctx.S * Dm
        out.append((sum(a * a for a in z), den * den))
    if pos != len(tree):
        return f"{len(tree) - pos} characters left after the regions tree"
    if n_mult != len(mults) or n_empty != len(empties):
        return "the regions leaf lists more multipliers than its tree has places for"
    return out
