"""A fit stopped by its deterministic work budget (issue 17, items 2-3): the branch-and-bound
fit starts from the data seed, keeps a good network with its certified gap, status "limit"
and a ConvergenceWarning, and is reproducible (no clock enters it)."""
import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.datasets import make_regression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from relucert import TVReLURegressor  # noqa: E402
from relucert._model import lift, primal_value, relu_features  # noqa: E402
from relucert.errors import ConvergenceWarning  # noqa: E402


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(n_samples=80, n_features=4, n_informative=2, noise=5.0, bias=3.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    return X, (y - y.mean()) / y.std()


def _r2(y, f):
    return 1.0 - float((y - f) @ (y - f)) / float((y - y.mean()) @ (y - y.mean()))


def test_budget_stopped_fit_is_good_certified_and_reproducible(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="certified within"):
        est = TVReLURegressor(lam=1.0, oracle="bab", max_iter=1, time_limit=None).fit(X, y)
    assert est.status_ == "limit" and est.n_iter_ == 1
    assert _r2(y, est.predict(X)) > 0.8                      # at least the seeded affine fit
    sol = est.result_
    assert 0.0 <= est.certified_rel_gap_ < 1.0 and sol.certified_lower_bound <= sol.objective
    # weak duality, checked against networks the solver did not produce: the certified lower
    # bound is below the objective of the zero network and of the least-squares affine fit
    coef = np.linalg.lstsq(lift(X), y, rcond=None)[0]
    r = float(np.linalg.norm(coef))
    theta = np.vstack([coef / r, -coef / r])
    affine = primal_value(relu_features(lift(X), theta), y, 1.0, np.array([r, -r]))
    assert sol.certified_lower_bound <= min(0.5 * float(y @ y), affine)
    again = TVReLURegressor(lam=1.0, oracle="bab", max_iter=1, time_limit=None)
    with pytest.warns(ConvergenceWarning):
        again.fit(X.tolist(), y.tolist())
    assert np.array_equal(again.predict(X), est.predict(X))   # no clock: the same fit


def test_budget_parameters_are_validated(data):
    X, y = data
    for params, kind, match in [({"max_iter": 0}, ValueError, "max_iter"), ({"max_nodes": -1}, ValueError, "max_nodes"),
                                ({"max_iter": 1.5}, TypeError, "max_iter"),
                                ({"random_state": "x"}, TypeError, "random_state"),
                                ({"random_state": -2}, ValueError, "random_state")]:
        with pytest.raises(kind, match=match):
            TVReLURegressor(**params).fit(X, y)
