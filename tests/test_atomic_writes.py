"""Atomic outputs (issue 12): a failed or interrupted write never truncates an earlier
valid file and leaves no partial file behind; every writer goes through relucert._atomic."""
from __future__ import annotations

import ast
import errno
import json
import os
import pathlib

import numpy as np
import pytest

from relucert import _atomic
from relucert._atomic import atomic_open, check_writable, check_writable_dir, write_text

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _leftovers(folder):
    return sorted(p.name for p in pathlib.Path(folder).iterdir() if p.name.endswith(".tmp"))


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_write_replaces_and_keeps_mode(tmp_path):
    path = tmp_path / "a.txt"
    write_text(path, "one\n")
    os.chmod(path, 0o640)
    write_text(path, "two\n")
    assert path.read_text() == "two\n"
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("target", ["fsync", "replace"])
def test_failing_fsync_or_replace_keeps_the_earlier_file(tmp_path, monkeypatch, target):
    path = tmp_path / "a.json"
    write_text(path, '{"valid": true}\n')
    monkeypatch.setattr(_atomic.os, target, _disk_full)
    with pytest.raises(OSError, match="No space"):
        write_text(path, '{"valid": false, "long": "' + "x" * 100000 + '"}\n')
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"valid": True}
    assert _leftovers(tmp_path) == []


def test_write_through_a_symbolic_link(tmp_path):
    target = tmp_path / "real.json"
    write_text(target, "1\n")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text(link, "2\n")
    assert link.is_symlink() and target.read_text() == "2\n"


def test_interrupt_in_the_middle_of_a_write_keeps_the_earlier_file(tmp_path):
    path = tmp_path / "a.txt"
    write_text(path, "earlier\n")
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(path) as fh:
            fh.write("partial")
            raise KeyboardInterrupt
    assert path.read_text() == "earlier\n"
    assert _leftovers(tmp_path) == []


def test_certificate_file_write_is_atomic(tmp_path, monkeypatch):
    from problems import by_construction
    from relucert.verify import check_certificate_file, make_exact_certificate
    from test_exact import solution_from_known

    cert = make_exact_certificate(solution_from_known(by_construction(6, 1, 0.5, seed=0)))
    path = tmp_path / "c.json"
    cert.write(path)
    before = path.read_bytes()
    monkeypatch.setattr(_atomic.os, "fsync", _disk_full)
    with pytest.raises(OSError):
        cert.write(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and check_certificate_file(path).passed
    assert _leftovers(tmp_path) == []


def test_figure_and_npz_writes_are_atomic(tmp_path, monkeypatch):
    from relucert.data import load_data, save_data
    from relucert.plots import _pyplot, save_figure

    png, npz = tmp_path / "f.png", tmp_path / "d.npz"
    plt = _pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    save_figure(fig, png, dpi=50)
    save_data(npz, np.zeros((2, 1)), np.ones(2))
    png_before, npz_before = png.read_bytes(), npz.read_bytes()
    assert png_before.startswith(b"\x89PNG")
    monkeypatch.setattr(_atomic.os, "replace", _disk_full)
    fig, ax = plt.subplots()
    with pytest.raises(OSError):
        save_figure(fig, png, dpi=50)
    with pytest.raises(OSError):
        save_data(npz, np.ones((3, 1)), np.zeros(3))
    monkeypatch.undo()
    assert png.read_bytes() == png_before and npz.read_bytes() == npz_before
    assert load_data(npz)["n_rows"] == 2
    assert _leftovers(tmp_path) == []
    assert plt.get_fignums() == []  # the figure is closed even when its write fails


def test_check_writable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert check_writable(tmp_path / "new" / "deeper" / "out.json") == str(tmp_path / "new" / "deeper" / "out.json")
    assert not (tmp_path / "new").exists()  # the check creates nothing
    with pytest.raises(ValueError, match="is not a folder"):
        check_writable(blocker / "out.json", "--json file")
    with pytest.raises(ValueError, match="is a folder"):
        check_writable(tmp_path, "--out certificate file")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        check_writable_dir(blocker)
    assert _leftovers(tmp_path) == []


def test_every_writer_goes_through_the_atomic_module():
    """No module of the package opens a file for writing, saves a figure or an array
    except through relucert/_atomic.py (AST: open(..., 'w'/'a'/'x'), savefig, savez)."""
    offenders = []
    for pkg in ("relucert", "arrangement", "lp", "verify", "gpu"):
        for path in (ROOT / pkg).rglob("*.py"):
            if path.name == "_atomic.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name == "open" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                        and any(c in str(node.args[1].value) for c in "wax"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} open(..., {node.args[1].value!r})")
                owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                if name == "savefig" or (owner == "np" and name in ("save", "savez", "savez_compressed")) \
                        or (owner in ("json", "pickle") and name == "dump"):
                    first = node.args[0] if node.args else None
                    # writing into a file object from atomic_open is fine: the name is `fh`
                    if not (isinstance(first, ast.Name) and first.id == "fh"):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}(...)")
    assert not offenders, "\n".join(offenders)
