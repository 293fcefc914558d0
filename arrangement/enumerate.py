"""``enumerate_chambers``: the public entry point of chamber enumeration.

It validates the input, estimates the chamber count before any work and refuses
beyond ``max_chambers``, then dispatches to an enumeration method.
"""
from __future__ import annotations

from enum import Enum

import numpy as np

from relucert._validation import check_choice, check_positive_int, check_X
from relucert.arrangement.baseline import enumerate_bfs
from relucert.arrangement.chambers import Arrangement
from relucert.arrangement.counts import estimate_chambers
from relucert.errors import TooManyChambersError
from relucert.tolerances import Tolerances, resolve

__all__ = ["Method", "enumerate_chambers", "DEFAULT_MAX_CHAMBERS"]

#: Default refusal limit on the estimated number of chambers.
DEFAULT_MAX_CHAMBERS = 5_000_000


class Method(str, Enum):
    AUTO = "auto"
    BFS = "bfs"


def enumerate_chambers(X, *, method: str | Method = "auto", max_chambers: int | None = DEFAULT_MAX_CHAMBERS,
                       progress: bool | None = None, tol: Tolerances | None = None) -> Arrangement:
    """Every chamber of the arrangement ``{<theta, (x_i, 1)> = 0}`` in R^{d+1}.

    Parameters
    ----------
    X : array (n, d)
    method : "auto" or "bfs"
    max_chambers : refuse (``TooManyChambersError``) when the estimate exceeds it;
        None means no limit.
    progress : show a tqdm bar (None: only on a terminal).

    Examples
    --------
    Three points on a line give 2 * (1 + 2) = 6 chambers on the circle:

    >>> enumerate_chambers(np.array([[0.0], [1.0], [2.0]])).n_chambers
    6
    """
    X = check_X(X)
    method = check_choice(method, "method", Method)
    max_chambers = check_positive_int(max_chambers, "max_chambers", allow_none=True)
    tol = resolve(tol)
    estimate = estimate_chambers(X)
    if max_chambers is not None and estimate > max_chambers:
        raise TooManyChambersError(
            f"the arrangement of X (n={X.shape[0]}, d={X.shape[1]}) has up to {estimate} chambers, "
            f"more than max_chambers={max_chambers}; raise max_chambers, or use fewer samples "
            f"or features"
        )
    return enumerate_bfs(X, tol=tol)
