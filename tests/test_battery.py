"""Issue 16 regression: a small-size slice of the battery of ordinary-data families
(relucert.examples.battery; the full sizes run in benchmarks/bench_battery.py) certifies
with the DEFAULT tolerances; each answer's gap is recomputed independently by the verify
package's own region scan."""
import numpy as np
import pytest

from relucert import solve
from relucert.examples import BATTERY_FAMILIES, battery
from relucert.verify.analysis import solution_from_measure

SLICE = ([(f, 1, 20, lam) for f in BATTERY_FAMILIES for lam in (1.0, 0.1, 0.01, 0.001)]
         + [(f, 2, 12, lam) for f in BATTERY_FAMILIES for lam in (0.1, 0.001)]
         + [(f, 3, 8, lam) for f in ("gauss-smooth", "teacher") for lam in (0.1, 0.001)])


@pytest.mark.parametrize("family,d,n,lam", SLICE)
def test_battery_slice_certifies_with_defaults(family, d, n, lam):
    X, y = battery(family, n, d, seed=0)
    sol = solve(X, y, lam)
    assert sol.success, sol.info["message"]
    assert sol.info["relative_gap"] <= sol.tol.obj_gap
    ref = solution_from_measure(X, y, lam, sol.theta, sol.amplitude)
    assert ref.status.value == "optimal"
    assert ref.duality_gap <= 2 * sol.tol.obj_gap * max(1.0, abs(ref.objective), float(np.max(np.abs(y))) ** 2)


def test_battery_families_are_seeded_and_named():
    X1, y1 = battery("gauss-kinked", 6, 2, seed=3)
    X2, y2 = battery("gauss-kinked", 6, 2, seed=3)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(battery("gauss-kinked", 6, 2, seed=4)[1], y1)
    with pytest.raises(ValueError, match="family"):
        battery("nope", 6, 2)
