"""Near-extremal claims through thin cones (issue 13, item 3; proofs/near_extremal_chambers.md,
Lemma N3, "Thin cones").

At d = 4, n = 100 (teacher data, lam = 0.05) the /2 file carried no claims: leaves of the
solver's tree that reach above ``(1 - m)^2`` are thin cones (Lemma 11: never split) with 5
weighted undecided samples, one more than the builder's exact-leaf rule ``k0 = 4``, so they
stayed bound leaves and the claims were dropped. The builder now makes such a leaf an exact
leaf with up to ``BAB_FORCED_ALL_PATTERNS`` undecided samples. Here the thin threshold is
lowered (``BAB_THIN_BITS``, read by the builder and the checker alike) and ``k0 = 1``, so
that thin cones with more than ``k0`` undecided samples reach the extremal points of small
problems; the claims must then be made, verify, give the
/1 verdict (all chambers enumerated) and list every chamber whose float region maximum
exceeds ``1 - m`` (enumeration and the region scan, never the tree)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from relucert.arrangement import enumerate_chambers
from relucert.verify import make_exact_certificate
from relucert.verify.analysis import solution_from_measure
from relucert.verify.bab_certificate import make_tree_certificate
from relucert.verify.checker import tree_regions
from relucert.verify.checker.claims import _Exact
from relucert.verify.checker.tree import Context, replay_classified, undecided_weighted
from relucert.verify.checker.tree_schema import parse_tree_certificate
from relucert.verify.regions import scan_regions
from test_near_extremal import _constructed

CASES = {"d2": dict(n=12, d=2, seed=0), "d3": dict(n=10, d=3, seed=2), "d4": dict(n=9, d=4, seed=4)}
THIN_BITS = 3
K0 = 1


class _Certified:
    """What ``make_tree_certificate`` reads of a branch and bound that certified (no
    solver tree: the builder grows its own longest-edge tree)."""
    status = "certified"
    threshold = 1.0
    splits = None

    def __init__(self, upper):
        self.upper_bound = upper
        self.stats = type("S", (), {"n_nodes": 0})()


def _thin_exact_leaves(doc) -> int:
    """Exact leaves on thin cones with more than ``K0`` weighted undecided samples, by replay."""
    tree = parse_tree_certificate(doc)
    ctx = Context(_Exact(tree.base))
    count = 0
    for t, node, act, und, _ in replay_classified(ctx, tree.bits, tree.edges):
        leaf = tree.leaves[t]
        if leaf[0] == "exact" and tree_regions.is_thin(node.R) and len(undecided_weighted(ctx, und)) > K0:
            count += 1
    return count


@pytest.mark.parametrize("case", list(CASES))
def test_claims_are_made_through_thin_cones(case, monkeypatch):
    monkeypatch.setattr(tree_regions, "BAB_THIN_BITS", THIN_BITS)
    X, y, lam, theta, amp = _constructed(**CASES[case])
    arr = enumerate_chambers(X)
    sol = solution_from_measure(X, y, lam, theta, amp, arrangement=arr)
    upper = float(np.max(np.abs(scan_regions(arr, sol.dual).value)))
    tree = make_tree_certificate(sol, _Certified(upper), leaf_undecided=K0, progress=False)
    doc = tree.document
    assert "claims" in doc, doc["provenance"]["claims"]
    assert tree.report.passed and tree.report.checks[-2].name == "claims.near_extremal"
    assert _thin_exact_leaves(doc) > 0          # the path under test was taken
    one = make_exact_certificate(sol, arrangement=arr)
    assert tree.unique is one.unique            # the verdict of /1 over every chamber
    margin = Fraction(doc["claims"]["margin"])
    p = np.array([float(Fraction(v)) for v in doc["dual"]])
    above = np.flatnonzero(np.max(scan_regions(arr, p).value, axis=1) > 1 - float(margin) + 1e-9)
    listed = {int(ch["signs"], 16) for ch in doc["claims"]["chambers"]}
    assert above.size > 0
    assert {int.from_bytes(arr.sign_patterns[k].tobytes(), "little") for k in above} <= listed
