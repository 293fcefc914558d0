"""The theorem suite's bookkeeping (issue 7): verdicts, re-verification, counterexamples,
the statements on hand-built cases, and the command line."""
import argparse
import dataclasses
import importlib
import json
import os

import numpy as np
import pytest

from lownoise_cases import kink_at_data_point, two_interior_kinks
from relucert.experiments.rescaled import default_solver
from relucert.experiments.theorems import (
    HOLDS, HYPOTHESIS_FAILS, STATEMENTS, VIOLATED, Context, Family, Instance, Outcome, Statement,
    check_low_noise, check_one_extremum, fails, holds, load_instance, make_instance, run_suite,
    sampled_extremum_check, violated,
)

SOLVER = default_solver()
FAMILY = Family("test-d1", 1, 5, n_atoms=2, noise=(0.0, 0.1))


def _false_single_atom(ctx):
    """An injected false 'theorem': every solution has a single atom."""
    sol = ctx.solution
    if sol.n_atoms > 1:
        return violated(f"the solution has {sol.n_atoms} atoms", n_atoms=sol.n_atoms)
    return holds("one atom")


FALSE = Statement("false_single_atom", "every solution of (P_lam) has exactly one atom", _false_single_atom)


def test_injected_false_theorem_is_violated_with_saved_counterexample(tmp_path):
    res = run_suite(solver=SOLVER, families=(FAMILY,), n_instances=3, seed=1,
                    statements=(STATEMENTS[0], FALSE), out_dir=str(tmp_path), progress=False)
    counts = res.counts()
    assert counts["finite_support"][HOLDS] == 3
    bad = [r for r in res.records if r.statement == "false_single_atom" and r.verdict == VIOLATED]
    assert bad, "the injected false statement must be caught"
    for r in bad:
        folder = r.counterexample
        for name in ("data.npz", "solution.json", "report.json", "README.md"):
            assert os.path.isfile(os.path.join(folder, name)), name
        # the saved data reproduces the violation from scratch
        inst = load_instance(os.path.join(folder, "data.npz"))
        assert inst.label == f"{r.family}#{r.index}"
        assert _false_single_atom(Context(inst, SOLVER)).verdict == VIOLATED
        doc = json.load(open(os.path.join(folder, "report.json")))
        assert doc["re_verification"]["verdict"] == VIOLATED
        sol = json.load(open(os.path.join(folder, "solution.json")))
        assert sol["format"] == "relucert.solution/1" and len(sol["atoms"]) > 1
    assert res.n_violated == len(bad)
    md = res.markdown()
    assert "false_single_atom" in md and "VIOLATED" in md


def test_unconfirmed_violation_is_not_reported(tmp_path):
    calls = []

    def flaky(ctx):
        calls.append(1)
        return violated("first look") if len(calls) == 1 else holds("second look")

    res = run_suite(solver=SOLVER, families=(FAMILY,), n_instances=1, seed=0,
                    statements=(Statement("flaky", "flaky", flaky),), out_dir=str(tmp_path), progress=False)
    (rec,) = res.records
    assert rec.verdict == HYPOTHESIS_FAILS and "numerically unresolved" in rec.reason
    assert rec.counterexample is None
    assert not os.listdir(os.path.join(tmp_path, "counterexamples"))


def test_failed_hypothesis_is_never_a_confirmation(tmp_path):
    never = Statement("never_applies", "n/a", lambda ctx: fails("the hypothesis is false here"))
    res = run_suite(solver=SOLVER, families=(FAMILY,), n_instances=2, seed=0, statements=(never,),
                    out_dir=str(tmp_path), progress=False)
    assert res.counts()["never_applies"] == {HOLDS: 0, HYPOTHESIS_FAILS: 2, VIOLATED: 0}
    assert res.failure_reasons() == {"never_applies": {"the hypothesis is false here": 2}}
    with pytest.raises(ValueError, match="verdict"):
        Outcome("maybe", "")
    with pytest.raises(TypeError, match="Outcome"):
        run_suite(solver=SOLVER, families=(FAMILY,), n_instances=1,
                  statements=(Statement("bad", "", lambda ctx: True),), out_dir=str(tmp_path), progress=False)


def _instance(X, y0, name):
    n = X.shape[0]
    xi = np.ones(n) / np.sqrt(n)
    fam = Family(name, X.shape[1], n, noise=(0.0,))
    return Instance(family=fam, index=0, seed=0, X=X, y0=y0, y=y0, lam=0.05, noise=0.0,
                    theta0=np.zeros((0, 2)), amplitude0=np.zeros(0), xi=xi)


def test_low_noise_statement_on_hand_built_cases():
    X, y0, *_ = two_interior_kinks()
    out = check_low_noise(Context(_instance(X, y0, "interior"), SOLVER))
    assert out.verdict == HOLDS, out.reason
    assert abs(out.details["slopes"]["amp_err"] - 1) < 0.1
    X, y0, *_ = kink_at_data_point()
    out = check_low_noise(Context(_instance(X, y0, "boundary"), SOLVER))
    assert out.verdict == HOLDS, out.reason
    assert [out.details["locations"][j] for j in out.details["pinned"]] == ["boundary"]
    # a lone kink at a data point: p_0 is degenerate, the statement does not apply
    X = np.array([[-1.0], [0.0], [1.0]])
    out = check_low_noise(Context(_instance(X, np.array([0.0, 0.0, 1.0]), "lone"), SOLVER))
    assert out.verdict == HYPOTHESIS_FAILS and "degenerate" in out.reason


def test_one_extremum_sampling_check_can_fail():
    inst = make_instance(Family("d2", 2, 5, noise=(0.1,)), 0, 3)
    ctx = Context(inst, SOLVER)
    out = check_one_extremum(ctx)
    assert out.verdict == HOLDS, out.reason
    scan = ctx.report.scan
    rng = np.random.default_rng(0)
    n, val, growth = sampled_extremum_check(ctx.arrangement, scan, scan.p, rng, ctx.tol)
    assert n > 1000 and val <= 1e-9 and growth <= 1e-9
    # move one reported maximiser: the growth bound from the "unique maximiser" breaks
    k = int(np.argmax(scan.value[:, 0]))
    point = scan.point.copy()
    point[k, 0] = -point[k, 0]
    wrong = dataclasses.replace(scan, point=point)
    _, _, growth = sampled_extremum_check(ctx.arrangement, wrong, scan.p, rng, ctx.tol)
    assert growth > 0.1


def test_make_instance_is_deterministic_and_saved(tmp_path):
    a = make_instance(FAMILY, 2, 5)
    b = make_instance(FAMILY, 2, 5)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.noise == 0.0 and make_instance(FAMILY, 1, 5).noise == 0.1
    a.save(str(tmp_path / "i.npz"))
    c = load_instance(str(tmp_path / "i.npz"))
    np.testing.assert_array_equal(a.y0, c.y0)
    assert c.family == FAMILY and c.label == a.label


# ------------------------------------------------------------------------- CLI

def _local_main(argv):
    """The lownoise/theorems commands on their own parser (as relucert.cli.main does)."""
    from relucert.cli import main

    try:
        importlib.import_module("relucert.commands.counterexample")
        return main(argv)
    except ModuleNotFoundError:
        pass
    parser = argparse.ArgumentParser(prog="relucert")
    sub = parser.add_subparsers(dest="command")
    for name in ("lownoise", "theorems"):
        importlib.import_module(f"relucert.commands.{name}").register(sub)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except (ValueError, TypeError):
        return 2


def test_lownoise_cli_json_and_plot(tmp_path, capsys):
    from relucert.data import save_data

    X, y0, *_ = kink_at_data_point()
    data = tmp_path / "d.npz"
    save_data(data, X, y0, xi=np.array([1.0, -1.0, 0.0, 0.0, 0.0]))
    out, fig = tmp_path / "r.json", tmp_path / "r.png"
    rc = _local_main(["lownoise", str(data), "--lams", "1e-2:1e-4:3", "--json", str(out), "--plot", str(fig),
                      "--no-progress"])
    assert rc == 0
    doc = json.load(open(out))
    assert doc["format"] == "relucert.lownoise/1"
    assert [a["location"] for a in doc["reference_atoms"]].count("boundary") == 1
    assert doc["certificate_nondegenerate"] is True
    assert doc["min_boundary_multiplier"] == pytest.approx(3 - np.sqrt(5), abs=1e-9)
    assert doc["critical_noise_ratio"] > 0
    np.testing.assert_allclose(doc["noise_direction"], np.array([1.0, -1.0, 0, 0, 0]) / np.sqrt(2))
    assert len(doc["sweep"]) == 3 and set(doc["slopes"]) >= {"loc_err", "amp_err"}
    assert fig.stat().st_size > 0
    assert "critical noise ratio" in capsys.readouterr().out
    np.savez(tmp_path / "y0.npz", X=X, y0=y0)       # the noiseless labels may be named y0
    assert _local_main(["lownoise", str(tmp_path / "y0.npz"), "--lams", "1e-2:1e-3:2", "--no-progress"]) == 0
    assert _local_main(["lownoise", str(data), "--lams", "1:2"]) == 2
    assert _local_main(["lownoise", str(data), "--noise-scale", "-1"]) == 2


def test_theorems_cli_writes_report(tmp_path, capsys):
    out = tmp_path / "rep"
    rc = _local_main(["theorems", "--families", "d1-n5", "--instances", "1", "--out-dir", str(out),
                      "--no-second-method", "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "finite_support" in text and "low_noise" in text
    for name in ("report.md", "results.json", "verdicts.png"):
        assert (out / name).is_file()
    doc = json.load(open(out / "results.json"))
    assert doc["format"] == "relucert.theorems/1" and doc["counts"]["one_extremum"]["VIOLATED"] == 0
    assert _local_main(["theorems", "--families", "nope", "--out-dir", str(out)]) == 2


def test_cli_family_names_match_the_library():
    """register() lists the family names without importing the library; keep them in sync."""
    from relucert.commands.theorems import register
    from relucert.experiments.theorems import DEFAULT_FAMILIES

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    text = parser._subparsers._group_actions[0].choices["theorems"].format_help()
    for f in DEFAULT_FAMILIES:
        assert f.name in text
