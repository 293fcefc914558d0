"""relucert.certify end to end with the solver, and the `relucert certify` command."""
import json
import os

import numpy as np
import pytest

import relucert
from relucert.arrangement import lift
from relucert.cli import main
from relucert.data import save_data
from relucert.solution import relu_features


def _data(n=10, d=1, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


@pytest.fixture(scope="module")
def solved():
    X, y = _data()
    lam = 0.03
    return X, y, lam, relucert.solve(X, y, lam)


def test_certify_solver_output_and_witnesses_resolved(solved):
    X, y, lam, sol = solved
    rep = relucert.certify(sol, y, lam, X=X)
    assert rep.one_extremum_per_region
    assert rep.support_size <= rep.support_bound <= rep.n_extremal_pairs
    # random 1-D data: antipodal pairs make the measure non-unique, the function unique
    assert rep.unique == "not unique" and rep.unique_function == "unique"
    assert rep.uniqueness.antipodal_pairs
    # witnesses re-solved: an independent method (the full SOCP over every chamber) gives
    # the same optimal value as both witness networks
    ref = relucert.solve(X, y, lam, method="socp").objective
    Xl = lift(X)
    for w in rep.witnesses:
        for th, c in w.networks():
            pred = relu_features(Xl, th) @ c
            obj = 0.5 * np.sum((pred - y) ** 2) + lam * np.sum(np.abs(c))
            assert obj == pytest.approx(ref, rel=1e-7)
            np.testing.assert_allclose(pred, sol.predictions, atol=1e-7)
        assert w.max_amplitude_diff > 1e-3


def test_certify_from_data_solves_first():
    X, y = _data(6, 1, 4)
    rep = relucert.certify(X, y, 0.1)
    sol = relucert.solve(X, y, 0.1)
    assert rep.objective == pytest.approx(sol.objective, rel=1e-9)


def _run(tmp_path, *extra, lam="0.03"):
    X, y = _data()
    path = os.fspath(tmp_path / "data.npz")
    save_data(path, X, y)
    return main(["certify", path, "--lam", lam, *extra])


def test_cli_certify_json_and_plot(tmp_path, capsys):
    out = tmp_path / "rep.json"
    png = tmp_path / "eta.png"
    assert _run(tmp_path, "--json", os.fspath(out), "--plot", os.fspath(png)) == 0
    text = capsys.readouterr().out
    assert "measure:" in text and "function:" in text and "ND3" in text and "location" in text
    doc = json.loads(out.read_text())
    assert doc["format"] == "relucert.certificate-report/1"
    assert doc["unique"] in ("unique", "not unique", "undetermined")
    assert doc["unique_function"] in ("unique", "not unique", "undetermined")
    for key in ("support_size", "n_chambers", "support_bound", "one_extremum_per_region",
                "nondegenerate", "atoms", "witnesses", "regions"):
        assert key in doc
    a = doc["atoms"][0]
    assert set(a) >= {"theta", "amplitude", "location", "hyperplanes"}
    assert png.stat().st_size > 10000


def test_cli_certify_plot_d2(tmp_path):
    from problems import by_construction

    kp = by_construction(7, 2, 0.1, 0)
    path = os.fspath(tmp_path / "d2.npz")
    save_data(path, kp.X, kp.y)
    png = tmp_path / "eta2.png"
    assert main(["certify", path, "--lam", "0.1", "--plot", os.fspath(png)]) == 0
    assert png.stat().st_size > 10000


def test_cli_certify_usage_errors(tmp_path, capsys):
    assert main(["certify", "missing.npz", "--lam", "0.1"]) == 2
    assert _run(tmp_path, lam="-1") == 2
    assert main(["certify"]) == 2
    assert _run(tmp_path, "--exact") == 2  # --exact needs --out
    assert "--out" in capsys.readouterr().err


def test_cli_certify_exact_contract(tmp_path, capsys):
    """--exact --out calls relucert.verify.certificate_builder.make_exact_certificate (issue 5); without
    that module it is a clear usage error."""
    cert = tmp_path / "cert.json"
    code = _run(tmp_path, "--exact", "--out", os.fspath(cert))
    try:
        import relucert.verify.certificate_builder  # noqa: F401  (only whether it imports)
    except ImportError:
        assert code == 2
        assert "exact certificates are not available" in capsys.readouterr().err
    else:
        assert code == 0 and cert.exists()


def test_cli_json_to_stdout_is_one_document(tmp_path, capsys):
    assert _run(tmp_path, "--json", "-") == 0
    out = capsys.readouterr()
    lines = [ln for ln in out.out.splitlines() if not ln.startswith(("Running HiGHS", "Includes third-party"))]
    doc = json.loads("\n".join(lines))
    assert doc["format"] == "relucert.certificate-report/1"
    assert "measure:" in out.err
