"""Issue 16: a run that does not certify an optimum is a status (LIMIT / INACCURATE) with
its certified gap and a diagnosis, a warning, an exit code 1 on the command line, and an
error only under strict=True."""
import json
import warnings

import numpy as np
import pytest

from relucert import solve
from relucert.cli import main
from relucert.data import save_data
from relucert.errors import ConvergenceWarning, InaccurateSolutionWarning, SolverError


@pytest.fixture
def data2(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10, 2))
    path = tmp_path / "d2.npz"
    save_data(path, X, np.sin(2 * X[:, 0]) + 0.1 * rng.standard_normal(10))
    return path


def test_cli_solve_exits_1_and_prints_the_certified_gap(data2, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("relucert.lp.tv.exchange.DEFAULT_MAX_ITER", 1)
    out = tmp_path / "s.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert main(["solve", str(data2), "--lam", "0.01", "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "status: limit" in text and "NOT OPTIMAL" in text and "certified relative duality gap" in text
    doc = json.loads(out.read_text())
    assert doc["status"] == "limit" and doc["duality_gap"] > 0
    assert "support not found" in doc["info"]["message"]


def test_cli_certify_refuses_a_non_optimal_solve_with_its_gap(data2, capsys, monkeypatch):
    monkeypatch.setattr("relucert.lp.tv.exchange.DEFAULT_MAX_ITER", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert main(["certify", str(data2), "--lam", "0.01"]) == 1
    assert "not optimal" in capsys.readouterr().err


def test_failed_finite_program_is_inaccurate_with_the_qp_diagnosis(monkeypatch):
    """A lasso QP failure after the first round stops the run with status INACCURATE, the
    best certified candidate so far, and 'QP inaccurate' in the message."""
    import relucert.lp.lasso_chain as ex  # the exchange's finite lasso goes through lasso_qp_chain

    real = ex.lasso_qp
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 3:
            raise SolverError("lasso QP ended with status 'inaccurate' (test)")
        return real(*args, **kwargs)

    monkeypatch.setattr(ex, "lasso_qp", flaky)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 2))
    y = np.cos(2 * X[:, 1]) + 0.1 * rng.standard_normal(12)
    with pytest.warns(InaccurateSolutionWarning, match="QP inaccurate"):
        sol = solve(X, y, 0.01)
    assert sol.status.value == "inaccurate" and np.isfinite(sol.duality_gap)
    calls["n"] = 0
    with pytest.raises(SolverError, match="QP inaccurate"):
        solve(X, y, 0.01, strict=True)
    # the first round fails: the zero network, with its certified gap
    calls["n"] = 2
    with pytest.warns(InaccurateSolutionWarning, match="QP inaccurate"):
        zero = solve(X, y, 0.01)
    assert zero.n_atoms == 0 and zero.objective == pytest.approx(0.5 * float(y @ y))


def test_lasso_answer_without_a_solution_is_a_solver_error_with_its_status():
    """Issue 12: a backend answer carrying no usable solution is a SolverError naming the
    status, never an IndexError/TypeError from indexing it."""
    from relucert.lp.programs import build_lasso_qp, recover_lasso_qp
    from relucert.results import ProgramResult, Status
    from relucert.tolerances import DEFAULT

    Phi = np.ones((3, 2))
    _, inv = build_lasso_qp(Phi, np.ones(3), 0.1)
    for x in (None, np.zeros(1), np.array([np.nan, 0.0, 0.0, 0.0, 0.0])):
        res = ProgramResult(Status.OPTIMAL, "HiGHS: Optimal", "Optimal", 0.0, x, None, None, {}, 0, 0.0, DEFAULT)
        with pytest.raises(SolverError, match="no usable solution.*optimal"):
            recover_lasso_qp(res, inv)
