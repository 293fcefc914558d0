"""The parameters of the theory experiments, in one place.

These are the knobs of the experiments (noise levels, regularisation values, sample
counts, fit windows, the thresholds at which the low-noise and theorem-suite
conclusions are read off), not numerical tolerances: nothing in the solver, the
arrangement or the verifier reads them. Tolerances proper live in
:mod:`relucert.tolerances`. tests/test_architecture.py exempts this module, and only
this one in relucert.experiments, from the small-float-literal guard.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "DEFAULT_LAMS", "N_FIT", "C_LIMIT", "CRITICAL_RATIO", "PINNED", "RATE_SLOPE", "CROSS_METHOD",
    "SUITE_LAMS", "MIN_REGIME", "N_SAMPLES", "NEAR_RADIUS", "NEAR_SAMPLES", "FUNCTION_GAP_SAMPLES",
    "FAMILY_NOISE", "FAMILY_LAM", "SEPARATION", "MARGIN", "LABEL_STEP", "NEWTON_STOP", "NEWTON_STEPS",
    "SEARCH_MAX_ITER", "NONUNIQUE_LAMS", "NONUNIQUE_LABEL_NOISE", "DEGENERATE_LAM", "BOUNDARY_LAM",
    "BOUNDARY_LABEL_NOISE",
]

# ----------------------------------------------------------------------------------------
# low-noise sweep and critical noise ratio (relucert.experiments.lownoise)
# ----------------------------------------------------------------------------------------

#: Default sweep: 8 values geometric from 1e-1 down to 1e-4.
DEFAULT_LAMS = tuple(float(v) for v in np.geomspace(10.0 ** -1, 10.0 ** -4, 8))

#: Slopes are least-squares fits over this many smallest lams.
N_FIT = 5

#: Bracketing for c_crit stops (c_crit reported infinite) beyond this ratio.
C_LIMIT = 2.0 ** 40

#: The bisection for the critical noise ratio c_crit stops when its bracket is
#: narrower than this, relative to the upper end.
CRITICAL_RATIO = 1e-6

#: A reference atom whose location error (radians) stays below this at every fit lam is
#: "pinned" (e.g. a kink held on a data hyperplane) and is left out of the location slope.
PINNED = 1e-9

#: Low-noise rate: the log-log slopes of the location and amplitude errors must be at
#: least ``1 - RATE_SLOPE`` (errors O(lam)); the hand-built tests also ask
#: ``|slope - 1| <= RATE_SLOPE``.
RATE_SLOPE = 0.1

# ----------------------------------------------------------------------------------------
# theorem suite (relucert.experiments.theorems)
# ----------------------------------------------------------------------------------------

#: Uniqueness statement: the second solver method's network must agree with the first
#: to this relative difference on points around the data.
CROSS_METHOD = 1e-3

#: lam values of the low-noise statement; its conclusions are tested on those in the
#: perturbative regime (relucert.experiments.lownoise.regime_points), at least
#: ``MIN_REGIME`` of them.
SUITE_LAMS = tuple(float(v) for v in np.geomspace(10.0 ** -2, 10.0 ** -5, 7))
MIN_REGIME = 3

#: Random directions sampled per instance by the one-extremum check, and the radius (on
#: the sphere) and number of the extra samples drawn around each region maximiser.
N_SAMPLES = 20000
NEAR_RADIUS = 1.0 / 64.0
NEAR_SAMPLES = 64

#: Points drawn around the data to compare the two solver methods' networks.
FUNCTION_GAP_SAMPLES = 2000

#: Default random families: noise levels cycled over the instances, and lam.
FAMILY_NOISE = (0.0, 0.1)
FAMILY_LAM = 0.05

# ----------------------------------------------------------------------------------------
# counterexample search (relucert.experiments.counterexamples)
# ----------------------------------------------------------------------------------------

#: Geometry of the degenerate construction: two tied points must be this far apart;
#: every other region maximum must stay below ``1 - MARGIN``; the label perturbation
#: that adds the second Dirac has this size.
SEPARATION = 0.01
MARGIN = 0.01
LABEL_STEP = 0.001

#: Newton on p (making two region maxima tie at 1): stop when both are within this of 1,
#: give up after this many steps.
NEWTON_STOP = 64 * np.finfo(float).eps
NEWTON_STEPS = 50

#: Exchange rounds allowed for one solve of the search.
SEARCH_MAX_ITER = 60

#: Non-unique search: the lam values tried per data set, and the label noise of the
#: local moves.
NONUNIQUE_LAMS = (0.03, 0.01, 0.1)
NONUNIQUE_LABEL_NOISE = 0.05

#: Degenerate search: lam.
DEGENERATE_LAM = 0.1

#: Boundary search: lam, and the label noise of the local moves.
BOUNDARY_LAM = 0.1
BOUNDARY_LABEL_NOISE = 0.1
