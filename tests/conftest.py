import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    """Markers by job: ``gpu`` on the tests of relucert.gpu's torch kernels
    (tests/test_gpu_*.py), ``slow`` on the scikit-learn checks listed in
    tests/test_estimator_sklearn.py's SLOW_CHECKS."""
    slow_checks = ()
    for item in items:
        module = item.module.__name__ if getattr(item, "module", None) is not None else ""
        if module.startswith("test_gpu_"):
            item.add_marker(pytest.mark.gpu)
        if module == "test_estimator_sklearn":
            slow_checks = slow_checks or item.module.SLOW_CHECKS
            if any(name in item.name for name in slow_checks):
                item.add_marker(pytest.mark.slow)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
