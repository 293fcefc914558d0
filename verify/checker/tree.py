"""The independent checker of ``relucert.exact-certificate/2`` (branch-and-bound tree).

It proves ``|eta_p| <= 1`` on the sphere without the chamber list
(proofs/branch_and_bound.md, Lemma 8; proofs/exact_certificate.md, "Format /2"), in exact
integer arithmetic, importing only the core and the checker's own modules:

1. ``tree.replay``: the split bits parse, in preorder, into one complete binary tree per
   root (the ``2^D`` orthants, sign + then sign -), with one leaf entry per leaf; every
   ray the replay forms (``r_j + r_k`` at the longest edge, exact comparison) has entries
   below ``2^53``. The leaves then tile the sphere once per sign (Lemma 5, by
   construction: nothing else to check).
2. ``tree.leaves``: each leaf's data fit its exact classification (Act/Ina/U re-derived
   here from the integer rays): slopes ``alpha_i in [0, 1]`` only for undecided ``i`` with
   ``sign p_i < 0``, ``D`` multipliers ``lambda >= 0``; an exact leaf lists ``2^k`` patterns
   of ``D + k`` multipliers ``>= 0`` for its ``k`` undecided samples with ``p_i != 0``; a
   regions leaf (a forced leaf, only on a thin cone) a decision tree over those samples whose
   sub-regions carry multipliers and whose empty branches carry Gordan multipliers
   (:mod:`relucert.verify.checker.tree_regions`).
3. ``dual.feasible``: every leaf's bound ``||z||^2 <= 1`` (no square roots).
Then the /1 claims on the atoms and the bounds (``primal.*``, ``bounds.*``), and the
optional near-extremal claims (:mod:`relucert.verify.checker.tree_claims`).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import product

from relucert.results import CheckResult
from relucert.verify.checker.claims import _Exact
from relucert.verify.checker.rational import approx, as_ints, common_denominator, fmt
from relucert.verify.checker.tree_regions import regions_leaf_bounds
from relucert.verify.checker.tree_schema import MAX_EXACT_UNDECIDED, ParsedTree

__all__ = ["RAY_LIMIT", "Node", "Context", "roots", "longest_edge", "children", "classify", "refine", "bound_leaf",
           "exact_leaf", "exact_leaf_bounds", "largest", "undecided_weighted", "replay", "replay_classified",
           "run_tree_checks"]

#: Rays are integer vectors with entries below this (exact in float64 for the builder).
RAY_LIMIT = 1 << 53


@dataclass(frozen=True)
class Node:
    """A cone ``{R c : c >= 0}``: ``R`` as D integer columns, ``G = R^{-1}`` as D integer
    rows (``|det R| = 1``), ``S`` the D columns ``(<x~_i DX, r_j>)_i``; ``sign`` +1/-1."""

    sign: int
    R: tuple
    G: tuple
    S: tuple


class Context:
    """The exact data of a certificate shared by every leaf: ``Xi = x~_i DX``,
    ``Pi = p_i DP`` (integers), ``S = DX DP``."""

    def __init__(self, ex: _Exact):
        self.ex = ex
        self.n, self.D = ex.cert.n, ex.cert.d + 1
        self.Xi, self.Pi, self.DP, self.S = ex.Xi, ex.Pi, ex.DP, ex.S
        self.bits = ex.cert.limits.max_bits


def roots(ctx: Context) -> list:
    """The ``2 * 2^D`` roots: every orthant ``diag(s)``, first with sign +1, then -1."""
    D, out = ctx.D, []
    for sign in (1, -1):
        for s in product((1, -1), repeat=D):
            R = tuple(tuple(s[j] if t == j else 0 for t in range(D)) for j in range(D))
            S = tuple(tuple(s[j] * x[j] for x in ctx.Xi) for j in range(D))
            out.append(Node(sign, R, R, S))          # diag(s)^{-1} = diag(s)
    return out


def longest_edge(R: tuple) -> tuple[int, int]:
    """The edge ``(j, k)``, ``j < k``, of smallest cosine between its rays (exactly:
    ``cos |cos|`` is increasing in ``cos``, compared as the rational
    ``<r_j, r_k> |<r_j, r_k>| / (||r_j||^2 ||r_k||^2)``); ties to the first pair."""
    D = len(R)
    nn = [sum(a * a for a in r) for r in R]
    best, arg = None, (0, 1)
    for j in range(D):
        for k in range(j + 1, D):
            c = sum(a * b for a, b in zip(R[j], R[k]))
            key = Fraction(c * abs(c), nn[j] * nn[k])
            if best is None or key < best:
                best, arg = key, (j, k)
    return arg


def edge_pair(index: int, D: int) -> tuple[int, int]:
    """The ``index``-th pair ``(j, k)``, ``j < k < D``, in lexicographic order (the edge
    numbering of the split rule "recorded-edge/1")."""
    for j in range(D):
        if index < D - 1 - j:
            return j, j + 1 + index
        index -= D - 1 - j
    raise ValueError(f"edge index out of range for D = {D}")


def children(node: Node, edge: tuple[int, int] | None = None) -> tuple[Node, Node] | None:
    """The two children at the edge ``(j, k)`` (default: the longest): ``r_j``, resp. ``r_k``, replaced by
    ``m = r_j + r_k`` (proofs Lemma 5). ``G`` follows exactly: replacing ``r_j`` by ``m``
    is ``R E`` with ``E = I + e_k e_j^T``, so ``G' = (I - e_k e_j^T) G`` (row k becomes
    ``g_k - g_j``); symmetrically for ``r_k``. None when ``m`` has an entry ``>= 2^53``."""
    j, k = longest_edge(node.R) if edge is None else edge
    m = tuple(a + b for a, b in zip(node.R[j], node.R[k]))
    if max(abs(a) for a in m) >= RAY_LIMIT:
        return None
    sm = tuple(a + b for a, b in zip(node.S[j], node.S[k]))
    out = []
    for keep, repl in ((k, j), (j, k)):      # child 0 replaces r_j, child 1 replaces r_k
        R, G, S = list(node.R), list(node.G), list(node.S)
        R[repl], S[repl] = m, sm
        G[keep] = tuple(a - b for a, b in zip(node.G[keep], node.G[repl]))
        out.append(Node(node.sign, tuple(R), tuple(G), tuple(S)))
    return out[0], out[1]


def _classes(cols: tuple, candidates) -> tuple[list, list]:
    """The active and the undecided among ``candidates`` (sign tests on the columns ``cols``)."""
    act, und = [], []
    for i in candidates:
        pos = neg = False
        for col in cols:
            v = col[i]
            pos = pos or v > 0
            neg = neg or v < 0
        if pos and neg:
            und.append(i)
        elif pos:
            act.append(i)
    return act, und


def classify(node: Node, n: int) -> tuple[list, list]:
    """Exact Act and U (Lemma 1): active when every ``<x~_i, r_j> >= 0`` (not all zero),
    undecided when signs differ; the rest are inactive."""
    return _classes(node.S, range(n))


def refine(ctx: Context, node: Node, act: list, und: list, v_act: tuple) -> tuple[list, list, tuple]:
    """:func:`classify` of ``node`` from its parent's ``act``, ``und`` and active sum ``v_act``
    (``sum_{Act} Pi_i Xi_i``): a sample active (inactive) on a cone stays so on its children,
    whose columns are the parent's with one replaced by the sum of two (proofs/exact_certificate.md,
    "Inherited classes"), so only ``und`` is re-derived. Returns this node's sorted ``act``, ``und``
    and ``v_act``; a root takes ``([], range(n), 0)`` (then it is :func:`classify`)."""
    new_act, new_und = _classes(node.S, und)
    if new_act:
        for i in new_act:
            c = ctx.Pi[i]
            if c:
                v_act = tuple(a + c * x for a, x in zip(v_act, ctx.Xi[i]))
        act = sorted(act + new_act)
    return act, new_und, v_act


def undecided_weighted(ctx: Context, und: list) -> list:
    """The undecided samples an exact leaf enumerates: those with ``p_i != 0``."""
    return [i for i in und if ctx.Pi[i]]


def _base(ctx: Context, sign: int, act: list, scale: int, v_act: tuple | None = None) -> list:
    if v_act is not None:       # sum_{act} Pi_i Xi_i, carried down the tree (:func:`refine`)
        c = sign * scale
        return [c * a for a in v_act]
    z = [0] * ctx.D
    for i in act:
        c = sign * ctx.Pi[i] * scale
        if c:
            z = [a + c * x for a, x in zip(z, ctx.Xi[i])]
    return z


def _add_gt(z: list, G: tuple, h: list) -> list:
    for hj, g in zip(h, G):
        if hj:
            z = [a + hj * b for a, b in zip(z, g)]
    return z


def bound_leaf(ctx: Context, node: Node, act: list, und: list, alpha: dict, lam_sparse: dict,
               v_act: tuple | None = None):
    """``(num, den)`` with ``num / den = ||z||^2``, ``z = w + G^T lambda`` the linear
    majorant of Lemma 2 plus the polar multipliers (Lemma 3), or a string naming why
    the leaf's data do not fit its classification. Integers: ``z S Dm`` with ``Dm`` the
    common denominator of the leaf's rationals,
    ``= Dm v_0 S + sum_alpha (alpha_i Dm) q_i Xi_i DP + G^T (Dm S f(r) + (lambda Dm) S)``,
    ``S f(r_j) = sum_{U, q_i > 0} q_i DP <Xi_i, r_j>``. ``v_act``: ``sum_{act} Pi_i Xi_i`` when
    known (:func:`refine`), else summed here."""
    sign = node.sign
    allowed = {i for i in und if sign * ctx.Pi[i] < 0}
    for i, a in alpha.items():
        if i not in allowed:
            return f"slope alpha_{i} given, but sample {i} is not undecided with sign*p_i < 0 on this cone"
        if not 0 <= a <= 1:
            return f"slope alpha_{i} = {fmt(a)} is outside [0, 1]"
    lam = tuple(lam_sparse.get(j, Fraction(0)) for j in range(ctx.D))
    for j, v in enumerate(lam):
        if v < 0:
            return f"multiplier lambda_{j} = {fmt(v)} is negative"
    Dm = common_denominator(list(alpha.values()) + list(lam), ctx.bits, "a leaf's multipliers")
    z = _base(ctx, sign, act, Dm, v_act)
    for i, a in alpha.items():
        c = a.numerator * (Dm // a.denominator) * sign * ctx.Pi[i]
        if c:
            z = [u + c * x for u, x in zip(z, ctx.Xi[i])]
    pos = [i for i in und if sign * ctx.Pi[i] > 0]
    h = []
    for j in range(ctx.D):
        col = node.S[j]
        f = sum(sign * ctx.Pi[i] * col[i] for i in pos if col[i] > 0)
        h.append(Dm * f + lam[j].numerator * (Dm // lam[j].denominator) * ctx.S)
    z = _add_gt(z, node.G, h)
    den = ctx.S * Dm
    return sum(a * a for a in z), den * den


def exact_leaf_bounds(ctx: Context, node: Node, act: list, und: list, pats: tuple, v_act: tuple | None = None):
    """Lemma 6 with the polar bound on each sub-region ``C_s``: per pattern ``s`` of the
    weighted undecided samples ``i_1 < ... < i_k`` (bit t of the pattern's index set:
    ``s_t = +``), ``z = v_s + G^T mu + sum_t nu_t s_t x~_{i_t}`` with the pattern's
    ``D + k`` multipliers ``(mu, nu) >= 0`` (sparse dicts, absent = 0). Returns one
    ``(num, den)`` per pattern, ``num/den = ||z||^2`` (an upper bound on the square of the
    maximum of ``sign * eta`` over ``C_s``), or a string (shape mismatch). ``v_act`` as for
    :func:`bound_leaf`."""
    sign, D = node.sign, ctx.D
    U = undecided_weighted(ctx, und)
    k = len(U)
    if k > MAX_EXACT_UNDECIDED or len(pats) != 1 << k:
        return (f"an exact leaf with {k} weighted undecided samples needs {1 << min(k, 30)} patterns; the file "
                f"gives {len(pats)}")
    out = []
    for t, sparse in enumerate(pats):
        if any(j >= D + k for j in sparse):
            return f"pattern {t}: a multiplier index beyond D + k = {D + k}"
        mult = tuple(sparse.get(j, Fraction(0)) for j in range(D + k))
        if any(v < 0 for v in mult):
            return f"pattern {t}: a negative multiplier"
        Dm = common_denominator(mult, ctx.bits, "a pattern's multipliers")
        ints = as_ints(mult, Dm)
        on = [U[b] for b in range(k) if (t >> b) & 1]
        if v_act is None:
            z = _base(ctx, sign, act + on, Dm)
        else:
            z = _base(ctx, sign, act, Dm, v_act)
            for i in on:
                c = sign * ctx.Pi[i] * Dm
                if c:
                    z = [a + c * x for a, x in zip(z, ctx.Xi[i])]
        z = _add_gt(z, node.G, [v * ctx.S for v in ints[:D]])
        for b in range(k):
            c = ints[D + b] * ctx.DP * (1 if (t >> b) & 1 else -1)
            if c:
                z = [a + c * x for a, x in zip(z, ctx.Xi[U[b]])]
        den = ctx.S * Dm
        out.append((sum(a * a for a in z), den * den))
    return out


def largest(pairs) -> tuple:
    """The largest ``num / den`` of ``(num, den)`` pairs (``(0, 1)`` for none)."""
    worst = (0, 1)
    for num, den in pairs:
        if num * worst[1] > worst[0] * den:
            worst = (num, den)
    return worst


def exact_leaf(ctx: Context, node: Node, act: list, und: list, pats: tuple):
    """The largest bound of :func:`exact_leaf_bounds` as ``(num, den)``, or its string."""
    out = exact_leaf_bounds(ctx, node, act, und, pats)
    return out if isinstance(out, str) else largest(out)


def _parse_structure(bits: str, n_roots: int, n_leaves: int) -> str | None:
    """Why the bits are not ``n_roots`` complete preorder binary trees with ``n_leaves``
    leaves in all (None when they are)."""
    pos = leaves = 0
    for r in range(n_roots):
        need = 1
        while need:
            if pos >= len(bits):
                return f"the split bits end inside the tree of root {r} (of {n_roots})"
            need += 1 if bits[pos] == "1" else -1
            leaves += bits[pos] == "0"
            pos += 1
    if pos != len(bits):
        return f"{len(bits) - pos} split bits left after the {n_roots} root trees"
    if leaves != n_leaves:
        return f"the tree has {leaves} leaves; the file lists {n_leaves}"
    return None


def replay_classified(ctx: Context, bits: str, edges: tuple | None = None):
    """:func:`replay` yielding ``(leaf index, node, act, und, v_act)``: every node classified from
    its parent's classes (:func:`refine`), the same classes as :func:`classify`."""
    pos = leaf = split = 0
    zero = (0,) * ctx.D
    for root in roots(ctx):
        stack = [(root, [], list(range(ctx.n)), zero)]
        while stack:
            node, act, und, v_act = stack.pop()
            act, und, v_act = refine(ctx, node, act, und, v_act)
            bit = bits[pos]
            pos += 1
            if bit == "0":
                yield leaf, node, act, und, v_act
                leaf += 1
                continue
            kids = children(node, None if edges is None else edge_pair(edges[split], ctx.D))
            split += 1
            if kids is None:
                raise ValueError(f"split bit {pos - 1}: the new ray has an entry >= 2^53")
            stack.append((kids[1], act, und, v_act))
            stack.append((kids[0], act, und, v_act))


def replay(ctx: Context, bits: str, edges: tuple | None = None):
    """Yield ``(leaf index, node)`` in preorder (bits already parsed); ``edges``: the edge
    index of each split in preorder (split rule "recorded-edge/1"), None for the longest
    edge; raises ValueError when a ray would reach ``2^53``."""
    for leaf, node, *_ in replay_classified(ctx, bits, edges):
        yield leaf, node


def run_tree_checks(tree: ParsedTree, add, visit=None) -> bool:
    """The /2 claims 1-3 (module docstring); ``add(CheckResult)`` returns whether it
    passed. Returns True when all three passed. ``visit(t, node, act, und, out, per)``,
    when given, sees every leaf once it is confirmed to fit its classification (``out``
    its bound ``(num, den)``, ``per`` the per-pattern bounds of an exact leaf, else None)."""
    base = tree.base
    ex = _Exact(base)
    ctx = Context(ex)
    n_roots = 2 * (1 << ctx.D)
    why = _parse_structure(tree.bits, n_roots, len(tree.leaves))
    if why is None and tree.edges is not None and len(tree.edges) != tree.bits.count("1"):
        why = f"tree.edges lists {len(tree.edges)} edges for {tree.bits.count('1')} split bits"
    if why is not None:
        return add(CheckResult("tree.replay", False, detail=why))
    worst, where = (0, 1), None
    try:
        for t, node, act, und, v_act in replay_classified(ctx, tree.bits, tree.edges):
            leaf = tree.leaves[t]
            per = None
            if leaf[0] == "bound":
                out = bound_leaf(ctx, node, act, und, leaf[1], leaf[2], v_act)
            elif leaf[0] == "regions":
                per_region = regions_leaf_bounds(ctx, node, act, undecided_weighted(ctx, und), leaf)
                out = per_region if isinstance(per_region, str) else largest(per_region)
            else:
                per = exact_leaf_bounds(ctx, node, act, und, leaf[1], v_act)
                out = per if isinstance(per, str) else largest(per)
            if isinstance(out, str):
                add(CheckResult("tree.replay", True, detail="replayed up to the failing leaf"))
                return add(CheckResult("tree.leaves", False, detail=f"leaf {t} ({leaf[0]}): {out}"))
            if out[0] * worst[1] > worst[0] * out[1]:
                worst, where = out, t
            if visit is not None:
                visit(t, node, act, und, out, per)
    except ValueError as exc:
        return add(CheckResult("tree.replay", False, detail=str(exc)))
    add(CheckResult("tree.replay", True, detail=f"{len(tree.bits)} nodes from {n_roots} roots (2^D orthants x 2 "
                                                f"signs): the {len(tree.leaves)} leaves tile the sphere per sign"))
    add(CheckResult("tree.leaves", True, detail="every leaf's slopes and multipliers fit its exact classification"))
    q = Fraction(worst[0], worst[1])
    ok = q <= 1
    return add(CheckResult("dual.feasible", ok, max_violation=approx(q - 1), bound=0.0, detail=(
        f"largest leaf bound on (max sign*eta)^2: {fmt(q)} (leaf {where})"
        + ("" if ok else "; exceeds 1: the dual vector is not proven feasible"))))
