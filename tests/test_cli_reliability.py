"""The command line under faults (issue 12): outputs checked before the solve, failed or
interrupted writes that keep earlier files, Ctrl-C (exit 130, one line), a closed stdout,
and no silent options."""
from __future__ import annotations

import errno
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from relucert import _atomic
from relucert.cli import main
from relucert.data import save_data

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _data(tmp_path, n=6, d=1, seed=0, name="d.npz"):
    rng = np.random.default_rng(seed)
    path = tmp_path / name
    save_data(path, rng.standard_normal((n, d)), rng.standard_normal(n))
    return str(path)


@pytest.fixture
def no_solve(monkeypatch):
    """Fail loudly if a command reaches the solver (the checks must come first)."""
    def boom(*args, **kwargs):
        raise AssertionError("the solver was called before the outputs were checked")

    monkeypatch.setattr("relucert.solver.solve", boom)


@pytest.mark.parametrize("extra, message", [
    (["--json", "{blocker}/out.json"], "--json file .* is not a folder"),
    (["--plot", "{blocker}/fit.png"], "--plot file .* is not a folder"),
    (["--plot", "{tmp}/fit.xyz"], "matplotlib cannot write 'xyz' figures"),
    (["--json", "{tmp}"], "--json file .* is a folder"),
])
def test_solve_checks_outputs_before_solving(tmp_path, capsys, no_solve, extra, message):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder is expected")
    argv = ["solve", _data(tmp_path), "--lam", "0.1"] + [a.format(blocker=blocker, tmp=tmp_path) for a in extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_plot_for_d3_is_refused_up_front(tmp_path, capsys, no_solve):
    data = _data(tmp_path, n=5, d=3)
    for cmd in (["solve"], ["certify"]):
        assert main([*cmd, data, "--lam", "0.1", "--plot", str(tmp_path / "p.png")]) == 2
        assert "--plot draws d = 1 or 2 data only; this data has d = 3" in capsys.readouterr().err
    assert main(["regions", data, "--plot", str(tmp_path / "p.png")]) == 2
    assert not (tmp_path / "p.png").exists()


def test_certify_out_checks(tmp_path, capsys, no_solve):
    data = _data(tmp_path)
    assert main(["certify", data, "--lam", "0.1", "--out", str(tmp_path / "c.json")]) == 2
    assert "--out FILE is the exact certificate file: add --exact" in capsys.readouterr().err
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    assert main(["certify", data, "--lam", "0.1", "--exact", "--out", str(blocker / "c.json")]) == 2
    assert "--out certificate file" in capsys.readouterr().err


@pytest.mark.parametrize("lam", ["1e-400", "-1e-400", "0.0000" + "0" * 330 + "1"])
def test_lam_that_rounds_to_zero_is_an_error(tmp_path, capsys, no_solve, lam):
    assert main(["solve", _data(tmp_path), f"--lam={lam}"]) == 2
    err = capsys.readouterr().err
    assert "would round to 0" in err and "Traceback" not in err


def test_lam_zero_is_still_interpolation(tmp_path, capsys):
    assert main(["solve", _data(tmp_path, n=4), "--lam", "0"]) == 0
    assert "(P_0) minimal-TV interpolation" in capsys.readouterr().out


@pytest.mark.parametrize("cmd", [["regions"], ["solve", "--lam", "0.1"], ["certify", "--lam", "0.1"],
                                 ["lownoise"]])
def test_seed_is_not_accepted_where_it_changes_nothing(tmp_path, capsys, cmd):
    assert main([cmd[0], _data(tmp_path), *cmd[1:], "--seed", "3"]) == 2
    assert "unrecognized arguments: --seed" in capsys.readouterr().err


def test_options_that_need_a_partner_are_errors_alone(tmp_path, capsys):
    assert main(["scan", _data(tmp_path), "--max-chambers", "10"]) == 2
    assert "without --dual it does nothing" in capsys.readouterr().err
    assert main(["regions", _data(tmp_path), "--all"]) == 2
    assert "without --json it does nothing" in capsys.readouterr().err


def test_seed_kept_where_used():
    from relucert.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["scan", "d.npz", "--seed", "3"]).seed == 3
    assert parser.parse_args(["counterexample", "--kind", "boundary", "--seed", "3"]).seed == 3
    assert parser.parse_args(["theorems", "--seed", "3"]).seed == 3


def test_certify_honours_no_progress(tmp_path, monkeypatch):
    seen = {}

    def enumerate_spy(X, **kwargs):
        seen["enumerate"] = kwargs.get("progress")
        raise KeyboardInterrupt

    monkeypatch.setattr("relucert.arrangement.enumerate_chambers", enumerate_spy)
    assert main(["certify", _data(tmp_path), "--lam", "0.1", "--no-progress"]) == 130
    assert seen == {"enumerate": False}


def test_ctrl_c_exits_130_with_one_line_and_keeps_files(tmp_path, capsys, monkeypatch):
    out = tmp_path / "sol.json"
    out.write_text('{"earlier": true}\n')

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("relucert.solver.solve", interrupted)
    assert main(["solve", _data(tmp_path), "--lam", "0.1", "--json", str(out)]) == 130
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert json.loads(out.read_text()) == {"earlier": True}


def _certify(tmp_path, cert, *extra):
    data = tmp_path / "d.npz"
    if not data.exists():
        _data(tmp_path)
    return main(["certify", str(data), "--lam", "0.1", "--exact", "--out", str(cert), "--no-progress", *extra])


@pytest.mark.parametrize("fault, code", [(KeyboardInterrupt, 130), (OSError(errno.ENOSPC, "No space left on device"), 1)])
def test_failed_certificate_write_keeps_the_earlier_certificate(tmp_path, capsys, monkeypatch, fault, code):
    cert = tmp_path / "c.json"
    assert _certify(tmp_path, cert) == 0
    before = cert.read_bytes()

    def failing_fsync(fd):
        raise fault

    monkeypatch.setattr(_atomic.os, "fsync", failing_fsync)
    assert _certify(tmp_path, cert) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert ("interrupted" in err) if code == 130 else ("cannot write" in err and "No space left" in err)
    monkeypatch.undo()
    assert cert.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "d.npz"]  # no temporary file left
    assert main(["check", str(cert)]) == 0


def test_a_failing_plot_never_prevents_the_certificate(tmp_path, capsys, monkeypatch):
    def broken_plot(report, path):
        raise OSError(errno.EIO, "Input/output error", str(path))

    monkeypatch.setattr("relucert.plot_certificate.plot_certificate", broken_plot)
    cert = tmp_path / "c.json"
    assert _certify(tmp_path, cert, "--plot", str(tmp_path / "eta.png")) == 1
    assert "cannot write" in capsys.readouterr().err
    assert main(["check", str(cert)]) == 0


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["MPLBACKEND"] = "Agg"
    return env


def test_real_sigint_during_a_solve(tmp_path):
    """A real SIGINT while solving: exit 130, one line, no traceback, the earlier
    --json file intact and no temporary file."""
    # random labels at n = 300 take over a minute to solve: the signal lands inside the solve
    # however loaded the machine (n = 40 took 1 s, and a late signal met a finished solve)
    data = _data(tmp_path, n=300, d=2, seed=0)
    out = tmp_path / "sol.json"
    out.write_text('{"earlier": true}\n')
    proc = subprocess.Popen([sys.executable, "-m", "relucert.cli", "solve", data, "--lam", "0.01", "--json",
                             str(out), "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path, env=_env(), text=True)
    first = proc.stderr.readline()  # "read 40 rows ...": the data is loaded, the solve begins
    assert first.startswith("read 300 rows"), first
    time.sleep(0.5)  # into the solve; an earlier or later signal must be handled alike
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stdout, rest)
    assert rest.strip().splitlines() == ["interrupted"], rest
    assert json.loads(out.read_text()) == {"earlier": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", "sol.json"]


def test_closed_stdout_ends_quietly(tmp_path):
    """`relucert regions DATA --json - --all | head -c 100`: no traceback, exit 141."""
    data = _data(tmp_path, n=80, d=2, seed=1)
    proc = subprocess.Popen([sys.executable, "-m", "relucert.cli", "regions", data, "--json", "-", "--all",
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                            env=_env())
    assert proc.stdout.read(100)
    proc.stdout.close()  # the reader goes away (as `head` does)
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 141
