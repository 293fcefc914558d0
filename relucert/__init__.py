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

# Eager on purpose: the submodule relucert.solve shares the function's name, and binding
# the function here (after the submodule is loaded) keeps ``relucert.solve`` the function.
from relucert.solve import solve  # noqa: E402

__version__ = "0.1.0"

# certify's module is light (the analysis is imported inside the call); importing the
# function here also keeps the name `relucert.certify` bound to the function, not to
# the submodule of the same name.
from relucert.certify import certify  # noqa: E402
from relucert.solve import solve  # noqa: E402  (same reason: relucert/solve.py is a submodule)


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
]


def __getattr__(name):  # lazy: importing relucert stays cheap
    if name == "TVReLURegressor":
        from relucert.estimator import TVReLURegressor

        return TVReLURegressor
    raise AttributeError(f"module 'relucert' has no attribute {name!r}")
