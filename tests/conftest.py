import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    """Markers by job: ``gpu`` on the tests of relucert.gpu's torch kernels
    (tests/test_gpu_*.py), ``slow`` on the scikit-learn checks listed in
    tests/test_estimator_sklearn.py's SLOW_CHECKS (for TVReLURegressor and, in
    tests/test_cv.py, TVReLURegressorCV)."""
    slow_checks = ()
    for item in items:
        module = item.module.__name__ if getattr(item, "module", None) is not None else ""
        if module.startswith("test_gpu_"):
            item.add_marker(pytest.mark.gpu)
        if module in ("test_estimator_sklearn", "test_cv") and "test_sklearn_conformance" in item.name:
            if not slow_checks:
                from test_estimator_sklearn import SLOW_CHECKS as slow_checks
            if any(name in item.name for name in slow_checks):
                item.add_marker(pytest.mark.slow)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
