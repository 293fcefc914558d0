import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    """Markers by job: ``gpu`` on the tests of relucert.gpu's torch kernels
    (tests/test_gpu_*.py). No scikit-learn check is marked ``slow``: the slow ones run with
    a smaller work budget (tests/test_estimator_sklearn.py's SMALL_BUDGET)."""
    for item in items:
        module = item.module.__name__ if getattr(item, "module", None) is not None else ""
        if module.startswith("test_gpu_"):
            item.add_marker(pytest.mark.gpu)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
