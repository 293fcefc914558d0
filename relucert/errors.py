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


try:  # scikit-learn is optional: inherit its NotFittedError when it imports.
    from sklearn.exceptions import NotFittedError as _SkNotFitted
except Exception:  # pragma: no cover - exercised without scikit-learn
    _SkNotFitted = ValueError


class NotFittedError(_SkNotFitted, AttributeError):
    """An estimator was used before ``fit``."""


class ConvergenceWarning(UserWarning):
    """An iterative method stopped on its iteration limit."""


class InaccurateSolutionWarning(UserWarning):
    """A solution passed the solver but failed relucert's own residual re-check."""
