"""TVReLURegressor against scikit-learn's estimator checks (this module is skipped
without scikit-learn; the numpy-path tests are in tests/test_estimator.py)."""
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import estimator_checks_generator  # noqa: E402

from relucert.estimator import TVReLURegressor  # noqa: E402

# With oracle="auto" the estimator fits d = 4..10 data by the branch and bound under its
# time limit (a network with a certified gap, ConvergenceWarning), so the checks on iris
# (check_positive_only_tag_during_fit) and on n = 40, d = 10 (check_dtype_object) pass.
# These still fail: at n = 200 or 50, d = 10 one branch-and-bound scan bounds the 2^12 root
# cones (about 15-20 s here), so a fit takes about 40 s whatever its time limit, and the
# network kept after its first rounds is the zero network or close to it (R^2 below the
# 0.5 that check_regressors_train asks for; a time-stopped fit is not reproducible to the
# 1e-2 that check_regressors_int compares). They are run with the enumeration oracle
# (refused at once: too many dual regions), which fails them in well under a second.
_BY_DESIGN = {
    "check_regressors_train": "n=200, d=10: no certified fit within a small time budget (R^2 < 0.5)",
    "check_regressor_data_not_an_array": "n=200, d=10: no certified fit within a small time budget",
    "check_regressors_int": "n=50, d=10: a time-stopped fit is not reproducible to 1e-2",
}
_ENUMERATED = tuple(_BY_DESIGN)
#: Checks that fit d = 10 data several times run with a smaller time budget (seconds).
_SMALL_BUDGET = {"check_dtype_object": 2.0}
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


def _name(check) -> str:
    return getattr(getattr(check, "func", check), "__name__", str(check))


def _checks():
    """scikit-learn's checks of ``TVReLURegressor()``, the expected failures marked xfail
    and run on ``TVReLURegressor(oracle="enumerate")`` (above)."""
    out = []
    for item in estimator_checks_generator(TVReLURegressor(), mark="xfail", expected_failed_checks=_BY_DESIGN):
        values, marks = (item.values, item.marks) if hasattr(item, "values") else (item, ())
        est, check = values
        if _name(check) in _ENUMERATED:
            est = TVReLURegressor(oracle="enumerate")
        elif _name(check) in _SMALL_BUDGET:
            est = TVReLURegressor(time_limit=_SMALL_BUDGET[_name(check)])
        out.append(pytest.param(est, check, marks=marks, id=_name(check)))
    return out


@pytest.mark.parametrize("estimator, check", _checks())
def test_sklearn_conformance(estimator, check):
    check(estimator)
