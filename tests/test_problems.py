"""The known-optimum instances really satisfy the optimality conditions."""
import numpy as np
import pytest

from problems import by_construction, certificate_extrema


@pytest.mark.parametrize("d", [1, 2])
def test_by_construction_satisfies_kkt(d):
    prob = by_construction(7, d, 0.1, seed=3)
    ext = certificate_extrema(prob.X, prob.p)
    assert max(e[0] for e in ext) == pytest.approx(1.0, abs=1e-12)
    Xl = np.hstack([prob.X, np.ones((len(prob.X), 1))])
    eta = (np.maximum(0, Xl @ prob.theta.T)).T @ prob.p
    assert np.allclose(eta, np.sign(prob.amplitude), atol=1e-10)
