"""Exact certificates without the chamber list: ``relucert.exact-certificate/2``.

:func:`make_tree_certificate` turns a float solution whose dual vector the branch and
bound certified (``relucert.lp.tv.bab.certify``, called by the API layer and passed in:
this layer never imports the TV solver) into a rational proof over a tree of simplicial
cones (proofs/exact_certificate.md, "Format /2"; proofs/branch_and_bound.md, Lemma 8):

- the tree (:func:`relucert.verify.bab_tree.build_tree`, root by root on an optional
  executor: the same file on any) replays the solver's splits, confirms every leaf
  exactly at ``||z||^2 <= 1`` (bound leaves and exact leaves) and refines what it cannot
  confirm; a node that cannot be confirmed is never written as certified;
- with ``claims`` (the default for lam > 0) it also makes every leaf reaching above
  ``(1 - m)^2``, ``m = NEAR_EXTREMAL_BAND``, an exact leaf whose near sub-regions each lie in
  one chamber; those chambers are listed in the file's ``claims`` (interior points and
  polar multipliers, as in /1) with the uniqueness verdict of the /1 argument over them
  (proofs/near_extremal_chambers.md, Lemma N3); when they cannot be listed the file
  carries no claims and ``provenance.claims`` says why;
- the dual vector is first divided by one dyadic factor ``c`` slightly above the branch
  and bound's float upper bound on ``max |eta_p|`` (:func:`dual_scale`), so that every
  leaf is confirmed directly at ``||z||^2 <= 1`` (proofs/exact_gap.md, dual scaling);
- atoms and bounds as for format /1; the whole document is re-verified by the
  independent checker before it is returned (fail closed).
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from relucert.errors import CertificateError
from relucert.solution import Solution
from relucert.tolerances import (
    BAB_CERT_CLAIMS_MARGIN_FACTOR, BAB_CERT_CLAIMS_MIN_MARGIN_BITS, BAB_CERT_LEAF_UNDECIDED, BAB_CERT_MAX_NODES,
    BAB_CERT_SCALE_MARGIN_BITS, NEAR_EXTREMAL_BAND, Tolerances, resolve,
)
from relucert.verify.bab_tree import TreePart, build_tree
from relucert.verify.certfile import CERTIFICATE_FORMAT_TREE, CertifiedVerdict, encode_rational
from relucert.verify.certificate_result import CertificateResult, dyadic_scale, scaled_dual
from relucert.verify.certificate_hints import exact_interpolation, hint_vector, interior_points, region_multipliers
from relucert.verify.checker import check_certificate, sqrt_upper
from relucert.verify.checker.claims import _Exact, _unpack, check_interiors
from relucert.verify.checker.schema import ParsedCertificate
from relucert.verify.checker.tree_claims import claims_uniqueness
from relucert.verify.checker.tree_schema import SPLIT_RULE, SPLIT_RULE_RECORDED

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
    # the near-extremal claims (``claims`` in the file): listed chambers (None: no claims),
    # the uniqueness verdict the file claims, and why (or why the file makes no claims)
    n_listed_chambers: int | None = None
    unique: CertifiedVerdict = CertifiedVerdict.NOT_CERTIFIED
    unique_reason: str = ""


def _sparse_text(values: dict) -> dict:
    return {str(j): encode_rational(v) for j, v in sorted(values.items())}


def _encode_leaf(leaf) -> dict:
    if leaf[0] == "bound":
        return {"alpha": _sparse_text(leaf[1]), "lambda": _sparse_text(leaf[2])}
    if leaf[0] == "regions":
        return {"regions": {"tree": leaf[1], "mult": [_sparse_text(m) for m in leaf[2]],
                            "empty": [_sparse_text(m) for m in leaf[3]]}}
    return {"exact": [_sparse_text(m) for m in leaf[1]]}


def dual_scale(upper_bound: float) -> Fraction:
    """The dyadic ``c`` (grid ``2**-SCALE_BITS``) the dual vector is divided by: 1 when
    ``U (1 + 2**-BAB_CERT_SCALE_MARGIN_BITS) <= 1``, else at least that (``U`` the branch and
    bound's float upper bound on ``max |eta_p|``)."""
    want = Fraction(upper_bound) * (1 + Fraction(1, 1 << BAB_CERT_SCALE_MARGIN_BITS))
    if want <= 1:
        return Fraction(1)
    return dyadic_scale(want)


def claims_margin(ex: _Exact, lower: Fraction, upper: Fraction) -> Fraction:
    """The margin ``m`` of the claims: the smallest ``2^-k`` in
    ``[2^-BAB_CERT_CLAIMS_MIN_MARGIN_BITS, NEAR_EXTREMAL_BAND]`` with
    ``m > BAB_CERT_CLAIMS_MARGIN_FACTOR * beta_max``, ``beta_max = rho ||X~||_F`` the dual
    ball's reach (the checker needs ``beta_max < m``; a smaller margin lists fewer chambers
    and refines fewer leaves). ``NEAR_EXTREMAL_BAND`` when even it is too small (the list is
    then still valid, the uniqueness claim fails)."""
    m = Fraction(NEAR_EXTREMAL_BAND)
    cert = ex.cert
    if cert.lam == 0 or upper < lower:
        return m
    beta2 = Fraction(sum(ex.fro), ex.DX * ex.DX) * 2 * (upper - lower) / (cert.lam * cert.lam)
    reach2 = beta2 * BAB_CERT_CLAIMS_MARGIN_FACTOR ** 2
    floor = Fraction(1, 1 << BAB_CERT_CLAIMS_MIN_MARGIN_BITS)
    while m / 2 >= floor and (m / 2) ** 2 > reach2:
        m /= 2
    return m


def _claims(X: np.ndarray, base: ParsedCertificate, masks, margin: Fraction, tol: Tolerances):
    """The ``claims`` object for the near chambers ``masks`` (sign vectors as ints):
    interior points (chamber LP, rounded, checked exactly), polar multipliers of both signs
    and the uniqueness verdict; raises CertificateError when a chamber cannot be listed."""
    from relucert.verify.near_extremal import chambers_of_patterns

    n = X.shape[0]
    masks = sorted(masks)
    pats = _unpack(masks, n)
    arr = chambers_of_patterns(X, pats, tol=tol)
    DX = 1
    for row in base.X:
        for v in row:
            DX = math.lcm(DX, v.denominator)
    Xint = np.array([[v.numerator * (DX // v.denominator) for v in row] + [DX] for row in base.X], dtype=object)
    interiors = interior_points(Xint, pats, np.asarray(arr.interior))
    listed = dict(masks=tuple(masks), interiors=tuple(interiors), parents=(-1,) * len(masks),
                  n_chambers_claimed=len(masks))
    ex = _Exact(dataclasses.replace(base, mult=tuple(({}, {}) for _ in masks), **listed))
    found = check_interiors(ex)
    if not found.passed:
        raise CertificateError(f"a listed chamber has no exact interior point: {found.detail}")
    V, _ = ex.chamber_vectors()
    mult = []
    for c in range(len(masks)):
        v = hint_vector(V[c], ex.S)
        idx, G = arr.facets(c), arr.inward_normals(c)
        mult.append((region_multipliers(v, G, idx, Fraction(1), tol), region_multipliers(-v, G, idx, Fraction(1), tol)))
    ex = _Exact(dataclasses.replace(base, mult=tuple(mult), **listed))
    unique, reason = claims_uniqueness(ex, margin)
    verdict = CertifiedVerdict.UNIQUE if unique else CertifiedVerdict.NOT_CERTIFIED
    enc = encode_rational
    doc = {"margin": enc(margin),
           "chambers": [{"signs": format(masks[c], "x"), "interior": [enc(v) for v in interiors[c]], "parent": -1,
                         "mult_plus": _sparse_text(mult[c][0]), "mult_minus": _sparse_text(mult[c][1])}
                        for c in range(len(masks))],
           "uniqueness": {"verdict": verdict.value, "reason": reason}}
    return doc, verdict, reason


def make_tree_certificate(solution: Solution, bab, *, leaf_undecided: int | None = None,
                          max_nodes: int | None = None, progress: bool | None = None,
                          use_solver_tree: bool = True, claims: bool = True, executor=None,
                          tol: Tolerances | None = None) -> TreeCertificate:
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
    claims : also list the near-extremal chambers (every point where ``|eta| > 1 - m``
        lies in one of them: the tree proves it; ``m`` from :func:`claims_margin`) with the
        uniqueness verdict derived from them (proofs/near_extremal_chambers.md, Lemma N3).
        When they cannot be listed the file carries no claims and says why
        (``provenance.claims``).
    executor : runs the tree's units, one per root (duck-typed ``submit`` /
        ``as_completed``, e.g. ``relucert._executors.ProcessPoolAdapter``; None: in this
        process); the file is byte-identical on any executor.
    tol : Tolerances, optional (the chamber LPs of the listed chambers).

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
    if not isinstance(claims, bool):
        raise TypeError(f"claims must be a bool; got {type(claims).__name__}")
    tol = resolve(tol)
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
    margin = claims_margin(ex, lower, upper) if claims and lam > 0 else None
    tree: TreePart = build_tree(X, dual, leaf_undecided=k0, max_nodes=cap, progress=progress, splits=splits,
                                margin=margin, executor=executor)
    bits, leaves, edges = tree.bits, tree.leaves, tree.edges
    t1 = time.perf_counter()
    claims_doc, verdict = None, CertifiedVerdict.NOT_CERTIFIED
    if margin is None:
        reason = "no claims: " + ("not asked for" if not claims else "lam = 0 (the dual of (P_0) is not strongly "
                                  "concave)")
    elif tree.claims_failure is not None:
        reason = f"no claims: {tree.claims_failure}"
    else:
        try:
            claims_doc, verdict, reason = _claims(X, base, tree.near, margin, tol)
        except CertificateError as exc:
            reason = f"no claims: {exc}"
    t2 = time.perf_counter()
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
                       "tree_from": "branch and bound (replayed)" if splits is not None else "builder",
                       "claims": reason if claims_doc is None else "near-extremal chambers listed"},
    }
    if claims_doc is not None:
        document["claims"] = claims_doc
    t3 = time.perf_counter()
    report = check_certificate(document, max_n=n, max_d=d, max_bits=_SELF_CHECK_BITS, max_nodes=len(bits) + 1)
    if not report.passed and claims_doc is not None and report.first_failure().name.startswith(("claims.", "uniq")):
        bad = report.first_failure()     # a claim that does not verify: write the file without claims
        del document["claims"]
        claims_doc, verdict = None, CertifiedVerdict.NOT_CERTIFIED
        reason = f"no claims: the self-check refused them ({bad.name}: {bad.detail})"
        document["provenance"]["claims"] = reason
        report = check_certificate(document, max_n=n, max_d=d, max_bits=_SELF_CHECK_BITS, max_nodes=len(bits) + 1)
    t4 = time.perf_counter()
    if not report.passed:
        bad = report.first_failure()
        raise CertificateError(f"the tree certificate does not verify: {bad.name}: {bad.detail}")
    return TreeCertificate(lower_bound=lower, upper_bound=upper, gap=upper - lower, document=document, report=report,
                           dual_scale=scale, n_nodes=len(bits), n_leaves=len(leaves), n_exact_leaves=tree.n_exact,
                           timings={"tree_s": t1 - t0, "claims_s": t2 - t1, "document_s": t3 - t2,
                                    "self_check_s": t4 - t3, "total_s": t4 - t0},
                           n_listed_chambers=None if claims_doc is None else len(claims_doc["chambers"]),
                           unique=verdict, unique_reason=reason)
