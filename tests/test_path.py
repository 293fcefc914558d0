"""The certified regularisation path (issue 15, part 1): relucert.solve_path, lam_max and
`relucert path`, checked against independent solves and the lemmas of
proofs/regularisation_path.md."""
import json
import warnings

import numpy as np
import pytest

import relucert
from relucert import solve
from relucert._model import eta, lift
from relucert.cli import main
from relucert.data import save_data
from relucert.errors import ConvergenceWarning
from relucert.path import PATH_FORMAT, lam_max, solve_path


def _data(d, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(2 * X[:, 0]) + X[:, -1] ** 2 / 2 + rng.standard_normal(n) / 10
    return X, y


@pytest.fixture(scope="module")
def path1():
    X, y = _data(1, 12, 0)
    return solve_path(X, y, n_lams=7, progress=False)


@pytest.fixture(scope="module")
def path2():
    X, y = _data(2, 9, 1)
    return solve_path(X, y, n_lams=6, progress=False)


def test_lam_max_closed_forms():
    # two points: eta_y(theta) = relu(theta_1 + theta_2), maximal at (1, 1)/sqrt(2)
    assert lam_max([[0.0], [1.0]], [0.0, 1.0]) == pytest.approx(np.sqrt(2), rel=1e-12)
    # y = 1 at x = 0, 1, 2: on the all-active chamber eta = <theta, (3, 3)>, whose maximiser
    # (1, 1)/sqrt(2) lies in it; every other chamber's vector has a smaller norm
    assert lam_max([[0.0], [1.0], [2.0]], [1.0, 1.0, 1.0]) == pytest.approx(3 * np.sqrt(2), rel=1e-12)
    assert lam_max([[0.0], [1.0]], [0.0, 0.0]) == 0.0


@pytest.mark.parametrize("d", [1, 2])
def test_lam_max_between_sampled_maximum_and_cauchy_schwarz(d):
    X, y = _data(d, 10, 5 + d)
    top = lam_max(X, y)
    Xl = lift(X)
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((200_000, d + 1))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    sampled = float(np.max(np.abs(eta(Xl, y, theta))))  # a lower bound (sampled maximum)
    assert sampled <= top * (1 + 1e-12)
    assert top <= float(np.abs(y) @ np.linalg.norm(Xl, axis=1))
    assert sampled >= top * (1 - 1e-3)  # dense sampling gets close to the exact maximum


@pytest.mark.parametrize("d", [1, 2])
def test_lam_max_separates_zero_from_nonzero(d):
    X, y = _data(d, 10, 10 + d)
    top = lam_max(X, y)
    above = solve(X, y, top * (1 + 1e-6))
    assert above.success and above.n_atoms == 0
    assert above.objective == pytest.approx(0.5 * float(y @ y), rel=1e-12)
    below = solve(X, y, top * (1 - 1e-3))
    assert below.success and below.n_atoms > 0
    assert below.objective < 0.5 * float(y @ y)


def _check_path(path):
    assert path.success
    lams = path.lams
    assert np.all(np.diff(lams) < 0)
    assert lams[0] == pytest.approx(path.lam_max, rel=1e-15) and path.points[0].n_neurons == 0
    for pt in path.points:
        ref = solve(path.X, path.y, pt.lam)  # an independent solve at the same lam
        assert ref.success
        # both certified: each objective is within its own duality gap of the optimum, so
        # they differ by at most the sum of the gaps (the gap tolerance is relative to
        # max(1, |objective|) in the solver's units, hence looser than 1e-9 of a small
        # objective); and to 1e-9 relative wherever the gaps allow it
        assert abs(pt.objective - ref.objective) <= pt.duality_gap + ref.duality_gap + 4 * np.finfo(float).eps * abs(ref.objective)
        if pt.duality_gap + ref.duality_gap <= 1e-10 * abs(ref.objective):
            assert pt.objective == pytest.approx(ref.objective, rel=1e-9)
        assert pt.relative_gap <= path.tol.obj_gap
        # optimality is the certified gap of the SCALED dual p / max(1, max|eta_p|)
        # (issue 16, proofs/exchange_method.md): max|eta_p| itself may exceed 1 by a little
        assert pt.max_abs_certificate <= 1 + path.tol.polish_violation
        assert len(pt.theta) == pt.n_neurons == len(pt.amplitude)


def test_points_equal_independent_solves_1d(path1):
    _check_path(path1)


def test_points_equal_independent_solves_2d(path2):
    _check_path(path2)


@pytest.mark.parametrize("which", ["path1", "path2"])
def test_tv_norm_non_increasing(which, request):
    """Lemma 2 with certified gaps: R2 - R1 <= (G1 + G2) / (lam2 - lam1) for lam1 < lam2,
    and F1 - F2 <= lam1 (R2 - R1) + G1 for the training loss F."""
    path = request.getfixturevalue(which)
    n = len(path.y)
    pts = path.points
    for big, small in zip(pts, pts[1:]):  # big.lam > small.lam
        slack = (big.duality_gap + small.duality_gap) / (big.lam - small.lam)
        assert big.tv_norm <= small.tv_norm + slack + path.tol.rtol * small.tv_norm
        f_big, f_small = 0.5 * n * big.train_mse, 0.5 * n * small.train_mse
        assert f_small - f_big <= small.lam * (big.tv_norm - small.tv_norm) + small.duality_gap + \
            path.tol.rtol * max(f_big, 1.0)
    assert pts[-1].tv_norm > pts[0].tv_norm == 0.0


def test_explicit_lams_sorted_decreasing_and_deduplicated():
    X, y = _data(1, 8, 3)
    path = solve_path(X, y, [0.01, 1.0, 0.1, 1.0], progress=False)
    assert path.lams.tolist() == [1.0, 0.1, 0.01]
    assert path.lam_max == pytest.approx(lam_max(X, y), rel=1e-15)


def test_non_optimal_point_is_a_status_with_a_warning():
    X, y = _data(2, 14, 4)
    with pytest.warns(ConvergenceWarning, match="not optimal"):
        path = solve_path(X, y, [0.05, 0.01], max_iter=1, progress=False)
    assert not path.success
    bad = [pt for pt in path.points if not pt.success]
    assert bad and all(pt.status.value == "limit" and pt.message for pt in bad)
    assert all(pt.relative_gap > path.tol.obj_gap for pt in bad)
    doc = path.to_dict()
    assert doc["all_optimal"] is False
    assert [p["status"] for p in doc["points"]] == [pt.status.value for pt in path.points]


def test_errors():
    X, y = _data(1, 6, 0)
    with pytest.raises(ValueError, match="lams"):
        solve_path(X, y, [1.0, -1.0], progress=False)
    with pytest.raises(ValueError, match="lams"):
        solve_path(X, y, [], progress=False)
    with pytest.raises(ValueError, match="lams"):
        solve_path(X, y, [0.0], progress=False)
    with pytest.raises(ValueError, match="every label is 0"):
        solve_path(X, np.zeros(6), progress=False)
    with pytest.raises(ValueError, match="n_lams"):
        solve_path(X, y, n_lams=0, progress=False)
    assert relucert.solve_path is solve_path


def test_cli_json_and_plot(tmp_path, capsys):
    X, y = _data(1, 8, 2)
    data = tmp_path / "d.npz"
    save_data(data, X, y)
    out, fig = tmp_path / "path.json", tmp_path / "path.png"
    assert main(["path", str(data), "--lams", "max:0.01:4", "--json", str(out), "--plot", str(fig),
                 "--no-progress"]) == 0
    doc = json.loads(out.read_text())
    assert doc["format"] == PATH_FORMAT == "relucert.path/1" and doc["all_optimal"] is True
    assert len(doc["points"]) == 4 and doc["n_rows"] == 8
    lams = [p["lam"] for p in doc["points"]]
    assert lams[0] == pytest.approx(lam_max(X, y), rel=1e-15) and lams[-1] == pytest.approx(0.01)
    for p in doc["points"]:
        assert {"lam", "objective", "status", "duality_gap", "max_abs_certificate", "atoms"} <= set(p)
        assert p["objective"] == pytest.approx(solve(X, y, p["lam"]).objective, rel=1e-9)
    assert fig.stat().st_size > 0
    capsys.readouterr()
    assert main(["path", str(data), "--lams", "1:0.1:2", "--json", "-", "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["points"][1]["lam"] == pytest.approx(0.1)


@pytest.mark.parametrize("spec", ["1:2", "a:1:3", "1:0:3", "1:0.1:0", "1:0.1:x"])
def test_cli_bad_lams_is_a_usage_error(tmp_path, spec, capsys):
    data = tmp_path / "d.npz"
    save_data(data, *_data(1, 5, 0))
    assert main(["path", str(data), "--lams", spec]) == 2
    assert "--lams" in capsys.readouterr().err


def test_plot_2d_and_non_optimal(tmp_path, path2):
    from relucert.plot_path import plot_path

    fig = tmp_path / "p2.png"
    plot_path(path2, fig)
    assert fig.stat().st_size > 0
    X, y = _data(3, 6, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        path3 = solve_path(X, y, [0.1], max_iter=1, progress=False)
    plot_path(path3, tmp_path / "p3.png")  # d = 3: no kink panel, non-optimal points marked
    assert (tmp_path / "p3.png").stat().st_size > 0
