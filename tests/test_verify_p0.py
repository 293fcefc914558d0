"""The (P_0) minimal-norm certificate: the vanishing-derivative pre-certificate, validated
by exact region maxima, cross-checked against p_lam -> p_0 as lam -> 0 (solver)."""
import numpy as np
import pytest

import relucert
from relucert.arrangement import lift
from relucert.solution import relu_features
from relucert.verify.p0 import p0_certificate


def _noiseless(seed, n, d):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    th = rng.standard_normal((2, d + 1))
    th /= np.linalg.norm(th, axis=1, keepdims=True)
    return X, relu_features(lift(X), th) @ np.array([1.5, -1.0])


def test_nondegenerate_p0_is_the_limit_of_p_lam():
    X, y = _noiseless(2, 6, 1)
    s0 = relucert.solve(X, y, 0.0)
    c = p0_certificate(X, y, s0.theta, s0.amplitude)
    assert c.valid and c.is_minimal_norm and c.verdict == "non-degenerate"
    assert c.dual_value == pytest.approx(c.tv_norm, rel=1e-12)  # <p_0, y> = ||mu_0||: optimal
    assert c.max_abs_certificate <= 1 + 1e-9
    # independent: the (P_lam) duals converge to p_0 at rate lam (non-degenerate, noiseless)
    errs = [np.linalg.norm(relucert.solve(X, y, lam).dual - c.p) for lam in (1e-2, 1e-3)]
    assert errs[1] < 0.2 * errs[0] and errs[1] < 1e-3


def test_degenerate_case_detected():
    # the pre-certificate violates |eta| <= 1, so p_0 != p_V: the p_lam stay away from p_V
    X, y = _noiseless(1, 10, 2)
    s0 = relucert.solve(X, y, 0.0)
    c = p0_certificate(X, y, s0.theta, s0.amplitude)
    assert not c.valid and c.verdict == "degenerate" and c.max_abs_certificate > 1.1
    far = np.linalg.norm(relucert.solve(X, y, 1e-3).dual - c.p)
    assert far > 0.1


def test_report_and_cli_carry_p0(tmp_path, capsys):
    X, y = _noiseless(2, 6, 1)
    rep = relucert.certify(X, y, 1e-3, p0=True)
    doc = rep.to_dict()
    assert doc["p0"]["verdict"] == "non-degenerate" and doc["p0"]["distance_to_p_lam"] < 1e-2
    from relucert.cli import main
    from relucert.data import save_data

    path = tmp_path / "d.npz"
    save_data(path, X, y)
    assert main(["certify", str(path), "--lam", "0.001", "--p0"]) == 0
    assert "(P_0) minimal-norm certificate: non-degenerate" in capsys.readouterr().out


def test_one_point_closed_form():
    c = p0_certificate([[0.0]], [2.0], [[0.0, 1.0]], [2.0])
    assert c.p.tolist() == pytest.approx([1.0]) and c.nondegenerate


def test_bad_inputs():
    X, y = _noiseless(2, 6, 1)
    s0 = relucert.solve(X, y, 0.0)
    with pytest.raises(ValueError, match="interpolate"):
        p0_certificate(X, y + 0.1, s0.theta, s0.amplitude)
    with pytest.raises(TypeError, match="p0"):
        relucert.certify(X, y, 0.1, p0="yes")
