"""`relucert solve` and `relucert demo`."""
import json

import numpy as np
import pytest

from relucert.cli import main
from relucert.data import save_data

KEYS = {"format", "status", "lam", "objective", "tv_norm", "atoms", "dual", "max_abs_certificate",
        "duality_gap", "n_chambers"}


@pytest.fixture
def data1(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (7, 1))
    p = tmp_path / "d1.npz"
    save_data(p, X, np.abs(X[:, 0]) + 0.1 * rng.standard_normal(7))
    return p


def test_solve_json_and_plot_d1(tmp_path, data1, capsys):
    out = tmp_path / "s.json"
    png = tmp_path / "s.png"
    assert main(["solve", str(data1), "--lam", "0.05", "--json", str(out), "--plot", str(png)]) == 0
    doc = json.loads(out.read_text())
    assert KEYS <= set(doc)
    assert doc["format"] == "relucert.solution/1" and doc["status"] == "optimal" and doc["lam"] == 0.05
    assert all(set(a) == {"theta", "amplitude"} and len(a["theta"]) == 2 for a in doc["atoms"])
    assert len(doc["dual"]) == 7 and doc["duality_gap"] <= 1e-9 * max(1, doc["objective"])
    assert png.stat().st_size > 0
    text = capsys.readouterr().out
    assert "neurons" in text and "duality gap" in text and "max |eta|" in text


def test_solve_json_stdout_is_one_document(data1, capsys):
    assert main(["solve", str(data1), "--lam", "0", "--method", "socp", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["lam"] == 0.0 and doc["method"] == "socp"


def test_solve_plot_d2(tmp_path):
    rng = np.random.default_rng(1)
    p = tmp_path / "d2.csv"
    X = rng.uniform(-1, 1, (6, 2))
    np.savetxt(p, np.hstack([X, X[:, :1]]), delimiter=",")
    assert main(["solve", str(p), "--lam", "0.1", "--plot", str(tmp_path / "f.png"), "--no-progress"]) == 0
    assert (tmp_path / "f.png").stat().st_size > 0


def test_solve_usage_errors(tmp_path, data1, capsys):
    assert main(["solve", str(data1), "--lam", "-1"]) == 2
    assert "lam" in capsys.readouterr().err
    p = tmp_path / "dup.npz"
    save_data(p, np.array([[0.0], [0.0], [1.0]]), np.array([0.0, 1.0, 2.0]))
    assert main(["solve", str(p), "--lam", "0"]) == 2
    assert "samples 0 and 1" in capsys.readouterr().err
    assert main(["solve", str(data1)]) == 2              # --lam is required


def test_demo_solves_and_writes_figures(tmp_path, capsys):
    assert main(["demo", "--out-dir", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "status: optimal" in out and "duality gap" in out
    assert (tmp_path / "fit.png").stat().st_size > 0 and (tmp_path / "regions.png").stat().st_size > 0
    assert str(tmp_path) in out
