"""The theorem suite: every statement of the theory run on seeded random instances.

Each statement is a small function ``check(ctx) -> Outcome`` whose verdict is one of

- ``"hypothesis fails"``: the statement does not apply to the instance (with the reason);
- ``"holds"``: its hypotheses hold and so does its conclusion;
- ``"VIOLATED"``: its hypotheses hold and its conclusion does not.

A failed hypothesis is never counted as a confirmation nor as a violation. The
statements are DATA (:data:`STATEMENTS`, a tuple of :class:`Statement`): the suite runs
whatever list it is given, so a test can inject a false "theorem" and see the
bookkeeping report it VIOLATED with a saved counterexample.

A violation is re-verified before it is reported: the instance is written to disk,
read back, and the statement checked again from scratch (new arrangement, new solves).
Only a violation that reproduces is saved as a counterexample (data, solutions,
report); one that does not is reported as "hypothesis fails" with the reason
"numerically unresolved" (see proofs/theorem_suite.md).

Its parts: :mod:`~relucert.experiments.theorems.outcomes` (verdicts, statements as
data), :mod:`~relucert.experiments.theorems.instances` (families and seeded instances),
:mod:`~relucert.experiments.theorems.context` (what a statement may need, computed on
demand), :mod:`~relucert.experiments.theorems.statements` (the statements),
:mod:`~relucert.experiments.theorems.runner` (the run and the re-verification) and
:mod:`~relucert.experiments.theorems.report` (counts, JSON, markdown).

The solvers are passed in (``solver(X, y, lam) -> Solution``; optionally a second,
independent method ``alt_solver``): this module never imports a solver itself.
"""
from relucert.experiments.parameters import SUITE_LAMS
from relucert.experiments.rescaled import Solver
from relucert.experiments.theorems.context import Context
from relucert.experiments.theorems.instances import (
    DEFAULT_FAMILIES, Family, Instance, load_instance, make_instance,
)
from relucert.experiments.theorems.outcomes import (
    HOLDS, HYPOTHESIS_FAILS, VERDICTS, VIOLATED, Outcome, Statement, TheoremVerdict, fails, holds, violated,
)
from relucert.experiments.theorems.report import Record, SuiteResult
from relucert.experiments.theorems.runner import run_suite
from relucert.experiments.theorems.statements import (
    STATEMENTS, check_finite_support, check_low_noise, check_one_extremum, check_uniqueness,
    sampled_extremum_check,
)

__all__ = [
    "TheoremVerdict", "HOLDS", "HYPOTHESIS_FAILS", "VIOLATED", "VERDICTS", "Outcome", "Statement", "Family",
    "Instance", "Context", "Solver", "STATEMENTS", "DEFAULT_FAMILIES", "SUITE_LAMS", "make_instance", "run_suite",
    "SuiteResult", "Record", "load_instance", "sampled_extremum_check", "check_finite_support",
    "check_one_extremum", "check_uniqueness", "check_low_noise", "holds", "fails", "violated",
]
