"""Forced leaves of thin cones in the exchange and in the /2 certificate (issue 13;
proofs/branch_and_bound.md, Lemma 11; proofs/exact_certificate.md, "Format /2"): on
degenerate data the exchange with oracle="bab" reaches the enumeration oracle's optimum
and its tree certificate verifies; regions leaves are re-verified by the independent
checker, which refuses them on cones that are not thin and refuses every tampering."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import relucert
from relucert.lp.tv.bab import certify, search
from relucert.verify import check_certificate
from relucert.tolerances import BAB_FORCED_ALL_PATTERNS
from relucert.verify import bab_regions
from relucert.verify.bab_certificate import make_tree_certificate
from relucert.verify.checker import tree_regions
from test_bab_forced import DATA


def _labels(X, seed):
    rng = np.random.default_rng(seed)
    return np.maximum(X @ rng.standard_normal(X.shape[1]), 0.0) + 0.1 * rng.standard_normal(X.shape[0])


@pytest.mark.parametrize("kind,n,d,seed", [("integer collinear", 9, 3, 11), ("binary", 12, 3, 9),
                                           ("duplicated", 10, 4, 7), ("binary", 14, 4, 10)])
def test_exchange_with_bab_reaches_the_enumerated_optimum_and_its_tree_certificate_verifies(kind, n, d, seed):
    X, _ = DATA[kind](n, d, seed)
    y = _labels(X, seed)
    ref = relucert.solve(X, y, 0.1, oracle="enumerate", progress=False)
    got = relucert.solve(X, y, 0.1, oracle="bab", progress=False)
    assert got.objective == pytest.approx(ref.objective, rel=1e-9)
    bab = certify(X, got.dual, record_tree=True)
    assert bab.certified
    tree = make_tree_certificate(got, bab)
    assert check_certificate(tree.document).passed
    # an exact proof that brackets the enumeration oracle's optimum
    assert float(tree.lower_bound) <= ref.objective * (1 + 1e-9) and ref.objective <= float(tree.upper_bound) * (1 + 1e-9)


def _forced(every_pattern: bool):
    """A thin limit of 2^4 (both in the solver and the checker) makes forced leaves appear
    near the roots: the certificate then carries regions leaves. ``every_pattern`` False: the
    builder's decision tree with interior LPs and Gordan multipliers only
    (``BAB_FORCED_ALL_PATTERNS`` off); True: every sign pattern first (the default)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(search, "BAB_THIN_BITS", 4)
    mp.setattr(tree_regions, "BAB_THIN_BITS", 4)
    # set either way: the other module-scoped fixture may still hold its patch
    mp.setattr(bab_regions, "BAB_FORCED_ALL_PATTERNS", BAB_FORCED_ALL_PATTERNS if every_pattern else -1)
    try:
        X, _ = DATA["integer collinear"](7, 3, 11)
        y = _labels(X, 11)
        ref = relucert.solve(X, y, 0.1, oracle="enumerate", progress=False)
        sol = relucert.solve(X, y, 0.1, oracle="bab", progress=False)
        bab = certify(X, sol.dual, record_tree=True)
        tree = make_tree_certificate(sol, bab, claims=False)
        yield ref, sol, tree, mp
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def forced():
    yield from _forced(False)


@pytest.fixture(scope="module")
def forced_all():
    yield from _forced(True)


def _regions(doc):
    return [t for t, leaf in enumerate(doc["leaves"]) if "regions" in leaf]


def test_forced_leaves_are_carried_and_verified(forced):
    ref, sol, tree, _ = forced
    assert sol.objective == pytest.approx(ref.objective, rel=1e-9)
    assert check_certificate(tree.document).passed
    idx = _regions(tree.document)
    assert idx and any(tree.document["leaves"][t]["regions"]["empty"] for t in idx)


def test_every_pattern_regions_leaves_verify_without_lps(forced_all, forced):
    """The default builder (every sign pattern first, no interior LP) writes complete decision
    trees, 2^k sub-regions and no empty branch, brackets the same optimum, and a tampered
    multiplier is refused."""
    ref, sol, tree, _ = forced_all
    assert check_certificate(tree.document).passed
    idx = _regions(tree.document)
    assert idx
    for t in idx:
        body = tree.document["leaves"][t]["regions"]
        k = len(body["mult"]).bit_length() - 1
        assert len(body["mult"]) == 1 << k and body["tree"].count("0") == 1 << k and not body["empty"]
        assert "e" not in body["tree"] and body["tree"].count("1") == (1 << k) - 1
    lp = forced[2]
    assert tree.lower_bound <= lp.upper_bound and lp.lower_bound <= tree.upper_bound
    doc = copy.deepcopy(tree.document)
    doc["leaves"][idx[0]]["regions"]["mult"][0] = {"0": "1000000"}      # a bound far above 1
    report = check_certificate(doc)
    assert not report.passed and report.first_failure().name == "dual.feasible"
    doc = copy.deepcopy(tree.document)
    doc["leaves"][idx[0]]["regions"]["mult"].pop()                      # a sub-region without multipliers
    report = check_certificate(doc)
    assert not report.passed and report.first_failure().name == "tree.leaves"


def _fails_on_leaves(doc):
    report = check_certificate(doc)
    assert not report.passed
    assert report.first_failure().name == "tree.leaves"
    return report.first_failure().detail


def test_tampered_empty_branch_is_rejected(forced):
    _, _, tree, _ = forced
    doc = copy.deepcopy(tree.document)
    t = next(t for t in _regions(doc) if doc["leaves"][t]["regions"]["empty"])
    y = doc["leaves"][t]["regions"]["empty"][0]
    key = sorted(y)[0]
    y[key] = "3" if y[key] != "3" else "5"               # the Gordan combination is no longer 0
    assert "Gordan" in _fails_on_leaves(doc)


def test_tampered_regions_tree_is_rejected(forced):
    _, _, tree, _ = forced
    doc = copy.deepcopy(tree.document)
    t = next(t for t in _regions(doc) if "e" in doc["leaves"][t]["regions"]["tree"])
    body = doc["leaves"][t]["regions"]
    body["tree"] = body["tree"].replace("e", "0", 1)     # an empty branch claimed as a sub-region
    _fails_on_leaves(doc)
    doc = copy.deepcopy(tree.document)
    doc["leaves"][t]["regions"]["empty"] = doc["leaves"][t]["regions"]["empty"][1:]   # a proof removed
    _fails_on_leaves(doc)


def test_regions_leaf_on_a_cone_that_is_not_thin_is_rejected(forced):
    """The checker re-derives the forced-leaf rule: with the shipped limit (2^24) the same
    leaves are not thin, and the file fails closed."""
    _, _, tree, mp = forced
    with pytest.MonkeyPatch.context() as m:
        m.setattr(tree_regions, "BAB_THIN_BITS", 24)
        assert "not thin" in _fails_on_leaves(tree.document)
