"""The command-line contract (issue 11): --json FILE|- with a format tag on every
subcommand, stdout carrying only the JSON under --json -, one exit-code table, one
JSON writer, --tol NAME=VALUE, certify enumerating once, README generated from the
parser, the README layer table matching tests/test_architecture.py, and a cheap
``import relucert``."""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from relucert.cli import COMMANDS, build_parser, main, synopsis
from relucert.commands._output import Exit, write_json
from relucert.data import save_data
from relucert.tolerances import Tolerances

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _subparsers():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def _options(p):
    return {s for a in p._actions for s in a.option_strings}


def _data(tmp_path, n=5, d=1, seed=0):
    rng = np.random.default_rng(seed)
    path = tmp_path / "d.npz"
    save_data(path, rng.standard_normal((n, d)), rng.standard_normal(n))
    return str(path)


def test_every_subcommand_has_json_and_folders_are_out_dir():
    for name, p in _subparsers().items():
        opts = _options(p)
        assert "--json" in opts, name
        # --out is a file (certify's exact certificate); a folder is --out-dir
        out = next((a for a in p._actions if "--out" in a.option_strings), None)
        assert out is None or out.metavar == "FILE", name
        out_dir = next((a for a in p._actions if "--out-dir" in a.option_strings), None)
        assert out_dir is None or out_dir.metavar == "DIR", name


def test_seed_and_progress_only_where_they_act():
    subs = _subparsers()
    for name in ("scan", "counterexample", "theorems"):
        assert "--seed" in _options(subs[name]), name
    for name in ("demo", "regions", "solve", "certify", "check", "lownoise"):  # no randomness
        assert "--seed" not in _options(subs[name]), name
    # check is exact arithmetic without progress bars and without tolerances
    assert "--no-progress" not in _options(subs["check"])
    assert not any(o.startswith("--tol") for o in _options(subs["check"]))


def test_few_tolerance_flags_per_subcommand():
    for name, p in _subparsers().items():
        flags = [o for o in _options(p) if o.startswith("--tol-")]
        assert len(flags) <= 2, (name, flags)
        if name != "check":
            assert "--tol" in _options(p), name


def test_exit_code_table():
    assert [(e.name, int(e)) for e in Exit] == [("OK", 0), ("NOT_OPTIMAL", 1), ("USAGE", 2),
                                                ("INTERRUPTED", 130), ("BROKEN_PIPE", 141)]


@pytest.mark.parametrize("argv", [["regions"], ["scan", "--samples", "2000", "--batch", "500"]])
def test_json_to_stdout_is_only_json_with_a_format_tag(tmp_path, capsys, argv):
    if argv[0] == "scan":
        pytest.importorskip("torch")
    data = _data(tmp_path, n=4, d=2)
    assert main([argv[0], data, *argv[1:], "--json", "-", "--no-progress"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)  # the whole of stdout is one JSON document
    assert doc["format"] == f"relucert.{argv[0]}/1"
    assert doc["n_rows"] == 4
    assert "n = 4, d = 2" in captured.err  # the readable text went to stderr


def test_tol_assignment_sets_any_field(tmp_path, monkeypatch):
    seen = {}

    def spy(X, y, lam, **kwargs):
        seen["tol"] = kwargs["tol"]
        raise KeyboardInterrupt

    monkeypatch.setattr("relucert.solver.solve", spy)
    data = _data(tmp_path)
    assert main(["solve", data, "--lam", "0.1", "--tol", "witness_deficit=1e-7", "--tol-obj-gap", "1e-8",
                 "--tol", "gpu-gap=0"]) == Exit.INTERRUPTED
    assert seen["tol"] == Tolerances(witness_deficit=1e-7, obj_gap=1e-8, gpu_gap=0.0)


@pytest.mark.parametrize("assignment, message", [
    ("nope=1", "unknown tolerance 'nope'"),
    ("obj_gap", "expected NAME=VALUE"),
    ("obj_gap=abc", "tolerance obj_gap: expected a number"),
    ("obj_gap=-1", "tolerance obj_gap: expected a finite number >= 0"),
    ("obj_gap=nan", "tolerance obj_gap: expected a finite number >= 0"),
])
def test_bad_tol_assignment_names_the_field(tmp_path, capsys, assignment, message):
    assert main(["solve", _data(tmp_path), "--lam", "0.1", "--tol", assignment]) == Exit.USAGE
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_tol_flag_and_assignment_that_disagree_are_an_error(tmp_path, capsys):
    assert main(["solve", _data(tmp_path), "--lam", "0.1", "--tol-obj-gap", "1e-8",
                 "--tol", "obj_gap=1e-7"]) == Exit.USAGE
    assert "disagree" in capsys.readouterr().err


def test_json_writer_policy(tmp_path, capsys):
    path = tmp_path / "x.json"
    write_json(str(path), {"format": "relucert.test/1", "a": float("nan"), "b": [float("inf"), -math.inf, 1.5],
                           "c": np.float64("nan"), "d": np.arange(2)})
    assert json.loads(path.read_text()) == {"format": "relucert.test/1", "a": None, "b": [None, None, 1.5],
                                            "c": None, "d": [0, 1]}
    with pytest.raises(ValueError, match="format"):
        write_json(str(tmp_path / "y.json"), {"a": 1})
    assert not (tmp_path / "y.json").exists()


def test_certify_enumerates_the_arrangement_once(tmp_path, monkeypatch):
    """certify --p0 --exact: one enumeration, shared by the solve, the analysis, (P_0) and
    the exact certificate."""
    import relucert.arrangement as arrangement_pkg

    original = arrangement_pkg.enumerate_chambers
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    import relucert.commands.certify  # noqa: F401  (load the modules that bind the name)
    import relucert.verify.analysis  # noqa: F401
    import relucert.verify.certificate_builder  # noqa: F401
    import relucert.verify.p0  # noqa: F401

    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.startswith("relucert") and getattr(module, "enumerate_chambers", None) is original:
            monkeypatch.setattr(module, "enumerate_chambers", counting)
    data = tmp_path / "d.npz"
    save_data(data, np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0.0, 1.0, 0.0, 2.0]))
    assert main(["certify", str(data), "--lam", "0.1", "--p0", "--exact", "--out", str(tmp_path / "c.json"),
                 "--no-progress"]) == 0
    assert len(calls) == 1


def test_readme_command_section_is_the_parser_synopsis():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- generated from the parser[^\n]*-->\n```\n(.*?)```", text, re.S)
    assert block, "README.md lost its generated command block"
    assert block.group(1) == synopsis(), ("README's command section differs from the parser; paste "
                                          "relucert.cli.synopsis() into it")
    for name in COMMANDS:
        assert len(re.findall(rf"^relucert {name} ", block.group(1), re.M)) == 1, name


def test_readme_layer_table_matches_the_architecture_test():
    from test_architecture import LAYERS

    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Layers"):]
    rows = re.findall(r"^\| ([\w.]+) \| (`[^|]*`) \| [^|]+ \|$", section, re.M)
    readme = [tuple(re.findall(r"`([\w.]+)`", modules)) for _, modules in rows]
    assert readme == [prefixes for _, prefixes in LAYERS]
    assert [name for name, _ in rows] == ["core", "arrangement", "lp", "lp.tv", "verify", "gpu", "api",
                                          "experiments", "cli"]


HEAVY = ("sklearn", "torch", "matplotlib", "sympy", "scipy", "numpy")


def test_import_relucert_loads_no_heavy_package():
    """Measured by sys.modules in a fresh interpreter (never by time): the root loads the
    tolerances and the error types only; numpy and the rest come with the first use."""
    code = ("import sys, relucert, relucert.errors; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import relucert; print(relucert.Status.OPTIMAL.value, relucert.NotFittedError.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["optimal", "NotFittedError"]


def test_not_fitted_error_without_scikit_learn():
    """Without scikit-learn the estimator and its NotFittedError still work (a ValueError
    and an AttributeError)."""
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from relucert.errors import NotFittedError\n"
            "from relucert.estimator import TVReLURegressor\n"
            "assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)\n"
            "try:\n    TVReLURegressor().predict([[0.0]])\nexcept NotFittedError:\n    print('not fitted')\n"
            "est = TVReLURegressor(lam=0.1, exact_verify=False).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 0.0])\n"
            "print(est.get_params()['lam'], est.predict([[1.0]]).shape)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["not fitted", "0.1 (1,)"]


def test_each_package_docstring_states_its_layer():
    import importlib

    packages = {"relucert": "api", "relucert.arrangement": "arrangement", "relucert.lp": "lp",
                "relucert.lp.tv": "lp.tv", "relucert.verify": "verify", "relucert.gpu": "gpu",
                "relucert.experiments": "experiments", "relucert.commands": "cli"}
    for name, layer in packages.items():
        doc = importlib.import_module(name).__doc__
        assert re.search(rf"^Layer: {re.escape(layer)}\b", doc, re.M), name
        assert "may import" in doc, name
