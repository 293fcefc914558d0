"""relucert: exact, certified training of infinite-width shallow ReLU networks.

Layer: api (the package root). It may import every layer below it (core, arrangement,
lp, lp.tv, verify, gpu), never relucert.experiments or the CLI. The root folders of
the repository are subpackages: ``relucert.arrangement``, ``relucert.lp``,
``relucert.verify`` and ``relucert.gpu``.

``import relucert`` is cheap: it loads the tolerances and the error types only
(standard library); everything else, numpy included, is loaded on first use of a name
(module ``__getattr__``), so scikit-learn, torch, matplotlib and sympy stay unloaded
until a function needs them.
"""
from relucert.errors import (
    CertificateError,
    ConvergenceWarning,
    InaccurateSolutionWarning,
    SolverError,
    TooManyChambersError,
)
from relucert.tolerances import Tolerances

#: The one version source: setup.cfg reads it (``version = attr: relucert.__version__``),
#: ``relucert --version`` prints it; CHANGELOG.md says what each version holds.
__version__ = "0.5.0.dev0"

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

# Public names loaded on first use: name -> module. solve and certify live in modules of
# other names (solver.py, certifier.py), so a submodule import never shadows them.
_LAZY = {
    "Status": "relucert.results",
    "CheckResult": "relucert.results",
    "VerificationReport": "relucert.results",
    "NotFittedError": "relucert.errors",  # built on first use: it may load scikit-learn
    "solve": "relucert.solver",
    "certify": "relucert.certifier",
    "TVReLURegressor": "relucert.estimator",
    "solve_path": "relucert.path",
    "TVReLURegressorCV": "relucert.estimator_cv",
}


def __getattr__(name):
    """Load a public name on first use (see ``_LAZY``).

    Parameters
    ----------
    name : str

    Returns
    -------
    object
    """
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'relucert' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
