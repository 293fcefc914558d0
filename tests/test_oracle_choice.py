"""``relucert.solve(oracle=..., time_limit=...)``, ``TVReLURegressor(oracle=, time_limit=)``
and the CLI's ``--oracle`` / ``--time-limit``: the branch-and-bound oracle against the
enumeration oracle and the independent SOCP over every chamber (clarabel); a time-limited
run's certified lower bound against the optimum of an unlimited enumeration solve."""
import json
import warnings

import numpy as np
import pytest

import relucert
from relucert.cli import main
from relucert.data import save_data
from relucert.errors import ConvergenceWarning, SolverError
from relucert.estimator import TVReLURegressor
from relucert.solver import choose_oracle
from relucert.tolerances import AUTO_ENUMERATION_MAX_CHAMBERS, DEFAULT


def _problem(d, n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(X.sum(axis=1)) + 0.1 * rng.standard_normal(n)
    return X, y


def _certified(sol):
    # a gap at rounding level may come out below 0
    return sol.status.value == "optimal" and abs(sol.certified_rel_gap) <= DEFAULT.obj_gap


@pytest.mark.parametrize("d, n, lam, seed", [(1, 12, 0.05, 1), (2, 10, 0.05, 2), (3, 8, 0.1, 5), (2, 8, 0.0, 2)])
def test_bab_equals_enumeration_and_socp(d, n, lam, seed, monkeypatch):
    X, y = _problem(d, n, seed=seed)
    enum = relucert.solve(X, y, lam, oracle="enumerate", progress=False)
    socp = relucert.solve(X, y, lam, method="socp", progress=False)

    def no_chambers(*args, **kwargs):
        raise AssertionError("oracle='bab' enumerated the chambers")

    monkeypatch.setattr("relucert.arrangement.enumerate_chambers", no_chambers)
    bab = relucert.solve(X, y, lam, oracle="bab", progress=False)
    monkeypatch.undo()
    assert _certified(enum) and _certified(bab)
    assert bab.info["oracle"] == "bab" and bab.n_chambers == 0
    scale = max(1.0, abs(enum.objective))
    assert abs(bab.objective - enum.objective) <= 1e-8 * scale
    assert abs(bab.objective - socp.objective) <= 1e-6 * scale
    # both lower bounds are certified: below the objective of the other run, within the gap
    assert bab.certified_lower_bound <= enum.objective + 1e-12 * scale
    assert enum.certified_lower_bound <= bab.objective + 1e-12 * scale
    np.testing.assert_allclose(bab.predictions, enum.predictions, atol=1e-5 * np.max(np.abs(y)))


def test_bab_at_d4_against_enumeration():
    X, y = _problem(4, 15, seed=2)
    bab = relucert.solve(X, y, 1.0, oracle="bab", progress=False)
    enum = relucert.solve(X, y, 1.0, oracle="enumerate", progress=False)
    assert _certified(bab) and _certified(enum)
    assert abs(bab.objective - enum.objective) <= 1e-8 * max(1.0, abs(enum.objective))
    # the bab network's own dual, scanned over every enumerated chamber, is feasible
    from relucert.arrangement import enumerate_chambers
    from relucert.lp.tv.oracle_api import EnumerationOracle

    scan = EnumerationOracle(enumerate_chambers(X)).scan(bab.dual, np.inf)
    assert scan.complete and scan.max_value <= 1.0 + 1e-7


def test_time_limited_run_brackets_the_optimum():
    """A bab run stopped after 0.5 s (the unlimited run takes many rounds) returns LIMIT
    with certified_lower_bound <= the enumerated optimum <= its objective."""
    X, y = _problem(4, 15, seed=0)
    opt = relucert.solve(X, y, 0.05, oracle="enumerate", progress=False)
    assert opt.success
    with pytest.warns(ConvergenceWarning, match=r"certified within .* %"):
        lim = relucert.solve(X, y, 0.05, oracle="bab", progress=False, time_limit=0.5)
    assert lim.status.value == "limit"
    assert np.isfinite(lim.certified_lower_bound) and np.isfinite(lim.certified_rel_gap)
    assert lim.certified_lower_bound <= opt.objective <= lim.objective
    assert lim.certified_rel_gap > DEFAULT.obj_gap
    doc = lim.to_dict()
    assert doc["status"] == "limit" and doc["certified_lower_bound"] == lim.certified_lower_bound
    from relucert.solution import Solution
    assert Solution.from_dict(json.loads(json.dumps(doc))).certified_rel_gap == lim.certified_rel_gap


@pytest.mark.parametrize("oracle", ["enumerate", "bab"])
def test_time_limit_before_the_first_round_keeps_the_zero_network(oracle):
    """A limit that expires before any round: the zero network, with the certified bound
    of ``p = y / lam`` (a complete scan, or the node-budgeted branch and bound: no time
    enters it, so two runs agree exactly)."""
    X, y = _problem(2, 10, seed=5)
    runs = []
    for _ in range(2):
        with pytest.warns(ConvergenceWarning):
            runs.append(relucert.solve(X, y, 0.05, oracle=oracle, progress=False, time_limit=1e-9))
    a, b = runs
    assert a.status.value == "limit" and a.n_atoms == 0
    assert a.certified_lower_bound == b.certified_lower_bound
    opt = relucert.solve(X, y, 0.05, progress=False)
    assert a.certified_lower_bound <= opt.objective <= a.objective


def test_strict_raises_on_the_time_limit():
    X, y = _problem(2, 10, seed=5)
    with pytest.raises(SolverError, match="time limit"):
        relucert.solve(X, y, 0.05, oracle="bab", progress=False, time_limit=1e-9, strict=True)


def test_optimal_answers_carry_the_certified_keys():
    X, y = _problem(1, 8, seed=1)
    sol = relucert.solve(X, y, 0.1, progress=False)
    assert _certified(sol)
    assert sol.certified_lower_bound <= sol.objective * (1 + 1e-14)
    assert sol.objective - sol.certified_lower_bound == pytest.approx(sol.duality_gap, abs=1e-15)


def test_auto_picks_by_the_estimated_chamber_count():
    X, _ = _problem(2, 10, seed=0)
    assert choose_oracle(X, "auto", "exchange") == "enumerate"
    assert choose_oracle(X, "auto", "socp") == "enumerate"
    big = np.random.default_rng(0).standard_normal((200, 10))
    from relucert.arrangement import estimate_chambers

    assert estimate_chambers(big) > AUTO_ENUMERATION_MAX_CHAMBERS
    assert choose_oracle(big, "auto", "exchange") == "bab"
    assert choose_oracle(big, "enumerate", "exchange") == "enumerate"


@pytest.mark.parametrize("kwargs, match", [
    ({"oracle": "magic"}, "oracle"),
    ({"time_limit": -1.0}, "time_limit"),
    ({"time_limit": float("nan")}, "time_limit"),
    ({"oracle": "bab", "method": "socp"}, "oracle"),
    ({"time_limit": 1.0, "method": "socp"}, "time_limit"),
])
def test_bad_options_name_the_field(kwargs, match):
    X, y = _problem(1, 5, seed=0)
    with pytest.raises(ValueError, match=match):
        relucert.solve(X, y, 0.1, **kwargs)


def test_estimator_with_a_time_limit_keeps_the_network_and_its_gap():
    X, y = _problem(4, 15, seed=0)
    est = TVReLURegressor(lam=0.05, oracle="bab", time_limit=0.5)
    with pytest.warns(ConvergenceWarning, match="certified within"):
        est.fit(X, y)
    assert est.status_ == "limit" and np.isfinite(est.certified_rel_gap_)
    assert est.certificate_ is None and "branch-and-bound" in est.certificate_note_
    assert est.predict(X).shape == (15,)
    assert est.get_params()["oracle"] == "bab" and est.get_params()["time_limit"] == 0.5


def test_cli_oracle_and_time_limit(tmp_path, capsys):
    X, y = _problem(2, 10, seed=5)
    path = tmp_path / "d2.npz"
    save_data(path, X, y)
    assert main(["solve", str(path), "--lam", "0.05", "--oracle", "bab", "--no-progress", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "optimal" and doc["info"]["oracle"] == "bab"
    assert doc["certified_rel_gap"] <= DEFAULT.obj_gap and doc["certified_lower_bound"] <= doc["objective"]
    code = main(["solve", str(path), "--lam", "0.05", "--time-limit", "1e-9", "--no-progress", "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["status"] == "limit" and doc["certified_lower_bound"] <= doc["objective"]
    assert main(["certify", str(path), "--lam", "0.05", "--oracle", "bab", "--no-progress"]) == 0
    assert "dual regions" in capsys.readouterr().out
    assert main(["solve", str(path), "--lam", "0.05", "--time-limit", "-3"]) == 2
    assert "--time-limit" in capsys.readouterr().err
