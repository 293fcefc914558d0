"""relucert: exact, certified training of infinite-width shallow ReLU networks.

The root folders of the repository are subpackages: ``relucert.arrangement``,
``relucert.lp``, ``relucert.verify`` and ``relucert.gpu`` (imported lazily).
"""
from relucert.errors import (
    CertificateError,
    ConvergenceWarning,
    InaccurateSolutionWarning,
    NotFittedError,
    SolverError,
    TooManyChambersError,
)
from relucert.results import CheckResult, Status, VerificationReport
from relucert.tolerances import Tolerances

__version__ = "0.1.0"


# solve and certify live in modules of other names (solver.py, certifier.py), so a
# submodule import never shadows them; both are loaded on first use (__getattr__).

__all__ = [
    "__version__",
    "Tolerances",
    "Status",
    "CheckResult",
    "VerificationReport",
    "SolverError",
    "CertificateError",
    "TooManyChambersError",
    "NotFittedError",
    "ConvergenceWarning",
    "InaccurateSolutionWarning",
    "solve",
    "TVReLURegressor",
    "certify",
    "solve_path",
    "TVReLURegressorCV",
]


def __getattr__(name):  # lazy: importing relucert stays cheap
    if name == "solve":
        from relucert.solver import solve

        return solve
    if name == "certify":
        from relucert.certifier import certify

        return certify
    if name == "TVReLURegressor":
        from relucert.estimator import TVReLURegressor

        return TVReLURegressor
    if name == "solve_path":
        from relucert.path import solve_path

        return solve_path
    if name == "TVReLURegressorCV":
        from relucert.estimator_cv import TVReLURegressorCV

        return TVReLURegressorCV
    raise AttributeError(f"module 'relucert' has no attribute {name!r}")
