"""``relucert scan`` (issue 6)."""
import json

import numpy as np
import pytest

from _gpu_marks import requires_torch
from relucert.cli import main
from relucert.data import save_data


@requires_torch
def test_scan_cli_with_dual(tmp_path, capsys):
    X = np.array([[0.0], [1.0], [2.0], [3.5]])
    data = tmp_path / "d.npz"
    save_data(data, X, np.zeros(4))
    pfile = tmp_path / "p.npy"
    np.save(pfile, np.array([1.0, -2.0, 0.5, 1.0]))
    out = tmp_path / "s.json"
    assert main(["scan", str(data), "--device", "cpu", "--samples", "20000", "--dual", str(pfile),
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["scan"]["n_found"] == 8 and doc["n_chambers"] == 8
    cert = doc["certificate"]
    assert cert["n_regions"] == 8 and cert["max_abs"] > 0
    # independent check: |eta| on a fine grid of the circle
    t = np.linspace(0, 2 * np.pi, 400_001)
    theta = np.stack([np.cos(t), np.sin(t)], axis=1)
    eta = np.maximum(theta @ np.c_[X, np.ones(4)].T, 0) @ np.array([1.0, -2.0, 0.5, 1.0])
    assert abs(cert["max_abs"] - np.abs(eta).max()) < 1e-6
    assert "chambers found by 20000 samples: 8" in capsys.readouterr().out


@requires_torch
def test_scan_cli_errors(tmp_path, capsys):
    data = tmp_path / "d.npz"
    save_data(data, np.array([[0.0], [1.0]]), np.zeros(2))
    pfile = tmp_path / "p.npy"
    np.save(pfile, np.array([1.0, 2.0, 3.0]))
    assert main(["scan", str(data), "--device", "cpu", "--samples", "100", "--dual", str(pfile)]) == 2
    assert "p must be 1-D of length n_samples=2" in capsys.readouterr().err
    assert main(["scan", str(data), "--device", "tpu"]) == 2
    assert main(["scan", str(data), "--samples", "0", "--device", "cpu"]) == 2
    assert "n_samples" in capsys.readouterr().err


def test_solve_and_certify_take_a_device(tmp_path, capsys):
    """--device on the commands that scan: cpu solves and certifies (d = 4 uses the
    batched projections), cuda without a device is a clear error, not a traceback."""
    from _gpu_marks import HAS_TORCH, _has_cuda

    rng = np.random.default_rng(2)
    X = rng.standard_normal((9, 4))
    data = tmp_path / "d.npz"
    save_data(data, X, rng.standard_normal(9))
    out = tmp_path / "s.json"
    assert main(["solve", str(data), "--lam", "0.1", "--device", "cpu", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["status"] == "optimal"
    assert main(["certify", str(data), "--lam", "0.1", "--device", "cpu"]) == 0
    capsys.readouterr()
    if HAS_TORCH and not _has_cuda():
        assert main(["solve", str(data), "--lam", "0.1", "--device", "cuda"]) == 2
        assert "torch sees no CUDA device" in capsys.readouterr().err


def test_cpu_device_scan_equals_auto(monkeypatch):
    """The oracle's batched path on device='cpu' (forced for a d = 4 scan) gives the same
    certified solution as the default."""
    import relucert
    from relucert.arrangement import maxima

    monkeypatch.setattr(maxima, "BATCH_MIN_CHAMBERS", 1)
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((9, 4)), rng.standard_normal(9)
    a = relucert.solve(X, y, 0.1, device="cpu", progress=False)
    b = relucert.solve(X, y, 0.1, progress=False)
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
    rep = relucert.certify(a, device="cpu")
    assert rep.support_size >= 1
