"""Exact certificates without the chamber list: ``relucert.exact-certificate/2``.

:func:`make_tree_certificate` turns a float solution whose dual vector the branch and
bound certified (``relucert.lp.tv.bab.certify``, called by the API layer and passed in:
this layer never imports the TV solver) into a rational proof over a tree of simplicial
cones (proofs/exact_certificate.md, "Format /2"; proofs/branch_and_bound.md, Lemma 8):

- the tree is replayed from the ``2^D`` orthant roots (both signs) with the checker's
  own split rule (longest edge, exact comparison, new ray ``r_j + r_k``), depth first;
- at each node Act/Ina/U are derived exactly (the checker's kernel); the node becomes
  a *bound leaf* when the linear majorant of Lemma 2 (centre slopes, refined by a few
  Frank-Wolfe steps) plus NNLS polar multipliers, rounded to a dyadic grid
  ``2**-b`` (``b`` in ``BAB_CERT_MULT_BITS``, coarsest first), gives ``||z||^2 <= 1`` in
  exact arithmetic; otherwise an *exact leaf* when it has at most ``leaf_undecided``
  weighted undecided samples and every sub-region's rounded polar multipliers confirm
  exactly; otherwise it is split. A node that cannot be confirmed is refined, never
  written as certified; a cone with no undecided sample that still fails, a ray beyond
  ``2^53`` or more than ``max_nodes`` nodes refuses the certificate;
- the dual vector is first divided by one dyadic factor ``c`` slightly above the branch
  and bound's float upper bound on ``max |eta_p|`` (:func:`dual_scale`), so that every
  leaf is confirmed directly at ``||z||^2 <= 1`` (proofs/exact_gap.md, dual scaling);
- atoms and bounds as for format /1; the whole document is re-verified by the
  independent checker before it is returned (fail closed).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import nnls
from tqdm.auto import tqdm

from relucert.errors import CertificateError
from relucert.solution import Solution
from relucert.tolerances import (
    BAB_CERT_ALPHA_STEPS, BAB_CERT_LEAF_UNDECIDED, BAB_CERT_MAX_NODES, BAB_CERT_MULT_BITS,
    BAB_CERT_SCALE_MARGIN_BITS,
)
from relucert.verify.certfile import CERTIFICATE_FORMAT_TREE, encode_rational
from relucert.verify.certificate_result import CertificateResult, dyadic_scale, scaled_dual
from relucert.verify.certificate_hints import dyadic_round, exact_interpolation
from relucert.verify.checker import check_certificate, sqrt_upper
from relucert.verify.checker.claims import _Exact
from relucert.verify.checker.schema import ParsedCertificate
from relucert.verify.checker.tree import (
    Context, Node, bound_leaf, children, classify, exact_leaf, longest_edge, roots, undecided_weighted,
)
from relucert.verify.checker.tree_schema import SPLIT_RULE, SPLIT_RULE_RECORDED
from relucert.verify.certfile import CertifiedVerdict

__all__ = ["TreeCertificate", "make_tree_certificate", "build_tree", "dual_scale"]

_SELF_CHECK_BITS = 1 << 16


@dataclass(frozen=True, kw_only=True)
class TreeCertificate(CertificateResult):
    """A format /2 certificate and what it proves (``lower <= min (P) <= upper``): the
    fields of :class:`~relucert.verify.certificate_result.CertificateResult` and the tree's
    size."""

    n_nodes: int = 0
    n_leaves: int = 0
    n_exact_leaves: int = 0


class _Floats:
    """Float hints of one node (floats only choose rationals; the checker kernels decide)."""

    def __init__(self, A: np.ndarray, p: np.ndarray):
        self.A, self.p = A, p

    def bound(self, node: Node, act, und, steps: int):
        """(alpha dict, lambda array, float bound) of the best of a few slope choices."""
        A, q = self.A, node.sign * self.p
        R = np.array(node.R, dtype=np.float64).T          # columns r_j
        G = np.array(node.G, dtype=np.float64)            # rows g_j
        v0 = q[act] @ A[act] if act else np.zeros(A.shape[1])
        pos = [i for i in und if q[i] > 0]
        neg = [i for i in und if q[i] < 0]
        f = q[pos] @ np.maximum(A[pos] @ R, 0.0) if pos else np.zeros(A.shape[1])
        base = v0 + G.T @ f
        An = A[neg]
        centre = (R / np.linalg.norm(R, axis=0)).sum(axis=1)
        alpha = (An @ centre > 0).astype(np.float64)
        best = None
        for k in range(steps + 1):
            w = base + (alpha * q[neg]) @ An if neg else base
            lam, res = nnls(G.T, -w)
            if best is None or res < best[2]:
                best = (alpha.copy(), lam, res)
            if not neg or k == steps:
                break
            z = w + G.T @ lam
            vertex = (An @ z > 0).astype(np.float64)
            alpha = alpha + 2.0 / (k + 2.0) * (vertex - alpha)
        alpha, lam, res = best
        return {i: a for i, a in zip(neg, alpha) if a > 0}, lam, res

    def patterns(self, node: Node, act, U):
        """Per pattern of the weighted undecided samples: (multipliers, float bound)."""
        A, q = self.A, node.sign * self.p
        G = np.array(node.G, dtype=np.float64)
        v0 = q[act] @ A[act] if act else np.zeros(A.shape[1])
        k = len(U)
        out = []
        for t in range(1 << k):
            on = [U[b] for b in range(k) if (t >> b) & 1]
            s = np.array([1.0 if (t >> b) & 1 else -1.0 for b in range(k)])
            v = v0 + (q[on] @ A[on] if on else 0.0)
            N = np.vstack([G, s[:, None] * A[U]]) if k else G
            mult, res = nnls(N.T, -v)
            out.append((mult, res))
        return out


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
    for i, a in alpha.items():
        r = min(Fraction(1), max(Fraction(0), dyadic_round(float(a), bits)))
        if r:
            out[int(i)] = r
    return out


def _context(X, p) -> Context:
    Xf = tuple(tuple(Fraction(float(v)) for v in row) for row in X)
    n, d = X.shape
    cert = ParsedCertificate(n=n, d=d, X=Xf, y=(Fraction(0),) * n, lam=Fraction(0), dual=tuple(p), atoms=(),
                             masks=(), interiors=(), parents=(), mult=(), n_chambers_claimed=0, lower=Fraction(0),
                             upper=Fraction(0), gap=Fraction(0), verdict=CertifiedVerdict.NOT_CERTIFIED, reason="")
    return Context(_Exact(cert))


def _edge_index(edge: tuple, D: int) -> int:
    """The index of the pair ``(j, k)``, ``j < k``, among the ``D (D - 1) / 2`` pairs in
    lexicographic order (split rule "recorded-edge/1")."""
    j, k = sorted(edge)
    return sum(D - 1 - t for t in range(j)) + (k - j - 1)


def build_tree(X, dual: tuple, *, leaf_undecided: int, max_nodes: int, progress=None, splits: dict | None = None):
    """The tree (bits, leaves) for the rational dual vector ``dual``, every leaf confirmed
    at ``||z||^2 <= 1`` exactly, the largest leaf bound ``(num, den)``, the number of
    exact leaves and the edge index of every split (None without ``splits``); raises
    CertificateError when a node cannot be confirmed and cannot be refined.

    ``splits``: the branch and bound's own tree (``(sign, rays) -> (j, k)``, from
    ``certify(record_tree=True)``): its split nodes are split at its edge without a
    confirmation attempt, its leaves are confirmed (and refined at the longest edge when
    they cannot be), and every edge is written (split rule "recorded-edge/1")."""
    ctx = _context(X, dual)
    floats = _Floats(np.hstack([X, np.ones((X.shape[0], 1))]), np.array([float(v) for v in dual]))
    T2 = 1
    tf = 1.0
    bits, leaves = [], []
    edges = None if splits is None else []
    worst = (0, 1)
    n_exact = 0
    bar = tqdm(desc="tree certificate", unit="node", disable=None if progress is None else not progress,
               file=sys.stderr, leave=False)
    try:
        for root in roots(ctx):
            stack = [root]
            while stack:
                node = stack.pop()
                if len(bits) >= max_nodes:
                    raise CertificateError(f"tree certificate: more than max_nodes = {max_nodes} nodes")
                bar.update(1)
                edge = None if splits is None else splits.get((node.sign, node.R))
                if edge is not None:        # the solver split here: the same split, no leaf attempt
                    kids = children(node, tuple(sorted(edge)))
                    if kids is None:
                        raise CertificateError("tree certificate: the solver's split passes 2^53")
                    bits.append("1")
                    edges.append(_edge_index(edge, ctx.D))
                    stack.append(kids[1])
                    stack.append(kids[0])
                    continue
                act, und = classify(node, ctx.n)
                leaf, out = None, None
                alpha, lam, res = floats.bound(node, act, und, BAB_CERT_ALPHA_STEPS)
                for grid in (BAB_CERT_MULT_BITS if res <= tf else ()):
                    cand = (_alpha_exact(alpha, grid), _dyadic(lam, grid))
                    out = bound_leaf(ctx, node, act, und, *cand)
                    if not isinstance(out, str) and out[0] <= T2 * out[1]:
                        leaf = ("bound",) + cand
                        break
                U = undecided_weighted(ctx, und)
                if leaf is None and len(U) <= leaf_undecided:
                    pats = floats.patterns(node, act, U)
                    for grid in (BAB_CERT_MULT_BITS if all(r <= tf for _, r in pats) else ()):
                        cand = tuple(_dyadic(m, grid) for m, _ in pats)
                        out = exact_leaf(ctx, node, act, und, cand)
                        if not isinstance(out, str) and out[0] <= T2 * out[1]:
                            leaf = ("exact", cand)
                            n_exact += 1
                            break
                if leaf is not None:
                    bits.append("0")
                    leaves.append(leaf)
                    if out[0] * worst[1] > worst[0] * out[1]:
                        worst = out
                    continue
                if not U:
                    raise CertificateError(
                        f"tree certificate: on a cone with no undecided sample (sign {node.sign:+d}) the bound "
                        f"{res:.12g} exceeds 1 for the scaled dual vector: it is not feasible there")
                kids = children(node)
                if kids is None:
                    raise CertificateError("tree certificate: a cone narrower than 2^-53 could not be confirmed")
                bits.append("1")
                if edges is not None:
                    edges.append(_edge_index(longest_edge(node.R), ctx.D))
                stack.append(kids[1])
                stack.append(kids[0])
    finally:
        bar.close()
    return "".join(bits), leaves, worst, n_exact, edges


def _sparse_text(values: dict) -> dict:
    return {str(j): encode_rational(v) for j, v in sorted(values.items())}


def _encode_leaf(leaf) -> dict:
    if leaf[0] == "bound":
        return {"alpha": _sparse_text(leaf[1]), "lambda": _sparse_text(leaf[2])}
    return {"exact": [_sparse_text(m) for m in leaf[1]]}


def dual_scale(upper_bound: float) -> Fraction:
    """The dyadic ``c`` (grid ``2**-SCALE_BITS``) the dual vector is divided by: 1 when
    ``U (1 + 2**-BAB_CERT_SCALE_MARGIN_BITS) <= 1``, else at least that (``U`` the branch and
    bound's float upper bound on ``max |eta_p|``)."""
    want = Fraction(upper_bound) * (1 + Fraction(1, 1 << BAB_CERT_SCALE_MARGIN_BITS))
    if want <= 1:
        return Fraction(1)
    return dyadic_scale(want)


def make_tree_certificate(solution: Solution, bab, *, leaf_undecided: int | None = None,
                          max_nodes: int | None = None, progress: bool | None = None,
                          use_solver_tree: bool = True) -> TreeCertificate:
    """Build a ``relucert.exact-certificate/2`` proof of ``solution``'s optimality gap.

    Parameters
    ----------
    solution : Solution
        Data, atoms and dual vector (hints only: nothing is trusted).
    bab : the branch and bound's certificate of ``solution.dual``
        (``relucert.lp.tv.bab.certify``; read by attribute: ``status`` must be
        "certified"; its float ``upper_bound`` on ``max |eta_p|`` chooses the dyadic
        factor the dual vector is divided by, :func:`dual_scale`; every leaf is then
        confirmed at ``||z||^2 <= 1`` exactly).
    leaf_undecided : most weighted undecided samples of an exact leaf (default
        :data:`relucert.tolerances.BAB_CERT_LEAF_UNDECIDED`).
    max_nodes : refuse beyond this many nodes (default ``BAB_CERT_MAX_NODES``).
    use_solver_tree : when ``bab`` carries its tree (``bab.splits``, from
        ``certify(record_tree=True)``), replay it (split rule "recorded-edge/1") instead of
        growing the builder's own longest-edge tree (False: always grow one).

    Returns
    -------
    TreeCertificate

    Raises
    ------
    CertificateError
        The branch and bound did not certify, a node could not be confirmed, or the
        document does not verify. Never returns an unverified certificate.
    """
    if not isinstance(solution, Solution):
        raise TypeError(f"solution must be a relucert.Solution; got {type(solution).__name__}")
    status = getattr(getattr(bab, "status", None), "value", getattr(bab, "status", None))
    if status != "certified":
        raise CertificateError(f"the branch and bound did not certify the dual vector (status {status!r}): "
                               "no tree certificate")
    upper_f = float(bab.upper_bound)
    if not math.isfinite(upper_f) or upper_f < 0:
        raise ValueError(f"bab.upper_bound must be a finite float >= 0; got {bab.upper_bound!r}")
    t0 = time.perf_counter()
    X = np.asarray(solution.X, dtype=np.float64)
    y = np.asarray(solution.y, dtype=np.float64)
    lam = float(solution.lam)
    n, d = X.shape
    p_float = np.asarray(solution.dual, dtype=np.float64).reshape(-1)
    if p_float.shape[0] != n or not np.all(np.isfinite(p_float)):
        raise ValueError(f"solution.dual must be a finite vector of length {n}; got shape {p_float.shape}")
    k0 = BAB_CERT_LEAF_UNDECIDED if leaf_undecided is None else int(leaf_undecided)
    cap = BAB_CERT_MAX_NODES if max_nodes is None else int(max_nodes)
    scale = dual_scale(upper_f)
    dual = scaled_dual(p_float, scale)
    splits = getattr(bab, "splits", None) if use_solver_tree else None
    bits, leaves, worst, n_exact, edges = build_tree(X, dual, leaf_undecided=k0, max_nodes=cap, progress=progress,
                                                     splits=splits)
    t1 = time.perf_counter()
    Xf = tuple(tuple(Fraction(float(v)) for v in row) for row in X)
    yf = tuple(Fraction(float(v)) for v in y)
    lamf = Fraction(lam)
    atoms = []
    for th, a in zip(np.asarray(solution.theta, float).reshape(-1, d + 1), np.asarray(solution.amplitude, float)):
        u = tuple(Fraction(float(v)) for v in th * abs(a))
        if a != 0 and any(u):
            atoms.append((u, 1 if a > 0 else -1, sqrt_upper(sum(x * x for x in u))))
    if lamf == 0:
        atoms = atoms + exact_interpolation(tuple(row + (Fraction(1),) for row in Xf), yf, atoms, n)
    base = ParsedCertificate(n=n, d=d, X=Xf, y=yf, lam=lamf, dual=dual, atoms=tuple(atoms), masks=(), interiors=(),
                             parents=(), mult=(), n_chambers_claimed=0, lower=Fraction(0), upper=Fraction(0),
                             gap=Fraction(0), verdict=CertifiedVerdict.NOT_CERTIFIED, reason="")
    ex = _Exact(base)
    lower, upper = ex.dual_value(), ex.primal_value()
    enc = encode_rational
    document = {
        "format": CERTIFICATE_FORMAT_TREE,
        "problem": "P_0" if lamf == 0 else "P_lam",
        "n": n, "d": d,
        "X": [[enc(v) for v in row] for row in Xf],
        "y": [enc(v) for v in yf],
        "lam": enc(lamf),
        "dual": [enc(v) for v in dual],
        "atoms": [{"u": [enc(v) for v in u], "sign": s, "norm_upper": enc(nu)} for u, s, nu in atoms],
        "tree": ({"split_rule": SPLIT_RULE, "n_nodes": len(bits), "bits": bits} if edges is None else
                 {"split_rule": SPLIT_RULE_RECORDED, "n_nodes": len(bits), "bits": bits, "edges": edges}),
        "leaves": [_encode_leaf(leaf) for leaf in leaves],
        "lower_bound": enc(lower), "upper_bound": enc(upper), "gap": enc(upper - lower),
        "provenance": {"producer": "relucert.verify.bab_certificate", "solution_method": str(solution.method),
                       "solution_objective": float(solution.objective), "dual_scale": enc(scale),
                       "bab_threshold": float(bab.threshold), "bab_upper_bound": float(bab.upper_bound),
                       "bab_nodes": int(bab.stats.n_nodes), "leaf_undecided": k0,
                       "tree_from": "branch and bound (replayed)" if splits is not None else "builder"},
    }
    t2 = time.perf_counter()
    report = check_certificate(document, max_n=n, max_d=d, max_bits=_SELF_CHECK_BITS, max_nodes=len(bits) + 1)
    t3 = time.perf_counter()
    if not report.passed:
        bad = report.first_failure()
        raise CertificateError(f"the tree certificate does not verify: {bad.name}: {bad.detail}")
    return TreeCertificate(lower_bound=lower, upper_bound=upper, gap=upper - lower, document=document, report=report,
                           dual_scale=scale, n_nodes=len(bits), n_leaves=len(leaves), n_exact_leaves=n_exact,
                           timings={"tree_s": t1 - t0, "document_s": t2 - t1, "self_check_s": t3 - t2,
                                    "total_s": t3 - t0})
