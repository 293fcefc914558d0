"""The exact tree of a ``relucert.exact-certificate/2`` file, built root by root
(:func:`build_tree`, used by :mod:`relucert.verify.bab_certificate`).

Each of the ``2 * 2^D`` roots (orthant, sign) is one unit of work, run by
:func:`tree_unit` in any process: the tree below a root depends on that root, the data,
the dual vector and the solver's splits inside it only, so the units' results joined in
root order give the same file on any executor (serial, ``n_jobs`` processes, Dask).
The executor is duck-typed (``submit(fn, *args)`` and ``as_completed(futures)``;
optionally ``lost(exc)`` for a dead worker and ``cancel(futures)``; the data, a few kB,
go with each unit): this layer never imports the solver's executors
(proofs/parallel_subtrees.md).

At each node Act/Ina/U are derived exactly (the checker's kernel); the node becomes a
*bound leaf* when the linear majorant of Lemma 2 (centre slopes, refined by a few
Frank-Wolfe steps, then, if those do not reach 1, the best slopes and multipliers by scipy's
BVLS) plus NNLS polar multipliers, rounded to a dyadic grid ``2**-b`` (``b``
in ``BAB_CERT_MULT_BITS``, coarsest first), gives ``||z||^2 <= 1`` in exact arithmetic;
otherwise an *exact leaf* when it has at most ``leaf_undecided`` weighted undecided
samples and every sub-region's rounded polar multipliers confirm exactly; otherwise it is
split. With a ``margin`` (the near-extremal claims, proofs/near_extremal_chambers.md,
Lemma N3) a leaf must also be *far* (bound at most ``(1 - margin)^2``) or an exact leaf
whose near sub-regions each lie in one chamber (a thin cone, never split, may for that be an
exact leaf with up to ``BAB_FORCED_ALL_PATTERNS`` weighted undecided samples: Lemma N3,
"Thin cones"); a node that cannot be made so within
``BAB_CERT_CLAIMS_MAX_SPLITS`` extra splits of its unit keeps its plain leaf and the unit
reports that the claims cannot be made (never a wrong claim: the checker re-derives them).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from tqdm.auto import tqdm

from relucert.errors import CertificateError
from relucert.tolerances import (
    BAB_CERT_ALPHA_STEPS, BAB_CERT_CLAIMS_MAX_SPLITS, BAB_CERT_MAX_RETRIES, BAB_CERT_MULT_BITS,
    BAB_FORCED_ALL_PATTERNS,
)
from relucert.tolerances import DEFAULT
from relucert.verify.bab_hints import _Floats
from relucert.verify.bab_regions import is_thin, regions_leaf
from relucert.verify.certfile import CertifiedVerdict
from relucert.verify.certificate_hints import dyadic_round
from relucert.verify.checker.claims import _Exact
from relucert.verify.checker.schema import ParsedCertificate
from relucert.verify.checker.tree import (
    Context, Node, bound_leaf, children, exact_leaf_bounds, largest, longest_edge, refine, roots, undecided_weighted,
)
from relucert.verify.checker.tree_claims import NearCoverage

__all__ = ["TreePart", "build_tree", "tree_unit", "root_index"]


def _dyadic(values, bits: int) -> dict:
    """Non-negative values rounded to ``2**-bits``, as a sparse dict (zeros left out)."""
    out = {}
    for j, v in enumerate(values):
        r = dyadic_round(float(v), bits)
        if r > 0:
            out[j] = r
    return out


def _alpha_exact(alpha: dict, bits: int) -> dict:
    out = {}
    for i, a in alpha.items():      # clipped as a float: 0 and 1 are on every grid
        r = dyadic_round(min(1.0, max(0.0, float(a))), bits)
        if r:
            out[int(i)] = r
    return out


def _exact(X, p) -> _Exact:
    Xf = tuple(tuple(Fraction(float(v)) for v in row) for row in X)
    n, d = X.shape
    cert = ParsedCertificate(n=n, d=d, X=Xf, y=(Fraction(0),) * n, lam=Fraction(0), dual=tuple(p), atoms=(),
                             masks=(), interiors=(), parents=(), mult=(), n_chambers_claimed=0, lower=Fraction(0),
                             upper=Fraction(0), gap=Fraction(0), verdict=CertifiedVerdict.NOT_CERTIFIED, reason="")
    return _Exact(cert)


def _edge_index(edge: tuple, D: int) -> int:
    """The index of the pair ``(j, k)``, ``j < k``, among the ``D (D - 1) / 2`` pairs in
    lexicographic order (split rule "recorded-edge/1")."""
    j, k = sorted(edge)
    return sum(D - 1 - t for t in range(j)) + (k - j - 1)


def root_index(sign: int, R: tuple) -> int:
    """The root (index into :func:`~relucert.verify.checker.tree.roots`) of a node with
    sign ``sign`` and rays ``R``: the sum of its rays is interior to its root orthant."""
    D = len(R)
    index = 0
    for c in range(D):
        if sum(r[c] for r in R) < 0:
            index |= 1 << (D - 1 - c)
    return index + (0 if sign > 0 else 1 << D)


@dataclass(frozen=True)
class TreePart:
    """What one unit (a run of roots) contributes, in preorder: split bits, leaves, edge
    indices (None without the solver's splits), the largest leaf bound ``(num, den)``,
    exact leaves, the chambers the claims need (sign vectors) and, when the claims cannot
    be made, why (``claims_failure``)."""

    bits: str
    leaves: list
    edges: list | None
    worst: tuple
    n_exact: int
    near: frozenset
    claims_failure: str | None


def _confirm_bound(ctx, floats, node, act, und, far, v_act):
    """(leaf, out, far) of the first grid confirming ``||z||^2 <= 1`` (``far``: also ``<= (1 -
    margin)^2``; the first far one is preferred), or (None, None, False)."""
    alpha, lam, res = floats.bound(node, act, und, BAB_CERT_ALPHA_STEPS)
    first = (None, None, False)
    if res > 1.0:
        return first
    for grid in BAB_CERT_MULT_BITS:
        cand = (_alpha_exact(alpha, grid), _dyadic(lam, grid))
        out = bound_leaf(ctx, node, act, und, *cand, v_act)
        if isinstance(out, str) or out[0] > out[1]:
            continue
        is_far = far is None or far(out)
        if first[0] is None or is_far:
            first = (("bound",) + cand, out, is_far)
        if is_far:
            break
    return first


def _confirm_exact(ctx, floats, node, act, und, U, cover, v_act):
    """(leaf, out, masks or None) of the first grid confirming every pattern ``<= 1`` (with
    ``cover``: preferring one whose near patterns each lie in one chamber, their sign
    vectors returned), or (None, None, None)."""
    pats = floats.patterns(node, act, U)
    first = (None, None, None)
    if not all(r <= 1.0 for _, r in pats):
        return first
    for grid in BAB_CERT_MULT_BITS:
        cand = tuple(_dyadic(m, grid) for m, _ in pats)
        per = exact_leaf_bounds(ctx, node, act, und, cand, v_act)
        if isinstance(per, str):
            continue
        out = largest(per)
        if out[0] > out[1]:
            continue
        masks = None
        if cover is not None:
            found, why = cover.leaf_masks(node, act, und, per)
            masks = None if why is not None else tuple(mask for mask, _ in found)
        if first[0] is None or masks is not None:
            first = (("exact", cand), out, masks)
        if cover is None or masks is not None:
            break
    return first


def _claims_failure(r: int, node: Node, leaf, out, U: list, und: list, extra: int) -> str:
    """Why a leaf reaching above ``(1 - margin)^2`` stays without claims (provenance text)."""
    if is_thin(node.R):
        why = "a thin cone's forced leaf (not refined further)"
    elif not U:
        why = f"no weighted undecided sample to split on, {len(und)} zero-weight undecided"
    elif extra >= BAB_CERT_CLAIMS_MAX_SPLITS:
        why = f"the unit's BAB_CERT_CLAIMS_MAX_SPLITS = {BAB_CERT_CLAIMS_MAX_SPLITS} extra splits ran out"
    else:
        why = "a cone narrower than 2^-53"
    return (f"a leaf of root {r} (sign {node.sign:+d}, {leaf[0]} leaf, squared bound {float(Fraction(*out)):.9g}, "
            f"{len(U)} weighted undecided of {len(und)}) reaches above (1 - margin)^2 and could not be refined into "
            f"sub-regions that each lie in one chamber: {why}")


def tree_unit(X, dual: tuple, root_ids: tuple, splits: dict | None, leaf_undecided: int, max_nodes: int,
              margin: Fraction | None) -> TreePart:
    """The trees below the roots ``root_ids`` (module docstring; ``splits``: the solver's
    split map restricted to them, or None; ``margin``: build for the near-extremal claims)."""
    ex = _exact(X, dual)
    ctx = Context(ex)
    floats = _Floats(np.hstack([X, np.ones((X.shape[0], 1))]), np.array([float(v) for v in dual]))
    cover = None if margin is None else NearCoverage(ex, margin)
    bits, leaves = [], []
    edges = None if splits is None else []
    worst, n_exact, extra = (0, 1), 0, 0
    near, failure = set(), None
    all_roots = roots(ctx)
    zero = (0,) * ctx.D
    for r in root_ids:
        stack = [(all_roots[r], [], list(range(ctx.n)), zero)]
        while stack:
            node, act, und, v_act = stack.pop()
            act, und, v_act = refine(ctx, node, act, und, v_act)     # the classes of Lemma 1, exactly
            if len(bits) >= max_nodes:
                raise CertificateError(f"tree certificate: more than max_nodes = {max_nodes} nodes")
            edge = None if splits is None else splits.get((node.sign, node.R))
            if edge is not None:        # the solver split here: the same split, no leaf attempt
                kids = children(node, tuple(sorted(edge)))
                if kids is None:
                    raise CertificateError("tree certificate: the solver's split passes 2^53")
                bits.append("1")
                edges.append(_edge_index(edge, ctx.D))
                stack.extend(((kids[1], act, und, v_act), (kids[0], act, und, v_act)))
                continue
            U = undecided_weighted(ctx, und)
            # a thin cone is never split: for the claims its near sub-regions must come from an
            # exact leaf, so it may enumerate as many patterns as a forced leaf does
            k_max = leaf_undecided if cover is None or not is_thin(node.R) else max(leaf_undecided,
                                                                                      BAB_FORCED_ALL_PATTERNS)
            leaf, out, done = _confirm_bound(ctx, floats, node, act, und, None if cover is None else cover.is_far,
                                             v_act)
            masks = ()
            if leaf is not None and not done and len(U) <= k_max:
                e_leaf, e_out, e_masks = _confirm_exact(ctx, floats, node, act, und, U, cover, v_act)
                if e_leaf is not None and e_masks is not None:
                    leaf, out, done, masks = e_leaf, e_out, True, e_masks
            elif leaf is None and len(U) <= k_max:
                leaf, out, masks = _confirm_exact(ctx, floats, node, act, und, U, cover, v_act)
                done = cover is None or masks is not None
                masks = masks or ()
            if leaf is None and is_thin(node.R):      # a forced leaf (proofs Lemma 11)
                leaf, out = regions_leaf(ctx, floats.A, floats.p, node, act, und, DEFAULT)
                done = cover is None
                if leaf is None:
                    raise CertificateError("tree certificate: a thin cone's sub-regions could not be confirmed")
            kids = None
            if leaf is None or (not done and not is_thin(node.R)):
                kids = children(node) if U and (leaf is None or extra < BAB_CERT_CLAIMS_MAX_SPLITS) else None
                if kids is None and leaf is None:
                    if not U:
                        raise CertificateError(
                            f"tree certificate: on a cone with no undecided sample (sign {node.sign:+d}) the bound "
                            "exceeds 1 for the scaled dual vector: it is not feasible there")
                    raise CertificateError("tree certificate: a cone narrower than 2^-53 could not be confirmed")
                extra += kids is not None and leaf is not None
            if kids is None:
                if not done and failure is None:
                    failure = _claims_failure(r, node, leaf, out, U, und, extra)
                    cover = None        # no more work for claims that cannot be made
                bits.append("0")
                leaves.append(leaf)
                n_exact += leaf[0] != "bound"
                near.update(masks)
                worst = largest((worst, out))
                continue
            bits.append("1")
            if edges is not None:
                edges.append(_edge_index(longest_edge(node.R), ctx.D))
            stack.extend(((kids[1], act, und, v_act), (kids[0], act, und, v_act)))
    return TreePart("".join(bits), leaves, edges, worst, n_exact, frozenset(near) if failure is None else frozenset(),
                    failure)


def _split_by_root(splits: dict | None, n_roots: int) -> list:
    parts = [None if splits is None else {} for _ in range(n_roots)]
    if splits is not None:
        for key, edge in splits.items():
            parts[root_index(key[0], key[1])][key] = edge
    return parts


def build_tree(X, dual: tuple, *, leaf_undecided: int, max_nodes: int, progress=None, splits: dict | None = None,
               margin: Fraction | None = None, executor=None) -> TreePart:
    """The whole tree (a :class:`TreePart` over every root, in root order) for the rational
    dual vector ``dual``, every leaf confirmed at ``||z||^2 <= 1`` exactly; raises
    CertificateError when a node cannot be confirmed and cannot be refined.

    ``splits``: the branch and bound's own tree (``(sign, rays) -> (j, k)``, from
    ``certify(record_tree=True)``): its split nodes are split at its edge without a
    confirmation attempt, its leaves are confirmed (and refined at the longest edge when
    they cannot be), and every edge is written (split rule "recorded-edge/1").
    ``margin``: build for the near-extremal claims (module docstring). ``executor``: runs
    the roots' units (None: in this process, one after the other); the result does not
    depend on it."""
    X = np.asarray(X, dtype=np.float64)
    D = X.shape[1] + 1
    n_roots = 2 << D
    parts = _split_by_root(splits, n_roots)
    args = [(X, dual, (r,), parts[r], leaf_undecided, max_nodes, margin) for r in range(n_roots)]
    results: list = [None] * n_roots
    bar = tqdm(desc="tree certificate", unit="node", disable=None if progress is None else not progress,
               file=sys.stderr, leave=False)
    try:
        if executor is None:
            for r, a in enumerate(args):
                results[r] = tree_unit(*a)
                bar.update(len(results[r].bits))
        else:
            _run_units(executor, args, results, bar)
    finally:
        bar.close()
    bits = "".join(p.bits for p in results)
    if len(bits) > max_nodes:
        raise CertificateError(f"tree certificate: more than max_nodes = {max_nodes} nodes")
    failure = next((p.claims_failure for p in results if p.claims_failure is not None), None)
    return TreePart(bits=bits, leaves=[leaf for p in results for leaf in p.leaves],
                    edges=None if splits is None else [e for p in results for e in p.edges],
                    worst=largest(p.worst for p in results), n_exact=sum(p.n_exact for p in results),
                    near=frozenset() if failure is not None else frozenset().union(*(p.near for p in results)),
                    claims_failure=failure)


def _run_units(executor, args: list, results: list, bar) -> None:
    """Every unit on ``executor``; a unit whose worker died (``executor.lost(exc)``) is run
    again, at most ``BAB_CERT_MAX_RETRIES`` times."""
    tries = [0] * len(args)
    pending = {executor.submit(tree_unit, *a): r for r, a in enumerate(args)}
    try:
        while pending:
            for fut in executor.as_completed(list(pending)):
                r = pending.pop(fut)
                try:
                    results[r] = fut.result()
                except Exception as exc:
                    lost = getattr(executor, "lost", None)
                    if lost is None or not lost(exc) or tries[r] >= BAB_CERT_MAX_RETRIES:
                        raise
                    tries[r] += 1
                    pending[executor.submit(tree_unit, *args[r])] = r
                    break
                bar.update(len(results[r].bits))
    except BaseException:
        cancel = getattr(executor, "cancel", None)
        if cancel is not None:
            cancel(list(pending))
        raise
