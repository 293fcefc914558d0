"""Exact certificates over the branch-and-bound tree (relucert.exact-certificate/2, issue 13
item 2): built from a solution whose dual the branch and bound certified, accepted by the
independent checker, in agreement with the chamber-list certificate (format /1) of the same
solution, and every tampering rejected with the claim that fails."""
from __future__ import annotations

import copy
import dataclasses
import json
from fractions import Fraction

import numpy as np
import pytest

import relucert
from relucert.cli import main
from relucert.errors import CertificateError, CertificateLimitError
from relucert.lp.tv.bab import certify, maximise
from relucert.verify import check, check_certificate, make_exact_certificate
from relucert.verify.bab_certificate import make_tree_certificate
from relucert.verify.checker.claims import _Exact
from relucert.verify.checker.tree import Context, classify, replay
from relucert.verify.checker.tree_schema import parse_tree_certificate


def _problem(n, d, seed, lam=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d), 0.0) + 0.1 * rng.standard_normal(n)
    return X, y, lam


@pytest.fixture(scope="module", params=[(10, 2, 0, False), (9, 3, 1, False), (10, 2, 0, True), (9, 3, 1, True)],
                ids=["d2", "d3", "d2-solver-tree", "d3-solver-tree"])
def built(request):
    """The builder's own longest-edge tree, or (``record_tree``) the branch and bound's
    tree replayed (split rule "recorded-edge/1")."""
    n, d, seed, record = request.param
    X, y, lam = _problem(n, d, seed)
    sol = relucert.solve(X, y, lam, progress=False)
    bab = certify(X, sol.dual, record_tree=record)
    assert bab.certified and (bab.splits is not None) == record
    tree = make_tree_certificate(sol, bab)
    rule = tree.document["tree"]["split_rule"]
    assert rule == ("recorded-edge/1" if record else "longest-edge/1")
    if record:   # every split of the solver is a split of the certificate's tree
        assert tree.document["tree"]["bits"].count("1") >= len(bab.splits)
    return sol, tree, make_exact_certificate(sol)


def first_failure(doc):
    report = check_certificate(doc)
    assert not report.passed
    return report.first_failure().name


def test_tree_certificate_verifies_and_agrees_with_the_chamber_certificate(built, tmp_path):
    sol, tree, chambers = built
    assert check_certificate(tree.document).passed
    assert check_certificate(chambers.document).passed          # the SAME solution, the other route
    # two independent proofs of min(P) in [lower, upper]: the intervals must overlap, and
    # both prove the solver's objective optimal to its own gap
    assert tree.lower_bound <= chambers.upper_bound and chambers.lower_bound <= tree.upper_bound
    assert tree.upper_bound == chambers.upper_bound              # the same atoms, exactly
    assert abs(float(tree.lower_bound - chambers.lower_bound)) <= 1e-9 * max(1.0, abs(float(tree.upper_bound)))
    assert tree.relative_gap <= Fraction(relucert.Tolerances().obj_gap)
    path = tmp_path / "tree.json"
    tree.write(path)
    assert check(path).passed
    assert main(["check", str(path)]) == 0


def test_leaves_tile_the_sphere_once_per_sign(built):
    """Lemma 5 through the checker's own replay: random directions each lie in exactly one
    leaf cone per sign (``G theta >= 0``), and the leaf's exact classification agrees with
    the signs of ``<x~_i, theta>``."""
    sol, tree, _ = built
    parsed = parse_tree_certificate(tree.document)
    ctx = Context(_Exact(parsed.base))
    leaves = [node for _, node in replay(ctx, parsed.bits, parsed.edges)]
    rng = np.random.default_rng(3)
    A = np.hstack([sol.X, np.ones((sol.X.shape[0], 1))])
    for theta in rng.standard_normal((60, A.shape[1])):
        for sign in (1, -1):
            hits = [node for node in leaves if node.sign == sign
                    and np.all(np.array(node.G, dtype=float) @ theta > 0)]
            assert len(hits) == 1
            act, und = classify(hits[0], ctx.n)
            side = A @ theta > 0
            assert all(side[i] for i in act)
            assert not any(side[i] for i in range(ctx.n) if i not in act and i not in und)


def _mutated(doc, fn):
    out = copy.deepcopy(doc)
    fn(out)
    return out


def _flip(doc, pos):
    bits = doc["tree"]["bits"]
    doc["tree"]["bits"] = bits[:pos] + ("1" if bits[pos] == "0" else "0") + bits[pos + 1:]


def test_flipped_split_bits_are_rejected(built):
    doc = built[1].document
    bits = doc["tree"]["bits"]
    for pos in {bits.index("1"), bits.index("0"), len(bits) - 1, len(bits) // 2}:
        assert first_failure(_mutated(doc, lambda d: _flip(d, pos))) == "tree.replay"


def test_removed_leaf_is_rejected(built):
    doc = built[1].document
    assert first_failure(_mutated(doc, lambda d: d["leaves"].pop(len(d["leaves"]) // 2))) == "tree.replay"


def test_changed_multiplier_is_rejected(built):
    doc = built[1].document
    bound = next(t for t, leaf in enumerate(doc["leaves"]) if "lambda" in leaf)
    assert first_failure(_mutated(doc, lambda d: d["leaves"][bound]["lambda"].__setitem__("0", "1000000"))) \
        == "dual.feasible"
    assert first_failure(_mutated(doc, lambda d: d["leaves"][bound]["lambda"].__setitem__("0", "-1/3"))) \
        == "tree.leaves"
    exact = [t for t, leaf in enumerate(doc["leaves"]) if "exact" in leaf]
    if exact:
        t = exact[0]
        assert first_failure(_mutated(doc, lambda d: d["leaves"][t]["exact"][0].__setitem__("0", "1000000"))) \
            == "dual.feasible"


def test_alpha_that_disagrees_with_the_exact_classification_is_rejected(built):
    sol, tree, _ = built
    doc = tree.document
    parsed = parse_tree_certificate(doc)
    ctx = Context(_Exact(parsed.base))
    for t, node in replay(ctx, parsed.bits, parsed.edges):
        act, _ = classify(node, ctx.n)
        if "alpha" in doc["leaves"][t] and act:
            i = act[0]
            failure = first_failure(_mutated(doc, lambda d: d["leaves"][t]["alpha"].__setitem__(str(i), "1/2")))
            assert failure == "tree.leaves"
            return
    pytest.fail("no bound leaf with an active sample")


def test_dual_scaled_just_above_feasible_is_rejected(built):
    """p scaled so that max |eta_p| = 1 + 1e-6 (the maximum from the branch and bound's
    maximise, an independent computation): no multipliers can prove it."""
    sol, tree, _ = built
    doc = tree.document
    p = np.array([float(Fraction(v)) for v in doc["dual"]])
    top = maximise(sol.X, p).max_value
    s = Fraction(1 + 1e-6) / Fraction(top)
    bad = _mutated(doc, lambda d: d.__setitem__("dual", [str(Fraction(v) * s) for v in d["dual"]]))
    assert first_failure(bad) == "dual.feasible"


def test_malformed_and_oversized_trees_are_refused(built):
    doc = built[1].document
    with pytest.raises(CertificateLimitError, match="max_nodes"):
        check_certificate(doc, max_nodes=3)
    with pytest.raises(CertificateError, match="tree.bits"):
        check_certificate(_mutated(doc, lambda d: d["tree"].__setitem__("bits", "2" + d["tree"]["bits"][1:])))
    with pytest.raises(CertificateError, match="split_rule"):
        check_certificate(_mutated(doc, lambda d: d["tree"].__setitem__("split_rule", "widest-gap")))
    one = built[2].document
    with pytest.raises(CertificateError, match="missing key|unknown key"):
        check_certificate(_mutated(one, lambda d: d.__setitem__("format", "relucert.exact-certificate/2")))


def test_recorded_edges_are_parsed_strictly(built):
    doc = built[1].document
    if doc["tree"]["split_rule"] != "recorded-edge/1":
        with pytest.raises(CertificateError, match="unknown key"):
            check_certificate(_mutated(doc, lambda d: d["tree"].__setitem__("edges", [])))
        return
    D = doc["d"] + 1
    assert first_failure(_mutated(doc, lambda d: d["tree"]["edges"].pop())) == "tree.replay"
    for bad in (D * (D - 1) // 2, -1, True, 0.0, "0"):
        with pytest.raises(CertificateError, match="tree.edges: every entry"):
            check_certificate(_mutated(doc, lambda d: d["tree"]["edges"].__setitem__(0, bad)))
    with pytest.raises(CertificateError, match="missing key"):
        check_certificate(_mutated(doc, lambda d: d["tree"].pop("edges")))


def test_solver_tree_saves_work_and_proves_the_same_bounds():
    """The replayed solver tree and the builder's own tree prove the same bounds; the
    replay attempts no leaf proof at the solver's split nodes."""
    X, y, lam = _problem(10, 2, 0)
    sol = relucert.solve(X, y, lam, progress=False)
    bab = certify(X, sol.dual, record_tree=True)
    mine = make_tree_certificate(sol, bab, use_solver_tree=False)
    theirs = make_tree_certificate(sol, bab)
    assert (mine.lower_bound, mine.upper_bound) == (theirs.lower_bound, theirs.upper_bound)
    assert mine.document["provenance"]["tree_from"] == "builder"
    assert theirs.document["provenance"]["tree_from"] == "branch and bound (replayed)"


class _FakeBab:
    """A branch-and-bound result claiming certification (the builder must not trust it)."""

    def __init__(self, status="certified", upper=1.0):
        from relucert.lp.tv.bab import BabStats

        self.status, self.threshold, self.upper_bound = status, 1.0, upper
        self.stats = BabStats(0, 0, 0, 0, 0, 0.0)


def test_builder_fails_closed(built):
    sol = built[0]
    with pytest.raises(CertificateError, match="did not certify"):
        make_tree_certificate(sol, _FakeBab(status="violated"))
    # an infeasible dual with a (false) claim of certification: refused, never written
    bad = dataclasses.replace(sol, dual=sol.dual * 1.01)
    with pytest.raises(CertificateError):
        make_tree_certificate(bad, _FakeBab(), max_nodes=20_000)


def test_d4_end_to_end(tmp_path):
    """Through the API layer (relucert.certifier.tree_certificate: bab.certify, then the builder)."""
    from relucert.certifier import tree_certificate

    X, y, lam = _problem(8, 4, 5)
    sol = relucert.solve(X, y, lam, progress=False)
    tree = tree_certificate(sol, progress=False)
    path = tmp_path / "d4.json"
    tree.write(path)
    out = check(path)
    assert out.passed and out.lower <= Fraction(sol.objective) * (1 + Fraction(1, 10 ** 6))
    assert json.loads(path.read_text())["format"] == "relucert.exact-certificate/2"
