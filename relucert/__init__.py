"""relucert: exact, certified training of infinite-width shallow ReLU networks.

The root folders of the repository are subpackages: ``relucert.arrangement``,
``relucert.lp``, ``relucert.verify`` and ``relucert.gpu`` (imported lazily).
"""
import sys
import types

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


class _Package(types.ModuleType):
    """``relucert.solve`` and ``relucert.certify`` are functions living in submodules of
    the same name. Importing a submodule makes the import system set the package
    attribute to the submodule, which would shadow the function (``relucert.solve(...)``
    -> "'module' object is not callable"). This class keeps the function there."""

    def __setattr__(self, name, value):
        if name in _FUNCTION_MODULES and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


_FUNCTION_MODULES = ("solve", "certify")
sys.modules[__name__].__class__ = _Package

# certify's module is light (the analysis is imported inside the call).
from relucert.certify import certify  # noqa: E402


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
    if name == "solve":
        from relucert.solve import solve

        return solve
    if name == "TVReLURegressor":
        from relucert.estimator import TVReLURegressor

        return TVReLURegressor
    raise AttributeError(f"module 'relucert' has no attribute {name!r}")
