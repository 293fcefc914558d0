"""End to end (issue 5): the exact solver's output on random data is certified exactly,
with a certified relative gap below 1e-8, and re-verified from the written file."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from relucert.solve import solve
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
