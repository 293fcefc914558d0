"""relucert's exception and warning types."""
from __future__ import annotations

__all__ = [
    "RelucertError",
    "SolverError",
    "CertificateError",
    "CertificateLimitError",
    "TooManyChambersError",
    "NotFittedError",
    "ConvergenceWarning",
    "InaccurateSolutionWarning",
]


class RelucertError(Exception):
    """Base class of relucert's own errors."""


class SolverError(RelucertError):
    """A finite program did not reach a proven optimum (any status but optimal).

    Raised ``from`` the backend's original exception where there is one.
    """


class CertificateError(RelucertError, ValueError):
    """A certificate (in memory or a file) is malformed or does not verify."""


class CertificateLimitError(CertificateError):
    """A certificate exceeds one of the checker's size limits (n, d, bits of a rational);
    the message names the limit and the option that raises it."""


class TooManyChambersError(RelucertError, ValueError):
    """The arrangement has more chambers than the caller allowed."""


def _not_fitted_error() -> type:
    """Build :class:`NotFittedError` on first use: a subclass of scikit-learn's
    ``NotFittedError`` when scikit-learn is installed (so ``sklearn``'s own checks
    recognise it), else of ``ValueError``; ``AttributeError`` in both cases.
    Building it lazily keeps ``import relucert`` from loading scikit-learn."""
    try:
        from sklearn.exceptions import NotFittedError as base
    except ImportError:  # pragma: no cover - exercised without scikit-learn
        base = ValueError

    return type("NotFittedError", (base, AttributeError), {
        "__module__": __name__,
        "__doc__": "An estimator was used before ``fit``.",
    })


def __getattr__(name: str):
    """Module attributes built on first access (``NotFittedError``).

    Parameters
    ----------
    name : str
        The attribute asked for.

    Returns
    -------
    type
        The exception class; cached in the module, so it is built once.
    """
    if name == "NotFittedError":
        cls = _not_fitted_error()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConvergenceWarning(UserWarning):
    """An iterative method stopped on its iteration limit."""


class InaccurateSolutionWarning(UserWarning):
    """A solution passed the solver but failed relucert's own residual re-check."""
