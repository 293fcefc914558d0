"""`relucert counterexample`: each kind is found on a fixed seed, re-verified and written."""
import json
import os

import numpy as np
import pytest

import relucert
from relucert.cli import main
from relucert.data import load_data


@pytest.mark.parametrize("kind,d", [("nonunique", 2), ("degenerate", 1), ("boundary", 1)])
def test_each_kind_found_and_reverified(tmp_path, capsys, kind, d):
    out = tmp_path / kind
    assert main(["counterexample", "--kind", kind, "--d", str(d), "--seed", "0", "--out-dir", os.fspath(out),
                 "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert len(text.split("\n")[0]) > 200  # the explanation paragraph
    data = load_data(out / "data.npz", extra=("lam",))
    lam = float(data["lam"])
    X, y = data["X"], data["y"]
    doc = json.loads((out / "data_report.json").read_text())
    assert doc["format"] == "relucert.certificate-report/1"
    assert (out / "data_eta.png").stat().st_size > 10000
    # independent re-verification from the written files: a fresh solve and certificate
    rep = relucert.certify(relucert.solve(X, y, lam))
    if kind == "nonunique":
        assert doc["unique"] == "not unique" and doc["witnesses"][0]["checked"]
        assert rep.unique == "not unique"
        w = doc["witnesses"][0]
        assert w["objective1"] == pytest.approx(rep.objective, rel=1e-9)
        assert w["objective2"] == pytest.approx(rep.objective, rel=1e-9)
    elif kind == "degenerate":
        assert not doc["nondegenerate"]
        nd1 = next(c for c in doc["conditions"] if c["name"] == "ND1")
        assert not nd1["holds"]
        pert = load_data(out / "perturbed.npz", extra=("lam",))
        assert np.linalg.norm(pert["y"] - y) < 0.01 * np.linalg.norm(y)
        rep2 = relucert.certify(relucert.solve(pert["X"], pert["y"], lam))
        assert rep.support_size != rep2.support_size
    else:
        assert any(a["location"] == "boundary" for a in doc["atoms"])
        assert any(a.location == "boundary" for a in rep.atoms)


def test_bad_options():
    assert main(["counterexample", "--kind", "nope"]) == 2
    assert main(["counterexample", "--kind", "boundary", "--d", "3"]) == 2
    assert main(["counterexample", "--kind", "boundary", "--max-tries", "0"]) == 2
    with pytest.raises(ValueError, match="kind"):
        from relucert.experiments.counterexamples import find_counterexample

        find_counterexample("other")
