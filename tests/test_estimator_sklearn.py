"""TVReLURegressor against scikit-learn's estimator checks (this module is skipped
without scikit-learn; the numpy-path tests are in tests/test_estimator.py)."""
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import estimator_checks_generator  # noqa: E402

from relucert.estimator import TVReLURegressor  # noqa: E402

# Every scikit-learn check runs and must pass: no expected failures, nothing deselected.
# With oracle="auto" the estimator fits d = 4..10 data (iris, make_regression's n = 200,
# d = 10) by the branch and bound under its deterministic work budget (max_iter rounds,
# max_nodes per scan), started from the data seed (the least-squares affine fit and gates
# through samples): a network with R^2 well above 0.5, its certified gap, status "limit"
# and a ConvergenceWarning, the same on int and float copies of the data.
#
# Checks that fit d >= 5 data several times run with a smaller work budget (one exchange
# round): each branch-and-bound scan at d = 10 bounds 2^12 root cones, seconds each.
_ONE_ROUND = {"max_iter": 1}
SMALL_BUDGET = {
    "check_regressors_train": _ONE_ROUND,             # n = 200, d = 10, 3 variants x 2 fits
    "check_regressor_data_not_an_array": _ONE_ROUND,  # n = 200, d = 10, 2 x 2 fits
    "check_regressors_int": _ONE_ROUND,               # n = 50, d = 10, 2 fits
    "check_dtype_object": _ONE_ROUND,                 # n = 40, d = 10
    # sklearn's 20-point, d = 5 data fitted five times (one per dtype): enumerated, its
    # exact proof takes minutes; the branch and bound (no exact proof) in one round
    "check_estimators_dtypes": {"max_iter": 1, "oracle": "bab"},
}


def test_not_fitted_error_is_sklearns():
    """With scikit-learn, relucert's NotFittedError is scikit-learn's (and an
    AttributeError), so sklearn's own not-fitted checks recognise it."""
    from sklearn.exceptions import NotFittedError as SkNotFitted

    from relucert.errors import NotFittedError

    assert issubclass(NotFittedError, SkNotFitted) and issubclass(NotFittedError, AttributeError)
    with pytest.raises(SkNotFitted):
        TVReLURegressor().predict([[0.0]])


def _name(check) -> str:
    return getattr(getattr(check, "func", check), "__name__", str(check))


def _checks():
    """scikit-learn's checks of ``TVReLURegressor()``, those of :data:`SMALL_BUDGET` with
    their smaller work budget."""
    out = []
    for est, check in estimator_checks_generator(TVReLURegressor()):  # no expected failures
        if _name(check) in SMALL_BUDGET:
            est = TVReLURegressor(**SMALL_BUDGET[_name(check)])
        out.append(pytest.param(est, check, id=_name(check)))
    return out


@pytest.mark.parametrize("estimator, check", _checks())
def test_sklearn_conformance(estimator, check):
    check(estimator)
