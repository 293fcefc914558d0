"""Issue 16: the finite-lasso backend is a user's choice (``qp_backend``) in relucert.solve,
relucert.certify, TVReLURegressor and ``relucert solve --qp-backend``. The DAQP answer is
checked against the default's by the exact certificate builder (its interval, proved in
rational arithmetic and re-checked by the independent checker), not against the solver."""
import json

import numpy as np
import pytest

from relucert import TVReLURegressor, certify, solve
from relucert.cli import main
from relucert.data import save_data
from relucert.examples import battery
from relucert.verify import make_exact_certificate

LAM = 0.01


@pytest.fixture(scope="module")
def data():
    return battery("gauss-smooth", 20, 2, seed=0)


def _backends(sol) -> set[str]:
    """Who answered the rounds' finite programs (the first round has no columns: "empty")."""
    return {h["qp"].split()[0] for h in sol.info["history"]} - {"empty"}


def test_daqp_answer_is_the_default_optimum_by_exact_certificates(data):
    X, y = data
    default = solve(X, y, LAM)
    daqp = solve(X, y, LAM, qp_backend="daqp")
    assert default.status.value == daqp.status.value == "optimal"
    assert _backends(daqp) == {"daqp"} and "daqp" not in _backends(default)
    a, b = make_exact_certificate(default, progress=False), make_exact_certificate(daqp, progress=False)
    # each interval [lower, upper] holds the optimum (proved exactly): they must meet, and each is
    # within the acceptance rule's gap (relative to max(1, objective) in the solver's units, y / c_y)
    assert a.lower_bound <= b.upper_bound and b.lower_bound <= a.upper_bound
    c_y = default.info["scaling"]["y"]
    for cert in (a, b):
        assert float(cert.gap) <= default.tol.obj_gap * max(c_y * c_y, default.objective)
    assert abs(default.objective - daqp.objective) <= float(a.gap + b.gap) + default.tol.obj_gap * default.objective


@pytest.mark.parametrize("bad", ["osqp", "DAQP", "", 3])
def test_unknown_backend_is_rejected_naming_the_field(data, bad):
    X, y = data
    with pytest.raises(ValueError, match=r"qp_backend must be one of \['active-set', 'daqp'\]"):
        solve(X, y, LAM, qp_backend=bad)
    with pytest.raises(ValueError, match="qp_backend"):
        TVReLURegressor(lam=LAM, qp_backend=bad, exact_verify=False).fit(X, y)
    with pytest.raises(ValueError, match="qp_backend"):
        certify(X, y, LAM, qp_backend=bad)


def test_daqp_with_socp_is_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="qp_backend: only method='exchange'"):
        solve(X, y, LAM, method="socp", qp_backend="daqp")


def test_daqp_missing_names_the_qp_extra(data, monkeypatch):
    import relucert.lp.daqp_lasso as daqp_lasso

    monkeypatch.setattr(daqp_lasso, "available", lambda: False)
    X, y = data
    with pytest.raises(ImportError, match=r"pip install relucert\[qp\]"):
        solve(X, y, LAM, qp_backend="daqp")
    with pytest.raises(ImportError, match=r"relucert\[qp\]"):
        TVReLURegressor(lam=LAM, qp_backend="daqp").fit(X, y)


def test_estimator_round_trips_the_backend(data):
    X, y = data
    est = TVReLURegressor(lam=LAM, exact_verify=False)
    assert est.get_params()["qp_backend"] == "active-set"
    assert est.set_params(qp_backend="daqp") is est and est.get_params()["qp_backend"] == "daqp"
    try:
        from sklearn.base import clone
    except ImportError:
        clone = None
    if clone is not None:
        assert clone(est).qp_backend == "daqp"
    est.fit(X, y)
    assert est.status_ == "optimal" and _backends(est.result_) == {"daqp"}
    ref = solve(X, y, LAM)
    assert abs(est.result_.objective - ref.objective) <= est.result_.duality_gap + ref.duality_gap \
        + ref.tol.obj_gap * ref.objective


def test_cli_flag(tmp_path, data, capsys):
    X, y = data
    p = tmp_path / "d.npz"
    save_data(p, X, y)
    out = tmp_path / "s.json"
    assert main(["solve", str(p), "--lam", str(LAM), "--qp-backend", "daqp", "--no-progress",
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["status"] == "optimal"
    ref = solve(X, y, LAM)
    assert abs(doc["objective"] - ref.objective) <= doc["duality_gap"] + ref.duality_gap \
        + ref.tol.obj_gap * ref.objective
    capsys.readouterr()
    assert main(["solve", str(p), "--lam", str(LAM), "--qp-backend", "osqp"]) == 2
    assert "--qp-backend" in capsys.readouterr().err


def test_certify_takes_the_backend(tmp_path, capsys):
    """`relucert certify --qp-backend daqp` and `relucert.certify(..., qp_backend="daqp")`: the
    solve step runs on DAQP and the report is that of an optimum."""
    X, y = battery("teacher", 10, 1, seed=0)
    report = certify(X, y, LAM, qp_backend="daqp")
    assert report.solution.status.value == "optimal" and _backends(report.solution) == {"daqp"}
    p = tmp_path / "d.npz"
    save_data(p, X, y)
    assert main(["certify", str(p), "--lam", str(LAM), "--qp-backend", "daqp", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["certify", str(p), "--lam", str(LAM), "--method", "socp", "--qp-backend", "daqp"]) == 2
    assert "qp_backend: only method='exchange'" in capsys.readouterr().err
