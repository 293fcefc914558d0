"""End to end (issue 5): the exact solver's output on random data is certified exactly,
with a certified relative gap below 1e-8, and re-verified from the written file."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from relucert.solver import solve
from relucert.verify import check_certificate_file, make_exact_certificate


@pytest.mark.parametrize("d,n,lam", [(1, 9, 0.1), (2, 8, 0.05), (3, 6, 0.1), (2, 7, 0.0)])
def test_solver_output_certified(tmp_path, d, n, lam):
    rng = np.random.default_rng(100 + d)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    sol = solve(X, y, lam, progress=False)
    cert = make_exact_certificate(sol)
    assert cert.relative_gap < Fraction(1, 10 ** 8)
    assert float(cert.lower_bound) <= sol.objective * (1 + 1e-9) + 1e-12
    assert abs(float(cert.upper_bound) - sol.objective) <= 1e-7 * max(1.0, abs(sol.objective))
    path = tmp_path / "cert.json"
    cert.write(path)
    report = check_certificate_file(path)
    assert report.passed and report.exact


def test_nonunique_measure_is_not_claimed_unique():
    """Random 1-D data whose optimal measure is not unique (same-sign antipodal pairs in
    E): the float analysis finds two distinct optimal networks; their midpoint is an
    optimal measure whose atoms have linearly dependent features and non-zero amplitudes
    (mu + t c stays optimal), and the exact certificate must not claim uniqueness."""
    import dataclasses

    import relucert
    from relucert.arrangement import lift
    from relucert.solution import relu_features

    rng = np.random.default_rng(2)
    X = rng.standard_normal((10, 1))
    y = rng.standard_normal(10)
    sol = solve(X, y, 0.1, progress=False)
    report = relucert.certify(sol)
    assert report.unique == "not unique"
    w = next(w for w in report.witnesses if w.kind == "measure")
    amp = 0.5 * (w.c1 + w.c2)
    keep = np.abs(amp) > 1e-9
    mid = dataclasses.replace(sol, theta=w.theta[keep], amplitude=amp[keep])
    Phi = relu_features(lift(X), mid.theta)
    sv = np.linalg.svd(Phi, compute_uv=False)
    assert sv[-1] < 1e-9 * sv[0]  # truly non-unique: a null vector on the support
    cert = make_exact_certificate(mid)
    assert cert.report.passed
    assert cert.unique == "uniqueness not certified"
    assert "antipodal" in cert.unique_reason
