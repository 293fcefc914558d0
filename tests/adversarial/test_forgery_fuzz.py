"""A slice of the forgery fuzz campaign (benchmarks/bench_fuzz_certificates.py, issue 12):
one-field mutants of valid certificates, bounds recomputed as a forger would; no accepted
mutant may claim bounds that an independent solve (cvxpy + clarabel, the finite SOCP over
every activation pattern) contradicts."""
from __future__ import annotations

import importlib.util
import json
import pathlib
from fractions import Fraction

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("bench_fuzz_certificates",
                                                  ROOT / "benchmarks" / "bench_fuzz_certificates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_judge_sees_a_false_claim(fuzz):
    """The judge is not blind: the true optimum of a certificate lies in its bounds, and a
    lower bound raised by 1% is judged false."""
    (_, text), *_ = fuzz.certificates()
    doc = json.loads(text)
    opt = fuzz.Judge().optimum(doc)
    lower, upper = Fraction(doc["lower_bound"]), Fraction(doc["upper_bound"])
    assert float(lower) - 1e-6 <= opt <= float(upper) + 1e-6
    assert float(lower * Fraction(101, 100)) > opt + 1e-6 * max(1.0, abs(opt))


def test_forger_recomputation_keeps_a_valid_certificate_valid(fuzz):
    from relucert.verify.checker import check_certificate

    (_, text), *_ = fuzz.certificates()
    doc = json.loads(text)
    fuzz.recompute_bounds(doc)
    assert doc == json.loads(text)  # the forger's formulas are the certificate's own
    assert check_certificate(doc).passed


def test_fuzz_slice_accepts_no_false_claim(fuzz):
    out = fuzz.campaign(300, seed=12, progress=False)
    assert out["accepted_false"] == 0, out["false_claims"]
    stats = out["stats"]
    # the slice exercises both sides: forged bounds are rejected, honest weakenings accepted
    assert stats.get("rejected by a check", 0) > 100 and stats.get("accepted", 0) > 10
    for forged in ("lower", "upper", "gap"):
        assert out["by_kind"][forged]["mutants"] > 0 and out["by_kind"][forged].get("accepted", 0) == 0


def test_fuzz_slice_of_tree_certificates_accepts_no_false_claim(fuzz):
    """The same campaign on format /2 files (split bits, leaves, slopes, multipliers mutated)."""
    out = fuzz.campaign(150, seed=13, progress=False, fmt=2)
    assert out["accepted_false"] == 0, out["false_claims"]
    assert out["stats"].get("rejected by a check", 0) > 50
    for forged in ("bits_flip", "leaf_drop", "lower", "upper"):
        kind = out["by_kind"].get(forged, {})
        assert kind.get("accepted", 0) == 0, (forged, kind)
