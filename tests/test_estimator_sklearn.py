"""TVReLURegressor against scikit-learn's estimator checks (this module is skipped
without scikit-learn; the numpy-path tests are in tests/test_estimator.py)."""
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from relucert.estimator import TVReLURegressor  # noqa: E402

# relucert refuses data whose arrangement is too large to enumerate exactly (until the
# branch-and-bound oracle of issue 13 fits them within a time budget). Its validation
# messages carry scikit-learn's phrases, so the message checks pass.
_BY_DESIGN = {
    "check_dtype_object": "n=40, d=10: too many dual regions (object arrays of numbers are accepted)",
    "check_positive_only_tag_during_fit": "iris (n=150, d=4): too many dual regions",
    "check_regressors_train": "n=200, d=10: too many dual regions for exact enumeration",
    "check_regressor_data_not_an_array": "n=200, d=10: too many dual regions",
    "check_regressors_int": "n=50, d=10: too many dual regions",
}
#: Checks marked ``slow`` (tests/conftest.py; deselected by default, ``pytest -m slow``
#: runs them): check_estimators_dtypes fits sklearn's 20-point, d = 5 data set five times
#: (one per dtype) with the exact verification, minutes of work; the others take seconds.
SLOW_CHECKS = ("check_estimators_dtypes",)


def test_not_fitted_error_is_sklearns():
    """With scikit-learn, relucert's NotFittedError is scikit-learn's (and an
    AttributeError), so sklearn's own not-fitted checks recognise it."""
    from sklearn.exceptions import NotFittedError as SkNotFitted

    from relucert.errors import NotFittedError

    assert issubclass(NotFittedError, SkNotFitted) and issubclass(NotFittedError, AttributeError)
    with pytest.raises(SkNotFitted):
        TVReLURegressor().predict([[0.0]])


@parametrize_with_checks([TVReLURegressor()], expected_failed_checks=lambda est: _BY_DESIGN)
def test_sklearn_conformance(estimator, check):
    check(estimator)
