"""Issue 13, session 12: the /2 tree's classes carried down the tree (verify/checker/tree.py
``refine``, ``replay_classified``; proofs/exact_certificate.md, "Inherited classes"), the
builder's one-NNLS choice of a bound leaf's hints (verify/bab_hints.py ``_joint_hint``) and the
checker's lookup of rational texts already decoded (verify/checker/schema.py ``_Reader``),
each against the independent route: ``classify`` at every node, the leaf kernels summing
over Act, scipy's BVLS, and the parse of every text."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from scipy.optimize import lsq_linear

import relucert
from relucert.errors import CertificateError
from relucert.lp.tv.bab import certify
from relucert.verify import check_certificate
from relucert.verify.bab_certificate import make_tree_certificate
from relucert.verify.bab_hints import _joint_hint
from relucert.verify.checker.claims import _Exact
from relucert.verify.checker.tree import (
    Context, bound_leaf, classify, exact_leaf_bounds, replay, replay_classified, undecided_weighted,
)
from relucert.verify.checker.tree_schema import parse_tree_certificate


@pytest.fixture(scope="module", params=[(9, 3, 1), (12, 4, 2)], ids=["d3", "d4"])
def built(request):
    n, d, seed = request.param
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d), 0.0) + 0.1 * rng.standard_normal(n)
    sol = relucert.solve(X, y, 0.1, progress=False)
    bab = certify(X, sol.dual, record_tree=True)
    return make_tree_certificate(sol, bab)


def test_classes_carried_down_equal_classify_at_every_leaf(built):
    tree = parse_tree_certificate(built.document)
    ctx = Context(_Exact(tree.base))
    plain = list(replay(ctx, tree.bits, tree.edges))
    carried = list(replay_classified(ctx, tree.bits, tree.edges))
    assert len(plain) == len(carried) == len(tree.leaves)
    kinds = set()
    for (t, node), (t2, node2, act, und, v_act) in zip(plain, carried):
        assert t == t2 and node == node2
        assert (act, und) == classify(node, ctx.n)
        assert list(v_act) == [sum(ctx.Pi[i] * ctx.Xi[i][c] for i in act) for c in range(ctx.D)]
        leaf = tree.leaves[t]
        kinds.add(leaf[0])
        if leaf[0] == "bound":
            assert bound_leaf(ctx, node, act, und, leaf[1], leaf[2], v_act) == bound_leaf(ctx, node, act, und,
                                                                                         leaf[1], leaf[2])
        elif leaf[0] == "exact":
            assert exact_leaf_bounds(ctx, node, act, und, leaf[1], v_act) == exact_leaf_bounds(ctx, node, act, und,
                                                                                               leaf[1])
    assert "bound" in kinds


def test_classes_carried_down_still_fail_closed(built):
    """A slope on a sample the carried classes call active is refused (``tree.leaves``), as when
    classified at the leaf."""
    doc = copy.deepcopy(built.document)
    tree = parse_tree_certificate(doc)
    ctx = Context(_Exact(tree.base))
    for t, node, act, und, _ in replay_classified(ctx, tree.bits, tree.edges):
        if tree.leaves[t][0] == "bound" and act:
            doc["leaves"][t]["alpha"] = {str(act[0]): "1/2"}
            break
    else:
        pytest.skip("no bound leaf with an active sample")
    report = check_certificate(doc)
    assert not report.passed and report.first_failure().name == "tree.leaves"


@pytest.mark.parametrize("seed", range(6))
def test_joint_hint_matches_bvls(seed):
    """The one-NNLS hint (penalty rows for alpha <= 1, then clipped) reaches BVLS's bounded
    least squares residual within 1e-6 relative, with slopes in [0, 1] and multipliers >= 0."""
    rng = np.random.default_rng(seed)
    D, k = 5, int(rng.integers(1, 30))
    Ma = rng.standard_normal((D, k)) * rng.uniform(0.1, 3.0)
    Gt = rng.standard_normal((D, D))
    base = rng.standard_normal(D) * rng.uniform(0.1, 10.0)
    alpha, lam, res = _joint_hint(base, Ma, Gt)
    assert np.all((0 <= alpha) & (alpha <= 1)) and np.all(lam >= 0)
    assert res == pytest.approx(float(np.linalg.norm(base + Ma @ alpha + Gt @ lam)), rel=1e-12)
    M = np.hstack([Ma, Gt])
    x = lsq_linear(M, -base, bounds=(np.zeros(k + D), np.r_[np.ones(k), np.full(D, np.inf)]), method="bvls").x
    ref = float(np.linalg.norm(M @ x + base))
    assert res <= ref * (1 + 1e-6) + 1e-9


def test_a_repeated_rational_text_decodes_once_and_a_bad_one_is_refused_everywhere(built):
    doc = copy.deepcopy(built.document)
    texts = json.dumps(doc["leaves"])
    assert parse_tree_certificate(doc).leaves == parse_tree_certificate(json.loads(json.dumps(doc))).leaves
    # the same malformed text in two leaves: refused at the first, whichever is decoded first
    bound = [t for t, leaf in enumerate(doc["leaves"]) if "lambda" in leaf]
    assert len(bound) >= 2 and texts
    for t in bound[:2]:
        doc["leaves"][t]["lambda"] = {"0": "01/2"}     # not canonical
    with pytest.raises(CertificateError, match=rf"leaves\[{bound[0]}\]\.lambda\[0\]: '01/2' is not a rational"):
        check_certificate(doc)
    doc["leaves"][bound[0]]["lambda"] = {"0": "1/2"}
    with pytest.raises(CertificateError, match=rf"leaves\[{bound[1]}\]\.lambda\[0\]: '01/2' is not a rational"):
        check_certificate(doc)
