"""Issue 16: ``qp_backend`` also reaches the regularisation path (``solve_path``,
``relucert path --qp-backend``) and ``TVReLURegressorCV``. Every DAQP point is compared
with the default backend's point at the same lam (a different QP algorithm), within the
two certified gaps."""
import json

import pytest

from relucert import TVReLURegressorCV, solve_path
from relucert.cli import main
from relucert.data import save_data
from relucert.examples import battery

LAMS = [0.1, 0.01]


@pytest.fixture(scope="module")
def data():
    return battery("gauss-kinked", 15, 1, seed=1)


def _backends(sol) -> set[str]:
    """Who answered the rounds' finite programs (a round without columns: "empty")."""
    return {h["qp"].split()[0] for h in sol.info["history"]} - {"empty"}


def _close(a, b, gap_a, gap_b, tol) -> bool:
    return abs(a - b) <= gap_a + gap_b + tol.obj_gap * max(abs(a), abs(b))


def test_path_points_solved_by_daqp_match_the_default(data):
    X, y = data
    ref = solve_path(X, y, LAMS, progress=False)
    path = solve_path(X, y, LAMS, progress=False, qp_backend="daqp")
    assert path.success and ref.success
    assert set().union(*(_backends(s) for s in path.solutions)) == {"daqp"}
    assert "daqp" not in set().union(*(_backends(s) for s in ref.solutions))
    for pt, pr in zip(path.points, ref.points):
        assert pt.lam == pr.lam
        assert _close(pt.objective, pr.objective, pt.duality_gap, pr.duality_gap, path.tol)


def test_path_rejects_an_unknown_backend_naming_the_field(data):
    X, y = data
    with pytest.raises(ValueError, match="qp_backend"):
        solve_path(X, y, LAMS, progress=False, qp_backend="osqp")


def test_path_cli_flag(tmp_path, data, capsys):
    X, y = data
    p = tmp_path / "d.npz"
    save_data(p, X, y)
    out = tmp_path / "path.json"
    assert main(["path", str(p), "--lams", "0.1:0.01:2", "--qp-backend", "daqp", "--no-progress",
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert [pt["status"] for pt in doc["points"]] == ["optimal", "optimal"]
    capsys.readouterr()
    assert main(["path", str(p), "--qp-backend", "osqp"]) == 2
    assert "--qp-backend" in capsys.readouterr().err


def test_cv_takes_the_backend(data):
    from sklearn.base import clone

    X, y = data
    est = TVReLURegressorCV(lams=LAMS, cv=3, exact_verify=False)
    assert est.get_params()["qp_backend"] == "active-set"
    assert est.set_params(qp_backend="daqp") is est and clone(est).qp_backend == "daqp"
    est.fit(X, y)
    ref = TVReLURegressorCV(lams=LAMS, cv=3, exact_verify=False).fit(X, y)
    assert est.lam_ == ref.lam_ and est.status_ == ref.status_ == "optimal"
    assert est.estimator_.qp_backend == "daqp" and _backends(est.result_) <= {"daqp"}
    assert _close(est.result_.objective, ref.result_.objective, est.dual_gap_, ref.dual_gap_, est.result_.tol)
    with pytest.raises(ValueError, match="qp_backend"):
        TVReLURegressorCV(lams=LAMS, cv=3, qp_backend="osqp").fit(X, y)
