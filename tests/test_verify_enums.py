"""Categorical values are str enums (issue 11), and the documents that carry them stay
byte-identical to the plain strings they replaced: the certificate file format, the
certificate report, the checker's report and the theorem suite's results."""
from __future__ import annotations

import json
from enum import Enum

import numpy as np
import pytest

from analysis_cases import symmetric_continuum
from problems import by_construction
from relucert._model import lift, relu_features
from relucert.experiments.counterexamples import Kind
from relucert.experiments.theorems import TheoremVerdict
from relucert.results import AtomLocation, CheckResult, Degeneracy, Status, Verdict
from relucert.solution import Solution
from relucert.verify import CheckStatus, check_certificate, make_exact_certificate
from relucert.verify.analysis import analyse, solution_from_measure
from relucert.verify.witness import WitnessKind
from relucert.verify.certfile import (
    VERDICT_NOT_CERTIFIED, VERDICT_UNIQUE, CertifiedVerdict, read_certificate, write_certificate,
)

# the strings each enum stands for, written out by hand (the formats' documented values)
VALUES = {
    Verdict: {"UNIQUE": "unique", "NOT_UNIQUE": "not unique", "UNDETERMINED": "undetermined"},
    AtomLocation: {"INTERIOR": "interior", "BOUNDARY": "boundary"},
    Degeneracy: {"NONDEGENERATE": "non-degenerate", "DEGENERATE": "degenerate"},
    CertifiedVerdict: {"UNIQUE": "unique", "NOT_CERTIFIED": "uniqueness not certified"},
    TheoremVerdict: {"HOLDS": "holds", "HYPOTHESIS_FAILS": "hypothesis fails", "VIOLATED": "VIOLATED"},
    Kind: {"NONUNIQUE": "nonunique", "DEGENERATE": "degenerate", "BOUNDARY": "boundary"},
    WitnessKind: {"MEASURE": "measure", "FUNCTION": "function"},
    CheckStatus: {"VERIFIED": "verified", "NOT_OPTIMAL": "valid-not-optimal", "REJECTED": "rejected"},
}


def _enums_in(doc, path="doc"):
    """Paths of every Enum instance inside a JSON-like document."""
    if isinstance(doc, Enum):
        return [path]
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _enums_in(v, f"{path}.{k}")]
    if isinstance(doc, (list, tuple)):
        return [p for i, v in enumerate(doc) for p in _enums_in(v, f"{path}[{i}]")]
    return []


def _plain(doc):
    """The document with every enum replaced by its value (what the strings were before)."""
    if isinstance(doc, Enum):
        return doc.value
    if isinstance(doc, dict):
        return {k: _plain(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_plain(v) for v in doc]
    return doc


@pytest.mark.parametrize("enum", list(VALUES), ids=lambda e: e.__name__)
def test_members_are_their_strings(enum):
    assert {m.name: m.value for m in enum} == VALUES[enum]
    for m in enum:
        assert isinstance(m, str) and m == m.value
        assert str(m) == f"{m}" == m.value                     # printed and formatted as before
        assert json.dumps(m) == json.dumps(m.value)            # serialised as before
        assert json.dumps({m: 1}) == json.dumps({m.value: 1})  # also as a key (the suite's counts)


def test_certificate_file_verdicts_map_from_the_enum():
    assert (VERDICT_UNIQUE, VERDICT_NOT_CERTIFIED) == ("unique", "uniqueness not certified")
    assert CertifiedVerdict(VERDICT_UNIQUE) is CertifiedVerdict.UNIQUE


def test_report_json_unchanged_by_the_enums():
    X, y, lam, theta, amp, *_ = symmetric_continuum()
    rep = analyse(solution_from_measure(X, y, lam, theta, amp))
    assert rep.unique is Verdict.NOT_UNIQUE and rep.unique_function is Verdict.UNIQUE
    assert all(isinstance(a.location, AtomLocation) for a in rep.atoms)
    doc = rep.to_dict()
    assert not _enums_in(doc)
    assert doc["unique"] == "not unique" and doc["unique_function"] == "unique"
    assert {a["location"] for a in doc["atoms"]} <= {"interior", "boundary"}
    # ND1-ND4 are CheckResults; the report keeps the keys of relucert.certificate-report/1
    assert all(isinstance(c, CheckResult) for c in rep.conditions)
    assert [sorted(c) for c in doc["conditions"]] == [["detail", "holds", "margin", "name"]] * 4
    assert [c["holds"] for c in doc["conditions"]] == [c.passed for c in rep.conditions]


def test_certificate_file_bytes_unchanged_by_the_enums(tmp_path):
    kp = by_construction(5, 1, 0.1, 0)
    pred = relu_features(lift(kp.X), kp.theta) @ kp.amplitude
    sol = Solution(X=kp.X, y=kp.y, lam=kp.lam, theta=kp.theta, amplitude=kp.amplitude, objective=kp.objective,
                   tv_norm=float(np.abs(kp.amplitude).sum()), dual=kp.p, predictions=pred, max_abs_certificate=1.0,
                   duality_gap=0.0, n_chambers=0, status=Status.OPTIMAL, method="by_construction")
    cert = make_exact_certificate(sol)
    assert isinstance(cert.unique, CertifiedVerdict)
    assert not _enums_in(cert.document)                       # the file format holds plain strings
    write_certificate(tmp_path / "a.json", cert.document)
    write_certificate(tmp_path / "b.json", _plain(cert.document))
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert read_certificate(tmp_path / "a.json")["uniqueness"]["verdict"] == cert.unique.value
    report = check_certificate(cert.document)
    assert report.passed
    assert json.dumps(report.to_dict()) == json.dumps(_plain(report.to_dict()))
    assert json.dumps(cert.summary()) == json.dumps(_plain(cert.summary()))
