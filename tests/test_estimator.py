"""TVReLURegressor: the sklearn-style wrapper of relucert.solve."""
import os

import numpy as np
import pytest

from relucert.errors import NotFittedError
from relucert.estimator import TVReLURegressor
from relucert.solver import solve


def test_fit_sets_attributes_and_predicts_like_the_solution():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 2))
    y = rng.standard_normal(7)
    est = TVReLURegressor(lam=0.1)
    assert est.fit(X, y) is est
    sol = solve(X, y, 0.1)
    assert est.result_.objective == pytest.approx(sol.objective, rel=1e-12)
    assert est.weights_.shape == (est.n_neurons_, 2) and est.biases_.shape == (est.n_neurons_,)
    assert est.outer_weights_.shape == (est.n_neurons_,) and est.n_features_in_ == 2
    assert est.dual_gap_ <= 1e-9 * max(1, sol.objective)
    assert est.status_ == "optimal" and est.certified_rel_gap_ <= 1e-9
    assert np.allclose(est.predict(X), sol.predictions, atol=1e-10)
    Xn = rng.standard_normal((4, 2))
    assert np.allclose(est.predict(Xn), sol.predict(Xn), atol=1e-10)


def test_fit_keeps_a_limited_network_with_its_certified_gap(monkeypatch):
    # one exchange round cannot certify this data: the estimator keeps the network, warns,
    # and reports the status and the certified gap (scikit-learn's iterative estimators do so)
    from relucert.errors import ConvergenceWarning
    from relucert.verify import check_certificate

    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 2))
    y = np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(30)
    est = TVReLURegressor(lam=0.01)
    import relucert.solver

    monkeypatch.setattr(relucert.solver, "solve", lambda *a, **k: solve(*a, **{**k, "max_iter": 1}))
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    monkeypatch.undo()
    assert est.status_ == "limit"
    assert est.certified_rel_gap_ > 1e-9 and np.isfinite(est.certified_rel_gap_)
    # the gap is certified: the exact certificate of the kept network verifies with that gap
    assert check_certificate(est.certificate_.to_dict()).passed
    opt = solve(X, y, 0.01)
    assert est.result_.objective >= opt.objective - 1e-12
    assert est.result_.objective - opt.objective <= est.dual_gap_ * (1 + 1e-6) + 1e-12


def test_errors():
    est = TVReLURegressor()
    with pytest.raises(NotFittedError):
        est.predict([[0.0]])
    est.fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="features"):
        est.predict([[0.0, 1.0]])
    with pytest.raises(ValueError, match="lam"):
        TVReLURegressor(lam=-1.0).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="device"):
        TVReLURegressor(device="tpu").fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(TypeError, match="exact_verify"):
        TVReLURegressor(exact_verify="yes").fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="requires y"):
        TVReLURegressor().fit([[0.0], [1.0]], None)


def test_exact_verify_proves_the_fit():
    """The default fit carries an exact certificate that the independent checker accepts."""
    from fractions import Fraction

    from relucert.verify import check_certificate

    X = [[0.0], [1.0], [2.0], [3.0]]
    y = [0.0, 1.0, 0.0, 2.0]
    est = TVReLURegressor(lam=0.1).fit(X, y)
    cert = est.certificate_
    assert check_certificate(cert.to_dict()).passed
    assert cert.lower_bound <= Fraction(est.result_.objective) * (1 + Fraction(1, 10 ** 9))
    assert float(cert.relative_gap) < 1e-8
    assert TVReLURegressor(lam=0.1, exact_verify=False).fit(X, y).certificate_ is None


def test_params_roundtrip():
    est = TVReLURegressor(lam=0.5, device="cpu")
    assert est.get_params()["lam"] == 0.5
    assert est.set_params(lam=2.0).lam == 2.0
