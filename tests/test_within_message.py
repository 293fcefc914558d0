"""The "certified within X %" warning of a stopped solve states the gap as a fraction of
the objective in the user's units, ``(objective - certified lower bound) / objective``,
independent of the units of ``y`` (``certified_rel_gap`` is relative to
``max(1, |objective|)`` in internal units and reads as an absolute gap for small
objectives)."""
import re
import warnings

import numpy as np
import pytest

import relucert
from relucert.errors import ConvergenceWarning


def _stopped(scale):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((15, 4))
    # a teacher neuron: after three rounds the objective is small (about 0.05 in internal
    # units), where a gap relative to max(1, |objective|) is an absolute one
    y = scale * np.maximum(X @ np.array([1.0, -0.5, 0.3, 0.2]), 0.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sol = relucert.solve(X, y, 0.01 * scale, oracle="bab", progress=False, max_iter=3)
    msgs = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    return sol, msgs


@pytest.mark.parametrize("scale", [1.0, 2.0 ** -10])
def test_within_is_the_fraction_of_the_objective(scale):
    sol, msgs = _stopped(scale)
    assert sol.status.value == "limit" and msgs
    share = float(re.search(r"certified within ([0-9.e+-]+) % of the optimum", msgs[0]).group(1))
    want = 100.0 * (sol.objective - sol.certified_lower_bound) / sol.objective
    assert share == pytest.approx(want, rel=5e-3)
    assert sol.certified_lower_bound <= sol.objective
    # here the two measures differ: the internal max(1, |objective|) makes the gap absolute
    assert 100.0 * sol.certified_rel_gap < share / 10


def test_within_does_not_depend_on_the_units_of_y():
    (a, ma), (b, mb) = _stopped(1.0), _stopped(2.0 ** -10)
    pa = re.search(r"within ([0-9.e+-]+) %", ma[0]).group(1)
    pb = re.search(r"within ([0-9.e+-]+) %", mb[0]).group(1)
    assert pa == pb
