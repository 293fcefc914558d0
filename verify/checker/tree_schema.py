"""Strict parsing of a ``relucert.exact-certificate/2`` document (the branch-and-bound
tree instead of the chamber list) for the independent checker.

Layout (proofs/exact_certificate.md, "Format /2")::

    {"format": "relucert.exact-certificate/2",
     "problem", "n", "d", "X", "y", "lam", "dual", "atoms",     # exactly as in /1
     "tree": {"split_rule": "longest-edge/1", "n_nodes": int, "bits": "0110..."},
     "leaves": [{"alpha": {"i": "a/b"}, "lambda": {"j": "a/b"}}    # a bound leaf
                | {"exact": [{"j": "a/b"}] x 2^k}              # an exact leaf
                | {"regions": {"tree": "1e10...", "mult": [{"j": "a/b"}],
                               "empty": [{"j": "a/b"}]}}, ...],           # a forced leaf

Multipliers are sparse objects ``{index: rational}`` (absent entries are 0): ``alpha``
over sample indices, ``lambda`` over the D rays, an exact leaf's pattern over the D rays
then its k weighted undecided samples (indices ``D + t``).
     "lower_bound", "upper_bound", "gap", "provenance",
     "claims": {"margin": "a/b",                                  # optional (0 < margin < 1)
                "chambers": [{"signs", "interior", "parent", "mult_plus", "mult_minus"}, ...],
                "uniqueness": {"verdict", "reason"}}}             # as /1

``claims`` (optional; proofs/near_extremal_chambers.md, Lemma N3): the chambers listed
there, each as in /1, are claimed to contain every point where ``|eta_p| > 1 - margin``;
the tree proves it (:mod:`relucert.verify.checker.tree_claims`), and the uniqueness verdict
is re-derived from those chambers alone. A file without ``claims`` makes no such claim.

Cheap checks first: shape and types, ``n <= max_n``, ``d <= max_d``, the node count
``n_nodes = len(bits) <= max_nodes`` and the leaf count (at most ``n_nodes``), and every
rational within ``max_bits`` bits, all before any arithmetic. The tree's consistency
with the leaves (preorder replay) and each leaf's shape against its exact
classification are claims of :mod:`relucert.verify.checker.tree` (a failed claim, not a
parse error).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from relucert.errors import CertificateError, CertificateLimitError
from relucert.verify.certfile import CERTIFICATE_FORMAT_TREE, TOP_LEVEL_KEYS_TREE, CertifiedVerdict
from relucert.verify.checker.schema import (
    DEFAULT_LIMITS, Limits, ParsedCertificate, _chambers, _check_header, _exact_keys, _need, _Reader, _sizes,
    _uniqueness, read_problem,
)

__all__ = ["SPLIT_RULE", "SPLIT_RULE_RECORDED", "MAX_EXACT_UNDECIDED", "ParsedTree", "parse_tree_certificate"]

#: An exact leaf may have at most this many weighted undecided samples (2^k patterns).
MAX_EXACT_UNDECIDED = 20
#: The only split rule of format /2: the longest edge (smallest cosine, exact comparison),
#: ties to the first pair (j, k), j < k, in lexicographic order; new ray ``r_j + r_k``.
SPLIT_RULE = "longest-edge/1"
#: The split rule whose edges are written: ``tree.edges`` lists, for each split bit in
#: preorder, the index of its edge ``(j, k)``, ``j < k``, among the ``D (D - 1) / 2`` pairs in
#: lexicographic order (the branch and bound's own tree, proofs/branch_and_bound.md Lemma 8:
#: any edge tiles).
SPLIT_RULE_RECORDED = "recorded-edge/1"
_BITS = re.compile(r"[01]*")
_INDEX = re.compile(r"0|[1-9][0-9]*")
_REGIONS = re.compile(r"[01e]+")
#: The longest decision tree of a regions leaf (a forced leaf of a thin cone).
MAX_REGIONS_TREE = 1 << 20


@dataclass(frozen=True, eq=False)
class ParsedTree:
    """A /2 document after strict parsing. ``base`` carries the data, dual, atoms and
    bounds in the /1 form (no chambers) so the /1 kernels apply; ``bits`` is the preorder
    split string; ``leaves`` holds per leaf ``("bound", alpha dict, lambda tuple)`` or
    ``("exact", tuple of per-pattern dicts)`` (sparse: absent multipliers are 0)."""

    base: ParsedCertificate
    bits: str
    leaves: tuple
    limits: Limits
    edges: tuple | None = None     # split rule "recorded-edge/1": one edge index per split bit
    margin: Fraction | None = None  # with claims: the listed chambers (in ``base``) hold every |eta| > 1 - margin


def _claims(raw, n: int, d: int, rd: _Reader):
    """``(margin, masks, interiors, parents, mult, verdict, reason)`` of the ``claims`` object."""
    if not isinstance(raw, dict):
        raise CertificateError(f"certificate.claims: expected an object; got {type(raw).__name__}")
    _exact_keys(raw, {"margin", "chambers", "uniqueness"}, "claims")
    margin = rd.rational(raw["margin"], "claims.margin")
    if not 0 < margin < 1:
        raise CertificateError(f"claims.margin must be a rational in (0, 1); got {margin}")
    ch_raw = _need(raw, "chambers", list, "claims")
    verdict, reason = _uniqueness(raw, "claims", "claims.uniqueness")
    masks, interiors, parents, mult = _chambers(ch_raw, n, d, rd)
    return margin, masks, interiors, parents, mult, verdict, reason


def _sparse(raw, width: int, where: str, rd: _Reader) -> dict:
    """``{"j": rational}`` with ``j`` an index in ``[0, width)`` (absent entries are 0)."""
    if not isinstance(raw, dict):
        raise CertificateError(f"{where}: expected an object {{index: rational}}; got {type(raw).__name__}")
    if len(raw) > width:
        raise CertificateError(f"{where}: {len(raw)} entries for at most {width} indices")
    out = {}
    digits = len(str(width))
    for key, val in raw.items():
        if len(key) > digits or _INDEX.fullmatch(key) is None or int(key) >= width:
            raise CertificateError(f"{where}: {key[:20]!r} is not an index in [0, {width})")
        hit = rd.known.get(val) if type(val) is str else None     # the f-string only when decoded here
        out[int(key)] = hit if hit is not None else rd.rational(val, f"{where}[{key}]")
    return out


def _leaf(raw, where: str, n: int, D: int, rd: _Reader):
    if not isinstance(raw, dict):
        raise CertificateError(f"{where}: expected an object; got {type(raw).__name__}")
    if "exact" in raw:
        _exact_keys(raw, {"exact"}, where)
        pats = raw["exact"]
        if not isinstance(pats, list) or not pats:
            raise CertificateError(f"{where}.exact: expected a non-empty list of multiplier objects")
        width = D + MAX_EXACT_UNDECIDED
        return ("exact", tuple(_sparse(pt, width, f"{where}.exact[{t}]", rd) for t, pt in enumerate(pats)))
    if "regions" in raw:
        return _regions(raw, where, n, D, rd)
    _exact_keys(raw, {"alpha", "lambda"}, where)
    return ("bound", _sparse(raw["alpha"], n, f"{where}.alpha", rd), _sparse(raw["lambda"], D, f"{where}.lambda", rd))


def _regions(raw, where: str, n: int, D: int, rd: _Reader):
    """``("regions", tree, sub-region multipliers, empty-branch multipliers)`` of a forced
    leaf (:mod:`relucert.verify.checker.tree_regions`); indices below ``D + n``."""
    _exact_keys(raw, {"regions"}, where)
    body = raw["regions"]
    if not isinstance(body, dict):
        raise CertificateError(f"{where}.regions: expected an object; got {type(body).__name__}")
    _exact_keys(body, {"tree", "mult", "empty"}, f"{where}.regions")
    tree = body["tree"]
    if not isinstance(tree, str) or not tree or len(tree) > MAX_REGIONS_TREE or _REGIONS.fullmatch(tree) is None:
        raise CertificateError(f"{where}.regions.tree: expected a non-empty string over '0', '1', 'e' of at most "
                               f"{MAX_REGIONS_TREE} characters")
    lists = []
    for key in ("mult", "empty"):
        items = body[key]
        if not isinstance(items, list) or len(items) > len(tree):
            raise CertificateError(f"{where}.regions.{key}: expected a list of at most {len(tree)} objects")
        lists.append(tuple(_sparse(m, D + n, f"{where}.regions.{key}[{t}]", rd) for t, m in enumerate(items)))
    return ("regions", tree, lists[0], lists[1])


def parse_tree_certificate(document, limits: Limits | None = None) -> ParsedTree:
    """Strictly parse a /2 document (raises CertificateError, or CertificateLimitError
    when a size exceeds ``limits``).

    Parameters
    ----------
    document : dict
    limits : Limits, optional

    Returns
    -------
    ParsedTree
    """
    limits = DEFAULT_LIMITS if limits is None else limits
    _check_header(document, CERTIFICATE_FORMAT_TREE, TOP_LEVEL_KEYS_TREE | {"claims"},
                  optional=frozenset({"provenance", "claims"}))
    n, d = _sizes(document, limits)
    D = d + 1
    tree = _need(document, "tree", dict, "certificate")
    rule = tree.get("split_rule")
    if rule not in (SPLIT_RULE, SPLIT_RULE_RECORDED):
        raise CertificateError(f"tree.split_rule must be {SPLIT_RULE!r} or {SPLIT_RULE_RECORDED!r}; "
                               f"got {str(rule)[:40]!r}")
    recorded = rule == SPLIT_RULE_RECORDED
    _exact_keys(tree, {"split_rule", "n_nodes", "bits"} | ({"edges"} if recorded else set()), "tree")
    n_nodes = _need(tree, "n_nodes", int, "tree")
    if n_nodes > limits.max_nodes:
        raise CertificateLimitError(f"limit exceeded: tree.n_nodes = {n_nodes} > max_nodes = {limits.max_nodes} "
                                    f"(raise it with --max-nodes / max_nodes=)")
    bits = _need(tree, "bits", str, "tree")
    if len(bits) != n_nodes or _BITS.fullmatch(bits) is None:
        raise CertificateError(f"tree.bits: expected a string of n_nodes = {n_nodes} characters '0'/'1'")
    edges = None
    if recorded:
        raw_edges = _need(tree, "edges", list, "tree")
        n_pairs = D * (D - 1) // 2
        if len(raw_edges) > n_nodes:    # one per split bit: checked by the replay claim
            raise CertificateError(f"tree.edges: {len(raw_edges)} edges for {n_nodes} nodes")
        if not all(type(e) is int and 0 <= e < n_pairs for e in raw_edges):
            raise CertificateError(f"tree.edges: every entry must be an int in [0, {n_pairs}) (an edge of D = {D} rays)")
        edges = tuple(raw_edges)
    leaves_raw = _need(document, "leaves", list, "certificate")
    if len(leaves_raw) > n_nodes:
        raise CertificateError(f"certificate.leaves: {len(leaves_raw)} leaves for {n_nodes} nodes")
    rd = _Reader(limits)
    X, y, lam, dual, atoms = read_problem(document, rd, n, d)
    if "provenance" in document and not isinstance(document["provenance"], dict):
        raise CertificateError("certificate.provenance must be an object")
    lower, upper, gap = (rd.rational(document[k], k) for k in ("lower_bound", "upper_bound", "gap"))
    leaves = tuple(_leaf(raw, f"leaves[{t}]", n, D, rd) for t, raw in enumerate(leaves_raw))
    margin, masks, interiors, parents, mult = None, (), (), (), ()
    verdict, reason = CertifiedVerdict.NOT_CERTIFIED, "this format /2 file makes no claims (no 'claims' object)"
    if "claims" in document:
        margin, masks, interiors, parents, mult, verdict, reason = _claims(document["claims"], n, d, rd)
    base = ParsedCertificate(
        n=n, d=d, X=X, y=y, lam=lam, dual=dual, atoms=tuple(atoms), masks=masks, interiors=interiors,
        parents=parents, mult=mult, n_chambers_claimed=len(masks), lower=Fraction(lower), upper=upper, gap=gap,
        verdict=verdict, reason=reason, limits=limits)
    return ParsedTree(base=base, bits=bits, leaves=leaves, limits=limits, edges=edges, margin=margin)
