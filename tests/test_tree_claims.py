"""The near-extremal claims of format /2 (issue 13, items 2-3; proofs/near_extremal_chambers.md,
Lemma N3) and the /2 build on an executor (issue 14).

Against independent routes: the uniqueness verdict of /1 (the chamber list, every chamber)
on the same solution, and the chambers whose float region maximum (full enumeration and
region scan, never the tree) exceeds 1 - margin. Hostile edits (a listed chamber dropped,
a leaf bound raised above (1 - margin)^2, a claim flipped, a sign bit flipped) are
rejected by the claim they break; a /2 file without claims stays valid. The file is
byte-identical serial, on 2 processes and on executors that finish in another order or
lose a worker."""
from __future__ import annotations

import copy
import json
from fractions import Fraction

import numpy as np
import pytest

from analysis_cases import symmetric_continuum
from relucert._executors import ProcessPoolAdapter
from relucert.arrangement import enumerate_chambers
from relucert.certifier import tree_certificate
from relucert.errors import CertificateError
from relucert.lp.tv.bab import certify
from relucert.verify import check, check_certificate, make_exact_certificate
from relucert.verify.analysis import solution_from_measure
from relucert.verify.bab_certificate import make_tree_certificate
from relucert.verify.certfile import CertifiedVerdict, encode_rational
from relucert.verify.checker.claims import _Exact
from relucert.verify.checker.tree import Context, bound_leaf, classify, replay
from relucert.verify.checker.tree_schema import parse_tree_certificate
from relucert.verify.regions import scan_regions
from test_near_extremal import _constructed


def _tree(sol, **kw):
    bab = certify(sol.X, sol.dual, record_tree=True, progress=False)
    assert bab.certified
    return make_tree_certificate(sol, bab, progress=False, **kw)


CASES = {"d2": dict(n=12, d=2, seed=0), "d2-zero-repeat": dict(n=14, d=2, seed=1, zero=2, repeat=2),
         "d3": dict(n=10, d=3, seed=2), "d4": dict(n=9, d=4, seed=4)}


@pytest.fixture(scope="module", params=list(CASES) + ["continuum"])
def built(request):
    if request.param == "continuum":
        X, y, lam, theta, amp, *_ , null = symmetric_continuum()
        amp = amp + 0.25 * null
    else:
        X, y, lam, theta, amp = _constructed(**CASES[request.param])
    arr = enumerate_chambers(X)
    sol = solution_from_measure(X, y, lam, theta, amp, arrangement=arr)
    return sol, arr, _tree(sol), make_exact_certificate(sol, arrangement=arr)


def _reject(doc, name):
    report = check_certificate(doc)
    assert not report.passed
    bad = report.first_failure()
    assert bad.name == name, (bad.name, bad.detail)
    return bad.detail


def test_claims_verify_and_agree_with_the_chamber_certificate(built, tmp_path):
    sol, arr, tree, one = built
    doc = tree.document
    assert "claims" in doc and tree.n_listed_chambers == len(doc["claims"]["chambers"]) > 0
    names = [c.name for c in tree.report.checks]
    assert names[-4:] == ["claims.interior_points", "claims.distinct", "claims.near_extremal", "uniqueness"]
    assert tree.unique is one.unique                     # the same verdict as /1 (all chambers)
    assert doc["claims"]["uniqueness"]["verdict"] == one.unique.value
    assert tree.n_listed_chambers < arr.n_chambers        # output-sensitive
    path = tmp_path / "claims.json"
    tree.write(path)
    out = check(path)
    assert out.passed and out.uniqueness is one.unique


def test_every_chamber_above_the_margin_is_listed(built):
    """Independently of the tree: full enumeration and the float region scan of the file's
    dual vector; every chamber whose maximum of |eta| exceeds 1 - margin (plus rounding)
    is listed, and every listed pattern is a chamber of the enumeration."""
    sol, arr, tree, _ = built
    claims = tree.document["claims"]
    margin = Fraction(claims["margin"])
    p = np.array([float(Fraction(v)) for v in tree.document["dual"]])
    scan = scan_regions(arr, p)
    above = np.flatnonzero(np.max(scan.value, axis=1) > 1 - float(margin) + 1e-9)
    masks = {int.from_bytes(arr.sign_patterns[k].tobytes(), "little"): k for k in range(arr.n_chambers)}
    listed = {int(ch["signs"], 16) for ch in claims["chambers"]}
    assert listed <= set(masks)
    assert {int.from_bytes(arr.sign_patterns[k].tobytes(), "little") for k in above} <= listed
    assert above.size > 0


def test_dropped_chamber_is_rejected(built):
    doc = copy.deepcopy(built[2].document)
    del doc["claims"]["chambers"][0]
    assert "is not listed" in _reject(doc, "claims.near_extremal")


def test_flipped_sign_bit_is_rejected(built):
    doc = copy.deepcopy(built[2].document)
    ch = doc["claims"]["chambers"][-1]
    ch["signs"] = format(int(ch["signs"], 16) ^ 1, "x")
    _reject(doc, "claims.interior_points")


def test_raised_leaf_bound_is_rejected(built):
    """A far bound leaf's multipliers scaled so that its (still valid, still <= 1) bound
    exceeds (1 - margin)^2: feasibility still holds, the completeness claim does not."""
    doc = copy.deepcopy(built[2].document)
    tree = parse_tree_certificate(doc)
    ctx = Context(_Exact(tree.base))
    far = (1 - tree.margin) ** 2
    target = (far + 1) / 2
    for t, node in replay(ctx, tree.bits, tree.edges):
        leaf = tree.leaves[t]
        if leaf[0] != "bound":
            continue
        act, und = classify(node, ctx.n)

        def bound(s):
            num, den = bound_leaf(ctx, node, act, und, leaf[1], {j: v * s for j, v in leaf[2].items()})
            return Fraction(num, den)

        if not leaf[2] or bound(Fraction(1)) > far:
            continue
        hi = Fraction(2)
        while bound(hi) <= target and hi < 2 ** 40:
            hi *= 2
        lo = Fraction(1)
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if bound(mid) <= target else (lo, mid)
            if far < bound(lo) <= 1:
                break
        if not far < bound(lo) <= 1:
            continue
        doc["leaves"][t]["lambda"] = {str(j): encode_rational(v * lo) for j, v in sorted(leaf[2].items())}
        assert "bound leaf" in _reject(doc, "claims.near_extremal")
        return
    pytest.fail("no far bound leaf with multipliers to raise")


def test_flipped_claim_is_rejected(built):
    sol, arr, tree, one = built
    doc = copy.deepcopy(tree.document)
    if one.unique is CertifiedVerdict.UNIQUE:
        # a weaker claim is no false claim; a larger margin is (the tree does not show it)
        doc["claims"]["uniqueness"]["verdict"] = CertifiedVerdict.NOT_CERTIFIED.value
        assert check_certificate(doc).passed
        doc["claims"]["margin"] = "1/2"
        _reject(doc, "claims.near_extremal")
    else:
        doc["claims"]["uniqueness"]["verdict"] = CertifiedVerdict.UNIQUE.value
        assert "does not verify" in _reject(doc, "uniqueness")


def test_files_without_claims_stay_valid(built):
    sol, _, tree, _ = built
    doc = copy.deepcopy(tree.document)
    del doc["claims"]
    report = check_certificate(doc)
    assert report.passed and "no claims" in report.checks[-1].detail
    plain = _tree(sol, claims=False)
    assert "claims" not in plain.document and plain.unique is CertifiedVerdict.NOT_CERTIFIED
    assert check_certificate(plain.document).passed


def test_claims_are_parsed_strictly(built):
    doc = copy.deepcopy(built[2].document)
    for edit, match in ((lambda c: c.update(extra=1), "unknown key"), (lambda c: c.update(margin="3/2"), "margin"),
                        (lambda c: c.update(margin=0.5), "margin"),
                        (lambda c: c["uniqueness"].update(verdict="maybe"), "verdict")):
        bad = copy.deepcopy(doc)
        edit(bad["claims"])
        with pytest.raises(CertificateError, match=match):
            check_certificate(bad)


class _Reversed:
    """A duck-typed executor: tasks run at submit, completed in reverse order; the first
    task's worker is 'lost' once (``lost`` says so, the coordinator re-runs it)."""

    def __init__(self):
        self.lost_once = False
        self.submitted = 0

    def submit(self, fn, *args):
        self.submitted += 1
        if not self.lost_once:
            self.lost_once = True
            return _Future(error=ConnectionError("worker died"))
        return _Future(value=fn(*args))

    def as_completed(self, futures):
        return iter(list(futures)[::-1])

    def lost(self, exc):
        return isinstance(exc, ConnectionError)


class _Future:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


def test_the_file_is_byte_identical_on_any_executor():
    X, y, lam, theta, amp = _constructed(10, 3, 2)
    sol = solution_from_measure(X, y, lam, theta, amp)
    serial = tree_certificate(sol, progress=False)
    assert "claims" in serial.document
    text = json.dumps(serial.document, sort_keys=True)
    assert json.dumps(tree_certificate(sol, progress=False, n_jobs=2).document, sort_keys=True) == text
    bab = certify(X, sol.dual, record_tree=True, progress=False)
    odd = _Reversed()
    again = make_tree_certificate(sol, bab, progress=False, executor=odd)
    assert odd.submitted == 2 * 2 ** 4 + 1                 # one unit per root, one re-run
    assert json.dumps(again.document, sort_keys=True) == text
    pool = ProcessPoolAdapter(2)
    try:
        plain = make_tree_certificate(sol, bab, progress=False, executor=pool, claims=False)
    finally:
        pool.close()
    assert json.dumps(plain.document, sort_keys=True) == json.dumps(
        make_tree_certificate(sol, bab, progress=False, claims=False).document, sort_keys=True)


def test_split_map_is_cut_by_root():
    """Every split node of the solver goes to the unit of the root orthant holding it (its
    rays have the orthant's signs), so each unit replays the solver's own splits."""
    from relucert.verify.bab_tree import root_index
    from relucert.verify.checker.tree import roots

    X, y, lam, theta, amp = _constructed(10, 3, 2)
    sol = solution_from_measure(X, y, lam, theta, amp)
    bab = certify(X, sol.dual, record_tree=True, progress=False)
    ctx = Context(_Exact(parse_tree_certificate(make_tree_certificate(sol, bab, progress=False,
                                                                      claims=False).document).base))
    all_roots = roots(ctx)
    assert len({root_index(sign, R) for sign, R in bab.splits}) > 1
    for sign, R in bab.splits:
        root = all_roots[root_index(sign, R)]
        assert root.sign == sign
        s = [root.R[c][c] for c in range(ctx.D)]
        assert all(s[c] * r[c] >= 0 for r in R for c in range(ctx.D))
