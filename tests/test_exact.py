"""Exact certificates (issue 5): built from instances with a KNOWN optimum (tests/problems.py),
so every certified bound is checked against an independent reference value."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from problems import by_construction, certificate_extrema
from relucert.arrangement import enumerate_chambers, lift
from relucert.cli import main
from relucert.errors import CertificateError
from relucert.results import Status
from relucert.solution import Solution, relu_features
from relucert.verify import check_certificate, check_certificate_file, make_exact_certificate
from relucert.verify.checker import sqrt_lower, sqrt_upper

REL = 1e-12  # float rounding of the reference optimum itself


def solution_from_known(kp, *, amplitude=None, dual=None) -> Solution:
    """A Solution object from a KnownProblem (optionally with other amplitudes / dual)."""
    amp = kp.amplitude if amplitude is None else np.asarray(amplitude, float)
    p = kp.p if dual is None else np.asarray(dual, float)
    pred = relu_features(lift(kp.X), kp.theta) @ amp
    return Solution(X=kp.X, y=kp.y, lam=kp.lam, theta=kp.theta, amplitude=amp, objective=kp.objective,
                    tv_norm=float(np.abs(amp).sum()), dual=p, predictions=pred, max_abs_certificate=1.0,
                    duality_gap=0.0, n_chambers=0, status=Status.OPTIMAL, method="by_construction")


def known_optimum(kp) -> float:
    return kp.objective if kp.lam > 0 else float(np.abs(kp.amplitude).sum())


def known_with_X(X, lam, seed):
    """by_construction's recipe on a given (possibly degenerate) X."""
    from problems import KnownProblem

    rng = np.random.default_rng(seed)
    p = rng.standard_normal(X.shape[0])
    ext = certificate_extrema(X, p)
    top = max(e[0] for e in ext)
    p = p / top
    best = [e for e in ext if e[0] >= top * (1 - 1e-12)]
    theta = np.array([e[1] for e in best])
    amplitude = np.array([e[2] for e in best]) * (1.0 + rng.uniform(size=len(best)))
    y = relu_features(lift(X), theta) @ amplitude + lam * p
    obj = 0.5 * lam ** 2 * float(p @ p) + lam * float(np.abs(amplitude).sum())
    return KnownProblem(X=X, y=y, lam=lam, p=p, theta=theta, amplitude=amplitude, objective=obj)


def assert_brackets(cert, opt):
    assert float(cert.lower_bound) <= opt + REL * max(1.0, abs(opt))
    assert float(cert.upper_bound) >= opt - REL * max(1.0, abs(opt))
    assert cert.gap == cert.upper_bound - cert.lower_bound >= 0


@pytest.mark.parametrize("d,n,lam", [(1, 7, 0.5), (2, 8, 0.3), (3, 7, 0.2)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_known_optimum_certified_unique(d, n, lam, seed):
    kp = by_construction(n, d, lam, seed)
    cert = make_exact_certificate(solution_from_known(kp))
    assert cert.report.passed and cert.report.exact
    assert_brackets(cert, kp.objective)
    assert cert.relative_gap < Fraction(1, 10 ** 8)
    # the by-construction optimum has one dual solution and a unique measure
    assert cert.unique == "unique", cert.unique_reason
    assert check_certificate(cert.to_dict()).passed


@pytest.mark.parametrize("d,n", [(1, 6), (2, 6), (3, 6)])
def test_p0_exact_interpolation(d, n):
    kp = by_construction(n, d, 0.0, seed=3)
    cert = make_exact_certificate(solution_from_known(kp))
    doc = cert.to_dict()
    assert doc["problem"] == "P_0"
    names = [c.name for c in cert.report.checks]
    assert "primal.interpolation" in names and cert.report.passed
    assert_brackets(cert, known_optimum(kp))
    assert cert.relative_gap < Fraction(1, 10 ** 8)
    assert cert.unique == "uniqueness not certified" and "lam = 0" in cert.unique_reason


@pytest.mark.parametrize("factor", [1.3, 0.6])
def test_suboptimal_primal_certifies_only_the_true_gap(factor):
    kp = by_construction(8, 2, 0.4, seed=5)
    amp = kp.amplitude * factor
    sol = solution_from_known(kp, amplitude=amp)
    cert = make_exact_certificate(sol)
    primal = 0.5 * float(np.sum((relu_features(lift(kp.X), kp.theta) @ amp - kp.y) ** 2)) + kp.lam * float(
        np.abs(amp).sum())
    true_gap = primal - kp.objective
    assert true_gap > 1e-3
    assert float(cert.gap) >= true_gap * (1 - 1e-9)
    assert_brackets(cert, kp.objective)
    assert abs(float(cert.upper_bound) - primal) <= 1e-9 * primal
    assert cert.report.passed


def test_infeasible_dual_is_scaled_into_feasibility():
    kp = by_construction(8, 2, 0.4, seed=6)
    cert = make_exact_certificate(solution_from_known(kp, dual=kp.p * 1.05))
    assert cert.dual_scale > 1
    assert_brackets(cert, kp.objective)
    assert cert.report.passed and cert.gap > 0


def test_repeated_and_collinear_points():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [1.0, 0.0], [0.0, 1.5], [-1.0, 0.5], [0.5, -1.0]])
    kp = known_with_X(X, 0.3, seed=2)
    arr = enumerate_chambers(X)
    cert = make_exact_certificate(solution_from_known(kp), arrangement=arr)
    assert cert.n_chambers == arr.n_chambers
    assert_brackets(cert, kp.objective)
    assert cert.report.passed


def test_file_roundtrip_and_cli(tmp_path, capsys):
    kp = by_construction(7, 1, 0.5, seed=4)
    cert = make_exact_certificate(solution_from_known(kp))
    path = tmp_path / "c.json"
    cert.write(path)
    assert check_certificate_file(path).passed
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "VERIFIED" in out and "certified gap" in out
    assert main(["check", str(path), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["passed"] is True and Fraction(doc["gap"]) == cert.gap
    # tampered: exit 1 with the failing claim named
    bad = json.loads(path.read_text())
    bad["upper_bound"] = str(Fraction(bad["upper_bound"]) - Fraction(1, 10 ** 30))
    path.write_text(json.dumps(bad))
    assert main(["check", str(path)]) == 1
    assert "bounds.upper" in capsys.readouterr().out
    path.write_text(path.read_text()[:100])
    assert main(["check", str(path)]) == 1
    assert main(["check"]) == 2


def test_sqrt_bounds():
    for q in [Fraction(0), Fraction(1), Fraction(2), Fraction(1, 3), Fraction(10 ** 40 + 7, 3 ** 30), Fraction(9, 4)]:
        lo, up = sqrt_lower(q), sqrt_upper(q)
        assert lo * lo <= q <= up * up
        assert up - lo <= Fraction(2, 2 ** 60) * max(1, up)
    assert sqrt_upper(Fraction(9, 4)) == Fraction(3, 2)


def test_bad_input():
    kp = by_construction(6, 1, 0.5, seed=0)
    with pytest.raises(TypeError, match="solution"):
        make_exact_certificate({"X": kp.X})
    other = enumerate_chambers(kp.X[:5])
    with pytest.raises(ValueError, match="arrangement"):
        make_exact_certificate(solution_from_known(kp), arrangement=other)


def test_p0_repeated_points_with_different_labels_refused():
    X = np.array([[0.0], [0.0], [1.0]])
    y = np.array([1.0, 2.0, 0.0])
    theta = np.array([[-1.0, 1.0]]) / np.sqrt(2.0)
    sol = Solution(X=X, y=y, lam=0.0, theta=theta, amplitude=np.array([1.5 * np.sqrt(2.0)]), objective=2.1,
                   tv_norm=2.1, dual=np.zeros(3), predictions=np.array([1.5, 1.5, 0.0]), max_abs_certificate=0.0,
                   duality_gap=0.0, n_chambers=4, status=Status.OPTIMAL, method="hand")
    with pytest.raises(CertificateError, match="repeated points"):
        make_exact_certificate(sol)


def test_incomplete_chamber_list_is_refused():
    """A float enumerator that misses a chamber (as BFS/LP does on nearly collinear data,
    where chambers thinner than Tolerances.sign_zero are lost) must not yield a certificate."""
    kp = by_construction(7, 2, 0.3, seed=8)
    arr = enumerate_chambers(kp.X)
    keep = np.arange(1, arr.n_chambers)  # drop one chamber
    lists = [arr.facets(k) for k in keep]
    indptr = np.zeros(len(keep) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(f) for f in lists])
    partial = type(arr)(X=arr.X, X_lift=arr.X_lift, sign_patterns=arr.sign_patterns[keep], interior=arr.interior[keep],
                        margin=arr.margin[keep], facet_indptr=indptr, facet_indices=np.concatenate(lists),
                        method="partial")
    with pytest.raises(CertificateError, match="chambers.complete"):
        make_exact_certificate(solution_from_known(kp), arrangement=partial)
