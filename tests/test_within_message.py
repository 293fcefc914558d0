"""The "certified within X %" warning of a stopped solve and the public
``certified_rel_gap`` (issue 13, item 4) state the gap as a fraction of the objective in the
user's units, ``(objective - certified lower bound) / objective``, independent of the units
of ``y``. (Before session 13 ``certified_rel_gap`` was relative to ``max(1, |objective|)`` in
the solver's internal units and read as an absolute gap for small objectives: 2.3e-3 for a
true 77.7 % at d = 8.)"""
import json
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest

import relucert
from relucert.errors import ConvergenceWarning
from relucert.solution import Solution


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


def _exact_share(sol) -> Fraction:
    """(objective - lower) / objective from the returned numbers, in rationals."""
    obj, low = Fraction(sol.objective), Fraction(sol.certified_lower_bound)
    return (obj - low) / obj


@pytest.mark.parametrize("scale", [1.0, 2.0 ** -10, 1e3])
def test_within_is_the_fraction_of_the_objective(scale):
    sol, msgs = _stopped(scale)
    assert sol.status.value == "limit" and msgs
    share = float(re.search(r"certified within ([0-9.e+-]+) % of the optimum", msgs[0]).group(1))
    want = _exact_share(sol)
    assert share == pytest.approx(100.0 * float(want), rel=5e-3)
    assert sol.certified_lower_bound <= sol.objective


@pytest.mark.parametrize("scale", [1.0, 2.0 ** -10, 1e3])
def test_public_gap_is_relative_to_the_objective_in_user_units(scale):
    """Issue 13: the public field equals (objective - lower) / |objective|, computed here
    exactly from the returned numbers, and never reads below it; the internal measure
    (relative to max(1, |objective|) in rescaled units, about 0.05 here) differs from it."""
    sol, _ = _stopped(scale)
    want = _exact_share(sol)
    assert 0 < want < 1
    got = sol.certified_rel_gap
    assert Fraction(got) >= want and float(want) == pytest.approx(got, rel=1e-15)
    internal = sol.info["relative_gap"] if np.isfinite(sol.info["relative_gap"]) else None
    scales = sol.info["scaling"]
    obj_internal = sol.objective / scales["y"] ** 2
    assert obj_internal < 0.5  # a scale where max(1, |objective|) is not |objective|
    assert internal is None or internal < float(want) / 2
    doc = json.loads(json.dumps(sol.to_dict()))
    assert doc["certified_rel_gap"] == got
    assert Solution.from_dict(doc).certified_rel_gap == got


def test_old_files_recompute_the_gap_from_objective_and_lower_bound():
    """A relucert.solution/1 file written before session 13 stored the internal measure
    under "certified_rel_gap": the reader recomputes the field from "objective" and
    "certified_lower_bound" and ignores the stored value."""
    sol, _ = _stopped(1.0)
    doc = json.loads(json.dumps(sol.to_dict()))
    doc["certified_rel_gap"] = 1e-9  # what an old writer could have stored
    assert Solution.from_dict(doc).certified_rel_gap == sol.certified_rel_gap
    del doc["certified_lower_bound"], doc["certified_rel_gap"]  # older still: no bound
    assert np.isnan(Solution.from_dict(doc).certified_rel_gap)


def test_user_rel_gap_edge_cases():
    from relucert.solution import user_rel_gap

    assert user_rel_gap(0.0, 0.0) == 0.0 and user_rel_gap(3.0, 3.0) == 0.0
    assert user_rel_gap(3.0, 3.0 + 1e-15) == 0.0          # a bound above the objective: 0
    assert user_rel_gap(0.0, -1e-300) == np.inf            # no fraction of zero bounds it
    assert user_rel_gap(1.0, -np.inf) == np.inf
    assert np.isnan(user_rel_gap(1.0, np.nan)) and np.isnan(user_rel_gap(np.inf, 1.0))
    rng = np.random.default_rng(1)
    for _ in range(2000):  # rounded up: never below the exact quotient
        obj = float(rng.uniform(1e-6, 1e6)) * 10.0 ** float(rng.integers(-20, 20))
        low = obj * float(rng.uniform(-1.0, 1.0))
        got = user_rel_gap(obj, low)
        exact = (Fraction(obj) - Fraction(low)) / Fraction(obj)
        assert Fraction(got) >= exact and got == pytest.approx(float(exact), rel=1e-15)


def test_within_does_not_depend_on_the_units_of_y():
    (a, ma), (b, mb) = _stopped(1.0), _stopped(2.0 ** -10)
    pa = re.search(r"within ([0-9.e+-]+) %", ma[0]).group(1)
    pb = re.search(r"within ([0-9.e+-]+) %", mb[0]).group(1)
    assert pa == pb
