"""``relucert certify --exact`` and ``relucert.certify(exact=True)`` at d >= 4 and beyond
enumeration (issue 13, item 2): format /2 written and verified by the independent checker,
the report read from the near-extremal chambers when the chambers are not listed."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import relucert
import relucert.arrangement
from relucert.cli import main
from relucert.data import save_data
from relucert.verify import check
from relucert.verify.analysis import analyse


def _problem(n, d, seed, lam=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.maximum(X @ rng.standard_normal(d), 0.0) + 0.1 * rng.standard_normal(n)
    return X, y, lam


def test_api_exact_writes_tree_format_at_d4_and_chamber_format_below(tmp_path):
    X, y, lam = _problem(8, 4, 5)
    rep = relucert.certify(X, y, lam, exact=True, progress=False)
    assert rep.exact is not None and rep.exact.document["format"] == "relucert.exact-certificate/2"
    rep.exact.write(tmp_path / "d4.json")
    out = check(tmp_path / "d4.json")
    assert out.passed and out.lower <= Fraction(rep.objective) <= out.upper * (1 + Fraction(1, 10 ** 9))
    X2, y2, lam2 = _problem(10, 2, 0)
    rep2 = relucert.certify(X2, y2, lam2, exact=True, progress=False)
    assert rep2.exact.document["format"] == "relucert.exact-certificate/1"
    assert relucert.certify(X2, y2, lam2, progress=False).exact is None


def test_cli_exact_at_d4_writes_and_checks_format_2(tmp_path, capsys):
    X, y, lam = _problem(8, 4, 5)
    path, cert = tmp_path / "d4.npz", tmp_path / "d4.cert.json"
    save_data(path, X, y)
    assert main(["certify", str(path), "--lam", str(lam), "--exact", "--out", str(cert), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "relucert.exact-certificate/2" in out and "dual regions: " in out
    assert json.loads(cert.read_text())["format"] == "relucert.exact-certificate/2"
    assert main(["check", str(cert)]) == 0


def test_beyond_enumeration_the_report_reads_the_near_extremal_chambers(tmp_path, capsys, monkeypatch):
    """With the enumeration limit lowered below the chamber count, certify solves by branch
    and bound, reports from the near-extremal chambers (the same E and verdicts as the
    report from all chambers) and writes format /2."""
    X, y, lam = _problem(12, 3, 2)
    sol = relucert.solve(X, y, lam, progress=False)
    full = analyse(sol)
    monkeypatch.setattr(relucert.arrangement, "DEFAULT_MAX_CHAMBERS", 10)
    rep = relucert.certify(sol, exact=True, progress=False)
    assert rep.unlisted_max is not None and rep.n_chambers < full.n_chambers
    E1 = sorted((q.sign, tuple(np.round(q.theta, 9))) for q in full.extremal.points)
    E2 = sorted((q.sign, tuple(np.round(q.theta, 9))) for q in rep.extremal.points)
    assert E1 == E2 and (rep.unique, rep.unique_function) == (full.unique, full.unique_function)
    # the band follows the instance and its level decided nothing (proofs/near_extremal_chambers.md)
    assert rep.band_decides is False and rep.outside_excluded_rigorously == full.outside_excluded_rigorously
    assert rep.exact.document["format"] == "relucert.exact-certificate/2"
    with pytest.raises(ValueError, match="needs every chamber"):
        relucert.certify(sol, p0=True)
    path, cert, js = tmp_path / "d3.npz", tmp_path / "d3.cert.json", tmp_path / "d3.report.json"
    save_data(path, X, y)
    code = main(["certify", str(path), "--lam", str(lam), "--oracle", "bab", "--exact", "--out", str(cert),
                 "--json", str(js), "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "near-extremal chambers, found by branch and bound" in out and "the verdicts are full enumeration's" in out
    doc = json.loads(js.read_text())
    assert doc["chambers_listed"] == "near-extremal" and doc["unlisted_region_max_bound"] < 1
    assert doc["unlisted_bound_decides"] is False
    assert json.loads(cert.read_text())["format"] == "relucert.exact-certificate/2"
    assert main(["check", str(cert)]) == 0
