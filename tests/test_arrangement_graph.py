"""Chamber cones (pycddlib, exact), the regions CLI and the regions plots."""
import json
from fractions import Fraction

import numpy as np
import pytest

from relucert.arrangement import chamber_cone, enumerate_chambers, general_position_count
from relucert.cli import main
from relucert.data import save_data


def _fdot(u, v):
    return sum(Fraction(a) * Fraction(float(b)) if not isinstance(b, Fraction) else Fraction(a) * b
               for a, b in zip(u, v))


@pytest.mark.parametrize("X", [
    np.array([[i, j] for i in range(3) for j in range(3)], float),
    np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.5, 0.5]]),  # on a line: cones with a line
    np.random.default_rng(2).standard_normal((6, 3)),
])
def test_cones_exact_and_facets_independent(X):
    import cdd

    arr = enumerate_chambers(X)
    for k in range(arr.n_chambers):
        cone = chamber_cone(arr, k)
        assert all(isinstance(v, Fraction) for row in cone.inequalities for v in row)
        # interior point strictly inside (exact), generators inside (exact)
        assert all(_fdot(g, arr.interior[k]) > 0 for g in cone.inequalities) or \
            k in (arr.rational_interior or {})
        for ray in cone.rays:
            assert all(_fdot(g, ray) >= 0 for g in cone.inequalities)
        for line in cone.lines:
            assert all(_fdot(g, line) == 0 for g in cone.inequalities)
        # rank deficiency of the data <=> the cones have a lineality space
        assert len(cone.lines) == arr.d + 1 - np.linalg.matrix_rank(arr.X_lift)
        # independent facet check: cdd's redundancy removal on ALL n sign constraints
        s = arr.sign_matrix([k])[0]
        rows = [[0] + [Fraction(float(v)) * int(si) for v in x] for x, si in zip(arr.X_lift, s)]
        mat = cdd.Matrix(rows, number_type="fraction")
        mat.rep_type = cdd.RepType.INEQUALITY
        kept = set(range(len(rows))) - set(mat.canonicalize()[1])
        kept_rows = {tuple(rows[i][1:]) for i in kept}
        facet_rows = {tuple(r) for r in cone.inequalities}
        assert kept_rows == facet_rows
        # and every copy of a facet's point is listed among the facets
        listed = set(arr.facets(k).tolist())
        assert listed == {i for i in range(arr.n) if tuple(rows[i][1:]) in facet_rows}
    assert chamber_cone(arr, 0, number_type="float").inequalities
    with pytest.raises(ValueError, match="number_type"):
        chamber_cone(arr, 0, number_type="double")
    with pytest.raises(ValueError, match="chamber index"):
        chamber_cone(arr, arr.n_chambers)


def test_regions_cli_json_plot_and_omission(tmp_path, capsys):
    p = tmp_path / "d.npz"
    X = np.random.default_rng(0).standard_normal((8, 2))
    save_data(p, X, np.zeros(8))
    out = tmp_path / "r.json"
    png = tmp_path / "r.png"
    assert main(["regions", str(p), "--json", str(out), "--plot", str(png), "--no-progress"]) == 0
    doc = json.loads(out.read_text())
    assert {"n", "d", "n_chambers", "general_position", "chambers"} <= set(doc)
    assert doc["n_chambers"] == general_position_count(8, 2) == len(doc["chambers"])
    assert doc["general_position"] is True
    c = doc["chambers"][0]
    assert len(c["signs"]) == 8 and len(c["interior_point"]) == 3 and c["facets"]
    assert png.stat().st_size > 10000
    # degenerate data: general_position false
    save_data(p, np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), np.zeros(3))
    assert main(["regions", str(p), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["general_position"] is False and doc["n_chambers"] == 6
    # more than 10000 chambers: listed only with --all
    big = np.random.default_rng(1).standard_normal((150, 2))
    save_data(p, big, np.zeros(150))
    assert main(["regions", str(p), "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["n_chambers"] == general_position_count(150, 2) > 10000 and "chambers" not in doc
    capsys.readouterr()
    # JSON on stdout holds only the document
    save_data(p, X[:3, :1], np.zeros(3))
    assert main(["regions", str(p), "--json", "-", "--all"]) == 0
    assert json.loads(capsys.readouterr().out)["n_chambers"] == 6


def test_regions_cli_errors(tmp_path, capsys):
    p = tmp_path / "d3.npz"
    save_data(p, np.random.default_rng(0).standard_normal((5, 3)), np.zeros(5))
    assert main(["regions", str(p), "--plot", str(tmp_path / "x.png")]) == 2
    assert "d = 1 or 2" in capsys.readouterr().err
    q = tmp_path / "nan.csv"
    q.write_text("x,y\n1,2\nnan,3\n")
    assert main(["regions", str(q)]) == 2
    assert "finite" in capsys.readouterr().err
    big = tmp_path / "big.npz"
    save_data(big, np.random.default_rng(0).standard_normal((60, 3)), np.zeros(60))
    assert main(["regions", str(big), "--max-chambers", "100"]) == 2
    assert "max_chambers" in capsys.readouterr().err


def test_plots_written(tmp_path):
    from relucert.plots import plot_regions

    a1 = enumerate_chambers(np.array([[0.0], [1.0], [1.0], [-2.0]]))
    a2 = enumerate_chambers(np.array([[i, j] for i in range(3) for j in range(3)], float))
    assert (tmp_path / "a1.png").exists() is False
    plot_regions(a1, tmp_path / "a1.png")
    plot_regions(a2, tmp_path / "a2.png")
    assert (tmp_path / "a1.png").stat().st_size > 10000 and (tmp_path / "a2.png").stat().st_size > 10000
    with pytest.raises(ValueError, match="d = 1 or 2"):
        plot_regions(enumerate_chambers(np.eye(3)), tmp_path / "a3.png")
